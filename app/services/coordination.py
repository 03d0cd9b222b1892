"""协调推进 (coordination requests) and 三级联动: raise, reply, resolve, reopen, sign off,
escalate, and the daily escalation of overdue requests.

A request is raised on a project (帮办员, 审批部门, 调度员) for one or more owner units
(departments, utilities, intermediaries of the city's tree) and/or the project's company,
with a reply deadline in working days. It starts at the level covering every region
involved — the lowest common ancestor of the project's town (or county) and the owner
units' regions — so a request naming two counties' units starts at the city (第十六条).
Escalation moves it one level up (town → county → city → 市领导) with a reason; a region
with ``escalation_signoff`` lets a request leave only after one of its 分管领导
(``RegionLeader``) has signed it off (第十四条). Beyond the city leader there is nothing.

Every command locks the request row, checks role, scope and state, writes a
``CoordinationStep`` and notifies whoever must act next; it flushes, never commits. A
refusal is a ``DomainValidationError`` whose keys are the form's field names.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app import clock
from app.clock import utcnow
from app.models import (
    AppUser,
    CoordinationCategory,
    CoordinationLevel,
    CoordinationOwner,
    CoordinationRequest,
    CoordinationStatus,
    CoordinationStep,
    OrgUnit,
    Project,
    Region,
    RegionLeader,
    RegionLevel,
)
from app.security import roles
from app.security.scope import Scope, role_names

from . import calendar
from .card_notices import dispatcher_ids, last_working_day, role_user_ids, unit_officer_ids
from .errors import DomainValidationError
from .notifications import notify

RAISE, REPLY, RESOLVE, REOPEN, SIGNOFF, ESCALATE = (
    "raise", "reply", "resolve", "reopen", "signoff", "escalate")
STEP_LABELS = {RAISE: _("Raised"), REPLY: _("Replied"), RESOLVE: _("Resolved"),
               REOPEN: _("Reopened"), SIGNOFF: _("Signed off"), ESCALATE: _("Escalated")}
LINK = "/coordinationrequestview/show/"
MAX_DAYS = 60
OPEN_STATES = (CoordinationStatus.OPEN, CoordinationStatus.REPLIED)
LEVEL_OF_REGION = {RegionLevel.TOWN: CoordinationLevel.TOWN,
                   RegionLevel.COUNTY: CoordinationLevel.COUNTY,
                   RegionLevel.CITY: CoordinationLevel.CITY}
# Overdue requests climb by themselves up to the city; the city leader is reached only by
# a dispatcher's escalation with what is asked of the leader (the 专报).
AUTO_LEVELS = (CoordinationLevel.TOWN, CoordinationLevel.COUNTY)


class NotFound(LookupError):
    """No such request in the user's scope (the screens answer 404)."""


def refuse(field: str, message: object) -> DomainValidationError:
    return DomainValidationError({field: str(message)})


# -- who may do what ------------------------------------------------------------------------
def _holds(user, permission: str) -> bool:
    names = role_names(user)
    if roles.SYSTEM_ADMIN in names:
        return True
    specs = [roles.ROLES_BY_NAME[n] for n in names if n in roles.ROLES_BY_NAME]
    if permission == "can_write":
        return any(roles.COORDINATION in s.writes for s in specs)
    return any((permission, roles.COORDINATION) in s.extra for s in specs)


def can_raise(user: AppUser | None) -> bool:
    return _holds(user, "can_write")


def can_escalate(user: AppUser | None) -> bool:
    return _holds(user, "can_escalate")


def is_leader_of(session: Session, user: AppUser | None, region_id: int) -> bool:
    return user is not None and session.scalar(select(RegionLeader.id).where(
        RegionLeader.region_id == region_id, RegionLeader.user_id == user.id)) is not None


