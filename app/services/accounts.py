"""Account security commands (等保 2.0 8.1.4.1, ASVS V2): the lockout after failed logins,
the password rules and history, password changes and resets, and ending a user's sessions.

Every path that signs a user in or sets a password goes through here: the login form and
the JWT login (through the security manager), the user screens, the CLI and the demo. The
functions flush; the caller commits (a failed login commits at once, so the count holds
even though the request answers with an error).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from flask import current_app, has_app_context
from flask_appbuilder.security.sqla.models import Role
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.models import AppUser, PasswordHistory
from app.security import duties

from . import audit
from .errors import DomainValidationError
from .quoting import quoted

# What a failed login is recorded as (the audit's ``changes.reason``); the user always
# reads the same message, whatever the reason, so an attacker learns nothing.
WRONG_PASSWORD, LOCKED, DISABLED, UNKNOWN_USER = "wrong_password", "locked", "disabled", \
    "unknown_user"

_DEFAULTS: Mapping[str, int] = {"LOGIN_LOCK_THRESHOLD": 5, "LOGIN_LOCK_MINUTES": 15,
                                "PASSWORD_MIN_LENGTH": 8, "PASSWORD_HISTORY": 5,
                                "PASSWORD_MAX_AGE_DAYS": 90}


def setting(name: str) -> int:
    """An account setting from the app's config (config.py), or its default outside an app."""
    if has_app_context():
        return int(current_app.config.get(name, _DEFAULTS[name]))
    return _DEFAULTS[name]


# -- lockout ------------------------------------------------------------------------------
def is_locked(user: AppUser, now: dt.datetime | None = None) -> bool:
    now = now or clock.utcnow()
    return user.locked_until is not None and user.locked_until > now


def login_failed(session: Session, user: AppUser | None, username: str, reason: str) -> None:
    """Count a failed login; the ``LOGIN_LOCK_THRESHOLD``-th wrong password in a row locks
    the account for ``LOGIN_LOCK_MINUTES``. Audited with the reason."""
    detail: dict = {"reason": reason}
    if user is not None and reason == WRONG_PASSWORD:
        user.fail_login_count = (user.fail_login_count or 0) + 1
        if user.fail_login_count >= setting("LOGIN_LOCK_THRESHOLD"):
            user.locked_until = clock.utcnow() + dt.timedelta(
                minutes=setting("LOGIN_LOCK_MINUTES"))
            user.fail_login_count = 0
            detail["locked_until"] = user.locked_until.isoformat()
        session.flush()
    audit.record_event(session, "login_failed", "AppUser",
                       user.id if user is not None else None, detail,
                       user_id=user.id if user is not None else None, username=username[:128])


def login_succeeded(session: Session, user: AppUser) -> None:
    user.fail_login_count = 0
    user.locked_until = None
    user.login_count = (user.login_count or 0) + 1
    user.last_login = clock.utcnow()
    session.flush()
    audit.record_event(session, "login", "AppUser", user.id, None, user_id=user.id,
                       username=user.username)


def unlock(session: Session, user: AppUser) -> None:
    """An admin of the user's subtree lifts the lock (the caller checked the scope)."""
    user.locked_until = None
    user.fail_login_count = 0
    session.flush()
    audit.record_event(session, "unlock", "AppUser", user.id, {"username": user.username},
                       object_label=audit.object_label(user))


def authenticate(session: Session, username: str | None, password: str | None
                 ) -> AppUser | None:
    """The user when ``username`` and ``password`` match an active, unlocked account;
    otherwise None, with the failure counted and audited. Locked and disabled accounts are
    refused even with the right password."""
    if not username or not password or "\x00" in username or "\x00" in password:
        return None
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        user = session.scalar(select(AppUser).where(AppUser.email == username))
    if user is None:
        # Same work as a real check, so timing does not tell which accounts exist.
        check_password_hash(_FAKE_HASH, password)
        login_failed(session, None, username, UNKNOWN_USER)
        return None
    right = bool(user.password) and check_password_hash(user.password, password)
    if is_locked(user):
        login_failed(session, user, username, LOCKED)
        return None
    if not user.is_active:
        login_failed(session, user, username, DISABLED)
        return None
    if not right:
        login_failed(session, user, username, WRONG_PASSWORD)
        return None
    login_succeeded(session, user)
    return user


_FAKE_HASH = generate_password_hash("not-a-real-password")


# -- passwords ----------------------------------------------------------------------------
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"),
            re.compile(r"[^a-zA-Z0-9]"))


def password_problems(password: str, username: str | None = None) -> list[str]:
    """What is wrong with ``password`` (empty when it may be used): length, three of the
    four character classes, not containing the user name."""
    problems = []
    minimum = setting("PASSWORD_MIN_LENGTH")
    if len(password or "") < minimum:
        problems.append(_("The password must have at least %(n)s characters.", n=minimum))
    if sum(1 for c in _CLASSES if c.search(password or "")) < 3:
        problems.append(_("The password must mix at least three of: lower-case letters, "
                          "upper-case letters, digits, symbols."))
    if username and len(username) >= 3 and username.lower() in (password or "").lower():
        problems.append(_("The password must not contain the user name."))
    if "\x00" in (password or ""):
        problems.append(_("The password contains a character that is not allowed."))
    return problems


