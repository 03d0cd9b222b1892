"""The 对接需求 card source of the daily scan: a project in progress that still has no lead
assistant N working days after it entered the list (N = its region's ``intake_days``) gets
a red card (subject ``INTAKE``), which the dispatchers of its region (and any assistants
already on it) are notified of with the other cards. The card is cleared once a lead
assistant is assigned or the project is no longer in progress.

The deadline is ``add_working_days(entered_on, N)`` with ``entered_on`` the Beijing date the
project was created; projects without a lead are few, so they are read and checked here
rather than in SQL.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, null, select, update
from sqlalchemy.orm import Session

from app.clock import to_beijing, utcnow
from app.models import (
    CardLevel,
    CardSubject,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    WarningCard,
)

from . import calendar
from .notifications import dialect_insert


def _without_lead():
    return ~exists().where(ProjectAssistant.project_id == Project.id,
                           ProjectAssistant.is_lead.is_(True))


def deadline(entered_on: dt.date, days: int) -> dt.date:
    return calendar.add_working_days(entered_on, max(days, 0))


def raise_intake_cards(session: Session, today: dt.date, now: dt.datetime | None = None
                       ) -> tuple[list[int], int]:
    """Raise the overdue intake cards and clear those no longer due: (new card ids,
    cleared count). Flushes nothing of the ORM; the caller commits."""
    now = now or utcnow()
    rows = session.execute(
        select(Project.id, Project.name, Project.created_at, Region.intake_days)
        .join(Region, Region.id == Project.region_id)
        .where(Project.status == ProjectStatus.ACTIVE, _without_lead())
        .order_by(Project.id)).all()
    values = []
    for pid, name, created_at, days in rows:
        due = deadline(to_beijing(created_at).date(), days)
        if today >= due:
            values.append(dict(subject=CardSubject.INTAKE.name, subject_id=pid, part="",
                               level=CardLevel.RED.name, project_id=pid, org_unit_id=None,
                               title=f"{name}"[:255], due_on=due, raised_at=now,
                               created_at=now, updated_at=now))
    new_ids: list[int] = []
    wc = WarningCard.__table__
    if values:
        insert = dialect_insert(session, wc).values(values)
        stmt = insert.on_conflict_do_update(
            index_elements=["subject", "subject_id", "part", "level"],
            set_={"cleared_at": null(), "raised_at": insert.excluded.raised_at,
                  "due_on": insert.excluded.due_on, "title": insert.excluded.title,
                  "updated_at": insert.excluded.updated_at},
            where=wc.c.cleared_at.isnot(None)).returning(wc.c.id)
        new_ids = list(session.execute(stmt).scalars())
    still = [v["subject_id"] for v in values]
    clear = (update(wc).where(wc.c.subject == CardSubject.INTAKE.name, wc.c.cleared_at.is_(None))
             .values(cleared_at=now, updated_at=now)
             .execution_options(synchronize_session=False))
    if still:
        clear = clear.where(wc.c.subject_id.notin_(still))
    cleared = session.execute(clear).rowcount or 0
    return new_ids, cleared
