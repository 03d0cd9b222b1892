"""The nine roles of docs/domain.md, declared as data and synced by ``flask init``.

Permissions use two verbs per resource, ``can_read`` and ``can_write``, shared by a
resource's screens and its REST API (see ``app.views.base``). Each role lists the
resources it may read and write; menu access follows from read access.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SYSTEM_ADMIN = "系统管理员"
BUREAU_ADMIN = "县局管理员"
DISPATCHER = "调度员"
ASSISTANT = "帮办员"
DEPARTMENT = "审批部门"
CLERK = "录入员"
ENTERPRISE = "企业"
AUDITOR = "审计员"
SECURITY_ADMIN = "安全管理员"

# Resource names (class_permission_name of the views and APIs).
PROJECT = "Project"
APPROVAL_ITEM = "ApprovalItem"
APPLICANT = "Applicant"
PROJECT_TEAM = "ProjectTeam"
REGION = "Region"
ORG_UNIT = "OrgUnit"
STAGE = "Stage"
ITEM_TEMPLATE = "ItemTemplate"
AUDIT = "AuditRecord"
USERS = "ScopedUser"
LOOKUP = "Lookup"  # type-ahead choices; granted with read access to projects
CALENDAR = "CalendarDay"  # the working-day calendar (holidays, 调休)
CARD = "WarningCard"  # red/yellow cards
WORK_ORDER = "WorkOrder"  # 工单: write = dispatch/close/return; reply is its own permission
NOTIFICATION = "Notification"  # a user's own in-app notifications
JOBS = "JobRecord"  # a user's own background jobs and their files (download centre)
LEDGER = "Ledger"  # starting Excel ledger exports
MEASURE = "Measure"  # innovation measures: enable/configure per region, low-code definitions
ITEM_ACTION = "ItemAction"  # 受理/补正/办结/不予许可/告知承诺 on an item (department officers)
ITEM_MATERIAL = "ItemMaterial"  # an item's materials checklist
ARCHIVE = "ProjectArchive"  # 资料归档: archive files and closing a project
TERMINATION = "ProjectTermination"  # 终止服务 (dispatcher, bureau admin)
WORKFLOW = "Workflow"  # running measures on projects (which transitions a role may take is
#                        decided by each workflow definition, on top of this permission)
INTAKE = "IntakeRecord"  # 对接需求 records
SERVICE_PLAN = "ServicePlan"  # 帮办服务方案: write = draft/send/revise; can_sign to sign
PLAN_OPINION = "PlanOpinion"  # the departments' opinions on a draft; can_answer to answer
URGE = "Urge"  # 催办 by hand: a dispatcher raises a work order, an assistant proposes one
WORK_LOG = "WorkLog"  # 帮办代办日志 and their photos; 今日报送 (read)
TASK_FORCE = "TaskForce"  # 专班 roster of a region (bureau admin, dispatcher keep it)
MEETING = "Meeting"  # 推进会/分析会/联审会/联席会议/专题会: agenda, attendees, minutes
DECISION = "Decision"  # 议定事项: write = record/cancel; can_complete for the owner unit
_MEETINGS = (TASK_FORCE, MEETING, DECISION)
_DECISION_COMPLETE = (("can_complete", DECISION),)
_PLAN_SIGN = (("can_sign", SERVICE_PLAN),)
_PLAN_ANSWER = (("can_answer", PLAN_OPINION),)


@dataclass(frozen=True)
class RoleSpec:
    name: str
    key: str  # short English key, used in demo user names
    rank: int  # a user may grant only roles whose rank is at most their own
    reads: frozenset[str] = field(default_factory=frozenset)
    writes: frozenset[str] = field(default_factory=frozenset)
    extra: tuple[tuple[str, str], ...] = ()  # (permission, view) pairs beyond read/write


def _spec(name, key, rank, reads=(), writes=(), extra=()):
    writes = frozenset(writes)
    return RoleSpec(name, key, rank, frozenset(reads) | writes, writes, tuple(extra))


_ALL_DOMAIN = (PROJECT, APPROVAL_ITEM, APPLICANT, PROJECT_TEAM, REGION, ORG_UNIT, STAGE,
               ITEM_TEMPLATE, CALENDAR, CARD, WORK_ORDER, MEASURE, WORKFLOW, INTAKE, SERVICE_PLAN,
               PLAN_OPINION, ITEM_MATERIAL, ARCHIVE)
_ALL_DOMAIN += (WORK_LOG,)  # read by the bureau's staff; written by the assistants
_ALL_DOMAIN += _MEETINGS
# What every signed-in user has of their own: notifications and jobs.
_OWN = (NOTIFICATION, JOBS)

# Every signed-in user may look at and edit their own profile and password.
_SELF_SERVICE = (
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_userinfo", USERS),  # /users/userinfo/: one's own account page
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    # The REST API's description and its Swagger page (structure only, no data).
    ("can_get", "OpenApi"),
    ("can_show", "SwaggerView"),
)

# FAB's role and permission screens, with their menu entries.
_SECURITY_SCREENS = (
    *(( p, "RoleModelView") for p in ("can_list", "can_show", "can_add", "can_edit",
                                      "can_delete", "copyrole")),
    ("can_list", "PermissionModelView"), ("can_list", "ViewMenuModelView"),
    ("can_list", "PermissionViewModelView"),
    ("menu_access", "List Roles"), ("menu_access", "Base Permissions"),
    ("menu_access", "Views/Menus"), ("menu_access", "Permission on Views/Menus"),
)

ROLES: tuple[RoleSpec, ...] = (
    # The system admin's permissions are all of them (FAB grants AUTH_ROLE_ADMIN every
    # permission); the entry here gives it its rank and demo user.
    _spec(SYSTEM_ADMIN, "sysadmin", 100),
    _spec(AUDITOR, "auditor", 90, reads=(AUDIT,), extra=_SELF_SERVICE),
    # Roles and permissions (app/security/duties.py): FAB's role and permission screens,
    # and the user screen to grant roles and to reset an auditor's password.
    _spec(SECURITY_ADMIN, "secadmin", 95, reads=(USERS,), writes=(USERS,),
          extra=_SELF_SERVICE + _SECURITY_SCREENS
          + (("can_this_form_get", "ScopedResetPasswordView"),
             ("can_this_form_post", "ScopedResetPasswordView"))),
    _spec(BUREAU_ADMIN, "admin", 80,
          reads=_ALL_DOMAIN,
          writes=(ITEM_TEMPLATE, STAGE, USERS, CALENDAR, LEDGER, MEASURE, TERMINATION) + _OWN
          + _MEETINGS,
          extra=_SELF_SERVICE + _DECISION_COMPLETE
          + (("can_this_form_get", "ScopedResetPasswordView"),
             ("can_this_form_post", "ScopedResetPasswordView"))),
    _spec(DISPATCHER, "dispatcher", 60, reads=_ALL_DOMAIN,
          writes=(CARD, WORK_ORDER, LEDGER, WORKFLOW, ARCHIVE, TERMINATION, URGE) + _OWN
          + _MEETINGS,
          extra=_SELF_SERVICE + _DECISION_COMPLETE),
    _spec(ASSISTANT, "assistant", 40, reads=_ALL_DOMAIN,
          writes=(PROJECT, APPROVAL_ITEM, PROJECT_TEAM, LEDGER, WORKFLOW, INTAKE, SERVICE_PLAN,
                  ITEM_MATERIAL, ARCHIVE, URGE, WORK_LOG) + _OWN,
          extra=_SELF_SERVICE + _PLAN_SIGN),
    # Clerks and companies write workflows: the measures' definitions give them steps
    # (role keys "clerk" and "company"); which steps, the definition decides.
    _spec(CLERK, "clerk", 40, reads=_ALL_DOMAIN,
          writes=(PROJECT, APPROVAL_ITEM, APPLICANT, PROJECT_TEAM, LEDGER, WORKFLOW,
                  ITEM_MATERIAL, ARCHIVE) + _OWN,
          extra=_SELF_SERVICE),
    # Department officers answer the work orders sent to their unit, and act on their
    # items through the item actions (no free edit of an item's status and dates).
    _spec(DEPARTMENT, "dept", 30,
          reads=(PROJECT, APPROVAL_ITEM, REGION, ORG_UNIT, STAGE, CALENDAR, CARD, WORK_ORDER,
                 WORKFLOW, SERVICE_PLAN, PLAN_OPINION, MEETING, DECISION),
          writes=(ITEM_ACTION, ITEM_MATERIAL, WORKFLOW) + _OWN,
          extra=_SELF_SERVICE + (("can_reply", WORK_ORDER),) + _PLAN_ANSWER
          + _DECISION_COMPLETE),
    # The company: its own projects, items, applicant record and measures (see the module
    # docstring of app.security.scope); none of the internal supervision (cards, work orders).
    _spec(ENTERPRISE, "company", 10,
          reads=(PROJECT, APPROVAL_ITEM, APPLICANT, WORKFLOW, SERVICE_PLAN, ITEM_MATERIAL) + _OWN,
          writes=(WORKFLOW,) + _OWN, extra=_SELF_SERVICE + _PLAN_SIGN),
)

# 协调推进 (app/services/coordination.py): read by staff, departments and companies (as an
# owner, on its own projects); write = raise, resolve, reopen (the raiser's side); can_reply
# for owner units and the company; can_escalate (and the 专报) for dispatchers; can_signoff
# for those a region names as its 分管领导 (RegionLeader; the command checks the list).
COORDINATION = "CoordinationRequest"
REGION_LEADER = "RegionLeader"  # a region's 分管领导 for coordination sign-off
_COORDINATION_GRANTS: dict[str, tuple[tuple, tuple, tuple]] = {
    # role: (reads, writes, extra)
    BUREAU_ADMIN: ((COORDINATION,), (REGION_LEADER,), (("can_signoff", COORDINATION),)),
    DISPATCHER: ((COORDINATION, REGION_LEADER), (COORDINATION,),
                 (("can_escalate", COORDINATION), ("can_signoff", COORDINATION))),
    ASSISTANT: ((COORDINATION,), (COORDINATION,), ()),
    CLERK: ((COORDINATION,), (), ()),
    DEPARTMENT: ((COORDINATION,), (COORDINATION,), (("can_reply", COORDINATION),)),
    ENTERPRISE: ((COORDINATION,), (), (("can_reply", COORDINATION),)),
}


def _granted(spec: RoleSpec) -> RoleSpec:
    reads, writes, extra = _COORDINATION_GRANTS.get(spec.name, ((), (), ()))
    return RoleSpec(spec.name, spec.key, spec.rank, spec.reads | set(reads) | set(writes),
                    spec.writes | set(writes), spec.extra + tuple(extra))


ROLES = tuple(_granted(r) for r in ROLES)

ROLES_BY_NAME = {r.name: r for r in ROLES}

# The roles whose holders may be a project's 帮办员 (the picker of the project's assistants
# offers only them): the assistants, and the dispatch centre (服务专班), which takes projects
# on itself. Never companies, departments, clerks or the auditor.
ASSISTING_ROLES: tuple[str, ...] = (ASSISTANT, DISPATCHER)
ROLES_BY_KEY = {r.key: r for r in ROLES}


def rank_of(role_names) -> int:
    return max((ROLES_BY_NAME[n].rank for n in role_names if n in ROLES_BY_NAME), default=0)

