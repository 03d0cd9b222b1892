"""Periodic jobs, declared in one place for RQ's cron scheduler (filled by issue #3)."""
from __future__ import annotations

# (queue, "module.function", cron string in UTC): e.g. the 08:00 Beijing warning scan is
# ("reminders", "workers.jobs.scan_warnings", "0 0 * * *").
PERIODIC_JOBS: tuple = ()
