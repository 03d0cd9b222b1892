"""Due dates in working days with 补正 pauses, remaining/overdue working days, and the
corrections screen (a related view of approval items).

The rule under test (app/services/deadlines.py): the acceptance day does not count; a
correction requested on R and received on V pauses every day from R to V inclusive and
counting resumes the working day after V; while a correction is open the due date is
undetermined (None), unless the limit had already run out before R.

Screen tests need ItemCorrectionView registered and listed in ApprovalItemView's
related_views; until then they are skipped with a message saying so.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete, select

from app import clock
from app.extensions import appbuilder, db
from app.models import ApprovalItem, ItemCorrection, ItemStatus, OrgUnit, Project
from app.services import calendar
from app.services.deadlines import (
    compute_due_on,
    due_date,
    is_paused,
    overdue_working_days,
    remaining_working_days,
)
from app.services.projects import fill_due_on

from . import factories as f
from .test_calendar import seeded_calendar  # noqa: F401  (the 2025–2026 schedule)

D = dt.date


@pytest.fixture(scope="module")
def cal():
    """The 2026 schedule as a snapshot: pure computations, no database."""
    return calendar.CalendarSnapshot(
        [(d, k) for d, k, _ in calendar.package_days([2025, 2026])])


# -- the rule, on plain dates --------------------------------------------------------

def test_the_issue_example(cal):
    assert due_date(D(2026, 9, 28), 5, [], cal) == D(2026, 10, 10)


def test_zero_limit_is_due_on_the_day_of_acceptance(cal):
    assert due_date(D(2026, 10, 1), 0, [], cal) == D(2026, 10, 1)


def test_a_closed_correction_pauses_the_clock(cal):
    accepted = D(2026, 11, 2)  # Monday
    assert due_date(accepted, 10, [], cal) == D(2026, 11, 16)
    # 11-3, 11-4 counted; Thu 11-5 .. Tue 11-10 paused (both ends included); 8 more from
    # Wed 11-11: 11, 12, 13, 16, 17, 18, 19, 20.
    assert due_date(accepted, 10, [(D(2026, 11, 5), D(2026, 11, 10))], cal) == D(2026, 11, 20)
    # Requested and received on the same day: that one working day does not count.
    assert due_date(accepted, 10, [(D(2026, 11, 5), D(2026, 11, 5))], cal) == D(2026, 11, 17)
    # A pause over a weekend only costs nothing.
    assert due_date(accepted, 10, [(D(2026, 11, 7), D(2026, 11, 8))], cal) == D(2026, 11, 16)


def test_a_pause_across_national_day(cal):
    # Accepted Monday 9-28 for 5 days; corrections asked 9-29, back 10-9: nothing counted
    # before, resumes after 10-9 with Saturday 10-10 (调休), then 10-12 .. 10-15.
    assert due_date(D(2026, 9, 28), 5, [(D(2026, 9, 29), D(2026, 10, 9))], cal) == D(2026, 10, 15)


def test_an_open_correction_leaves_the_due_date_undetermined(cal):
    accepted = D(2026, 11, 2)
    assert due_date(accepted, 10, [(D(2026, 11, 5), None)], cal) is None
    # Requested on the acceptance day: paused from the start.
    assert due_date(accepted, 10, [(accepted, None)], cal) is None
    # Asked for after the limit ran out: the item stays overdue.
    assert due_date(accepted, 10, [(D(2026, 11, 17), None)], cal) == D(2026, 11, 16)
    # Asked for on the day after the due day: same.
    assert due_date(accepted, 10, [(D(2026, 11, 17), D(2026, 11, 30))], cal) == D(2026, 11, 16)


def test_overlapping_and_earlier_pauses(cal):
    accepted = D(2026, 11, 2)
    one = [(D(2026, 11, 5), D(2026, 11, 10))]
    overlapping = one + [(D(2026, 11, 9), D(2026, 11, 10)), (D(2026, 11, 6), D(2026, 11, 9))]
    assert due_date(accepted, 10, overlapping, cal) == due_date(accepted, 10, one, cal)
    # Before the acceptance: nothing; straddling it: paused until it ends.
    assert due_date(accepted, 10, [(D(2026, 10, 20), D(2026, 10, 30))], cal) == D(2026, 11, 16)
    assert due_date(accepted, 10, [(D(2026, 10, 30), D(2026, 11, 3))], cal) == D(2026, 11, 17)
    # Two pauses add up: 11-3 and 11-4 paused, then 11-10 .. 11-11.
    two = [(D(2026, 11, 3), D(2026, 11, 4)), (D(2026, 11, 10), D(2026, 11, 11))]
    assert due_date(accepted, 10, two, cal) == D(2026, 11, 20)


# -- items in the database --------------------------------------------------------------

@pytest.fixture()
def new_item(app, world, seeded_calendar):  # noqa: F811
    """make(**fields) → a new approval item of county a's project (removed afterwards)."""
    made = []
    with app.app_context():
        calendar.invalidate()

        def make(**kw):
            project = db.session.get(Project, world.a.project.id)
            dept = db.session.get(OrgUnit, world.a.department.id)
            kw.setdefault("status", ItemStatus.ACCEPTED)
            item = f.item(project, dept, name=kw.pop("name", f"时限测试{len(made)}"), **kw)
            made.append(item.id)
            return item

        yield make
        db.session.rollback()
        db.session.execute(delete(ApprovalItem).where(ApprovalItem.id.in_(made)))
        db.session.commit()


