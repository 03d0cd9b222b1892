"""Migrations, settings and the audit trail."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Project


def test_migrations_match_the_models(app):
    """`db upgrade` from empty (done by the app fixture) leaves no autogenerate diff."""
    with app.app_context():
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Model.metadata)
    assert [d for d in diff if not _expression_index(d)] == []


# Indexes on expressions: Alembic compares their expressions as text, and PostgreSQL prints
# them back in its own words, so they always "differ". That each exists and serves its
# query is checked where it is used (tests/test_list_performance.py).
EXPRESSION_INDEXES = {"ix_approval_item_action_order", "ix_approval_item_status_action_order"}


def _expression_index(entry) -> bool:
    return (isinstance(entry, tuple) and entry[0] in ("add_index", "remove_index")
            and entry[1].name in EXPRESSION_INDEXES)


def test_production_refuses_a_missing_or_default_secret(monkeypatch):
    from config import Config, ConfigError

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    for secret in ("", "change-me", "short"):
        monkeypatch.setenv("SECRET_KEY", secret)
        with pytest.raises(ConfigError, match="SECRET_KEY"):
            Config()
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert Config().SECRET_KEY == "x" * 40


def test_settings_are_parsed_strictly(monkeypatch):
    from config import Config, ConfigError

    monkeypatch.setenv("DEMO_MODE", "perhaps")
    with pytest.raises(ConfigError, match="DEMO_MODE"):
        Config()
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV"):
        Config()


def test_embedded_default_uses_sqlite_and_a_kept_secret(monkeypatch, tmp_path):
    import importlib

    import config

    for var in ("DATABASE_URL", "SECRET_KEY", "APP_ENV", "REDIS_URL", "DEMO_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    fresh = importlib.reload(config)
    try:
        first = fresh.Config()
        assert first.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'app.db'}"
        assert first.DEMO_MODE is True
        assert fresh.Config().SECRET_KEY == first.SECRET_KEY  # kept in instance/
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_every_change_is_audited_with_who_and_before_after(app, world, login):
    client = login("a_clerk")
    pid = world.a.project.id
    with app.app_context():
        old_name = db.session.get(Project, pid).name
    resp = client.post(f"/projectview/edit/{pid}", data={
        "code": "AUDIT-0001", "name": "审计后的项目名", "region": str(world.a.region.id),
        "applicant": str(world.a.applicant.id), "investment_wan": "1000",
        "list_level": "COUNTY", "list_year": "2026", "status": "ACTIVE"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 302
    with app.app_context():
        record = db.session.scalar(select(AuditRecord).where(
            AuditRecord.model == "Project", AuditRecord.object_id == str(pid),
            AuditRecord.action == "update").order_by(AuditRecord.id.desc()))
        assert record.username == "a_clerk" and record.ip == "10.1.2.3"
        assert record.changes["name"] == [old_name, "审计后的项目名"]


def test_nobody_can_edit_the_audit_trail(app, world, login):
    with app.app_context():
        rid = db.session.scalar(select(AuditRecord.id).limit(1))
    client = login("auditor")
    assert client.get(f"/auditrecordview/show/{rid}").status_code == 200
    for url in (f"/auditrecordview/edit/{rid}", f"/auditrecordview/delete/{rid}",
                "/auditrecordview/add"):
        assert client.get(url).status_code == 403, url
    client = login("sysadmin")
    assert client.get(f"/auditrecordview/edit/{rid}").status_code == 403


def test_without_any_redis_run_py_starts_an_embedded_one(monkeypatch, tmp_path):
    from redis import Redis

    import app.embedded as embedded
    import config

    monkeypatch.setattr(embedded, "LOCAL_REDIS", "redis://127.0.0.1:6398/0")  # nothing there
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    url, server = embedded.find_redis("")
    try:
        assert server is not None and url.startswith("unix://")
        assert Redis.from_url(url).ping()
    finally:
        server.shutdown()


def test_a_configured_or_local_redis_is_used_as_it_is():
    import app.embedded as embedded

    assert embedded.find_redis("redis://example:6379/2") == ("redis://example:6379/2", None)
    assert embedded.find_redis("") == (embedded.LOCAL_REDIS, None)  # 6379 answers here
