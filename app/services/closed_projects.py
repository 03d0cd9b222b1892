"""A terminated or archived project is read-only but visible: one ``before_flush`` rule on
every session refuses any change to its rows, whoever writes (screen, API, plugin effect,
job, import).

``PROJECT_OF`` maps each model of a project's rows to the project a row belongs to; another
area adds its models with one line. What stays possible on a closed project:

* the command that closes it (a project's own status change in the flush that changes it:
  the rule looks at the status the project had before this flush);
* 资料归档 after termination: archive files may be added to a terminated project until it
  is archived, and the archiving columns themselves.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.models import (
    ApprovalItem,
    ArchiveFile,
    ItemCorrection,
    ItemMaterial,
    Project,
    ProjectAssistant,
    ProjectStatus,
    ServiceTeamMember,
    UrgeProposal,
    WorkflowInstance,
    WorkflowStep,
    WorkLog,
    WorkLogPhoto,
    WorkOrder,
)

from .errors import DomainValidationError


def _via_item(row: Any) -> Any:
    item = row.item
    return item.project if item is not None else None


def _via_instance(row: Any) -> Any:
    instance = row.instance
    return instance.project if instance is not None else None


PROJECT_OF: dict[type, Callable[[Any], Any]] = {
    ApprovalItem: lambda r: r.project,
    ItemCorrection: _via_item,
    ItemMaterial: _via_item,
    ProjectAssistant: lambda r: r.project,
    ServiceTeamMember: lambda r: r.project,
    WorkflowInstance: lambda r: r.project,
    WorkflowStep: _via_instance,
    WorkOrder: lambda r: r.project,
    ArchiveFile: lambda r: r.project,
    UrgeProposal: lambda r: r.project,
    WorkLog: lambda r: r.project,
    WorkLogPhoto: lambda r: r.work_log.project if r.work_log is not None else None,
}
# Columns of a project that may change after termination (the archiving).
ARCHIVE_COLUMNS = {"archived_on", "archived_by_id", "updated_at"}


def _before(project: Project, name: str) -> Any:
    """The value of a column as it stood before this flush."""
    hist = sa_inspect(project).attrs[name].history
    if hist.deleted:
        return hist.deleted[0]
    if hist.unchanged:
        return hist.unchanged[0]
    return getattr(project, name) if not hist.added else None


def was_terminated(project: Project) -> bool:
    return _before(project, "status") == ProjectStatus.TERMINATED


def was_archived(project: Project) -> bool:
    return _before(project, "archived_on") is not None


def is_closed(project: Project) -> bool:
    """Read-only now (terminated, or archived)."""
    return project.status == ProjectStatus.TERMINATED or project.archived_on is not None


def _message(project: Project) -> str:
    if project.archived_on is not None or was_archived(project):
        return _("The project %(name)s is archived: it can be read but no longer changed.",
                 name=project.name)
    return _("The service of the project %(name)s was terminated: it can be read but no "
             "longer changed.", name=project.name)


def _changed_columns(obj: Any) -> set[str]:
    state = sa_inspect(obj)
    return {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}


def _refused(session: Session, obj: Any) -> Project | None:
    if isinstance(obj, Project):
        if sa_inspect(obj).pending:
            return None
        if was_archived(obj):
            return obj
        if was_terminated(obj) and (obj in session.deleted
                                    or _changed_columns(obj) - ARCHIVE_COLUMNS):
            return obj
        return None
    find = PROJECT_OF.get(type(obj))
    if find is None:
        return None
    project = find(obj)
    if project is None or sa_inspect(project).pending:
        return None
    if was_archived(project):
        return project
    if was_terminated(project) and not isinstance(obj, ArchiveFile):
        return project
    return None


def _before_flush(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if obj in session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            project = _refused(session, obj)
            if project is not None:
                raise DomainValidationError({"project": _message(project)})


def install(session_factory: Any) -> None:
    """Attach the rule to every session the factory makes (idempotent)."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
