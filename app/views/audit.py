"""The audit trail screen: read-only, for the auditor; every row reads as a sentence.

The list is our own (not FAB's): keyset pages and a capped count (app/services/audit_list.py)
so it stays fast at millions of rows, and the filters the auditor needs (action, user, time,
object). The list and the detail page read records through app/services/audit_text.py.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import flash, request
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _

from app.extensions import db
from app.models import AuditRecord
from app.security import roles
from app.services import audit_list, audit_text

from .base import ScopedModelView
from .labels import LABELS


def screen_labels(appbuilder) -> dict[str, dict[str, str]]:
    """Model name → {column key: label} from the registered screens (the names people
    read there), the first screen of a model winning; the shared labels otherwise."""
    by_model: dict[str, dict] = {}
    for view in appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        labels = getattr(view, "label_columns", None)
        if datamodel is None or not labels or not hasattr(datamodel, "obj"):
            continue
        by_model.setdefault(datamodel.obj.__name__, {**LABELS, **labels})
    return {name: audit_text.column_labels(name, labels) for name, labels in by_model.items()}


def _date(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        flash(gettext("%(value)s is not a date (YYYY-MM-DD); that filter is left out.",
                      value=value[:40]), "warning")
        return None


def _text(name: str, limit: int = 128) -> str | None:
    value = request.args.get(name, "").replace("\x00", "").strip()
    return value[:limit] or None


class AuditRecordView(ScopedModelView):
    datamodel = SQLAInterface(AuditRecord)
    class_permission_name = roles.AUDIT
    # Read only for everyone: no add/edit/delete endpoints are granted or shown.
    base_permissions = ["can_read"]
    label_columns = LABELS
    list_title = _("Audit trail")
    show_title = _("Audit record")
    list_columns = ["at", "username", "ip", "action", "model", "object_id"]
    search_columns = ["at", "username", "ip", "action", "model", "object_id"]
    show_columns = ["at", "username", "ip", "action", "model", "object_id", "changes"]
    base_order = ("at", "desc")
    list_template = "audit/list.html"
    show_template = "audit/show.html"

    _labels: dict | None = None

    def labels(self) -> dict:
        if self._labels is None:
            type(self)._labels = screen_labels(self.appbuilder)
        return self._labels

    def _entries(self, rows):
        records = [record for record, _name in rows]
        names = audit_text.load_related_names(db.session, audit_text.related_refs(records))
        labels = self.labels()
        return [audit_text.describe(record, person=person, labels=labels, related_names=names)
                for record, person in rows]

    def _audit_filter(self) -> audit_list.AuditFilter:
        action = _text("action", 16)
        model = _text("model", 64)
        return audit_list.AuditFilter(
            action=action if action in audit_text.ACTIONS else None,
            user=_text("user"), since=_date("since"), until=_date("until"),
            model=model if model in audit_text.NOUNS else None,
            object_id=_text("object_id", 64))

    @expose("/list/")
    @has_access
    def list(self):
        filters = self._audit_filter()
        try:
            size = int(request.args.get("psize", audit_list.PAGE_SIZE))
        except ValueError:
            size = audit_list.PAGE_SIZE
        result = audit_list.page(db.session, filters, before=request.args.get("before"),
                                 after=request.args.get("after"), size=size)
        kept = {k: v for k, v in request.args.items()
                if k in ("action", "user", "since", "until", "model", "object_id", "psize") and v}

        def link(**cursor) -> str:
            return "?" + urlencode({**kept, **cursor})

        count = (gettext("%(n)s+", n=f"{audit_list.COUNT_CAP:,}") if result.capped
                 else f"{result.count:,}")
        return self.render_template(
            self.list_template, title=self.list_title, entries=self._entries(result.rows),
            page=result, count_text=count, filters=filters, args=request.args,
            actions=[(k, str(v)) for k, v in audit_text.ACTIONS.items()],
            models=sorted(((k, str(v)) for k, v in audit_text.NOUNS.items()),
                          key=lambda kv: kv[1]),
            next_url=link(before=result.next_cursor) if result.next_cursor else None,
            prev_url=link(after=result.prev_cursor) if result.prev_cursor else None,
            first_url=link())

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        record = self._scoped_get(pk)
        person = audit_list.actor_names(db.session, [record.user_id]).get(record.user_id)
        entry = self._entries([(record, person)])[0]
        return self.render_template(self.show_template, title=self.show_title, entry=entry,
                                    record=record, list_url=self.get_redirect())
