"""Data scope: the one place that decides which rows a user may see (docs/domain.md).

Staff see their region's subtree; department officers see their own department's
items; enterprise users see their own company's projects. Every list, detail URL,
related view, form choice, REST endpoint, export and download asks ``scope_condition``
(views through ``app.views.access.get_in_scope_or_404`` and the scoped base views).

What the enterprise (企业) role sees — the company is the bureau's client, not a part of
its supervision:

- its own projects (``Project.applicant_id`` is the user's applicant), their approval
  items (status, dates, result, certificate number) and their corrections (补正: they
  concern what the company must supply);
- its own applicant record;
- the innovation measures run on its projects (``WorkflowInstance``/``WorkflowStep``),
  where it acts on the steps a definition gives to the role key ``company``;
- its own account, notifications and jobs.

Hidden from it, on every surface (rules below, role permissions in ``roles.py``, and the
project page's tabs, which show only what the user may read): the internal supervision —
red/yellow cards, work orders and their steps (departments' replies), the audit trail —
and the bureau's organisation: other users, the project's assistants and service team,
regions, departments, templates, stages, measure settings and definitions.
Its service plans (every version, with their rows) are shown to it; the intake record and
the departments' opinions on a draft plan are the bureau's own.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context
from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.models import (
    AgendaItem,
    Applicant,
    ApprovalItem,
    AppUser,
    ArchiveFile,
    AuditRecord,
    CalendarDay,
    CoordinationOwner,
    CoordinationRequest,
    CoordinationStep,
    Decision,
    Delivery,
    IntakeRecord,
    ItemCorrection,
    ItemMaterial,
    ItemTemplate,
    JobRecord,
    MeasureSetting,
    Meeting,
    MeetingAttendee,
    Notification,
    OrgUnit,
    PlanAssistant,
    PlanItem,
    PlanMaterial,
    PlanOpinion,
    Project,
    ProjectAssistant,
    Region,
    RegionLeader,
    ServicePlan,
    ServiceTeamMember,
    Stage,
    TaskForceMember,
    UrgeProposal,
    WarningCard,
    WorkflowDefinition,
    WorkflowInstance,
    WorkflowStep,
    WorkLog,
    WorkLogPhoto,
    WorkOrder,
    WorkOrderStep,
)
from app.services.regions import ancestor_ids

from . import roles


def current_app_user() -> AppUser | None:
    """The signed-in user (session or JWT), or None."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def role_names(user) -> set[str]:
    return {r.name for r in (user.roles or [])} if user is not None else set()


def subtree_ids(region_path: str):
    """Ids of a region and everything below it, as a scalar subquery."""
    return select(Region.id).where(Region.path.like(region_path + "%")).scalar_subquery()


class Scope:
    """What one user may see, computed once per request."""

    def __init__(self, user) -> None:
        self.user = user
        names = role_names(user)
        self.unrestricted = bool(names & {roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN})
        self.auditor = roles.AUDITOR in names
        self.enterprise = roles.ENTERPRISE in names and not (
            names & {roles.BUREAU_ADMIN, roles.DISPATCHER, roles.ASSISTANT, roles.CLERK})
        self.department_only = roles.DEPARTMENT in names and not (
            names & {roles.BUREAU_ADMIN, roles.DISPATCHER, roles.ASSISTANT, roles.CLERK})
        region = user.region if user is not None else None
        self.region_path = region.path if region is not None else None

    # -- building blocks ---------------------------------------------------------------
    def _regions(self):
        if self.region_path is None:
            return None
        return subtree_ids(self.region_path)

    def projects(self) -> ColumnElement:
        if self.enterprise:
            if not self.user.applicant_id:
                return false()
            return Project.applicant_id == self.user.applicant_id
        regions = self._regions()
        if regions is None:
            return false()
        cond = or_(Project.region_id.in_(regions), Project.town_id.in_(regions))
        if self.department_only:
            cond = cond & exists().where(ApprovalItem.project_id == Project.id,
                                         ApprovalItem.department_id == self.user.org_unit_id)
        return cond

    def items(self) -> ColumnElement:
        project_ids = select(Project.id).where(self.projects())
        cond = ApprovalItem.project_id.in_(project_ids)
        if self.department_only:
            cond = cond & (ApprovalItem.department_id == self.user.org_unit_id)
        return cond

    def by_region(self, column) -> ColumnElement:
        regions = self._regions()
        return false() if regions is None else column.in_(regions)

    # -- the rule per model ------------------------------------------------------------
    def condition(self, model) -> ColumnElement | None:
        """None when unrestricted, else a WHERE clause for ``model``."""
        if self.user is None:
            return false()
        if model is AuditRecord:
            # Separation of duties: only the auditor reads the audit trail.
            return None if self.auditor else false()
        if self.unrestricted:
            return None
        rule = _RULES.get(model)
        if rule is None:
            # A model nobody declared a rule for is invisible: fail closed.
            return false()
        return rule(self)


