"""The demo data set: idempotent, complete per county, consistent; and the bulk generator.

Runs against its own PostgreSQL database (``<test database>_demo``, or
``DEMO_TEST_DATABASE_URL``) so it never touches the one the shared fixtures of conftest.py
rebuild, nor the demo database of a test run on another test database.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.models import (
    ApprovalItem,
    AppUser,
    ItemStatus,
    OrgUnit,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    RegionLevel,
)
from app.security import roles

_TEST_DB = make_url(os.environ.get("TEST_DATABASE_URL",
                                   "postgresql://postgres@127.0.0.1:5432/test"))
DEMO_TEST_DB = os.environ.get("DEMO_TEST_DATABASE_URL") or _TEST_DB.set(
    database=f"{_TEST_DB.database}_demo").render_as_string(hide_password=False)
PASSWORD = "DemoTest@2026"
ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter: `appbuilder` is a module-level singleton, so a second
# create_app() in the pytest process would break the app the shared fixtures built.
_SCRIPT = r"""
import json, sys
from flask_migrate import upgrade
from sqlalchemy import func, select
from config import TestConfig
from app import create_app
from app.extensions import appbuilder, db
from app.models import Model
from app.security.sync import sync_roles
from app.demo import generate_bulk, load_demo

def counts():
    return {name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in Model.metadata.tables.items()}

app = create_app(TestConfig())
out = {}
with app.app_context():
    upgrade()
    appbuilder.add_permissions(update_perms=True)
    sync_roles(appbuilder)
    db.session.commit()
    out["first"] = load_demo(db.session, sys.argv[1]); db.session.commit()
    out["after_first"] = counts()
    out["second"] = load_demo(db.session, sys.argv[1]); db.session.commit()
    out["after_second"] = counts()
    out["bulk"] = [generate_bulk(db.session, 150, 4), generate_bulk(db.session, 150, 4)]
    db.session.commit()
    out["after_bulk"] = counts()
