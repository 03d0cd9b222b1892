"""The scoped accessor every endpoint fetches its rows through.

``get_in_scope_or_404(Model, id)`` answers 404 for a row outside the signed-in user's data
scope, exactly as for a missing one, so an id guessed from another county reveals nothing.
``ScopedBaseView`` gives the same accessor to custom (non-CRUD) screens; the scope test
walks ``app.url_map`` and calls every rule that takes an id with another county's id.
"""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_appbuilder import BaseView

from app.extensions import db
from app.security.scope import get_in_scope, select_in_scope

T = TypeVar("T")


def get_in_scope_or_404(model: type[T], pk) -> T:
    """The row of ``model`` with id ``pk`` if the signed-in user may see it, else 404."""
    row = get_in_scope(db.session, model, pk)
    if row is None:
        abort(404)
    return row


def scoped_rows(model, *where, order_by=()) -> list:
    """Rows of ``model`` the signed-in user may see (for choices and small lists)."""
    return list(db.session.scalars(select_in_scope(model, *where).order_by(*order_by)))


class ScopedBaseView(BaseView):
    """A custom screen whose rows are reached only through the scoped accessor."""

    get_or_404 = staticmethod(get_in_scope_or_404)
    scoped_rows = staticmethod(scoped_rows)
