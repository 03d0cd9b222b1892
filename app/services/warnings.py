"""The red/yellow card scan (红黄牌预警), set-based.

A card exists once per object and level (unique key subject, subject_id, level). Three kinds
of object are watched, each against its own deadline:

- ``ITEM``: an open approval item's ``due_on`` (已受理 / 容缺受理; an item in 补正 has its
  clock stopped, so its cards are left as they are until the corrections come back);
- ``GAP_PROMISE``: the date an applicant promised the missing materials of an item accepted
  with gaps (``gap_promised_on`` while the item is 容缺受理);
- ``WORK_ORDER``: an open or returned work order's ``reply_due_on``;
- ``COORDINATION``: a coordination request's ``due_on`` while it waits for replies.

Yellow: the deadline is within N working days (N = the project's region ``warning_days``),
not yet passed. Red: overdue, i.e. ``working_days_between(deadline, today) > 0``: a working
day has passed since the deadline. Only objects of projects in progress (在办) qualify.

A card is raised with ``INSERT … SELECT … ON CONFLICT``: two scans running at the same time
raise each card once. A card whose object no longer qualifies (done, promise met, work order
replied or closed, or yellow turned red) is cleared; if the object qualifies again later
(an item reopened, a returned work order missing its new deadline) the same row is raised
again and its new deadline notified. Each raised card notifies, in-app once (event key
``card:<id>:<deadline>``), the project's assistants and the dispatchers of its region.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from app import clock
from app.clock import utcnow
from app.models import (
    ApprovalItem,
    CardLevel,
    CardSubject,
    CoordinationRequest,
    CoordinationStatus,
    ItemStatus,
    Project,
    ProjectStatus,
    Region,
    WarningCard,
    WorkOrder,
    WorkOrderStatus,
)

from .card_notices import (  # noqa: F401
    CARD_LINK,
    _id_in,
    dispatcher_ids,
    is_working_day,
    last_working_day,
    notify_cards,
    project_recipients,
    role_user_ids,
    unit_officer_ids,
    yellow_limit,
)
from .notifications import dialect_insert

WORK_ORDER_LINK = "/workorderview/show/"

_CHUNK = 20000
_ITEM_ACTIVE = (ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_WITH_GAPS)
_WO_ACTIVE = (WorkOrderStatus.OPEN, WorkOrderStatus.RETURNED)


@dataclass
class ScanResult:
    today: dt.date
    raised: Counter = field(default_factory=Counter)  # (subject name, level name) → count
    cleared: Counter = field(default_factory=Counter)
    notifications: int = 0
    raised_ids: list[int] = field(default_factory=list)

    def by_level(self, counter: Counter) -> dict[str, int]:
        out = {lvl.name: 0 for lvl in CardLevel}
        for (_subject, level), count in counter.items():
            out[level] += count
        return out

    def lines(self) -> list[str]:
        """What the CLI prints: counts by level, then by kind of object."""
        raised, cleared = self.by_level(self.raised), self.by_level(self.cleared)
        out = [f"warning scan for {self.today.isoformat()}"]
        for level in CardLevel:
            out.append(f"{level.value} {level.name}: raised {raised[level.name]}, "
                       f"cleared {cleared[level.name]}")
        for subject in CardSubject:
            parts = [f"{level.name.lower()} +{self.raised[(subject.name, level.name)]}"
                     f"/-{self.cleared[(subject.name, level.name)]}" for level in CardLevel]
            out.append(f"  {subject.value} {subject.name}: " + ", ".join(parts))
        out.append(f"notifications: {self.notifications}")
        return out


# -- what qualifies --------------------------------------------------------------------------
@dataclass
class _Source:
    subject: CardSubject
    key: object  # the object id column
    project_id: object
    org_unit_id: object
    deadline: object
    title: object
    from_: object
    where: list


def _title(*parts):
    expr = parts[0]
    for p in parts[1:]:
        expr = expr + p
    return func.substr(expr, 1, 255)


def _sources() -> list[_Source]:
    ai, p = ApprovalItem.__table__, Project.__table__
    r, wo = Region.__table__, WorkOrder.__table__
    cr = CoordinationRequest.__table__
    item_from = ai.join(p, p.c.id == ai.c.project_id).join(r, r.c.id == p.c.region_id)
    active_project = p.c.status == ProjectStatus.ACTIVE.name
    item_title = _title(ai.c.name, literal(" · "), p.c.name)
    return [
        _Source(CardSubject.ITEM, ai.c.id, ai.c.project_id, ai.c.department_id, ai.c.due_on,
                item_title, item_from,
                [active_project, ai.c.status.in_([s.name for s in _ITEM_ACTIVE]),
                 ai.c.due_on.isnot(None)]),
        _Source(CardSubject.GAP_PROMISE, ai.c.id, ai.c.project_id, ai.c.department_id,
                ai.c.gap_promised_on, _title(ai.c.name, literal("（容缺材料）· "), p.c.name),
                item_from,
                [active_project, ai.c.status == ItemStatus.ACCEPTED_WITH_GAPS.name,
                 ai.c.gap_promised_on.isnot(None)]),
        _Source(CardSubject.WORK_ORDER, wo.c.id, wo.c.project_id, wo.c.org_unit_id,
                wo.c.reply_due_on, func.substr(wo.c.title, 1, 255),
                wo.join(p, p.c.id == wo.c.project_id).join(r, r.c.id == p.c.region_id),
                [active_project, wo.c.status.in_([s.name for s in _WO_ACTIVE])]),
        # 协调推进 waiting for its owners' replies (app/services/coordination.py).
        _Source(CardSubject.COORDINATION, cr.c.id, cr.c.project_id, cast(null(), Integer),
                cr.c.due_on, _title(cr.c.title, literal(" · "), p.c.name),
                cr.join(p, p.c.id == cr.c.project_id).join(r, r.c.id == p.c.region_id),
                [active_project, cr.c.status == CoordinationStatus.OPEN.name]),
    ]


def _frozen(source: _Source, card_subject_id) -> object | None:
    """Objects whose cards stay as they are: items in 补正 (clock stopped)."""
    if source.subject is not CardSubject.ITEM:
        return None
    ai = ApprovalItem.__table__
    return exists().where(ai.c.id == card_subject_id,
                          ai.c.status == ItemStatus.CORRECTING.name)


def _level_condition(source: _Source, level: CardLevel, today: dt.date, limits: dict):
    overdue_before = last_working_day(today)
    if level is CardLevel.RED:
        return source.deadline < overdue_before
    r = Region.__table__
    default = limits.get(2) or yellow_limit(today, 2)
    limit = case({n: literal(d, Date) for n, d in limits.items()}, value=r.c.warning_days,
                 else_=literal(default, Date)) if limits else literal(default, Date)
    return and_(source.deadline >= overdue_before, source.deadline < limit)


# -- the scan ----------------------------------------------------------------------------------
def scan(session: Session, today: dt.date | None = None) -> ScanResult:
    """Raise and clear cards for ``today`` (Beijing date); the caller commits."""
    today = today or clock.today()
    with _batch_plans(session):
        return _scan(session, today)


@contextmanager
def _batch_plans(session: Session):
    """Hash joins for the scan's statements on PostgreSQL. Each one reads a whole table
    against cards the same scan has just inserted, which the planner's statistics do not
    know yet; a nested loop chosen on a "1 row" estimate costs seconds over 100k items."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(text("SHOW enable_nestloop")).scalar()
    session.execute(text("SET LOCAL enable_nestloop = off"))
    yield
    # Back to the setting before for the rest of the transaction (a failed scan's rollback
    # undoes SET LOCAL by itself).
    session.execute(text("SET LOCAL enable_nestloop = " + ("on" if before == "on" else "off")))


