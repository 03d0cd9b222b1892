"""Screens and APIs of the 专班 and its meetings (app/services/meetings.py).

- ``TaskForceMemberView`` / ``…Api``: a region's roster (组长, 副组长, 成员单位, 专班办公室).
- ``MeetingView`` / ``MeetingApi``: a meeting with its attendees (picked from the region's
  roster), the agenda proposed from the data, the minutes, its decisions, and the two
  exports (meeting pack, minutes) as user jobs.
- ``DecisionView`` / ``DecisionApi``: 议定事项, closed as done or cancelled by the same
  commands; the list exports the 议定事项台账. ``ProjectDecisionsView`` is the project tab.

Every rule of the commands is also checked next to its field on the forms (the same
function, on a probe built from the form), so nothing typed is lost.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, StopValidation

from app import clock
from app.extensions import db
from app.models import (
    AgendaItem,
    Decision,
    DecisionStatus,
    Meeting,
    OrgUnit,
    Project,
    TaskForceMember,
    TaskForceRole,
)
from app.security import roles
from app.security.scope import current_scope, get_in_scope
from app.services import meetings
from app.services.errors import DomainValidationError
from workers import user_jobs
from workers.base import QueueUnavailable

from .access import scoped_rows
from .base import API_VERBS, VIEW_VERBS, ScopedModelRestApi, ScopedModelView
from .labels import LABELS
from .widgets import AjaxSelectField

MEETING_LABELS = {
    **LABELS,
    "region": _("Region"), "role": _("Role on the task force"),
    "person_name": _("Name"), "title": _("Position"), "org_unit": _("Unit"),
    "phone": _("Phone"), "seq": _("Order"),
    "kind": _("Kind of meeting"), "held_on": _("Held on"), "location": _("Location"),
    "chair": _("Chair"), "minutes": _("Minutes"), "attendees": _("Attendees"),
    "agenda": _("Agenda"), "decisions": _("Decisions"),
    "meeting": _("Meeting"), "project": _("Project"), "reason": _("Why on the agenda"),
    "content": _("Decision"), "owner_unit": _("Owner unit"), "due_on": _("Due by"),
    "status": _("Status"), "closed_at": _("Closed at"), "closed_by": _("Closed by"),
    "close_note": _("Outcome or reason"),
}


class CsrfOnly(FlaskForm):
    """Fields are read from the request; this checks the CSRF token."""


def _ids(values) -> list[int]:
    out = []
    for v in values or []:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


# -- the rules next to their fields ----------------------------------------------------------
class DomainCheck:
    """A field validator showing a command's message for this field: the form is turned
    into a probe row and checked once (the errors are kept on the form)."""

    def __init__(self, name: str, errors_of) -> None:
        self.name, self.errors_of = name, errors_of

    def __call__(self, form, field) -> None:
        errors = getattr(form, "_domain_errors", None)
        if errors is None:
            with db.session.no_autoflush:
                errors = form._domain_errors = self.errors_of(form)
        if self.name in errors:
            # StopValidation: FAB's Optional, later in the chain, would clear a plain
            # ValidationError of an empty field (the very case of "a name is required").
            raise StopValidation(str(errors[self.name]))


def _data(form, name):
    return form[name].data if name in form else None


def _editing(model):
    """The row an edit form is for (None on an add form)."""
    pk = (request.view_args or {}).get("pk")
    return get_in_scope(db.session, model, pk) if pk is not None else None


def _ref_id(value):
    return value.id if value is not None else None


def _member_errors(form) -> dict:
    probe = TaskForceMember(region_id=_ref_id(_data(form, "region")), role=_data(form, "role"),
                            person_name=_data(form, "person_name"),
                            org_unit_id=_ref_id(_data(form, "org_unit")))
    return meetings.member_errors(db.session, probe)


def _meeting_errors(form) -> dict:
    probe = Meeting(region_id=_ref_id(_data(form, "region")), title=_data(form, "title"),
                    chair_id=_ref_id(_data(form, "chair")))
    errors = meetings.meeting_errors(db.session, probe)
    row = _editing(Meeting)
    if row is not None and probe.region_id not in (None, row.region_id) and (
            row.attendees or row.agenda):
        errors.setdefault("region", gettext(
            "The meeting already has attendees or an agenda of its region; it cannot move "
            "to another region."))
    return errors


def _agenda_errors(form) -> dict:
    row = _editing(AgendaItem)
    probe = AgendaItem(meeting_id=_ref_id(_data(form, "meeting")),
                       project_id=_ref_id(_data(form, "project")))
    probe.id = row.id if row is not None else None
    return meetings.agenda_errors(db.session, probe)


def _decision_errors(form) -> dict:
    row = _editing(Decision)
    probe = Decision(meeting_id=_ref_id(_data(form, "meeting")) or (row.meeting_id if row
                                                                    else None),
                     project_id=_ref_id(_data(form, "project")), content=_data(form, "content"),
                     owner_unit_id=_ref_id(_data(form, "owner_unit")),
                     due_on=_data(form, "due_on"),
                     status=row.status if row is not None else DecisionStatus.OPEN)
    if row is not None:
        probe.id = row.id
    return meetings.decision_errors(db.session, probe, clock.today(),
                                    row.due_on if row is not None else None)


def _units_in_scope():
    return scoped_rows(OrgUnit, order_by=(OrgUnit.region_id, OrgUnit.name))


def _checks(names, errors_of) -> dict:
    return {n: [DomainCheck(n, errors_of)] for n in names}


# -- the roster ------------------------------------------------------------------------------
class MemberChecks:
    def pre_add(self, item):
        super().pre_add(item)
        meetings.check_member(self.datamodel.session, item)

    def pre_update(self, item):
        super().pre_update(item)
        meetings.check_member(self.datamodel.session, item)


MEMBER_FORM = ["region", "role", "person_name", "title", "org_unit", "phone", "seq"]


class TaskForceMemberView(MemberChecks, ScopedModelView):
    datamodel = SQLAInterface(TaskForceMember)
    class_permission_name = roles.TASK_FORCE
    label_columns = MEETING_LABELS
    list_title = _("Task force (专班)")
    show_title = _("Task force member")
    add_title = _("Add to the task force")
    edit_title = _("Edit task force member")
    list_columns = ["region", "role", "person_name", "title", "org_unit", "phone"]
    add_columns = edit_columns = show_columns = MEMBER_FORM
    search_columns = ["region", "role", "person_name", "org_unit"]
    validators_columns = _checks(("region", "person_name", "org_unit"), _member_errors)
    base_order = ("region_id", "asc")
    description_columns = {
        "person_name": _("组长 and 副组长 are people (name and position); a member unit or the "
                         "office is a unit, optionally with its contact person."),
    }


class TaskForceMemberApi(MemberChecks, ScopedModelRestApi):
    resource_name = "task_force_member"
    datamodel = SQLAInterface(TaskForceMember)
    class_permission_name = roles.TASK_FORCE
    list_columns = ["id", "region.id", "region.name", "role", "person_name", "title",
                    "org_unit.id", "org_unit.name", "phone", "seq"]
    show_columns = list_columns
    add_columns = edit_columns = MEMBER_FORM


# -- agenda and decisions as tabs of the meeting ----------------------------------------------
class AgendaChecks:
    def pre_add(self, item):
        super().pre_add(item)
        meetings.check_agenda_item(self.datamodel.session, item)

    def pre_update(self, item):
        super().pre_update(item)
        meetings.check_agenda_item(self.datamodel.session, item)


class MeetingAgendaView(AgendaChecks, ScopedModelView):
    datamodel = SQLAInterface(AgendaItem)
    class_permission_name = roles.MEETING
    label_columns = MEETING_LABELS
    list_title = _("Agenda")
    show_title = add_title = edit_title = _("Project on the agenda")
    list_columns = ["seq", "project", "reason"]
    add_columns = edit_columns = show_columns = ["meeting", "project", "seq", "reason"]
    validators_columns = _checks(("meeting",), _agenda_errors)
    add_form_extra_fields = edit_form_extra_fields = {
        "project": AjaxSelectField(_("Project"), "project", validators=[
            DomainCheck("project", _agenda_errors), DataRequired()]),
    }
    base_order = ("seq", "asc")


class DecisionChecks:
    def pre_add(self, item):
        super().pre_add(item)
        meetings.check_decision(self.datamodel.session, item, clock.today())

    def post_add(self, item):
        meetings.announce_decision(self.datamodel.session, item)
        self.datamodel.session.commit()

    def pre_update(self, item):
        super().pre_update(item)
        meetings.check_decision(self.datamodel.session, item, clock.today())


DECISION_FORM = ["meeting", "project", "content", "owner_unit", "due_on"]


class DecisionView(DecisionChecks, ScopedModelView):
    datamodel = SQLAInterface(Decision)
    class_permission_name = roles.DECISION
    # A decision is followed to done or cancelled (with the reason), never deleted.
    exclude_route_methods = {"delete"}
    method_permission_name = {**VIEW_VERBS, "complete": "complete", "cancel": "write"}
    base_permissions = ["can_read", "can_write", "can_complete"]
    label_columns = MEETING_LABELS
    list_title = _("Meeting decisions (议定事项)")
    show_title = _("Meeting decision")
    add_title = _("Record a decision")
    edit_title = _("Edit decision")
    list_template = "ledger_list.html"  # the list with its "export ledger" button
    show_template = "meetings/decision_show.html"
    list_columns = ["meeting", "project", "content", "owner_unit", "due_on", "status"]
    add_columns = edit_columns = DECISION_FORM
    show_columns = DECISION_FORM + ["status", "closed_at", "closed_by", "close_note"]
    search_columns = ["meeting", "project", "owner_unit", "status", "due_on", "content"]
    order_columns = ["due_on", "status"]
    validators_columns = _checks(("meeting", "content", "due_on"),
                                 _decision_errors)
    add_form_extra_fields = edit_form_extra_fields = {
        "content": TextAreaField(_("Decision"), widget=BS3TextAreaFieldWidget()),
        # Typed (projects are many); the check says when it is not on the agenda.
        "project": AjaxSelectField(_("Project"), "project",
                                   validators=[DomainCheck("project", _decision_errors)]),
        # Starts empty: who owns a decision is chosen, never defaulted to the first unit.
        "owner_unit": QuerySelectField(
            _("Owner unit"), query_func=_units_in_scope, get_pk_func=lambda unit: unit.id,
            allow_blank=True, blank_text="—", widget=Select2Widget(),
            validators=[DomainCheck("owner_unit", _decision_errors)]),
    }
    base_order = ("due_on", "asc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        decision = self._scoped_get(pk)
        user = g.user
        is_open = decision.status == DecisionStatus.OPEN
        sm = self.appbuilder.sm
        return self.render_template(
            self.show_template, pk=decision.id, title=self.show_title,
            widgets=self._show(decision.id), related_views=self._related_views,
            decision=decision, form=CsrfOnly(),
            can_complete=is_open and sm.has_access("can_complete", roles.DECISION)
            and meetings.may_close(user, decision),
            can_cancel=is_open and sm.has_access("can_write", roles.DECISION)
            and meetings.may_close(user, decision, cancelling=True),
            errors={}, posted={})

    def _close(self, pk, fn, done):
        decision = self._scoped_get(pk)
        if not CsrfOnly().validate_on_submit():
            abort(400)
        note = request.form.get("close_note", "")
        try:
            fn(db.session, decision, g.user, note)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            decision = self._scoped_get(pk)
            return self.render_template(
                self.show_template, pk=decision.id, title=self.show_title,
                widgets=self._show(decision.id), related_views=self._related_views,
                decision=decision, form=CsrfOnly(), can_complete=True, can_cancel=True,
                errors=err.errors, posted={"close_note": note}), 422
        flash(done, "success")
        return redirect(url_for("DecisionView.show", pk=pk))

    @expose("/complete/<int:pk>", methods=["POST"])
    @has_access
    def complete(self, pk):
        return self._close(pk, meetings.complete_decision,
                           gettext("The decision is recorded as carried out."))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self._close(pk, meetings.cancel_decision,
                           gettext("The decision is cancelled."))


class MeetingDecisionsView(DecisionView):
    """The decisions tab of a meeting."""

    list_columns = ["project", "content", "owner_unit", "due_on", "status"]
    list_template = "appbuilder/general/model/list.html"


class ProjectDecisionsView(DecisionView):
    """The decisions tab of a project's page (议定事项 of every meeting in scope)."""

    list_columns = ["meeting", "content", "owner_unit", "due_on", "status"]
    list_template = "appbuilder/general/model/list.html"


