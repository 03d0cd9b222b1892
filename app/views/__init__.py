"""Menus and views, declared in one function the factory calls: every screen, menu entry
and REST API of the core is registered here (plugins add theirs through ``register_views``)."""
from flask_babel import lazy_gettext as _

from .approvals import (
    ApprovalItemApi,
    ApprovalItemView,
    ItemTemplateApi,
    ItemTemplateView,
    ProjectItemsView,
    StageView,
)
from .audit import AuditRecordView
from .calendar import CalendarDayView, ItemCorrectionView
from .coordination import (
    AwaitingMyUnitView,
    CoordinationRequestApi,
    CoordinationRequestView,
    ProjectCoordinationView,
    RegionLeaderView,
)
from .item_actions import ItemActionApi, ItemActionView, ItemMaterialView
from .jobs import JobRecordView
from .ledgers import LedgerView
from .lookup import LookupView
from .measures import MeasureView, WorkflowDefinitionView
from .meetings import (
    DecisionApi,
    DecisionView,
    MeetingAgendaView,
    MeetingApi,
    MeetingDecisionsView,
    MeetingView,
    ProjectDecisionsView,
    TaskForceMemberApi,
    TaskForceMemberView,
)
from .process import ArchiveFileApi, ArchiveView, MyProjectsView, TerminationView
from .projects import (
    ProjectApi,
    ProjectAssistantView,
    ProjectsWithoutLeadView,
    ProjectView,
    ServiceTeamView,
)
from .regions import ApplicantApi, ApplicantView, OrgUnitApi, OrgUnitView, RegionApi, RegionView
from .service_plans import (
    IntakeRecordApi,
    IntakeRecordView,
    PlanAssistantView,
    PlanItemView,
    PlanMaterialView,
    PlanOpinionView,
    ProjectIntakeView,
    ProjectPlansView,
    ServicePlanApi,
    ServicePlanView,
)
from .urges import UrgeApi, UrgeProposalView, UrgeView
from .warnings import (
    NotificationView,
    ProjectCardsView,
    ProjectWorkOrdersView,
    WarningCardView,
    WorkOrderView,
)
from .work_logs import DailyReportView, ProjectWorkLogsView, WorkLogApi, WorkLogView
from .workflow import ProjectWorkflowsView, WorkflowInstanceApi

PROJECTS = "Projects"
SETTINGS = "Settings"
AUDIT = "Audit"


