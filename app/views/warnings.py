"""Screens for red/yellow cards, work orders and in-app notifications.

- ``WarningCardView``: the cards in the user's scope; a dispatcher turns one into a work
  order (form: unit, reply deadline, request).
- ``WorkOrderView``: work orders with their steps; reply (the unit's officers, permission
  ``can_reply``), close and send back (dispatchers, ``can_write``) on the detail page.
- ``ProjectCardsView`` / ``ProjectWorkOrdersView``: the same as tabs of a project's page.
- ``NotificationView``: the user's own notifications, mark read, and ``/unread`` (JSON) for
  the bell in the navigation bar (templates/appbuilder/navbar_right.html).
"""
from __future__ import annotations

from urllib.parse import urlparse

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, DatePickerWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import FormWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired
from wtforms.validators import Optional as OptionalValue

from app import clock
from app.extensions import db
from app.models import Notification, OrgUnit, WarningCard, WorkOrder, WorkOrderStatus
from app.security import roles
from app.services import notifications as notices
from app.services import people, work_orders

from . import badges
from .access import scoped_rows
from .base import VIEW_VERBS, ScopedModelView
from .labels import LABELS

# Cards, work orders and notifications are made by the scan and the workflow, never typed
# in: their add/edit/delete screens map to a permission nobody holds.
_NO_CRUD = {"add": "manage", "edit": "manage", "delete": "manage"}
_NO_CRUD_ROUTES = {"add", "edit", "delete"}

CARD_LABELS = {
    **LABELS,
    "level": _("Card"),
    "subject": _("Watched"),
    "title": _("Title"),
    "org_unit": _("Unit"),
    "due_on": _("Deadline"),
    "raised_at": _("Raised at"),
    "cleared_at": _("Cleared at"),
    "id": _("Operations"),
}

WORK_ORDER_LABELS = {
    **LABELS,
    "title": _("Title"),
    "card": _("Warning card"),
    "org_unit": _("Unit"),
    "region": _("Supervising level"),
    "request": _("Request"),
    "reply_due_on": _("Reply deadline"),
    "reply": _("Reply"),
    "replied_at": _("Replied at"),
    "closed_at": _("Closed at"),
    "escalation_count": _("Escalations"),
    "steps": _("Steps"),
    "created_at": _("Dispatched at"),
    "origin": _("Origin"),
    "category": _("Problem category"),
    "item": _("Approval item"),
    "coordination_request": _("Coordination request"),
}

NOTIFICATION_LABELS = {
    **LABELS,
    "title": _("Title"),
    "body": _("Content"),
    "created_at": _("Time"),
    "read_at": _("Read"),
    "id": _("Open"),
}


# -- formatters -----------------------------------------------------------------------------
# Not cleared yet: a pending state (orange), not to be mistaken for the red card beside it.
cleared_cell = badges.pending_or_time(_("Not cleared"), badges.ORANGE)


def card_operations(card_id) -> Markup:
    """A "turn into work order" button on each row, for those who may dispatch: decided
    once per page, the row only puts its id into the button."""
    button = g.get(_DISPATCH_BUTTON)
    if button is None:
        button = _dispatch_button()
        setattr(g, _DISPATCH_BUTTON, button)
    return Markup(button.replace(_PK_SLOT, str(int(card_id)))) if button else Markup("")


_DISPATCH_BUTTON = "_app_card_dispatch_button"
_PK_SLOT = "999999999"  # an id in the URL built once, replaced by each row's id


def _dispatch_button() -> str:
    from app.extensions import appbuilder

    if not appbuilder.sm.has_access("can_write", roles.CARD):
        return ""
    url = url_for("WarningCardView.dispatch", pk=int(_PK_SLOT))
    label = gettext("Turn into work order")
    return (f'<a class="btn btn-xs btn-primary" href="{escape(url)}">'
            f'<i class="fa fa-share-from-square"></i> {escape(label)}</a>')