def owner_for(request: CoordinationRequest, user: AppUser | None) -> CoordinationOwner | None:
    """The owner row the user answers for: their unit's, or the company's for its users."""
    if user is None or not _holds(user, "can_reply"):
        return None
    scope = Scope(user)
    for owner in request.owners:
        if owner.org_unit_id is None:
            if scope.enterprise and user.applicant_id is not None \
                    and user.applicant_id == request.project.applicant_id:
                return owner
        elif user.org_unit_id is not None and owner.org_unit_id == user.org_unit_id:
            return owner
    return None


def in_charge(user: AppUser | None, request: CoordinationRequest) -> bool:
    """A dispatcher of the handling region or a region above it (or the system admin)."""
    scope = Scope(user)
    if scope.unrestricted:
        return True
    return scope.region_path is not None and request.region.path.startswith(scope.region_path)


def may_resolve(user: AppUser | None, request: CoordinationRequest) -> bool:
    if not can_raise(user):
        return False
    return request.raised_by_id == getattr(user, "id", None) or (
        can_escalate(user) and in_charge(user, request))


# -- the region tree ---------------------------------------------------------------------
def _chain(region: Region) -> list[Region]:
    """The region and those above it, bottom up."""
    out, node = [], region
    while node is not None:
        out.append(node)
        node = node.parent
    return out


def common_region(regions: Iterable[Region]) -> Region:
    """The lowest region covering all of ``regions`` (the lowest common ancestor)."""
    chains = [_chain(r) for r in regions]
    first, others = chains[0], [{r.id for r in c} for c in chains[1:]]
    for region in first:
        if all(region.id in ids for ids in others):
            return region
    return first[-1]


def level_of(region: Region) -> CoordinationLevel:
    return LEVEL_OF_REGION.get(region.level, CoordinationLevel.COUNTY)


def _top(region: Region) -> Region:
    return _chain(region)[-1]


def owner_unit_choices(session: Session, user: AppUser | None) -> list[OrgUnit]:
    """The units a request may name: those of the user's whole city (a county's request
    may need another county's or the city's departments: 三级联动)."""
    region = getattr(user, "region", None)
    stmt = select(OrgUnit).join(Region, Region.id == OrgUnit.region_id)
    if region is not None:
        stmt = stmt.where(Region.path.like(_top(region).path + "%"))
    elif not Scope(user).unrestricted:
        return []
    return list(session.scalars(stmt.order_by(Region.path, OrgUnit.name)))


# -- helpers ----------------------------------------------------------------------------
def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


def _days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise refuse("days", _("Please give the reply deadline in working days.")) from None
    if days < 1:
        raise refuse("days", _("The deadline must be at least one working day from today."))
    if days > MAX_DAYS:
        raise refuse("days", _("The deadline may be at most %(n)s working days.", n=MAX_DAYS))
    return days


def _load(session: Session, request_id: int, user: AppUser) -> CoordinationRequest:
    """The request, locked for this transaction, if the user may see it."""
    from app.security.scope import get_in_scope

    if get_in_scope(session, CoordinationRequest, request_id, Scope(user)) is None:
        raise NotFound(request_id)
    return session.scalars(select(CoordinationRequest)
                           .where(CoordinationRequest.id == int(request_id))
                           .with_for_update().execution_options(populate_existing=True)).one()


def _step(session: Session, request: CoordinationRequest, action: str, user=None,
          comment: str | None = None, org_unit_id: int | None = None) -> CoordinationStep:
    step = CoordinationStep(request=request, action=action, at=utcnow(),
                            user_id=getattr(user, "id", None),
                            username=getattr(user, "username", None) or "system",
                            org_unit_id=org_unit_id, level=request.level, comment=comment)
    session.add(step)
    session.flush()
    return step


def _owner_users(session: Session, request: CoordinationRequest) -> set[int]:
    ids: set[int] = set()
    for owner in request.owners:
        if owner.org_unit_id is not None:
            ids.update(unit_officer_ids(session, owner.org_unit_id))
        else:
            q = role_user_ids(roles.ENTERPRISE).subquery()
            ids.update(session.scalars(select(q.c.id).join(AppUser, AppUser.id == q.c.id).where(
                AppUser.applicant_id == request.project.applicant_id)))
    return ids


