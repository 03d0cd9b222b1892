"""催办 by hand (人工催办): a dispatcher raises a work order on an approval item (or on a
project), an assistant proposes one for the dispatcher to dispatch or decline.

A hand-raised work order is an ordinary ``WorkOrder`` with ``origin`` MANUAL, the item it
chases and a triage category (seed 003 第十五条 「分类处置、派单交办」); from then on it
follows the work-order flow of ``app.services.work_orders`` unchanged: the unit replies, the
dispatcher closes or sends it back, the daily escalation moves it up when its reply
deadline passes, and the card scan watches its deadline.

One command per write, shared by the screen, the API and the tests; each flushes, never
commits. Bad values are refused together with a ``DomainValidationError`` (a message per
field); a row outside the user's scope is ``work_orders.NotFound`` (404), a wrong role
``work_orders.NotAllowed`` and a decided proposal ``work_orders.WrongState``.

The target is a project and, optionally, one of its items or one of its coordination
requests (协调推进, not resolved) — never both. A 催办 on a request goes by default to the
request's first owner unit, or to any of its owner units.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.clock import utcnow
from app.models import (
    ApprovalItem,
    AppUser,
    CoordinationRequest,
    CoordinationStatus,
    OrgUnit,
    Project,
    ProjectStatus,
    Region,
    UrgeCategory,
    UrgeProposal,
    UrgeProposalStatus,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from app.security import roles
from app.security.scope import Scope, is_in_scope, role_names
from app.services.regions import ancestor_ids

from . import calendar, work_orders
from .errors import DomainValidationError
from .notifications import notify
from .warnings import dispatcher_ids

PROPOSAL_LINK = "/urgeproposalview/show/"
MAX_DUE_DAYS = 60  # working days: a longer wait is not a 催办
TITLE_MAX = 255
TEXT_MAX = 4000

NotFound = work_orders.NotFound
NotAllowed = work_orders.NotAllowed
WrongState = work_orders.WrongState


# -- who may --------------------------------------------------------------------------------
def can_raise(user: AppUser) -> bool:
    """Raise a work order by hand: whoever dispatches work orders (调度员)."""
    return work_orders.can_manage(user)


def can_propose(user: AppUser) -> bool:
    """Propose one to the dispatcher: an assistant (帮办员) who cannot dispatch himself."""
    return roles.ASSISTANT in role_names(user) and not can_raise(user)


# -- choices --------------------------------------------------------------------------------
def _project_regions(project: Project):
    """The project's county, its towns and the regions above it (city bureaus)."""
    county = project.region
    return or_(Region.path.like(county.path + "%"), Region.id.in_(ancestor_ids(county.path)))


def owner_unit_ids(coordination_request: CoordinationRequest | None) -> list[int]:
    """The request's owner units in their order (the company, an owner too, is no unit)."""
    if coordination_request is None:
        return []
    return [o.org_unit_id for o in coordination_request.owners if o.org_unit_id is not None]


def units_for(session: Session, user: AppUser, project: Project,
              item: ApprovalItem | None = None,
              coordination_request: CoordinationRequest | None = None) -> list[OrgUnit]:
    """The units a 催办 on ``project`` may go to: the departments and units of the project's
    region (its county, towns and the regions above) that the user sees, and always the
    item's own department or the request's owner units (a cross-county request names
    units of other counties)."""
    own_ids = ([item.department_id] if item is not None else []) + owner_unit_ids(
        coordination_request)
    where = _project_regions(project)
    cond = Scope(user).condition(OrgUnit)
    if cond is not None:
        where = where & cond
    if own_ids:
        where = or_(where, OrgUnit.id.in_(own_ids))
    stmt = (select(OrgUnit).join(Region, Region.id == OrgUnit.region_id)
            .where(where).order_by(Region.path, OrgUnit.name))
    return list(session.scalars(stmt))


def default_title(project: Project, item: ApprovalItem | None,
                  coordination_request: CoordinationRequest | None = None) -> str:
    target = item.name if item is not None else getattr(coordination_request, "title", None)
    return (f"催办：{target}（{project.name}）" if target
            else f"催办：{project.name}")[:TITLE_MAX]