def test_due_on_follows_acceptance_and_limit_unless_typed(new_item):
    item = new_item(accepted_on=D(2026, 9, 28), time_limit_days=5)
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 10)
    db.session.commit()
    # A save that changes nothing relevant keeps it.
    item.name = "改了名字"
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 10)
    # Acceptance moved (the form sends the old due date back unchanged): recomputed.
    item.accepted_on, item.due_on = D(2026, 9, 29), D(2026, 10, 10)
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 12)
    db.session.commit()
    # A typed due date (e.g. a legal extension) is kept…
    item.due_on = D(2026, 10, 30)
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 30)
    db.session.commit()
    item.name = "再改名字"
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 30)
    # …until the limit changes.
    item.time_limit_days = 1
    fill_due_on(item)
    assert item.due_on == D(2026, 9, 30)
    db.session.commit()
    # Typed together with a new acceptance date: the typed date wins.
    item.accepted_on, item.due_on = D(2026, 9, 28), D(2026, 11, 2)
    fill_due_on(item)
    assert item.due_on == D(2026, 11, 2)
    # Cleared: computed again.
    item.due_on = None
    fill_due_on(item)
    assert item.due_on == D(2026, 9, 29)


def test_a_new_item_with_a_typed_due_date_keeps_it(new_item):
    item = new_item(accepted_on=D(2026, 9, 28), time_limit_days=5, due_on=D(2026, 10, 20))
    fill_due_on(item)
    assert item.due_on == D(2026, 10, 20)


def test_compute_due_on_with_the_items_corrections(new_item):
    item = new_item(accepted_on=D(2026, 11, 2), time_limit_days=10)
    db.session.add(ItemCorrection(item=item, requested_on=D(2026, 11, 5),
                                  received_on=D(2026, 11, 10), note="补充图纸"))
    db.session.flush()
    db.session.expire(item, ["corrections"])
    assert compute_due_on(item) == D(2026, 11, 20)
    assert not is_paused(item)
    db.session.add(ItemCorrection(item=item, requested_on=D(2026, 11, 16)))
    db.session.flush()
    db.session.expire(item, ["corrections"])
    assert compute_due_on(item) is None and is_paused(item)


def test_remaining_and_overdue_working_days(new_item):
    item = new_item(accepted_on=D(2026, 9, 28), time_limit_days=5, due_on=D(2026, 10, 10))
    # 10-8, 10-9, 10-10 left on 9-30 (国庆 in between does not count).
    assert item.remaining_working_days(D(2026, 9, 30)) == 3
    assert item.overdue_working_days(D(2026, 9, 30)) is None
    assert item.remaining_working_days(D(2026, 10, 10)) == 0  # due today
    # Sunday after a Saturday due day: past the date, but no working day lost yet.
    assert item.remaining_working_days(D(2026, 10, 11)) == 0
    assert item.overdue_working_days(D(2026, 10, 11)) is None
    assert item.overdue_working_days(D(2026, 10, 12)) == 1
    assert item.remaining_working_days(D(2026, 10, 12)) is None
    assert overdue_working_days(item, D(2026, 10, 16)) == 5
    # Done or not started: no clock.
    item.status = ItemStatus.FINISHED
    assert remaining_working_days(item, D(2026, 9, 30)) is None
    assert overdue_working_days(item, D(2026, 10, 16)) is None
    item.status, item.due_on = ItemStatus.CORRECTING, None  # paused
    assert remaining_working_days(item, D(2026, 9, 30)) is None
    assert overdue_working_days(item, D(2026, 10, 16)) is None


def test_remaining_and_overdue_need_no_query_per_item(new_item):
    from .test_calendar import _QueryCounter

    items = [new_item(accepted_on=D(2026, 9, 28), time_limit_days=5, due_on=D(2026, 10, 10))
             for _ in range(3)]
    calendar.is_working_day(D(2026, 1, 1))  # warm the cache
    with _QueryCounter(db.engine) as queries:
        for _ in range(2000):
            for item in items:
                item.remaining_working_days(D(2026, 9, 30))
                item.overdue_working_days(D(2026, 10, 20))
    assert queries.count == 0


