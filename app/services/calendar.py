"""Working-day arithmetic for time limits.

For now every Monday–Friday is a working day; the holiday/调休 table that a bureau
admin maintains plugs in here (issue #3) without callers changing.
"""
from __future__ import annotations

import datetime as dt


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start``; ``start`` itself does not count."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
