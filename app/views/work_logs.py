"""Screens and API for 帮办代办日志 (work logs with site photos) and 今日报送.

- ``WorkLogView``: the logs in scope (list, detail with the photos, add, edit). Add and edit
  are one form made for a phone in the field (date, kind, project, content, people met,
  follow-ups, photos from the camera or the album) and call the commands in
  ``app.services.work_logs``; a refusal is shown next to its field with everything typed
  kept. Photos and thumbnails are served only through ``send_download``, in scope.
- ``ProjectWorkLogsView``: the 日志 tab of a project's page.
- ``WorkLogApi``: read, ``POST /record`` and ``POST /<id>/update`` (multipart or JSON), the
  same commands, 422 with the field messages.
- ``DailyReportView``: 今日报送 — per assistant and project in scope, reported that day or not.
"""
from __future__ import annotations

import datetime as dt
import io

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from app import clock
from app.extensions import db
from app.models import Project, WorkLog, WorkLogKind, WorkLogPhoto
from app.security import roles
from app.security.scope import get_in_scope, scope_condition
from app.services import daily_reports, site_photos, upload_content, work_logs
from app.services.errors import DomainValidationError

from .access import ScopedBaseView
from .base import API_VERBS, VIEW_VERBS, ScopedModelRestApi, ScopedModelView, display_value
from .downloads import send_download
from .labels import LABELS

FIELDS = ("logged_on", "kind", "content", "people_met", "follow_ups")
LOG_LABELS = {
    **LABELS,
    "project": _("Project"),
    "author": _("Assistant"),
    "logged_on": _("Date of work"),
    "kind": _("Kind of work"),
    "content": _("Work done"),
    "people_met": _("People met"),
    "follow_ups": _("Follow-ups"),
    "photos": _("Site photos"),
    "created_at": _("Recorded at"),
}


class CsrfOnly(FlaskForm):
    """The fields are read from the request; this checks the CSRF token."""


def _short(text) -> str:
    text = text or ""
    return text if len(text) <= 60 else text[:60] + "…"


def _photo_text(photo) -> str:
    return site_photos.where_and_when(photo, photo.work_log.project)


def _form_fields(source) -> dict:
    return {name: (source.get(name) or "") for name in ("project", *FIELDS)}


class WorkLogView(ScopedModelView):
    datamodel = SQLAInterface(WorkLog)
    class_permission_name = roles.WORK_LOG
    method_permission_name = {**VIEW_VERBS, "photo": "read", "thumbnail": "read"}
    base_permissions = ["can_read", "can_write"]
    exclude_route_methods = {"delete"}
    label_columns = LOG_LABELS
    list_title = _("Work logs")
    show_title = _("Work log")
    add_title = _("New work log")
    edit_title = _("Edit work log")
    list_columns = ["logged_on", "project", "author", "kind", "content", "photos"]
    show_columns = ["project", "author", "logged_on", "kind", "content", "people_met",
                    "follow_ups", "created_at"]
    search_columns = ["project", "author", "logged_on", "kind", "content"]
    order_columns = ["logged_on"]
    base_order = ("logged_on", "desc")
    formatters_columns = {"photos": lambda photos: str(len(photos)) if photos else "",
                          "content": _short}
    show_template = "work_logs/show.html"
    form_template = "work_logs/form.html"

    # -- the form (add and edit) ----------------------------------------------------------
    def _projects(self) -> list[Project]:
        return work_logs.loggable_projects(db.session, g.user)

    def _render_form(self, values: dict, errors: dict | None = None, log=None, status=200):
        return self.render_template(
            self.form_template, title=self.edit_title if log else self.add_title,
            values=values, errors=errors or {}, log=log, projects=self._projects(),
            kinds=list(WorkLogKind), form=CsrfOnly(formdata=None), today=clock.today(),
            max_mb=site_photos.max_mb(), max_photos=work_logs.MAX_PHOTOS,
            max_bytes=site_photos.max_mb() * 1024 * 1024,
            megapixels=upload_content.max_image_pixels() // 1_000_000,
            photo_text=_photo_text), status

    def _posted(self):
        """(form values, photos), or a refusal response for a body over the limit."""
        try:
            return _form_fields(request.form), request.files.getlist("photos"), None
        except RequestEntityTooLarge:
            return {}, [], {"photos": site_photos_too_large()}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if request.method == "GET":
            chosen = request.args.get("project") or request.args.get("_flt_0_project") or ""
            values = {"project": chosen, "logged_on": clock.today().isoformat(),
                      "kind": WorkLogKind.VISIT.name}
            return self._render_form(values)
        values, photos, refusal = self._posted()
        if refusal:
            return self._render_form(values, refusal, status=413)
        if not CsrfOnly().validate_on_submit():
            return self._render_form(values, {"form": gettext(
                "The form has expired; please try again.")}, status=400)
        project = get_in_scope(db.session, Project, values.get("project"))
        try:
            log = work_logs.record_work_log(db.session, project, g.user, values, photos)
        except DomainValidationError as err:
            db.session.rollback()
            return self._render_form(values, err.errors)
        db.session.commit()
        flash(gettext("The work log is saved."), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=log.id))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        log = self._scoped_get(pk)
        if g.user is None or log.author_id != g.user.id:
            flash(gettext("Only the author may change a work log."), "warning")
            return redirect(url_for(f"{self.endpoint}.show", pk=log.id))
        if request.method == "GET":
            values = {"project": str(log.project_id), "logged_on": log.logged_on.isoformat(),
                      "kind": log.kind.name, "content": log.content,
                      "people_met": log.people_met or "", "follow_ups": log.follow_ups or ""}
            return self._render_form(values, log=log)
        values, photos, refusal = self._posted()
        values["project"] = str(log.project_id)
        if refusal:
            return self._render_form(values, refusal, log=log, status=413)
        if not CsrfOnly().validate_on_submit():
            return self._render_form(values, {"form": gettext(
                "The form has expired; please try again.")}, log=log, status=400)
        try:
            work_logs.update_work_log(db.session, log, g.user, values, photos,
                                      request.form.getlist("remove_photo"))
        except DomainValidationError as err:
            db.session.rollback()
            return self._render_form(values, err.errors, log=self._scoped_get(pk))
        db.session.commit()
        flash(gettext("The work log is saved."), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=log.id))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        log = self._scoped_get(pk)
        return self.render_template(
            self.show_template, title=self.show_title, log=log, labels=LOG_LABELS,
            when=display_value, photo_text=_photo_text,
            can_edit=g.user is not None and log.author_id == g.user.id,
            strip=log.project.region.photo_strip_location)

    # -- the photos ---------------------------------------------------------------------------
    @expose("/photo/<int:pk>")
    @has_access
    def photo(self, pk):
        photo = self.get_or_404(WorkLogPhoto, pk)
        return _send(photo, work_logs.served_photo(photo), "")

    @expose("/thumbnail/<int:pk>")
    @has_access
    def thumbnail(self, pk):
        photo = self.get_or_404(WorkLogPhoto, pk)
        return _send(photo, work_logs.thumbnail_of(photo), "-thumb")


