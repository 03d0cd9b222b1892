"""Screens and API for 催办 by hand (app/services/urges.py).

- ``UrgeView``: /urge/item/<item> and /urge/request/<request>, the 催办 form of an approval
  item or of a coordination request. A dispatcher's submit raises the work order; an
  assistant's files a proposal for the dispatchers.
- ``UrgeProposalView``: the assistants' proposals (those waiting first), each with the
  dispatcher's two answers: dispatch (the proposal's values, editable) or decline with a
  reason.
- ``UrgeApi``: /api/v1/urge/ — the proposals (read), ``POST /raise`` (a work order for a
  dispatcher, a proposal for an assistant), ``POST /<id>/dispatch`` and ``/<id>/decline``.

Thin: one command per request, rows through the scoped accessor, one commit; a refusal
keeps what was typed and shows each message under its field (screen) or answers 422 with
the messages by field (API).
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import case
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import (
    ApprovalItem,
    CoordinationRequest,
    Project,
    UrgeCategory,
    UrgeProposal,
    UrgeProposalStatus,
)
from app.security import roles
from app.security.scope import get_in_scope
from app.services import urges
from app.services.errors import DomainValidationError

from . import badges
from .access import ScopedBaseView
from .base import VIEW_VERBS, ScopedModelRestApi, ScopedModelView
from .labels import LABELS

FIELDS = ("org_unit", "category", "title", "request", "due_days")


class CsrfOnly(FlaskForm):
    """The fields are read from the request; this checks the CSRF token."""


def _form_values(form) -> dict:
    return {name: form.get(name, "") for name in FIELDS}


def _command_values(form) -> dict:
    values = _form_values(form)
    return {"org_unit": values["org_unit"] or None, "category": values["category"],
            "title": values["title"], "request": values["request"],
            "due_days": values["due_days"]}


# -- the form on an item or a coordination request --------------------------------------------
class UrgeView(ScopedBaseView):
    """/urge/item/<item> and /urge/request/<request>: 催办 on an approval item or on a
    coordination request, for dispatchers and assistants."""

    route_base = "/urge"
    class_permission_name = roles.URGE
    method_permission_name = {"item": "write", "request": "write"}
    # The resource's verbs, as the proposals' screen declares them (FAB syncs a resource's
    # permissions from each view that names it).
    base_permissions = ["can_read", "can_write"]
    default_view = "item"

    def _render(self, target, values, errors=None, status=200):
        """The form on ``target``, an approval item or a coordination request."""
        user = g.user
        proposing = not urges.can_raise(user)
        if isinstance(target, ApprovalItem):
            item, creq, name = target, None, target.name
            action = url_for("UrgeView.item", pk=target.id)
            back = url_for("ApprovalItemView.show", pk=target.id)
        else:
            item, creq, name = None, target, target.title
            action = url_for("UrgeView.request", pk=target.id)
            back = url_for("CoordinationRequestView.show", pk=target.id)
        title = (gettext("Propose an urge on %(item)s", item=name) if proposing
                 else gettext("Urge on %(item)s", item=name))
        return self.render_template(
            "urges/urge_form.html", item=item, coordination_request=creq,
            project=target.project, action=action, back=back, form=CsrfOnly(formdata=None),
            units=urges.units_for(db.session, user, target.project, item, creq),
            categories=list(UrgeCategory), values=values, errors=errors or {},
            proposing=proposing, max_days=urges.MAX_DUE_DAYS, title=title), status

    def _urge(self, model, pk, target_kw: str):
        """GET: the form with its defaults; POST: raise (dispatcher) or propose
        (assistant) on the row of ``model``, passed to the command as ``target_kw``."""
        target = self.get_or_404(model, pk)
        user = g.user
        if request.method == "GET":
            item = target if target_kw == "item" else None
            creq = target if target_kw == "coordination_request" else None
            values = {"org_unit": urges.default_unit_id(item, creq) or "", "category": "",
                      "title": urges.default_title(target.project, item, creq),
                      "request": "", "due_days": urges.default_due_days()}
            return self._render(target, values)
        values = _form_values(request.form)
        if not CsrfOnly().validate_on_submit():
            return self._render(target, values, {
                "form": gettext("The form has expired; please try again.")}, 400)
        on = {"project": target.project, target_kw: target}
        try:
            if urges.can_raise(user):
                wo = urges.raise_urge(db.session, user, **on, **_command_values(request.form))
            else:
                proposal = urges.propose_urge(db.session, user, **on,
                                              **_command_values(request.form))
        except DomainValidationError as err:
            db.session.rollback()
            flash(gettext("Nothing was saved: check the fields marked below."), "danger")
            return self._render(self.get_or_404(model, pk), values, err.errors)
        except urges.NotFound:
            db.session.rollback()
            abort(404)
        except urges.NotAllowed as err:
            db.session.rollback()
            return self._render(self.get_or_404(model, pk), values, {"form": str(err)}, 403)
        db.session.commit()
        if urges.can_raise(user):
            flash(gettext("Urge dispatched: reply due %(day)s.", day=wo.reply_due_on.isoformat()),
                  "success")
            return redirect(url_for("WorkOrderView.show", pk=wo.id))
        flash(gettext("Your urge was sent to the dispatcher."), "success")
        return redirect(url_for("UrgeProposalView.show", pk=proposal.id))

    @expose("/item/<int:pk>", methods=["GET", "POST"])
    @has_access
    def item(self, pk):
        return self._urge(ApprovalItem, pk, "item")

    @expose("/request/<int:pk>", methods=["GET", "POST"])
    @has_access
    def request(self, pk):
        return self._urge(CoordinationRequest, pk, "coordination_request")


# -- the proposals ----------------------------------------------------------------------------
PROPOSAL_LABELS = {
    **LABELS,
    "title": _("Title"),
    "project": _("Project"),
    "item": _("Approval item"),
    "coordination_request": _("Coordination request"),
    "org_unit": _("Unit"),
    "category": _("Problem category"),
    "request": _("Request"),
    "due_days": _("Reply within (working days)"),
    "status": _("Status"),
    "proposed_by": _("Proposed by"),
    "decided_by": _("Decided by"),
    "decided_at": _("Decided at"),
    "decline_reason": _("Reason declined"),
    "work_order": _("Work order"),
    "created_at": _("Proposed at"),
}


def waiting_first(direction: str = "asc") -> list:
    """The proposals waiting for a dispatcher first, then the decided ones; newest first."""
    waiting = case((UrgeProposal.status == UrgeProposalStatus.PENDING, 0), else_=1)
    return [waiting, UrgeProposal.created_at.desc(), UrgeProposal.id.desc()]


class UrgeProposalView(ScopedModelView):
    datamodel = SQLAInterface(UrgeProposal)
    class_permission_name = roles.URGE
    exclude_route_methods = {"add", "edit", "delete"}
    method_permission_name = {**VIEW_VERBS, "add": "manage", "edit": "manage",
                              "delete": "manage", "dispatch": "write", "decline": "write"}
    base_permissions = ["can_read", "can_write"]
    label_columns = PROPOSAL_LABELS
    list_title = _("Urge proposals")
    show_title = _("Urge proposal")
    show_template = "urges/proposal_show.html"
    list_columns = ["status", "title", "project", "org_unit", "category", "due_days",
                    "proposed_by", "created_at"]
    show_columns = ["status", "title", "project", "item", "coordination_request", "org_unit",
                    "category", "request",
                    "due_days", "proposed_by", "created_at", "decided_by", "decided_at",
                    "decline_reason"]
    search_columns = ["status", "title", "project", "org_unit", "category", "created_at"]
    order_columns = ["status", "title", "created_at"]
    list_orders = {"waiting_first": waiting_first}
    base_order = ("waiting_first", "asc")
    formatters_columns = {"status": badges.state_badge, "category": badges.state_badge}

    def _render_show(self, proposal, submitted=None, errors=None, status=200):
        posted = request.form if submitted else MultiDict()
        values = (_form_values(posted) if submitted == "dispatch" else
                  {"org_unit": proposal.org_unit_id, "category": proposal.category.name,
                   "title": proposal.title, "request": proposal.request,
                   "due_days": proposal.due_days})
        user = g.user
        can_decide = (proposal.status == UrgeProposalStatus.PENDING and urges.can_raise(user))
        return self.render_template(
            self.show_template, pk=proposal.id, title=self.show_title,
            widgets=self._show(proposal.id), related_views=self._related_views,
            proposal=proposal, can_decide=can_decide, form=CsrfOnly(formdata=None),
            units=urges.units_for(db.session, user, proposal.project, proposal.item,
                                  proposal.coordination_request)
            if can_decide else [],
            categories=list(UrgeCategory), values=values,
            reason=posted.get("reason", "") if submitted == "decline" else "",
            submitted=submitted, errors=errors or {}, max_days=urges.MAX_DUE_DAYS), status

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self._render_show(self._scoped_get(pk))

    def _decide(self, pk, submitted, command):
        proposal = self._scoped_get(pk)
        if not CsrfOnly().validate_on_submit():
            return self._render_show(proposal, submitted, {
                "status": gettext("The form has expired; please try again.")}, 400)
        try:
            result = command(proposal)
        except DomainValidationError as err:
            db.session.rollback()
            flash(gettext("Nothing was saved: check the fields marked below."), "danger")
            return self._render_show(self._scoped_get(pk), submitted, err.errors)
        except urges.NotFound:
            db.session.rollback()
            abort(404)
        except (urges.NotAllowed, urges.WrongState) as err:
            db.session.rollback()
            return self._render_show(self._scoped_get(pk), submitted, {"status": str(err)})
        db.session.commit()
        return redirect(result)

    @expose("/dispatch/<int:pk>", methods=["POST"])
    @has_access
    def dispatch(self, pk):
        """The command's result is where to go next (the new work order)."""
        def command(proposal):
            wo = urges.dispatch_proposal(db.session, g.user, proposal.id,
                                         **_command_values(request.form))
            flash(gettext("Urge dispatched: reply due %(day)s.",
                          day=wo.reply_due_on.isoformat()), "success")
            return url_for("WorkOrderView.show", pk=wo.id)

        return self._decide(pk, "dispatch", command)

    @expose("/decline/<int:pk>", methods=["POST"])
    @has_access
    def decline(self, pk):
        def command(proposal):
            urges.decline_proposal(db.session, g.user, proposal.id, request.form.get("reason"))
            flash(gettext("The proposal was declined; the assistant is told."), "info")
            return url_for("UrgeProposalView.show", pk=proposal.id)

        return self._decide(pk, "decline", command)


