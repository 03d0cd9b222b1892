"""每日报送 (seed 002 工作机制: 项目进展情况要填报台账，每日报送): every assistant of a project
in progress writes a work log at least every N working days (N = the project's county
``daily_report_days``; 0 switches the rule off for the county).

Counted from the assistant's latest log on the project (or, before the first one, the day
they were assigned): once N whole working days have passed without a log, the daily scan
sends the assistant an in-app reminder; one working day later, still without a log, it
raises a red card (subject ``DAILY_REPORT``, one per assignment) that the region's
dispatchers are notified of with the scan's other cards. A new log clears the card at once
(``clear_cards``, called by the log command); the scan clears cards whose assignment no
longer qualifies (a log, the assistant removed, the project closed).

The scan judges each day as of the latest working day (a Saturday is judged like the Friday
before it), so nothing new is sent over a weekend or a holiday, and reruns send nothing
twice (the reminder's event key names the assignment and the day counted from).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, null, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.clock import to_beijing, utcnow
from app.models import (
    AppUser,
    CardLevel,
    CardSubject,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    WarningCard,
    WorkLog,
)

from . import calendar
from .card_notices import last_working_day
from .notifications import dialect_insert, notify

ADD_LOG_LINK = "/worklogview/add?project="


@dataclass
class Lapse:
    assignment_id: int
    project_id: int
    project_name: str
    user_id: int
    days: int  # the region's N
    since: dt.date  # the latest log, or the day of assignment
    due_on: dt.date  # the N-th working day after ``since``: the log was due by then
    missed: int  # whole working days without a log


def _last_log():
    return (select(func.max(WorkLog.logged_on))
            .where(WorkLog.project_id == ProjectAssistant.project_id,
                   WorkLog.author_id == ProjectAssistant.user_id)
            .correlate(ProjectAssistant).scalar_subquery())


def lapses(session: Session, today: dt.date) -> list[Lapse]:
    """The assignments of projects in progress, with how long each went without a log, as
    of the latest working day on or before ``today``."""
    day = last_working_day(today)
    rows = session.execute(
        select(ProjectAssistant.id, ProjectAssistant.project_id, ProjectAssistant.user_id,
               ProjectAssistant.assigned_on, ProjectAssistant.created_at, Project.name,
               Region.daily_report_days, _last_log())
        .join(Project, Project.id == ProjectAssistant.project_id)
        .join(Region, Region.id == Project.region_id)
        .join(AppUser, AppUser.id == ProjectAssistant.user_id)
        .where(Project.status == ProjectStatus.ACTIVE, AppUser.active.is_(True),
               Region.daily_report_days > 0)
        .order_by(ProjectAssistant.id)).all()
    out = []
    for pa_id, pid, uid, assigned_on, created_at, name, days, last in rows:
        since = assigned_on or to_beijing(created_at).date()
        if last is not None and last > since:
            since = last
        if since >= day:
            continue
        # ``day`` itself is not over when the scan runs in the morning.
        missed = calendar.working_days_between(since, day) - 1
        out.append(Lapse(pa_id, pid, name, uid, days, since,
                         calendar.add_working_days(since, days), missed))
    return out


def _card_title(session: Session, lapse: Lapse) -> str:
    user = session.get(AppUser, lapse.user_id)
    return f"{user}·{lapse.project_name}"[:255]


def scan(session: Session, today: dt.date, now: dt.datetime | None = None
         ) -> tuple[list[int], int, int]:
    """Remind, raise and clear: (new card ids, cleared cards, reminders sent). The caller
    notifies the new cards (with the scan's others) and commits."""
    now = now or utcnow()
    found = lapses(session, today)
    reminders = 0
    for lapse in found:
        if lapse.missed >= lapse.days:
            reminders += len(notify(
                session, [lapse.user_id], f"daily_report:{lapse.assignment_id}:{lapse.since}",
                f"【日志未报送】{lapse.project_name}",
                f"项目自 {lapse.since.isoformat()} 起已 {lapse.missed} 个工作日没有帮办代办日志，"
                f"请及时填报；下一个工作日仍未填报的，将向调度员亮红牌。",
                ADD_LOG_LINK + str(lapse.project_id)))
    carded = [x for x in found if x.missed >= x.days + 1]
    values = [dict(subject=CardSubject.DAILY_REPORT.name, subject_id=x.assignment_id, part="",
                   level=CardLevel.RED.name, project_id=x.project_id, org_unit_id=None,
                   title=_card_title(session, x), due_on=x.due_on, raised_at=now,
                   created_at=now, updated_at=now) for x in carded]
    wc = WarningCard.__table__
    new_ids: list[int] = []
    if values:
        insert = dialect_insert(session, wc).values(values)
        stmt = insert.on_conflict_do_update(
            index_elements=["subject", "subject_id", "part", "level"],
            set_={"cleared_at": null(), "raised_at": insert.excluded.raised_at,
                  "due_on": insert.excluded.due_on, "title": insert.excluded.title,
                  "project_id": insert.excluded.project_id,
                  "updated_at": insert.excluded.updated_at},
            where=wc.c.cleared_at.isnot(None)).returning(wc.c.id)
        new_ids = list(session.execute(stmt).scalars())
    clear = (update(wc).where(wc.c.subject == CardSubject.DAILY_REPORT.name,
                              wc.c.cleared_at.is_(None))
             .values(cleared_at=now, updated_at=now)
             .execution_options(synchronize_session=False))
    if carded:
        clear = clear.where(wc.c.subject_id.notin_([x.assignment_id for x in carded]))
    cleared = session.execute(clear).rowcount or 0
    return new_ids, cleared, reminders


def clear_cards(session: Session, project_id: int, user_id: int) -> int:
    """Clear the user's 日志未报送 card of the project (a log has arrived)."""
    now = utcnow()
    wc = WarningCard.__table__
    assignments = select(ProjectAssistant.id).where(ProjectAssistant.project_id == project_id,
                                                    ProjectAssistant.user_id == user_id)
    stmt = (update(wc).where(wc.c.subject == CardSubject.DAILY_REPORT.name,
                             wc.c.subject_id.in_(assignments), wc.c.cleared_at.is_(None))
            .values(cleared_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount or 0


# -- 今日报送: who reported on a day ---------------------------------------------------------
@dataclass
class ReportRow:
    project: Project
    assistant: AppUser
    logs: int  # logs of that day
    last_on: dt.date | None  # the latest log on or before that day
    carded: bool  # an open 日志未报送 card


def report(session: Session, day: dt.date, projects_where: ColumnElement | None,
           limit: int = 500) -> tuple[list[ReportRow], int]:
    """Every assignment of a project in progress that ``projects_where`` admits (the
    caller's scope), with its logs of ``day``: (rows, total), not-reported first."""
    on_day = (select(func.count(WorkLog.id))
              .where(WorkLog.project_id == ProjectAssistant.project_id,
                     WorkLog.author_id == ProjectAssistant.user_id, WorkLog.logged_on == day)
              .correlate(ProjectAssistant).scalar_subquery())
    last = (select(func.max(WorkLog.logged_on))
            .where(WorkLog.project_id == ProjectAssistant.project_id,
                   WorkLog.author_id == ProjectAssistant.user_id, WorkLog.logged_on <= day)
            .correlate(ProjectAssistant).scalar_subquery())
    carded = (select(func.count(WarningCard.id))
              .where(WarningCard.subject == CardSubject.DAILY_REPORT,
                     WarningCard.subject_id == ProjectAssistant.id,
                     WarningCard.cleared_at.is_(None))
              .correlate(ProjectAssistant).scalar_subquery())
    conds = [Project.status == ProjectStatus.ACTIVE]
    if projects_where is not None:
        conds.append(projects_where)
    base = (select(ProjectAssistant.id)
            .join(Project, Project.id == ProjectAssistant.project_id).where(*conds))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        select(Project, AppUser, on_day.label("logs"), last.label("last"),
               carded.label("carded"))
        .select_from(ProjectAssistant)
        .join(Project, Project.id == ProjectAssistant.project_id)
        .join(AppUser, AppUser.id == ProjectAssistant.user_id)
        .where(*conds)
        .order_by(on_day > 0, Project.region_id, Project.name, AppUser.id)
        .limit(limit)).all()
    return [ReportRow(p, u, n or 0, lst, bool(c)) for p, u, n, lst, c in rows], total