def _send(photo: WorkLogPhoto, data: bytes | None, suffix: str):
    """The photo's bytes through the one file sender, named after the upload."""
    if data is None:
        abort(404)
    stem = photo.filename.rsplit(".", 1)[0] if "." in photo.filename else photo.filename
    return send_download(io.BytesIO(data), f"{stem}{suffix}.jpg", "WorkLogPhoto", photo.id)


def site_photos_too_large() -> str:
    from app.services.workflow_files import upload_too_large_message

    return upload_too_large_message(request.max_content_length)


class ProjectWorkLogsView(WorkLogView):
    """The 日志 tab of a project's page: its logs, newest first."""

    list_title = _("Work logs")
    list_columns = ["logged_on", "author", "kind", "content", "photos"]


# -- REST API -----------------------------------------------------------------------------------
def _api_values(data) -> dict:
    return {name: data.get(name) for name in FIELDS}


def _api_result(log: WorkLog) -> dict:
    return {"id": log.id, "project_id": log.project_id, "logged_on": log.logged_on.isoformat(),
            "kind": log.kind.name, "content": log.content, "people_met": log.people_met,
            "follow_ups": log.follow_ups,
            "photos": [{"id": p.id, "filename": p.filename, "width": p.width,
                        "height": p.height,
                        "taken_at": p.taken_at.isoformat() if p.taken_at else None,
                        "latitude": p.latitude, "longitude": p.longitude,
                        "url": url_for("WorkLogView.photo", pk=p.id),
                        "thumbnail": url_for("WorkLogView.thumbnail", pk=p.id),
                        "api_url": url_for("WorkLogApi.photo", pk=p.id),
                        "api_thumbnail": url_for("WorkLogApi.thumbnail", pk=p.id)}
                       for p in log.photos]}


