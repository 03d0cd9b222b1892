"""我的任务 / download centre: the jobs a user started, their progress and their files."""
from __future__ import annotations

import os

from flask import abort, flash, jsonify, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup, escape

from app.extensions import db
from app.models import JobRecord, JobStatus
from app.security import roles
from app.services import jobs
from workers import user_jobs
from workers.base import QueueUnavailable

from . import badges
from .access import scoped_rows
from .base import ScopedModelView
from .downloads import send_download
from .labels import LABELS


def progress_cell(state) -> Markup:
    """The progress bar, and the download or retry button once the job has ended."""
    from flask_wtf.csrf import generate_csrf

    job_id, status, progress = state
    css = {"FINISHED": "progress-bar-success", "FAILED": "progress-bar-danger"}.get(
        status, "progress-bar-striped active")
    html = (f'<div class="progress" style="margin:0;min-width:120px">'
            f'<div class="progress-bar {css}" data-job-id="{job_id}" role="progressbar" '
            f'style="width:{progress}%">{progress}%</div></div>')
    if status == "FINISHED":
        label = escape(gettext("Download"))
        html += (f'<a class="btn btn-xs btn-primary" href="'
                 f'{escape(url_for("JobRecordView.file", pk=job_id))}">'
                 f'<i class="fa fa-download"></i> {label}</a>')
    elif status == "FAILED":
        label = escape(gettext("Retry"))
        html += (f'<form method="post" style="display:inline" action="'
                 f'{escape(url_for("JobRecordView.retry", pk=job_id))}">'
                 f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                 f'<button class="btn btn-xs btn-warning" type="submit"><i class="fa fa-rotate">'
                 f'</i> {label}</button></form>')
    return Markup(html)


class JobRecordView(ScopedModelView):
    datamodel = SQLAInterface(JobRecord)
    class_permission_name = roles.JOBS
    # Rows are made by starting a job, never typed in: no add or edit for anyone.
    method_permission_name = {"list": "read", "show": "read", "file": "read", "active": "read",
                              "retry": "write", "delete": "write"}
    base_permissions = ["can_read", "can_write"]
    list_template = "jobs_list.html"
    label_columns = {**LABELS, "title": _("Job"), "state": _("Progress"), "error": _("Error"),
                     "finished_at": _("Finished at"), "result_name": _("File"),
                     "created_at": _("Started at")}
    list_title = _("My jobs")
    show_title = _("Job")
    list_columns = ["title", "created_at", "status", "state", "finished_at", "result_name",
                    "error"]
    show_columns = ["title", "status", "progress", "created_at", "started_at", "finished_at",
                    "result_name", "error"]
    base_order = ("created_at", "desc")
    formatters_columns = {"state": progress_cell, "status": badges.state_badge}

    @expose("/file/<int:pk>")
    @has_access
    def file(self, pk):
        record = self._scoped_get(pk)
        if record.status != JobStatus.FINISHED or not record.result_path \
                or not os.path.exists(record.result_path):
            abort(404)
        return send_download(record.result_path,
                             record.result_name or os.path.basename(record.result_path),
                             "JobRecord", record.id)

    @expose("/active")
    @has_access
    def active(self):
        """Progress of the user's jobs, polled by the list page while any job runs."""
        rows = scoped_rows(JobRecord, JobRecord.status.in_([JobStatus.QUEUED, JobStatus.STARTED]),
                           order_by=(JobRecord.id,))
        return jsonify([{"id": r.id, "status": r.status.name, "progress": r.progress}
                        for r in rows])

    @expose("/retry/<int:pk>", methods=["POST"])
    @has_access
    def retry(self, pk):
        record = self._scoped_get(pk)
        if record.status != JobStatus.FAILED:
            flash(gettext("Only a failed job can be retried."), "warning")
        else:
            try:
                user_jobs.retry(db.session, record)
                flash(gettext("The job was queued again."), "info")
            except QueueUnavailable:
                flash(jobs.QUEUE_DOWN_MESSAGE, "danger")
        return redirect(url_for("JobRecordView.list"))
