"""Jobs a user starts (exports, imports): a row they can watch, retry and download from.

The row, not RQ, is the record: its file path survives RQ forgetting the job. Files are
written to a temporary name and renamed when complete, so a killed job leaves no half file.
The kinds of job and their queues are declared in workers/kinds.py; starting and retrying
(which queue the job) live in workers/user_jobs.py, so this module never imports workers.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import JobRecord, JobStatus

from . import audit


def files_dir() -> Path:
    path = Path(current_app.config["FILES_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class JobContext:
    """What a running job may do with its row: report progress and name its output."""

    session: Session
    record: JobRecord

    def progress(self, percent: int) -> None:
        # Its own short transaction so the user sees it while the job goes on.
        percent = max(0, min(100, int(percent)))
        with self.session.get_bind().begin() as conn:
            conn.execute(update(JobRecord.__table__)
                         .where(JobRecord.id == self.record.id)
                         .values(progress=percent, heartbeat_at=utcnow()))

    def output(self, filename: str) -> Path:
        folder = files_dir() / str(self.record.user_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"job{self.record.id}-{filename}"


def create(session: Session, user_id: int, kind: str, title: str, params: dict) -> JobRecord:
    """The row of a new job (flushed, not committed); the caller checks the kind."""
    record = JobRecord(user_id=user_id, kind=kind, title=title, params=params)
    session.add(record)
    session.flush()
    # Every job a user starts today is an export (the ledgers): the trail says so, with
    # what was asked for; the file's download is recorded when it is fetched.
    audit.record_event(session, "export", "JobRecord", record.id,
                       {"kind": kind, "params": params}, object_label=title)
    return record


def _temp(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def run(session: Session, job_id: int, function_of: Callable[[str], Callable]) -> None:
    """Run a user job to its end; a failure is written on the row, not raised.

    ``function_of(kind)`` is the function that does the work (from the worker's job table):
    ``function(session, context, **params)`` returns the result file."""
    record = session.get(JobRecord, job_id)
    if record is None or record.status == JobStatus.FINISHED:
        return  # already done: running twice changes nothing
    record.status, record.started_at, record.heartbeat_at = JobStatus.STARTED, utcnow(), utcnow()
    record.progress, record.error = 0, None
    session.commit()
    ctx = JobContext(session, record)
    beat = _Heartbeat(session.get_bind(), job_id)
    beat.start()
    try:
        final = function_of(record.kind)(session, ctx, **(record.params or {}))
        final = Path(final)
        temp = _temp(final)
        if temp.exists():
            os.replace(temp, final)
        record.result_path, record.result_name = str(final), final.name.split("-", 1)[-1]
        record.status, record.progress, record.finished_at = JobStatus.FINISHED, 100, utcnow()
        session.commit()
    except Exception as exc:  # the user sees the error on the row and may retry
        session.rollback()
        record = session.get(JobRecord, job_id)
        _remove_partial_files(record)
        record.status, record.error, record.finished_at = JobStatus.FAILED, str(exc)[:2000], utcnow()
        session.commit()
        current_app.logger.exception("job %s failed", job_id)
    finally:
        beat.stop()


class _Heartbeat:
    """Touches the row while the job runs; it dies with the process that runs the job."""

    def __init__(self, engine, job_id: int, interval: float | None = None) -> None:
        import threading

        self.engine, self.job_id = engine, job_id
        self.interval = interval or max(1.0, current_app.config["JOB_HEARTBEAT_TIMEOUT"] / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as conn:
                    conn.execute(update(JobRecord.__table__).where(JobRecord.id == self.job_id)
                                 .values(heartbeat_at=utcnow()))
            except Exception:  # a missed beat only makes the reaper more eager
                pass

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


QUEUE_DOWN_MESSAGE = ("后台服务暂时不可用，任务未能启动，请稍后在“我的任务”中重试。 "
                      "The background service is unavailable; retry later from My jobs.")


def reset(record: JobRecord) -> None:
    """The row as if new, before it is queued again (retry)."""
    record.status, record.progress, record.error = JobStatus.QUEUED, 0, None
    record.result_path = record.result_name = None
    record.started_at = record.finished_at = record.heartbeat_at = None


def mark_queue_down(record: JobRecord) -> None:
    """The job could not be queued: the row says so and may be retried."""
    record.status, record.error, record.finished_at = (JobStatus.FAILED, QUEUE_DOWN_MESSAGE,
                                                       utcnow())


def _remove_partial_files(record: JobRecord) -> None:
    """The half file of a failed or killed job, and the rows a workbook had streamed to
    its scratch folder (app/services/xlsx.py: never the system's /tmp)."""
    from app.services.xlsx import SCRATCH_SUFFIX

    folder = files_dir() / str(record.user_id)
    for part in folder.glob(f"job{record.id}-*.part"):
        part.unlink(missing_ok=True)
    for scratch in folder.glob(f"job{record.id}-*{SCRATCH_SUFFIX}"):
        shutil.rmtree(scratch, ignore_errors=True)


def temp_path(final: Path) -> Path:
    """Where a job writes before its file is complete."""
    return _temp(final)


def reap_stalled(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Mark started jobs whose heartbeat stopped (worker killed) as failed, removing any
    half-written file."""
    now = now or utcnow()
    limit = now - dt.timedelta(seconds=current_app.config["JOB_HEARTBEAT_TIMEOUT"])
    stalled = list(session.scalars(select(JobRecord).where(
        JobRecord.status == JobStatus.STARTED, JobRecord.heartbeat_at < limit)))
    for record in stalled:
        _remove_partial_files(record)
        record.status, record.finished_at = JobStatus.FAILED, now
        record.error = "后台进程在任务进行中停止，请重试。 The worker stopped during the job; please retry."
    return [r.id for r in stalled]
