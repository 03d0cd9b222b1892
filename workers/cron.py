"""Periodic jobs, declared in one place for RQ's cron scheduler (`flask --app run cron`).

(queue, "module.function", cron string in UTC). Beijing is UTC+8 all year.
"""
from __future__ import annotations

PERIODIC_JOBS: tuple = (
    # 08:00 Beijing: the daily red/yellow card scan.
    ("reminders", "workers.scan.scan_warnings", "0 0 * * *"),
    # 08:30 Beijing: overdue work orders move one level up.
    ("reminders", "workers.scan.escalate_work_orders", "30 0 * * *"),
    # 08:35 Beijing: overdue coordination requests move one level up (三级联动).
    ("reminders", "workers.scan.escalate_coordination_requests", "35 0 * * *"),
    # Every 5 minutes: e-mail/webhook deliveries that are due (first sends and retries).
    ("reminders", "workers.scan.deliver_notifications", "*/5 * * * *"),
    # Every minute: jobs whose worker died mid-job become failed rows the user can retry.
    ("default", "workers.user_jobs.reap_stalled_jobs", "* * * * *"),
    # 03:30 Beijing: audit records past AUDIT_RETENTION_DAYS go to archive files.
    ("default", "workers.retention.archive_audit_trail", "30 19 * * *"),
)