# -- meetings --------------------------------------------------------------------------------
class MeetingChecks:
    def pre_add(self, item):
        super().pre_add(item)
        meetings.check_meeting(self.datamodel.session, item)
        if item.created_by_id is None and getattr(g, "user", None) is not None:
            item.created_by_id = g.user.id

    def pre_update(self, item):
        super().pre_update(item)
        meetings.check_meeting(self.datamodel.session, item)

    def pre_delete(self, item):
        meetings.check_meeting_deletable(item)


MEETING_FORM = ["region", "kind", "title", "held_on", "location", "chair", "minutes"]


class MeetingView(MeetingChecks, ScopedModelView):
    datamodel = SQLAInterface(Meeting)
    class_permission_name = roles.MEETING
    method_permission_name = {**VIEW_VERBS, "attendees": "write", "agenda": "write",
                              "pack": "read", "minutes_export": "read"}
    base_permissions = ["can_read", "can_write"]
    label_columns = {**MEETING_LABELS, "title": _("Meeting title")}
    list_title = _("Meetings")
    show_title = _("Meeting")
    add_title = _("New meeting")
    edit_title = _("Edit meeting (minutes)")
    show_template = "meetings/meeting_show.html"
    list_columns = ["held_on", "kind", "title", "region", "chair"]
    add_columns = edit_columns = MEETING_FORM
    show_columns = MEETING_FORM
    search_columns = ["kind", "region", "held_on", "title"]
    order_columns = ["held_on", "kind"]
    validators_columns = _checks(("title", "chair", "region"), _meeting_errors)
    add_form_extra_fields = edit_form_extra_fields = {
        "minutes": TextAreaField(_("Minutes"), widget=BS3TextAreaFieldWidget()),
    }
    related_views = [MeetingAgendaView, MeetingDecisionsView]
    base_order = ("held_on", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        meeting = self._scoped_get(pk)
        sm = self.appbuilder.sm
        return self.render_template(
            self.show_template, pk=meeting.id, title=self.show_title,
            widgets=self._show(meeting.id), related_views=self._related_views,
            meeting=meeting, form=CsrfOnly(),
            people=[a.member for a in meeting.attendees],
            can_write=sm.has_access("can_write", roles.MEETING),
            can_decide=sm.has_access("can_write", roles.DECISION))

    # Attendees, picked from the region's roster.
    @expose("/attendees/<int:pk>", methods=["GET", "POST"])
    @has_access
    def attendees(self, pk):
        meeting = self._scoped_get(pk)
        members = self.roster_of(meeting)
        chosen = {a.member_id for a in meeting.attendees}
        errors = {}
        if request.method == "POST":
            if not CsrfOnly().validate_on_submit():
                abort(400)
            ids = _ids(request.form.getlist("members"))
            chosen = set(ids)
            picked = [get_in_scope(db.session, TaskForceMember, i) for i in ids]
            if any(m is None for m in picked):
                errors = {"attendees": gettext("Not a valid choice")}
            else:
                try:
                    meetings.set_attendees(db.session, meeting, picked)
                    db.session.commit()
                except DomainValidationError as err:
                    db.session.rollback()
                    errors = err.errors
                    meeting = self._scoped_get(pk)
                else:
                    flash(gettext("The attendees are recorded."), "success")
                    return redirect(url_for("MeetingView.show", pk=pk))
        return self.render_template(
            "meetings/attendees.html", meeting=meeting, members=members, chosen=chosen,
            errors=errors, form=CsrfOnly(),
            title=gettext("Attendees of %(meeting)s", meeting=meeting.title)), (
            422 if errors else 200)

    @staticmethod
    def roster_of(meeting):
        """The meeting region's roster in the order of 专班架构."""
        order = {r: n for n, r in enumerate(TaskForceRole)}
        rows = scoped_rows(TaskForceMember, TaskForceMember.region_id == meeting.region_id)
        return sorted(rows, key=lambda m: (order[m.role], m.seq, m.id))

    # The agenda proposed from the data; the user ticks what goes on it.
    @expose("/agenda/<int:pk>", methods=["GET", "POST"])
    @has_access
    def agenda(self, pk):
        meeting = self._scoped_get(pk)
        proposals = meetings.propose_agenda(db.session, meeting, clock.today(), current_scope())
        errors = {}
        if request.method == "POST":
            if not CsrfOnly().validate_on_submit():
                abort(400)
            reasons = {p.project.id: p.reason for p in proposals}
            ids = _ids(request.form.getlist("projects"))
            projects = [get_in_scope(db.session, Project, i) for i in ids]
            if any(p is None for p in projects):
                errors = {"projects": gettext("Not a valid choice")}
            else:
                try:
                    added = meetings.add_to_agenda(db.session, meeting, projects, reasons)
                    db.session.commit()
                except DomainValidationError as err:
                    db.session.rollback()
                    errors = err.errors
                    meeting = self._scoped_get(pk)
                else:
                    flash(gettext("%(n)d project(s) put on the agenda.", n=len(added)),
                          "success")
                    return redirect(url_for("MeetingView.show", pk=pk))
        return self.render_template(
            "meetings/agenda.html", meeting=meeting, proposals=proposals, errors=errors,
            form=CsrfOnly(), title=gettext("Proposed agenda of %(meeting)s",
                                           meeting=meeting.title)), (422 if errors else 200)

    def _export(self, pk, kind, label):
        meeting = self._scoped_get(pk)
        if not CsrfOnly().validate_on_submit():
            abort(400)
        try:
            user_jobs.start(db.session, g.user.id, kind,
                            f"{label} {meeting.held_on.isoformat()} {meeting.title}",
                            {"meeting_id": meeting.id})
        except QueueUnavailable:
            from app.services import jobs

            flash(jobs.QUEUE_DOWN_MESSAGE, "danger")
        else:
            flash(gettext("The export has started; download the file from My jobs when it "
                          "is ready."), "info")
        return redirect(url_for("JobRecordView.list"))

    @expose("/pack/<int:pk>", methods=["POST"])
    @has_access
    def pack(self, pk):
        return self._export(pk, "meeting_pack", gettext("Meeting pack (Excel)"))

    @expose("/minutes_export/<int:pk>", methods=["POST"])
    @has_access
    def minutes_export(self, pk):
        return self._export(pk, "meeting_minutes", gettext("Meeting minutes (Excel)"))


# -- the APIs --------------------------------------------------------------------------------
def _messages(err: DomainValidationError) -> dict:
    return {k: str(v) for k, v in err.errors.items()}


class MeetingApi(MeetingChecks, ScopedModelRestApi):
    resource_name = "meeting"
    datamodel = SQLAInterface(Meeting)
    class_permission_name = roles.MEETING
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete", "attendees",
                             "agenda_proposal", "agenda"}
    method_permission_name = {**API_VERBS, "attendees": "write", "agenda_proposal": "read",
                              "agenda": "write"}
    list_columns = ["id", "region.id", "region.name", "kind", "title", "held_on", "location",
                    "chair.id"]
    show_columns = list_columns + ["minutes", "attendees.id", "agenda.id", "agenda.reason",
                                   "decisions.id"]
    add_columns = edit_columns = MEETING_FORM

    def _meeting(self, pk):
        return get_in_scope(db.session, Meeting, pk)

    @expose("/<int:pk>/attendees", methods=["POST"])
    @protect()
    @safe
    def attendees(self, pk):
        """Set the attendees: ``{"members": [task force member ids]}``.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: the attendees
            404:
              description: not in the caller's scope
            422:
              description: refused (a member of another region's roster)
        """
        meeting = self._meeting(pk)
        if meeting is None:
            return self.response_404()
        data = request.get_json(silent=True) or {}
        ids = data.get("members") if isinstance(data, dict) else None
        if not isinstance(ids, list):
            return self.response_422(message={"members": gettext("A list of ids is required.")})
        picked = [get_in_scope(db.session, TaskForceMember, i) for i in _ids(ids)]
        if any(m is None for m in picked) or len(picked) != len(ids):
            return self.response_422(message={"members": gettext("Not a valid choice")})
        try:
            rows = meetings.set_attendees(db.session, meeting, picked)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=_messages(err))
        return self.response(200, members=[r.member_id for r in rows])

    @expose("/<int:pk>/agenda_proposal", methods=["GET"])
    @protect()
    @safe
    def agenda_proposal(self, pk):
        """The projects the data proposes for the agenda, with the reasons.
        ---
        get:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: the proposals
            404:
              description: not in the caller's scope
        """
        meeting = self._meeting(pk)
        if meeting is None:
            return self.response_404()
        proposals = meetings.propose_agenda(db.session, meeting, clock.today(), current_scope())
        return self.response(200, result=[
            {"project_id": p.project.id, "code": p.project.code, "name": p.project.name,
             "reasons": p.reasons} for p in proposals])

    @expose("/<int:pk>/agenda", methods=["POST"])
    @protect()
    @safe
    def agenda(self, pk):
        """Put projects on the agenda: ``{"projects": [ids]}`` (the proposal's reasons go
        with them).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: the agenda
            404:
              description: not in the caller's scope
            422:
              description: refused (a project of another region)
        """
        meeting = self._meeting(pk)
        if meeting is None:
            return self.response_404()
        data = request.get_json(silent=True) or {}
        ids = data.get("projects") if isinstance(data, dict) else None
        if not isinstance(ids, list):
            return self.response_422(message={"projects": gettext("A list of ids is required.")})
        projects = [get_in_scope(db.session, Project, i) for i in _ids(ids)]
        if any(p is None for p in projects) or len(projects) != len(ids):
            return self.response_422(message={"projects": gettext("Not a valid choice")})
        reasons = {p.project.id: p.reason for p in meetings.propose_agenda(
            db.session, meeting, clock.today(), current_scope())}
        try:
            meetings.add_to_agenda(db.session, meeting, projects, reasons)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=_messages(err))
        return self.response(200, agenda=[{"project_id": a.project_id, "reason": a.reason}
                                          for a in meeting.agenda])


