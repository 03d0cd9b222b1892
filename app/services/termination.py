"""终止服务: the dispatcher or the bureau admin ends the assistance of a project, for one of
the five reasons of seed 004, with a note, a date and who decided.

Open items are withdrawn (已撤回) and running measures cancelled, each with the reason;
the enterprise users and the assistants are told; from then on the project is read-only
(``app.services.closed_projects``) but stays visible, and its archive can still be
completed and closed (``app.services.archive.close_project``). Flushes, never commits.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    AppUser,
    ItemStatus,
    Project,
    ProjectStatus,
    TerminationReason,
    WorkflowInstance,
    WorkflowInstanceStatus,
)

from .audit import record_event
from .errors import DomainValidationError
from .items import DONE
from .notifications import notify
from .project_parties import assistant_ids, enterprise_users

PROJECT_LINK = "/projectview/show/"


def _reason(value: object) -> TerminationReason | None:
    if isinstance(value, TerminationReason):
        return value
    if isinstance(value, str) and value in TerminationReason.__members__:
        return TerminationReason[value]
    return None


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def terminate(session: Session, project: Project, user: AppUser | None, reason: object,
              note: str | None, on: object) -> Project:
    """End the service of ``project``; raises DomainValidationError (nothing changed)."""
    errors = {}
    if project.status != ProjectStatus.ACTIVE:
        errors["project"] = _("The project is %(status)s: only a project in progress can be "
                              "terminated.", status=project.status.value)
    why = _reason(reason)
    if why is None:
        errors["reason"] = _("Choose one of the five termination reasons.")
    day = _date(on) if on not in (None, "") else None
    if day is None:
        errors["on"] = _("The date of the decision is required (YYYY-MM-DD).")
    elif day > clock.today():
        errors["on"] = _("The date of the decision cannot be in the future.")
    note = (note or "").strip()
    if why is TerminationReason.OTHER and not note:
        errors["note"] = _("Say what the other reason is.")
    if errors:
        raise DomainValidationError(errors)
    label = str(why.value)
    # Close what is open before the project turns read-only (the rule looks at the status
    # the project had before the flush).
    from app.workflow import engine

    for instance in session.scalars(select(WorkflowInstance).where(
            WorkflowInstance.project_id == project.id,
            WorkflowInstance.status == WorkflowInstanceStatus.RUNNING)):
        engine.cancel(session, instance, user, comment=_("Service terminated: %(reason)s",
                                                          reason=label))
    closed_items = 0
    for item in project.items:
        if item.status not in DONE:
            item.status = ItemStatus.WITHDRAWN
            item.result = _("Service terminated: %(reason)s", reason=label)[:255]
            closed_items += 1
    session.flush()
    project.status = ProjectStatus.TERMINATED
    project.termination_reason = why
    project.termination_note = note or None
    project.terminated_on = day
    project.terminated_by_id = user.id if user is not None else None
    session.flush()
    record_event(session, "proj_terminate", "Project", project.id, {
        "reason": why.name, "note": note, "on": day.isoformat(), "items_closed": closed_items})
    title = _("Service terminated: %(project)s", project=project.name)
    body = _("The assistance service of %(project)s was terminated on %(day)s. Reason: "
             "%(reason)s. %(note)s", project=project.name, day=day.isoformat(), reason=label,
             note=note)
    told = [u.id for u in enterprise_users(session, project)]
    notify(session, told + assistant_ids(session, project), f"terminated:{project.id}",
           title, body, f"{PROJECT_LINK}{project.id}")
    return project