class WorkLogApi(ScopedModelRestApi):
    """/api/v1/work_log/: the logs in scope (read); ``POST /record`` and ``POST /<id>/update``
    take multipart/form-data (the fields, photos as ``photos``) or JSON (no photos)."""

    resource_name = "work_log"
    datamodel = SQLAInterface(WorkLog)
    class_permission_name = roles.WORK_LOG
    include_route_methods = {"get", "get_list", "info", "record", "update", "photo",
                             "thumbnail"}
    method_permission_name = {**API_VERBS, "record": "write", "update": "write",
                              "photo": "read", "thumbnail": "read"}
    base_permissions = ["can_read", "can_write"]
    list_columns = ["id", "project.id", "project.name", "author.id", "logged_on", "kind",
                    "content", "people_met", "follow_ups"]
    show_columns = list_columns + ["photos.id", "photos.filename", "photos.taken_at",
                                   "photos.latitude", "photos.longitude", "photos.width",
                                   "photos.height"]
    search_columns = ["project", "logged_on", "kind"]
    order_columns = ["logged_on", "id"]

    def _read(self):
        try:
            if request.is_json:
                data = request.get_json(silent=True)
                return (data if isinstance(data, dict) else {}), [], None
            return request.form, request.files.getlist("photos"), None
        except RequestEntityTooLarge:
            return {}, [], self.response(413, message=site_photos_too_large())

    @expose("/record", methods=["POST"])
    @protect()
    @safe
    def record(self):
        """Record a work log (the same command as the screen).
        ---
        post:
          summary: Record a work log with its site photos
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    project_id: {type: integer}
                    logged_on: {type: string, format: date}
                    kind: {type: string, enum: [VISIT, PHONE, MEETING, ONLINE, OTHER]}
                    content: {type: string}
                    people_met: {type: string}
                    follow_ups: {type: string}
                    photos:
                      type: array
                      items: {type: string, format: binary}
                  required: [project_id, logged_on, kind, content]
              application/json:
                schema:
                  type: object
                  properties:
                    project_id: {type: integer}
                    logged_on: {type: string, format: date}
                    kind: {type: string}
                    content: {type: string}
                    people_met: {type: string}
                    follow_ups: {type: string}
          responses:
            201:
              description: the log
            401:
              $ref: '#/components/responses/401'
            413:
              description: the request is too large
            422:
              $ref: '#/components/responses/422'
        """
        data, photos, refusal = self._read()
        if refusal is not None:
            return refusal
        project = get_in_scope(db.session, Project, data.get("project_id"))
        if project is None:
            return self.response_422(message={"project_id": gettext("Not a valid choice")})
        try:
            log = work_logs.record_work_log(db.session, project, g.user, _api_values(data),
                                            photos)
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        db.session.commit()
        return self.response(201, result=_api_result(log))

    @expose("/<int:pk>/update", methods=["POST"])
    @protect()
    @safe
    def update(self, pk):
        """Change a work log (its author only); ``remove_photo`` lists photo ids to drop.
        ---
        post:
          summary: Change a work log
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    logged_on: {type: string, format: date}
                    kind: {type: string}
                    content: {type: string}
                    people_met: {type: string}
                    follow_ups: {type: string}
                    remove_photo:
                      type: array
                      items: {type: integer}
                    photos:
                      type: array
                      items: {type: string, format: binary}
          responses:
            200:
              description: the log
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        log = get_in_scope(db.session, WorkLog, pk)
        if log is None:
            return self.response_404()
        data, photos, refusal = self._read()
        if refusal is not None:
            return refusal
        values = {name: data.get(name, getattr(log, name)) for name in FIELDS}
        remove = (data.getlist("remove_photo") if hasattr(data, "getlist")
                  else data.get("remove_photo") or [])
        try:
            log = work_logs.update_work_log(db.session, log, g.user, values, photos,
                                            remove if isinstance(remove, list) else [])
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        db.session.commit()
        return self.response(200, result=_api_result(log))

    @expose("/photo/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def photo(self, pk):
        """A log's photo as the screens serve it (attachment; EXIF as the region allows).
        ---
        get:
          summary: Download a site photo of a work log
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: the photo (image/jpeg)
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        photo = get_in_scope(db.session, WorkLogPhoto, pk)
        data = work_logs.served_photo(photo) if photo is not None else None
        if data is None:
            return self.response_404()
        return _send(photo, data, "")

    @expose("/thumbnail/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def thumbnail(self, pk):
        """A log's photo thumbnail (no EXIF).
        ---
        get:
          summary: Download the thumbnail of a site photo
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: the thumbnail (image/jpeg)
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        photo = get_in_scope(db.session, WorkLogPhoto, pk)
        data = work_logs.thumbnail_of(photo) if photo is not None else None
        if data is None:
            return self.response_404()
        return _send(photo, data, "-thumb")


# -- 今日报送 ---------------------------------------------------------------------------------
class DailyReportView(ScopedBaseView):
    """/dailyreport/: who reported on a day (today by default), per assistant and project in
    progress in the user's scope; those not reported first."""

    route_base = "/dailyreport"
    class_permission_name = roles.WORK_LOG
    method_permission_name = {"today": "read"}
    # Both verbs, as the log screens: FAB drops a resource's permissions that the last view
    # registered under its name does not list.
    base_permissions = ["can_read", "can_write"]
    default_view = "today"

    @expose("/")
    @has_access
    def today(self):
        day, error = clock.today(), None
        asked = request.args.get("day")
        if asked:
            try:
                day = dt.date.fromisoformat(asked)
            except ValueError:
                error = gettext("Enter a date as YYYY-MM-DD.")
        rows, total = daily_reports.report(db.session, day, scope_condition(Project))
        reported = sum(1 for r in rows if r.logs)
        return self.render_template(
            "work_logs/daily_report.html", title=gettext("Daily report"), day=day,
            rows=rows, total=total, reported=reported, error=error, asked=asked or "")

