"""Screens and API for 协调推进 (coordination requests) and the regions' 分管领导.

- ``CoordinationRequestView``: every request in scope, filtered by level, status, region,
  category and owner unit (``?owner=<unit id>``), with its age and how late it is; the
  detail page has the steps and the actions the user may take now (reply, resolve, reopen,
  sign off, escalate, print the 重大项目服务专报); "add" raises a request.
- ``AwaitingMyUnitView``: 待我单位答复 — what waits on the user's unit (or company).
- ``ProjectCoordinationView``: the requests tab of a project's page.
- ``RegionLeaderView``: a region's 分管领导 (bureau admin).
- ``CoordinationRequestApi``: read, ``POST`` to raise, and ``POST /<id>/<action>`` for
  reply, resolve, reopen, signoff, escalate — the same commands, 422 with field messages.
"""
from __future__ import annotations

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.api import protect, safe
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2ManyWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired
from wtforms.validators import Optional as OptionalValue

from app import clock
from app.extensions import db
from app.models import (
    CoordinationCategory,
    CoordinationLevel,
    CoordinationRequest,
    CoordinationStatus,
    Project,
    RegionLeader,
)
from app.security import roles
from app.security.scope import Scope, current_scope, get_in_scope, is_in_scope
from app.services import calendar, people
from app.services import coordination as coord
from app.services.errors import DomainValidationError
from workers import user_jobs
from workers.base import QueueUnavailable

from . import badges
from .access import get_in_scope_or_404
from .base import API_VERBS, SCOPE_FILTERS, VIEW_VERBS, ScopedModelRestApi, ScopedModelView
from .labels import LABELS
from .widgets import AjaxSelectField

LABELS_COORD = {
    **LABELS,
    "title": _("Title"),
    "problem": _("Problem"),
    "category": _("Category"),
    "requested_outcome": _("Requested outcome"),
    "days": _("Reply deadline (working days)"),
    "due_on": _("Reply due on"),
    "open_due_on": _("Reply due on"),
    "level": _("Level"),
    "region": _("Handling region"),
    "status": _("Status"),
    "enterprise_owner": _("The enterprise is an owner"),
    "owners": _("Owner units"),
    "owner_units": _("Owner units"),
    "raised_by": _("Raised by"),
    "created_at": _("Raised (working days ago)"),
    "escalation_count": _("Escalations"),
    "signed_off_at": _("Signed off at"),
    "signed_off_by": _("Signed off by"),
    "leader_ask": _("Asked of the city leader"),
    "resolved_at": _("Resolved at"),
    "user": _("Leader"),
}
_NO_CRUD = {"edit": "manage", "delete": "manage"}


# -- formatters -------------------------------------------------------------------------
def age_cell(created_at) -> Markup:
    """Working days since the request was raised."""
    if created_at is None:
        return Markup("")
    days = max(calendar.working_days_between(clock.to_beijing(created_at).date(),
                                             clock.today()), 0)
    return Markup('<span class="app-nowrap coordination-age">%s</span>') % days


def due_cell(open_due_on) -> Markup:
    """The deadline of a request waiting for replies; red with the days late when past."""
    if open_due_on is None:
        return Markup("")
    late = calendar.working_days_between(open_due_on, clock.today())
    if late > 0:
        return badges.badge(gettext("%(date)s, %(n)s working day(s) late",
                                    date=open_due_on.isoformat(), n=late), badges.RED)
    return Markup('<span class="app-nowrap">%s</span>') % open_due_on.isoformat()


def owners_cell(owners) -> Markup:
    """The owner units, a waiting one marked (each unit's reply is on the detail page)."""
    parts = [Markup('<span class="app-nowrap%s">%s</span>') % (
        "" if o.replied_at else " coordination-waiting", str(o)) for o in owners or []]
    return Markup("、").join(parts)


FORMATTERS = {"status": badges.state_badge, "level": badges.state_badge,
              "created_at": age_cell, "open_due_on": due_cell, "owners": owners_cell}


