"""Signed-in sessions that end on the server (等保 2.0 8.1.4.1 d, ASVS V3).

Flask keeps the session in a signed cookie, so "logging out" alone cannot stop a copy of
the cookie. Every session therefore carries the user's ``session_version`` and two
timestamps; each request compares them with the database:

- the version differs (logout, a password change, an admin reset) or the user is disabled
  → the session ends;
- no request for ``SESSION_IDLE_MINUTES`` → it ends (idle timeout);
- signed in longer than ``SESSION_MAX_HOURS`` ago → it ends (absolute lifetime).

JWTs carry the version too (claim ``sv``): a refresh or access token issued before the
version changed is refused. A password an admin set, or one older than
``PASSWORD_MAX_AGE_DAYS``, sends the user to the change-password page before anything
else. Cookie-authenticated writes to the REST API must carry the CSRF token (header
``X-CSRFToken``): the API is exempt from the form CSRF check only for bearer tokens.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in
from flask_wtf.csrf import CSRFError, validate_csrf

from app.extensions import db
from app.services import accounts

SV, AUTH_AT, SEEN = "_sv", "_auth_at", "_seen"
# Pages a user whose password must change may still open.
_PASSWORD_PAGES = ("ChangeOwnPasswordView.this_form_get", "ChangeOwnPasswordView.this_form_post",
                   "AuthDBView.logout", "AuthDBView.login", "LocaleView.index", "static",
                   "appbuilder.static")
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _mark(_sender: Flask, user: object) -> None:
    """On login: the version and the times this session is measured by."""
    now = int(time.time())
    session.permanent = True  # the cookie lives PERMANENT_SESSION_LIFETIME at most
    session[SV] = getattr(user, "session_version", 0) or 0
    session[AUTH_AT] = now
    session[SEEN] = now


def session_problem(user: object, now: int | None = None) -> str | None:
    """Why the current cookie session may no longer be used, or None."""
    now = int(time.time()) if now is None else now
    if not getattr(user, "is_active", False):
        return "disabled"
    if session.get(SV) != (getattr(user, "session_version", 0) or 0):
        return "revoked"
    idle = current_app.config.get("SESSION_IDLE_MINUTES", 30) * 60
    if now - int(session.get(SEEN) or 0) > idle:
        return "idle"
    lifetime = current_app.config.get("SESSION_MAX_HOURS", 12) * 3600
    if now - int(session.get(AUTH_AT) or 0) > lifetime:
        return "expired"
    return None


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _check_session():
    if request.endpoint in ("static", "appbuilder.static"):
        return None
    if _bearer() or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    problem = session_problem(user)
    if problem is not None:
        logout_user()
        session.clear()
        g.user = None
        message = _("Your session has ended; please sign in again.")
        if _is_api():
            return jsonify(message=message), 401
        flash(message, "warning")
        return redirect(url_for("AuthDBView.login"))
    session[SEEN] = int(time.time())
    if (_is_api() and request.method not in _SAFE_METHODS
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get(
                "X-CSRF-Token"))
        except (CSRFError, Exception):  # noqa: BLE001 - any failure is a refusal
            return jsonify(message=_("The request is missing a valid CSRF token "
                                     "(X-CSRFToken header); sign-in with a bearer token "
                                     "does not need one.")), 400
    if accounts.password_expired(user) and request.endpoint not in _PASSWORD_PAGES:
        if _is_api():
            return jsonify(message=_("Your password must be changed before you go on.")), 403
        flash(_("Your password must be changed before you go on."), "warning")
        return redirect(url_for("ChangeOwnPasswordView.this_form_get"))
    return None


def install(app: Flask, jwt_manager: object) -> None:
    """Wire the checks into the app (the factory calls this after Flask-AppBuilder)."""
    user_logged_in.connect(_mark, app)
    app.before_request(_check_session)

    @jwt_manager.additional_claims_loader
    def _claims(identity: object) -> dict:
        from app.models import AppUser

        user = db.session.get(AppUser, int(identity)) if str(identity).isdigit() else None
        return {"sv": getattr(user, "session_version", 0) or 0}

    @jwt_manager.token_in_blocklist_loader
    def _revoked(_header: dict, payload: dict) -> bool:
        from app.models import AppUser

        sub = str(payload.get("sub", ""))
        user = db.session.get(AppUser, int(sub)) if sub.isdigit() else None
        if user is None or not user.is_active:
            return True
        return payload.get("sv") != (user.session_version or 0)