# -- the API ----------------------------------------------------------------------------------
def _work_order_json(wo) -> dict:
    return {"id": wo.id, "origin": wo.origin.name, "category": wo.category.name,
            "category_label": str(wo.category.value), "project_id": wo.project_id,
            "item_id": wo.item_id, "coordination_request_id": wo.coordination_request_id,
            "org_unit_id": wo.org_unit_id, "title": wo.title,
            "request": wo.request, "reply_due_on": wo.reply_due_on.isoformat(),
            "status": wo.status.name}


def _proposal_json(p) -> dict:
    return {"id": p.id, "status": p.status.name, "project_id": p.project_id,
            "item_id": p.item_id, "coordination_request_id": p.coordination_request_id,
            "org_unit_id": p.org_unit_id, "title": p.title,
            "request": p.request, "category": p.category.name, "due_days": p.due_days,
            "decline_reason": p.decline_reason, "work_order_id": p.work_order_id}




class UrgeApi(ScopedModelRestApi):
    """/api/v1/urge/: 催办 by hand. The list and detail are the assistants' proposals in
    scope. ``POST /raise`` with ``item`` or ``coordination_request`` (or ``project``),
    ``org_unit`` (a request's first owner unit when left out), ``category``
    (member name or label), ``request``, ``title`` (optional) and ``due_days`` (working
    days) or ``reply_due_on`` (YYYY-MM-DD): a dispatcher gets the work order (201), an
    assistant files a proposal (201). ``POST /<id>/dispatch`` (optional changed values)
    and ``POST /<id>/decline`` (``reason``) decide a proposal. A refusal is 422 with a
    message per field; an id outside the scope is 404."""

    resource_name = "urge"
    datamodel = SQLAInterface(UrgeProposal)
    class_permission_name = roles.URGE
    include_route_methods = {"get", "get_list", "info", "raise_urge", "dispatch", "decline"}
    method_permission_name = {"get": "read", "get_list": "read", "info": "read",
                              "raise_urge": "write", "dispatch": "write", "decline": "write"}
    list_columns = show_columns = ["id", "status", "project.id", "project.name", "item.id",
                                   "item.name", "coordination_request.id",
                                   "coordination_request.title", "org_unit.id",
                                   "org_unit.name", "title", "request", "category", "due_days", "proposed_by.username",
                                   "decline_reason", "work_order.id", "created_at"]
    search_columns = ["status", "project", "org_unit", "category"]

    def _body(self):
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None

    def _run(self, fn, status: int, key: str, to_json):
        """Run a command; commit and answer ``{key: to_json(result)}``, or the refusal."""
        try:
            result = fn()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        except urges.NotFound:
            db.session.rollback()
            return self.response_404()
        except urges.NotAllowed as err:
            db.session.rollback()
            return self.response(403, message=str(err))
        except urges.WrongState as err:
            db.session.rollback()
            return self.response_422(message={"status": str(err)})
        db.session.commit()
        return self.response(status, **{key: to_json(result)})

    @expose("/raise", methods=["POST"])
    @protect()
    @safe
    def raise_urge(self):
        """Raise a 催办 (dispatcher: a work order) or propose one (assistant).
        ---
        post:
          summary: Raise or propose a 催办 on an approval item, a coordination request or a project
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  description: item, coordination_request or project (ids), org_unit (id), category, request, title, due_days or reply_due_on
          responses:
            200:
              description: done (201 for a new work order or proposal)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              description: the user's role may not do this
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        body = self._body()
        if body is None:
            return self.response_400(message="Request is not a JSON object")
        item = creq = project = None
        if body.get("item") not in (None, ""):
            item = get_in_scope(db.session, ApprovalItem, body.get("item"))
            if item is None:
                return self.response_404()
            project = item.project
        if body.get("coordination_request") not in (None, ""):
            creq = get_in_scope(db.session, CoordinationRequest, body.get("coordination_request"))
            if creq is None:
                return self.response_404()
            project = project or creq.project
        if body.get("project") not in (None, ""):
            project = get_in_scope(db.session, Project, body.get("project"))
            if project is None:
                return self.response_404()
        if project is None:
            return self.response_422(message={"item": gettext(
                "Please name the approval item, the coordination request (or the project) "
                "to urge.")})
        user = g.user
        values = {"org_unit": body.get("org_unit"), "title": body.get("title"),
                  "request": body.get("request"), "category": body.get("category"),
                  "due_days": body.get("due_days")}

        if urges.can_raise(user):
            return self._run(lambda: urges.raise_urge(
                db.session, user, project=project, item=item, coordination_request=creq,
                reply_due_on=body.get("reply_due_on"), **values),
                201, "work_order", _work_order_json)
        return self._run(lambda: urges.propose_urge(
            db.session, user, project=project, item=item, coordination_request=creq,
            **values),
            201, "proposal", _proposal_json)

    @expose("/<int:pk>/dispatch", methods=["POST"])
    @protect()
    @safe
    def dispatch(self, pk):
        """Dispatch an assistant's 催办 proposal as a work order.
        ---
        post:
          summary: Dispatch a 催办 proposal (values may be changed)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  description: optional org_unit, category, request, title, due_days
          responses:
            200:
              description: done (201 for a new work order or proposal)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              description: the user's role may not do this
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        proposal = get_in_scope(db.session, UrgeProposal, pk)
        if proposal is None:
            return self.response_404()
        body = request.get_json(silent=True) if request.data else {}
        if not isinstance(body, dict):
            return self.response_400(message="Request is not a JSON object")
        changes = {k: body[k] for k in FIELDS if k in body}

        return self._run(lambda: urges.dispatch_proposal(db.session, g.user, proposal.id,
                                                         **changes),
                         200, "work_order", _work_order_json)

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk):
        """Decline an assistant's 催办 proposal, with a reason.
        ---
        post:
          summary: Decline a 催办 proposal
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
                    reason:
                      type: string
          responses:
            200:
              description: done (201 for a new work order or proposal)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              description: the user's role may not do this
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        proposal = get_in_scope(db.session, UrgeProposal, pk)
        if proposal is None:
            return self.response_404()
        body = self._body()
        if body is None:
            return self.response_400(message="Request is not a JSON object")

        return self._run(lambda: urges.decline_proposal(db.session, g.user, proposal.id,
                                                        body.get("reason")),
                         200, "proposal", _proposal_json)


__all__ = ["UrgeView", "UrgeProposalView", "UrgeApi"]
