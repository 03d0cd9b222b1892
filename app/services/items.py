"""The one way an approval item (审批事项) changes state, and the rule every flush keeps.

Screens, the API, plugin effects, imports and the demo change items through ``accept``,
``finish`` and ``supply_gaps``, or by setting columns and letting the session flush; either
way ``install`` registers a ``before_flush`` rule that, for every item written:

* refuses an inconsistent state with a ``DomainValidationError`` naming the field (an
  accepted, correcting, gap-accepted or finished item needs 受理日期; a finished one needs
  办结日期; dates in order — ``app.services.rules.ITEM_RULES``);
* keeps ``due_on`` what ``app.services.deadlines`` says: derived from the acceptance date,
  the time limit and the 补正 pauses. A date typed by hand (a legal extension) is kept
  while the item has no corrections; once it has, the corrections rule wins;
* keeps the 补正中 status in step with the item's open corrections.

Measures find items by their stable ``code`` (``app.services.item_codes``), never by name.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.models import ApprovalItem, ItemCorrection, ItemStatus
from app.models.approvals import ITEM_DONE_STATUSES

from . import deadlines
from .rules import ITEM_RULES, check_object

DONE = ITEM_DONE_STATUSES
# The calendar a flush computes due dates with, when a command has one newer than the
# cache (a calendar edit not yet committed): ``session.info[CALENDAR_KEY]``.
CALENDAR_KEY = deadlines.CALENDAR_KEY


# -- commands on one item ------------------------------------------------------------------
def accept(item: ApprovalItem, on: dt.date, *, gap_materials: str | None = None,
           gap_promised_on: dt.date | None = None) -> None:
    """受理 on ``on`` (容缺受理 when ``gap_materials`` are missing). An item accepted
    already keeps its acceptance date. The due date follows at the flush."""
    if item.accepted_on is None or item.status == ItemStatus.NOT_STARTED:
        item.accepted_on = on
        item.due_on = None  # derived again from the new acceptance date
    if gap_materials:
        item.status = ItemStatus.ACCEPTED_WITH_GAPS
        item.gap_materials = gap_materials
        item.gap_promised_on = gap_promised_on
    elif item.status not in (ItemStatus.CORRECTING, ItemStatus.ACCEPTED_WITH_GAPS):
        item.status = ItemStatus.ACCEPTED


def supply_gaps(item: ApprovalItem) -> None:
    """The missing materials of a 容缺受理 arrived: the item is plainly accepted."""
    item.gap_materials = None
    item.gap_promised_on = None
    if item.status == ItemStatus.ACCEPTED_WITH_GAPS:
        item.status = ItemStatus.ACCEPTED


def finish(item: ApprovalItem, on: dt.date, *, result: str | None = None,
           certificate_no: str | None = None) -> None:
    """办结 on ``on``. An item never accepted (or accepted later) is taken as accepted the
    same day, so its dates stay in order."""
    if item.accepted_on is None or item.accepted_on > on:
        item.accepted_on = on
        item.due_on = None
    item.status = ItemStatus.FINISHED
    item.finished_on = on
    if result and not item.result:
        item.result = result[:255]
    if certificate_no and not item.certificate_no:
        item.certificate_no = certificate_no[:100]


# -- finding items by code -------------------------------------------------------------------
def with_codes(session: Session, project_id: int, codes: Iterable[str],
               statuses: Iterable[ItemStatus] | None = None,
               exclude: Iterable[ItemStatus] = ()) -> list[ApprovalItem]:
    """The project's items carrying one of ``codes`` (in id order), optionally only those
    in ``statuses`` or not in ``exclude``."""
    stmt = select(ApprovalItem).where(ApprovalItem.project_id == project_id,
                                      ApprovalItem.code.in_(tuple(codes)))
    if statuses is not None:
        stmt = stmt.where(ApprovalItem.status.in_(tuple(statuses)))
    exclude = tuple(exclude)
    if exclude:
        stmt = stmt.where(ApprovalItem.status.notin_(exclude))
    return list(session.scalars(stmt.order_by(ApprovalItem.id)))


def finished_with_codes(session: Session, project_id: int, codes: Iterable[str]
                        ) -> list[ApprovalItem]:
    return with_codes(session, project_id, codes, statuses=(ItemStatus.FINISHED,))


def open_with_codes(session: Session, project_id: int, codes: Iterable[str]
                    ) -> list[ApprovalItem]:
    """Not yet finished, refused or withdrawn."""
    return with_codes(session, project_id, codes, exclude=DONE)


# -- the flush rule --------------------------------------------------------------------------
def enforce(session: Session, item: ApprovalItem, corrections_changed: bool = False) -> None:
    """Derive what the item derives and check its rules (raises DomainValidationError)."""
    with session.no_autoflush:
        corrections = [c for c in deadlines.corrections_of(item) if c not in session.deleted]
        if corrections_changed:
            deadlines.sync_correction_status(item, corrections)
        if corrections and item.accepted_on is not None and item.time_limit_days is not None:
            due = deadlines.compute_due_on(item, corrections, session.info.get(CALENDAR_KEY))
            if item.due_on != due:
                item.due_on = due
        else:
            deadlines.fill_due_on(item, session.info.get(CALENDAR_KEY))
        check_object(ITEM_RULES, item)


def _items_to_check(session: Session) -> dict[int, tuple[ApprovalItem, bool]]:
    out: dict[int, tuple[ApprovalItem, bool]] = {}
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, ApprovalItem):
            if obj in session.new or session.is_modified(obj, include_collections=False):
                out.setdefault(id(obj), (obj, False))
        elif isinstance(obj, ItemCorrection):
            item = obj.item
            if item is not None:
                out[id(item)] = (item, True)
    for obj in session.deleted:
        if isinstance(obj, ItemCorrection):
            item = obj.item
            if item is not None and item not in session.deleted:
                out[id(item)] = (item, True)
    return out


def _before_flush(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        todo = _items_to_check(session)
    for item, corrections_changed in todo.values():
        if item in session.deleted:
            continue
        enforce(session, item, corrections_changed)


def install(session_factory: Any) -> None:
    """Attach the rule to every session the factory makes (idempotent)."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
