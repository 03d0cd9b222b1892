"""Running innovation measures (创新举措) on projects: the project page's tab, the
instance page (diagram, timeline, actions with comment and attachments, cancelling) and
the REST API.

Thin: starting is ``app.services.measures.start_measure``; every action (its fields, its
attachments and the transition) is the command ``app.workflow.actions.perform_action``
and every cancellation ``engine.cancel`` (the same calls for the screens, the API and
workers); rows are reached through the scoped accessor; one transaction per request,
committed here.
"""
from __future__ import annotations

import json

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from wtforms import MultipleFileField, SelectField, TextAreaField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models import Project, WorkflowInstance, WorkflowInstanceStatus
from app.plugins import plugin_text
from app.security import roles
from app.security.scope import get_in_scope
from app.services import measures as measure_service
from app.services import workflow_files
from app.workflow import actions, engine, links
from app.workflow import fields as action_fields
from app.workflow.definition import DefinitionError

from . import badges
from .access import get_in_scope_or_404
from .base import API_VERBS, VIEW_VERBS, ScopedModelRestApi, ScopedModelView, display_value
from .downloads import send_download
from .labels import LABELS

_NO_CRUD = {"edit": "manage", "delete": "manage"}
FORM_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

WORKFLOW_LABELS = {
    **LABELS,
    "measure_key": _("Measure"),
    "measure_name": _("Measure"),
    "status": _("Status"),
    "current": _("Current steps"),
    "started_at": _("Started at"),
    "finished_at": _("Finished at"),
    "project": _("Project"),
}


class StartForm(FlaskForm):
    measure = SelectField(_("Measure"), validators=[DataRequired()], choices=[])


class TransitionForm(FlaskForm):
    # The action comes from the button pressed (name="act", value="action|branch").
    comment = TextAreaField(_("Comment"))
    attachments = MultipleFileField(_("Attachments"))


class CancelForm(FlaskForm):
    reason = TextAreaField(_("Reason for cancelling"), validators=[DataRequired()])


def cancel_refusal(session, instance, user) -> tuple[int, str] | None:
    """(HTTP status, message) when ``user`` may not cancel ``instance`` now, else None."""
    if instance.status != WorkflowInstanceStatus.RUNNING:
        return 422, gettext("This measure is no longer running and cannot be cancelled.")
    if not measure_service.may_cancel(session, instance, user):
        return 403, gettext("Only the project's assistants, the dispatcher or the bureau "
                            "admin may cancel this measure.")
    return None


