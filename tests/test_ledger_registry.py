"""A new ledger is one declared kind: it exports through the same CLI, view and job as the
built-in ledgers, in the user's scope, with no other file touched."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app import ledgers
from app.extensions import db
from app.models import JobRecord, JobStatus, Region
from app.security.scope import scoped
from app.services import xlsx
from workers import kinds, user_jobs
from workers.queues import queue, redis_connection

FILTERS = {"code": Region.code, "name": Region.name}


def _query(scope, filters):
    return ledgers.apply_filters(scoped(select(Region.id), Region, scope), REGIONS, filters)


def _sheet(session, scope, filters, as_of: dt.date) -> ledgers.Sheet:
    stmt = ledgers.apply_filters(
        scoped(select(Region.code, Region.name).order_by(Region.code), Region, scope),
        REGIONS, filters)
    formats_of = ("text", "wrap")

    def write_rows(ws, formats, r0, report):
        text, wrap = (formats.cell(k, None) for k in formats_of)
        r = r0
        for code, name in session.execute(stmt):
            ws.write_string(r, 0, code, text)
            ws.write_string(r, 1, name, wrap)
            r += 1
            report(r - r0)
        return r

    columns = [xlsx.Column("code", "区划代码", 12, group="地区"),
               xlsx.Column("name", "地区名称", 20, "wrap", group="地区")]
    return ledgers.Sheet(columns, ["测试台账"], write_rows)


REGIONS = ledgers.LedgerKind(
    key="regions", title="地区台账", label="地区台账", filters=FILTERS, query=_query,
    sheet=_sheet, in_regions=lambda ids: Region.id.in_(ids), freeze_cols=1)


@pytest.fixture()
def regions_ledger(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    ledgers.register(REGIONS)
    with app.app_context():
        redis_connection().flushdb()  # the Redis the tests were given (TEST_REDIS_URL)
    yield REGIONS
    ledgers.unregister(REGIONS.key)


def _names(path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    return [row[1] for row in ws.iter_rows(min_row=ledgers.HEADER_ROWS + 1, values_only=True)]


def test_the_built_in_ledgers_are_in_the_registry():
    assert {k.key for k in ledgers.all_kinds()} >= {"projects", "items"}
    assert ledgers.for_list_view("ProjectItemsView").key == "items"
    assert "ledger_projects" in kinds.all_kinds()
    with pytest.raises(ledgers.UnknownLedger):
        ledgers.get("no-such-ledger")


def test_a_registered_ledger_is_a_cli_choice_and_exports(app, world, regions_ledger,
                                                         tmp_path):
    from app.cli.ledgers import export_command

    runner = app.test_cli_runner()
    out = tmp_path / "regions.xlsx"
    result = runner.invoke(export_command, ["regions", "--region", "990002", "--out", str(out),
                                            "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "2 rows" in result.output
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "乙县地区台账（截至2026年11月23日）"
    assert _names(out) == ["乙县", "乙县第一镇"]

    result = runner.invoke(export_command, ["regions", "--out", str(tmp_path / "all.xlsx")])
    assert result.exit_code == 0, result.output
    assert _names(tmp_path / "all.xlsx") == ["测试市", "甲县", "甲县第一镇", "乙县", "乙县第一镇"]
    # Exports from the command line are audited too (the actor is the system).
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AuditRecord

    with app.app_context():
        exports = db.session.scalars(select(AuditRecord).where(
            AuditRecord.action == "export", AuditRecord.model == "Ledger")
            .order_by(AuditRecord.id)).all()
        assert [(e.username, e.object_id, e.changes["rows"]) for e in exports] == [
            ("system", "regions", 2), ("system", "regions", 5)]


def test_an_unregistered_ledger_is_not_a_cli_choice(app, tmp_path):
    from app.cli.ledgers import export_command

    result = app.test_cli_runner().invoke(export_command, ["regions", "--out",
                                                           str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "regions" in result.output


def test_a_registered_ledger_runs_as_a_job_in_the_users_scope(app, world, regions_ledger):
    with app.app_context():
        job_id = user_jobs.start(db.session, world.a.users["clerk"].id, "ledger_regions",
                                 "地区台账", {"filters": {"name__ct": "第一镇"},
                                              "as_of": "2026-11-23"}).id
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        row = db.session.get(JobRecord, job_id)
        assert row.status == JobStatus.FINISHED, row.error
        assert row.result_name == "地区台账-20261123.xlsx"
        # County a's clerk sees county a's town only: not county b's, not the city.
        assert _names(row.result_path) == ["甲县第一镇"]


def test_a_registered_ledger_is_started_from_the_export_view(app, world, regions_ledger,
                                                             login):
    resp = login("a_clerk").post("/ledgers/regions")
    assert resp.status_code == 302
    with app.app_context():
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "ledger_regions" and record.title == "地区台账"
        assert record.user_id == world.a.users["clerk"].id
    assert login("a_clerk").post("/ledgers/no-such-ledger").status_code == 404
