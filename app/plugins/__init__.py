"""Innovation measures as plugins (DOMAIN.md §7): the contract is ``hookspecs.py``, the
registry ``manager.py``; each built-in measure is a sub-package of this package, and
third-party measures come from the ``hbdb.measures`` entry-point group."""
from __future__ import annotations

from .hookspecs import ENTRY_POINT_GROUP, hookimpl  # noqa: F401  (what plugins import)
from .types import MeasureSpec, ParamSpec  # noqa: F401

EXTENSION = "measures"


def load_plugins(app, appbuilder=None) -> None:
    """Discover, check and register the measure plugins (called by the app factory).

    A misspelt hook in a built-in plugin stops the start-up (PluginContractError); a
    third-party plugin that fails to import, register or validate is kept as "broken" with
    its error for the CLI and the admin's plugin screen. ``DISABLED_PLUGINS`` blocks plugins
    by name without importing them. Without ``appbuilder`` (the lean worker app) no
    screens are registered: workers still need the guards, effects, reminder rules and
    ledger columns."""
    from .manager import MeasureManager

    manager = MeasureManager(disabled=app.config.get("DISABLED_PLUGINS") or ())
    manager.load()
    app.extensions[EXTENSION] = manager
    manager.install_into_engine()
    if appbuilder is None:
        return
    manager.register_views(appbuilder)

    @app.context_processor
    def _plugin_strings():
        return {"plugin_text": plugin_text}

    # ``{{ spec.name|plugin_text }}``: measure names and labels in the UI's language.
    app.jinja_env.filters["plugin_text"] = plugin_text


def plugin_text(msgid: str) -> str:
    """A plugin's own UI string in the current language (its ``translations`` hook)."""
    from flask_babel import get_locale

    if not msgid:
        return msgid
    locale = get_locale()
    return manager_of().translate(str(msgid), str(locale.language) if locale else "zh")


def manager_of(app=None):
    """The running app's MeasureManager."""
    from flask import current_app

    return (app or current_app).extensions[EXTENSION]


def current_manager():
    """The running app's MeasureManager, or None outside an app (plain scripts)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)
