"""Screens and APIs for 对接需求 (intake records) and 帮办服务方案 (service plans).

- ``IntakeRecordView`` / ``IntakeRecordApi``: the intake record of a project, with the
  signed letter of entrustment uploaded (the workflow attachments' checks) and served in
  scope.
- ``ServicePlanView``: a plan version in 附录A's layout with what the user may do now
  (send to the departments, sign, make a new version, export to Excel, compare versions);
  its rows (assistants, items and their materials) are edited on child screens, refused
  once the version is signed. "Add" generates the plan from the project.
- ``PlanOpinionView``: the departments' opinion tasks, answered by their officers.
- ``ServicePlanApi``: read, and ``POST /<id>/sign`` — the same command as the screen.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, ValidationError
from wtforms.validators import Optional as OptionalValue

from app import clock
from app.extensions import db
from app.models import (
    IntakeRecord,
    PlanAssistant,
    PlanItem,
    PlanMaterial,
    PlanOpinion,
    PlanStatus,
    Project,
    ServicePlan,
)
from app.security import roles
from app.security.scope import get_in_scope
from app.services import service_plans as plans
from app.services import workflow_files
from app.services.errors import DomainValidationError
from workers import user_jobs
from workers.base import QueueUnavailable

from .access import get_in_scope_or_404
from .base import API_VERBS, VIEW_VERBS, ScopedModelRestApi, ScopedModelView
from .downloads import send_download
from .labels import LABELS
from .widgets import AjaxSelectField

_NO_CRUD_ROUTES = {"delete"}

INTAKE_LABELS = {
    **LABELS,
    "project": _("Project"),
    "entrustment_scope": _("Entrusted matters"),
    "entrusted_on": _("Entrusted on"),
    "letter_file": _("Letter of entrustment"),
    "first_contact_on": _("First contact on"),
    "contacted_by": _("Contacted by"),
    "applicant_contact": _("Applicant's contact person"),
    "told_laws": _("Laws and policies explained"),
    "told_procedure": _("Procedure explained"),
    "told_services": _("Services offered"),
    "needs": _("The applicant's needs"),
    "project_status": _("Project status"),
    "material_readiness": _("Material readiness"),
    "service_intent": _("Agreed service intent"),
    "intent_agreed_on": _("Intent agreed on"),
}
INTAKE_FORM = ["project", "entrustment_scope", "entrusted_on", "first_contact_on",
               "contacted_by", "applicant_contact", "told_laws", "told_procedure",
               "told_services", "needs", "project_status", "material_readiness",
               "service_intent", "intent_agreed_on"]

PLAN_LABELS = {**LABELS, **plans.FIELD_LABELS, "project": _("Project"),
               "version": _("Version"), "status": _("Status"),
               "sent_at": _("Sent to departments at"),
               "company_signed_at": _("Enterprise signed at"),
               "company_signer": _("Signed for the enterprise by"),
               "assistant_signed_at": _("Assistant signed at"),
               "assistant_signer": _("Signed by the assistant")}
PLAN_FORM = [c for c in plans.FIELD_LABELS if c not in ("code", "termination_clause")]
ROW_LABELS = {**LABELS, **plans.ROW_LABELS, "plan": _("Service plan"), "seq": _("Order"),
              "plan_item": _("Approval item"), "materials": _("Materials"),
              "department": _("Approval department"), "answer": _("Opinion"),
              "org_unit": _("Department"), "requested_at": _("Asked at"),
              "answered_at": _("Answered at"), "answered_by": _("Answered by")}


def _flash_errors(err: DomainValidationError) -> None:
    for message in err.errors.values():
        flash(str(message), "danger")


# -- intake ---------------------------------------------------------------------------------
class LetterForm(DynamicForm):
    letter = FileField(_("Letter of entrustment"))


class _IntakeDates:
    """The intake's date rules next to their fields (the same check as the API's)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, form, field) -> None:
        probe = IntakeRecord(**{n: form[n].data for n in (
            "first_contact_on", "entrusted_on", "intent_agreed_on") if n in form})
        try:
            plans.check_intake(probe, clock.today())
        except DomainValidationError as err:
            if self.name in err.errors:
                raise ValidationError(str(err.errors[self.name])) from None


class IntakeChecks:
    def pre_add(self, item):
        super().pre_add(item)
        plans.check_intake(item, clock.today())
        if item.contacted_by_id is None and item.contacted_by is None:
            item.contacted_by = g.user

    def pre_update(self, item):
        super().pre_update(item)
        plans.check_intake(item, clock.today())


