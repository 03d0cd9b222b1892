"""The one clock: what "now" and "today" are for every rule, screen, job and ledger.

Timestamps are stored in UTC without a zone (``utcnow``); business rules count days in
Beijing (``today``: a card raised at 07:30 Beijing belongs to that Beijing day, not to the
UTC day before); people read times in Beijing to the minute (``display``). Nothing else in
the code base reads the system clock or names a time zone.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"


def utcnow() -> dt.datetime:
    """Now, in UTC, without a zone: how every timestamp column stores time."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def now() -> dt.datetime:
    """Now in Beijing, zone-aware (for titles such as 导出时间)."""
    return dt.datetime.now(BEIJING)


def today() -> dt.date:
    """Today in Beijing, whatever the server's time zone: the day business rules count."""
    return now().date()


def to_beijing(stored: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) or zone-aware timestamp as Beijing time."""
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.UTC)
    return stored.astimezone(BEIJING)


def display(stored: dt.datetime | None) -> str:
    """A stored timestamp as a person reads it: Beijing time to the minute."""
    return "" if stored is None else to_beijing(stored).strftime(DISPLAY_FORMAT)
