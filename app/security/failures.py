"""Failures never reach a page: a generic message with a reference, the detail in the log.

A database error (or any unexpected exception) is logged once with a short reference id;
the user reads a generic message in their language carrying the same reference, never
the SQL statement, its parameters or a stack trace (ASVS V7.4, 等保 8.1.4.4).

- ``install(app)``: error handlers for SQLAlchemy errors, 500s and 413s (screens: the
  ``refused.html`` page; API: JSON);
- ``SafeInterface``: FAB's SQLAInterface whose ``get`` answers "missing" for ids the
  primary key column cannot hold (FAB passed them to PostgreSQL, which failed) and whose
  ``add``/``edit``/``delete`` raise a ``DatabaseException`` with the generic message: FAB's
  screens flash ``str(exception)`` and its API puts ``exception.__cause__`` in a 422, both
  of which showed the statement;
- ``ApiFailures``: the REST API's 500 (FAB's ``@safe`` catches everything and answers
  "Fatal error" without a reference) with a reference, a 400 for a DataError (a value
  PostgreSQL cannot compare, such as a name where an id belongs), and an HTTP error such
  as a 413 left to the app's handler.
"""
from __future__ import annotations

import logging
import secrets
import sys

from flask import Flask, jsonify, render_template, request
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from sqlalchemy import BigInteger, Integer, SmallInteger
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("app.failures")

INT_LIMITS = ((SmallInteger, 2**15 - 1), (BigInteger, 2**63 - 1), (Integer, 2**31 - 1))


def log_failure(exc: BaseException | None, what: str = "request failed") -> str:
    """Log ``exc`` with its traceback under a new reference id, and return the id."""
    reference = secrets.token_hex(4)
    path = request.path if request else "-"
    log.error("%s [ref %s] %s %s", what, reference, getattr(request, "method", "-"), path,
              exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None)
    return reference


def _rollback() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection itself is gone: nothing left to undo
        log.warning("rollback after a failure failed", exc_info=True)


def generic_message(reference: str) -> str:
    return gettext("The database could not complete this request. Nothing was saved; "
                   "please try again. Reference: %(ref)s", ref=reference)


def bad_value_message(reference: str) -> str:
    return gettext("A value in the request is out of range or of the wrong kind. "
                   "Reference: %(ref)s", ref=reference)


def install(app: Flask, appbuilder) -> None:
    def page(code: int, message: str, reference: str):
        if request.path.startswith("/api/"):
            return jsonify(message=message, reference=reference), code
        return render_template("refused.html", code=code, message=message, reference=reference,
                               appbuilder=appbuilder, base_template=appbuilder.base_template), code

    @app.errorhandler(413)
    def _too_large(_err):
        # Werkzeug refuses a body over MAX_CONTENT_LENGTH from its Content-Length, before
        # reading it; the workflow screens answer this on their own page.
        from app.services.workflow_files import upload_too_large_message

        return page(413, upload_too_large_message(app.config.get("MAX_CONTENT_LENGTH")), None)

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc):
        _rollback()
        reference = log_failure(exc, "database error")
        if isinstance(exc, DataError):
            return page(400, bad_value_message(reference), reference)
        return page(500, generic_message(reference), reference)

    @app.errorhandler(500)
    def _server_error(err):
        original = getattr(err, "original_exception", None) or err
        _rollback()
        reference = log_failure(original)
        return page(500, gettext("Something went wrong. The error was recorded; please try "
                                 "again. Reference: %(ref)s", ref=reference), reference)


def fits_primary_key(model, pk) -> bool:
    """Whether ``pk`` is a value the (single, integer) primary key of ``model`` can hold."""
    columns = model.__mapper__.primary_key
    if len(columns) != 1:
        return True
    column_type = columns[0].type
    limit = next((high for kind, high in INT_LIMITS if isinstance(column_type, kind)), None)
    if limit is None:
        return True
    try:
        value = int(pk)
    except (TypeError, ValueError):
        return False
    return -limit - 1 <= value <= limit


def is_bad_value(exc: BaseException | None) -> bool:
    """A DataError, also wrapped (FAB raises ApplyFilterException from one): the request
    carried a value PostgreSQL cannot take, not a fault of the server."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DataError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class SafeInterface(SQLAInterface):
    """FAB's interface without database detail in its messages (see the module doc)."""

    def get(self, id, *args, **kwargs):  # noqa: A002  (FAB's signature)
        if not fits_primary_key(self.obj, id):
            return None
        return super().get(id, *args, **kwargs)

    def add(self, item, commit=True):
        self._write(super().add, item, commit, "add")

    def edit(self, item, commit=True):
        self._write(super().edit, item, commit, "edit")

    def delete(self, item, commit=True):
        self._write(super().delete, item, commit, "delete")

    def _write(self, write, item, commit, what):
        try:
            write(item, commit)
        except (SQLAlchemyError, DatabaseException) as exc:
            self.session.rollback()
            cause = exc.__cause__ if isinstance(exc, DatabaseException) else exc
            reference = log_failure(cause, f"{what} of {self.obj.__name__} failed")
            message = generic_message(reference)
            raise DatabaseException(message) from SafeMessage(message)


class SafeMessage(Exception):
    """The cause FAB's API prints ("Database exception occurred: <cause>"): the message."""


class ApiFailures:
    """REST API mixin: FAB's ``@safe`` 500 with a logged reference, DataError as 400."""

    def response_500(self, message=None):
        exc = sys.exc_info()[1]
        if isinstance(exc, HTTPException) and (exc.code or 500) < 500:
            raise exc  # e.g. 413 while reading the body: the app's handler answers it
        _rollback()
        reference = log_failure(exc, "API request failed")
        if is_bad_value(exc):
            return self.response(400, message=bad_value_message(reference), reference=reference)
        return self.response(500, message=gettext(
            "Something went wrong. The error was recorded; please try again. Reference: "
            "%(ref)s", ref=reference), reference=reference)