def _enterprise_blocked(fn: Callable[[Scope], Any]) -> Callable[[Scope], Any]:
    def wrapper(scope: Scope):
        return false() if scope.enterprise else fn(scope)
    return wrapper


def _stage_rule(scope: Scope):
    if scope.region_path is None:
        return Stage.region_id.is_(None)
    # Standard stages, the region's own, and those of regions above it (a county uses
    # its city's local stages).
    return or_(Stage.region_id.is_(None), Stage.region_id.in_(scope._regions()),
               Stage.region_id.in_(ancestor_ids(scope.region_path)))


def _meeting_rule(scope: Scope):
    cond = scope.by_region(Meeting.region_id)
    if scope.department_only:
        unit = scope.user.org_unit_id
        cond = cond & or_(
            exists().where(Decision.meeting_id == Meeting.id, Decision.owner_unit_id == unit),
            exists().where(MeetingAttendee.meeting_id == Meeting.id,
                           MeetingAttendee.member_id == TaskForceMember.id,
                           TaskForceMember.org_unit_id == unit))
    return cond


_RULES: dict[type, Callable[[Scope], Any]] = {
    Project: Scope.projects,
    ApprovalItem: Scope.items,
    # The bureau's own organisation of a project: staff only.
    ProjectAssistant: _enterprise_blocked(lambda s: ProjectAssistant.project_id.in_(
        select(Project.id).where(s.projects()))),
    ServiceTeamMember: _enterprise_blocked(lambda s: ServiceTeamMember.project_id.in_(
        select(Project.id).where(s.projects()))),
    Applicant: lambda s: (Applicant.id == s.user.applicant_id) if s.enterprise
    else s.by_region(Applicant.region_id),
    Region: _enterprise_blocked(lambda s: s.by_region(Region.id)),
    OrgUnit: _enterprise_blocked(lambda s: s.by_region(OrgUnit.region_id)),
    ItemTemplate: _enterprise_blocked(lambda s: s.by_region(ItemTemplate.region_id)),
    Stage: _enterprise_blocked(_stage_rule),
    ItemCorrection: lambda s: ItemCorrection.item_id.in_(select(ApprovalItem.id).where(s.items())),
    # The materials checklist concerns what the company supplies: it sees its own.
    ItemMaterial: lambda s: ItemMaterial.item_id.in_(select(ApprovalItem.id).where(s.items())),
    # 资料归档 is the bureau's record of its service: staff of the project's region only.
    ArchiveFile: lambda s: false() if (s.enterprise or s.department_only) else
    ArchiveFile.project_id.in_(select(Project.id).where(s.projects())),
    # Cards and work orders are the bureau's internal supervision: never the company's.
    WarningCard: _enterprise_blocked(lambda s: (
        WarningCard.project_id.in_(select(Project.id).where(s.projects()))
        & (WarningCard.org_unit_id == s.user.org_unit_id if s.department_only else True))),
    WorkOrder: _enterprise_blocked(lambda s: (
        WorkOrder.project_id.in_(select(Project.id).where(s.projects()))
        & (WorkOrder.org_unit_id == s.user.org_unit_id if s.department_only else True))),
    WorkOrderStep: lambda s: WorkOrderStep.work_order_id.in_(
        select(WorkOrder.id).where(_RULES[WorkOrder](s))),
    # An assistant's 催办 proposal is the bureau's own, before it reaches any unit: staff of
    # the project's region, never the company nor the departments (app/services/urges.py).
    UrgeProposal: lambda s: false() if (s.enterprise or s.department_only) else
    UrgeProposal.project_id.in_(select(Project.id).where(s.projects())),
    # Measure settings and local definitions: the region's own, those of its subtree, and
    # those inherited from the regions above it.
    MeasureSetting: _enterprise_blocked(lambda s: or_(
        s.by_region(MeasureSetting.region_id),
        MeasureSetting.region_id.in_(ancestor_ids(s.region_path or "/")))),
    WorkflowDefinition: _enterprise_blocked(lambda s: or_(
        s.by_region(WorkflowDefinition.region_id),
        WorkflowDefinition.region_id.in_(ancestor_ids(s.region_path or "/")))),
    WorkflowInstance: lambda s: WorkflowInstance.project_id.in_(
        select(Project.id).where(s.projects())),
    WorkflowStep: lambda s: WorkflowStep.instance_id.in_(
        select(WorkflowInstance.id).where(WorkflowInstance.project_id.in_(
            select(Project.id).where(s.projects())))),
    # 对接需求 and 帮办服务方案 (app/services/service_plans.py): a plan and its rows with the
    # project; the intake record and the departments' opinions are staff only, a department
    # officer sees the opinion asked of their own unit.
    IntakeRecord: _enterprise_blocked(lambda s: IntakeRecord.project_id.in_(
        select(Project.id).where(s.projects()))),
    ServicePlan: lambda s: ServicePlan.project_id.in_(select(Project.id).where(s.projects())),
    PlanAssistant: lambda s: PlanAssistant.plan_id.in_(
        select(ServicePlan.id).where(_RULES[ServicePlan](s))),
    PlanItem: lambda s: PlanItem.plan_id.in_(
        select(ServicePlan.id).where(_RULES[ServicePlan](s))),
    PlanMaterial: lambda s: PlanMaterial.plan_item_id.in_(
        select(PlanItem.id).where(_RULES[PlanItem](s))),
    PlanOpinion: _enterprise_blocked(lambda s: (
        PlanOpinion.plan_id.in_(select(ServicePlan.id).where(_RULES[ServicePlan](s)))
        & (PlanOpinion.org_unit_id == s.user.org_unit_id if s.department_only else True))),
    # 帮办代办日志 (app/services/work_logs.py): the bureau's own record of its service —
    # whom the assistant met, what is followed up with which department — with the project;
    # neither the company nor a department officer sees it (docs/domain.md §14).
    WorkLog: lambda s: false() if (s.enterprise or s.department_only) else
    WorkLog.project_id.in_(select(Project.id).where(s.projects())),
    WorkLogPhoto: lambda s: WorkLogPhoto.work_log_id.in_(
        select(WorkLog.id).where(_RULES[WorkLog](s))),
    # 专班 and its meetings (app/services/meetings.py): the bureau's own, never the company's.
    # Staff see the roster and meetings of their subtree; a department officer sees the
    # meetings its unit attended or owns a decision of, and only its own unit's decisions.
    TaskForceMember: _enterprise_blocked(lambda s: s.by_region(TaskForceMember.region_id)),
    Meeting: _enterprise_blocked(lambda s: _meeting_rule(s)),
    MeetingAttendee: lambda s: MeetingAttendee.meeting_id.in_(
        select(Meeting.id).where(_RULES[Meeting](s))),
    AgendaItem: lambda s: AgendaItem.meeting_id.in_(select(Meeting.id).where(_RULES[Meeting](s))),
    Decision: _enterprise_blocked(lambda s: (Decision.owner_unit_id == s.user.org_unit_id)
                                  if s.department_only else Decision.meeting_id.in_(
                                      select(Meeting.id).where(_RULES[Meeting](s)))),
    # The national holiday schedule is the same for everyone.
    CalendarDay: lambda s: true(),
    # What a user started or was sent is theirs alone.
    JobRecord: lambda s: JobRecord.user_id == s.user.id,
    Notification: lambda s: Notification.user_id == s.user.id,
    Delivery: lambda s: Delivery.notification_id.in_(
        select(Notification.id).where(Notification.user_id == s.user.id)),
    # Everyone sees their own account; staff also see the users of their subtree.
    AppUser: lambda s: or_(AppUser.id == s.user.id,
                           false() if s.enterprise else s.by_region(AppUser.region_id)),
}