def commit_action(result: actions.ActionResult) -> None:
    """Commit the request's one transaction; its stored files go when it fails."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        actions.discard_files(result)
        raise


def _too_large_message() -> str:
    return workflow_files.upload_too_large_message(current_app.config.get("MAX_CONTENT_LENGTH"))


def _name(instance) -> str:
    """The measure's name, in the UI's language (its plugin's catalogue)."""
    return plugin_text(str((instance.definition or {}).get("name") or instance.measure_key))


def current_cell(instance) -> Markup:
    """The current states (with the branch for a parallel branch) as labels."""
    if instance.status != WorkflowInstanceStatus.RUNNING:
        return Markup("")
    parts = []
    for t in engine.token_views(instance):
        state = plugin_text(t["state_label"])
        text = state if not t["branch"] else f'{plugin_text(t["branch_label"])}：{state}'
        due = f'（{gettext("due")} {t["due_on"].isoformat()}）' if t["due_on"] else ""
        parts.append(f'<span class="label label-warning">{escape(text)}</span>'
                     f'<small>{escape(due)}</small>')
    return Markup(" ".join(parts))


def status_cell(status) -> Markup:
    if isinstance(status, str) and not isinstance(status, WorkflowInstanceStatus):
        status = next((s for s in WorkflowInstanceStatus if status in (s.name, s.value)), status)
    return badges.state_badge(status)


def _act_value(a) -> str:
    return f"{a.action}|{a.branch or ''}"


def field_inputs(session, instance, actions, posted, errors_by_act) -> dict[str, list[dict]]:
    """The inputs of each action row that declares fields (keyed by the act value): name,
    label, widget values — what ``posted`` (the form just sent, on a refusal) holds, so
    nothing typed is lost — and the field's error."""
    defn = engine.definition_of(instance)
    items = None
    out: dict[str, list[dict]] = {}
    for a in actions:
        declared = action_fields.fields_of(defn.transition(a.action))
        if not declared:
            continue
        act = _act_value(a)
        prefix = action_fields.form_prefix(a.action, a.branch)
        errors = errors_by_act.get(act) or {}
        rows = []
        for n, f in enumerate(declared):
            key = prefix + f.name
            if f.type == "item":
                if items is None:
                    items = action_fields.item_choices(session, instance, g.user)
                choices = [(str(v), label) for v, label in items]
            else:
                choices = [(str(v), plugin_text(label)) for v, label in f.choices]
            if f.type == "multichoice":
                selected = set(posted.getlist(key))
            else:
                selected = {posted.get(key, "")}
            rows.append({"name": key, "id": f"wf-field-{a.action}-{a.branch or ''}-{n}",
                         "field": f.name, "type": f.type, "label": plugin_text(f.title),
                         "required": f.required, "help": plugin_text(f.help),
                         "choices": choices,
                         "value": posted.get(key, ""), "selected": selected,
                         "checked": key in posted, "error": errors.get(f.name)})
        out[act] = rows
    return out


class ProjectWorkflowsView(ScopedModelView):
    """创新举措: the measures run on projects (the project page's tab) and their pages."""

    datamodel = SQLAInterface(WorkflowInstance)
    class_permission_name = roles.WORKFLOW
    # Instances are made by starting a measure (the "add" route is the start form) and
    # moved by transitions: never edited or deleted by hand.
    exclude_route_methods = {"edit", "delete"}
    # Cancelling is "read" plus measures.may_cancel (bureau admins only read workflows).
    method_permission_name = {**VIEW_VERBS, **_NO_CRUD, "add": "write", "transition": "write",
                              "cancel": "read", "file": "read"}
    base_permissions = ["can_read", "can_write"]
    label_columns = WORKFLOW_LABELS
    list_title = _("Innovation measures")
    show_title = _("Innovation measure")
    add_title = _("Start a measure")
    list_columns = ["measure_name", "status", "current", "started_at", "finished_at"]
    show_columns = ["project", "measure_key", "status", "started_at", "finished_at"]
    search_columns = ["project", "measure_key", "status"]
    order_columns = ["started_at", "status"]
    base_order = ("started_at", "desc")
    formatters_columns = {"status": status_cell}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Computed columns, read from the row itself.
        self.formatters_columns = {**self.formatters_columns, "status": status_cell}

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # A request over MAX_CONTENT_LENGTH fails while its form is read (by the CSRF check
        # or the view): answer with the instance page and the limit, not Werkzeug's page.
        blueprint.register_error_handler(RequestEntityTooLarge, self._upload_too_large)
        return blueprint

    def _upload_too_large(self, _err):
        if not hasattr(g, "user"):
            # Raised by the CSRF check, before FAB's before_request sets the user.
            self.appbuilder.sm.before_request()
        pk = (request.view_args or {}).get("pk")
        instance = None
        if pk is not None and self.appbuilder.sm.has_access("can_read", roles.WORKFLOW):
            instance = get_in_scope(db.session, WorkflowInstance, pk)
        if instance is None:
            return current_app.handle_http_exception(NotFound())
        flash(_too_large_message(), "danger")
        # The body was not read: the form starts empty (formdata=None).
        return self._render_show(instance, TransitionForm(formdata=None), 413)

    # -- lookups ----------------------------------------------------------------------
    def _instance(self, pk) -> WorkflowInstance:
        return get_in_scope_or_404(WorkflowInstance, pk)

    def _project(self, pk) -> Project:
        return get_in_scope_or_404(Project, pk)

    def _can_write(self) -> bool:
        return bool(self.appbuilder.sm.has_access("can_write", roles.WORKFLOW))

    # -- starting -----------------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        project = self._project(request.args.get("_flt_0_project")
                                or request.args.get("project") or request.form.get("project"))
        region = measure_service.project_region(project)
        offered = [s for s in measure_service.measures_for_region(db.session, region)
                   if s.setting.enabled]
        form = StartForm()
        form.measure.choices = [(s.spec.key, plugin_text(s.spec.name)) for s in offered]
        if request.method == "POST" and form.validate_on_submit():
            try:
                instance = measure_service.start_measure(db.session, project, form.measure.data,
                                                         g.user)
                db.session.commit()
            except measure_service.MeasureError as err:
                db.session.rollback()
                flash("；".join(str(v) for v in err.errors.values()), "danger")
            except (engine.WorkflowError, DefinitionError) as err:
                db.session.rollback()
                flash(getattr(err, "reason", None) or str(err), "danger")
            else:
                flash(gettext("The measure %(name)s was started.", name=_name(instance)),
                      "success")
                return redirect(url_for(f"{self.__class__.__name__}.show", pk=instance.id))
        elif request.method == "POST":
            flash(gettext("Choose a measure enabled for this region."), "danger")
        return self.render_template("workflow/start.html", project=project, form=form,
                                    offered=offered, title=self.add_title)

    # -- the instance page ----------------------------------------------------------------
    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        instance = self._instance(pk)
        return self._render_show(instance, TransitionForm())

    def _render_show(self, instance, form, status=200, cancel_form=None, posted=None,
                     submitted=None, field_errors=None, refusal=None):
        """The instance page; after a refused action ``posted`` (the form sent) refills
        every action's inputs, and the row of ``submitted`` (its act value) shows
        ``field_errors`` next to its fields and the engine's ``refusal`` above them."""
        from app.workflow.diagram import render_instance_svg

        try:
            svg = Markup(render_instance_svg(instance, translate=plugin_text))
        except Exception:  # noqa: BLE001 - an old snapshot that cannot be drawn
            svg = Markup('<p class="text-danger">%s</p>') % gettext(
                "The diagram cannot be drawn for this definition.")
        available = engine.available_actions(instance, g.user, session=db.session) \
            if self._can_write() else []
        defn = engine.definition_of(instance)
        labels = defn.branch_labels()
        can_cancel = cancel_refusal(db.session, instance, g.user) is None
        inputs = field_inputs(db.session, instance, available, posted or MultiDict(),
                              {submitted: field_errors} if submitted else {})
        return self.render_template(
            "workflow/instance.html", instance=instance, name=_name(instance), svg=svg,
            steps=engine.timeline(instance), tokens=engine.token_views(instance),
            linked_items=links.linked_items(instance),
            actions=available, act_value=_act_value, branch_labels=labels, form=form,
            inputs=inputs, submitted=submitted, refusal=refusal,
            cancel_form=cancel_form or CancelForm(formdata=None), can_cancel=can_cancel,
            max_mb=workflow_files.max_mb(), attachment_types=workflow_files.allowed_types(),
            status_cell=status_cell, when=display_value, display_name=workflow_files.display_name,
            title=_name(instance)), status

    @expose("/transition/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, pk):
        instance = self._instance(pk)
        form = TransitionForm()
        if not form.validate_on_submit():
            flash(gettext("The form has expired; please try again."), "danger")
            return self._render_show(instance, form, 400, posted=request.form)
        act = request.form.get("act") or ""
        action, _sep, branch = act.partition("|")
        branch = branch or None
        try:
            result = actions.perform_action(
                db.session, instance, g.user, action, branch=branch,
                comment=form.comment.data,
                values=actions.values_from_form(instance, action, branch, request.form),
                files=request.files.getlist("attachments"))
        except actions.ActionFieldsInvalid as err:
            db.session.rollback()
            # Nothing is stored: the values typed stay in the form, each error by its field.
            flash(gettext("“%(action)s” was not done: check the fields marked below.",
                          action=plugin_text(err.transition.title)), "danger")
            return self._render_show(self._instance(pk), form, 200, posted=request.form,
                                     submitted=act, field_errors=err.errors)
        except actions.AttachmentRefused as err:
            db.session.rollback()
            # The whole action is refused; the comment and fields typed stay in the form.
            flash(str(err), "danger")
            return self._render_show(self._instance(pk), form, 200, posted=request.form,
                                     submitted=act)
        except actions.TransitionRefused as err:
            db.session.rollback()
            flash(err.reason, "danger")
            # The comment and fields typed stay in the form; files must be chosen again.
            return self._render_show(self._instance(pk), form, 200, posted=request.form,
                                     submitted=act, refusal=err.reason)
        except Exception:
            db.session.rollback()
            raise
        commit_action(result)
        label = result.transition
        flash(gettext("%(action)s: done.",
                      action=plugin_text(label.title) if label else result.step.action),
              "success")
        return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        """Stop the measure, with a reason; the instance page then shows its history."""
        instance = self._instance(pk)
        refusal = cancel_refusal(db.session, instance, g.user)
        if refusal is not None:
            flash(refusal[1], "danger")
            return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))
        form = CancelForm()
        if not form.validate_on_submit():
            if "reason" in form.errors and "csrf_token" not in form.errors:
                flash(gettext("Give the reason for cancelling the measure."), "danger")
            else:
                flash(gettext("The form has expired; please try again."), "danger")
            return self._render_show(instance, TransitionForm(formdata=None), 200, form)
        try:
            engine.cancel(db.session, instance.id, g.user, comment=form.reason.data.strip())
            db.session.commit()
        except engine.TransitionRefused as err:  # ended meanwhile
            db.session.rollback()
            flash(err.reason, "danger")
        else:
            flash(gettext("The measure %(name)s was cancelled.", name=_name(instance)),
                  "success")
        return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))

    @expose("/file/<int:pk>/<path:name>")
    @has_access
    def file(self, pk, name):
        instance = self._instance(pk)
        path = workflow_files.path_of(instance, name)
        if path is None:
            abort(404)
        return send_download(path, workflow_files.display_name(name), "WorkflowInstance",
                             instance.id)


