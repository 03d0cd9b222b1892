"""Retention of the audit trail: records older than the retention period (at least 184
days) move to a gzip JSON-lines file and only then leave the database.

The order is what makes it safe: the rows are written to ``<name>.part``, flushed and
fsynced, the file is renamed to its final name and the folder fsynced; only then does the
same transaction set ``app.audit_archive`` (the one setting the append-only trigger lets a
DELETE through with, PostgreSQL) and delete exactly the rows written. Any failure before
that raises, and the caller's rollback leaves every row where it was. A file is named by
its id range, so a run repeated after a crash between the rename and the commit rewrites
the same file instead of leaving a second copy.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.orm import Session

from app import clock
from app.models import AuditRecord

from . import audit

MIN_RETENTION_DAYS = 184
_COLUMNS = ("id", "at", "user_id", "username", "ip", "action", "model", "object_id",
            "object_label", "changes")


class RetentionTooShort(ValueError):
    """Less than the 184 days the trail must stay in the database."""


@dataclass(frozen=True)
class ArchiveResult:
    count: int
    path: Path | None
    cutoff: dt.datetime


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not every platform opens folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _line(row) -> str:
    record = dict(zip(_COLUMNS, row, strict=True))
    record["at"] = record["at"].isoformat()
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_archive(rows: Iterable[Sequence[Any]], path: Path) -> int:
    """Write ``rows`` as gzip JSON lines to ``path``, durably: a ``.part`` file flushed and
    fsynced, renamed, the folder fsynced; returns how many were written. A failure leaves
    no file behind."""
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb") as gz:
                for row in rows:
                    gz.write(_line(row).encode("utf-8"))
                    written += 1
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return written


def archive_old_records(session: Session, folder: str | Path, retention_days: int = 184,
                        now: dt.datetime | None = None) -> ArchiveResult:
    """Move the audit records older than ``retention_days`` (by the app's clock) to one
    file under ``folder`` and delete them; flushes, the caller commits."""
    if retention_days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(f"audit records are kept at least {MIN_RETENTION_DAYS} "
                                f"days, not {retention_days}")
    cutoff = (now or clock.utcnow()) - dt.timedelta(days=retention_days)
    t = AuditRecord.__table__
    old = t.c.at < cutoff
    first, last, count = session.execute(
        select(func.min(t.c.id), func.max(t.c.id), func.count()).where(old)).one()
    if not count:
        return ArchiveResult(0, None, cutoff)
    # The newest (at, id) written: the delete removes exactly the rows up to it.
    last_key = session.execute(select(t.c.at, t.c.id).where(old)
                               .order_by(t.c.at.desc(), t.c.id.desc()).limit(1)).one()
    bound = tuple_(t.c.at, t.c.id) <= tuple_(*last_key)
    rows = session.execute(select(*(t.c[c] for c in _COLUMNS)).where(old, bound)
                           .order_by(t.c.at, t.c.id)
                           .execution_options(yield_per=5000))
    path = Path(folder) / f"audit-{cutoff:%Y%m%d}-{first}-{last}.jsonl.gz"
    written = write_archive(rows, path)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL app.audit_archive = 'on'"))
    removed = session.execute(delete(t).where(old, bound)).rowcount
    if removed != written:  # never delete a row the file does not hold
        raise RuntimeError(f"archive holds {written} audit records, delete matched {removed}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL app.audit_archive = 'off'"))
    audit.record_event(session, "archive", "AuditRecord", None,
                       {"count": removed, "before": clock.display(cutoff),
                        "file": path.name}, object_label=path.name)
    session.flush()
    return ArchiveResult(removed, path, cutoff)