print("RESULT " + json.dumps(out, ensure_ascii=False))
"""


def _reset_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:  # leftovers of an interrupted run
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Migrate, sync roles, load the demo twice and bulk-generate twice; the counts."""
    from app.models import Model

    _reset_database(DEMO_TEST_DB)
    env = {**os.environ, "APP_ENV": "test", "TEST_DATABASE_URL": DEMO_TEST_DB,
           "SECRET_KEY": "demo-test-" + "x" * 32,
           "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, PASSWORD], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:] + proc.stdout[-2000:]
    engine = create_engine(DEMO_TEST_DB)
    yield json.loads(lines[-1][len("RESULT "):]), engine
    Model.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture()
def session(demo_run):
    with Session(demo_run[1]) as s:
        yield s


def test_second_load_adds_nothing(demo_run):
    out, _ = demo_run
    # audit_record included: the second load did not even update a row.
    assert out["after_second"] == out["after_first"]
    assert "(0 rows added)" in out["second"]
    assert out["after_first"]["project"] == 20 and out["after_first"]["ab_user"] == 15
    assert out["first"].startswith("demo: 1 city, 2 counties, 6 towns, 20 projects")


def test_every_county_has_one_user_per_role(session):
    for key, code in (("a", "320685"), ("b", "320623")):
        county = session.scalar(select(Region).where(Region.code == code))
        assert county.level == RegionLevel.COUNTY
        for role_key in ("admin", "dispatcher", "assistant", "clerk", "dept", "company"):
            user = session.scalar(select(AppUser).where(AppUser.username == f"{key}_{role_key}"))
            assert user is not None, f"{key}_{role_key} missing"
            assert [r.name for r in user.roles] == [roles.ROLES_BY_KEY[role_key].name]
            assert user.region_id == county.id
            assert user.active and user.email == f"{key}_{role_key}@demo.gov.cn"
        dept = session.scalar(select(AppUser).where(AppUser.username == f"{key}_dept"))
        assert dept.org_unit.region_id == county.id and dept.org_unit.name.endswith("住房和城乡建设局")
        assert session.scalar(select(func.count()).select_from(ApprovalItem)
                              .where(ApprovalItem.department_id == dept.org_unit_id)) > 0
        company = session.scalar(select(AppUser).where(AppUser.username == f"{key}_company"))
        assert company.applicant.region_id == county.id
        assert session.scalar(select(func.count()).select_from(Project)
                              .where(Project.applicant_id == company.applicant_id)) > 0
    for username, role in (("admin", roles.SYSTEM_ADMIN), ("auditor", roles.AUDITOR)):
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        assert [r.name for r in user.roles] == [role] and user.region_id is None


def test_projects_are_consistent(session):
    projects = session.scalars(select(Project).where(~Project.code.like("BULK-%"))).all()
    assert len({p.code for p in projects}) == 20
    assert {p.region.code for p in projects} == {"320685", "320623"}
    statuses = [p.status for p in projects]
    assert statuses.count(ProjectStatus.COMPLETED) == 1
    assert statuses.count(ProjectStatus.TERMINATED) == 1
    assert len({p.current_stage_id for p in projects}) == 7
    assert {p.list_year for p in projects} == {2025, 2026}
    for p in projects:
        if p.status == ProjectStatus.TERMINATED:
            assert p.termination_reason is not None
        if p.town is not None:
            assert p.town.is_within(p.region) and p.town.id != p.region.id
        assert p.items and p.team
        assistants = session.scalars(select(ProjectAssistant).where(
            ProjectAssistant.project_id == p.id)).all()
        assert [(a.user.username, a.is_lead) for a in assistants] == [
            (f"{'a' if p.region.code == '320685' else 'b'}_assistant", True)]
        for item in p.items:
            assert session.get(OrgUnit, item.department_id).region_id == p.region_id
            if item.accepted_on:
                assert item.due_on is not None and item.due_on >= item.accepted_on
            if item.status == ItemStatus.FINISHED:
                assert item.accepted_on <= item.finished_on
            if item.stage.seq > p.current_stage.seq and p.status != ProjectStatus.COMPLETED:
                assert item.status == ItemStatus.NOT_STARTED
    open_items = session.scalars(select(ApprovalItem).where(ApprovalItem.status.in_(
        [ItemStatus.ACCEPTED, ItemStatus.CORRECTING, ItemStatus.ACCEPTED_WITH_GAPS]))).all()
    assert {i.status for i in open_items} == {ItemStatus.ACCEPTED, ItemStatus.CORRECTING,
                                              ItemStatus.ACCEPTED_WITH_GAPS}


def test_generate_bulk_twice_gives_fresh_codes(demo_run, session):
    out, _ = demo_run
    assert out["bulk"] == [150, 150]
    grown = {k: out["after_bulk"][k] - out["after_second"][k] for k in out["after_bulk"]}
    assert {k: v for k, v in grown.items() if v} == {
        "project": 300, "approval_item": 1200, "project_assistant": 300}  # no audit rows
    bulk = session.scalars(select(Project).where(Project.code.like("BULK-%"))
                           .order_by(Project.code)).all()
    assert [p.code for p in bulk] == [f"BULK-{n:08d}" for n in range(1, 301)]
    assert {p.region.code for p in bulk} == {"320685", "320623"}
    assert all(p.town is None or p.town.parent_id == p.region_id for p in bulk)
    for p in bulk[:30]:
        assert len(p.items) == 4
        for i in p.items:
            assert i.department.region_id == p.region_id
            assert i.due_on is None or i.due_on >= i.accepted_on


def test_measures_are_switched_on_and_two_run(session):
    """A new user finds measures: one for the whole city (inherited), three of county a's
    own (并联审批 led by 行政审批局), and 桩基先行 and 联合报装 running on county-a projects."""
    from app.models import MeasureSetting, WorkflowInstance, WorkflowInstanceStatus

    city = session.scalar(select(Region).where(Region.code == "320600"))
    county_a = session.scalar(select(Region).where(Region.code == "320685"))
    settings = {(s.measure_key, s.region_id): s for s in session.scalars(select(MeasureSetting))}
    assert settings[("licence_on_signing", city.id)].enabled
    for key in ("pile_first", "joint_utility", "parallel_gaps"):
        assert settings[(key, county_a.id)].enabled
    lead = settings[("parallel_gaps", county_a.id)].params["lead_unit"]
    assert session.get(OrgUnit, lead).name.endswith("行政审批局")
    running = {i.measure_key: i for i in session.scalars(select(WorkflowInstance))}
    assert set(running) == {"pile_first", "joint_utility"}
    for inst in running.values():
        assert inst.status == WorkflowInstanceStatus.RUNNING
        assert session.get(Project, inst.project_id).region_id == county_a.id
        assert [s.username for s in inst.steps] == ["a_assistant", "a_assistant"]
    assert running["pile_first"].tokens["main"]["state"] == "review"
    assert running["joint_utility"].params["units"] == ["water", "power", "gas"]


def test_finished_demo_items_were_told_to_the_company(demo_run):
    """告知结果: every item the demo finished says when and to whom the result was told
    (otherwise 我的项目 lists every finished item as waiting to be told)."""
    _, engine = demo_run
    with engine.connect() as conn:
        finished, untold = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE result_told_at IS NULL "
            "OR result_told_to IS NULL) FROM approval_item WHERE status = 'FINISHED'")).one()
    assert finished > 0 and untold == 0


def test_coordination_requests_wait_at_the_county_and_the_city(session):
    from app.models import CoordinationLevel, CoordinationRequest, RegionLeader

    rows = session.execute(select(CoordinationRequest.title, CoordinationRequest.level,
                                  CoordinationRequest.escalation_count)).all()
    assert len(rows) == 3
    assert sorted((r.level.name, r.escalation_count) for r in rows) == [
        (CoordinationLevel.CITY.name, 0), (CoordinationLevel.CITY.name, 1),
        (CoordinationLevel.COUNTY.name, 0)]
    assert session.scalar(select(func.count()).select_from(RegionLeader)) == 1
