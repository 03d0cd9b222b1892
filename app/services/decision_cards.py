"""The 议定事项 source of the daily scan: reminders before a meeting decision falls due, and
a red card (subject ``DECISION``) once it is overdue.

- **Reminder**: an open decision whose due date is at most N working days away (N = the
  meeting region's 黄牌预警天数 ``warning_days``) notifies, in-app once per due date, the
  officers of its owner unit and the assistants of its project.
- **Overdue** (a working day has passed since the due date, as for every card): a red card
  on the decision's project, addressed to the owner unit (which its officers see on the
  card list), notified with the other cards to the project's assistants and dispatchers;
  the owner unit's officers get an overdue notice too. A decision on the work in general
  (no project) has no card (a card belongs to a project): its overdue notice goes to the
  owner unit's officers and the dispatchers of the meeting's region.
- The card is cleared when the decision is done or cancelled (at once, by the command) or
  its project is no longer in progress; a due date moved later clears it on the next scan.

Open decisions are few (tens per county), so they are read and checked here rather than
in SQL; reruns send nothing twice (event keys) and raise nothing twice (the card's key).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import (
    CardLevel,
    CardSubject,
    Decision,
    DecisionStatus,
    Meeting,
    OrgUnit,
    Project,
    ProjectStatus,
    Region,
    WarningCard,
)

from . import calendar
from .card_notices import dispatcher_ids, last_working_day, unit_officer_ids
from .meetings import DECISION_LINK, decision_recipients
from .notifications import dialect_insert, notify


def raise_decision_cards(session: Session, today: dt.date, now: dt.datetime | None = None
                         ) -> tuple[list[int], int, int]:
    """Remind, raise and clear: (new card ids, cleared count, notifications sent)."""
    now = now or utcnow()
    overdue_before = last_working_day(today)
    rows = session.execute(
        select(Decision, Meeting.region_id, Region.warning_days, OrgUnit.name,
               Project.status, Project.name)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .join(Region, Region.id == Meeting.region_id)
        .join(OrgUnit, OrgUnit.id == Decision.owner_unit_id)
        .outerjoin(Project, Project.id == Decision.project_id)
        .where(Decision.status == DecisionStatus.OPEN)
        .order_by(Decision.id)).all()
    values, sent = [], 0
    for decision, region_id, warning_days, unit_name, project_status, project_name in rows:
        due = decision.due_on
        content = decision.content[:80]
        link = f"{DECISION_LINK}{decision.id}"
        if due < overdue_before:
            if decision.project_id is not None and project_status == ProjectStatus.ACTIVE:
                values.append(dict(
                    subject=CardSubject.DECISION.name, subject_id=decision.id, part="",
                    level=CardLevel.RED.name, project_id=decision.project_id,
                    org_unit_id=decision.owner_unit_id,
                    title=f"{content} · {project_name}"[:255], due_on=due, raised_at=now,
                    created_at=now, updated_at=now))
            users = unit_officer_ids(session, decision.owner_unit_id)
            if decision.project_id is None:
                users += dispatcher_ids(session, region_id)
            sent += len(notify(session, users, f"decision:{decision.id}:overdue:{due}",
                               f"【议定事项·超期】{content}",
                               f"{unit_name}：完成时限 {due.isoformat()}，已超期。", link))
        elif 0 <= calendar.working_days_between(today, due) <= max(warning_days, 0):
            sent += len(notify(session, decision_recipients(session, decision),
                               f"decision:{decision.id}:remind:{due}",
                               f"【议定事项·提醒】{content}",
                               f"{unit_name}：完成时限 {due.isoformat()}，即将到期。", link))
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
    clear = (update(wc).where(wc.c.subject == CardSubject.DECISION.name,
                              wc.c.cleared_at.is_(None))
             .values(cleared_at=now, updated_at=now)
             .execution_options(synchronize_session=False))
    if still:
        clear = clear.where(wc.c.subject_id.notin_(still))
    cleared = session.execute(clear).rowcount or 0
    return new_ids, cleared, sent
