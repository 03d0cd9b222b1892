"""The first administrator in production (issue 10): never left with a default password.

A production database gets its ``admin`` account from `flask init`, with the password
given in ``ADMIN_PASSWORD`` (checked by the password rules). A web process started in
production refuses to run while ``admin`` still has a well-known password (the demo
password, FAB's example passwords, the usual guesses): the demo data or a quick
``flask fab create-admin`` must never go live as they are.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from app.models.users import AppUser
from app.security import roles
from app.services import accounts
from app.services.errors import DomainValidationError
from config import ConfigError

ADMIN_USERNAME = "admin"

# Passwords an attacker tries first: the demo password (whatever DEMO_PASSWORD says, and
# its default), FAB's documentation examples, and the common guesses.
KNOWN_DEFAULTS = ("DemoPass@2026", "admin", "Admin@123", "admin123", "Admin123", "123456",
                  "12345678", "password", "Password1", "general", "changeme")


def known_defaults() -> tuple[str, ...]:
    demo = current_app.config.get("DEMO_PASSWORD") or ""
    return KNOWN_DEFAULTS + ((demo,) if demo and demo not in KNOWN_DEFAULTS else ())


def has_default_password(user: AppUser) -> bool:
    """Whether ``user``'s password is one of the well-known ones."""
    if not user.password:
        return False
    return any(check_password_hash(user.password, p) for p in known_defaults())


def _admin(session: Session) -> AppUser | None:
    return session.scalar(select(AppUser).where(AppUser.username == ADMIN_USERNAME))


def ensure_admin(session: Session, password: str | None) -> list[str]:
    """`flask init` in production: create ``admin`` (system administrator) with
    ``password``, or replace a well-known password it still has. Raises ConfigError when
    that needs a password and none (or a weak or well-known one) is given."""
    admin = _admin(session)
    if admin is not None and not has_default_password(admin):
        return []
    if not password:
        raise ConfigError(
            "ADMIN_PASSWORD must be set: the 'admin' account "
            + ("has a well-known password" if admin is not None else "does not exist yet")
            + " (ADMIN_PASSWORD=... flask --app run init)")
    if password in known_defaults():
        raise ConfigError("ADMIN_PASSWORD is a well-known password; choose another one")
    if admin is None:
        from app.extensions import appbuilder

        role = appbuilder.sm.find_role(roles.SYSTEM_ADMIN)
        admin = appbuilder.sm.add_user(ADMIN_USERNAME, "管理员", "系统", "admin@localhost", [role],
                                       password="!unusable", commit=False)
        if not admin:
            raise ConfigError("the 'admin' account could not be created")
        session.flush()
        done = "admin account created"
    else:
        done = "admin password replaced (it was a well-known one)"
    try:
        accounts.set_password(session, admin, password)
    except DomainValidationError as err:
        raise ConfigError("ADMIN_PASSWORD: " + "; ".join(str(m) for m in err.errors.values())
                          ) from None
    return [done]


def refuse_default_admin(session: Session) -> None:
    """A production web process does not start while ``admin`` has a well-known password."""
    admin = _admin(session)
    if admin is not None and has_default_password(admin):
        raise ConfigError(
            "the 'admin' account has a well-known password: set a new one with "
            "ADMIN_PASSWORD=... flask --app run init before starting the web processes")
