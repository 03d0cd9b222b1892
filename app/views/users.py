"""User administration restricted to the admin's region subtree and to grantable roles."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.security.views import ResetPasswordView, UserDBModelView
from flask_babel import lazy_gettext as _
from wtforms.validators import DataRequired, StopValidation

from app import clock
from app.extensions import db
from app.models import AppUser
from app.security import duties, roles
from app.security.scope import role_names
from app.services import accounts
from app.services.errors import DomainValidationError
from app.views.access import get_in_scope_or_404
from app.views.base import (
    SCOPE_FILTERS,
    VIEW_VERBS,
    ScopedRowAccess,
    ScopeFilter,
    ensure_related_in_scope,
    type_ahead_fields,
)
from app.views.checks import unique_validators


class GrantableRoleFilter(ScopeFilter):
    """Role choices: only the roles the signed-in admin may hand out."""

    def apply(self, query, value):
        allowed = duties.grantable(role_names(getattr(g, "user", None)))
        return query.filter(self.model.name.in_(allowed))


def _check_roles(form, field) -> None:
    """Only roles the admin may hand out. The choices hold only those, so a role above the
    admin's own arrives as an id FAB's field does not find: it would say "Not a valid
    choice" and, with nothing left, "This field is required". Say why instead."""
    granter = role_names(getattr(g, "user", None))
    refused = accounts.ungrantable_roles(db.session, granter, field.raw_data or [])
    if refused:
        field.errors[:] = []  # FAB's "Not a valid choice" for the same ids
        raise StopValidation(accounts.refused_grant_message(refused))
    clash = duties.conflicts({role.name for role in field.data or []})
    if clash:
        raise StopValidation(duties.conflict_message(clash))


USER_EXTRA = ["region", "org_unit", "applicant", "phone"]


class ScopedUserView(ScopedRowAccess, UserDBModelView):
    """FAB's user screen, limited to the admin's subtree and grantable roles."""

    class_permission_name = roles.USERS
    method_permission_name = {**VIEW_VERBS, "userinfo": "userinfo", "unlock": "write"}
    base_filters = SCOPE_FILTERS
    # The person by their name in the one naming rule (姓名 for Chinese names).
    list_columns = ["username", "get_full_name", "region", "org_unit", "roles", "active"]
    search_columns = ["username", "first_name", "last_name", "email", "region", "org_unit",
                      "roles", "active"]
    # 姓 before 名, as a Chinese name is written.
    add_columns = ["last_name", "first_name", "username", "active", "email", "roles",
                   *USER_EXTRA, "password", "conf_password"]
    edit_columns = ["last_name", "first_name", "username", "active", "email", "roles",
                    *USER_EXTRA]
    show_fieldsets = [
        (_("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_("Personal Info"), {"fields": ["last_name", "first_name", "email", "phone"],
                              "expanded": True}),
        (_("Organisation"), {"fields": USER_EXTRA[:3], "expanded": True}),
    ]
    label_columns = {
        "region": _("Region"), "org_unit": _("Department / unit"),
        "applicant": _("Applicant (enterprise users)"), "phone": _("Phone"),
        "get_full_name": _("Full name"),
    }
    # Ungrantable role ids are named by _check_roles (first, so it can say why); unknown
    # ones are dropped by the choice filter, so an empty selection is refused too.
    validators_columns = {"roles": [_check_roles, DataRequired()]}

    def __init__(self, **kwargs):
        self.add_form_query_rel_fields = {
            "roles": [["name", GrantableRoleFilter, None]],
            "region": [["id", ScopeFilter, None]],
            "org_unit": [["id", ScopeFilter, None]],
            "applicant": [["id", ScopeFilter, None]],
        }
        self.edit_form_query_rel_fields = self.add_form_query_rel_fields
        self.label_columns = {**UserDBModelView.label_columns, **self.label_columns}
        # "用户名“a_clerk”已存在" rather than FAB's bare "Already exists."
        self.validators_columns = unique_validators(self.datamodel, self.validators_columns,
                                                    self.label_columns)
        super().__init__(**kwargs)

    def _init_forms(self):
        # As on every scoped list: the search form picks regions and units by typing.
        self.search_form_extra_fields = {
            **type_ahead_fields(self.datamodel, self.search_columns, self.label_columns or {}),
            **(self.search_form_extra_fields or {})}
        super()._init_forms()

    def _check(self, item: AppUser, columns) -> None:
        # Only the columns of the form: created_by/changed_by may be an admin above this one.
        ensure_related_in_scope(self.datamodel, item, columns)
        allowed = set(duties.grantable(role_names(g.user)))
        bad = [r.name for r in item.roles if r.name not in allowed]
        if bad:
            raise DomainValidationError({"roles": accounts.refused_grant_message(bad)})
        clash = duties.conflicts({r.name for r in item.roles})
        if clash:
            raise DomainValidationError({"roles": duties.conflict_message(clash)})
        if not role_names(g.user) & {roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN} and item.region is None:
            raise DomainValidationError({"region": str(_("This field is required."))})

    def pre_add(self, item):
        self._check(item, self.add_columns)
        problems = accounts.password_problems(item.password or "", item.username)
        if problems:
            raise DomainValidationError({"password": " ".join(str(p) for p in problems)})
        super().pre_add(item)
        # An account an admin created: its owner sets their own password at first login.
        item.must_change_password = True
        item.password_changed_at = clock.utcnow()

    def pre_update(self, item):
        self._check(item, self.edit_columns)
        super().pre_update(item)

    def pre_delete(self, item):
        if item.id == g.user.id:
            raise DomainValidationError({"id": str(_("You cannot delete your own account."))})

    @action("unlock", _("Unlock"), _("Unlock the selected accounts?"), "fa-unlock",
            single=False)
    def unlock(self, items):
        """Lift the lock of accounts locked after failed logins (the rows come through the
        scoped accessor: only the admin's subtree)."""
        for user in items if isinstance(items, list) else [items]:
            accounts.unlock(db.session, user)
        db.session.commit()
        flash(str(_("The selected accounts are unlocked.")), "info")
        return redirect(url_for(f"{type(self).__name__}.list"))


class ScopedResetPasswordView(ResetPasswordView):
    """Resetting a password checks that the user is inside the admin's scope."""

    def _target(self) -> AppUser:
        return get_in_scope_or_404(AppUser, request.args.get("pk"))

    def form_get(self, form):
        self._target()

    def form_post(self, form):
        user = self._target()
        try:
            self.appbuilder.sm.reset_password(user.id, form.password.data)
        except DomainValidationError as err:
            db.session.rollback()
            form.password.errors = [*list(form.password.errors or []), *err.errors.values()]
            return self.render_template(self.form_template, title=self.form_title,
                                        widgets=self._get_edit_widget(form=form),
                                        appbuilder=self.appbuilder)
        flash(str(self.message), "info")
        return None