def default_unit_id(item: ApprovalItem | None,
                    coordination_request: CoordinationRequest | None = None) -> int | None:
    """The unit a new 催办 goes to unless changed: the item's department, or the
    request's first owner unit."""
    if item is not None:
        return item.department_id
    return next(iter(owner_unit_ids(coordination_request)), None)


def default_due_days() -> int:
    return work_orders.default_reply_days()


# -- checking -------------------------------------------------------------------------------
def category_of(value: Any) -> UrgeCategory | None:
    """A category from a member, its name or its Chinese label; None when unknown."""
    if isinstance(value, UrgeCategory):
        return value
    text = str(value or "").strip()
    if text in UrgeCategory.__members__:
        return UrgeCategory[text]
    return next((m for m in UrgeCategory if text == str.__str__(m.value)), None)


def _due_days(value: Any) -> int | None:
    """Whole working days from an int or its text (a form's, a JSON body's)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    return int(value) if isinstance(value, int | float) else int(str(value).strip())


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _visible(session: Session, user: AppUser, obj) -> bool:
    return obj is not None and is_in_scope(session, obj, Scope(user))


def _check(session: Session, user: AppUser, *, project: Project | None, org_unit: Any,
           title: Any, request: Any, category: Any, due_days: Any, reply_due_on: Any,
           item: ApprovalItem | None, today: dt.date, dates: bool = True,
           coordination_request: CoordinationRequest | None = None) -> dict:
    """Every value checked at once: the clean values, or a DomainValidationError with a
    message per field. ``project``, ``item`` and ``coordination_request`` must be rows the
    user sees (NotFound). A request's 催办 left without a unit goes to its first owner
    unit."""
    creq = coordination_request
    if item is not None:
        if not _visible(session, user, item):
            raise NotFound(_("No such approval item."))
        if project is None:
            project = item.project
    if creq is not None:
        if not _visible(session, user, creq):
            raise NotFound(_("No such coordination request."))
        if project is None:
            project = creq.project
    if project is None or not _visible(session, user, project):
        raise NotFound(_("No such project."))
    errors: dict[str, str] = {}
    if item is not None and item.project_id != project.id:
        errors["item"] = gettext("The approval item is not one of this project's.")
    if item is not None and creq is not None:
        errors["coordination_request"] = gettext(
            "Urge either an approval item or a coordination request, not both.")
    elif creq is not None and creq.project_id != project.id:
        errors["coordination_request"] = gettext(
            "The coordination request is not one of this project's.")
    elif creq is not None and creq.status is CoordinationStatus.RESOLVED:
        errors["coordination_request"] = gettext(
            "The coordination request is resolved: there is nothing left to urge.")
    if project.status != ProjectStatus.ACTIVE:
        errors["project"] = gettext("Only a project in progress can be urged.")

    if creq is not None and item is None and org_unit in (None, ""):
        org_unit = default_unit_id(None, creq)
    unit = org_unit
    if isinstance(unit, int | str) and not isinstance(unit, bool):
        try:
            unit = session.get(OrgUnit, int(unit)) if 0 < int(unit) < 2**31 else None
        except ValueError:
            unit = None
    allowed = {u.id for u in units_for(session, user, project, item, creq)}
    if org_unit is None or org_unit == "":
        errors["org_unit"] = gettext("Please choose the department or unit to urge.")
    elif not isinstance(unit, OrgUnit) or unit.id not in allowed:
        errors["org_unit"] = gettext("Please choose a department or unit of the project's "
                                     "region.")

    member = category_of(category)
    if member is None:
        errors["category"] = gettext("Please choose a category.") if not category else \
            gettext("Please choose one of the categories offered.")

    text = str(request or "").strip()
    if not text:
        errors["request"] = gettext("Please say what the unit must do.")
    elif len(text) > TEXT_MAX:
        errors["request"] = gettext("At most %(n)s characters.", n=TEXT_MAX)

    heading = str(title or "").strip() or default_title(project, item, creq)
    if len(heading) > TITLE_MAX:
        errors["title"] = gettext("At most %(n)s characters.", n=TITLE_MAX)

    days = due = None
    due_field = "due_days"
    try:
        days = _due_days(due_days)
    except (TypeError, ValueError):
        errors["due_days"] = gettext("Please give a whole number of working days.")
    else:
        if days is None and dates and reply_due_on not in (None, ""):
            due_field = "reply_due_on"
            try:
                due = _date(reply_due_on)
            except (TypeError, ValueError):
                errors[due_field] = gettext("Please give the date as YYYY-MM-DD.")
        if days is None and due is None and due_field not in errors:
            errors[due_field] = gettext("Please give the reply time in working days.")
        elif days is not None and days < 0:
            errors[due_field] = gettext("The reply deadline cannot be in the past.")
        elif days is not None and days > MAX_DUE_DAYS:
            errors[due_field] = gettext("At most %(n)s working days.", n=MAX_DUE_DAYS)
        elif days is not None:
            due = calendar.add_working_days(today, days)
        elif due is not None and due < today:
            errors[due_field] = gettext("The reply deadline cannot be in the past.")
    if errors:
        raise DomainValidationError(errors)
    return dict(project=project, item=item, coordination_request=creq, org_unit=unit,
                title=heading, request=text, category=member, due_days=days,
                reply_due_on=due)


# -- commands -------------------------------------------------------------------------------
def raise_urge(session: Session, user: AppUser, *, project: Project | None, org_unit: Any,
               title: Any, request: Any, category: Any, due_days: Any = None,
               reply_due_on: Any = None, item: ApprovalItem | None = None,
               today: dt.date | None = None,
               coordination_request: CoordinationRequest | None = None) -> WorkOrder:
    """A dispatcher raises a 催办 work order by hand to a unit, with a category and a reply
    deadline (``due_days`` working days from today, or a ``reply_due_on`` date), on an
    approval item or a coordination request of the project (or on the project)."""
    today = today or clock.today()
    if not can_raise(user):
        raise NotAllowed(_("Only a dispatcher can raise an urge work order."))
    v = _check(session, user, project=project, org_unit=org_unit, title=title,
               request=request, category=category, due_days=due_days,
               reply_due_on=reply_due_on, item=item, today=today,
               coordination_request=coordination_request)
    project = v["project"]
    wo = WorkOrder(card=None, origin=WorkOrderOrigin.MANUAL, item=v["item"],
                   coordination_request=v["coordination_request"],
                   category=v["category"], project=project, org_unit=v["org_unit"],
                   region_id=project.region_id, title=v["title"], request=v["request"],
                   reply_due_on=v["reply_due_on"], status=WorkOrderStatus.OPEN,
                   escalation_count=0, created_by_id=getattr(user, "id", None))
    session.add(wo)
    session.flush()
    work_orders.record_dispatch(session, wo, user, heading=f"催办·{v['category'].value}")
    return wo


def propose_urge(session: Session, user: AppUser, *, project: Project | None, org_unit: Any,
                 title: Any, request: Any, category: Any, due_days: Any,
                 item: ApprovalItem | None = None, today: dt.date | None = None,
                 coordination_request: CoordinationRequest | None = None) -> UrgeProposal:
    """An assistant asks the dispatchers of the project's region to raise a 催办; they are
    notified and decide on it (``dispatch_proposal`` / ``decline_proposal``)."""
    today = today or clock.today()
    if not can_propose(user):
        raise NotAllowed(_("Only an assistant can propose an urge to the dispatcher."))
    v = _check(session, user, project=project, org_unit=org_unit, title=title,
               request=request, category=category, due_days=due_days, reply_due_on=None,
               item=item, today=today, dates=False, coordination_request=coordination_request)
    project = v["project"]
    proposal = UrgeProposal(project=project, item=v["item"],
                            coordination_request=v["coordination_request"],
                            org_unit=v["org_unit"],
                            title=v["title"], request=v["request"], category=v["category"],
                            due_days=v["due_days"], status=UrgeProposalStatus.PENDING,
                            proposed_by_id=user.id)
    session.add(proposal)
    session.flush()
    notify(session, dispatcher_ids(session, project.region_id), f"urge:{proposal.id}:proposed",
           f"【催办申请】{proposal.title}"[:255],
           f"{user.username} 申请向{v['org_unit'].name}催办（{v['category'].value}）：\n"
           f"{proposal.request}\n建议回复时限：{proposal.due_days} 个工作日",
           f"{PROPOSAL_LINK}{proposal.id}")
    return proposal


def _pending(session: Session, user: AppUser, proposal_id: int) -> UrgeProposal:
    """The proposal, locked for this transaction, if the user sees it and it waits."""
    try:
        pk = int(proposal_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such urge proposal.")) from None
    row = session.get(UrgeProposal, pk) if 0 < pk < 2**31 else None
    if not _visible(session, user, row):
        raise NotFound(_("No such urge proposal."))
    row = session.scalars(select(UrgeProposal).where(UrgeProposal.id == pk).with_for_update()
                          .execution_options(populate_existing=True)).one()
    if row.status != UrgeProposalStatus.PENDING:
        raise WrongState(_("This proposal has been decided already."))
    return row


def _tell_outcome(session: Session, user: AppUser, proposal: UrgeProposal, event: str,
                  title: str, body: str) -> None:
    recipients = set(dispatcher_ids(session, proposal.project.region_id))
    recipients.discard(user.id)
    if proposal.proposed_by_id:
        recipients.add(proposal.proposed_by_id)
    notify(session, recipients, f"urge:{proposal.id}:{event}", title[:255], body,
           f"{PROPOSAL_LINK}{proposal.id}")


_KEEP = object()


def dispatch_proposal(session: Session, user: AppUser, proposal_id: int, *,
                      org_unit: Any = _KEEP, title: Any = _KEEP, request: Any = _KEEP,
                      category: Any = _KEEP, due_days: Any = _KEEP,
                      today: dt.date | None = None) -> WorkOrder:
    """The dispatcher dispatches an assistant's proposal as a work order, with its values
    or the ones the dispatcher changed; the assistant and the region's other dispatchers
    are told."""
    if not can_raise(user):
        raise NotAllowed(_("Only a dispatcher can dispatch an urge proposal."))
    proposal = _pending(session, user, proposal_id)

    def pick(value, own):
        return own if value is _KEEP else value

    wo = raise_urge(session, user, project=proposal.project,
                    org_unit=pick(org_unit, proposal.org_unit),
                    title=pick(title, proposal.title), request=pick(request, proposal.request),
                    category=pick(category, proposal.category),
                    due_days=pick(due_days, proposal.due_days), item=proposal.item,
                    coordination_request=proposal.coordination_request, today=today)
    proposal.status, proposal.work_order = UrgeProposalStatus.DISPATCHED, wo
    proposal.decided_by_id, proposal.decided_at = user.id, utcnow()
    session.flush()
    _tell_outcome(session, user, proposal, "dispatched", f"【催办申请已派单】{proposal.title}",
                  f"{user.username} 已派单至{wo.org_unit.name}，回复期限："
                  f"{wo.reply_due_on.isoformat()}")
    return wo


def decline_proposal(session: Session, user: AppUser, proposal_id: int, reason: Any
                     ) -> UrgeProposal:
    """The dispatcher declines an assistant's proposal, with the reason the assistant reads."""
    if not can_raise(user):
        raise NotAllowed(_("Only a dispatcher can decline an urge proposal."))
    proposal = _pending(session, user, proposal_id)
    text = str(reason or "").strip()
    if not text:
        raise DomainValidationError({"reason": gettext("Please say why the proposal is "
                                                       "declined.")})
    if len(text) > TEXT_MAX:
        raise DomainValidationError({"reason": gettext("At most %(n)s characters.",
                                                       n=TEXT_MAX)})
    proposal.status, proposal.decline_reason = UrgeProposalStatus.DECLINED, text
    proposal.decided_by_id, proposal.decided_at = user.id, utcnow()
    session.flush()
    _tell_outcome(session, user, proposal, "declined", f"【催办申请未派单】{proposal.title}",
                  f"{user.username} 未派单：{text}")
    return proposal


def pending_count(session: Session, user: AppUser) -> int:
    """Proposals in the user's scope waiting for a dispatcher."""
    stmt = select(func.count()).select_from(UrgeProposal).where(
        UrgeProposal.status == UrgeProposalStatus.PENDING)
    cond = Scope(user).condition(UrgeProposal)
    if cond is not None:
        stmt = stmt.where(cond)
    return session.scalar(stmt) or 0


__all__ = ["raise_urge", "propose_urge", "dispatch_proposal", "decline_proposal", "units_for",
           "default_unit_id", "owner_unit_ids",
           "can_raise", "can_propose", "category_of", "default_title", "default_due_days",
           "pending_count", "NotFound", "NotAllowed", "WrongState", "MAX_DUE_DAYS"]