# -- filters ------------------------------------------------------------------------------
class OwnerUnitArg(BaseFilter):
    """``?owner=<unit id>``: the requests naming that unit (the list's owner filter)."""

    name = "owner"
    arg_name = None

    def apply(self, query, value):
        owner = request.args.get("owner", type=int) if has_request_context() else None
        return query if not owner else query.filter(coord.names_unit(owner))


class WaitingOnMe(BaseFilter):
    name = "waiting on me"
    arg_name = None

    def apply(self, query, value):
        return query.filter(coord.waiting_on(g.user))


# -- forms --------------------------------------------------------------------------------
def _category_choices():
    return [("", "—")] + CoordinationCategory.choices()


class RaiseForm(DynamicForm):
    project = AjaxSelectField(_("Project"), "project", validators=[DataRequired()])
    title = StringField(_("Title"), validators=[DataRequired()], widget=BS3TextFieldWidget())
    category = SelectField(_("Category"), choices=_category_choices,
                           validators=[DataRequired()], widget=Select2Widget())
    problem = TextAreaField(_("Problem"), validators=[DataRequired()],
                            widget=BS3TextAreaFieldWidget())
    owner_units = SelectMultipleField(_("Owner units"), coerce=int, choices=[],
                                      validators=[OptionalValue()], widget=Select2ManyWidget())
    enterprise_owner = BooleanField(_("The enterprise is an owner"),
                                    validators=[OptionalValue()])
    requested_outcome = TextAreaField(_("Requested outcome"), validators=[DataRequired()],
                                      widget=BS3TextAreaFieldWidget())
    days = IntegerField(_("Reply deadline (working days)"), validators=[InputRequired()],
                        widget=BS3TextFieldWidget())


# What the company reads of a request it must answer.
COMPANY_SHOW = ["title", "project", "category", "status", "problem", "requested_outcome",
                "due_on"]
RAISE_FIELDS = ["project", "title", "category", "problem", "owner_units", "enterprise_owner",
                "requested_outcome", "days"]


class ReplyForm(DynamicForm):
    reply = TextAreaField(_("Reply"), validators=[OptionalValue()])


class ResolveForm(DynamicForm):
    comment = TextAreaField(_("Comment"), validators=[OptionalValue()])


class ReopenForm(DynamicForm):
    reason = TextAreaField(_("Why it is reopened"), validators=[OptionalValue()])


class SignoffForm(DynamicForm):
    comment = TextAreaField(_("Sign-off comment"), validators=[OptionalValue()])


class EscalateForm(DynamicForm):
    reason = TextAreaField(_("Reason for escalating"), validators=[OptionalValue()])
    leader_ask = TextAreaField(_("Asked of the city leader"), validators=[OptionalValue()])


class ReportForm(DynamicForm):
    pass


ACTION_FORMS = {"reply": ReplyForm, "resolve": ResolveForm, "reopen": ReopenForm,
                "signoff": SignoffForm, "escalate": EscalateForm}


def _put_errors(form, err: DomainValidationError) -> None:
    """The command's messages next to their fields; the others at the top of the page."""
    form.other_errors = []
    for name, message in err.errors.items():
        if name in form:
            form[name].errors = list(form[name].errors or []) + [str(message)]
        else:
            form.other_errors.append(str(message))


def start_report(requests: list[CoordinationRequest]):
    """Queue the 专报 of ``requests`` (already fetched in scope) and go to 我的任务."""
    title = gettext("Major project service report (Word)") + f"：{requests[0].title}"
    if len(requests) > 1:
        title += gettext(" and %(n)s more", n=len(requests) - 1)
    try:
        user_jobs.start(db.session, g.user.id, "coordination_report", title[:200],
                        {"request_ids": [r.id for r in requests]})
    except QueueUnavailable:
        from app.services import jobs

        flash(jobs.QUEUE_DOWN_MESSAGE, "danger")
    else:
        flash(gettext("The report is being written; download it from My jobs when it is "
                      "ready."), "info")
    return redirect(url_for("JobRecordView.list"))