def _coordination_rule(s: Scope):
    """协调推进: staff see the requests of projects in their scope and those waiting on a
    unit of their subtree (a cross-county request names other counties' units); a
    department officer those naming their unit; a company only those of its own projects
    that name it (the applicant) as an owner, since it must answer them — never the
    others, the history or the units' replies (docs/domain.md §14)."""
    owner = CoordinationOwner.request_id == CoordinationRequest.id
    if s.enterprise:
        return CoordinationRequest.enterprise_owner.is_(True) & CoordinationRequest.project_id.in_(
            select(Project.id).where(s.projects()))
    if s.department_only:
        if not s.user.org_unit_id:
            return false()
        return exists().where(owner, CoordinationOwner.org_unit_id == s.user.org_unit_id)
    units_here = select(OrgUnit.id).where(s.by_region(OrgUnit.region_id))
    return or_(CoordinationRequest.project_id.in_(select(Project.id).where(s.projects())),
               exists().where(owner, CoordinationOwner.org_unit_id.in_(units_here)))


_RULES.update({
    CoordinationRequest: _coordination_rule,
    # The owners' replies and the history are the bureau's: the company sees the request
    # it must answer and its own reply (the screens and the API leave the rest out).
    CoordinationOwner: lambda s: CoordinationOwner.request_id.in_(
        select(CoordinationRequest.id).where(_coordination_rule(s)))
    & (CoordinationOwner.org_unit_id.is_(None) if s.enterprise else true()),
    CoordinationStep: _enterprise_blocked(lambda s: CoordinationStep.request_id.in_(
        select(CoordinationRequest.id).where(_coordination_rule(s)))),
    # A region's 分管领导 list: the bureau's organisation, staff of the subtree only.
    RegionLeader: _enterprise_blocked(lambda s: s.by_region(RegionLeader.region_id)),
})


