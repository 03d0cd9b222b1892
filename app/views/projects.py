"""Screens and API for major projects, their assistants and service team."""
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from wtforms import BooleanField
from wtforms.validators import DataRequired, InputRequired

from app.extensions import db
from app.models import Project, ProjectAssistant, RegionLevel, ServiceTeamMember
from app.security import roles
from app.services import timeline

from . import badges
from .access import get_in_scope_or_404
from .approvals import ProjectItemsView
from .base import LevelIn, ScopedModelRestApi, ScopedModelView, display_value
from .coordination import ProjectCoordinationView
from .labels import LABELS
from .meetings import ProjectDecisionsView
from .pickers import AssistantField
from .process import WITHOUT_LEAD_FILTERS
from .service_plans import ProjectIntakeView, ProjectPlansView
from .warnings import ProjectCardsView, ProjectWorkOrdersView
from .widgets import AjaxSelectField
from .work_logs import ProjectWorkLogsView
from .workflow import ProjectWorkflowsView

PROJECT_FORM = [
    "code", "name", "region", "town", "address", "applicant", "leader", "contact_person",
    "contact_phone", "investment_wan", "funding_source", "floor_area_wan_m2", "land_nature",
    "list_level", "list_year", "main_use_scale", "planned_start_on", "planned_completion_on",
    "current_stage", "status", "termination_reason", "termination_note",
    "problems", "next_steps",
    "latitude", "longitude",  # the site's position (a photo's distance is measured from it)
]


PROJECT_LABELS = {**LABELS, "name": _("Project name"), "code": _("Project code")}


class ProjectAssistantView(ScopedModelView):
    datamodel = SQLAInterface(ProjectAssistant)
    class_permission_name = roles.PROJECT_TEAM
    label_columns = LABELS
    list_title = _("Assistants")
    show_title = add_title = edit_title = _("Assistant")
    list_columns = ["user", "is_lead", "assigned_on"]
    add_columns = edit_columns = show_columns = ["project", "user", "is_lead", "assigned_on"]
    # Only staff who can be assistants, by name; a forged id is refused next to the field
    # (InputRequired, not DataRequired: that one would replace the reason with "required").
    # A plain tick box for 牵头: FAB makes a NOT NULL boolean "required", which refuses a
    # second, non-lead assistant.
    add_form_extra_fields = {
        "user": AssistantField(_("Assistant"), validators=[InputRequired()]),
        "is_lead": BooleanField(LABELS["is_lead"], default=True),
    }
    edit_form_extra_fields = {
        "user": AssistantField(_("Assistant"), validators=[InputRequired()]),
        "is_lead": BooleanField(LABELS["is_lead"]),
    }


class ServiceTeamView(ScopedModelView):
    datamodel = SQLAInterface(ServiceTeamMember)
    class_permission_name = roles.PROJECT_TEAM
    label_columns = LABELS
    list_title = _("Service team")
    show_title = add_title = edit_title = _("Service team member")
    list_columns = ["org_unit", "role", "contact", "phone"]
    add_columns = edit_columns = show_columns = ["project", "org_unit", "role", "contact", "phone"]


class ProjectView(ScopedModelView):
    datamodel = SQLAInterface(Project)
    class_permission_name = roles.PROJECT
    label_columns = {**PROJECT_LABELS}
    list_title = _("Major projects")
    list_template = "ledger_list.html"  # the list with its "export ledger" button
    show_title = _("Project details")
    add_title = _("New project")
    edit_title = _("Edit project")
    list_columns = ["code", "name", "region", "list_level", "list_year", "investment_wan",
                    "current_stage", "status"]
    search_columns = ["code", "name", "region", "town", "applicant", "list_level", "list_year",
                      "current_stage", "status"]
    order_columns = ["code", "name", "list_year", "investment_wan", "status"]
    formatters_columns = {"status": badges.state_badge}
    add_columns = PROJECT_FORM
    edit_columns = PROJECT_FORM
    show_fieldsets = [
        (_("Basic information"), {"fields": ["code", "name", "region", "town", "address",
                                             "list_level", "list_year", "current_stage",
                                             "status", "termination_reason",
                                             "termination_note"]}),
        (_("Applicant"), {"fields": ["applicant", "leader", "contact_person", "contact_phone"]}),
        (_("Scale"), {"fields": ["investment_wan", "funding_source", "floor_area_wan_m2",
                                 "land_nature", "main_use_scale", "planned_start_on",
                                 "planned_completion_on"]}),
        # 存在问题 / 下步计划: printed in the 重大项目推进台账 for the progress meetings.
        (_("Problems and next steps"), {"fields": ["problems", "next_steps"]}),
        (_("Site position"), {"fields": ["latitude", "longitude"]}),
    ]
    add_fieldsets = edit_fieldsets = show_fieldsets
    # Applicants grow into the thousands: picked by typing, never a full dropdown.
    add_form_extra_fields = edit_form_extra_fields = {
        "applicant": AjaxSelectField(_("Applicant"), "applicant", validators=[DataRequired()]),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "region": [["level", LevelIn, (RegionLevel.CITY, RegionLevel.COUNTY)]],
        "town": [["level", LevelIn, (RegionLevel.TOWN,)]],
    }
    related_views = [ProjectItemsView, ProjectAssistantView, ServiceTeamView, ProjectCardsView,
                     ProjectWorkOrdersView, ProjectWorkflowsView, ProjectIntakeView, ProjectPlansView]
    related_views += [ProjectWorkLogsView]  # the 日志 tab
    related_views += [ProjectCoordinationView]  # 协调推进 (app/views/coordination.py)
    related_views += [ProjectDecisionsView]  # 议定事项 of the meetings (app/views/meetings.py)
    base_order = ("code", "asc")
    # The page shows the process timeline above the fields (app/services/timeline.py).
    show_template = "process/project_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        project = get_in_scope_or_404(Project, pk)
        widgets = self._show(project.id)
        return self.render_template(
            self.show_template, pk=project.id, title=self.show_title, widgets=widgets,
            related_views=self._related_views, project=project,
            timeline=timeline.timeline(db.session, project), when=display_value)


class ProjectsWithoutLeadView(ProjectView):
    """对接需求: projects in progress that have no lead assistant yet, for the dispatcher."""

    base_filters = WITHOUT_LEAD_FILTERS
    list_title = _("Projects without a lead assistant")
    list_template = "appbuilder/general/model/list.html"


class ProjectApi(ScopedModelRestApi):
    resource_name = "project"
    datamodel = SQLAInterface(Project)
    class_permission_name = roles.PROJECT
    field_labels = PROJECT_LABELS
    list_columns = ["id", "code", "name", "region.id", "region.name", "town.id", "town.name",
                    "applicant.id", "applicant.name", "list_level", "list_year",
                    "investment_wan", "current_stage.id", "current_stage.name", "status"]
    show_columns = ["id"] + [c for c in PROJECT_FORM if c not in (
        "region", "town", "applicant", "current_stage")] + [
        "region.id", "region.name", "town.id", "town.name", "applicant.id", "applicant.name",
        "current_stage.id", "current_stage.name"]
    add_columns = edit_columns = PROJECT_FORM
    search_columns = ["code", "name", "region", "list_level", "list_year", "status",
                      "current_stage"]
    order_columns = ["code", "name", "list_year", "investment_wan"]