# -- screens ------------------------------------------------------------------------------
class CoordinationRequestView(ScopedModelView):
    datamodel = SQLAInterface(CoordinationRequest)
    class_permission_name = roles.COORDINATION
    exclude_route_methods = {"edit", "delete"}
    method_permission_name = {**VIEW_VERBS, **_NO_CRUD, "reply": "reply", "resolve": "write",
                              "reopen": "write", "signoff": "signoff", "escalate": "escalate",
                              "report": "escalate", "print_report": "escalate"}
    base_permissions = ["can_read", "can_write", "can_reply", "can_signoff", "can_escalate"]
    base_filters = SCOPE_FILTERS + [["id", OwnerUnitArg, lambda: None]]
    label_columns = LABELS_COORD
    list_title = _("Coordination requests")
    show_title = _("Coordination request")
    add_title = _("Raise a coordination request")
    list_template = "coordination/list.html"
    show_template = "coordination/show.html"
    list_columns = ["title", "project", "category", "level", "region", "status", "owners",
                    "created_at", "open_due_on", "escalation_count"]
    show_columns = ["title", "project", "category", "level", "region", "status", "problem",
                    "requested_outcome", "days", "due_on", "enterprise_owner", "raised_by",
                    "escalation_count", "signed_off_at", "signed_off_by", "leader_ask",
                    "resolved_at"]
    search_columns = ["title", "project", "category", "level", "status", "region", "due_on",
                      "escalation_count"]
    # The raise form's model columns (the form itself is RaiseForm).
    add_columns = ["project", "title", "category", "problem", "enterprise_owner",
                   "requested_outcome", "days"]
    order_columns = ["title", "level", "status", "created_at", "due_on", "escalation_count"]
    formatters_columns = FORMATTERS
    base_order = ("created_at", "asc")  # the oldest first: what waits longest

    # -- raise ---------------------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        form = RaiseForm()
        units = coord.owner_unit_choices(db.session, g.user)
        form.owner_units.choices = [(u.id, f"{u.region.name} · {u.name}") for u in units]
        if request.method == "GET":
            pk = request.args.get("_flt_0_project")
            if pk:
                form.project.data = get_in_scope_or_404(Project, pk)
            form.days.data = 5
        else:
            valid = form.validate()
            if valid:
                try:
                    req = coord.raise_request(
                        db.session, form.project.data, g.user, title=form.title.data,
                        problem=form.problem.data, category=form.category.data,
                        owner_unit_ids=form.owner_units.data or [],
                        enterprise_owner=form.enterprise_owner.data,
                        requested_outcome=form.requested_outcome.data, days=form.days.data)
                    db.session.commit()
                except DomainValidationError as err:
                    db.session.rollback()
                    _put_errors(form, err)
                else:
                    flash(gettext("The coordination request has been raised."), "success")
                    return redirect(url_for("CoordinationRequestView.show", pk=req.id))
            flash(gettext("The request is not raised: please correct the marked fields."),
                  "danger")
        return self.render_template("coordination/raise.html", form=form, fields=RAISE_FIELDS,
                                    title=gettext("Raise a coordination request"))

    # -- the detail page ---------------------------------------------------------------------
    def _page(self, req, refused: dict | None = None, status: int = 200):
        forms = {k: (refused or {}).get(k) or cls() for k, cls in ACTION_FORMS.items()}
        user, sm = g.user, self.appbuilder.sm
        open_ = req.status is not CoordinationStatus.RESOLVED
        target = coord.next_level(req)
        owner = coord.owner_for(req, user) if sm.has_access("can_reply", roles.COORDINATION) \
            else None
        may_write = sm.has_access("can_write", roles.COORDINATION)
        may_escalate = (sm.has_access("can_escalate", roles.COORDINATION)
                        and coord.can_escalate(user) and coord.in_charge(user, req))
        can = {"reply": owner is not None and req.status is CoordinationStatus.OPEN,
               "resolve": may_write and open_ and coord.may_resolve(user, req),
               "reopen": may_write and req.status is not CoordinationStatus.OPEN
               and coord.may_resolve(user, req),
               "signoff": (sm.has_access("can_signoff", roles.COORDINATION) and open_
                           and req.region.escalation_signoff and req.signed_off_at is None
                           and req.level is not CoordinationLevel.LEADER
                           and coord.is_leader_of(db.session, user, req.region_id)),
               "escalate": may_escalate and open_}
        for name, form in (refused or {}).items():
            if not can[name]:  # the action's panel is not shown: the message on top
                for message in [*getattr(form, "other_errors", []),
                                *(e for f in form for e in f.errors)]:
                    flash(message, "danger")
        # The company sees what it must answer and its own reply, not the bureau's
        # history nor the units' replies (docs/domain.md §14).
        company = Scope(user).enterprise
        steps = [] if company else req.steps
        owners = [o for o in req.owners if o.org_unit_id is None] if company else req.owners
        body = self.render_template(
            self.show_template, pk=req.id, title=self.show_title,
            widgets=self._get_show_widget(req.id, req, show_fieldsets=[
                ("", {"fields": COMPANY_SHOW})]) if company else self._show(req.id),
            related_views=self._related_views, req=req, steps=steps, owners=owners,
            forms=forms,
            names=people.names_of(db.session, [s.user_id for s in req.steps]
                                  + [o.replied_by_id for o in req.owners]),
            step_label=coord.step_label, report_form=ReportForm(),
            can_reply=can["reply"], owner=owner, can_resolve=can["resolve"],
            can_reopen=can["reopen"], can_signoff=can["signoff"],
            can_escalate=can["escalate"],
            next_level=target, to_leader=target is not None
            and target[1] is CoordinationLevel.LEADER,
            needs_signoff=coord.needs_signoff(req),
            # 催办 on the request (a dispatcher raises it, an assistant proposes it).
            can_urge=open_ and sm.has_access("can_write", roles.URGE)
            and is_in_scope(db.session, req.project, Scope(user)),
            can_report=sm.has_access("can_escalate", roles.COORDINATION))
        return body, status

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self._page(self._scoped_get(pk))

    def _act(self, pk, name: str, run, done: str):
        req = self._scoped_get(pk)
        form = ACTION_FORMS[name]()
        if not form.validate():
            abort(400)
        try:
            run(req, form)
            db.session.commit()
        except coord.NotFound:
            db.session.rollback()
            abort(404)
        except DomainValidationError as err:
            db.session.rollback()
            _put_errors(form, err)
            # The page again, with the message next to the field and the text kept.
            return self._page(self._scoped_get(pk), {name: form}, 422)
        flash(done, "success")
        return redirect(url_for("CoordinationRequestView.show", pk=req.id))

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        return self._act(pk, "reply", lambda r, f: coord.reply(db.session, r.id, g.user,
                                                                f.reply.data),
                         gettext("Reply sent."))

    @expose("/resolve/<int:pk>", methods=["POST"])
    @has_access
    def resolve(self, pk):
        return self._act(pk, "resolve", lambda r, f: coord.resolve(db.session, r.id, g.user,
                                                                    f.comment.data),
                         gettext("The request is resolved."))

    @expose("/reopen/<int:pk>", methods=["POST"])
    @has_access
    def reopen(self, pk):
        return self._act(pk, "reopen", lambda r, f: coord.reopen(db.session, r.id, g.user,
                                                                  f.reason.data),
                         gettext("The request is reopened."))

    @expose("/signoff/<int:pk>", methods=["POST"])
    @has_access
    def signoff(self, pk):
        return self._act(pk, "signoff", lambda r, f: coord.sign_off(db.session, r.id, g.user,
                                                                     f.comment.data),
                         gettext("Your sign-off is recorded."))

    @expose("/escalate/<int:pk>", methods=["POST"])
    @has_access
    def escalate(self, pk):
        return self._act(pk, "escalate", lambda r, f: coord.escalate(
            db.session, r.id, g.user, f.reason.data, f.leader_ask.data),
            gettext("The request has been escalated."))

    @expose("/report/<int:pk>", methods=["POST"])
    @has_access
    def report(self, pk):
        req = self._scoped_get(pk)
        if not ReportForm().validate():
            abort(400)
        return start_report([req])

    @action("print_report", _("Print the major project service report"), icon="fa-file-word",
            multiple=True, single=False)
    def print_report(self, items):
        if not self.appbuilder.sm.has_access("can_escalate", roles.COORDINATION):
            abort(403)
        items = items if isinstance(items, list) else [items]
        return start_report(items)

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("owner_choices", [(u.id, f"{u.region.name} · {u.name}") for u in
                                                coord.owner_unit_choices(db.session, g.user)])
            kwargs.setdefault("owner_chosen", request.args.get("owner", type=int))
        return super().render_template(template, **kwargs)


