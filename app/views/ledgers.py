"""Starting the Excel ledger exports from the project and item lists.

The button on a list posts to these endpoints with the list's own query string, so the
export gets the list's filters (FAB's ``_flt_<n>_<column>`` arguments); the job runs
in the worker and the user is sent to the download centre to watch it.
"""
from __future__ import annotations

import re

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from werkzeug.routing import BuildError

from app import ledgers
from app.extensions import db
from app.security import roles
from app.security.scope import current_scope
from app.services import jobs
from workers import user_jobs
from workers.base import QueueUnavailable

from .access import ScopedBaseView

DOWNLOAD_CENTRE = "JobRecordView.list"
DOWNLOAD_CENTRE_URL = "/jobrecordview/list/"
_FAB_FILTER_ARG = re.compile(r"_flt_(\d)_(.*)")  # the pattern FAB's lists read


def _list_view(kind: ledgers.LedgerKind):
    """The registered FAB list view whose search filters the ledger takes (None: no list):
    the instance, whose filters are the ones its list reads."""
    if not kind.list_views:
        return None
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == kind.list_views[0]:
            return view
    return None


def list_filters(view, args) -> dict:
    """The list's active search filters as the ledger's ``field → value`` dict.

    Reads the arguments exactly as FAB's list does (same filter classes, by index per
    column), so the export holds the rows the list shows."""
    if view is None:
        return {}
    filters = view.datamodel.get_filters(view.search_columns)
    searchable = filters.get_search_filters().keys()
    for arg in args:
        match = _FAB_FILTER_ARG.findall(arg)
        if not match:
            continue
        index, column = int(match[0][0]), match[0][1]
        if column not in searchable:
            continue  # the list ignores it too
        try:
            filters.add_filter_index(column, index, args.getlist(arg))
        except IndexError:
            raise ledgers.LedgerFilterError(column, "unknown operator") from None
    out: dict = {}
    for flt, values in filters.get_filters_values():
        if not flt.arg_name:
            raise ledgers.LedgerFilterError(flt.column_name, "unsupported filter")
        key = ledgers.filter_key(flt.column_name, flt.arg_name)
        values = [v for v in (values if isinstance(values, list) else [values]) if v != ""]
        if not values:
            continue
        previous = out.get(key)
        if previous is not None:
            values = (previous if isinstance(previous, list) else [previous]) + values
        out[key] = values if len(values) > 1 or flt.arg_name in ("in", "not_in") else values[0]
    return out


def _download_centre() -> str:
    try:
        return url_for(DOWNLOAD_CENTRE)
    except BuildError:  # the download centre is not registered (yet)
        return DOWNLOAD_CENTRE_URL


def _back() -> str:
    return request.referrer or _download_centre()


class LedgerView(ScopedBaseView):
    """POST /ledgers/<kind>: queue an export of the list, for any registered ledger kind."""

    route_base = "/ledgers"
    class_permission_name = roles.LEDGER
    method_permission_name = {"export": "write"}
    # can_read too: roles.py grants it with can_write (every write implies a read), and
    # FAB would otherwise try to delete it at start-up and warn.
    base_permissions = ["can_read", "can_write"]
    default_view = "export"

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # The list pages' "export ledger" button asks which ledger their view exports.
        blueprint.add_app_template_global(_ledger_key_for_list, "ledger_key_for_list")
        return blueprint

    @expose("/<kind>", methods=["POST"])
    @has_access
    def export(self, kind: str):
        try:
            ledger = ledgers.get(kind)
        except ledgers.UnknownLedger:
            abort(404)
        return self._start(ledger)

    def _start(self, kind: ledgers.LedgerKind):
        session = db.session
        try:
            filters = ledgers.normalise_filters(kind, list_filters(_list_view(kind),
                                                                  request.args))
            # Refuse an impossible sheet here already, not only in the worker.
            ledgers.check_size(session, kind, current_scope(), filters)
        except ledgers.LedgerError as err:
            flash(str(err), "danger")
            return redirect(_back())
        try:
            user_jobs.start(session, g.user.id, kind.job_kind, str(kind.label),
                            {"filters": filters})
        except QueueUnavailable:
            # The row is there, marked failed with the same message: retry from My jobs.
            flash(jobs.QUEUE_DOWN_MESSAGE, "danger")
            return redirect(_download_centre())
        flash(gettext("The export has started; download the file from My jobs when it is "
                      "ready."), "info")
        return redirect(_download_centre())


def _ledger_key_for_list(view_name: str):
    kind = ledgers.for_list_view(view_name)
    return kind.key if kind is not None else None