def _leader_ids(session: Session, region_id: int) -> list[int]:
    return list(session.scalars(select(RegionLeader.user_id).where(
        RegionLeader.region_id == region_id)))


def _link(request: CoordinationRequest) -> str:
    return f"{LINK}{request.id}"


def step_label(action: str) -> str:
    label = STEP_LABELS.get(action)
    return str(label) if label is not None else action


def needs_signoff(request: CoordinationRequest) -> bool:
    """Whether the request may leave its region only after the 分管领导's sign-off."""
    return bool(request.region.escalation_signoff) and request.signed_off_at is None \
        and request.level is not CoordinationLevel.LEADER


def next_level(request: CoordinationRequest) -> tuple[Region, CoordinationLevel] | None:
    """Where an escalation takes the request; None beyond the city leader."""
    if request.level is CoordinationLevel.LEADER:
        return None
    parent = request.region.parent
    if request.level is CoordinationLevel.CITY or parent is None:
        return request.region, CoordinationLevel.LEADER
    return parent, level_of(parent)


# -- commands ---------------------------------------------------------------------------
def raise_request(session: Session, project: Project, user: AppUser, *, title: str,
                  problem: str, category: CoordinationCategory | str | None,
                  owner_unit_ids: Iterable[int] = (),
                  enterprise_owner: bool = False, requested_outcome: str,
                  days: int | str | None,
                  today: dt.date | None = None) -> CoordinationRequest:
    """发起协调推进申请 on ``project`` (fetched through the user's scope)."""
    today = today or clock.today()
    if not can_raise(user):
        raise refuse("project", _("Your role cannot raise coordination requests."))
    errors: dict[str, str] = {}
    if project is None or get_project(session, project.id, user) is None:
        errors["project"] = str(_("Please choose a project within your region."))
    title, problem, outcome = _text(title), _text(problem), _text(requested_outcome)
    if not title:
        errors["title"] = str(_("Please give the request a short title."))
    if not problem:
        errors["problem"] = str(_("Please describe the problem."))
    if not outcome:
        errors["requested_outcome"] = str(_("Please say what outcome is requested."))
    if isinstance(category, str):
        category = CoordinationCategory.__members__.get(category.strip())
    if not isinstance(category, CoordinationCategory):
        errors["category"] = str(_("Please choose a category."))
    unit_ids = []
    for raw in owner_unit_ids or ():
        try:
            unit_ids.append(int(raw))
        except (TypeError, ValueError):
            errors["owner_units"] = str(_("Not a valid choice"))
    unit_ids = list(dict.fromkeys(unit_ids))
    allowed = {u.id: u for u in owner_unit_choices(session, user)}
    units = [allowed[i] for i in unit_ids if i in allowed]
    if len(units) != len(unit_ids):
        errors["owner_units"] = str(_("Please choose units of your city."))
    elif not units and not enterprise_owner:
        errors["owner_units"] = str(_("Please name at least one owner unit (or the enterprise)."))
    try:
        days = _days(days)
    except DomainValidationError as err:
        errors.update(err.errors)
    if errors:
        raise DomainValidationError(errors)
    home = project.town or project.region
    region = common_region([home] + [u.region for u in units])
    request = CoordinationRequest(
        project=project, title=title[:200], problem=problem, category=category,
        requested_outcome=outcome, days=days, due_on=calendar.add_working_days(today, days),
        level=level_of(region), region=region, status=CoordinationStatus.OPEN,
        enterprise_owner=bool(enterprise_owner), raised_by_id=getattr(user, "id", None),
        escalation_count=0)
    session.add(request)
    for unit in units:
        request.owners.append(CoordinationOwner(org_unit_id=unit.id))
    if enterprise_owner:
        request.owners.append(CoordinationOwner(org_unit_id=None))
    session.flush()
    owners = "、".join(str(o) for o in request.owners)
    _step(session, request, RAISE, user,
          f"{problem}\n责任单位：{owners}\n期望结果：{outcome}\n答复期限：{request.due_on.isoformat()}")
    recipients = _owner_users(session, request) | set(dispatcher_ids(session, region.id))
    notify(session, recipients - {getattr(user, "id", None)}, f"coord:{request.id}:raise",
           f"【协调推进】{request.title}"[:255],
           f"{problem}\n答复期限：{request.due_on.isoformat()}", _link(request))
    return request