class IntakeRecordView(IntakeChecks, ScopedModelView):
    datamodel = SQLAInterface(IntakeRecord)
    class_permission_name = roles.INTAKE
    method_permission_name = {**VIEW_VERBS, "letter": "write", "letter_file": "read"}
    base_permissions = ["can_read", "can_write"]
    label_columns = INTAKE_LABELS
    list_title = _("Intake records")
    show_title = _("Intake record")
    add_title = _("New intake record")
    edit_title = _("Edit intake record")
    show_template = "service_plans/intake_show.html"
    list_columns = ["project", "first_contact_on", "contacted_by", "entrusted_on",
                    "intent_agreed_on"]
    add_columns = edit_columns = INTAKE_FORM
    show_columns = INTAKE_FORM
    validators_columns = {n: [_IntakeDates(n)] for n in (
        "first_contact_on", "entrusted_on", "intent_agreed_on")}
    search_columns = ["project", "first_contact_on", "entrusted_on"]
    add_form_extra_fields = edit_form_extra_fields = {
        "project": AjaxSelectField(_("Project"), "project", validators=[DataRequired()])}
    show_fieldsets = [
        (_("Entrustment"), {"fields": ["project", "entrustment_scope", "entrusted_on"]}),
        (_("First contact"), {"fields": ["first_contact_on", "contacted_by",
                                         "applicant_contact", "told_laws", "told_procedure",
                                         "told_services"]}),
        (_("Needs and intent"), {"fields": ["needs", "project_status", "material_readiness",
                                            "service_intent", "intent_agreed_on"]}),
    ]
    add_fieldsets = edit_fieldsets = show_fieldsets

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        intake = self._scoped_get(pk)
        widgets = self._show(intake.id)
        return self.render_template(
            self.show_template, pk=intake.id, title=self.show_title, widgets=widgets,
            related_views=self._related_views, intake=intake,
            letter_name=(workflow_files.display_name(intake.letter_file)
                         if intake.letter_file else None),
            can_upload=self.appbuilder.sm.has_access("can_write", roles.INTAKE),
            letter_form=LetterForm())

    @expose("/letter/<int:pk>", methods=["POST"])
    @has_access
    def letter(self, pk):
        intake = self._scoped_get(pk)
        form = LetterForm()
        if not form.validate():
            abort(400)
        try:
            plans.attach_letter(db.session, intake, request.files.get("letter"))
            db.session.commit()
        except workflow_files.AttachmentRefused as err:
            db.session.rollback()
            flash(str(err), "danger")
        except DomainValidationError as err:
            db.session.rollback()
            _flash_errors(err)
        else:
            flash(gettext("The letter of entrustment is stored."), "success")
        return redirect(url_for("IntakeRecordView.show", pk=pk))

    @expose("/letter_file/<int:pk>", methods=["GET"])
    @has_access
    def letter_file(self, pk):
        intake = self._scoped_get(pk)
        path = plans.letter_path(intake)
        if path is None:
            abort(404)
        return send_download(path, workflow_files.display_name(intake.letter_file),
                             "IntakeRecord", intake.id)


class ProjectIntakeView(IntakeRecordView):
    """The intake tab of a project's page."""

    list_columns = ["first_contact_on", "contacted_by", "entrusted_on", "intent_agreed_on"]


class IntakeRecordApi(IntakeChecks, ScopedModelRestApi):
    resource_name = "intake_record"
    datamodel = SQLAInterface(IntakeRecord)
    class_permission_name = roles.INTAKE
    list_columns = ["id", "project.id", "project.name", "first_contact_on", "entrusted_on",
                    "intent_agreed_on"]
    show_columns = ["id", "project.id", "project.name", "letter_file", "contacted_by.id"] + [
        c for c in INTAKE_FORM if c not in ("project", "contacted_by")]
    add_columns = edit_columns = INTAKE_FORM


# -- plans ----------------------------------------------------------------------------------
class GenerateForm(DynamicForm):
    project = AjaxSelectField(_("Project"), "project", validators=[DataRequired()])


class SignForm(DynamicForm):
    pass


class AnswerForm(DynamicForm):
    answer = TextAreaField(_("Opinion"), validators=[DataRequired()],
                           widget=BS3TextAreaFieldWidget())


def _check_plan_row(plan: ServicePlan | None, item=None) -> None:
    if plan is None:
        raise DomainValidationError({"plan": gettext("This field is required.")})
    plans.check_editable(plan) if item is None else plans.check_row_editable(plan, item)


