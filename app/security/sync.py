"""Sync the declared roles (app.security.roles) into FAB's role/permission tables."""
from __future__ import annotations

from flask import current_app

from . import roles
from .permissions import forget_permissions


def _wanted_pairs(sm, spec: roles.RoleSpec, menu_views: dict[str, list[str]]) -> set[tuple[str, str]]:
    pairs = {("can_read", res) for res in spec.reads} | {("can_write", res) for res in spec.writes}
    pairs |= set(spec.extra)
    if roles.PROJECT in spec.reads:
        pairs.add(("can_read", roles.LOOKUP))
    # Menu entries: those whose view reads a resource the role reads, and their categories.
    for resource, menu_names in menu_views.items():
        if resource in spec.reads:
            pairs |= {("menu_access", m) for m in menu_names}
    return pairs


def menu_index(appbuilder) -> dict[str, list[str]]:
    """resource → menu names (the entry and its category) that show it."""
    index: dict[str, list[str]] = {}
    for category in appbuilder.menu.get_list():
        for child in (category.childs or [category]):
            view = child.baseview
            if view is None:
                continue
            resource = view.class_permission_name
            names = index.setdefault(resource, [])
            names.append(child.name)
            if category is not child:
                names.append(category.name)
    return index


def sync_roles(appbuilder) -> list[str]:
    """Create or update each declared role so it holds exactly its declared permissions."""
    sm = appbuilder.sm
    menus = menu_index(appbuilder)
    report = []
    for spec in roles.ROLES:
        role = sm.find_role(spec.name) or sm.add_role(spec.name)
        if spec.name == current_app.config["AUTH_ROLE_ADMIN"]:
            report.append(f"{spec.name}: all permissions")
            continue
        wanted = []
        for perm, view in sorted(_wanted_pairs(sm, spec, menus)):
            pv = sm.find_permission_view_menu(perm, view) or sm.add_permission_view_menu(perm, view)
            if pv is not None:
                wanted.append(pv)
        role.permissions = wanted
        report.append(f"{spec.name}: {len(wanted)} permissions")
    sm.session.commit()
    forget_permissions()
    return report


def sync_security(appbuilder) -> list[str]:
    """Everything `flask init` does for security, in the order FAB needs it: the admin and
    public roles first (FAB_CREATE_DB is off because Alembic owns the schema), then every
    view's permissions, then the declared roles."""
    from flask_appbuilder.security.manager import BaseSecurityManager

    BaseSecurityManager.create_db(appbuilder.sm)
    appbuilder.add_permissions(update_perms=True)
    return sync_roles(appbuilder)
