"""The application's security manager: FAB's, with our user model, scoped user screens,
and permission checks answered from one read per request (app/security/permissions.py)."""
from __future__ import annotations

import re

from flask import g, has_app_context
from flask_appbuilder.security.sqla.manager import SecurityManager

from app.models import AppUser
from app.security.permissions import (
    forget_permissions,
    load_signed_in_user,
    permissions_of_roles,
)

from .users import ScopedResetPasswordView, ScopedUserView


class AppSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ScopedUserView
    resetpasswordview = ScopedResetPasswordView

    def load_user(self, pk):
        """The signed-in user with what every request reads of them (roles, groups and the
        region the data scope starts from), in one statement."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            return None
        user = load_signed_in_user(self.session, pk)
        if user is not None and user.is_active:
            return user
        return None

    # -- permission checks: a set lookup after the first one of the request ---------------
    def _db_permissions(self, roles) -> frozenset[tuple[str, str]]:
        ids = [role.id for role in roles if role.name not in self.builtin_roles]
        return permissions_of_roles(self.session, ids)

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = self.get_user_roles(user)
        if any(role.name in self.builtin_roles
               and self._has_access_builtin_roles(role, permission_name, view_name)
               for role in roles):
            return True
        return (permission_name, view_name) in self._db_permissions(roles)

    def _get_user_permission_view_menus(self, user, permission_name: str,
                                        view_menus_name) -> set[str]:
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)
        roles = [r for r in roles if r is not None]
        result = {name for role in roles if role.name in self.builtin_roles
                  for name in view_menus_name or []
                  if self._has_access_builtin_roles(role, permission_name, name)}
        result.update(view for perm, view in self._db_permissions(roles)
                      if perm == permission_name)
        return result

    def get_public_role(self):
        """FAB's public role, read once per request (anonymous pages check it per menu)."""
        if not has_app_context():
            return super().get_public_role()
        if "_app_public_role" not in g:
            g._app_public_role = super().get_public_role()
        return g._app_public_role

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        role = self.get_public_role()
        if role is None:
            return False
        if role.name in self.builtin_roles:
            return any(re.match(v, view_name) and re.match(p, permission_name)
                       for v, p in self.builtin_roles[role.name])
        return (permission_name, view_name) in self._db_permissions([role])

    # Role and permission edits made in a request are seen by its later checks too.
    def add_permission_role(self, role, perm_view) -> None:
        super().add_permission_role(role, perm_view)
        forget_permissions()

    def del_permission_role(self, role, perm_view) -> None:
        super().del_permission_role(role, perm_view)
        forget_permissions()
