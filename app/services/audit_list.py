"""The audit trail's list: filters, keyset pages and a capped count, fast at millions of rows.

Pages go newest first by (at, id) and are addressed by a cursor (the last row's at and
id), not by an OFFSET: the 40th page costs what the first does. The count stops at
``COUNT_CAP`` (+1 read to know there are more: "10,000+"); an exact count of 2,000,000
rows would cost more than the page. Every filter has an index ending in (at, id)
(migration a7c3e9d2b815), and a user search looks the person up in the user table first
and then reads that user's rows by index (it never scans the trail for a name).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from app import clock
from app.models import AppUser, AuditRecord
from app.security.scope import Scope, scoped

from . import people

COUNT_CAP = 10_000
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# At most this many accounts match one user search (by account or name).
MAX_MATCHED_USERS = 50


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    user: str | None = None  # an account or part of a person's name
    since: dt.date | None = None  # Beijing days, both inclusive
    until: dt.date | None = None
    model: str | None = None
    object_id: str | None = None


@dataclass
class AuditPage:
    rows: list[tuple[AuditRecord, str | None]]  # the record and the actor's name now
    count: int  # up to COUNT_CAP
    capped: bool  # more rows than COUNT_CAP
    next_cursor: str | None = None
    prev_cursor: str | None = None
    size: int = PAGE_SIZE
    filters: AuditFilter = field(default_factory=AuditFilter)


def cursor_of(record: AuditRecord) -> str:
    return f"{record.at.isoformat()}_{record.id}"


def parse_cursor(text: str | None) -> tuple[dt.datetime, int] | None:
    """``2026-12-01T02:12:05.123456_42`` → (at, id); None for anything else."""
    if not text or "_" not in text:
        return None
    at, _sep, rid = text.rpartition("_")
    try:
        return dt.datetime.fromisoformat(at), int(rid)
    except ValueError:
        return None


def _beijing_midnight_utc(day: dt.date) -> dt.datetime:
    start = dt.datetime.combine(day, dt.time(), tzinfo=clock.BEIJING)
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def matching_user_ids(session: Session, text: str) -> list[int]:
    """Accounts whose login name or person name contains ``text`` (the user table is
    small; the trail itself is then read by ``user_id``)."""
    pattern = f"%{text}%"
    return list(session.scalars(
        select(AppUser.id).where(or_(AppUser.username.ilike(pattern),
                                     people.person_name_sql().ilike(pattern)))
        .order_by(AppUser.id).limit(MAX_MATCHED_USERS)))


def actor_names(session: Session, user_ids: list[int | None]) -> dict[int, str]:
    """The person names (now) of the accounts that acted."""
    ids = {uid for uid in user_ids if uid is not None}
    if not ids:
        return {}
    return dict(session.execute(select(AppUser.id, people.person_name_sql())
                                .where(AppUser.id.in_(ids))).all())


def conditions(session: Session, filters: AuditFilter) -> list:
    """The WHERE clauses of ``filters`` (each one served by an index ending in at, id)."""
    t = AuditRecord.__table__.c
    where = []
    if filters.action:
        where.append(t.action == filters.action)
    if filters.user:
        ids = matching_user_ids(session, filters.user)
        # An account nobody has (a failed login with a made-up name) is matched exactly.
        by_name = t.username == filters.user
        where.append(or_(t.user_id.in_(ids), by_name) if ids else by_name)
    if filters.since:
        where.append(t.at >= _beijing_midnight_utc(filters.since))
    if filters.until:
        where.append(t.at < _beijing_midnight_utc(filters.until + dt.timedelta(days=1)))
    if filters.model:
        where.append(t.model == filters.model)
        if filters.object_id:
            where.append(t.object_id == filters.object_id)
    return where


def capped_count(session: Session, where: list, scope: Scope | None = None) -> tuple[int, bool]:
    """How many rows match, counting no further than ``COUNT_CAP`` (+1 to know it is more)."""
    inner = scoped(select(AuditRecord.id).where(*where), AuditRecord, scope).limit(COUNT_CAP + 1)
    n = session.scalar(select(func.count()).select_from(inner.subquery()))
    return min(n, COUNT_CAP), n > COUNT_CAP


def page(session: Session, filters: AuditFilter, *, before: str | None = None,
         after: str | None = None, size: int = PAGE_SIZE, scope: Scope | None = None
         ) -> AuditPage:
    """One page of the trail newest first: the first, the one older than ``before`` or the
    one newer than ``after`` (cursors of ``cursor_of``), with the actors' names joined in.
    The signed-in user's data scope applies (only the auditor reads the trail)."""
    size = max(1, min(int(size or PAGE_SIZE), MAX_PAGE_SIZE))
    where = conditions(session, filters)
    count, capped = capped_count(session, where, scope)
    key = tuple_(AuditRecord.at, AuditRecord.id)
    stmt = scoped(select(AuditRecord, people.person_name_sql())
                  .outerjoin(AppUser, AppUser.id == AuditRecord.user_id)
                  .where(*where), AuditRecord, scope)
    newer = parse_cursor(after) if not before else None
    older = parse_cursor(before)
    if newer is not None:
        stmt = stmt.where(key > tuple_(*newer)).order_by(AuditRecord.at.asc(),
                                                          AuditRecord.id.asc())
    else:
        if older is not None:
            stmt = stmt.where(key < tuple_(*older))
        stmt = stmt.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
    rows = [(record, name) for record, name in session.execute(stmt.limit(size + 1))]
    more = len(rows) > size
    rows = rows[:size]
    if newer is not None:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = older is not None, more
    result = AuditPage(rows=rows, count=count, capped=capped, size=size, filters=filters)
    if rows and has_older:
        result.next_cursor = cursor_of(rows[-1][0])
    if rows and has_newer:
        result.prev_cursor = cursor_of(rows[0][0])
    return result