def get_project(session: Session, project_id: int | str, user: AppUser) -> Project | None:
    from app.security.scope import get_in_scope

    return get_in_scope(session, Project, project_id, Scope(user))


def reply(session: Session, request_id: int, user: AppUser, text: str) -> CoordinationRequest:
    """An owner unit (its department officer) or the company answers."""
    request = _load(session, request_id, user)
    owner = owner_for(request, user)
    if owner is None:
        raise refuse("reply", _("Your unit is not an owner of this request; only its owner "
                                "units can reply."))
    if request.status is not CoordinationStatus.OPEN:
        raise refuse("reply", _("This request is not waiting for a reply."))
    text = _text(text)
    if not text:
        raise refuse("reply", _("Please write the reply."))
    owner.reply, owner.replied_at, owner.replied_by_id = text, utcnow(), user.id
    if all(o.replied_at is not None for o in request.owners):
        request.status = CoordinationStatus.REPLIED
    step = _step(session, request, REPLY, user, text, owner.org_unit_id)
    recipients = set(dispatcher_ids(session, request.region_id))
    if request.raised_by_id:
        recipients.add(request.raised_by_id)
    notify(session, recipients - {user.id}, f"coord:{request.id}:reply:{step.id}",
           f"【协调事项已答复】{request.title}"[:255], f"{owner}：{text}", _link(request))
    return request


def resolve(session: Session, request_id: int, user: AppUser, comment: str | None = None
            ) -> CoordinationRequest:
    """The raiser (or a dispatcher in charge) accepts the answers: 已解决."""
    request = _load(session, request_id, user)
    if not may_resolve(user, request):
        raise refuse("comment", _("Only whoever raised the request, or a dispatcher of its "
                                  "level, can resolve it."))
    if request.status is CoordinationStatus.RESOLVED:
        raise refuse("comment", _("This request is already resolved."))
    request.status, request.resolved_at = CoordinationStatus.RESOLVED, utcnow()
    step = _step(session, request, RESOLVE, user, _text(comment) or None)
    notify(session, _owner_users(session, request) - {user.id},
           f"coord:{request.id}:resolve:{step.id}", f"【协调事项已解决】{request.title}"[:255],
           _text(comment) or None, _link(request))
    return request


def reopen(session: Session, request_id: int, user: AppUser, reason: str,
           today: dt.date | None = None) -> CoordinationRequest:
    """Not solved after all: back to the owners with a reason and a new deadline."""
    today = today or clock.today()
    request = _load(session, request_id, user)
    if not may_resolve(user, request):
        raise refuse("reason", _("Only whoever raised the request, or a dispatcher of its "
                                 "level, can reopen it."))
    if request.status is CoordinationStatus.OPEN:
        raise refuse("reason", _("This request is still waiting for replies."))
    reason = _text(reason)
    if not reason:
        raise refuse("reason", _("Please say why the request is reopened."))
    request.status, request.resolved_at = CoordinationStatus.OPEN, None
    request.due_on = calendar.add_working_days(today, request.days)
    for owner in request.owners:
        owner.replied_at = None
    step = _step(session, request, REOPEN, user,
                 f"{reason}\n新答复期限：{request.due_on.isoformat()}")
    notify(session, _owner_users(session, request) - {user.id},
           f"coord:{request.id}:reopen:{step.id}", f"【协调事项重新办理】{request.title}"[:255],
           f"{reason}\n答复期限：{request.due_on.isoformat()}", _link(request))
    return request