def _scan(session: Session, today: dt.date) -> ScanResult:
    now = utcnow()
    result = ScanResult(today)
    ns = set(session.scalars(select(Region.warning_days).distinct())) | {2}
    limits = {n: yellow_limit(today, n) for n in ns}
    wc = WarningCard.__table__
    new_ids: list[int] = []
    for source in _sources():
        for level in (CardLevel.RED, CardLevel.YELLOW):
            qualifies = [*source.where, _level_condition(source, level, today, limits)]
            ids = _raise(session, wc, source, level, qualifies, now)
            result.raised[(source.subject.name, level.name)] += len(ids)
            new_ids.extend(ids)
            result.cleared[(source.subject.name, level.name)] += _clear(
                session, wc, source, level, qualifies, now)
    # Innovation-measure steps that overrun their time limit (docs/domain.md) feed the same
    # cards, notified below with the rest.
    from app.workflow.cards import raise_workflow_cards

    new_ids += raise_workflow_cards(session, today, result=result, notify=False)["raised_ids"]
    # Projects still without a lead assistant (对接需求, app/services/intake_cards.py).
    from .intake_cards import raise_intake_cards

    intake_ids, intake_cleared = raise_intake_cards(session, today, now)
    new_ids += intake_ids
    result.raised[(CardSubject.INTAKE.name, CardLevel.RED.name)] += len(intake_ids)
    result.cleared[(CardSubject.INTAKE.name, CardLevel.RED.name)] += intake_cleared
    # 每日报送: assistants without a work log (app/services/daily_reports.py).
    from .daily_reports import scan as scan_daily_reports

    daily_ids, daily_cleared, _reminders = scan_daily_reports(session, today, now)
    new_ids += daily_ids
    result.raised[(CardSubject.DAILY_REPORT.name, CardLevel.RED.name)] += len(daily_ids)
    result.cleared[(CardSubject.DAILY_REPORT.name, CardLevel.RED.name)] += daily_cleared
    # Meeting decisions: reminders before they fall due, a card once overdue
    # (app/services/decision_cards.py).
    from .decision_cards import raise_decision_cards

    decision_ids, decision_cleared, decision_notices = raise_decision_cards(session, today, now)
    new_ids += decision_ids
    result.raised[(CardSubject.DECISION.name, CardLevel.RED.name)] += len(decision_ids)
    result.cleared[(CardSubject.DECISION.name, CardLevel.RED.name)] += decision_cleared
    result.raised_ids = new_ids
    result.notifications = notify_cards(session, new_ids, now)
    result.notifications += decision_notices
    return result