class PlanRowChecks:
    """Rows of a signed version are not changed (the completion record excepted)."""

    def _plan_of(self, item):
        return item.plan

    def pre_add(self, item):
        super().pre_add(item)
        _check_plan_row(self._plan_of(item))

    def pre_update(self, item):
        super().pre_update(item)
        _check_plan_row(self._plan_of(item), item)

    def pre_delete(self, item):
        _check_plan_row(self._plan_of(item))


class PlanMaterialView(PlanRowChecks, ScopedModelView):
    datamodel = SQLAInterface(PlanMaterial)
    class_permission_name = roles.SERVICE_PLAN
    label_columns = ROW_LABELS
    list_title = _("Materials and requirements")
    show_title = add_title = edit_title = _("Material")
    list_columns = ["seq", "name", "requirements"]
    add_columns = edit_columns = show_columns = ["plan_item", "seq", "name", "requirements"]
    base_order = ("seq", "asc")

    def _plan_of(self, item):
        return item.plan_item.plan if item.plan_item is not None else None


class PlanItemView(PlanRowChecks, ScopedModelView):
    datamodel = SQLAInterface(PlanItem)
    class_permission_name = roles.SERVICE_PLAN
    label_columns = ROW_LABELS
    list_title = _("Stages and approval items")
    show_title = add_title = edit_title = _("Approval item of the plan")
    list_columns = ["stage", "name", "department", "time_limit", "fees", "completed_on",
                    "completion_result"]
    add_columns = edit_columns = show_columns = [
        "plan", "seq", "stage", "name", "department", "time_limit", "fees",
        "division_of_labour", "notes", "completed_on", "completion_result"]
    related_views = [PlanMaterialView]
    base_order = ("seq", "asc")


class PlanAssistantView(PlanRowChecks, ScopedModelView):
    datamodel = SQLAInterface(PlanAssistant)
    class_permission_name = roles.SERVICE_PLAN
    label_columns = ROW_LABELS
    list_title = _("Assistants")
    show_title = add_title = edit_title = _("Assistant")
    list_columns = ["seq", "unit", "department", "name", "phone"]
    add_columns = edit_columns = show_columns = ["plan", "seq", "unit", "department", "name",
                                                 "phone"]
    base_order = ("seq", "asc")


def answer_link(opinion_id) -> Markup:
    """An "answer" button on each row (the officer's form checks who may answer)."""
    url = url_for("PlanOpinionView.answer", pk=opinion_id)
    label = gettext("Answer")
    return Markup(f'<a class="btn btn-xs btn-primary plan-opinion-answer" '
                  f'href="{escape(url)}"><i class="fa fa-reply"></i> {escape(label)}</a>')


class PlanOpinionView(ScopedModelView):
    datamodel = SQLAInterface(PlanOpinion)
    class_permission_name = roles.PLAN_OPINION
    exclude_route_methods = {"add", "edit", "delete"}
    method_permission_name = {**VIEW_VERBS, "answer": "answer"}
    base_permissions = ["can_read", "can_write", "can_answer"]
    label_columns = {**ROW_LABELS, "id": _("Operations")}
    list_title = _("Department opinions on service plans")
    show_title = _("Department opinion")
    show_columns = ["plan", "org_unit", "requested_at", "answer", "answered_by", "answered_at"]
    list_columns = show_columns + ["id"]
    formatters_columns = {"id": answer_link}
    search_columns = ["org_unit", "answered_at"]
    base_order = ("requested_at", "desc")

    @expose("/answer/<int:pk>", methods=["GET", "POST"])
    @has_access
    def answer(self, pk):
        opinion = self._scoped_get(pk)
        form = AnswerForm()
        if request.method == "POST":
            if form.validate():
                try:
                    plans.answer_opinion(db.session, opinion, g.user, form.answer.data)
                    db.session.commit()
                except DomainValidationError as err:
                    db.session.rollback()
                    _flash_errors(err)
                else:
                    flash(gettext("Your opinion is recorded."), "success")
                    return redirect(url_for("PlanOpinionView.list"))
            else:
                flash(gettext("Please write the department's opinion."), "danger")
        return self.render_template(
            "service_plans/opinion_answer.html", form=form, opinion=opinion,
            plan=opinion.plan, sections=plans.sections(opinion.plan),
            title=gettext("Opinion on the service plan") + f"：{opinion.plan.project_name}")


