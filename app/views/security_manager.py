"""The application's security manager: FAB's, with our user model, scoped user screens and
the account rules of app/services/accounts.py on every sign-in and password path, and
permission checks answered from one read per request (app/security/permissions.py)."""
from __future__ import annotations

import re

from flask import current_app, flash, g, has_app_context, has_request_context, redirect
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import ResetMyPasswordView
from flask_babel import lazy_gettext as _
from wtforms import PasswordField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models import AppUser
from app.security import duties
from app.security.permissions import (
    forget_permissions,
    load_signed_in_user,
    permissions_of_role_named,
    permissions_of_roles,
)
from app.services import accounts
from app.services.errors import DomainValidationError

from .base import ListInterface
from .roles import RoleView
from .users import ScopedResetPasswordView, ScopedUserView


def password_complexity(password: str) -> None:
    """FAB's password-form hook (FAB_PASSWORD_COMPLEXITY_VALIDATOR): our rules, so the
    message shows next to the field on every password form."""
    problems = accounts.password_problems(password or "")
    if problems:
        raise PasswordComplexityValidationError(" ".join(str(p) for p in problems))


class OwnPasswordForm(ResetPasswordForm):
    current_password = PasswordField(_("Current password"), validators=[DataRequired()],
                                     widget=BS3PasswordFieldWidget())


class ChangeOwnPasswordView(ResetMyPasswordView):
    """Changing one's own password asks for the current one, and keeps the rules and the
    history (a forced change lands here too)."""

    class_permission_name = "ResetMyPasswordView"  # the permission every role holds
    form = OwnPasswordForm
    form_title = _("Change password")
    message = _("Password changed; please sign in again with the new password.")

    def form_post(self, form: DynamicForm):
        user = g.user
        try:
            accounts.change_own_password(db.session, user, form.current_password.data,
                                         form.password.data)
        except DomainValidationError as err:
            db.session.rollback()
            for name, message in err.errors.items():
                field = getattr(form, name, None) or form.password
                field.errors = [*list(field.errors or []), message]
            return self.render_template(self.form_template, title=self.form_title,
                                        widgets=self._get_edit_widget(form=form),
                                        appbuilder=self.appbuilder)
        db.session.commit()
        flash(str(self.message), "info")
        # The change ended every session of the user, this one included.
        return redirect(self.appbuilder.get_url_for_login)


_ACCESS_MEMO = "_app_access_memo"


def _forget() -> None:
    """Drop the request's permissions and answers (the request changed a role)."""
    forget_permissions()
    if has_app_context():
        g.pop(_ACCESS_MEMO, None)


class AppSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ScopedUserView
    resetpasswordview = ScopedResetPasswordView
    resetmypasswordview = ChangeOwnPasswordView
    rolemodelview = RoleView

    def __init__(self, appbuilder) -> None:
        current_app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_complexity)
        super().__init__(appbuilder)
        # The users list loads its regions, units and roles with the page (FAB: a query
        # per user and relation).
        view = self.userdbmodelview
        view.datamodel = ListInterface(self.user_model, list_columns=view.list_columns)

    def auth_user_db(self, username, password):
        """Sign-in for the form and the JWT login: lockout, disabled and failed logins
        counted and audited in the database (accounts.authenticate), committed at once."""
        user = accounts.authenticate(db.session, username, password)
        db.session.commit()
        return user

    def reset_password(self, userid, password):
        """FAB's reset path (admin screen): through the account command, which refuses an
        auditor's reset unless the security administrator asks."""
        # The screen fetched the target through the scoped accessor already.
        user = self.get_user_by_id(int(userid))
        actor = g.user if has_request_context() else None
        accounts.reset_password(db.session, user, password, actor=actor)
        db.session.commit()

    def on_user_logout(self, user) -> None:
        fresh = self.get_user_by_id(user.id)
        if fresh is not None:
            accounts.logged_out(db.session, fresh)
            db.session.commit()

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
        if not duties.allowed({r.name for r in roles}, view_name):
            return False  # separation of duties: whatever the permission rows say
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
        names = {r.name for r in roles}
        return {view for view in result if duties.allowed(names, view)}

    def get_public_role(self):
        """FAB's public role, read once per request (anonymous pages check it per menu)."""
        if not has_app_context():
            return super().get_public_role()
        if "_app_public_role" not in g:
            g._app_public_role = super().get_public_role()
        return g._app_public_role

    def is_item_public(self, permission_name: str, view_name: str) -> bool:
        # Asked first on every API request (FAB's @protect): the public role's grants are
        # read by its name in one statement, without loading the role itself.
        name = self.auth_role_public
        if name in self.builtin_roles:
            return any(re.match(v, view_name) and re.match(p, permission_name)
                       for v, p in self.builtin_roles[name])
        return (permission_name, view_name) in permissions_of_role_named(self.session, name)

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """FAB's check, answered once per request for each (permission, view) of the
        signed-in user: menus, buttons and row-level links ask the same questions many
        times a page."""
        # The session's user as Flask-Login keeps it for the request (reading it through
        # ``current_user`` costs more than the lookup below).
        user = g.get("_login_user") if has_request_context() else None
        if user is None or not user.is_authenticated:
            # Not loaded yet, anonymous, or a JWT/API-key caller whose identity FAB
            # verifies between two checks of the same request: not memoised.
            return super().has_access(permission_name, view_name)
        memo = g.get(_ACCESS_MEMO)
        if memo is None or memo[0] is not user:  # a sign-in or -out in this request
            memo = (user, {})
            setattr(g, _ACCESS_MEMO, memo)
        key = (permission_name, view_name)
        answer = memo[1].get(key)
        if answer is None:
            answer = memo[1][key] = super().has_access(permission_name, view_name)
        return answer

    # Role and permission edits made in a request are seen by its later checks too.
    def add_permission_role(self, role, perm_view) -> None:
        super().add_permission_role(role, perm_view)
        _forget()

    def del_permission_role(self, role, perm_view) -> None:
        super().del_permission_role(role, perm_view)
        _forget()

    def limit_api_login(self, app) -> None:
        """Apply the login rate limit to the JWT login too (FAB limits only the form)."""
        if not self.is_auth_limited:
            return
        view = app.view_functions.get("SecurityApi.login")
        if view is not None:
            app.view_functions["SecurityApi.login"] = self.limiter.limit(
                self.auth_rate_limit, methods=["POST"])(view)


__all__ = ["AppSecurityManager", "ChangeOwnPasswordView", "password_complexity"]