def sign_off(session: Session, request_id: int, user: AppUser, comment: str | None = None
             ) -> CoordinationRequest:
    """The handling region's 分管领导 signs the request off for reporting upwards."""
    request = _load(session, request_id, user)
    if not _holds(user, "can_signoff") or not is_leader_of(session, user, request.region_id):
        raise refuse("signoff", _("Only a 分管领导 of %(region)s can sign this request off.",
                                  region=request.region.name))
    if request.status is CoordinationStatus.RESOLVED:
        raise refuse("signoff", _("This request is resolved; there is nothing to report."))
    if request.level is CoordinationLevel.LEADER:
        raise refuse("signoff", _("The request is with the city leader already."))
    if request.signed_off_at is not None:
        raise refuse("signoff", _("This request has been signed off already."))
    request.signed_off_at, request.signed_off_by_id = utcnow(), user.id
    step = _step(session, request, SIGNOFF, user, _text(comment) or None)
    notify(session, set(dispatcher_ids(session, request.region_id)) - {user.id},
           f"coord:{request.id}:signoff:{step.id}", f"【协调事项已签字确认】{request.title}"[:255],
           _text(comment) or None, _link(request))
    return request


def escalate(session: Session, request_id: int, user: AppUser | None, reason: str,
             leader_ask: str | None = None, today: dt.date | None = None
             ) -> CoordinationRequest:
    """Move the request one level up with a reason (a dispatcher of its level, or the
    daily job with ``user`` None); to the city leader with what is asked of the leader."""
    today = today or clock.today()
    if user is not None:
        request = _load(session, request_id, user)
        if not can_escalate(user) or not in_charge(user, request):
            raise refuse("reason", _("Only a dispatcher of the request's level can escalate it."))
    else:
        request = session.scalars(select(CoordinationRequest)
                                  .where(CoordinationRequest.id == int(request_id))
                                  .with_for_update()
                                  .execution_options(populate_existing=True)).one()
    if request.status is CoordinationStatus.RESOLVED:
        raise refuse("reason", _("This request is resolved; there is nothing to escalate."))
    target = next_level(request)
    if target is None:
        raise refuse("level", _("The request is with the city leader already: there is no "
                                "level above it."))
    reason = _text(reason)
    if not reason:
        raise refuse("reason", _("Please give the reason for escalating."))
    if needs_signoff(request):
        raise refuse("signoff", _("%(region)s requires the sign-off of its 分管领导 before a "
                                  "request is reported upwards.", region=request.region.name))
    region, level = target
    ask = _text(leader_ask)
    if level is CoordinationLevel.LEADER:
        if not ask:
            raise refuse("leader_ask", _("Please say what is asked of the city leader."))
        request.leader_ask = ask
    before = f"{request.level}（{request.region.name}）"
    old_region_id = request.region_id
    request.region, request.level = region, level
    request.region_id = region.id
    request.signed_off_at = request.signed_off_by_id = None
    request.escalation_count = (request.escalation_count or 0) + 1
    request.due_on = calendar.add_working_days(today, request.days)
    comment = f"{before} → {level}（{region.name}）：{reason}"
    if ask:
        comment += f"\n提请市领导：{ask}"
    step = _step(session, request, ESCALATE, user, comment + f"\n新答复期限：{request.due_on}")
    recipients = set(dispatcher_ids(session, region.id)) | _owner_users(session, request)
    if level is CoordinationLevel.LEADER:
        recipients |= set(_leader_ids(session, region.id))
    recipients |= set(dispatcher_ids(session, old_region_id))
    notify(session, recipients - {getattr(user, "id", None)},
           f"coord:{request.id}:escalate:{step.id}", f"【协调事项升级】{request.title}"[:255],
           comment, _link(request))
    return request


