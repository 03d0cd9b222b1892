"""Small helpers every built-in measure plugin uses (one copy instead of six)."""
from __future__ import annotations

import datetime as dt
from typing import Optional


def instance_params(instance) -> dict:
    """A copy of the instance's parameters; assign it back so the JSON column is saved."""
    return dict(instance.params or {})


def as_date(value) -> Optional[dt.date]:
    """A date from a date, a datetime or an ISO string; None when there is none."""
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def step_day(ctx: dict) -> dt.date:
    """The day a transition happens: the engine's ``today`` in the context, else today in
    Beijing."""
    from app.services import calendar

    return as_date(ctx.get("today")) or calendar.today()
