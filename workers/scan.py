"""Reminder jobs: the warning scan, work-order escalation and notification delivery.

Each job takes no arguments (it works on "today", Beijing time), runs in one transaction
through the job decorator and is safe to run twice: cards and notifications have unique
keys, an escalated work order gets a new deadline, a sent delivery is not pending any more.
"""
from __future__ import annotations

from .base import job


@job("reminders", timeout=1800)
def scan_warnings() -> dict:
    """Raise and clear red/yellow cards, notify the new ones (daily, and on demand)."""
    from app.extensions import db
    from app.services import warnings

    result = warnings.scan(db.session)
    return {"raised": result.by_level(result.raised),
            "cleared": result.by_level(result.cleared),
            "notifications": result.notifications}


@job("reminders", timeout=600)
def escalate_work_orders() -> list[int]:
    """Move overdue work orders one level up the region tree (daily)."""
    from app.extensions import db
    from app.services import work_orders

    return work_orders.escalate_overdue(db.session)


@job("reminders", timeout=600)
def deliver_notifications() -> dict:
    """Send due e-mail/webhook deliveries; failures are rescheduled, never raised."""
    from app.extensions import db
    from app.services import notifications

    return notifications.deliver_due(db.session)


@job("reminders", timeout=600)
def escalate_coordination_requests() -> list[int]:
    """Move coordination requests past their reply deadline one level up (daily)."""
    from app.extensions import db
    from app.services import coordination

    return coordination.escalate_overdue(db.session)