def steps_cell(steps) -> Markup:
    """The history of a work order, one line per step (on the project page)."""
    lines = []
    for s in steps or []:
        text = f"{clock.display(s.at)} {work_orders.step_label(s.action)} {s.username or ''}"
        if s.comment:
            text += f"：{s.comment}"
        lines.append(f"<li>{escape(text)}</li>")
    return Markup(f'<ol style="margin:0;padding-left:1.4em">{"".join(lines)}</ol>')


read_cell = badges.pending_or_time(_("Unread"), badges.BLUE)


def open_link(notification_id) -> Markup:
    url = url_for("NotificationView.open", pk=notification_id)
    label = gettext("Open")
    return Markup(f'<a class="btn btn-xs btn-default" href="{escape(url)}">'
                  f'<i class="fa fa-arrow-up-right-from-square"></i> {escape(label)}</a>')


# -- forms ----------------------------------------------------------------------------------
class DispatchForm(DynamicForm):
    org_unit = SelectField(_("Unit"), coerce=int, validators=[DataRequired()],
                           widget=Select2Widget())
    reply_due_on = DateField(_("Reply deadline"), format="%Y-%m-%d",
                             validators=[DataRequired()], widget=DatePickerWidget())
    request = TextAreaField(_("Request"), validators=[DataRequired()],
                            widget=BS3TextAreaFieldWidget())


class ReplyForm(DynamicForm):
    reply = TextAreaField(_("Reply"), validators=[DataRequired()],
                          widget=BS3TextAreaFieldWidget())


class CloseForm(DynamicForm):
    comment = TextAreaField(_("Comment"), validators=[OptionalValue()],
                            widget=BS3TextAreaFieldWidget())


class SendBackForm(DynamicForm):
    comment = TextAreaField(_("Reason for sending back"), validators=[DataRequired()],
                            widget=BS3TextAreaFieldWidget())
    reply_due_on = DateField(_("New reply deadline"), format="%Y-%m-%d",
                             validators=[DataRequired()], widget=DatePickerWidget())


class MarkAllReadForm(DynamicForm):
    pass


def _form_errors(form) -> None:
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}：{error}", "danger")


# -- cards ----------------------------------------------------------------------------------
class WarningCardView(ScopedModelView):
    datamodel = SQLAInterface(WarningCard)
    class_permission_name = roles.CARD
    exclude_route_methods = _NO_CRUD_ROUTES
    method_permission_name = {**VIEW_VERBS, **_NO_CRUD, "to_work_order": "write",
                              "dispatch": "write"}
    base_permissions = ["can_read", "can_write"]
    label_columns = CARD_LABELS
    list_title = _("Red and yellow cards")
    show_title = _("Warning card")
    list_columns = ["level", "subject", "title", "project", "org_unit", "due_on", "raised_at",
                    "cleared_at", "id"]
    show_columns = ["level", "subject", "title", "project", "org_unit", "due_on", "raised_at",
                    "cleared_at"]
    search_columns = ["level", "subject", "title", "project", "org_unit", "due_on",
                      "raised_at", "cleared_at"]
    order_columns = ["level", "subject", "due_on", "raised_at", "cleared_at"]
    base_order = ("raised_at", "desc")
    formatters_columns = {"level": badges.state_badge, "cleared_at": cleared_cell,
                          "id": card_operations}

    def _get_list_widget(self, *args, **kwargs):
        """Without the right to dispatch, the operations column would be empty on every
        row: it is left out of the page (decided once, like the button itself)."""
        widgets = super()._get_list_widget(*args, **kwargs)
        if not _dispatch_button():
            args_ = widgets["list"].template_args
            args_["include_columns"] = [c for c in args_["include_columns"] if c != "id"]
        return widgets

    @action("to_work_order", _("Turn into work order"), icon="fa-share-from-square",
            multiple=False, single=True)
    def to_work_order(self, item):
        return redirect(url_for("WarningCardView.dispatch", pk=item.id))

    @expose("/dispatch/<int:pk>", methods=["GET", "POST"])
    @has_access
    def dispatch(self, pk):
        card = self._scoped_get(pk)
        user = g.user
        units = scoped_rows(OrgUnit, order_by=(OrgUnit.region_id, OrgUnit.name))
        form = DispatchForm()
        form.org_unit.choices = [(u.id, u.name) for u in units]
        if request.method == "GET":
            form.org_unit.data = card.org_unit_id
            form.reply_due_on.data = work_orders.default_deadline(clock.today())
        if card.cleared_at is not None:
            flash(gettext("This card has been cleared; there is nothing to supervise."),
                  "warning")
        if request.method == "POST":
            if form.validate():
                try:
                    wo = work_orders.dispatch(db.session, card.id, form.org_unit.data,
                                              form.reply_due_on.data, form.request.data, user)
                    db.session.commit()
                except work_orders.WorkOrderError as err:
                    db.session.rollback()
                    flash(str(err), "danger")
                else:
                    flash(gettext("Work order dispatched."), "success")
                    return redirect(url_for("WorkOrderView.show", pk=wo.id))
            else:
                _form_errors(form)
        widgets = {"edit": FormWidget(form=form, include_cols=["org_unit", "reply_due_on",
                                                               "request"],
                                      exclude_cols=[], fieldsets=[])}
        return self.render_template("appbuilder/general/model/edit.html",
                                    title=gettext("Turn into work order") + f"：{card.title}",
                                    widgets=widgets)