class ServicePlanView(ScopedModelView):
    datamodel = SQLAInterface(ServicePlan)
    class_permission_name = roles.SERVICE_PLAN
    exclude_route_methods = _NO_CRUD_ROUTES
    method_permission_name = {**VIEW_VERBS, "send": "write", "revise": "write",
                              "export": "read", "diff": "read", "sign": "sign"}
    base_permissions = ["can_read", "can_write", "can_sign"]
    label_columns = PLAN_LABELS
    list_title = _("Service plans")
    show_title = _("Service plan")
    edit_title = _("Edit service plan")
    show_template = "service_plans/plan_show.html"
    list_columns = ["code", "project_name", "applicant_name", "version", "status",
                    "company_signed_at", "assistant_signed_at"]
    search_columns = ["code", "project_name", "applicant_name", "status", "version"]
    order_columns = ["code", "version", "status"]
    edit_columns = PLAN_FORM
    show_columns = ["code", "version", "status"] + PLAN_FORM
    related_views = [PlanAssistantView, PlanItemView]
    base_order = ("code", "asc")
    # The form in 附录A's sections.
    edit_fieldsets = [
        (_("Applicant"), {"fields": ["applicant_name", "applicant_address", "applicant_nature",
                                     "leader", "leader_title", "leader_phone"]}),
        (_("Project"), {"fields": ["project_name", "project_address", "project_code",
                                   "investment_wan", "funding_source", "floor_area_wan_m2",
                                   "land_nature", "list_level", "main_use_scale",
                                   "approval_status"]}),
        (_("Service"), {"fields": [c for c in PLAN_FORM if c.startswith(("covers_", "does_"))
                                   or c in ("other_stages", "coaching", "coordination",
                                            "handling", "other_service")]}),
        (_("Contacts and notes"), {"fields": ["contact_person", "contact_phone", "notes"]}),
    ]

    # Ticks are optional (a non-null boolean would make FAB's checkbox required).
    edit_form_extra_fields = {c: BooleanField(PLAN_LABELS[c], validators=[OptionalValue()])
                              for c in PLAN_FORM if c.startswith(("covers_", "does_"))}

    def pre_update(self, item):
        super().pre_update(item)
        plans.check_editable(item)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Generate version 1 of a project's plan (the project tab's "+" lands here)."""
        form = GenerateForm()
        if request.method == "GET":
            pk = request.args.get("_flt_0_project")
            if pk:
                form.project.data = get_in_scope_or_404(Project, pk)
        elif form.validate():
            try:
                plan = plans.generate_plan(db.session, form.project.data, g.user)
                db.session.commit()
            except DomainValidationError as err:
                db.session.rollback()
                _flash_errors(err)
            else:
                flash(gettext("The service plan has been drafted from the project."),
                      "success")
                return redirect(url_for("ServicePlanView.show", pk=plan.id))
        else:
            flash(gettext("Please choose a project."), "danger")
        widgets = {"edit": FormWidget(form=form, include_cols=["project"], exclude_cols=[],
                                      fieldsets=[])}
        return self.render_template("appbuilder/general/model/edit.html",
                                    title=gettext("Draft a service plan"), widgets=widgets)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        plan = self._scoped_get(pk)
        sm = self.appbuilder.sm
        may_write = sm.has_access("can_write", roles.SERVICE_PLAN)
        side = plans.signing_side(plan, g.user) if sm.has_access(
            "can_sign", roles.SERVICE_PLAN) else None
        signed = {plans.COMPANY: plan.company_signed_at,
                  plans.ASSISTANT: plan.assistant_signed_at}
        current = plan.status != PlanStatus.SUPERSEDED
        return self.render_template(
            self.show_template, pk=plan.id, title=self.show_title,
            widgets=self._show(plan.id), related_views=self._related_views, plan=plan,
            sections=plans.sections(plan), versions=plans.versions(db.session, plan),
            plan_title=plans.plan_title(plan),
            form=SignForm(),
            can_edit=may_write and current and not plan.any_signature,
            can_send=may_write and plan.status == PlanStatus.DRAFT,
            can_revise=may_write and current and plan.any_signature,
            can_sign=side is not None and signed[side] is None
            and plan.status == PlanStatus.SIGNING,
            opinions=plan.opinions if not sm.has_access("can_answer", roles.PLAN_OPINION)
            or may_write else [o for o in plan.opinions if o.org_unit_id == g.user.org_unit_id],
            show_opinions=not _is_enterprise())

    def _back(self, pk):
        return redirect(url_for("ServicePlanView.show", pk=pk))

    def _run(self, pk, fn, done):
        plan = self._scoped_get(pk)
        if not SignForm().validate():
            abort(400)
        try:
            result = fn(plan)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            _flash_errors(err)
            return self._back(pk)
        flash(done, "success")
        return self._back(result.id if isinstance(result, ServicePlan) else pk)

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk):
        return self._run(pk, lambda p: plans.send_for_opinions(db.session, p, g.user),
                         gettext("The draft has been sent to the departments for their "
                                 "opinion."))

    @expose("/sign/<int:pk>", methods=["POST"])
    @has_access
    def sign(self, pk):
        return self._run(pk, lambda p: plans.sign_plan(db.session, p, g.user),
                         gettext("Your signature is recorded."))

    @expose("/revise/<int:pk>", methods=["POST"])
    @has_access
    def revise(self, pk):
        return self._run(pk, lambda p: plans.revise_plan(db.session, p, g.user),
                         gettext("A new version has been made; both sides sign it again."))

    @expose("/export/<int:pk>", methods=["POST"])
    @has_access
    def export(self, pk):
        plan = self._scoped_get(pk)
        if not SignForm().validate():
            abort(400)
        try:
            user_jobs.start(db.session, g.user.id, "service_plan_xlsx",
                            f"{gettext('Service plan (Excel)')} {plan.code} v{plan.version}",
                            {"plan_id": plan.id})
        except QueueUnavailable:
            from app.services import jobs

            flash(jobs.QUEUE_DOWN_MESSAGE, "danger")
        else:
            flash(gettext("The export has started; download the file from My jobs when it "
                          "is ready."), "info")
        return redirect(url_for("JobRecordView.list"))

    @expose("/diff/<int:pk>", methods=["GET"])
    @has_access
    def diff(self, pk):
        new = self._scoped_get(pk)
        other = request.args.get("other")
        old = get_in_scope_or_404(ServicePlan, other) if other else new.previous
        if old is None or old.project_id != new.project_id:
            flash(gettext("Choose two versions of the same plan."), "warning")
            return self._back(pk)
        if old.version > new.version:
            old, new = new, old
        return self.render_template("service_plans/plan_diff.html",
                                    diff=plans.diff_plans(old, new),
                                    versions=plans.versions(db.session, new),
                                    title=gettext("Changes between versions"))


def _is_enterprise() -> bool:
    from app.security.scope import current_scope

    return current_scope().enterprise


class ProjectPlansView(ServicePlanView):
    """The service plans tab of a project's page (every version)."""

    list_columns = ["version", "status", "company_signed_at", "assistant_signed_at"]
    base_order = ("version", "desc")


