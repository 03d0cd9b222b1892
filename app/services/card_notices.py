"""Who hears about a card, and the working-day thresholds cards are measured against.

Shared by the card scan (``app.services.warnings``) and the innovation measures' cards
(``app.workflow.cards``), which the scan calls: kept apart so neither imports the other.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Select, String, Subquery, case, cast, func, literal, select, union
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import AppUser, CardLevel, CardSubject, Project, ProjectAssistant, WarningCard
from app.security import roles

from . import calendar
from .notifications import add_deliveries, channels, chunks, dialect_insert

CARD_LINK = "/warningcardview/show/"
_CHUNK = 20000


# -- working-day thresholds ---------------------------------------------------------------
def is_working_day(day: dt.date) -> bool:
    # Through add_working_days only, so the holiday calendar decides.
    return calendar.add_working_days(day - dt.timedelta(days=1), 1) == day


def last_working_day(today: dt.date) -> dt.date:
    """The latest working day on or before ``today``: a deadline before it is overdue
    (``working_days_between(deadline, today) > 0``)."""
    day = today
    for _ in range(60):
        if is_working_day(day):
            return day
        day -= dt.timedelta(days=1)
    return day


def yellow_limit(today: dt.date, n: int) -> dt.date:
    """A deadline before this date is within ``n`` working days of ``today``
    (``working_days_between(today, deadline) <= n``)."""
    return calendar.add_working_days(today, max(n, 0) + 1)


# -- who hears about it ----------------------------------------------------------------------
def role_user_ids(role_name: str) -> Select:
    """SELECT user id of the active users holding a role (FAB's user-role table)."""
    from flask_appbuilder.security.sqla.models import Role, assoc_user_role

    u, ur, rl = AppUser.__table__, assoc_user_role, Role.__table__
    return (select(u.c.id, u.c.region_id, u.c.org_unit_id)
            .select_from(u.join(ur, ur.c.user_id == u.c.id).join(rl, rl.c.id == ur.c.role_id))
            .where(rl.c.name == role_name, u.c.active.is_(True)))


def dispatcher_ids(session: Session, region_id: int) -> list[int]:
    q = role_user_ids(roles.DISPATCHER).subquery()
    return list(session.scalars(select(q.c.id).where(q.c.region_id == region_id)))


def unit_officer_ids(session: Session, org_unit_id: int) -> list[int]:
    q = role_user_ids(roles.DEPARTMENT).subquery()
    return list(session.scalars(select(q.c.id).where(q.c.org_unit_id == org_unit_id)))


def project_recipients() -> Subquery:
    """(project_id, user_id): the project's assistants and its region's dispatchers."""
    pa, p, u = ProjectAssistant.__table__, Project.__table__, AppUser.__table__
    d = role_user_ids(roles.DISPATCHER).subquery()
    assistants = (select(pa.c.project_id, pa.c.user_id)
                  .select_from(pa.join(u, u.c.id == pa.c.user_id)).where(u.c.active.is_(True)))
    dispatchers = (select(p.c.id.label("project_id"), d.c.id.label("user_id"))
                   .select_from(p.join(d, d.c.region_id == p.c.region_id)))
    return union(assistants, dispatchers).subquery()


def _label_case(column, enum_cls):
    return case({m.name: literal(str.__str__(m.value)) for m in enum_cls}, value=column,
                else_=literal(""))


def notify_cards(session: Session, card_ids: list[int], now: dt.datetime | None = None) -> int:
    """In-app notifications (and deliveries) for newly raised cards, set-based."""
    from app.models import Notification

    if not card_ids:
        return 0
    now = now or utcnow()
    wc, n = WarningCard.__table__, Notification.__table__
    rec = project_recipients()
    due_text = func.coalesce(cast(wc.c.due_on, String), literal(""))
    title = func.substr(literal("【") + _label_case(wc.c.level, CardLevel) + literal("·")
                        + _label_case(wc.c.subject, CardSubject) + literal("】") + wc.c.title,
                        1, 255)
    body = (_label_case(wc.c.subject, CardSubject) + literal("期限：") + due_text
            + case((wc.c.level == CardLevel.RED.name, literal("，已超期。")),
                   else_=literal("，即将到期。")))
    created = 0
    returning = bool(channels())  # the new ids are needed only to add deliveries
    for chunk in chunks(card_ids, _CHUNK):
        rows = (select(rec.c.user_id, literal("card:") + cast(wc.c.id, String) + literal(":")
                       + due_text, title, body,
                       literal(CARD_LINK) + cast(wc.c.id, String), literal(now, DateTime))
                .select_from(wc.join(rec, rec.c.project_id == wc.c.project_id))
                .where(_id_in(session, wc.c.id, chunk))
                .order_by(rec.c.user_id, wc.c.id))
        stmt = (dialect_insert(session, n)
                .from_select(["user_id", "event_key", "title", "body", "link", "created_at"],
                             rows)
                .on_conflict_do_nothing(index_elements=["user_id", "event_key"]))
        if returning:
            ids = list(session.execute(stmt.returning(n.c.id)).scalars())
            created += len(ids)
            add_deliveries(session, ids, now)
        else:
            created += session.execute(
                stmt.execution_options(preserve_rowcount=True)).rowcount or 0
    return created


def _id_in(session: Session, column, ids: list[int]):
    """``column IN ids``: one array parameter on PostgreSQL, a list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import Integer, any_
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(ids), ARRAY(Integer)))
    return column.in_(ids)