def _raise(session, wc, source: _Source, level: CardLevel, qualifies, now) -> list[int]:
    active_card = exists().where(wc.c.subject == source.subject.name,
                                 wc.c.subject_id == source.key,
                                 wc.c.level == level.name, wc.c.cleared_at.is_(None))
    rows = (select(literal(source.subject.name, String(40)).label("subject"),
                   source.key.label("subject_id"),
                   literal(level.name, String(40)).label("level"),
                   source.project_id.label("project_id"), source.org_unit_id.label("org_unit_id"),
                   source.title.label("title"), source.deadline.label("due_on"),
                   literal(now, DateTime).label("raised_at"),
                   literal(now, DateTime).label("created_at"),
                   literal(now, DateTime).label("updated_at"))
            .select_from(source.from_).where(*qualifies, ~active_card)
            # One order for every scan: concurrent scans meet on the same first key and
            # wait for each other instead of deadlocking.
            .order_by(source.key))
    insert = dialect_insert(session, wc).from_select(
        ["subject", "subject_id", "level", "project_id", "org_unit_id", "title", "due_on",
         "raised_at", "created_at", "updated_at"], rows)
    excluded = insert.excluded
    stmt = insert.on_conflict_do_update(
        index_elements=["subject", "subject_id", "part", "level"],
        # A cleared card whose object qualifies again is raised again (same row).
        set_={"cleared_at": null(), "raised_at": excluded.raised_at, "due_on": excluded.due_on,
              "title": excluded.title, "project_id": excluded.project_id,
              "org_unit_id": excluded.org_unit_id, "updated_at": excluded.updated_at},
        where=wc.c.cleared_at.isnot(None),
    ).returning(wc.c.id)
    return list(session.execute(stmt).scalars())


def _clear(session, wc, source: _Source, level: CardLevel, qualifies, now) -> int:
    still = exists(select(literal(1)).select_from(source.from_)
                   .where(*qualifies, source.key == wc.c.subject_id))
    conds = [wc.c.subject == source.subject.name, wc.c.level == level.name,
             wc.c.cleared_at.is_(None), ~still]
    frozen = _frozen(source, wc.c.subject_id)
    if frozen is not None:
        conds.append(~frozen)
    stmt = (update(wc).where(*conds).values(cleared_at=now, updated_at=now)
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount or 0


def open_cards_count(session: Session, project_id: int) -> int:
    return session.scalar(select(func.count()).select_from(WarningCard).where(
        WarningCard.project_id == project_id, WarningCard.cleared_at.is_(None))) or 0
