"""How a plain value reads in a list cell or on a detail page, when its column has no
formatter of its own: nothing for no value (never "None"), 是/否 for a flag (never
"True"), a collection as its members' names joined with 、 (never "[角色]").

The list and show widgets (app/templates/appbuilder/general/widgets/) pass every value
without a formatter through ``cell``, so every screen, including FAB's own security
screens, reads this way without a formatter per column.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext


def cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, dict)):
        return "、".join(str(v) for v in value)
    return value


def install(app) -> None:
    app.jinja_env.filters["cell"] = cell
