"""Supervision work orders (工单督办): dispatch, reply, close, send back, escalate.

Every action is one transaction (the caller commits), locks the work order row, checks the
user's role, scope and the order's state, writes a ``WorkOrderStep`` (the audit hook records
every row change besides) and notifies whoever must act next. Wrong roles and wrong states
are refused with a ``WorkOrderError`` whose message tells the user why.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.clock import utcnow
from app.models import (
    AppUser,
    OrgUnit,
    Region,
    WarningCard,
    WorkOrder,
    WorkOrderStatus,
    WorkOrderStep,
)
from app.security import roles
from app.security.scope import Scope, role_names

from . import calendar
from .notifications import notify
from .warnings import WORK_ORDER_LINK, dispatcher_ids, last_working_day, unit_officer_ids

DISPATCH, REPLY, RETURN, CLOSE, ESCALATE = "dispatch", "reply", "return", "close", "escalate"
STEP_LABELS = {DISPATCH: _("Dispatched"), REPLY: _("Replied"), RETURN: _("Sent back"),
               CLOSE: _("Closed"), ESCALATE: _("Escalated")}
OPEN_STATES = (WorkOrderStatus.OPEN, WorkOrderStatus.RETURNED)


class WorkOrderError(Exception):
    """A refused work-order action; ``str(err)`` is the message for the user."""

    def __init__(self, message: str | LazyString, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(WorkOrderError):
    """The user's role or unit may not take this action."""


class WrongState(WorkOrderError):
    """The work order (or card) is not in a state that allows the action."""


class InvalidInput(WorkOrderError):
    """A value the action needs is missing or wrong."""


class NotFound(WorkOrderError):
    """No such object in the user's scope (shown as 404 by the screens)."""


# -- who may do what ------------------------------------------------------------------------
def _names(user) -> set[str]:
    return role_names(user)


def can_manage(user: AppUser) -> bool:
    """Dispatch, close, send back: the roles that write work orders (调度员)."""
    names = _names(user)
    return roles.SYSTEM_ADMIN in names or any(
        roles.WORK_ORDER in roles.ROLES_BY_NAME[n].writes for n in names if n in roles.ROLES_BY_NAME)


def can_reply(user: AppUser, work_order: WorkOrder | None = None) -> bool:
    """Reply: an officer of the unit the work order was sent to (审批部门 with can_reply)."""
    names = _names(user)
    allowed = any(("can_reply", roles.WORK_ORDER) in roles.ROLES_BY_NAME[n].extra
                  for n in names if n in roles.ROLES_BY_NAME)
    if not allowed or user.org_unit_id is None:
        return False
    return work_order is None or user.org_unit_id == work_order.org_unit_id


def _visible(session: Session, user, model, obj_id: int):
    cond = Scope(user).condition(model)
    stmt = select(model).where(model.id == obj_id)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalars(stmt).first()


