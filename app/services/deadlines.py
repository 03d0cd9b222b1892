"""Due dates of approval items in working days, with 补正 (correction) pauses.

The rules (docs/domain.md, issue 3):

* **Start.** The day an item is accepted (``accepted_on``) does not count; its time
  limit runs over the working days after it. ``time_limit_days == 0`` means due on the
  day of acceptance.
* **补正 pause.** A correction requested on day R and received on day V stops the
  clock for every day from R to V, both included: neither the day the corrections are
  asked for nor the day they arrive counts, and counting resumes on the first working
  day after V (the arrival day plays the part of a new acceptance day). Working days
  counted before R stay counted (the clock pauses, it is not reset). Overlapping pauses
  count once.
* **Open correction.** While a correction has no ``received_on`` the item is paused
  and its due date is undetermined (``None``) — unless the time limit already ran out
  before R: asking for corrections after the due date does not excuse the delay, the
  due date stays and the item stays overdue.
* A correction that ended before the acceptance (or a part of it before) changes
  nothing; one that began before and ends after it pauses the clock until it ends.

Remaining and overdue working days are read from the stored ``due_on`` (kept up to date
by every save), so lists and scans need no extra query per row:

* ``remaining_working_days(item, today)``: for an open item with a due date,
  ``working_days_between(today, due_on)`` when it is not negative: the working days
  ``x`` with ``today < x <= due_on``; 0 on the due day and on the weekend or holidays
  right after it (no working day lost yet). None when overdue or not applicable.
* ``overdue_working_days(item, today)``: for an open item, the working days ``x`` with
  ``due_on < x <= today`` when there is at least one (the red-card rule of the warning
  scan); else None.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.models import ApprovalItem, CalendarDay, ItemCorrection, ItemStatus

from . import calendar
from .calendar import CalendarSnapshot

Pause = tuple[dt.date, dt.date | None]
# ``session.info`` key: the calendar a flush computes due dates with (see ``items``).
CALENDAR_KEY = "deadlines.calendar"


def due_date(accepted_on: dt.date, limit: int, pauses: Iterable[Pause] = (),
             cal: CalendarSnapshot | None = None) -> dt.date | None:
    """The due date of ``limit`` working days from ``accepted_on`` with ``pauses``
    (``(requested_on, received_on or None)``) not counted; None while paused."""
    cal = cal or calendar.current()
    if limit <= 0:
        return accepted_on
    cursor, left = accepted_on, limit  # days up to ``cursor`` are used up
    for start, end in sorted(pauses, key=lambda p: p[0]):
        if start > cursor:
            available = cal.working_days_between(cursor, start - dt.timedelta(days=1))
            if available >= left:
                break  # the limit runs out before this pause begins
            left -= available
        if end is None:
            return None
        cursor = max(cursor, end)
    return cal.add_working_days(cursor, left)


def corrections_of(item: ApprovalItem) -> list[ItemCorrection]:
    """The item's corrections, loaded without flushing half-built rows of the session."""
    session = sa_inspect(item).session
    if session is None:
        return list(item.corrections)
    with session.no_autoflush:
        return list(item.corrections)


def pauses_of(corrections: Iterable[ItemCorrection]) -> list[Pause]:
    return [(c.requested_on, c.received_on) for c in corrections if c.requested_on]


def compute_due_on(item: ApprovalItem, corrections: Sequence[ItemCorrection] | None = None,
                   cal: CalendarSnapshot | None = None) -> dt.date | None:
    """The item's due date under the rules above; None when it is not accepted yet,
    has no time limit, or is paused by an open correction. ``corrections`` defaults to
    ``item.corrections`` (pass a list to compute with a correction being added/removed)."""
    if item.accepted_on is None or item.time_limit_days is None:
        return None
    if corrections is None:
        corrections = corrections_of(item)
    return due_date(item.accepted_on, item.time_limit_days, pauses_of(corrections), cal)


def has_open_correction(item: ApprovalItem,
                        corrections: Sequence[ItemCorrection] | None = None) -> bool:
    corrections = corrections_of(item) if corrections is None else corrections
    return any(c.received_on is None for c in corrections)


def is_paused(item: ApprovalItem) -> bool:
    """Accepted, open, with an open correction that stops its clock (due undetermined)."""
    return (item.status is not None and item.status.is_open and item.accepted_on is not None
            and has_open_correction(item) and compute_due_on(item) is None)


def _is_open(item: ApprovalItem) -> bool:
    return item.status is not None and item.status.is_open


def signed_working_days(item: ApprovalItem, today: dt.date | None = None) -> int | None:
    """``working_days_between(today, due_on)`` for an open item with a due date: >= 0 is
    working days left, < 0 is minus the working days overdue; None otherwise."""
    if not _is_open(item) or item.due_on is None:
        return None
    return calendar.working_days_between(today or clock.today(), item.due_on)


def remaining_working_days(item: ApprovalItem, today: dt.date | None = None) -> int | None:
    left = signed_working_days(item, today)
    return left if left is not None and left >= 0 else None


def overdue_working_days(item: ApprovalItem, today: dt.date | None = None) -> int | None:
    left = signed_working_days(item, today)
    return -left if left is not None and left < 0 else None


