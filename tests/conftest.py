"""Test fixtures: a real PostgreSQL schema built by the migrations, two counties, a user
per role per county, and a login helper."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

from config import TestConfig  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import appbuilder, db  # noqa: E402
from app.models import OrgUnitKind, RegionLevel  # noqa: E402
from app.security import roles  # noqa: E402
from app.security.sync import sync_security  # noqa: E402
from app.services.reference import ensure_standard_stages  # noqa: E402

from . import factories as f  # noqa: E402


def _reset_database(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@dataclass
class County:
    key: str
    region: object
    town: object
    department: object
    utility: object
    applicant: object
    project: object
    users: dict = field(default_factory=dict)


@dataclass
class World:
    city: object
    a: County
    b: County
    admin: object
    auditor: object


def _ref(obj):
    return SimpleNamespace(id=obj.id)


def _county(key, name, code, city) -> County:
    region = f.region(name, code, RegionLevel.COUNTY, city)
    town = f.region(f"{name}第一镇", code + "001", RegionLevel.TOWN, region)
    dept = f.org_unit(region, f"{name}住房和城乡建设局")
    utility = f.org_unit(region, f"{name}供电公司", OrgUnitKind.UTILITY)
    f.template(region, dept, f"{name}施工许可", 3)
    applicant = f.applicant(region, f"{name}建设发展有限公司")
    project = f.project(region, applicant, name=f"{name}重点项目", town=town)
    from app.extensions import db as _db

    _db.session.commit()
    users = {}
    for spec in roles.ROLES:
        if spec.name in (roles.SYSTEM_ADMIN, roles.AUDITOR):
            continue
        users[spec.key] = f.user(
            f"{key}_{spec.key}", [spec.name], region_=region,
            org_unit_=dept if spec.name == roles.DEPARTMENT else None,
            applicant_=applicant if spec.name == roles.ENTERPRISE else None)
    f.team(project, utility, users["assistant"])
    _db.session.commit()
    # Plain ids only: the rows belong to this set-up's session.
    return County(key, *(_ref(o) for o in (region, town, dept, utility, applicant, project)),
                  users={k: _ref(u) for k, u in users.items()})


@pytest.fixture(scope="session")
def app():
    config = TestConfig()
    _reset_database(config.SQLALCHEMY_DATABASE_URI)
    # Job files of an earlier run would carry the same ids as this run's jobs.
    shutil.rmtree(config.FILES_DIR, ignore_errors=True)
    application = create_app(config)
    with application.app_context():
        upgrade()
        sync_security(appbuilder)
        ensure_standard_stages(db.session)
        db.session.commit()
    yield application


@pytest.fixture(scope="session")
def world(app) -> World:
    with app.app_context():
        city = f.region("测试市", "990000", RegionLevel.CITY)
        a = _county("a", "甲县", "990001", city)
        b = _county("b", "乙县", "990002", city)
        admin = f.user("sysadmin", [roles.SYSTEM_ADMIN])
        auditor = f.user("auditor", [roles.AUDITOR])
        db.session.commit()
        return World(_ref(city), a, b, _ref(admin), _ref(auditor))


@pytest.fixture()
def login(client):
    """login(username) signs the test client in; returns the client."""

    def _login(username: str, password: str = f.PASSWORD):
        client.get("/logout/")
        resp = client.post("/login/", data={"username": username, "password": password},
                           follow_redirects=False)
        assert resp.status_code == 302, f"login failed for {username}"
        return client

    return _login


@pytest.fixture()
def api_token(client):
    def _token(username: str, password: str = f.PASSWORD) -> dict:
        resp = client.post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return {"Authorization": f"Bearer {resp.json['access_token']}"}

    return _token


@pytest.fixture(autouse=True)
def _push_request_context():
    """Override pytest-flask's: each test-client request must get its own app context
    (and so its own ``g``), as it does in production."""
    yield
