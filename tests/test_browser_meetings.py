"""In a real (headless) browser: county a's dispatcher holds a progress meeting — creates
it, ticks the attendees from the task-force roster, lets the data propose the agenda,
writes the minutes, records a decision (first without an owner unit and with a due date in
the past: refused next to the fields, the text kept) — and exports the meeting pack, which
the worker writes and the dispatcher downloads from 我的任务. Screenshots go to tmp_path
and /tmp/e2e_shots/."""
from __future__ import annotations

import datetime as dt

import openpyxl
from rq import SimpleWorker
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Decision, Meeting
from tests.test_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    _select2_pick,
    _shooter,
    browser_page,
    e2e_server,
    expect,
)
from tests.test_meetings import story  # noqa: F401  (the fixture)
from workers.queues import queue, redis_connection


def _sign_in(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)


def _set_date(page, field_id, day):
    """FAB's date picker field: the value as the picker writes it."""
    page.locator(f"#{field_id}").evaluate("(el, v) => { el.value = v; }", day.isoformat())


def test_the_dispatcher_holds_a_meeting_and_exports_its_pack(
        app, world, story, browser_page, tmp_path):  # noqa: F811
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)
    _sign_in(page, url, "a_dispatcher")

    # -- the meeting ---------------------------------------------------------------------
    page.goto(f"{url}/meetingview/add")
    _select2_pick(page, "region", "甲县")
    _select2_pick(page, "kind", "推进会")
    page.fill("#title", "12月项目推进会")
    _set_date(page, "held_on", clock.today())
    page.fill("#location", "区政务服务中心三楼")
    _select2_pick(page, "chair", "张伟")
    shot("meeting_form")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/add" not in u)
    with app.app_context():
        meeting_id = db.session.scalars(select(Meeting.id).where(
            Meeting.title == "12月项目推进会")).one()
    page.goto(f"{url}/meetingview/show/{meeting_id}")
    expect(page.locator("#meeting-title")).to_contain_text("12月项目推进会")

    # -- attendees from the roster -------------------------------------------------------
    page.locator("#meeting-attendees").click()
    expect(page.locator("#attendees")).to_contain_text("李强 副局长")
    page.locator("label", has_text="李强").locator("input").check()
    page.locator("label", has_text="专班办公室").locator("input").check()
    shot("attendees")
    page.locator("#save-attendees").click()
    expect(page.locator("#meeting-people")).to_contain_text("李强")

    # -- the agenda proposed from the data ----------------------------------------------
    page.locator("#meeting-propose").click()
    proposals = page.locator("#proposals")
    expect(proposals).to_contain_text("红牌项目")
    expect(proposals).to_contain_text("临期项目")
    expect(proposals).not_to_contain_text("平稳项目")
    shot("agenda_proposal")
    page.locator("#add-to-agenda").click()
    expect(page.locator("#meeting-agenda")).to_contain_text("红牌项目")

    # -- minutes -----------------------------------------------------------------------
    page.locator("#meeting-edit").click()
    page.fill("#minutes", "会议听取了红牌项目施工许可超期的情况汇报，要求住建局加快审查。")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/edit/" not in u)

    # -- a decision: without an owner and with a due date in the past it is refused, each
    #    next to its field, the text kept ----------------------------------------------
    page.goto(f"{url}/meetingview/show/{meeting_id}")
    page.locator("#meeting-decide").click()
    _select2_pick(page, "project", "红牌项目", type_text="红牌")
    page.fill("#content", "住建局5个工作日内完成施工许可审查")
    _set_date(page, "due_on", clock.today() - dt.timedelta(days=3))
    page.locator("#model_form [type=submit]").first.click()
    expect(page.locator("#model_form")).to_contain_text("议定事项须有责任单位")
    expect(page.locator("#model_form")).to_contain_text("已过")
    expect(page.locator("#content")).to_have_value("住建局5个工作日内完成施工许可审查")
    shot("decision_refused_no_owner_past_due_date")
    _select2_pick(page, "owner_unit", "甲县住房和城乡建设局")
    _set_date(page, "due_on", clock.today() + dt.timedelta(days=7))
    page.locator("#model_form [type=submit]").first.click()
    page.goto(f"{url}/meetingview/show/{meeting_id}")
    expect(page.locator("#meeting-decisions")).to_contain_text("住建局5个工作日内完成施工许可审查")
    shot("meeting_held")
    with app.app_context():
        assert db.session.scalars(select(Decision).where(
            Decision.meeting_id == meeting_id)).one().owner_unit_id == story.housing_id

    # -- the meeting pack, from the worker, downloaded from 我的任务 ------------------------
    page.locator("#meeting-pack").click()
    page.wait_for_url(lambda u: "/jobrecordview/list" in u)
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
    page.reload()
    shot("my_jobs")
    link = page.locator("a[href*='/jobrecordview/file/']").first
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("会议材料-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    ws = openpyxl.load_workbook(target)["会议材料"]
    assert ws["A1"].value == "甲县推进会：12月项目推进会会议材料"
    codes = [ws.cell(r, 2).value for r in range(5, ws.max_row + 1)]
    assert codes == ["MTG-DUE", "MTG-RED"]  # the proposal's order: by project code
    assert browser_page.js_errors == [] and browser_page.outside == []
