"""The working-day calendar: the 2026 schedule (国庆, 春节, 调休), the Mon–Fri fallback for a
year with no rows, the cache and its invalidation, the admin screen and the home-page
warning.

Screen tests need CalendarDayView registered (app/views/__init__.py); until it is they
are skipped with a message saying so.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, event, func, select

from app import clock
from app.extensions import appbuilder, db
from app.models import ApprovalItem, CalendarDay, CalendarDayKind, ItemStatus, Project
from app.services import calendar, calendar_seeding
from app.services.calendar import (
    add_working_days,
    is_working_day,
    known_years,
    missing_years,
    working_days_between,
)

from . import factories as f

D = dt.date
SEEDED_YEARS = (2025, 2026)
NO_DATA_YEAR = 2031  # beyond chinesecalendar 1.11.0 and never seeded here


@pytest.fixture(scope="module")
def seeded_calendar(app):
    """2025–2026 from chinesecalendar; rows this fixture or its tests add are removed
    afterwards so other modules see the calendar they expect."""
    with app.app_context():
        before = calendar.table_years(db.session)
        calendar_seeding.seed_years(db.session, [y for y in SEEDED_YEARS if y not in before])
        db.session.commit()
        calendar.invalidate()
    yield
    with app.app_context():
        for year in set(SEEDED_YEARS) - before:
            db.session.execute(delete(CalendarDay).where(
                CalendarDay.day >= D(year, 1, 1), CalendarDay.day <= D(year, 12, 31)))
        db.session.execute(delete(CalendarDay).where(CalendarDay.day >= D(NO_DATA_YEAR, 1, 1),
                                                     CalendarDay.day <= D(NO_DATA_YEAR, 12, 31)))
        db.session.commit()
        calendar.invalidate()


@pytest.fixture()
def ctx(app, seeded_calendar):
    with app.app_context():
        calendar.invalidate()
        yield
        db.session.rollback()
        calendar.invalidate()


# -- the 2026 State Council schedule -----------------------------------------------------

def test_national_day_2026_and_its_adjusted_days(ctx):
    # 9-25..9-27 中秋 (a Friday off), 10-1..10-7 国庆; Sunday 9-20 and Saturday 10-10 worked.
    assert not is_working_day(D(2026, 9, 25))
    for day in range(1, 8):
        assert not is_working_day(D(2026, 10, day)), day
    assert is_working_day(D(2026, 9, 20))  # Sunday, 调休上班
    assert is_working_day(D(2026, 10, 10))  # Saturday, 调休上班
    assert not is_working_day(D(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(D(2026, 10, 8)) and is_working_day(D(2026, 10, 9))
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 8)) == 1


def test_spring_festival_2026(ctx):
    assert is_working_day(D(2026, 2, 14))  # Saturday before 春节, worked
    assert is_working_day(D(2026, 2, 28))  # Saturday after, worked
    for day in (16, 17, 18, 19, 20, 23):  # the weekdays of the break
        assert not is_working_day(D(2026, 2, day)), day
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # 2-14, 2-24, 2-25, 2-26, 2-27
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 27)) == 5
    assert working_days_between(D(2026, 2, 27), D(2026, 2, 13)) == -5
    assert add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)


def test_the_issue_example_accepted_2026_09_28(ctx):
    # 9-29, 9-30, (国庆), 10-8, 10-9 and Saturday 10-10: due on the adjusted working day.
    assert add_working_days(D(2026, 9, 28), 5) == D(2026, 10, 10)
    assert working_days_between(D(2026, 9, 28), D(2026, 10, 10)) == 5


def test_definitions_at_the_edges(ctx):
    holiday = D(2026, 10, 1)
    assert add_working_days(holiday, 0) == holiday  # n = 0 returns the start, even a holiday
    assert working_days_between(holiday, holiday) == 0
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    # The start never counts; the end does.
    assert working_days_between(D(2026, 10, 9), D(2026, 10, 10)) == 1
    assert working_days_between(D(2026, 10, 10), D(2026, 10, 9)) == -1
    # Across the new year into a year with no rows (Mon–Fri): 2027-01-01 is a Friday.
    if 2027 not in known_years():
        assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    assert add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 4)  # 元旦 1-1..1-3, Sunday 1-4 worked


def test_a_year_without_rows_counts_monday_to_friday(ctx):
    assert NO_DATA_YEAR not in known_years()
    assert missing_years([2026, NO_DATA_YEAR]) == [NO_DATA_YEAR]
    assert is_working_day(D(2031, 10, 1))  # a Wednesday: no 国庆 without rows
    assert not is_working_day(D(2031, 10, 4))  # Saturday
    assert add_working_days(D(2031, 10, 3), 1) == D(2031, 10, 6)
    assert working_days_between(D(2031, 9, 28), D(2031, 10, 5)) == 5


def test_large_spans_agree_with_a_day_by_day_count(ctx):
    start = D(2024, 11, 15)
    end = add_working_days(start, 2000)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    assert count == 2000 and is_working_day(end)
    assert working_days_between(start, end) == 2000
    # Counting back from ``end``: the 1999 working days after ``start``, then ``start``
    # itself (a Friday).
    assert add_working_days(end, -2000) == start


def test_seeding_is_idempotent_and_keeps_admin_edits(ctx, monkeypatch):
    count = db.session.scalar(select(func.count()).select_from(CalendarDay))
    first = db.session.scalar(select(CalendarDay).where(CalendarDay.day == D(2026, 10, 1)))
    assert first.kind == CalendarDayKind.HOLIDAY and first.name == "国庆节"
    saturday = db.session.scalar(select(CalendarDay).where(CalendarDay.day == D(2026, 10, 10)))
    assert saturday.kind == CalendarDayKind.WORKDAY
    first.name = "国庆节（管理员改过）"
    db.session.commit()
    assert calendar.seed_from_chinesecalendar(db.session, [2026]) == []
    monkeypatch.setattr(calendar, "package_years", lambda: set(SEEDED_YEARS))
    assert calendar_seeding.ensure_calendar_seeded(db.session) == []
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == count
    assert db.session.get(CalendarDay, first.id).name == "国庆节（管理员改过）"
    first.name = "国庆节"
    db.session.commit()
    # Weekend holidays are not stored (weekends are off anyway); weekday ones are.
    assert db.session.scalar(select(CalendarDay).where(CalendarDay.day == D(2026, 10, 3))) is None


def test_ensure_calendar_seeded_fills_the_years_the_table_lacks(ctx, monkeypatch):
    monkeypatch.setattr(calendar, "package_years", lambda: {2024, 2026})
    try:
        assert calendar_seeding.ensure_calendar_seeded(db.session) == [2024]
        assert 2024 in calendar.table_years(db.session)
        assert not is_working_day(D(2024, 10, 1))
        assert calendar_seeding.ensure_calendar_seeded(db.session) == []
    finally:
        db.session.rollback()
        calendar.invalidate()
    assert 2024 not in known_years()


def test_calendar_seed_command(app, seeded_calendar):
    runner = app.test_cli_runner()
    from app.cli.calendar import register

    if "calendar-seed" not in app.cli.commands:
        register(app)
    result = runner.invoke(args=["calendar-seed", "--years", "2026"])
    assert result.exit_code == 0, result.output
    assert "0 days added" in result.output
    result = runner.invoke(args=["calendar-seed", "--years", "2030-2031"])
    assert result.exit_code == 0 and "no schedule for 2030, 2031" in result.output
    result = runner.invoke(args=["calendar-seed", "--years", "20x6"])
    assert result.exit_code != 0
    result = runner.invoke(args=["calendar-status", "--years", f"2026,{NO_DATA_YEAR}"])
    assert "2026: entered" in result.output and f"{NO_DATA_YEAR}: MISSING" in result.output


# -- the cache -------------------------------------------------------------------------

class _QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, *args, **kwargs):
        self.count += 1


def test_the_calendar_is_read_once_for_many_questions(ctx):
    loads = calendar.load_count()
    with _QueryCounter(db.engine) as queries:
        day = D(2024, 1, 1)
        for i in range(10_000):
            d = day + dt.timedelta(days=i % 3000)
            is_working_day(d)
            add_working_days(d, i % 40)
            working_days_between(d, d + dt.timedelta(days=i % 90))
        add_working_days(D(2026, 1, 1), 250_000)  # a thousand years ahead: still no query
        add_working_days(D(2026, 1, 1), -100_000)
    assert calendar.load_count() - loads <= 1
    assert queries.count <= 1


def test_other_processes_edits_are_seen_after_the_ttl(ctx, monkeypatch):
    monkeypatch.setattr(calendar, "CACHE_SECONDS", 3600.0)
    day = D(NO_DATA_YEAR, 10, 1)
    assert is_working_day(day)
    # Another process adds the holiday: its own connection, committed.
    with db.engine.begin() as conn:
        conn.execute(CalendarDay.__table__.insert().values(
            day=day, kind=CalendarDayKind.HOLIDAY.name, name="国庆节",
            created_at=func.now(), updated_at=func.now()))
    try:
        assert is_working_day(day)  # cached: not yet
        monkeypatch.setattr(calendar, "CACHE_SECONDS", 0.0)
        assert not is_working_day(day)  # expired: read again
        assert NO_DATA_YEAR in known_years()
    finally:
        with db.engine.begin() as conn:
            conn.execute(delete(CalendarDay).where(CalendarDay.day == day))
        calendar.invalidate()
    assert is_working_day(day)


def test_a_snapshot_answers_without_a_database():
    rows = [(d, k) for d, k, _ in calendar.package_days([2026])]
    snap = calendar.CalendarSnapshot(rows)
    assert snap.add_working_days(D(2026, 9, 28), 5) == D(2026, 10, 10)
    assert snap.years == frozenset({2026})
    assert snap.next_working_day(D(2026, 10, 1)) == D(2026, 10, 8)


# -- the admin screen (needs CalendarDayView registered) --------------------------------

def _calendar_view():
    for view in appbuilder.baseviews:
        if type(view).__name__ == "CalendarDayView":
            return view
    return None


@pytest.fixture()
def calendar_screen(app, world, seeded_calendar):
    with app.app_context():
        view = _calendar_view()
    assert view is not None, "CalendarDayView must be registered in app/views/__init__.py"
    return view


def _day_row(day):
    with db.session.no_autoflush:
        return db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))


def test_admin_edits_the_calendar_and_the_cache_follows(app, calendar_screen, login,
                                                         monkeypatch):
    monkeypatch.setattr(calendar, "CACHE_SECONDS", 3600.0)  # only invalidation can help
    day = D(NO_DATA_YEAR, 10, 1)
    with app.app_context():
        assert is_working_day(day)
    client = login("a_admin")
    assert client.get("/calendardayview/list/").status_code == 200
    resp = client.post("/calendardayview/add", data={
        "day": day.isoformat(), "kind": "HOLIDAY", "name": "国庆节"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    with app.app_context():
        assert not is_working_day(day)
        row = _day_row(day)
        assert row is not None and row.kind == CalendarDayKind.HOLIDAY
        row_id = row.id
        assert NO_DATA_YEAR in known_years()
    # Move it to the next day: the old day works again, the new one is off.
    resp = client.post(f"/calendardayview/edit/{row_id}", data={
        "day": D(NO_DATA_YEAR, 10, 2).isoformat(), "kind": "HOLIDAY", "name": "国庆节"})
    assert resp.status_code == 302
    with app.app_context():
        assert is_working_day(day) and not is_working_day(D(NO_DATA_YEAR, 10, 2))
    resp = client.post(f"/calendardayview/delete/{row_id}")
    assert resp.status_code == 302
    with app.app_context():
        assert is_working_day(D(NO_DATA_YEAR, 10, 2))
        assert NO_DATA_YEAR not in known_years()


def test_an_adjusted_working_day_must_be_a_weekend_day(app, calendar_screen, login):
    client = login("a_admin")
    resp = client.post("/calendardayview/add", data={
        "day": D(NO_DATA_YEAR, 10, 8).isoformat(), "kind": "WORKDAY", "name": "国庆节"})
    assert resp.status_code == 200  # the form again, with the message
    with app.app_context():
        assert _day_row(D(NO_DATA_YEAR, 10, 8)) is None
    # A duplicate day is refused next to the field, not by the database.
    resp = client.post("/calendardayview/add", data={
        "day": "2026-10-01", "kind": "HOLIDAY", "name": "国庆节"})
    assert resp.status_code == 200


def test_calendar_list_by_year(app, calendar_screen, login):
    client = login("a_admin")
    html = client.get("/calendardayview/list/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)"\s+id="calendar-year-2026"', html)
    assert link, "year links missing"
    assert f'id="calendar-year-{clock.today().year + 1}"' in html  # missing years listed too
    href = link.group(1)
    href = href.replace("&amp;", "&")
    listing = client.get(href + "&psize_CalendarDayView=100").get_data(as_text=True)
    assert "2026-10-01" in listing and "2025-10-01" not in listing


def test_clerk_reads_but_cannot_edit_the_calendar(app, calendar_screen, login):
    client = login("a_clerk")
    assert client.get("/calendardayview/list/").status_code == 200
    with app.app_context():
        row_id = _day_row(D(2026, 10, 1)).id
    assert client.get("/calendardayview/add").status_code == 403
    resp = client.post("/calendardayview/add", data={
        "day": D(NO_DATA_YEAR, 10, 1).isoformat(), "kind": "HOLIDAY", "name": "x"})
    assert resp.status_code == 403
    assert client.post(f"/calendardayview/edit/{row_id}", data={
        "day": "2026-10-01", "kind": "HOLIDAY", "name": "改"}).status_code == 403
    assert client.post(f"/calendardayview/delete/{row_id}").status_code == 403
    with app.app_context():
        row = _day_row(D(2026, 10, 1))
        assert row is not None and row.name == "国庆节"
        assert _day_row(D(NO_DATA_YEAR, 10, 1)) is None


def test_a_calendar_edit_moves_computed_due_dates_but_not_typed_ones(app, world,
                                                                     calendar_screen, login):
    with app.app_context():
        project = db.session.get(Project, world.a.project.id)
        computed = f.item(project, _dept(world), name="日历变动-自动",
                          status=ItemStatus.ACCEPTED, accepted_on=D(NO_DATA_YEAR, 9, 29),
                          time_limit_days=5)
        from app.services.projects import fill_due_on

        fill_due_on(computed)
        typed = f.item(project, _dept(world), name="日历变动-手填", status=ItemStatus.ACCEPTED,
                       accepted_on=D(NO_DATA_YEAR, 9, 29), time_limit_days=5,
                       due_on=D(NO_DATA_YEAR, 10, 20))
        db.session.commit()
        assert computed.due_on == D(NO_DATA_YEAR, 10, 6)  # Mon–Fri
        ids = computed.id, typed.id
    client = login("a_admin")
    resp = client.post("/calendardayview/add", data={
        "day": D(NO_DATA_YEAR, 10, 1).isoformat(), "kind": "HOLIDAY", "name": "国庆节"})
    assert resp.status_code == 302
    with app.app_context():
        try:
            assert db.session.get(ApprovalItem, ids[0]).due_on == D(NO_DATA_YEAR, 10, 7)
            assert db.session.get(ApprovalItem, ids[1]).due_on == D(NO_DATA_YEAR, 10, 20)
        finally:
            db.session.execute(delete(CalendarDay).where(CalendarDay.day == D(NO_DATA_YEAR, 10, 1)))
            db.session.execute(delete(ApprovalItem).where(ApprovalItem.id.in_(ids)))
            db.session.commit()
            calendar.invalidate()


def _dept(world):
    from app.models import OrgUnit

    return db.session.get(OrgUnit, world.a.department.id)


# -- the home page warning --------------------------------------------------------------

def test_home_warns_the_staff_of_a_year_without_holidays(app, world, seeded_calendar,
                                                      login, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: D(NO_DATA_YEAR, 6, 1))
    html = login("a_admin").get("/").get_data(as_text=True)
    assert f'id="calendar-missing-{NO_DATA_YEAR}"' in html
    assert f'id="calendar-missing-{NO_DATA_YEAR + 1}"' not in html  # not before December
    # In December next year's schedule is due too.
    monkeypatch.setattr(clock, "today", lambda: D(NO_DATA_YEAR, 12, 5))
    html = login("a_admin").get("/").get_data(as_text=True)
    assert f'id="calendar-missing-{NO_DATA_YEAR + 1}"' in html
    assert f"{NO_DATA_YEAR + 1}" in html
    # Clerks and dispatchers count working days too: they are warned (and told who enters
    # it); department officers and companies are not (tests/test_screens.py has more).
    assert f'id="calendar-missing-{NO_DATA_YEAR}"' in login("a_clerk").get("/").get_data(
        as_text=True)
    assert "calendar-missing-" not in login("a_dept").get("/").get_data(as_text=True)
    # A year entered: no warning (December 2025 → 2025 and 2026 both seeded).
    monkeypatch.setattr(clock, "today", lambda: D(2025, 12, 5))
    assert "calendar-missing-" not in login("a_admin").get("/").get_data(as_text=True)
    assert "calendar-missing-" not in login("sysadmin").get("/").get_data(as_text=True)
    monkeypatch.setattr(clock, "today", lambda: D(NO_DATA_YEAR, 3, 1))
    assert f'calendar-missing-{NO_DATA_YEAR}' in login("sysadmin").get("/").get_data(as_text=True)
