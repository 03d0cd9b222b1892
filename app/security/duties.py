"""Separation of duties (三权分立, GB/T 22239-2019 8.1.4.3 and 8.1.5).

Three duties, each held by its own role:

- the system administrator (系统管理员) runs the accounts: creates, edits, disables and
  unlocks users and hands out the business roles;
- the security administrator (安全管理员) runs the roles and permissions (FAB's role and
  permission screens), grants every role including the auditor's, and alone resets an
  auditor's password;
- the auditor (审计员) reads the audit trail and nothing else.

Held by construction, not by care:

- ``allowed(role_names, view_name)`` is asked by every permission check (screens, menus,
  REST API: ``AppSecurityManager``): the audit trail answers only to holders of the auditor
  role and the security screens only to holders of the security administrator role,
  whatever permission rows a role has. FAB gives its admin role every permission row; this
  is what keeps the audit trail out of the system administrator's reach.
- ``conflicts(role_names)`` is checked whenever a user's roles change (a ``before_flush``
  hook on the session, so the user screen, the API, the CLI and FAB's own commands all pass
  it): nobody holds the auditor role together with a role that administers users —
  including a system administrator granting it to himself.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from app.services.errors import DomainValidationError

from . import roles

# Who alone may use a resource (view/permission name), whatever the permission rows say.
_AUDIT_RESOURCES = {roles.AUDIT}
SECURITY_RESOURCES = frozenset({
    "RoleModelView", "PermissionModelView", "ViewMenuModelView", "PermissionViewModelView",
    "UserGroupModelView", "RoleApi", "PermissionApi", "ViewMenuApi", "PermissionViewMenuApi",
    "GroupApi",
})
_RESERVED: dict[str, str] = {
    **{r: roles.AUDITOR for r in _AUDIT_RESOURCES},
    **{r: roles.SECURITY_ADMIN for r in SECURITY_RESOURCES},
}

# Roles that administer users (create accounts, grant roles, reset passwords).
USER_ADMIN_ROLES = frozenset(
    spec.name for spec in roles.ROLES
    if roles.USERS in spec.writes or spec.name == roles.SYSTEM_ADMIN)


def reserve_menus(menu_index: dict[str, list[str]]) -> None:
    """The menu entries of reserved resources are reserved alike (called once the views
    are registered; ``menu_index`` maps a resource to the menu names showing it)."""
    for resource, holder in list(_RESERVED.items()):
        for name in menu_index.get(resource, []):
            # A category shared with other entries (e.g. "Security") stays open.
            if all(_RESERVED.get(r) == holder for r, names in menu_index.items()
                   if name in names):
                _RESERVED[name] = holder


def allowed(role_names: set[str], view_name: str) -> bool:
    """Whether a user holding ``role_names`` may use ``view_name`` at all."""
    holder = _RESERVED.get(view_name)
    return holder is None or holder in role_names


def conflicts(role_names: set[str]) -> str | None:
    """Why these roles may not be held together by one user, or None."""
    if roles.AUDITOR in role_names:
        clash = sorted(role_names & USER_ADMIN_ROLES)
        if clash:
            return clash[0]
    return None


def grantable(granter_role_names: set[str]) -> list[str]:
    """Roles a user holding ``granter_role_names`` may hand out: the security administrator
    every role; the system administrator every role but the auditor's and the security
    administrator's (so not to himself either); others the roles not above their own."""
    if roles.SECURITY_ADMIN in granter_role_names:
        return [r.name for r in roles.ROLES]
    reserved = {roles.AUDITOR, roles.SECURITY_ADMIN}
    if roles.SYSTEM_ADMIN in granter_role_names:
        return [r.name for r in roles.ROLES if r.name not in reserved]
    top = roles.rank_of(granter_role_names)
    return [r.name for r in roles.ROLES
            if r.rank <= top and r.name not in reserved | {roles.SYSTEM_ADMIN}]


def may_reset_password_of(actor_role_names: set[str], target_role_names: set[str]) -> bool:
    """An auditor's password is reset by the security administrator only: otherwise whoever
    resets it could sign in as the auditor."""
    return roles.AUDITOR not in target_role_names or roles.SECURITY_ADMIN in actor_role_names


def conflict_message(clash: str) -> str:
    return str(_("The auditor role cannot be held together with a role that administers "
                 "users (%(role)s).", role=clash))


class DutyConflict(DomainValidationError):
    """A user would hold duties that must stay apart (see ``conflicts``): a field error on
    the roles, like any other business rule."""

    def __init__(self, username: str, clash: str) -> None:
        super().__init__({"roles": conflict_message(clash)})
        self.username, self.clash = username, clash


def _check_users(session: Session, _flush_context, _instances) -> None:
    from app.models.users import AppUser

    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, AppUser) and object_session(obj) is session:
            clash = conflicts({r.name for r in (obj.roles or [])})
            if clash:
                raise DutyConflict(obj.username, clash)


def install(session_factory) -> None:
    """Check every flush of ``session_factory``'s sessions (the app's scoped session)."""
    target = session_factory
    if not event.contains(target, "before_flush", _check_users):
        event.listen(target, "before_flush", _check_users)