# The list's computed columns (FAB reads them as attributes of the row).
WorkflowInstance.measure_name = property(_name)  # type: ignore[attr-defined]
WorkflowInstance.current = property(current_cell)  # type: ignore[attr-defined]


class WorkflowInstanceApi(ScopedModelRestApi):
    """/api/v1/workflow_instance/: the instances in the user's scope (read);
    POST /<id>/transition {action, comment, branch, context} as JSON, or as
    multipart/form-data with files named ``attachments``; POST /<id>/cancel {comment}. Both
    through the same engine and rules as the screens."""

    resource_name = "workflow_instance"
    datamodel = SQLAInterface(WorkflowInstance)
    class_permission_name = roles.WORKFLOW
    include_route_methods = {"get", "get_list", "info", "transition", "cancel"}
    method_permission_name = {**API_VERBS, "transition": "write", "cancel": "read"}
    list_columns = ["id", "measure_key", "project.id", "project.name", "status", "tokens", "started_at",
                    "finished_at"]
    show_columns = ["id", "measure_key", "project.id", "project.name", "status", "tokens", "params",
                    "started_at", "finished_at"]
    search_columns = ["measure_key", "project", "status"]

    @expose("/<int:pk>/transition", methods=["POST"])
    @protect()
    @safe
    def transition(self, pk):
        """Take an action on the instance.

        Body (``application/json``)::

            {"action": "accept_with_gaps", "comment": "…", "branch": null,
             "context": {"item_id": 12, "gap_materials": "消防设计审查意见书",
                         "promised_on": "2026-11-18", "commitment_signed": true}}

        ``context`` holds the values of the action's fields (``"fields"`` of the action in
        the definition: text, textarea, date as "YYYY-MM-DD", bool, int, item as the id of
        an approval item of the instance's project, choice, multichoice as a list). With
        files, send ``multipart/form-data``: ``action``, ``comment``, ``branch``, the files
        as ``attachments`` and ``context`` as a JSON string of that same object.

        200 with the instance and the step; 400 for a missing ``action`` or a ``context``
        that is not a JSON object; 422 when a field is wrong (``message`` maps each field's
        name to its message; nothing is done) or the action is refused (``message`` is the
        reason); 413 for an upload over the limit.
        ---
        post:
          summary: Take an action on a workflow instance
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    action: {type: string}
                    comment: {type: string}
                    branch: {type: string, nullable: true}
                    context:
                      type: object
                      nullable: true
                      description: the values of the action's fields
                  required: [action]
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    action: {type: string}
                    comment: {type: string}
                    branch: {type: string}
                    context:
                      type: string
                      description: the context object as a JSON string
                    attachments:
                      type: array
                      items: {type: string, format: binary}
                  required: [action]
          responses:
            200:
              description: the instance after the step, and the step
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: object}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            413:
              description: the upload is over the size limit
            422:
              $ref: '#/components/responses/422'
            500:
              $ref: '#/components/responses/500'
        """
        instance = get_in_scope(db.session, WorkflowInstance, pk)
        if instance is None:
            return self.response_404()
        try:
            body, files = self._body()
        except RequestEntityTooLarge:
            return self.response(413, message=_too_large_message())
        action = body.get("action")
        if not action or not isinstance(action, str):
            return self.response_400(message="action is required")
        raw = body.get("context")
        if isinstance(raw, str) and request.mimetype in FORM_MIMETYPES:
            try:
                raw = json.loads(raw) if raw.strip() else None
            except ValueError:
                raw = []  # not an object: refused below
        if raw is not None and not isinstance(raw, dict):
            return self.response_400(message="context must be a JSON object")
        try:
            result = actions.perform_action(
                db.session, instance, g.user, action, branch=body.get("branch") or None,
                comment=body.get("comment"), values=raw, files=files)
        except actions.ActionFieldsInvalid as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        except actions.AttachmentRefused as err:
            db.session.rollback()
            return self.response_422(message=str(err))
        except actions.TransitionRefused as err:
            db.session.rollback()
            return self.response_422(message=err.reason)
        except Exception:
            db.session.rollback()
            raise
        commit_action(result)
        step = result.step
        db.session.refresh(instance)
        return self.response(200, result={
            "id": instance.id, "status": instance.status.name,
            "status_label": instance.status.value, "tokens": instance.tokens,
            "step": {"id": step.id, "action": step.action, "branch": step.branch,
                     "from_state": step.from_state, "to_state": step.to_state,
                     "attachments": [_attachment(instance, a) for a in step.attachments or []]}})

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """Stop a running measure; ``comment`` (the reason) is required.
        ---
        post:
          summary: Cancel a running workflow instance
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    comment:
                      type: string
                      description: the reason for cancelling
                  required: [comment]
          responses:
            200:
              description: the instance, cancelled, and the cancelling step
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: object}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
            500:
              $ref: '#/components/responses/500'
        """
        instance = get_in_scope(db.session, WorkflowInstance, pk)
        if instance is None:
            return self.response_404()
        try:
            body, _files = self._body()
        except RequestEntityTooLarge:
            return self.response(413, message=_too_large_message())
        refusal = cancel_refusal(db.session, instance, g.user)
        if refusal is not None:
            return self.response(refusal[0], message=refusal[1])
        comment = body.get("comment")
        comment = comment.strip() if isinstance(comment, str) else ""
        if not comment:
            return self.response_400(message="comment (the reason for cancelling) is required")
        try:
            step = engine.cancel(db.session, instance.id, g.user, comment=comment)
            db.session.commit()
        except engine.TransitionRefused as err:
            db.session.rollback()
            return self.response_422(message=err.reason)
        db.session.refresh(instance)
        return self.response(200, result={
            "id": instance.id, "status": instance.status.name,
            "status_label": instance.status.value,
            "step": {"id": step.id, "action": step.action, "comment": step.comment}})

    @staticmethod
    def _body() -> tuple[dict, list]:
        """The fields and uploaded files of a JSON or a form (multipart) request."""
        if request.mimetype in FORM_MIMETYPES:
            return request.form.to_dict(), request.files.getlist("attachments")
        body = request.get_json(silent=True)
        return (body if isinstance(body, dict) else {}), []


def _attachment(instance, stored: str) -> dict:
    """A step's attachment as the API shows it: downloaded through the screens' scoped
    route (signed-in session)."""
    return {"name": stored, "filename": workflow_files.display_name(stored),
            "url": url_for("ProjectWorkflowsView.file", pk=instance.id, name=stored)}
