"""我的项目: which projects an assistant is on (the view applies the scope on top)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement

from app.models import Project, ProjectAssistant


def assisted_by(user_id: int) -> ColumnElement:
    """A condition on Project: the user is one of its assistants (lead or not)."""
    return Project.id.in_(select(ProjectAssistant.project_id)
                          .where(ProjectAssistant.user_id == user_id))
