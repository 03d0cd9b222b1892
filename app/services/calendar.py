"""Working-day arithmetic under the State Council holiday schedule (docs/domain.md).

The ``calendar_day`` table lists only the exceptions to the Mon–Fri rule: public
holidays that fall on a weekday (HOLIDAY) and weekend days worked in lieu (WORKDAY,
调休上班). A year with no rows at all has not been entered yet and counts Mon–Fri; a year
whose statutory holidays are not all entered is incomplete (the home page warns the staff
who count working days, see ``incomplete_years``).

The whole table (a few hundred rows) is read in one query and kept in process memory
as a ``CalendarSnapshot``: per year a set and a sorted tuple of the working days'
ordinals, built on first use. After ``CACHE_SECONDS`` the next call reads the table
again, so edits made by another process (a worker, another gunicorn worker) are seen
within a minute; edits made through this process call ``invalidate()`` and are seen at
once. No function here issues more than that one query, whatever ``n`` is.

Definitions (all dates are ``datetime.date``):

* ``is_working_day(d)``.
* ``add_working_days(d, n)``: the n-th working day after ``d``; ``d`` itself never
  counts, ``n == 0`` returns ``d`` (even on a holiday), a negative ``n`` counts back
  (the |n|-th working day before ``d``).
* ``working_days_between(a, b)``: how many working days ``x`` satisfy ``a < x <= b``;
  when ``b < a`` it is ``-working_days_between(b, a)``. So
  ``working_days_between(d, add_working_days(d, n)) == n`` for ``n >= 0``.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import CalendarDay, CalendarDayKind

CACHE_SECONDS = 60.0

# The names chinesecalendar gives in English, as the bureau writes them.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}




class _Year:
    __slots__ = ("working", "ordered")

    def __init__(self, ordered: tuple[int, ...]) -> None:
        self.ordered = ordered
        self.working = frozenset(ordered)


class CalendarSnapshot:
    """The calendar as read at one moment; answers every question without the database."""

    def __init__(self, rows: Iterable[tuple[dt.date, CalendarDayKind]] = ()) -> None:
        self.holidays: set[int] = set()
        self.workdays: set[int] = set()
        years = set()
        for day, kind in rows:
            years.add(day.year)
            (self.holidays if kind == CalendarDayKind.HOLIDAY else self.workdays).add(
                day.toordinal())
        self.years = frozenset(years)
        self._by_year: dict[int, _Year] = {}
        self.loaded_at = time.monotonic()

    # -- per-year tables, built once per snapshot -----------------------------------
    def _year(self, year: int) -> _Year:
        cached = self._by_year.get(year)
        if cached is not None:
            return cached
        first = dt.date(year, 1, 1).toordinal()
        last = dt.date(year, 12, 31).toordinal()
        hol, work = self.holidays, self.workdays
        # date.fromordinal(1) is a Monday, so (ordinal - 1) % 7 is the weekday.
        ordered = tuple(o for o in range(first, last + 1)
                        if (o in work) or ((o - 1) % 7 < 5 and o not in hol))
        built = _Year(ordered)
        self._by_year[year] = built
        return built

    # -- the questions ---------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        return day.toordinal() in self._year(day.year).working

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        if days == 0:
            return start
        o, year = start.toordinal(), start.year
        table = self._year(year).ordered
        if days > 0:
            i = bisect_right(table, o)  # first working day after start
            left = days
            while left > len(table) - i:
                left -= len(table) - i
                year += 1
                table, i = self._year(year).ordered, 0
            return dt.date.fromordinal(table[i + left - 1])
        i = bisect_left(table, o)  # working days before start in its year
        left = -days
        while left > i:
            left -= i
            year -= 1
            table = self._year(year).ordered
            i = len(table)
        return dt.date.fromordinal(table[i - left])

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        oa, ob = a.toordinal(), b.toordinal()
        if a.year == b.year:
            table = self._year(a.year).ordered
            return bisect_right(table, ob) - bisect_right(table, oa)
        first = self._year(a.year).ordered
        count = len(first) - bisect_right(first, oa)
        for year in range(a.year + 1, b.year):
            count += len(self._year(year).ordered)
        return count + bisect_right(self._year(b.year).ordered, ob)

    def next_working_day(self, day: dt.date) -> dt.date:
        """``day`` itself when it is a working day, else the first one after it."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)


# -- the process-wide cache ---------------------------------------------------------
_lock = threading.Lock()
_snapshot: CalendarSnapshot | None = None
_loads = 0  # how many times the table was read (tests look at it)


def _default_session() -> Session:
    from app.extensions import db

    return db.session


def load_snapshot(session: Session | None = None) -> CalendarSnapshot:
    """Read the table now (one query), bypassing the cache."""
    global _loads
    session = session or _default_session()
    with session.no_autoflush:
        rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    _loads += 1
    return CalendarSnapshot(rows)


def current(session: Session | None = None) -> CalendarSnapshot:
    """The cached snapshot, read again when older than ``CACHE_SECONDS`` or invalidated."""
    global _snapshot
    snap = _snapshot
    if snap is not None and time.monotonic() - snap.loaded_at < CACHE_SECONDS:
        return snap
    with _lock:
        snap = _snapshot
        if snap is None or time.monotonic() - snap.loaded_at >= CACHE_SECONDS:
            snap = load_snapshot(session)
            _snapshot = snap
    return snap