def _recent_hashes(session: Session, user: AppUser) -> list[str]:
    rows = session.scalars(select(PasswordHistory.password)
                           .where(PasswordHistory.user_id == user.id)
                           .order_by(PasswordHistory.at.desc(), PasswordHistory.id.desc())
                           .limit(setting("PASSWORD_HISTORY"))).all()
    return list(rows)


def set_password(session: Session, user: AppUser, password: str, *,
                 must_change: bool = False, check: bool = True) -> None:
    """Give ``user`` a new password (hashed), after the rules and the history check; ends
    the user's other sessions. ``must_change``: the user sets their own at the next login
    (an account an admin created or reset). Raises DomainValidationError on the
    ``password`` field."""
    if check:
        problems = password_problems(password, user.username)
        if not problems and user.id is not None:
            recent = _recent_hashes(session, user)
            if user.password:
                recent.append(user.password)
            if any(check_password_hash(h, password) for h in recent):
                problems.append(_("The password must differ from the last %(n)s passwords.",
                                  n=setting("PASSWORD_HISTORY")))
        if problems:
            raise DomainValidationError({"password": " ".join(str(p) for p in problems)})
    user.password = generate_password_hash(password)
    user.password_changed_at = clock.utcnow()
    user.must_change_password = must_change
    session.flush()
    session.add(PasswordHistory(user_id=user.id, password=user.password,
                                at=user.password_changed_at))
    _trim_history(session, user)
    end_sessions(session, user)


def _trim_history(session: Session, user: AppUser) -> None:
    keep = select(PasswordHistory.id).where(PasswordHistory.user_id == user.id).order_by(
        PasswordHistory.at.desc(), PasswordHistory.id.desc()).limit(setting("PASSWORD_HISTORY"))
    session.flush()
    session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                  PasswordHistory.id.not_in(keep)))


def change_own_password(session: Session, user: AppUser, current: str, new: str) -> None:
    """The user changes their own password: the current one is asked for."""
    if not current or not user.password or not check_password_hash(user.password, current):
        raise DomainValidationError({"current_password": str(_(
            "The current password is not right."))})
    set_password(session, user, new)
    audit.record_event(session, "password_change", "AppUser", user.id,
                       {"username": user.username}, object_label=audit.object_label(user))


def reset_password(session: Session, user: AppUser, new: str, *,
                   actor: AppUser | None = None) -> None:
    """An admin sets someone's password: they must change it at their next login. An
    auditor's password is reset only by the security administrator (separation of duties:
    whoever resets it could sign in as the auditor); a refused reset is audited too.
    ``actor`` None: the server's own command line."""
    target_roles = {r.name for r in user.roles or []}
    if actor is not None and not duties.may_reset_password_of(
            {r.name for r in actor.roles or []}, target_roles):
        audit.record_event(session, "reset_refused", "AppUser", user.id,
                           {"username": user.username, "by": actor.username},
                           object_label=audit.object_label(user))
        session.commit()
        raise DomainValidationError({"password": str(_(
            "Only the security administrator may reset an auditor's password."))})
    set_password(session, user, new, must_change=True)
    audit.record_event(session, "password_reset", "AppUser", user.id,
                       {"username": user.username,
                        "by": actor.username if actor is not None else None},
                       object_label=audit.object_label(user))


def password_expired(user: AppUser, now: dt.datetime | None = None) -> bool:
    """The password must be changed before anything else: set by an admin, or older than
    ``PASSWORD_MAX_AGE_DAYS``."""
    if user.must_change_password:
        return True
    if user.password_changed_at is None:
        return False
    now = now or clock.utcnow()
    return now - user.password_changed_at > dt.timedelta(days=setting("PASSWORD_MAX_AGE_DAYS"))


# -- sessions -----------------------------------------------------------------------------
def end_sessions(session: Session, user: AppUser) -> None:
    """Every session cookie and refresh token of ``user`` stops working (they carry the
    old session version; app/security/sessions.py compares it on every request)."""
    user.session_version = (user.session_version or 0) + 1
    session.flush()


def logged_out(session: Session, user: AppUser) -> None:
    end_sessions(session, user)
    audit.record_event(session, "logout", "AppUser", user.id, None, user_id=user.id,
                       username=user.username)


# -- granting roles ---------------------------------------------------------------------------
def ungrantable_roles(session: Session, granter_role_names: Iterable[str],
                      role_ids: Iterable[object]) -> list[str]:
    """The names of the roles among ``role_ids`` (ids as a form sends them) that a user
    holding ``granter_role_names`` may not hand out: ranked above their own, or the
    auditor (app/security/roles.py). Unknown ids are not named."""
    ids = {int(i) for i in role_ids if str(i).strip().isdigit()}
    if not ids:
        return []
    allowed = set(duties.grantable(set(granter_role_names)))
    names = session.scalars(select(Role.name).where(Role.id.in_(ids)))
    return sorted(name for name in names if name not in allowed)


def refused_grant_message(role_names: Iterable[str]) -> str:
    """不能授予高于本人的角色：“系统管理员”."""
    listed = _(", ").join(quoted(name) for name in role_names)
    return _("You cannot grant a role above your own: %(roles)s.", roles=listed)
