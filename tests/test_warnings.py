"""The red/yellow card scan: items, 容缺 promises and work-order deadlines; clearing; two
scans at the same time on two real RQ workers; the CLI; scope of the cards screen."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from app import clock
from app.extensions import db
from app.models import (
    ApprovalItem,
    CardLevel,
    CardSubject,
    ItemStatus,
    Notification,
    OrgUnit,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    WarningCard,
    WorkOrder,
    WorkOrderStatus,
)
from app.services import calendar, warnings

from . import factories as f

ROOT = Path(__file__).resolve().parents[1]

# A Wednesday in a month without public holidays: Thu 12, Fri 13, Mon 16 are working days.
TODAY = dt.date(2026, 11, 11)


@pytest.fixture(autouse=True)
def _cli_registered(app):
    from app.cli import warnings as cli_warnings

    if "scan" not in app.cli.commands:
        cli_warnings.register(app)


# -- helpers shared with test_work_orders / test_notifications ------------------------------------
def new_project(world, county="a", name=None, assistant=True) -> int:
    """A fresh project of a county with its assistant; returns its id."""
    c = getattr(world, county)
    region = db.session.get(Region, c.region.id)
    project = f.project(region, f.applicant(region), name=name)
    if assistant:
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True))
    db.session.commit()
    return project.id


def new_item(world, project_id, county="a", status=ItemStatus.ACCEPTED, due_on=None,
             name="测试事项", **kw) -> int:
    c = getattr(world, county)
    project = db.session.get(Project, project_id)
    dept = db.session.get(OrgUnit, c.department.id)
    accepted = kw.pop("accepted_on", (due_on or TODAY) - dt.timedelta(days=30))
    item = f.item(project, dept, name=name, status=status, accepted_on=accepted, due_on=due_on,
                  **kw)
    db.session.commit()
    return item.id


def card(subject, subject_id, level):
    return db.session.scalar(select(WarningCard).where(
        WarningCard.subject == subject, WarningCard.subject_id == subject_id,
        WarningCard.level == level))


def cards_of(subject, subject_id):
    return {c.level: c for c in db.session.scalars(select(WarningCard).where(
        WarningCard.subject == subject, WarningCard.subject_id == subject_id))}


def notices_for_card(card_id):
    return list(db.session.scalars(select(Notification).where(
        Notification.event_key.like(f"card:{card_id}:%"))))


def scan(today=TODAY):
    result = warnings.scan(db.session, today)
    db.session.commit()
    db.session.expire_all()
    return result


# -- the thresholds ---------------------------------------------------------------------------------
def test_thresholds_follow_the_working_day_calendar(app):
    with app.app_context():
        _check_thresholds()


def _check_thresholds():
    assert warnings.last_working_day(TODAY) == TODAY
    saturday = dt.date(2026, 11, 14)
    assert warnings.last_working_day(saturday) == dt.date(2026, 11, 13)
    # Yellow while at most N working days remain: due before the (N+1)th working day.
    assert warnings.yellow_limit(TODAY, 2) == dt.date(2026, 11, 16)
    assert warnings.yellow_limit(dt.date(2026, 11, 13), 2) == dt.date(2026, 11, 18)
    between = getattr(calendar, "working_days_between", None)
    if between is not None:  # the same rule as working_days_between, where it exists
        for due in (dt.date(2026, 11, d) for d in range(5, 20)):
            for today in (dt.date(2026, 11, d) for d in range(8, 16)):
                red = due < warnings.last_working_day(today)
                assert red == (between(due, today) > 0), (due, today)
                if not red:
                    yellow = due < warnings.yellow_limit(today, 2)
                    assert yellow == (between(today, due) <= 2), (due, today)


# -- raising and clearing -----------------------------------------------------------------------------
def test_scan_raises_yellow_and_red_item_cards_and_notifies_once(app, world):
    with app.app_context():
        pid = new_project(world, name="预警测试项目一")
        red = new_item(world, pid, due_on=dt.date(2026, 11, 10), name="超期事项")
        yellow = new_item(world, pid, due_on=dt.date(2026, 11, 13), name="临期事项")
        weekend = new_item(world, pid, due_on=dt.date(2026, 11, 15), name="周日到期事项")
        far = new_item(world, pid, due_on=dt.date(2026, 11, 16), name="尚早事项")
        not_started = new_item(world, pid, status=ItemStatus.NOT_STARTED,
                               due_on=dt.date(2026, 11, 2), name="未开始事项")
        finished = new_item(world, pid, status=ItemStatus.FINISHED,
                            due_on=dt.date(2026, 11, 2), finished_on=dt.date(2026, 11, 2),
                            name="已办结事项")

        result = scan()
        assert result.raised[("ITEM", "RED")] == 1 and result.raised[("ITEM", "YELLOW")] == 2
        assert set(cards_of(CardSubject.ITEM, red)) == {CardLevel.RED}
        assert set(cards_of(CardSubject.ITEM, yellow)) == {CardLevel.YELLOW}
        assert set(cards_of(CardSubject.ITEM, weekend)) == {CardLevel.YELLOW}
        for quiet in (far, not_started, finished):
            assert cards_of(CardSubject.ITEM, quiet) == {}, quiet

        red_card = card(CardSubject.ITEM, red, CardLevel.RED)
        assert red_card.project_id == pid and red_card.due_on == dt.date(2026, 11, 10)
        assert red_card.org_unit_id == world.a.department.id
        assert "超期事项" in red_card.title and red_card.cleared_at is None
        # The project's assistant and the county's dispatcher, nobody else.
        notified = {n.user_id for n in notices_for_card(red_card.id)}
        assert notified == {world.a.users["assistant"].id, world.a.users["dispatcher"].id}
        assert all(n.link == f"/warningcardview/show/{red_card.id}"
                   for n in notices_for_card(red_card.id))
        assert "红牌" in notices_for_card(red_card.id)[0].title

        again = scan()
        assert sum(again.raised.values()) == 0 and again.notifications == 0
        assert len(notices_for_card(red_card.id)) == 2
        assert db.session.scalar(select(func.count()).select_from(WarningCard).where(
            WarningCard.subject_id.in_([red, yellow, weekend]),
            WarningCard.subject == CardSubject.ITEM)) == 3


def test_yellow_turns_red_and_cards_clear_when_the_item_is_done(app, world):
    with app.app_context():
        pid = new_project(world, name="预警测试项目二")
        item_id = new_item(world, pid, due_on=dt.date(2026, 11, 12), name="先黄后红事项")
        scan()
        assert set(cards_of(CardSubject.ITEM, item_id)) == {CardLevel.YELLOW}
        # Two working days later the deadline has passed: red, and the yellow is replaced.
        later = dt.date(2026, 11, 13)
        result = scan(later)
        cards = cards_of(CardSubject.ITEM, item_id)
        assert cards[CardLevel.RED].cleared_at is None
        assert cards[CardLevel.YELLOW].cleared_at is not None
        assert result.cleared[("ITEM", "YELLOW")] == 1
        # The item is finished: its red card is cleared, and stays so.
        item = db.session.get(ApprovalItem, item_id)
        item.status, item.finished_on = ItemStatus.FINISHED, later
        db.session.commit()
        result = scan(later)
        assert cards_of(CardSubject.ITEM, item_id)[CardLevel.RED].cleared_at is not None
        assert result.cleared[("ITEM", "RED")] == 1
        assert scan(later).cleared[("ITEM", "RED")] == 0


def test_an_item_in_corrections_keeps_its_cards_while_the_clock_stops(app, world):
    with app.app_context():
        pid = new_project(world, name="补正测试项目")
        late = new_item(world, pid, due_on=dt.date(2026, 11, 9), name="补正前已超期")
        paused = new_item(world, pid, status=ItemStatus.CORRECTING,
                          due_on=dt.date(2026, 11, 2), name="补正中事项")
        scan()
        assert cards_of(CardSubject.ITEM, paused) == {}  # clock stopped: nothing raised
        item = db.session.get(ApprovalItem, late)
        item.status = ItemStatus.CORRECTING
        db.session.commit()
        scan()
        assert cards_of(CardSubject.ITEM, late)[CardLevel.RED].cleared_at is None  # kept


def test_gap_promise_cards_and_clearing_when_the_promise_is_met(app, world):
    with app.app_context():
        pid = new_project(world, name="容缺测试项目")
        broken = new_item(world, pid, status=ItemStatus.ACCEPTED_WITH_GAPS,
                          due_on=dt.date(2026, 11, 30), gap_materials="节能审查意见",
                          gap_promised_on=dt.date(2026, 11, 6), name="承诺已逾期")
        close = new_item(world, pid, status=ItemStatus.ACCEPTED_WITH_GAPS,
                         due_on=dt.date(2026, 11, 30), gap_materials="消防设计文件",
                         gap_promised_on=dt.date(2026, 11, 12), name="承诺临期")
        scan()
        assert set(cards_of(CardSubject.GAP_PROMISE, broken)) == {CardLevel.RED}
        assert set(cards_of(CardSubject.GAP_PROMISE, close)) == {CardLevel.YELLOW}
        assert cards_of(CardSubject.ITEM, broken) == {}  # the item itself is not late
        gap_card = card(CardSubject.GAP_PROMISE, broken, CardLevel.RED)
        assert "容缺" in gap_card.title and gap_card.due_on == dt.date(2026, 11, 6)
        # Materials supplied: the item is plainly accepted now, the promise card clears.
        item = db.session.get(ApprovalItem, broken)
        item.status = ItemStatus.ACCEPTED
        db.session.commit()
        scan()
        assert card(CardSubject.GAP_PROMISE, broken, CardLevel.RED).cleared_at is not None


def test_work_order_deadline_cards_clear_on_reply_and_come_back_after_return(app, world):
    with app.app_context():
        pid = new_project(world, name="工单期限测试项目")
        wo = WorkOrder(project_id=pid, org_unit_id=world.a.department.id,
                       region_id=world.a.region.id, title="请说明超期原因",
                       reply_due_on=dt.date(2026, 11, 12), status=WorkOrderStatus.OPEN)
        db.session.add(wo)
        db.session.commit()
        wo_id = wo.id
        scan()
        assert set(cards_of(CardSubject.WORK_ORDER, wo_id)) == {CardLevel.YELLOW}
        scan(dt.date(2026, 11, 16))
        assert cards_of(CardSubject.WORK_ORDER, wo_id)[CardLevel.RED].cleared_at is None
        wo = db.session.get(WorkOrder, wo_id)
        wo.status, wo.reply = WorkOrderStatus.REPLIED, "已督促办理"
        db.session.commit()
        scan(dt.date(2026, 11, 16))
        red = cards_of(CardSubject.WORK_ORDER, wo_id)[CardLevel.RED]
        assert red.cleared_at is not None
        first_notices = len(notices_for_card(red.id))
        # Sent back with a new deadline, missed again: the same card is raised again and
        # the new deadline is notified.
        wo = db.session.get(WorkOrder, wo_id)
        wo.status, wo.reply_due_on = WorkOrderStatus.RETURNED, dt.date(2026, 11, 17)
        db.session.commit()
        scan(dt.date(2026, 11, 19))
        red = cards_of(CardSubject.WORK_ORDER, wo_id)[CardLevel.RED]
        assert red.cleared_at is None and red.due_on == dt.date(2026, 11, 17)
        assert len(notices_for_card(red.id)) == 2 * first_notices


def test_cards_of_a_terminated_project_clear(app, world):
    with app.app_context():
        pid = new_project(world, name="终止测试项目")
        item_id = new_item(world, pid, due_on=dt.date(2026, 11, 2), name="终止项目的事项")
        scan()
        assert cards_of(CardSubject.ITEM, item_id)[CardLevel.RED].cleared_at is None
        project = db.session.get(Project, pid)
        project.status = ProjectStatus.TERMINATED
        db.session.commit()
        scan()
        assert cards_of(CardSubject.ITEM, item_id)[CardLevel.RED].cleared_at is not None


def test_region_warning_days_set_the_yellow_window(app, world):
    with app.app_context():
        city = db.session.get(Region, world.city.id)
        region = f.region("丙县", "990003", f.RegionLevel.COUNTY, city, warning_days=5)
        dept = f.org_unit(region, "丙县住房和城乡建设局")
        project = f.project(region, f.applicant(region), name="丙县预警项目")
        item = f.item(project, dept, name="五日预警事项", status=ItemStatus.ACCEPTED,
                      accepted_on=dt.date(2026, 10, 12), due_on=dt.date(2026, 11, 18))
        db.session.commit()
        item_id = item.id
        scan()  # 5 working days: Thu 12 … Wed 18 is within the window
        assert set(cards_of(CardSubject.ITEM, item_id)) == {CardLevel.YELLOW}


# -- the CLI --------------------------------------------------------------------------------------
def test_scan_command_prints_what_it_raised(app, world):
    with app.app_context():
        pid = new_project(world, name="命令行扫描项目")
        new_item(world, pid, due_on=dt.date(2026, 11, 3), name="命令行红牌事项")
    out = app.test_cli_runner().invoke(args=["scan", "--date", TODAY.isoformat()])
    assert out.exit_code == 0, out.output
    assert "warning scan for 2026-11-11" in out.output
    assert "红牌 RED: raised 1" in out.output, out.output
    assert "notifications:" in out.output
    again = app.test_cli_runner().invoke(args=["scan", "--date", TODAY.isoformat()])
    assert "红牌 RED: raised 0" in again.output and "黄牌 YELLOW: raised 0" in again.output


# -- two scans at the same time, on two real workers ---------------------------------------------
@pytest.fixture()
def test_redis(app):
    """The Redis the tests were given (TEST_REDIS_URL), emptied: the workers' queues."""
    from workers.queues import redis_connection

    with app.app_context():
        redis_connection().flushdb()
    return app.config["REDIS_URL"]


