"""Seeding the holiday calendar from the chinesecalendar package: a command, since new days
move the computed due dates of open items (``deadlines``) in the same transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from . import calendar
from .deadlines import refresh_after_calendar_change


def ensure_calendar_seeded(session: Session) -> list[int]:
    """Seed every year the package knows and the table lacks; returns the years seeded.

    Meant for ``flask init``, the demo and the embedded start-up. Open items whose
    computed due dates depend on the new days are recomputed. Flushes; the caller
    commits.
    """
    missing = sorted(calendar.package_years() - calendar.table_years(session))
    if not missing:
        return []
    seed_years(session, missing)
    return missing


def seed_years(session: Session, years: Iterable[int]) -> list[dt.date]:
    """Seed ``years`` from the package, then recompute the due dates the new days move."""
    before = calendar.load_snapshot(session)
    inserted = calendar.seed_from_chinesecalendar(session, years)
    calendar.invalidate()
    if inserted:
        refresh_after_calendar_change(session, inserted, before)
    return inserted
