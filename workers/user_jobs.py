"""The RQ side of user jobs: one entry point that runs a JobRecord by id."""
from __future__ import annotations

import app.services.ledgers  # noqa: F401  (registers the ledger job kinds in every worker)

from .base import job


@job("exports", timeout=3600)
def run_user_job(job_id: int) -> None:
    from app.extensions import db
    from app.services import jobs

    jobs.run(db.session, job_id)


@job("default", timeout=300)
def reap_stalled_jobs() -> list[int]:
    from app.extensions import db
    from app.services import jobs

    return jobs.reap_stalled(db.session)