class ProjectCardsView(WarningCardView):
    """The cards tab of a project's page."""

    list_columns = ["level", "subject", "title", "org_unit", "due_on", "raised_at",
                    "cleared_at", "id"]


# -- work orders ------------------------------------------------------------------------------
class WorkOrderView(ScopedModelView):
    datamodel = SQLAInterface(WorkOrder)
    class_permission_name = roles.WORK_ORDER
    exclude_route_methods = _NO_CRUD_ROUTES
    method_permission_name = {**VIEW_VERBS, **_NO_CRUD, "reply": "reply", "close": "write",
                              "send_back": "write"}
    base_permissions = ["can_read", "can_write", "can_reply"]
    label_columns = WORK_ORDER_LABELS
    list_title = _("Work orders")
    show_title = _("Work order")
    show_template = "warnings/work_order_show.html"
    list_template = "ledger_list.html"  # the list with its "export ledger" button (工单台账)
    list_columns = ["title", "project", "org_unit", "region", "origin", "category", "status",
                    "reply_due_on", "escalation_count", "created_at"]
    show_columns = ["title", "project", "origin", "category", "item", "coordination_request",
                    "card", "org_unit",
                    "region", "status", "request", "reply_due_on", "reply", "replied_at",
                    "closed_at", "escalation_count", "created_at"]
    search_columns = ["title", "project", "org_unit", "region", "origin", "category", "status",
                      "reply_due_on", "escalation_count"]
    order_columns = ["title", "status", "reply_due_on", "escalation_count", "created_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {"status": badges.state_badge, "steps": steps_cell,
                          "origin": badges.state_badge, "category": badges.state_badge}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        wo = self._scoped_get(pk)
        widgets = self._show(wo.id)
        user = g.user
        sm = self.appbuilder.sm
        may_manage = (sm.has_access("can_write", roles.WORK_ORDER)
                      and work_orders.can_manage(user))
        may_reply = sm.has_access("can_reply", roles.WORK_ORDER) and work_orders.can_reply(
            user, wo)
        send_back = SendBackForm()
        send_back.reply_due_on.data = work_orders.default_deadline(clock.today())
        return self.render_template(
            self.show_template, pk=wo.id, title=self.show_title, widgets=widgets,
            related_views=self._related_views, work_order=wo, steps=wo.steps,
            names=people.names_of(db.session, [s.user_id for s in wo.steps]),
            step_label=work_orders.step_label,
            can_reply=may_reply and wo.status in work_orders.OPEN_STATES,
            can_close=may_manage and wo.status == WorkOrderStatus.REPLIED,
            can_send_back=may_manage and wo.status == WorkOrderStatus.REPLIED,
            reply_form=ReplyForm(), close_form=CloseForm(), send_back_form=send_back)

    def _after(self, pk):
        return redirect(url_for("WorkOrderView.show", pk=pk))

    def _run(self, pk, form, fn, done_message):
        self._scoped_get(pk)
        if not form.validate():
            _form_errors(form)
            return self._after(pk)
        try:
            fn()
            db.session.commit()
        except work_orders.NotFound:
            db.session.rollback()
            abort(404)
        except work_orders.WorkOrderError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            flash(done_message, "success")
        return self._after(pk)

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        form = ReplyForm()
        return self._run(pk, form, lambda: work_orders.reply(db.session, pk, form.reply.data,
                                                             g.user),
                         gettext("Reply sent."))

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        form = CloseForm()
        return self._run(pk, form, lambda: work_orders.close(db.session, pk, g.user,
                                                             form.comment.data),
                         gettext("Work order closed."))

    @expose("/send_back/<int:pk>", methods=["POST"])
    @has_access
    def send_back(self, pk):
        form = SendBackForm()
        return self._run(pk, form, lambda: work_orders.send_back(
            db.session, pk, form.comment.data, form.reply_due_on.data, g.user),
            gettext("Work order sent back."))


