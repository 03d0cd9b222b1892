"""The assistance process around a project: 我的项目 (an assistant's own view), the list of
projects without a lead assistant (对接需求), 终止服务, 资料归档 (files, checklist, closing)
and the archive files in the REST API.

Thin: the commands are ``app.services.termination.terminate``, ``app.services.archive.upload``
and ``close_project``; rows come through the scoped accessor; one commit per request.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import exists
from werkzeug.exceptions import RequestEntityTooLarge

from app import clock
from app.extensions import db
from app.models import (
    ApprovalItem,
    ArchiveCategory,
    ArchiveFile,
    ItemStatus,
    Project,
    ProjectAssistant,
    ProjectStatus,
    TerminationReason,
    WarningCard,
)
from app.security import roles
from app.security.scope import get_in_scope
from app.services import archive, my_projects, termination, workflow_files
from app.services.errors import DomainValidationError

from .access import ScopedBaseView
from .base import SCOPE_FILTERS, ScopedModelRestApi, display_value
from .downloads import send_download


class CsrfOnly(FlaskForm):
    """Fields are read from the request; this checks the CSRF token."""


# -- 对接需求: projects without a lead assistant -------------------------------------------
class WithoutLeadAssistant(BaseFilter):
    name = _("Without lead assistant")
    arg_name = None

    def apply(self, query, value):
        return query.filter(Project.status == ProjectStatus.ACTIVE, ~exists().where(
            ProjectAssistant.project_id == Project.id, ProjectAssistant.is_lead.is_(True)))


WITHOUT_LEAD_FILTERS = SCOPE_FILTERS + [["id", WithoutLeadAssistant, lambda: None]]


# -- 我的项目 ---------------------------------------------------------------------------------
class MyProjectsView(ScopedBaseView):
    """/myprojects/: the projects the signed-in assistant is on, with what is due and what
    waits on them (open corrections to guide, 容缺 promises, open cards)."""

    route_base = "/myprojects"
    class_permission_name = roles.PROJECT
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        projects = self.scoped_rows(Project, my_projects.assisted_by(g.user.id),
                                    order_by=(Project.status, Project.code))
        ids = [p.id for p in projects]
        items = self.scoped_rows(ApprovalItem, ApprovalItem.project_id.in_(ids),
                                 order_by=(ApprovalItem.id,)) if ids else []
        cards = self.scoped_rows(WarningCard, WarningCard.project_id.in_(ids),
                                 WarningCard.cleared_at.is_(None)) if ids else []
        today = clock.today()
        rows = []
        for project in projects:
            own = [i for i in items if i.project_id == project.id]
            open_items = [i for i in own if i.status.is_open]
            due = sorted((i for i in open_items if i.due_on), key=lambda i: i.due_on)
            waiting = [(i, gettext("corrections to supply")) for i in own
                       if i.status == ItemStatus.CORRECTING]
            waiting += [(i, gettext("materials promised for %(day)s",
                                    day=i.gap_promised_on.isoformat()))
                        for i in own if i.status == ItemStatus.ACCEPTED_WITH_GAPS
                        and i.gap_promised_on]
            waiting += [(i, gettext("result to tell the enterprise")) for i in own
                        if i.status in (ItemStatus.FINISHED, ItemStatus.REFUSED)
                        and i.result_told_at is None]
            rows.append({"project": project, "open": len(open_items), "due": due[:3],
                         "waiting": waiting,
                         "cards": [c for c in cards if c.project_id == project.id],
                         "overdue": sum(1 for i in due if i.due_on < today)})
        return self.render_template("process/my_projects.html", rows=rows, when=display_value,
                                    today=today, title=gettext("My projects"))


# -- 终止服务 ---------------------------------------------------------------------------------
class TerminationView(ScopedBaseView):
    """/terminate/<project>: the dispatcher's or bureau admin's decision to end the service."""

    route_base = "/terminate"
    class_permission_name = roles.TERMINATION
    method_permission_name = {"form": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "form"

    @expose("/<int:pk>", methods=["GET", "POST"])
    @has_access
    def form(self, pk):
        project = self.get_or_404(Project, pk)
        errors, posted, status = {}, request.form, 200
        if request.method == "POST":
            if not CsrfOnly().validate_on_submit():
                errors = {"project": gettext("The form has expired; please try again.")}
                status = 400
            else:
                try:
                    termination.terminate(db.session, project, g.user, posted.get("reason"),
                                          posted.get("note"), posted.get("on"))
                except DomainValidationError as err:
                    db.session.rollback()
                    errors = err.errors
                    project = self.get_or_404(Project, pk)
                else:
                    db.session.commit()
                    flash(gettext("The service of %(name)s was terminated.", name=project.name),
                          "success")
                    return redirect(url_for("ProjectView.show", pk=pk))
        return self.render_template(
            "process/terminate.html", project=project, form=CsrfOnly(formdata=None),
            reasons=list(TerminationReason), posted=posted, errors=errors,
            today=clock.today().isoformat(), title=gettext("Terminate the service")), status


# -- 资料归档 ---------------------------------------------------------------------------------
class ArchiveView(ScopedBaseView):
    """/archive/<project>: the archive checklist and files, upload, and closing."""

    route_base = "/archive"
    class_permission_name = roles.ARCHIVE
    method_permission_name = {"page": "read", "file": "read", "upload": "write",
                              "close": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "page"

    def _render(self, project, errors=None, status=200):
        return self.render_template(
            "process/archive.html", project=project,
            checklist=archive.checklist(db.session, project),
            files=archive.files_of(db.session, project), categories=list(ArchiveCategory),
            form=CsrfOnly(formdata=None), errors=errors or {}, when=display_value,
            max_mb=workflow_files.max_mb(), types=workflow_files.allowed_types(),
            title=gettext("Archive of %(name)s", name=project.name)), status

    @expose("/<int:pk>")
    @has_access
    def page(self, pk):
        return self._render(self.get_or_404(Project, pk))

    @expose("/<int:pk>/upload", methods=["POST"])
    @has_access
    def upload(self, pk):
        project = self.get_or_404(Project, pk)
        try:
            files = request.files.getlist("files")
        except RequestEntityTooLarge:
            return self._render(project, {"files": workflow_files.upload_too_large_message(
                request.max_content_length)}, 413)
        if not CsrfOnly().validate_on_submit():
            return self._render(project, {"files": gettext(
                "The form has expired; please try again.")}, 400)
        try:
            rows = archive.upload(db.session, project, g.user, request.form.get("category"),
                                  files, request.form.get("note"))
        except DomainValidationError as err:
            db.session.rollback()
            return self._render(self.get_or_404(Project, pk), err.errors)
        db.session.commit()
        flash(gettext("%(n)s file(s) archived.", n=len(rows)), "success")
        return redirect(url_for("ArchiveView.page", pk=pk))

    @expose("/<int:pk>/close", methods=["POST"])
    @has_access
    def close(self, pk):
        project = self.get_or_404(Project, pk)
        if not CsrfOnly().validate_on_submit():
            return self._render(project, {"archive": gettext(
                "The form has expired; please try again.")}, 400)
        try:
            archive.close_project(db.session, project, g.user)
        except DomainValidationError as err:
            db.session.rollback()
            return self._render(self.get_or_404(Project, pk), err.errors)
        db.session.commit()
        flash(gettext("The project %(name)s is closed and archived.", name=project.name),
              "success")
        return redirect(url_for("ProjectView.show", pk=pk))

    @expose("/file/<int:pk>")
    @has_access
    def file(self, pk):
        row = self.get_or_404(ArchiveFile, pk)
        path = archive.path_of(row)
        if path is None:
            abort(404)
        return send_download(path, row.filename, "ArchiveFile", row.id)


class ArchiveFileApi(ScopedModelRestApi):
    """/api/v1/archive_file/: a project's archive files in scope (read); POST /upload as
    multipart/form-data (``project_id``, ``category`` as an ArchiveCategory name, ``note``,
    the files as ``files``); POST /close/<project id> closes the project. 422 with a message
    per field when refused (nothing saved); downloads go through the screens' scoped route."""

    resource_name = "archive_file"
    datamodel = SQLAInterface(ArchiveFile)
    class_permission_name = roles.ARCHIVE
    include_route_methods = {"get", "get_list", "info", "upload", "close"}
    method_permission_name = {"get": "read", "get_list": "read", "info": "read",
                              "upload": "write", "close": "write"}
    list_columns = show_columns = ["id", "project.id", "project.name", "category", "filename",
                                   "size", "note", "uploaded_at"]
    search_columns = ["project", "category"]

    @expose("/upload", methods=["POST"])
    @protect()
    @safe
    def upload(self):
        """Add files to a project's archive (the same checks as the screen).
        ---
        post:
          summary: Upload archive files of a project
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    project_id: {type: integer}
                    category: {type: string}
                    note: {type: string}
                    files:
                      type: array
                      items: {type: string, format: binary}
                  required: [project_id, category, files]
          responses:
            201:
              description: the files added
            401:
              $ref: '#/components/responses/401'
            413:
              description: the request is too large
            422:
              $ref: '#/components/responses/422'
        """
        try:
            form, files = request.form, request.files.getlist("files")
        except RequestEntityTooLarge:
            return self.response(413, message=workflow_files.upload_too_large_message(
                request.max_content_length))
        project = get_in_scope(db.session, Project, form.get("project_id"))
        if project is None:
            return self.response_422(message={"project_id": gettext("Not a valid choice")})
        try:
            rows = archive.upload(db.session, project, g.user, form.get("category"), files,
                                  form.get("note"))
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        db.session.commit()
        return self.response(201, result=[{
            "id": r.id, "category": r.category.name, "filename": r.filename, "size": r.size,
            "url": url_for("ArchiveView.file", pk=r.id)} for r in rows])

    @expose("/close/<int:project_id>", methods=["POST"])
    @protect()
    @safe
    def close(self, project_id):
        """Close a project's archive (资料归档) once its checklist is complete.
        ---
        post:
          summary: Close a project as archived
          parameters:
          - in: path
            name: project_id
            required: true
            schema:
              type: integer
          responses:
            200:
              description: the project after closing
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        project = get_in_scope(db.session, Project, project_id)
        if project is None:
            return self.response_404()
        try:
            archive.close_project(db.session, project, g.user)
        except DomainValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.errors)
        db.session.commit()
        return self.response(200, result={"id": project.id, "status": project.status.name,
                                          "archived_on": project.archived_on.isoformat()})
