"""The kinds of job a user starts (exports, imports), in one table: name → queue, function,
label. Starting a job and the download centre's retry (workers/user_jobs.py) read it;
nothing registers a kind at import time.

Every ledger of ``app.ledgers`` is a kind ``ledger_<key>`` on the exports queue, read from
the ledger registry, so a new ledger needs no row here. ``JOB_KINDS`` holds the others.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _

from app import ledgers
from app.services import coordination_report, meeting_xlsx, service_plan_xlsx


@dataclass(frozen=True)
class JobKind:
    name: str
    queue: str  # one of RQ_QUEUES
    # (session, job context, **params) → the result file (written to its temporary name)
    function: Callable[..., Any]
    label: Any  # what the download centre calls it (a lazy gettext string or plain text)
    timeout: int = 3600


# The kinds that are not ledgers.
JOB_KINDS: dict[str, JobKind] = {
    "service_plan_xlsx": JobKind("service_plan_xlsx", "exports", service_plan_xlsx.run_job,
                                 _("Service plan (Excel)"), timeout=600),
    "coordination_report": JobKind("coordination_report", "exports",
                                   coordination_report.run_job,
                                   _("Major project service report (Word)"), timeout=600),
    "meeting_pack": JobKind("meeting_pack", "exports", meeting_xlsx.run_pack_job,
                            _("Meeting pack (Excel)"), timeout=600),
    "meeting_minutes": JobKind("meeting_minutes", "exports", meeting_xlsx.run_minutes_job,
                               _("Meeting minutes (Excel)"), timeout=600),
}


def _ledger_kind(ledger: ledgers.LedgerKind) -> JobKind:
    return JobKind(ledger.job_kind, "exports", functools.partial(ledgers.run_job, ledger.key),
                   ledger.label)


def all_kinds() -> dict[str, JobKind]:
    kinds = {k.job_kind: _ledger_kind(k) for k in ledgers.all_kinds()}
    kinds.update(JOB_KINDS)
    return kinds


def get(name: str) -> JobKind:
    try:
        return all_kinds()[name]
    except KeyError:
        raise ValueError(f"unknown job kind {name!r}") from None


def ledger_job(key: str) -> JobKind:
    """The job kind that exports the ledger ``key``."""
    return get(ledgers.get(key).job_kind)


def function_of(name: str) -> Callable[..., Any]:
    return get(name).function