class _ListOnly:
    """A list of requests whose rows open on the main detail page (its base filters are
    the list's, not the page's)."""

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        req = self._scoped_get(pk)
        return redirect(url_for("CoordinationRequestView.show", pk=req.id))


class AwaitingMyUnitView(_ListOnly, CoordinationRequestView):
    """待我单位答复: the requests waiting for the user's unit's (or company's) reply."""

    base_filters = SCOPE_FILTERS + [["id", WaitingOnMe, lambda: None]]
    list_title = _("Awaiting my unit's reply")

    def render_template(self, template, **kwargs):
        # A dispatcher (no unit of their own) sees every request still waiting for a reply.
        if template == self.list_template and not g.user.org_unit_id \
                and not current_scope().enterprise:
            kwargs["title"] = gettext("Awaiting the owner units' replies")
        return super().render_template(template, **kwargs)
    list_columns = ["title", "project", "category", "level", "region", "created_at",
                    "open_due_on"]


class ProjectCoordinationView(_ListOnly, CoordinationRequestView):
    """The coordination tab of a project's page."""

    list_columns = ["title", "category", "level", "region", "status", "owners", "created_at",
                    "open_due_on"]


class RegionLeaderView(ScopedModelView):
    datamodel = SQLAInterface(RegionLeader)
    class_permission_name = roles.REGION_LEADER
    label_columns = {**LABELS_COORD, "title": _("Post"), "region": _("Region")}
    list_title = _("分管领导 for coordination")
    show_title = add_title = edit_title = _("分管领导")
    list_columns = ["region", "user", "title"]
    add_columns = edit_columns = show_columns = ["region", "user", "title"]
    search_columns = ["region", "title"]