def register_views(appbuilder) -> None:
    appbuilder.add_view(ProjectView, "Major projects", label=_("Major projects"),
                        icon="fa-building", category=PROJECTS, category_label=_("Projects"),
                        category_icon="fa-folder-open")
    appbuilder.add_view(MyProjectsView, "My projects", label=_("My projects"),
                        icon="fa-user-check", category=PROJECTS)
    appbuilder.add_view(ProjectsWithoutLeadView, "Projects without a lead assistant",
                        label=_("Projects without a lead assistant"), icon="fa-user-xmark",
                        category=PROJECTS)
    appbuilder.add_view(ApprovalItemView, "Approval items", label=_("Approval items"),
                        icon="fa-list-check", category=PROJECTS)
    appbuilder.add_view_no_menu(ItemActionView)
    appbuilder.add_view_no_menu(ItemMaterialView)
    appbuilder.add_view_no_menu(ArchiveView)
    appbuilder.add_view_no_menu(TerminationView)
    appbuilder.add_view(ApplicantView, "Applicants", label=_("Applicants"),
                        icon="fa-industry", category=PROJECTS)
    # 对接需求 and 帮办服务方案 (app/views/service_plans.py).
    appbuilder.add_view(IntakeRecordView, "Intake records", label=_("Intake records"),
                        icon="fa-handshake", category=PROJECTS)
    appbuilder.add_view(ServicePlanView, "Service plans", label=_("Service plans"),
                        icon="fa-file-signature", category=PROJECTS)
    appbuilder.add_view(PlanOpinionView, "Plan opinions", label=_("Department opinions on plans"),
                        icon="fa-comments", category=PROJECTS)
    for view in (ProjectIntakeView, ProjectPlansView, PlanAssistantView, PlanItemView,
                 PlanMaterialView):
        appbuilder.add_view_no_menu(view)
    appbuilder.add_view_no_menu(ProjectItemsView)
    appbuilder.add_view_no_menu(ProjectAssistantView)
    appbuilder.add_view_no_menu(ServiceTeamView)
    appbuilder.add_view_no_menu(LookupView)
    appbuilder.add_view_no_menu(LedgerView)

    appbuilder.add_view(RegionView, "Regions", label=_("Regions"), icon="fa-sitemap",
                        category=SETTINGS, category_label=_("Settings"), category_icon="fa-gear")
    appbuilder.add_view(OrgUnitView, "Departments and units", label=_("Departments and units"),
                        icon="fa-landmark", category=SETTINGS)
    appbuilder.add_view(StageView, "Stages", label=_("Stages"), icon="fa-stairs",
                        category=SETTINGS)
    appbuilder.add_view(CalendarDayView, "Holiday calendar", label=_("Holiday calendar"),
                        icon="fa-calendar-days", category=SETTINGS)
    appbuilder.add_view_no_menu(ItemCorrectionView)
    appbuilder.add_view(MeasureView, "Innovation measures", label=_("Innovation measures"),
                        icon="fa-lightbulb", category=SETTINGS)
    appbuilder.add_view(WorkflowDefinitionView, "Low-code measures", label=_("Low-code measures"),
                        icon="fa-diagram-project", category=SETTINGS)
    appbuilder.add_view(ItemTemplateView, "Item templates", label=_("Approval item templates"),
                        icon="fa-clipboard-list", category=SETTINGS)

    appbuilder.add_view(WarningCardView, "Warning cards", label=_("Red and yellow cards"),
                        icon="fa-triangle-exclamation", category=PROJECTS)
    appbuilder.add_view(WorkOrderView, "Work orders", label=_("Work orders"),
                        icon="fa-clipboard-check", category=PROJECTS)
    appbuilder.add_view(UrgeProposalView, "Urge proposals", label=_("Urge proposals"),
                        icon="fa-bullhorn", category=PROJECTS)
    appbuilder.add_view_no_menu(UrgeView)
    appbuilder.add_view(NotificationView, "Notifications", label=_("Notifications"),
                        icon="fa-bell", category=PROJECTS)
    appbuilder.add_view_no_menu(ProjectCardsView)
    appbuilder.add_view_no_menu(ProjectWorkOrdersView)
    appbuilder.add_view_no_menu(ProjectWorkflowsView)
    # 帮办代办日志 and 今日报送 (app/views/work_logs.py).
    appbuilder.add_view(WorkLogView, "Work logs", label=_("Work logs"), icon="fa-book",
                        category=PROJECTS)
    appbuilder.add_view(DailyReportView, "Daily report", label=_("Daily report"),
                        icon="fa-calendar-check", category=PROJECTS)
    appbuilder.add_view_no_menu(ProjectWorkLogsView)
    appbuilder.add_api(WorkLogApi)
    appbuilder.add_view(JobRecordView, "My jobs", label=_("My jobs"), icon="fa-download",
                        category=PROJECTS)
    # 协调推进 and 三级联动 (app/views/coordination.py).
    appbuilder.add_view(CoordinationRequestView, "Coordination requests",
                        label=_("Coordination requests"), icon="fa-people-arrows",
                        category=PROJECTS)
    appbuilder.add_view(AwaitingMyUnitView, "Awaiting my unit's reply",
                        label=_("Awaiting my unit's reply"), icon="fa-inbox", category=PROJECTS)
    appbuilder.add_view_no_menu(ProjectCoordinationView)
    appbuilder.add_view(RegionLeaderView, "Leaders for coordination",
                        label=_("分管领导 for coordination"), icon="fa-user-tie",
                        category=SETTINGS)
    appbuilder.add_api(CoordinationRequestApi)

    # 专班 meetings and their decisions (app/views/meetings.py).
    appbuilder.add_view(MeetingView, "Meetings", label=_("Meetings"), icon="fa-people-group",
                        category="Meetings", category_label=_("Meetings"),
                        category_icon="fa-people-group")
    appbuilder.add_view(DecisionView, "Decisions", label=_("Meeting decisions"),
                        icon="fa-gavel", category="Meetings")
    appbuilder.add_view(TaskForceMemberView, "Task force", label=_("Task force"),
                        icon="fa-sitemap", category="Meetings")
    for view in (MeetingAgendaView, MeetingDecisionsView, ProjectDecisionsView):
        appbuilder.add_view_no_menu(view)

    appbuilder.add_view(AuditRecordView, "Audit trail", label=_("Audit trail"),
                        icon="fa-shield-halved", category=AUDIT, category_label=_("Audit"),
                        category_icon="fa-eye")

    for api in (ProjectApi, ApprovalItemApi, ItemTemplateApi, RegionApi, OrgUnitApi, ApplicantApi,
                WorkflowInstanceApi, ServicePlanApi, IntakeRecordApi, ItemActionApi,
                ArchiveFileApi, MeetingApi, DecisionApi, TaskForceMemberApi):
        appbuilder.add_api(api)
    appbuilder.add_api(UrgeApi)

    # Every string of a page from the request's catalogue, found once (see catalogue.py).
    from flask import current_app

    from .catalogue import install as install_catalogue

    install_catalogue(current_app)