class ServicePlanApi(ScopedModelRestApi):
    resource_name = "service_plan"
    datamodel = SQLAInterface(ServicePlan)
    class_permission_name = roles.SERVICE_PLAN
    include_route_methods = {"get", "get_list", "info", "sign"}
    method_permission_name = {**API_VERBS, "sign": "sign"}
    base_permissions = ["can_read", "can_write", "can_sign"]
    list_columns = ["id", "project.id", "code", "version", "status", "project_name",
                    "applicant_name", "company_signed_at", "assistant_signed_at"]
    show_columns = ["id", "project.id", "version", "status", "sent_at"] + list(
        plans.FIELD_LABELS) + ["company_signed_at", "company_signer", "assistant_signed_at",
                               "assistant_signer", "previous.id", "assistants.name",
                               "assistants.unit", "assistants.department", "assistants.phone",
                               "items.id", "items.name", "items.stage", "items.time_limit",
                               "items.fees", "items.division_of_labour", "items.notes",
                               "items.completed_on", "items.completion_result"]

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """Sign the plan for the caller's side (the enterprise's contact or the lead
        assistant).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: signed
            404:
              description: not in the caller's scope
            422:
              description: refused (signed twice, another company, superseded version)
        """
        plan = get_in_scope(db.session, ServicePlan, pk)
        if plan is None:
            return self.response_404()
        try:
            side = plans.sign_plan(db.session, plan, g.user)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message={k: str(v) for k, v in err.errors.items()})
        return self.response(200, side=side, status=plan.status.name,
                             fully_signed=plan.fully_signed)


__all__ = ["IntakeRecordView", "ProjectIntakeView", "IntakeRecordApi", "ServicePlanView",
           "ProjectPlansView", "PlanAssistantView", "PlanItemView", "PlanMaterialView",
           "PlanOpinionView", "ServicePlanApi"]
