"""Who is on each side of a project: its assistants, its enterprise's users, its region's
settings of the assistance process (对接需求 days, 告知承诺, archive checklist)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AppUser, Project, ProjectAssistant, Region
from app.security import roles


def assistant_ids(session: Session, project: Project, lead_only: bool = False) -> list[int]:
    stmt = select(ProjectAssistant.user_id).where(ProjectAssistant.project_id == project.id)
    if lead_only:
        stmt = stmt.where(ProjectAssistant.is_lead.is_(True))
    return sorted(set(session.scalars(stmt)))


def enterprise_users(session: Session, project: Project) -> list[AppUser]:
    """The active accounts of the project's company holding the enterprise role."""
    stmt = (select(AppUser).where(AppUser.applicant_id == project.applicant_id,
                                  AppUser.active.is_(True)).order_by(AppUser.id))
    return [u for u in session.scalars(stmt)
            if any(r.name == roles.ENTERPRISE for r in u.roles or [])]


def settings_region(project: Project) -> Region:
    """The region whose process settings apply: the project's county (its town, if any,
    lies inside it and keeps no settings of its own)."""
    return project.region