# -- API ------------------------------------------------------------------------------------
API_ACTIONS = ("reply", "resolve", "reopen", "signoff", "escalate")


class CoordinationRequestApi(ScopedModelRestApi):
    resource_name = "coordination_request"
    datamodel = SQLAInterface(CoordinationRequest)
    class_permission_name = roles.COORDINATION
    include_route_methods = {"get", "get_list", "info", "post", *API_ACTIONS}
    method_permission_name = {**API_VERBS, "reply": "reply", "resolve": "write",
                              "reopen": "write", "signoff": "signoff", "escalate": "escalate"}
    base_permissions = ["can_read", "can_write", "can_reply", "can_signoff", "can_escalate"]
    list_columns = ["id", "project.id", "project.name", "title", "category", "level",
                    "region.id", "region.name", "status", "due_on", "escalation_count",
                    "enterprise_owner", "created_at"]
    show_columns = list_columns + ["problem", "requested_outcome", "days", "leader_ask",
                                   "signed_off_at", "resolved_at", "owners.id",
                                   "owners.reply", "owners.replied_at",
                                   "steps.action", "steps.at", "steps.username",
                                   "steps.comment", "steps.level"]
    add_columns = ["project", "title", "problem", "category", "requested_outcome", "days",
                   "enterprise_owner"]

    def pre_get(self, data):
        """The company reads the request it must answer, without the bureau's history and
        the units' replies (docs/domain.md §14)."""
        if current_scope().enterprise:
            result = data.get("result", {})
            for key in ("steps", "owners", "signed_off_at", "leader_ask"):
                result.pop(key, None)

    def post_headless(self):
        """Raise a request: the same command as the screen (``owner_units``: unit ids)."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message="Request is not a JSON object")
        project = get_in_scope(db.session, Project, data.get("project"))
        if project is None:
            return self.response_422(message={"project": gettext("Not a valid choice")})
        units = data.get("owner_units") or []
        if not isinstance(units, list):
            return self.response_422(message={"owner_units": gettext("Not a valid choice")})
        try:
            req = coord.raise_request(
                db.session, project, g.user, title=data.get("title"),
                problem=data.get("problem"), category=data.get("category"),
                owner_unit_ids=units, enterprise_owner=bool(data.get("enterprise_owner")),
                requested_outcome=data.get("requested_outcome"), days=data.get("days"))
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        return self.response(201, id=req.id, level=req.level.name, region=req.region_id,
                             due_on=req.due_on.isoformat())

    def _act(self, pk, verb: str):
        req = get_in_scope(db.session, CoordinationRequest, pk)
        if req is None:
            return self.response_404()
        data = request.get_json(silent=True)
        data = data if isinstance(data, dict) else {}

        def text(key):
            value = data.get(key)
            return value if isinstance(value, str) else None

        commands = {
            "reply": lambda: coord.reply(db.session, req.id, g.user, text("reply")),
            "resolve": lambda: coord.resolve(db.session, req.id, g.user, text("comment")),
            "reopen": lambda: coord.reopen(db.session, req.id, g.user, text("reason")),
            "signoff": lambda: coord.sign_off(db.session, req.id, g.user, text("comment")),
            "escalate": lambda: coord.escalate(db.session, req.id, g.user, text("reason"),
                                               text("leader_ask")),
        }
        try:
            done = commands[verb]()
            db.session.commit()
        except coord.NotFound:
            db.session.rollback()
            return self.response_404()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        return self.response(200, id=done.id, status=done.status.name, level=done.level.name,
                             region=done.region_id, due_on=done.due_on.isoformat())

    @expose("/<int:pk>/reply", methods=["POST"])
    @protect()
    @safe
    def reply(self, pk):
        """An owner unit's (or the company's) reply: ``{"reply": "…"}``.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reply: {type: string}}}
          responses:
            200: {description: replied}
            404: {description: not in the caller's scope}
            422: {description: refused (not an owner, not waiting, empty), per field}
        """
        return self._act(pk, "reply")

    @expose("/<int:pk>/resolve", methods=["POST"])
    @protect()
    @safe
    def resolve(self, pk):
        """The raiser resolves the request: ``{"comment": "…"}``.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {comment: {type: string}}}
          responses:
            200: {description: resolved}
            404: {description: not in the caller's scope}
            422: {description: refused, per field}
        """
        return self._act(pk, "resolve")

    @expose("/<int:pk>/reopen", methods=["POST"])
    @protect()
    @safe
    def reopen(self, pk):
        """The raiser reopens the request: ``{"reason": "…"}``.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reason: {type: string}}}
          responses:
            200: {description: reopened}
            404: {description: not in the caller's scope}
            422: {description: refused, per field}
        """
        return self._act(pk, "reopen")

    @expose("/<int:pk>/signoff", methods=["POST"])
    @protect()
    @safe
    def signoff(self, pk):
        """The handling region's 分管领导 signs off: ``{"comment": "…"}``.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {comment: {type: string}}}
          responses:
            200: {description: signed off}
            404: {description: not in the caller's scope}
            422: {description: refused (not a leader of the region, signed already), per field}
        """
        return self._act(pk, "signoff")

    @expose("/<int:pk>/escalate", methods=["POST"])
    @protect()
    @safe
    def escalate(self, pk):
        """One level up: ``{"reason": "…", "leader_ask": "…"}`` (the ask for the city leader).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {reason: {type: string}, leader_ask: {type: string}}
          responses:
            200: {description: escalated}
            404: {description: not in the caller's scope}
            422: {description: refused (beyond the city leader, sign-off missing), per field}
        """
        return self._act(pk, "escalate")


__all__ = ["CoordinationRequestView", "AwaitingMyUnitView", "ProjectCoordinationView",
           "RegionLeaderView", "CoordinationRequestApi"]
