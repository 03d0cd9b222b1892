"""Hostile input refused at the door, before any view runs (issue 10, ASVS V5).

One ``before_request`` hook, so every screen and API list, present and future, passes it:

- NUL characters in any query argument, form field or JSON string (PostgreSQL cannot
  store them; psycopg raised and the page answered 500 with the statement in a flash);
- the list arguments of Flask-AppBuilder's screens (``page_<View>``, ``psize_<View>``,
  ``_oc_<View>``/``_od_<View>``), which FAB turns into ``int()`` calls and column lookups
  without a check: a page size above ``LIST_MAX_PAGE_SIZE``, a page that is not a whole
  number in range, or an order by a column the list does not offer;
- the API's ``q`` argument (Rison, or JSON as FAB also accepts), parsed as FAB does: it must
  parse to an object and its ``page`` numbers must be whole numbers in range (FAB caps
  ``page_size`` itself at ``FAB_API_MAX_PAGE_SIZE``).

Each refusal is a 400 with a message in the user's language naming the argument; the API
answers JSON. ``relation_errors`` checks the relation values of an API body before
marshmallow-sqlalchemy looks them up (a name where an id belongs made PostgreSQL fail).
"""
from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import prison
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge

from app.security.scope import MAX_ID

# FAB's pages are numbered from 0; beyond this no list of the product has rows, and the
# offset (page × size) stays far inside PostgreSQL's bigint.
MAX_PAGE = 10_000_000
NUL = "\x00"


class Refused(Exception):
    """Input the app will not process; ``message`` says why, in the user's language."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def install(app: Flask, appbuilder) -> None:
    app.config.setdefault("LIST_MAX_PAGE_SIZE", 100)

    @app.before_request
    def _refuse_hostile_input():
        try:
            check_request(appbuilder)
        except Refused as refused:
            return refusal(refused, 400)
        return None


def refusal(refused: Refused, code: int):
    """The 400 page (or JSON for the API) for refused input."""
    if request.path.startswith("/api/"):
        if refused.field:
            return jsonify(message={refused.field: [refused.message]}), code
        return jsonify(message=refused.message), code
    from app.extensions import appbuilder

    return render_template("refused.html", code=code, message=refused.message, reference=None,
                           appbuilder=appbuilder, base_template=appbuilder.base_template), code


def check_request(appbuilder) -> None:
    """Raise ``Refused`` for the first hostile part of the current request."""
    try:
        for name, value in _fields():
            if NUL in (name or "") or NUL in (value or ""):
                raise Refused(gettext("The field %(field)s contains a NUL character, which is "
                                      "not allowed.", field=(name or "").replace(NUL, "\\0")), name)
    except RequestEntityTooLarge:
        return  # over MAX_CONTENT_LENGTH: the view (or the app's 413 handler) says so
    if request.path.startswith("/api/"):
        _check_api_query()
    else:
        _check_list_args(appbuilder)


def _fields() -> Iterator[tuple[str | None, str | None]]:
    for source in (request.args, request.form):
        for name, values in source.lists():
            for value in values:
                yield name, value
    for name, upload in request.files.items(multi=True):
        yield name, upload.filename or ""
    if request.is_json:
        yield from _json_strings(request.get_json(silent=True), "")


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, inner in value.items():
            name = str(key)
            if NUL in name:
                yield name, ""
            yield from _json_strings(inner, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_strings(inner, path)


# -- the list arguments of FAB's screens --------------------------------------------------

def _whole_number(name: str, raw: str, low: int, high: int) -> int:
    if not re.fullmatch(r"-?\d{1,19}", raw.strip()):
        raise Refused(gettext("%(arg)s must be a whole number.", arg=name), name)
    value = int(raw)
    if not low <= value <= high:
        raise Refused(gettext("%(arg)s must be between %(low)s and %(high)s.", arg=name,
                              low=low, high=high), name)
    return value


def _check_list_args(appbuilder) -> None:
    args = request.args
    max_size = int(current_app.config["LIST_MAX_PAGE_SIZE"])
    views = None
    for name in args:
        # FAB's own matching: any argument whose name contains these prefixes is int()ed.
        if "psize_" in name:
            _whole_number(name, args[name], 1, max_size)
        elif "page_" in name:
            _whole_number(name, args[name], 0, MAX_PAGE)
        if name.startswith("_oc_"):
            views = views if views is not None else _views_by_name(appbuilder)
            view = views.get(name[4:])
            if view is None:
                continue
            if args[name] not in (getattr(view, "order_columns", None) or ()):
                raise Refused(gettext("The list cannot be sorted by %(column)s.",
                                      column=args[name]), name)
            direction = args.get("_od_" + name[4:])
            if direction not in ("asc", "desc"):
                raise Refused(gettext("The sort direction must be asc or desc."),
                              "_od_" + name[4:])


def _views_by_name(appbuilder) -> dict:
    return {type(view).__name__: view for view in appbuilder.baseviews}


# -- the API's q ------------------------------------------------------------------------

def parse_rison(value: str) -> Any:
    """``q`` as FAB reads it: Rison, else (FAB_API_ALLOW_JSON_QS) JSON."""
    try:
        return prison.loads(value)
    except Exception:  # prison raises several kinds for broken input, not only its own
        pass
    try:
        return json.loads(urllib.parse.parse_qs(f"q={value}")["q"][0])
    except Exception as exc:
        raise Refused(gettext("The query argument q is neither valid Rison nor JSON."),
                      "q") from exc


def _check_api_query() -> None:
    raw = request.args.get("q")
    if not raw:
        return
    query = parse_rison(raw)
    if not isinstance(query, dict):
        raise Refused(gettext("The query argument q must be an object, e.g. (page:0)."), "q")
    _check_paging(query)


def _check_paging(query: dict) -> None:
    for key, value in query.items():
        if key in ("page", "page_size"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise Refused(gettext("%(arg)s must be a whole number.", arg=key), "q")
            if key == "page" and not 0 <= value <= MAX_PAGE:
                raise Refused(gettext("%(arg)s must be between %(low)s and %(high)s.",
                                      arg=key, low=0, high=MAX_PAGE), "q")
        elif isinstance(value, dict):
            _check_paging(value)  # _info's per-column paging: (add_columns:(town:(page:0)))


# -- relation values of an API body -----------------------------------------------------

def relation_errors(datamodel, data: Any, columns) -> dict[str, list[str]]:
    """Messages for relation values among ``columns`` that are not ids (or lists of ids)."""
    if not isinstance(data, dict):
        return {}
    errors: dict[str, list[str]] = {}
    for name in columns or ():
        if name not in data or data[name] is None or not datamodel.is_relation(name):
            continue
        value = data[name]
        many = datamodel.is_relation_many_to_many(name) or datamodel.is_relation_one_to_many(name)
        values = value if many and isinstance(value, list) else [value]
        if (many and not isinstance(value, list)) or not all(_is_id(v) for v in values):
            errors[name] = [gettext("Not a valid choice: give the id of the record.")]
    return errors


def _is_id(value: Any) -> bool:
    if isinstance(value, str) and re.fullmatch(r"\d{1,10}", value):
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
