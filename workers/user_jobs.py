"""User jobs on RQ: starting and retrying a JobRecord on its kind's queue, and the one
entry point that runs it by id. Views and the CLI call ``start``/``retry``; the service
(app.services.jobs) keeps the row and never imports the queue."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import JobRecord
from app.services import jobs

from .base import QueueUnavailable, enqueue, job
from .kinds import JobKind, function_of, get


@job("exports", timeout=3600)
def run_user_job(job_id: int) -> None:
    from app.extensions import db

    jobs.run(db.session, job_id, function_of)


@job("default", timeout=300)
def reap_stalled_jobs() -> list[int]:
    from app.extensions import db

    return jobs.reap_stalled(db.session)


# -- starting and retrying (the view, the CLI and the tests call these) -----------------

def start(session: Session, user_id: int, kind: str, title: str, params: dict) -> JobRecord:
    """Create the row and queue the job on its kind's queue. With Redis down the row says
    so at once (the user can retry it from the download centre) and QueueUnavailable is
    raised. Commits: the worker must see the row."""
    job_kind = get(kind)
    record = jobs.create(session, user_id, kind, title, params)
    session.commit()
    _enqueue(session, record, job_kind)
    return record


def retry(session: Session, record: JobRecord) -> JobRecord:
    job_kind = get(record.kind)
    jobs.reset(record)
    session.commit()
    _enqueue(session, record, job_kind)
    return record


def _enqueue(session: Session, record: JobRecord, job_kind: JobKind) -> None:
    try:
        rq_job = enqueue(run_user_job, job_kind.queue, job_kind.timeout, record.id)
    except QueueUnavailable:
        jobs.mark_queue_down(record)
        session.commit()
        raise
    record.rq_job_id = rq_job.id
    session.commit()