# -- keeping the stored due_on current ------------------------------------------------
def _changed(item, name: str) -> bool:
    state = sa_inspect(item)
    return state.attrs[name].history.has_changes()


def fill_due_on(item: ApprovalItem, cal: CalendarSnapshot | None = None) -> None:
    """Before an item is saved: compute ``due_on`` when it is blank, and again when the
    acceptance date or the time limit changed and the user did not edit ``due_on`` in
    the same save. A due date the user typed in (e.g. a legal extension) is kept until
    one of those inputs or the item's corrections change."""
    if item.accepted_on is None or item.time_limit_days is None:
        return
    if item.due_on is None:
        item.due_on = compute_due_on(item, cal=cal)
        return
    if _changed(item, "due_on"):
        return  # entered by hand in this save
    if _changed(item, "accepted_on") or _changed(item, "time_limit_days"):
        item.due_on = compute_due_on(item, cal=cal)


def sync_correction_status(item: ApprovalItem,
                           corrections: Sequence[ItemCorrection] | None = None) -> None:
    """An accepted item with an open correction reads 补正中; when the last correction
    arrives it goes back to 已受理 (or 容缺受理 when materials are still missing).
    Finished, refused, withdrawn and not-started items keep their status."""
    open_now = has_open_correction(item, corrections)
    if open_now and item.status in (ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_WITH_GAPS):
        item.status = ItemStatus.CORRECTING
    elif not open_now and item.status == ItemStatus.CORRECTING:
        item.status = (ItemStatus.ACCEPTED_WITH_GAPS if item.gap_materials
                       else ItemStatus.ACCEPTED)


def corrections_changed(item: ApprovalItem, corrections: Sequence[ItemCorrection]) -> None:
    """After a correction of ``item`` was added, edited or deleted (``corrections`` is the
    item's list as it will be saved): recompute ``due_on`` — the corrections rule wins
    over a hand-entered date — and the 补正中 status. Items not accepted yet keep
    whatever due date they have."""
    if item.accepted_on is not None and item.time_limit_days is not None:
        item.due_on = compute_due_on(item, corrections)
    sync_correction_status(item, corrections)


def refresh_after_calendar_change(session: Session, days: Iterable[dt.date],
                                  before: CalendarSnapshot,
                                  after: CalendarSnapshot | None = None) -> int:
    """Recompute the due dates a calendar edit moves: open items accepted before the last
    changed day whose stored due date is on or after the first one (or undetermined).
    An item is updated only when its stored ``due_on`` is what the rule gave under the
    calendar ``before`` the edit, so a hand-entered date stays. Returns how many items
    changed; flushes, does not commit."""
    days = sorted(set(days))
    if not days:
        return 0
    after = after or calendar.load_snapshot(session)
    open_statuses = [s for s in ItemStatus if s.is_open]
    stmt = (select(ApprovalItem).options(selectinload(ApprovalItem.corrections))
            .where(ApprovalItem.status.in_(open_statuses),
                   ApprovalItem.accepted_on.is_not(None),
                   ApprovalItem.accepted_on < days[-1],
                   (ApprovalItem.due_on.is_(None)) | (ApprovalItem.due_on >= days[0])))
    changed = 0
    with session.no_autoflush:
        items = list(session.scalars(stmt))
    for item in items:
        if item.due_on != compute_due_on(item, cal=before):
            continue
        new = compute_due_on(item, cal=after)
        if new != item.due_on:
            item.due_on = new
            changed += 1
    # The item rule of the flush (app.services.items) computes with the new calendar too,
    # not with the cached one, which the edit has not reached yet.
    session.info[CALENDAR_KEY] = after
    try:
        session.flush()
    finally:
        session.info.pop(CALENDAR_KEY, None)
    return changed


def calendar_edit(session: Session, day: CalendarDay, *, deleting: bool = False) -> int:
    """The command of one edit of the holiday calendar (a day added, changed or about to be
    deleted, not yet flushed): recompute, in the caller's transaction, the due dates it
    moves, so the edit and the due dates are saved — or rolled back — together. Returns
    how many items changed; flushes the items, does not commit. The caller drops the
    cached calendar (``calendar.invalidate()``) once it has committed."""
    state = sa_inspect(day)
    old = None
    if state.persistent:
        day_hist, kind_hist = state.attrs.day.history, state.attrs.kind.history
        old = ((day_hist.deleted or day_hist.unchanged or [day.day])[0],
               (kind_hist.deleted or kind_hist.unchanged or [day.kind])[0])
    new = None if deleting else (day.day, day.kind)
    with session.no_autoflush:
        stmt = select(CalendarDay.day, CalendarDay.kind)
        if day.id is not None:
            stmt = stmt.where(CalendarDay.id != day.id)
        others = [tuple(r) for r in session.execute(stmt)]
    before = CalendarSnapshot(others + ([old] if old else []))
    after = CalendarSnapshot(others + ([new] if new else []))
    days = [pair[0] for pair in (old, new) if pair is not None]
    return refresh_after_calendar_change(session, days, before, after)
