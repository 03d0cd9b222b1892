"""Translations read from the request's catalogue, found once per request.

Flask-Babel finds the catalogue again for every string: the request's context, the
domain, the locale, ``str(locale)`` and a dictionary lookup (about 20 µs each). A list page
translates 400–600 strings (column labels, buttons, the menu, the formatters' badges), so
that was 10 ms of a 100-row page. Here the application's domain keeps the catalogue it
found for the request's locale object: ``force_locale`` (an e-mail in the recipient's
language) and ``flask_babel.refresh`` set a new locale object, so they get their own.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import _get_current_context

_MEMO = "_app_catalogue"


def install(app: Flask) -> None:
    babel = app.extensions.get("babel")
    if babel is None:  # the worker's lean app translates no screens
        return
    domain = babel.instance.domain_instance
    find = domain.get_translations

    def get_translations():
        ctx = _get_current_context()
        if ctx is None:
            return find()
        memo = getattr(ctx, _MEMO, None)
        locale = getattr(ctx, "babel_locale", None)
        if memo is not None and locale is not None and memo[0] is locale:
            return memo[1]
        translations = find()  # sets ctx.babel_locale when it was not chosen yet
        setattr(ctx, _MEMO, (getattr(ctx, "babel_locale", None), translations))
        return translations

    domain.get_translations = get_translations