# -- the corrections screen (needs ItemCorrectionView registered) -----------------------

def _correction_view():
    for view in appbuilder.baseviews:
        if type(view).__name__ == "ItemCorrectionView":
            return view
    return None


@pytest.fixture()
def corrections_screen(app, world, seeded_calendar):  # noqa: F811
    with app.app_context():
        view = _correction_view()
    assert view is not None, "ItemCorrectionView must be registered (app/views/__init__.py)"
    return view


def _add_link(html: str) -> str:
    m = re.search(r'href="(/itemcorrectionview/add[^"]*)"', html)
    assert m, "no add link for corrections on the item page"
    return m.group(1).replace("&amp;", "&")


def _load(item_id):
    db.session.expire_all()
    return db.session.get(ApprovalItem, item_id)


def test_corrections_through_the_item_page(app, corrections_screen, new_item, login):
    item = new_item(accepted_on=D(2026, 11, 2), time_limit_days=10)
    fill_due_on(item)
    db.session.commit()
    assert item.due_on == D(2026, 11, 16)
    item_id = item.id
    client = login("a_clerk")
    page = client.get(f"/approvalitemview/show/{item_id}").get_data(as_text=True)
    add = _add_link(page)
    # The clock stops: due date undetermined, status 补正中.
    resp = client.post(add, data={"requested_on": "2026-11-05", "note": "补充消防图纸"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    item = _load(item_id)
    assert item.due_on is None and item.status == ItemStatus.CORRECTING
    (corr,) = item.corrections
    assert corr.requested_on == D(2026, 11, 5) and corr.received_on is None
    # A second open request is refused while the first is open.
    resp = client.post(add, data={"requested_on": "2026-11-06"})
    assert resp.status_code == 200
    assert len(_load(item_id).corrections) == 1
    # Received before requested: refused next to the field.
    resp = client.post(f"/itemcorrectionview/edit/{corr.id}", data={
        "requested_on": "2026-11-05", "received_on": "2026-11-04"})
    assert resp.status_code == 200
    assert _load(item_id).corrections[0].received_on is None
    # The corrections arrive: the clock restarts the next working day.
    resp = client.post(f"/itemcorrectionview/edit/{corr.id}", data={
        "requested_on": "2026-11-05", "received_on": "2026-11-10", "note": "已补齐"})
    assert resp.status_code == 302
    item = _load(item_id)
    assert item.due_on == D(2026, 11, 20) and item.status == ItemStatus.ACCEPTED
    # The item page lists the correction.
    page = client.get(f"/approvalitemview/show/{item_id}").get_data(as_text=True)
    assert "2026-11-10" in page and "已补齐" in page
    # Deleted: back to the plain time limit.
    assert client.post(f"/itemcorrectionview/delete/{corr.id}").status_code == 302
    item = _load(item_id)
    assert item.due_on == D(2026, 11, 16) and not item.corrections


def test_corrections_respect_scope_and_rights(app, world, corrections_screen, new_item, login):
    item = new_item(accepted_on=D(2026, 11, 2), time_limit_days=10)
    db.session.commit()
    item_id = item.id
    # County b's clerk cannot attach a correction to county a's item, even by forging it.
    client = login("b_clerk")
    resp = client.post(f"/itemcorrectionview/add?_flt_0_item={item_id}",
                       data={"item": str(item_id), "requested_on": "2026-11-05"})
    assert resp.status_code == 200  # the form again: no such item to choose
    assert not _load(item_id).corrections
    # The enterprise user reads items but does not write them.
    client = login("a_company")
    resp = client.post(f"/itemcorrectionview/add?_flt_0_item={item_id}",
                       data={"item": str(item_id), "requested_on": "2026-11-05"})
    assert resp.status_code == 403
    assert not _load(item_id).corrections
    # Without an item (the bare add page) nothing is saved.
    client = login("a_clerk")
    resp = client.post("/itemcorrectionview/add", data={"requested_on": "2026-11-05"})
    assert resp.status_code == 200
    assert db.session.scalar(select(ItemCorrection.id).where(
        ItemCorrection.item_id == item_id)) is None


def test_item_list_shows_remaining_and_overdue(app, new_item, login,
                                              monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: D(2026, 10, 16))
    new_item(name="逾期的事项", accepted_on=D(2026, 9, 28), time_limit_days=5,
          due_on=D(2026, 10, 10))
    db.session.commit()
    html = login("a_clerk").get(
        "/approvalitemview/list/?_flt_0_name=逾期的事项").get_data(as_text=True)
    assert 'app-badge-red">5<' in html  # overdue days in a red badge