class ProjectWorkOrdersView(WorkOrderView):
    """The work-orders tab of a project's page, with each order's steps."""

    list_columns = ["title", "org_unit", "region", "origin", "category", "status",
                    "reply_due_on", "escalation_count", "steps"]


# -- notifications -----------------------------------------------------------------------------
class NotificationView(ScopedModelView):
    datamodel = SQLAInterface(Notification)
    class_permission_name = roles.NOTIFICATION
    exclude_route_methods = _NO_CRUD_ROUTES
    method_permission_name = {**VIEW_VERBS, **_NO_CRUD, "open": "read", "unread": "read",
                              "mark_read": "write", "read_all": "write"}
    base_permissions = ["can_read", "can_write"]
    list_template = "warnings/notifications_list.html"
    label_columns = NOTIFICATION_LABELS
    list_title = _("Notifications")
    show_title = _("Notification")
    list_columns = ["title", "body", "created_at", "read_at", "id"]
    show_columns = ["title", "body", "created_at", "read_at"]
    search_columns = ["title", "body", "created_at", "read_at"]
    order_columns = ["created_at", "read_at"]
    base_order = ("created_at", "desc")
    formatters_columns = {"read_at": read_cell, "id": open_link}

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.app_context_processor(lambda: {"notification_unread": _unread_for_bell})
        return blueprint

    @action("mark_read", _("Mark as read"), icon="fa-check", multiple=True, single=False)
    def mark_read(self, items):
        items = items if isinstance(items, list) else [items]
        notices.mark_read(db.session, g.user.id, [i.id for i in items])
        db.session.commit()
        return redirect(url_for("NotificationView.list"))

    @expose("/read_all", methods=["POST"])
    @has_access
    def read_all(self):
        if MarkAllReadForm().validate():
            count = notices.mark_read(db.session, g.user.id)
            db.session.commit()
            flash(gettext("%(count)s notification(s) marked as read.", count=count), "info")
        return redirect(url_for("NotificationView.list"))

    @expose("/open/<int:pk>")
    @has_access
    def open(self, pk):
        item = self._scoped_get(pk)
        notices.mark_read(db.session, g.user.id, [item.id])
        db.session.commit()
        return redirect(_safe_link(item.link) or url_for("NotificationView.list"))

    @expose("/unread")
    @has_access
    def unread(self):
        return jsonify({"count": notices.unread_count(db.session, g.user.id)})

    def render_template(self, template, **kwargs):
        kwargs.setdefault("mark_all_form", MarkAllReadForm())
        return super().render_template(template, **kwargs)


def _safe_link(link):
    """Only local paths: a notification must not redirect the user off the site."""
    if not link or not link.startswith("/") or link.startswith("//"):
        return None
    parsed = urlparse(link)
    return link if not parsed.scheme and not parsed.netloc else None


def _unread_for_bell():
    """Unread count for the bell, or None when the user has no notifications screen."""
    from app.extensions import appbuilder

    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        if not appbuilder.sm.has_access("can_read", roles.NOTIFICATION):
            return None
        return notices.unread_count(db.session, user.id)
    except Exception:  # the bell must never break a page
        return None


__all__ = ["WarningCardView", "ProjectCardsView", "WorkOrderView", "ProjectWorkOrdersView",
           "NotificationView"]
