"""Department officers' actions on approval items (受理, 要求补正, 补正到达, 办结, 不予许可,
告知承诺), the items' materials checklist, and the same actions in the REST API.

Thin: every action is the command ``app.services.item_actions.perform`` (the same call for
the screen and the API); rows are reached through the scoped accessor; one commit per
request. A refusal keeps what was typed and shows each message next to its field (screen)
or answers 422 with the messages by field (API).
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import ApprovalItem, ItemMaterial
from app.security import roles
from app.security.scope import get_in_scope
from app.services import item_actions
from app.services.errors import DomainValidationError

from .access import ScopedBaseView
from .base import ScopedModelRestApi, ScopedModelView, display_value
from .labels import LABELS


class ItemMaterialView(ScopedModelView):
    """The materials tab of an item: received / missing / 容缺 with the promised date."""

    datamodel = SQLAInterface(ItemMaterial)
    class_permission_name = roles.ITEM_MATERIAL
    label_columns = {**LABELS, "name": _("Material"), "status": _("Status"),
                     "promised_on": _("Promised on"), "note": _("Note"),
                     "item": _("Approval item")}
    list_title = _("Materials")
    show_title = add_title = edit_title = _("Material")
    list_columns = ["name", "status", "promised_on", "note"]
    add_columns = edit_columns = show_columns = ["item", "name", "status", "promised_on", "note"]
    base_order = ("id", "asc")


class CsrfOnly(FlaskForm):
    """The fields of an action are read from the request; this checks the CSRF token."""


class ItemActionView(ScopedBaseView):
    """/itemactions/<item>: the item with the actions its status allows, one form each."""

    route_base = "/itemactions"
    class_permission_name = roles.ITEM_ACTION
    method_permission_name = {"page": "read", "act": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "page"

    def _render(self, item, posted=None, submitted=None, errors=None, status=200):
        return self.render_template(
            "item_actions/item.html", item=item, actions=item_actions.offered(item),
            form=CsrfOnly(formdata=None), posted=posted or MultiDict(), submitted=submitted,
            errors=errors or {}, when=display_value,
            title=gettext("Act on %(item)s", item=item.name)), status

    @expose("/<int:pk>")
    @has_access
    def page(self, pk):
        return self._render(self.get_or_404(ApprovalItem, pk))

    @expose("/<int:pk>/<string:action>", methods=["POST"])
    @has_access
    def act(self, pk, action):
        item = self.get_or_404(ApprovalItem, pk)
        if not CsrfOnly().validate_on_submit():
            flash(gettext("The form has expired; please try again."), "danger")
            return self._render(item, request.form, action, status=400)
        try:
            outcome = item_actions.perform(db.session, item, g.user, action, request.form)
        except DomainValidationError as err:
            db.session.rollback()
            flash(gettext("Nothing was saved: check the fields marked below."), "danger")
            return self._render(self.get_or_404(ApprovalItem, pk), request.form, action,
                                err.errors)
        db.session.commit()
        flash(gettext("%(action)s: done.", action=outcome.action.label), "success")
        if outcome.action.decides:
            if outcome.told:
                flash(gettext("The enterprise was told the result (%(whom)s).",
                              whom=outcome.item.result_told_to), "info")
            else:
                flash(gettext("The enterprise has no user account: tell it the result "
                              "yourself."), "warning")
        return redirect(url_for("ItemActionView.page", pk=pk))


ITEM_ACTION_COLUMNS = ["id", "project.id", "project.name", "name", "department.id",
                       "department.name", "status", "accepted_on", "due_on", "finished_on",
                       "result", "certificate_no", "refusal_reason", "commitment",
                       "responsible_person", "responsible_phone", "planned_start_on",
                       "planned_finish_on", "result_told_at", "result_told_to"]


class ItemActionApi(ScopedModelRestApi):
    """/api/v1/approval_item_action/: the items in scope as the actions see them (read),
    and POST /<id>/<action> with the action's fields as JSON (``on`` as YYYY-MM-DD,
    ``note``, ``result``, ``certificate_no``, ``reason``, ``commitment``,
    ``responsible_person``, ``responsible_phone``): 200 with the item; 422 with a message
    per field when the action is not allowed or a value is wrong (nothing saved)."""

    resource_name = "approval_item_action"
    datamodel = SQLAInterface(ApprovalItem)
    class_permission_name = roles.ITEM_ACTION
    include_route_methods = {"get", "get_list", "info", "act"}
    method_permission_name = {"get": "read", "get_list": "read", "info": "read", "act": "write"}
    list_columns = show_columns = ITEM_ACTION_COLUMNS
    search_columns = ["project", "name", "department", "status", "due_on"]

    @expose("/<int:pk>/<string:action>", methods=["POST"])
    @protect()
    @safe
    def act(self, pk, action):
        """Take a department action on an approval item (app/services/item_actions.py):
        the same command as the screen; 422 with a message per field when refused.
        ---
        post:
          summary: Act on an approval item (受理, 要求补正, 补正到达, 办结, 不予许可, 告知承诺)
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          - in: path
            name: action
            required: true
            schema:
              type: string
              enum: [accept, request_correction, correction_arrived, finish, refuse, commit]
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  description: the action's fields (on as YYYY-MM-DD, result, note, ...)
          responses:
            200:
              description: the item after the action
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        item = get_in_scope(db.session, ApprovalItem, pk)
        if item is None:
            return self.response_404()
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request is not a JSON object")
        try:
            outcome = item_actions.perform(db.session, item, g.user, action, body)
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        db.session.commit()
        item = outcome.item
        return self.response(200, result={
            "id": item.id, "status": item.status.name, "status_label": str(item.status.value),
            "accepted_on": item.accepted_on.isoformat() if item.accepted_on else None,
            "due_on": item.due_on.isoformat() if item.due_on else None,
            "finished_on": item.finished_on.isoformat() if item.finished_on else None,
            "result_told_to": item.result_told_to,
            "told": [u.username for u in outcome.told]})
