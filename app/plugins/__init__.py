"""Innovation measures as plugins (docs/domain.md): the contract is ``hookspecs.py``, the
registry ``manager.py``; each built-in measure is a sub-package of this package, and
third-party measures come from the ``hbdb.measures`` entry-point group."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask_babel import gettext

from .hookspecs import ENTRY_POINT_GROUP, hookimpl  # noqa: F401  (what plugins import)
from .types import MeasureSpec, ParamSpec  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask import Flask
    from flask_appbuilder import AppBuilder

    from .manager import MeasureManager

EXTENSION = "measures"


def load_plugins(app: Flask, appbuilder: AppBuilder | None=None, view_bases: tuple[type, ...] = ()) -> None:
    """Discover, check and register the measure plugins (called by the app factory).

    A misspelt hook in a built-in plugin stops the start-up (PluginContractError); a
    third-party plugin that fails to import, register or validate is kept as "broken" with
    its error for the CLI and the admin's plugin screen. ``DISABLED_PLUGINS`` blocks plugins
    by name without importing them. Without ``appbuilder`` (the lean worker app) no
    screens are registered: workers still need the guards, effects, reminder rules and
    ledger columns. A plugin's views are accepted only if they derive from ``view_bases``
    (the factory passes the scoped bases of ``app.views``)."""
    from .manager import MeasureManager

    manager = MeasureManager(disabled=app.config.get("DISABLED_PLUGINS") or ())
    manager.load()
    app.extensions[EXTENSION] = manager  # the workflow engine asks it for guards/effects
    if appbuilder is None:
        return
    manager.register_views(appbuilder, view_bases)

    @app.context_processor
    def _plugin_strings():
        return {"plugin_text": plugin_text}

    # ``{{ spec.name|plugin_text }}``: measure names and labels in the UI's language.
    app.jinja_env.filters["plugin_text"] = plugin_text


def plugin_text(msgid: str) -> str:
    """A plugin's own UI string in the current language (its ``translations`` hook).

    Labels the host generates from a definition (``standard_parameters``: “申请”时限（工作日）,
    “提交申请”办理角色 …) are translated by parts: the quoted label from the plugins'
    catalogues, the fixed wording from the main Babel catalogue (:func:`generated_text`).
    Anything no catalogue knows (a low-code measure's labels) is returned as it is."""
    from flask import has_app_context
    from flask_babel import get_locale

    if not msgid or not has_app_context():
        return msgid
    locale = get_locale()
    lang = str(locale.language) if locale else "zh"
    manager = manager_of()
    text = str(msgid)
    messages = manager.translations().get(lang, {})
    if text in messages:
        return messages[text]
    generated = generated_text(text, lambda label: messages.get(label, label))
    return text if generated is None else generated


# The labels and help texts ``app.plugins.types.standard_parameters`` writes (in Chinese):
# the pattern of each label, and its wording in the main catalogue (zh: the same Chinese).
_GENERATED_LABELS = (
    (re.compile(r"^“(.+)”时限（工作日）$"),
     lambda label: gettext("Time limit of “%(label)s” (working days)", label=label)),
    (re.compile(r"^“(.+)”办理角色$"),
     lambda label: gettext("Roles for “%(label)s”", label=label)),
    (re.compile(r"^“(.+)”参与的分支$"),
     lambda label: gettext("Branches taking part in “%(label)s”", label=label)),
)
_GENERATED_HELP = {
    "该环节的办理时限，按工作日计算。":
        lambda: gettext("The time allowed for this step, counted in working days."),
    "可以执行此操作的角色。": lambda: gettext("The roles that may perform this action."),
    "只有选中的分支会并行办理，全部完成后汇合。":
        lambda: gettext("Only the selected branches run, in parallel; the measure goes on "
                        "once all of them are done."),
}


def generated_text(text: str, translate_label: Callable[[str], str]) -> str | None:
    """``text`` in the current language when it is a label or help text the host generates
    for a definition's parameters (the quoted label through ``translate_label``), else
    None."""
    fixed = _GENERATED_HELP.get(text)
    if fixed is not None:
        return str(fixed())
    for pattern, wording in _GENERATED_LABELS:
        match = pattern.match(text)
        if match:
            return str(wording(translate_label(match.group(1))))
    return None


def manager_of(app: Flask | None=None) -> MeasureManager:
    """The running app's MeasureManager."""
    from flask import current_app

    return (app or current_app).extensions[EXTENSION]


def current_manager() -> MeasureManager | None:
    """The running app's MeasureManager, or None outside an app (plain scripts)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)
