"""The audit trail screen: read-only, for the auditor."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app.models import AuditRecord
from app.security import roles

from .base import ScopedModelView
from .labels import LABELS


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
