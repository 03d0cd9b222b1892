"""In production the `admin` account never keeps a well-known password (issue 10): `flask
init` creates or fixes it from ADMIN_PASSWORD, and a web process refuses to start while it
has one."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.users import AppUser
from app.security import roles
from app.services import admin_account
from config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
GOOD = "Kq7#river-Stone"


def _admin() -> AppUser | None:
    return db.session.query(AppUser).filter_by(username="admin").one_or_none()


def test_init_creates_admin_only_with_a_strong_password_that_is_not_a_default(app):
    with app.app_context():
        assert _admin() is None
        with pytest.raises(ConfigError, match="ADMIN_PASSWORD must be set"):
            admin_account.ensure_admin(db.session, None)
        with pytest.raises(ConfigError, match="well-known"):
            admin_account.ensure_admin(db.session, "DemoPass@2026")
        with pytest.raises(ConfigError, match="ADMIN_PASSWORD:"):
            admin_account.ensure_admin(db.session, "short")
        db.session.rollback()
        assert admin_account.ensure_admin(db.session, GOOD) == ["admin account created"]
        db.session.commit()
        admin = _admin()
        assert check_password_hash(admin.password, GOOD)
        assert [r.name for r in admin.roles] == [roles.SYSTEM_ADMIN]
        assert admin_account.ensure_admin(db.session, None) == []  # nothing left to do
        admin_account.refuse_default_admin(db.session)  # does not raise


def test_a_default_admin_password_is_replaced_by_init_and_refused_at_start(app):
    with app.app_context():
        assert admin_account.ensure_admin(db.session, GOOD)
        _admin().password = generate_password_hash("admin123")
        db.session.commit()
        with pytest.raises(ConfigError, match="well-known password"):
            admin_account.refuse_default_admin(db.session)
        with pytest.raises(ConfigError, match="well-known password"):
            admin_account.ensure_admin(db.session, None)
        assert admin_account.ensure_admin(db.session, GOOD + "2") == [
            "admin password replaced (it was a well-known one)"]
        db.session.commit()
        admin_account.refuse_default_admin(db.session)


def _start_production(app, **extra: str) -> subprocess.CompletedProcess:
    """Import the web entry point (what gunicorn does) with APP_ENV=production."""
    env = {**os.environ, "APP_ENV": "production",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": app.config["REDIS_URL"], "SECRET_KEY": "s" * 40,
           "FAB_UPDATE_PERMS": "false", **extra}
    return subprocess.run([sys.executable, "-c", "import run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_production_web_process_will_not_start_with_the_demo_password(app):
    with app.app_context():
        assert admin_account.ensure_admin(db.session, GOOD)
        _admin().password = generate_password_hash(app.config["DEMO_PASSWORD"])
        db.session.commit()
    refused = _start_production(app)
    assert refused.returncode != 0
    assert "'admin' account has a well-known password" in refused.stderr
    with app.app_context():
        _admin().password = generate_password_hash(GOOD)
        db.session.commit()
    started = _start_production(app)
    assert started.returncode == 0, started.stderr[-2000:]
