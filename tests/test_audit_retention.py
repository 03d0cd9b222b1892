"""Retention of the audit trail (issue 10): records stay at least 184 days; the nightly job
moves older ones to an archive file and removes them only once the file is written; a
failure writing the file removes nothing. Time is the app's clock, faked."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from sqlalchemy import func, insert, select

from app import clock
from app.extensions import db
from app.models import AuditRecord
from app.services import audit_archive
from workers.retention import archive_audit_trail

NOW = clock.utcnow().replace(microsecond=0) + dt.timedelta(days=10)


@pytest.fixture()
def aged(app, monkeypatch, tmp_path):
    """Records 400, 200, 185, 183 and 1 days before the faked now; returns their ids."""
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    monkeypatch.setitem(app.config, "AUDIT_ARCHIVE_DIR", str(tmp_path / "archive"))
    ages = {400: None, 200: None, 185: None, 183: None, 1: None}
    with app.app_context():
        for days in ages:
            ages[days] = db.session.execute(insert(AuditRecord.__table__).values(
                at=NOW - dt.timedelta(days=days), username="aged", action="update",
                model="Project", object_id=str(days), object_label=f"{days} 天前",
                changes={"name": ["甲", "乙"]}).returning(AuditRecord.id)).scalar_one()
        db.session.commit()
    return ages


def _left(app, ids) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(AuditRecord.id).where(AuditRecord.id.in_(ids))))


def test_records_older_than_184_days_move_to_a_file_and_the_rest_stay(app, world, aged,
                                                                      tmp_path):
    with app.app_context():
        result = archive_audit_trail()
    assert result["archived"] == 3
    # 183 and 1 days old stay; so does everything the known world wrote just now.
    assert _left(app, aged.values()) == {aged[183], aged[1]}
    files = sorted((tmp_path / "archive").iterdir())
    assert [p.name.endswith(".jsonl.gz") for p in files] == [True]
    with gzip.open(files[0], "rt", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert [r["id"] for r in lines] == [aged[400], aged[200], aged[185]]
    assert lines[0]["object_label"] == "400 天前" and lines[0]["changes"] == {"name": ["甲", "乙"]}
    assert lines[0]["at"] == (NOW - dt.timedelta(days=400)).isoformat()
    with app.app_context():
        event = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "archive")
                                   ).one()
        assert event.changes["count"] == 3 and event.changes["file"] == files[0].name
    # A second run finds nothing more to archive.
    with app.app_context():
        assert archive_audit_trail()["archived"] == 0


def test_as_the_clock_moves_on_the_next_records_follow(app, world, aged, monkeypatch):
    with app.app_context():
        archive_audit_trail()
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + dt.timedelta(days=2))
    with app.app_context():
        assert archive_audit_trail()["archived"] == 1  # the 183-day one is 185 now
    assert _left(app, aged.values()) == {aged[1]}


def test_a_failure_writing_the_archive_removes_nothing(app, world, aged, monkeypatch,
                                                        tmp_path):
    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit_archive.os, "fsync", broken_fsync)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditRecord))
        with pytest.raises(OSError, match="No space"):
            archive_audit_trail()
        assert db.session.scalar(select(func.count()).select_from(AuditRecord)) == before
    assert _left(app, aged.values()) == set(aged.values())
    folder = tmp_path / "archive"
    assert not folder.exists() or list(folder.iterdir()) == []  # no half file either


def test_a_failure_after_writing_but_before_the_delete_keeps_the_rows(app, world, aged,
                                                                       monkeypatch):
    real = audit_archive.write_archive

    def short(rows, path):
        return real(rows, path) - 1  # the file holds fewer rows than the delete would take

    monkeypatch.setattr(audit_archive, "write_archive", short)
    with app.app_context(), pytest.raises(RuntimeError, match="archive holds"):
        archive_audit_trail()
    assert _left(app, aged.values()) == set(aged.values())


def test_retention_below_184_days_is_refused(app, monkeypatch):
    from config import Config, ConfigError

    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS"):
        Config()
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "365")
    assert Config().AUDIT_RETENTION_DAYS == 365
    monkeypatch.delenv("AUDIT_RETENTION_DAYS")
    assert Config().AUDIT_RETENTION_DAYS == 184
    with app.app_context(), pytest.raises(audit_archive.RetentionTooShort):
        audit_archive.archive_old_records(db.session, "/nonexistent", retention_days=183)


def test_the_archive_job_is_a_periodic_job():
    from workers.cron import PERIODIC_JOBS

    assert ("default", "workers.retention.archive_audit_trail", "30 19 * * *") in PERIODIC_JOBS
