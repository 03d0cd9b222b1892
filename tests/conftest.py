"""Test fixtures: a real PostgreSQL schema built by the migrations, two counties, a user
per role per county, a login helper, and the known state every test starts from.

Isolation model (one mechanism for every test, in-process or not):

- ``app`` and ``world`` are built once per session. Right after ``world``, every table is
  saved (``tests/known_state.py``) and marked by triggers when anything writes to it.
- Each test starts from that known state and may commit freely: the test client, an
  in-process ``SimpleWorker``, a real RQ worker in a subprocess, a live server for the
  browser and two concurrent scans all write to the real database; afterwards the autouse
  ``_known_state`` fixture puts back every table that was written. No test needs to undo
  its own rows, and no test may rely on rows another test left.
- A module-scoped fixture that commits rows before its tests (``data`` in
  ``test_ledgers.py``) is allowed: the first test of the module saves those tables as a
  layer over the base, every test of the module starts from base + layer, and the module's
  end drops the layer. Class- and session-scoped fixtures (other than ``app``/``world``)
  must not write; use a module-scoped one.
- So there is no marker to choose: a test that needs committed data seen by other
  processes (real workers, a live server, concurrent scans) simply commits, like any other.
  Only a test that drops tables or runs migrations down would break the mechanism (the
  triggers go with the tables); run those on a database of their own, as ``test_demo.py``
  does.
- Nothing is rewound in memory but the calendar cache: keep ORM objects and ids from one
  test out of the next (``world`` hands out plain ids for that reason).
- Redis: the tests use ``TEST_REDIS_URL`` (``app.config["REDIS_URL"]``) and nothing else,
  so another program may use any other database of the server (DB 11, say) meanwhile.
  It is emptied before the session and after each test; ``tests/redis_guard.py`` refuses
  any other command to another database of that server, in this process and in the real
  workers the tests start (``tests/run_worker.py``, ``python -m tests.guarded ...``).
- Waiting: ``tests.waiting.wait_until(condition, timeout)``, never a bare sleep.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import text

os.environ.setdefault("APP_ENV", "test")
os.environ.setdefault("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

from app import create_app  # noqa: E402
from app.bootstrap import bootstrap  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import OrgUnitKind, RegionLevel  # noqa: E402
from app.security import roles  # noqa: E402
from config import TestConfig  # noqa: E402

from . import factories as f  # noqa: E402
from .known_state import KnownState  # noqa: E402
from .redis_guard import RedisGuard  # noqa: E402


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
    # No 每日报送 in the test world (its assistants never write logs): the tests of the daily
    # report switch it on (tests/test_work_logs.py).
    region = f.region(name, code, RegionLevel.COUNTY, city, daily_report_days=0)
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
        if spec.name in (roles.SYSTEM_ADMIN, roles.AUDITOR, roles.SECURITY_ADMIN):
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
    bootstrap(application, seed_calendar=False)
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


@pytest.fixture(scope="session")
def known_state(app, world) -> KnownState:
    """The database as ``world`` left it, saved; every test starts from it."""
    with app.app_context():
        state = KnownState(db.engine)
        state.install()
    return state


def _restored(tables: set[str]) -> None:
    if "calendar_day" in tables:
        from app.services import calendar

        calendar.invalidate()


@pytest.fixture(scope="module", autouse=True)
def _module_known_state(known_state):
    """Rows a module-scoped fixture commits live as long as the module's tests."""
    depth = len(known_state.layers)
    yield
    _restored(known_state.pop(depth))


@pytest.fixture(autouse=True)
def _known_state(known_state, _redis_guard):
    """Every test starts from the known state and leaves nothing behind."""
    if known_state.restore_needed():
        known_state.push()  # written by a module-scoped fixture set up just now
    yield
    _restored(known_state.restore())
    _empty_test_redis()
    violations = _redis_guard.take_violations()
    assert not violations, "Redis outside TEST_REDIS_URL: " + "; ".join(violations)


# -- Redis: only the database the tests were given ---------------------------------------
# TEST_REDIS_URL as the app's test settings read it, once: tests change the environment.
GIVEN_REDIS_URL = TestConfig().REDIS_URL


def _empty_test_redis() -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    conn = Redis.from_url(GIVEN_REDIS_URL, socket_connect_timeout=1)
    try:
        conn.flushdb()  # ours: TEST_REDIS_URL
    except RedisDown:
        pass  # no Redis at all: the tests that need one say so themselves
    finally:
        conn.close()


@pytest.fixture(scope="session", autouse=True)
def _redis_guard():
    guard = RedisGuard(GIVEN_REDIS_URL)
    guard.install()
    _empty_test_redis()
    yield guard
    guard.uninstall()


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