def escalate_overdue(session: Session, today: dt.date | None = None) -> list[int]:
    """Each request still waiting for replies past its deadline moves one level up (town →
    county → city), like a work order; one whose region requires a sign-off waits for it
    and its 分管领导 are asked once. Safe to run twice: an escalated request has a new
    deadline."""
    today = today or clock.today()
    overdue_before = last_working_day(today)
    stmt = (select(CoordinationRequest.id).join(Project)
            .where(CoordinationRequest.status == CoordinationStatus.OPEN,
                   CoordinationRequest.level.in_(AUTO_LEVELS),
                   CoordinationRequest.due_on < overdue_before)
            .order_by(CoordinationRequest.id))
    escalated = []
    for request_id in session.scalars(stmt).all():
        request = session.get(CoordinationRequest, request_id)
        if needs_signoff(request):
            notify(session, _leader_ids(session, request.region_id),
                   f"coord:{request.id}:signoff-needed:{request.due_on.isoformat()}",
                   f"【协调事项待签字上报】{request.title}"[:255],
                   f"答复期限 {request.due_on.isoformat()} 已过，请签字确认后上报。",
                   _link(request))
            continue
        escalate(session, request.id, None,
                 f"答复期限 {request.due_on.isoformat()} 已过，自动升级", today=today)
        escalated.append(request.id)
    return escalated


# -- queries for the screens, the meetings and the 专报 ------------------------------------
def open_requests_at_level(session: Session, region: Region,
                           level: CoordinationLevel | None = None) -> list[CoordinationRequest]:
    """The requests not yet resolved that ``region`` handles now (optionally at ``level``:
    a city handles CITY and LEADER ones), oldest first: a meeting's agenda."""
    stmt = select(CoordinationRequest).where(
        CoordinationRequest.region_id == region.id,
        CoordinationRequest.status != CoordinationStatus.RESOLVED)
    if level is not None:
        stmt = stmt.where(CoordinationRequest.level == level)
    return list(session.scalars(stmt.order_by(CoordinationRequest.created_at,
                                              CoordinationRequest.id)))


def age_in_working_days(request: CoordinationRequest, today: dt.date | None = None) -> int:
    today = today or clock.today()
    raised = clock.to_beijing(request.created_at).date()
    return max(calendar.working_days_between(raised, today), 0)


def overdue_days(request: CoordinationRequest, today: dt.date | None = None) -> int:
    """Working days past the deadline while waiting for replies (0 when not late)."""
    today = today or clock.today()
    if request.status is not CoordinationStatus.OPEN:
        return 0
    return max(calendar.working_days_between(request.due_on, today), 0)


def names_unit(org_unit_id: int) -> ColumnElement[bool]:
    """SQL condition: requests naming the unit as an owner (the list's owner filter)."""
    from sqlalchemy import exists

    return exists().where(CoordinationOwner.request_id == CoordinationRequest.id,
                          CoordinationOwner.org_unit_id == org_unit_id)


def waiting_on(user: AppUser) -> ColumnElement[bool]:
    """SQL condition: requests waiting for a reply from the user's unit (or company); for
    staff of no unit (a dispatcher), those waiting for any owner's reply."""
    from sqlalchemy import exists

    owner = CoordinationOwner
    cond = [owner.request_id == CoordinationRequest.id, owner.replied_at.is_(None)]
    if Scope(user).enterprise:
        cond.append(owner.org_unit_id.is_(None))
    elif getattr(user, "org_unit_id", None):
        cond.append(owner.org_unit_id == user.org_unit_id)
    return (CoordinationRequest.status == CoordinationStatus.OPEN) & exists().where(*cond)


__all__ = ["raise_request", "reply", "resolve", "reopen", "sign_off", "escalate",
           "escalate_overdue", "open_requests_at_level", "owner_unit_choices", "common_region",
           "NotFound", "can_raise", "can_escalate", "owner_for", "may_resolve", "needs_signoff",
           "next_level", "waiting_on"]
