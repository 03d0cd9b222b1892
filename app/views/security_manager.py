"""The application's security manager: FAB's, with our user model and scoped user screens."""
from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager

from app.models import AppUser

from .users import ScopedResetPasswordView, ScopedUserView


class AppSecurityManager(SecurityManager):
    user_model = AppUser
    userdbmodelview = ScopedUserView
    resetpasswordview = ScopedResetPasswordView