def invalidate() -> None:
    """Forget the cached calendar: call after editing ``calendar_day``."""
    global _snapshot
    _snapshot = None


def load_count() -> int:
    return _loads


# -- the public functions -----------------------------------------------------------
def is_working_day(day: dt.date) -> bool:
    return current().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start``; ``start`` itself does not count."""
    return current().add_working_days(start, days)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days ``x`` with ``a < x <= b`` (negative mirror when ``b < a``)."""
    return current().working_days_between(a, b)


def next_working_day(day: dt.date) -> dt.date:
    return current().next_working_day(day)


def known_years(session: Session | None = None) -> set[int]:
    """Years with at least one row in the calendar table."""
    return set(current(session).years)


def missing_years(years: Iterable[int], session: Session | None = None) -> list[int]:
    """Those of ``years`` with no rows, i.e. counted Mon–Fri for now (sorted)."""
    known = current(session).years
    return sorted({y for y in years if y not in known})


# -- is a year's schedule complete? ------------------------------------------------
# A year's schedule is complete when every statutory holiday (全体公民放假的节日) has at
# least one weekday off entered: each of them gets one every year (a holiday on a weekend
# is given a weekday in lieu). 中秋节 is not required: some years it falls inside the
# National Day week and has no day of its own (2009, 2012, 2020). A holiday is recognised
# by its name as seeded or typed, in Chinese or English (keywords, lower case).
STATUTORY_HOLIDAYS: dict[str, tuple[str, ...]] = {
    "元旦": ("元旦", "new year"),
    "春节": ("春节", "spring festival"),
    "清明节": ("清明", "tomb"),
    "劳动节": ("劳动", "labour", "labor"),
    "端午节": ("端午", "dragon boat"),
    "国庆节": ("国庆", "national day"),
}


def holidays_missing(names: Iterable[str | None]) -> list[str]:
    """The statutory holidays none of ``names`` (a year's holiday names) stands for."""
    entered = [(n or "").lower() for n in names]
    return [holiday for holiday, keys in STATUTORY_HOLIDAYS.items()
            if not any(key in name for name in entered for key in keys)]


def incomplete_years(years: Iterable[int], session: Session | None = None) -> dict[int, list[str]]:
    """Those of ``years`` whose schedule is not complete, each with the statutory holidays
    still missing (all of them for a year with no rows). One query, not cached: the
    names are not part of the snapshot."""
    wanted = sorted(set(years))
    if not wanted:
        return {}
    session = session or _default_session()
    with session.no_autoflush:
        rows = session.execute(select(CalendarDay.day, CalendarDay.name).where(
            CalendarDay.kind == CalendarDayKind.HOLIDAY,
            CalendarDay.day >= dt.date(wanted[0], 1, 1),
            CalendarDay.day <= dt.date(wanted[-1], 12, 31))).all()
    names: dict[int, list[str | None]] = {y: [] for y in wanted}
    for day, name in rows:
        if day.year in names:
            names[day.year].append(name)
    out = {}
    for year in wanted:
        missing = holidays_missing(names[year])
        if missing:
            out[year] = missing
    return out


# -- seeding from the chinesecalendar package --------------------------------------
def package_years() -> set[int]:
    """Years the installed chinesecalendar package has a schedule for."""
    import chinese_calendar

    return {d.year for d in chinese_calendar.holidays}


def package_days(years: Iterable[int]) -> list[tuple[dt.date, CalendarDayKind, str]]:
    """The exceptions to Mon–Fri the package knows for ``years``: weekday holidays and
    weekend working days, each with its holiday's Chinese name."""
    import chinese_calendar

    wanted = set(years)
    out = []
    for day, name in chinese_calendar.holidays.items():
        if day.year in wanted and day.weekday() < 5:
            out.append((day, CalendarDayKind.HOLIDAY, HOLIDAY_NAMES.get(name, name)))
    for day, name in chinese_calendar.workdays.items():
        if day.year in wanted and day.weekday() >= 5:
            out.append((day, CalendarDayKind.WORKDAY, HOLIDAY_NAMES.get(name, name)))
    return sorted(out)


def seed_from_chinesecalendar(session: Session, years: Iterable[int]) -> list[dt.date]:
    """Insert the package's days for ``years`` that the table does not have yet.

    Idempotent: a day already in the table (maybe corrected by an admin) is left alone.
    Years the package does not know are skipped. Returns the days inserted; flushes but
    does not commit. The caller should ``invalidate()`` after committing (done by
    ``ensure_calendar_seeded``).
    """
    days = package_days(years)
    if not days:
        return []
    lo, hi = days[0][0], days[-1][0]
    with session.no_autoflush:
        existing = set(session.scalars(select(CalendarDay.day).where(
            CalendarDay.day >= lo, CalendarDay.day <= hi)))
    inserted = []
    for day, kind, name in days:
        if day in existing:
            continue
        session.add(CalendarDay(day=day, kind=kind, name=name))
        inserted.append(day)
    session.flush()
    return inserted


def table_years(session: Session) -> set[int]:
    """Years with rows, read from the table now (not the cache)."""
    return {d.year for d in session.scalars(select(CalendarDay.day))}
