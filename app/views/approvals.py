"""Screens and API for approval items, item templates and stages."""
from flask import url_for
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from markupsafe import Markup
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from app.models import ApprovalItem, ItemTemplate, Stage
from app.models.approvals import action_needed_keys
from app.security import roles
from app.services import item_codes

from . import badges
from .base import ScopedModelRestApi, ScopedModelView
from .calendar import DEADLINE_FORMATTERS, DEADLINE_LABELS, ItemCorrectionView
from .item_actions import ItemMaterialView
from .labels import LABELS
from .widgets import AjaxSelectField

ITEM_FORM = ["project", "stage", "name", "department", "time_limit_days", "status",
             "accepted_on", "due_on", "finished_on", "result", "certificate_no",
             "fees_yuan", "fee_mode", "division_of_labour", "materials",
             "gap_materials", "gap_promised_on", "planned_start_on", "planned_finish_on",
             "responsible_person", "responsible_phone"]
# What the actions record (app/services/item_actions.py): shown, never typed in a form.
ACTION_RECORD = ["refusal_reason", "commitment", "result_told_at", "result_told_to"]


def _measure_links(links) -> Markup:
    """The measures that created, changed or relied on the item, linked to their pages
    (the instance is on the item's project, so it is in the viewer's scope too)."""
    from app.workflow.links import relation_label

    parts = []
    for link in links or []:
        ins = link.instance
        name = (ins.definition or {}).get("name") or ins.measure_key
        url = url_for("ProjectWorkflowsView.show", pk=ins.id)
        parts.append(Markup('<a href="%s">%s</a>（%s）') % (
            url, name, relation_label(link.relation)))
    return Markup("<br>").join(parts) if parts else Markup("")


def action_needed_first(direction: str = "asc") -> list:
    """What needs action first (``action_needed_keys``, served by its index)."""
    return [key.asc() for key in action_needed_keys()]


class ApprovalItemView(ScopedModelView):
    datamodel = SQLAInterface(ApprovalItem)
    class_permission_name = roles.APPROVAL_ITEM
    related_views = [ItemCorrectionView, ItemMaterialView]
    # The page leads department officers to the item's actions (受理, 补正, 办结 …).
    show_template = "process/item_show.html"
    label_columns = {**LABELS, **DEADLINE_LABELS, "workflow_links": _("Innovation measures")}
    formatters_columns = {**DEADLINE_FORMATTERS, "status": badges.state_badge,
                          "workflow_links": _measure_links}
    list_title = _("Approval items")
    list_template = "ledger_list.html"  # the list with its "export ledger" button
    show_title = _("Approval item")
    add_title = _("New approval item")
    edit_title = _("Edit approval item")
    list_columns = ["project", "stage", "name", "department", "status", "accepted_on",
                    "time_limit_days", "due_on", "remaining_working_days",
                    "overdue_working_days", "finished_on"]
    search_columns = ["project", "stage", "name", "department", "status", "accepted_on",
                      "due_on"]
    add_columns = edit_columns = ITEM_FORM
    show_columns = ITEM_FORM + ACTION_RECORD + [
                                "remaining_working_days", "overdue_working_days", "template",
                                "workflow_links", "created_at", "updated_at"]
    list_orders = {"action_needed": action_needed_first}
    base_order = ("action_needed", "asc")
    # Projects can number tens of thousands: pick them by typing, never a full dropdown.
    add_form_extra_fields = edit_form_extra_fields = {
        "project": AjaxSelectField(_("Project"), "project", validators=[DataRequired()]),
    }


class ProjectItemsView(ApprovalItemView):
    """The items tab of a project's page: the project column would repeat on every row."""

    list_columns = [c for c in ApprovalItemView.list_columns if c != "project"]


def _code_choices() -> list[tuple[str, str]]:
    """No code, or one of the standard items' codes shown with the item it stands for."""
    return [("", "—")] + [(code, f"{label}（{code}）")
                          for code, label in item_codes.labels().items()]


def _code_label(code: str | None) -> str:
    return item_codes.labels().get(code, code or "")


class ItemTemplateView(ScopedModelView):
    datamodel = SQLAInterface(ItemTemplate)
    class_permission_name = roles.ITEM_TEMPLATE
    label_columns = LABELS
    list_title = _("Approval item templates")
    show_title = add_title = edit_title = _("Approval item template")
    list_columns = ["region", "stage", "seq", "name", "code", "department", "time_limit_days",
                    "active"]
    search_columns = ["region", "stage", "name", "code", "department", "active"]
    add_columns = edit_columns = show_columns = [
        "region", "stage", "seq", "name", "code", "department", "time_limit_days", "fees_yuan",
        "fee_mode", "division_of_labour", "materials", "active"]
    base_order = ("seq", "asc")
    formatters_columns = {"code": _code_label}
    # The code ties the template to what measures rely on (app/services/item_codes.py), so
    # it is picked from the known codes; a region may reword the name freely.
    add_form_extra_fields = edit_form_extra_fields = {
        "code": SelectField(_("Standard item"), choices=_code_choices,
                            coerce=lambda v: v or None, validators=[Optional()],
                            description=_("Innovation measures find the item by this code.")),
    }


class StageView(ScopedModelView):
    datamodel = SQLAInterface(Stage)
    class_permission_name = roles.STAGE
    label_columns = LABELS
    list_title = _("Stages")
    show_title = add_title = edit_title = _("Stage")
    list_columns = ["seq", "code", "name", "region"]
    add_columns = edit_columns = show_columns = ["seq", "code", "name", "region"]
    base_order = ("seq", "asc")


class ApprovalItemApi(ScopedModelRestApi):
    resource_name = "approval_item"
    datamodel = SQLAInterface(ApprovalItem)
    class_permission_name = roles.APPROVAL_ITEM
    list_columns = ["id", "project.id", "project.code", "stage.id", "stage.name", "name",
                    "department.id", "department.name", "status", "accepted_on",
                    "time_limit_days", "due_on", "finished_on"]
    show_columns = list_columns + ["result", "certificate_no", "fees_yuan", "fee_mode",
                                   "division_of_labour", "materials", "gap_materials",
                                   "gap_promised_on", "planned_start_on", "planned_finish_on",
                                   "responsible_person", "responsible_phone"] + ACTION_RECORD
    add_columns = edit_columns = ITEM_FORM
    search_columns = ["project", "stage", "name", "department", "status", "due_on"]


class ItemTemplateApi(ScopedModelRestApi):
    """A region's standard items, code included, for bureaus that keep them in a script."""

    resource_name = "item_template"
    datamodel = SQLAInterface(ItemTemplate)
    class_permission_name = roles.ITEM_TEMPLATE
    list_columns = ["id", "region.id", "region.name", "stage.id", "stage.name", "seq", "name",
                    "code", "department.id", "department.name", "time_limit_days", "active"]
    show_columns = list_columns + ["fees_yuan", "fee_mode", "division_of_labour", "materials"]
    add_columns = edit_columns = ["region", "stage", "seq", "name", "code", "department",
                                  "time_limit_days", "fees_yuan", "fee_mode",
                                  "division_of_labour", "materials", "active"]
    search_columns = ["region", "stage", "name", "code", "department", "active"]
