"""The request's user and permissions: each read in one statement, kept for the request.

Flask-AppBuilder asks the database once per check: the view's permission, every menu
entry, every button and row-level link (25–55 queries per list page). Here the
(permission, view) pairs of the user's roles are read once and every later check of the
same request is a set lookup. Nothing outlives the request, so a role change is seen by
the next request of every user, in every worker, with nothing to invalidate.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_app_context
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.models import AppUser

_CACHE = "_app_permission_sets"


def load_signed_in_user(session, pk: int) -> AppUser | None:
    """The user with what every request reads of them (roles, groups, and the region the
    data scope starts from) in one statement."""
    return session.scalars(
        select(AppUser).where(AppUser.id == pk)
        .options(joinedload(AppUser.roles), joinedload(AppUser.groups),
                 joinedload(AppUser.region))).unique().first()


def _load(session, key: tuple) -> frozenset[tuple[str, str]]:
    """``key``: a tuple of role ids, or ("name", role name)."""
    if not key:
        return frozenset()
    stmt = (select(Permission.name, ViewMenu.name).distinct()
            .select_from(assoc_permissionview_role)
            .join(PermissionView,
                  PermissionView.id == assoc_permissionview_role.c.permission_view_id)
            .join(Permission, Permission.id == PermissionView.permission_id)
            .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id))
    if key[0] == "name":
        stmt = stmt.join(Role, Role.id == assoc_permissionview_role.c.role_id).where(
            Role.name == key[1])
    else:
        stmt = stmt.where(assoc_permissionview_role.c.role_id.in_(key))
    return frozenset((perm, view) for perm, view in session.execute(stmt))


def _cached(session, key: tuple) -> frozenset[tuple[str, str]]:
    if not has_app_context():
        return _load(session, key)
    cache = g.get(_CACHE)
    if cache is None:
        cache = {}
        setattr(g, _CACHE, cache)
    if key not in cache:
        cache[key] = _load(session, key)
    return cache[key]


def permissions_of_roles(session, role_ids: Iterable[int]) -> frozenset[tuple[str, str]]:
    """(permission, view menu) pairs granted to any of ``role_ids``; one query per request
    and set of roles."""
    return _cached(session, tuple(sorted(set(role_ids))))


def permissions_of_role_named(session, name: str) -> frozenset[tuple[str, str]]:
    """The pairs granted to the role called ``name`` (none if there is no such role): the
    public role, which every API request asks about first, in one query per request."""
    return _cached(session, ("name", name))


def forget_permissions() -> None:
    """Drop what this request has read (after the request itself changed roles)."""
    if has_app_context():
        g.pop(_CACHE, None)