class DecisionApi(DecisionChecks, ScopedModelRestApi):
    resource_name = "decision"
    datamodel = SQLAInterface(Decision)
    class_permission_name = roles.DECISION
    include_route_methods = {"get", "get_list", "info", "post", "put", "complete", "cancel"}
    method_permission_name = {**API_VERBS, "complete": "complete", "cancel": "write"}
    base_permissions = ["can_read", "can_write", "can_complete"]
    list_columns = ["id", "meeting.id", "project.id", "content", "owner_unit.id",
                    "owner_unit.name", "due_on", "status"]
    show_columns = list_columns + ["closed_at", "closed_by", "close_note"]
    add_columns = edit_columns = DECISION_FORM

    def _close(self, pk, fn):
        decision = get_in_scope(db.session, Decision, pk)
        if decision is None:
            return self.response_404()
        data = request.get_json(silent=True) or {}
        note = data.get("note") if isinstance(data, dict) else None
        try:
            fn(db.session, decision, g.user, note if isinstance(note, str) else None)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=_messages(err))
        return self.response(200, status=decision.status.name, closed_by=decision.closed_by)

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk):
        """Record the decision as carried out: ``{"note": "what was done"}``.
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: done
            404:
              description: not in the caller's scope
            422:
              description: refused (closed already, not the owner unit)
        """
        return self._close(pk, meetings.complete_decision)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """Cancel the decision: ``{"note": "the reason"}`` (required).
        ---
        post:
          parameters:
          - in: path
            name: pk
            schema:
              type: integer
          responses:
            200:
              description: cancelled
            404:
              description: not in the caller's scope
            422:
              description: refused (no reason, closed already)
        """
        return self._close(pk, meetings.cancel_decision)


__all__ = ["TaskForceMemberView", "TaskForceMemberApi", "MeetingView", "MeetingAgendaView",
           "MeetingDecisionsView", "DecisionView", "ProjectDecisionsView", "MeetingApi",
           "DecisionApi"]
