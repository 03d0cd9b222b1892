"""The security administrator's role screen (app/security/duties.py): FAB's, with the
permissions counted in the list instead of printed as one long Python list."""
from __future__ import annotations

from flask_appbuilder.security.views import RoleModelView
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext


def permission_count(permissions) -> str:
    return gettext("%(n)s permissions", n=len(permissions or []))


class RoleView(RoleModelView):
    # The permission rows keep FAB's name for this screen (app/security/roles.py).
    class_permission_name = "RoleModelView"
    list_widget = ListWidget  # ours (app/templates/appbuilder/general/widgets/list.html)
    formatters_columns = {"permissions": permission_count}
