"""The workflow engine's messages to the user, in the current language.

Refusals (``TransitionRefused.reason``) and definition problems (``validate``) are English
msgids translated at the moment they are produced, into plain ``str``:

- in a request: the request's language (Flask-Babel, the user's choice of FAB's /lang/…);
- in an app context without a request (RQ workers, CLI commands): the app's
  ``BABEL_DEFAULT_LOCALE``, Chinese;
- with no app at all (a plain script, a unit test without an app): the Chinese catalogue
  under ``translations/``, read directly.

Use ``_("… %(name)s …", name=value)``, never an f-string: ``translations/update.sh`` only
extracts literal msgids, and the placeholders let a translation reorder the parts.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from babel.support import NullTranslations, Translations

# The app's BABEL_DEFAULT_LOCALE (config.py), used when there is no app to ask.
DEFAULT_LOCALE = "zh"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "translations"


def _(msgid: str, **variables) -> str:
    """``msgid`` in the current language, with ``%(name)s`` placeholders filled in."""
    return gettext(msgid, **variables)


def gettext(msgid: str, **variables: object) -> str:
    from flask import current_app, has_app_context

    if has_app_context() and "babel" in current_app.extensions:
        from flask_babel import gettext as babel_gettext

        return str(babel_gettext(msgid, **variables))
    text = _default_translations().gettext(msgid)
    return text % variables if variables else text


@functools.lru_cache(maxsize=1)
def _default_translations() -> NullTranslations:
    """The default language's catalogue (a NullTranslations, i.e. English, if missing)."""
    return Translations.load(str(TRANSLATIONS_DIR), [DEFAULT_LOCALE])


def join_reasons(parts: Iterable[str]) -> str:
    """Several reasons (or problems) as one message."""
    # TRANSLATORS: separator between two reasons or problems in one message (zh: "；")
    return _("; ").join(str(p) for p in parts)


def join_names(parts: Iterable[str]) -> str:
    """Names listed in a sentence (branches, states)."""
    # TRANSLATORS: separator between names listed in a sentence (zh: "、")
    return _(", ").join(str(p) for p in parts)


__all__ = ["DEFAULT_LOCALE", "TRANSLATIONS_DIR", "_", "gettext", "join_names", "join_reasons"]