def current_scope() -> Scope:
    """The scope of the request's user (cheap to build: roles and region are loaded)."""
    return Scope(current_app_user())


def scope_condition(model, scope: Scope | None = None) -> ColumnElement | None:
    return (scope or current_scope()).condition(model)


def scoped(stmt, model, scope: Scope | None = None):
    """Apply the scope to a Core/ORM select of ``model``."""
    cond = scope_condition(model, scope)
    return stmt if cond is None else stmt.where(cond)


def is_in_scope(session, obj, scope: Scope | None = None) -> bool:
    """Whether an object (e.g. a related row chosen in a form or API call) is visible."""
    model = type(obj)
    cond = scope_condition(model, scope)
    if cond is None:
        return True
    pk = model.__mapper__.primary_key[0]
    stmt = select(pk).where(pk == getattr(obj, pk.key), cond)
    return session.execute(stmt).first() is not None


# Largest value of the integer primary keys: a larger id in a URL names no row (and must
# not reach the database, where it would overflow the column type).
MAX_ID = 2**31 - 1


def get_in_scope(session, model, pk, scope: Scope | None = None):
    """The one way to reach a row for a user: the row of ``model`` with id ``pk`` if it is
    in the user's scope, else None (also for ids that are not whole numbers in range)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk <= MAX_ID:
        return None
    stmt = scoped(select(model).where(model.__mapper__.primary_key[0] == pk), model, scope)
    return session.scalars(stmt).first()


def select_in_scope(model, *where, scope: Scope | None = None):
    """``select(model)`` restricted to the user's scope, with optional WHERE clauses."""
    return scoped(select(model).where(*where), model, scope)