def _worker(redis_url: str, database_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "test",
           "DATABASE_URL": database_url, "REDIS_URL": redis_url, "FAB_UPDATE_PERMS": "false"}
    # Output to a file, not a pipe: a work horse outliving its worker would hold a pipe open.
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.guarded", "flask", "--app", "run",
                                 "worker", "--burst"], cwd=ROOT, env=env, start_new_session=True,
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen, timeout: float) -> None:
    """Wait for a burst worker we started to finish; kill its process group if it hangs."""
    import signal

    try:
        worker.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(10)


def test_two_concurrent_scans_on_two_workers_raise_each_card_once(app, world, test_redis,
                                                                  tmp_path):
    from rq.job import Job
    from rq.job import JobStatus as RQStatus

    from workers.queues import redis_connection
    from workers.scan import scan_warnings

    today = clock.today()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        scan(today)  # everything else in the database is carded already
        pid = new_project(world, name="并发扫描项目")
        items = [new_item(world, pid, due_on=today - dt.timedelta(days=20 + i),
                          accepted_on=today - dt.timedelta(days=60), name=f"并发事项{i}")
                 for i in range(30)]
        jobs = [scan_warnings.delay().id, scan_warnings.delay().id]

    engine = create_engine(url)
    # Hold the card table so that both workers reach their INSERT before either may write.
    blocker = engine.connect()
    tx = blocker.begin()
    blocker.execute(text("LOCK TABLE warning_card IN EXCLUSIVE MODE"))
    # Watched from a connection of its own: inside a transaction pg_stat_activity is a
    # snapshot that would never change.
    watcher = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    logs = [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    workers = [_worker(test_redis, url, log) for log in logs]
    waiting = 0
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO warning_card%'")).scalar()
            if waiting >= 2 or any(w.poll() is not None for w in workers):
                break
            time.sleep(0.2)
    finally:
        tx.commit()  # let them race (or, on failure, finish)
        blocker.close()
        watcher.close()
        for w in workers:
            _stop(w, 120)
        engine.dispose()
    outputs = "\n".join(log.read_text()[-3000:] for log in logs)
    assert waiting == 2, "both scans should have run at the same time:\n" + outputs
    with app.app_context():
        conn = redis_connection()
        results = [Job.fetch(j, connection=conn) for j in jobs]
        assert all(r.get_status() == RQStatus.FINISHED for r in results), outputs
        raised = [r.return_value()["raised"]["RED"] for r in results]
        assert sorted(raised) == [0, 30], raised  # one scan raised them all, the other none
        db.session.expire_all()
        for item_id in items:
            rows = db.session.scalars(select(WarningCard).where(
                WarningCard.subject == CardSubject.ITEM, WarningCard.subject_id == item_id)).all()
            assert [c.level for c in rows] == [CardLevel.RED]
            notified = [n.user_id for n in notices_for_card(rows[0].id)]
            assert sorted(notified) == sorted({world.a.users["assistant"].id,
                                               world.a.users["dispatcher"].id})


# -- the screens --------------------------------------------------------------------------------------
def test_cards_screen_is_scoped_and_offers_the_work_order(app, world, login):
    with app.app_context():
        a_item = new_item(world, new_project(world, name="甲县卡片项目"),
                          due_on=dt.date(2026, 11, 2), name="甲县红牌事项")
        b_item = new_item(world, new_project(world, county="b", name="乙县卡片项目"),
                          county="b", due_on=dt.date(2026, 11, 2), name="乙县红牌事项")
        scan()
        a_card = card(CardSubject.ITEM, a_item, CardLevel.RED).id
        b_card = card(CardSubject.ITEM, b_item, CardLevel.RED).id
    client = login("a_dispatcher")
    html = client.get("/warningcardview/list/?psize_WarningCardView=100").get_data(as_text=True)
    assert "甲县红牌事项" in html and "乙县红牌事项" not in html
    assert f"/warningcardview/dispatch/{a_card}" in html and '<td data-col="id">' in html
    assert client.get(f"/warningcardview/show/{a_card}").status_code == 200
    assert client.get(f"/warningcardview/show/{b_card}").status_code == 404
    assert client.get(f"/warningcardview/dispatch/{b_card}").status_code == 404
    assert client.get("/warningcardview/edit/%d" % a_card).status_code == 404
    form = client.get(f"/warningcardview/dispatch/{a_card}").get_data(as_text=True)
    assert "甲县住房和城乡建设局" in form and "乙县住房和城乡建设局" not in form
    assert 'id="model_form" action=""' in form  # posts back to itself
    # An assistant reads cards but may not dispatch.
    client = login("a_assistant")
    html = client.get("/warningcardview/list/?psize_WarningCardView=100").get_data(as_text=True)
    assert "甲县红牌事项" in html and f"/warningcardview/dispatch/{a_card}" not in html
    # ... and sees no operations column, empty on every row.
    assert '<td data-col="id">' not in html and "操作" not in html
    assert client.get(f"/warningcardview/dispatch/{a_card}").status_code == 403