def _load(session: Session, wo_id: int, user) -> WorkOrder:
    """The work order, locked for this transaction, if the user may see it."""
    if _visible(session, user, WorkOrder, wo_id) is None:
        raise NotFound(_("No such work order."))
    return session.scalars(select(WorkOrder).where(WorkOrder.id == wo_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _step(session: Session, wo: WorkOrder, action: str, user=None, comment=None) -> WorkOrderStep:
    step = WorkOrderStep(work_order=wo, action=action, at=utcnow(),
                         user_id=getattr(user, "id", None),
                         username=getattr(user, "username", None) or "system",
                         comment=comment)
    session.add(step)
    session.flush()
    return step


def _text(value) -> str:
    return (value or "").strip()


def _check_deadline(reply_due_on, today: dt.date) -> dt.date:
    if not isinstance(reply_due_on, dt.date):
        raise InvalidInput(_("Please give a reply deadline."), "reply_due_on")
    if isinstance(reply_due_on, dt.datetime):
        reply_due_on = reply_due_on.date()
    if reply_due_on < today:
        raise InvalidInput(_("The reply deadline cannot be in the past."), "reply_due_on")
    return reply_due_on


def _link(wo: WorkOrder) -> str:
    return f"{WORK_ORDER_LINK}{wo.id}"


def default_reply_days() -> int:
    value = current_app.config.get("WORK_ORDER_REPLY_DAYS") if has_app_context() else None
    return int(value or 3)


def default_deadline(today: dt.date | None = None) -> dt.date:
    return calendar.add_working_days(today or clock.today(), default_reply_days())


# -- actions ------------------------------------------------------------------------------------
def dispatch(session: Session, card_id: int, org_unit_id: int, reply_due_on: dt.date,
             request: str, user: AppUser, today: dt.date | None = None) -> WorkOrder:
    """Turn a card into a work order for a unit (调度员)."""
    today = today or clock.today()
    if not can_manage(user):
        raise NotAllowed(_("Only a dispatcher can dispatch a work order."))
    card = _visible(session, user, WarningCard, card_id)
    if card is None:
        raise NotFound(_("No such warning card."))
    card = session.scalars(select(WarningCard).where(WarningCard.id == card_id)
                           .with_for_update().execution_options(populate_existing=True)).one()
    if card.cleared_at is not None:
        raise WrongState(_("This card has been cleared; there is nothing to supervise."))
    busy = session.scalar(select(WorkOrder.id).where(
        WorkOrder.card_id == card.id, WorkOrder.status != WorkOrderStatus.CLOSED))
    if busy is not None:
        raise WrongState(_("This card already has a work order that is not closed."))
    unit = _visible(session, user, OrgUnit, org_unit_id) if org_unit_id else None
    if unit is None:
        raise InvalidInput(_("Please choose a unit within your region."), "org_unit")
    reply_due_on = _check_deadline(reply_due_on, today)
    request = _text(request)
    if not request:
        raise InvalidInput(_("Please say what the unit must do."), "request")
    project = card.project
    wo = WorkOrder(card=card, project=project, org_unit=unit, region_id=project.region_id,
                   title=card.title, request=request, reply_due_on=reply_due_on,
                   status=WorkOrderStatus.OPEN, escalation_count=0,
                   created_by_id=getattr(user, "id", None))
    session.add(wo)
    session.flush()
    record_dispatch(session, wo, user)
    return wo


def record_dispatch(session: Session, wo: WorkOrder, user: AppUser | None,
                    heading: str = "工单") -> None:
    """A new work order's dispatch step and the notice to its unit's officers (for a
    card's work order and for a 催办 raised by hand, app/services/urges.py)."""
    _step(session, wo, DISPATCH, user, wo.request)
    notify(session, unit_officer_ids(session, wo.org_unit_id), f"wo:{wo.id}:dispatch",
           f"【{heading}】{wo.title}"[:255],
           f"{wo.request}\n回复期限：{wo.reply_due_on.isoformat()}", _link(wo))


def reply(session: Session, wo_id: int, text: str, user: AppUser) -> WorkOrder:
    """The unit answers the work order (审批部门 of that unit)."""
    wo = _load(session, wo_id, user)
    if not can_reply(user, wo):
        raise NotAllowed(_("Only an officer of the unit the work order was sent to can reply."))
    if wo.status not in OPEN_STATES:
        raise WrongState(_("This work order is not waiting for a reply."))
    text = _text(text)
    if not text:
        raise InvalidInput(_("Please write the reply."), "reply")
    wo.reply, wo.replied_at, wo.status = text, utcnow(), WorkOrderStatus.REPLIED
    step = _step(session, wo, REPLY, user, text)
    recipients = set(dispatcher_ids(session, wo.region_id))
    if wo.created_by_id:
        recipients.add(wo.created_by_id)
    notify(session, recipients, f"wo:{wo.id}:reply:{step.id}",
           f"【工单已回复】{wo.title}"[:255], text, _link(wo))
    return wo


def close(session: Session, wo_id: int, user: AppUser, comment: str | None = None
          ) -> WorkOrder:
    """The dispatcher accepts the reply and closes the work order."""
    if not can_manage(user):
        raise NotAllowed(_("Only a dispatcher can close a work order."))
    wo = _load(session, wo_id, user)
    if wo.status != WorkOrderStatus.REPLIED:
        raise WrongState(_("Only a replied work order can be closed."))
    wo.status, wo.closed_at = WorkOrderStatus.CLOSED, utcnow()
    step = _step(session, wo, CLOSE, user, _text(comment) or None)
    notify(session, unit_officer_ids(session, wo.org_unit_id), f"wo:{wo.id}:close:{step.id}",
           f"【工单已办结】{wo.title}"[:255], _text(comment) or None, _link(wo))
    return wo


def send_back(session: Session, wo_id: int, comment: str, reply_due_on: dt.date, user: AppUser,
              today: dt.date | None = None) -> WorkOrder:
    """The dispatcher is not satisfied: back to the unit with a reason and a new deadline."""
    today = today or clock.today()
    if not can_manage(user):
        raise NotAllowed(_("Only a dispatcher can send a work order back."))
    wo = _load(session, wo_id, user)
    if wo.status != WorkOrderStatus.REPLIED:
        raise WrongState(_("Only a replied work order can be sent back."))
    comment = _text(comment)
    if not comment:
        raise InvalidInput(_("Please say why the reply is sent back."), "comment")
    wo.reply_due_on = _check_deadline(reply_due_on, today)
    wo.status = WorkOrderStatus.RETURNED
    step = _step(session, wo, RETURN, user, comment)
    notify(session, unit_officer_ids(session, wo.org_unit_id), f"wo:{wo.id}:return:{step.id}",
           f"【工单退回】{wo.title}"[:255],
           f"{comment}\n回复期限：{wo.reply_due_on.isoformat()}", _link(wo))
    return wo


def escalate_overdue(session: Session, today: dt.date | None = None) -> list[int]:
    """Move each open/returned work order past its reply deadline one level up the region
    tree (县 → 市), with a new deadline. Safe to run twice: the new deadline is not overdue,
    and concurrent runs lock the same rows (the second sees the new deadline)."""
    today = today or clock.today()
    overdue_before = last_working_day(today)
    new_due = calendar.add_working_days(today, default_reply_days())
    stmt = (select(WorkOrder).where(WorkOrder.status.in_(OPEN_STATES),
                                    WorkOrder.reply_due_on < overdue_before)
            .order_by(WorkOrder.id).with_for_update()
            .execution_options(populate_existing=True))
    escalated = []
    for wo in session.scalars(stmt).all():
        if wo.status not in OPEN_STATES or not wo.reply_due_on < overdue_before:
            continue
        current = session.get(Region, wo.region_id)
        parent = current.parent if current is not None else None
        if parent is None:
            continue  # already at the top (the city): the red card stays up
        old_due = wo.reply_due_on
        wo.region_id, wo.reply_due_on = parent.id, new_due
        wo.escalation_count = (wo.escalation_count or 0) + 1
        step = _step(session, wo, ESCALATE, None,
                     f"{current.name} → {parent.name}：回复期限 {old_due.isoformat()} 已过，"
                     f"新期限 {new_due.isoformat()}")
        notify(session, dispatcher_ids(session, parent.id), f"wo:{wo.id}:escalate:{step.id}",
               f"【工单升级督办】{wo.title}"[:255],
               f"{current.name}未在 {old_due.isoformat()} 前回复，已升级至{parent.name}。"
               f"新回复期限：{new_due.isoformat()}", _link(wo))
        notify(session, unit_officer_ids(session, wo.org_unit_id),
               f"wo:{wo.id}:escalate-unit:{step.id}", f"【工单已升级】{wo.title}"[:255],
               f"回复已超期，工单升级至{parent.name}督办。新回复期限：{new_due.isoformat()}",
               _link(wo))
        escalated.append(wo.id)
    return escalated


def step_label(action: str) -> str:
    label = STEP_LABELS.get(action)
    return str(label) if label is not None else action


__all__ = ["dispatch", "record_dispatch", "reply", "close", "send_back", "escalate_overdue",
           "WorkOrderError", "NotAllowed", "WrongState", "InvalidInput", "NotFound",
           "can_manage", "can_reply"]
