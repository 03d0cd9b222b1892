"""In a real (headless) browser: an assistant raises a coordination request (first without
an owner unit: refused next to the field, the text kept), county a's dispatcher finds it
in the list by its badges, escalates it to the city with a reason, prints the
重大项目服务专报 and downloads it from 我的任务; the downloaded file is a Word document with
the request's history. Screenshots go to pytest's ``tmp_path`` and /tmp/e2e_shots/."""
from __future__ import annotations

import docx
from rq import SimpleWorker
from sqlalchemy import select

from app.extensions import db
from app.models import CoordinationLevel, CoordinationRequest, JobRecord, JobStatus
from tests.test_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    _select2_pick,
    _shooter,
    browser_page,
    e2e_server,
    expect,
)
from tests.waiting import wait_until
from workers.queues import queue, redis_connection

PROBLEM = "项目红线内有一条10千伏线路需迁改，供电公司未出具迁改方案，桩基无法施工。"


def _sign_in(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)


def test_a_dispatcher_escalates_a_request_and_prints_the_report(app, world, browser_page,
                                                                tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)

    # -- the assistant raises the request; without an owner it is refused, text kept ------
    _sign_in(page, url, "a_assistant")
    page.goto(f"{url}/coordinationrequestview/add?_flt_0_project={world.a.project.id}")
    page.fill("#title", "线路迁改方案未出具")
    _select2_pick(page, "category", "要素保障")
    page.fill("#problem", PROBLEM)
    page.fill("#requested_outcome", "5个工作日内出具迁改方案")
    page.fill("#days", "3")
    page.locator("#coordination-raise-submit").click()
    expect(page.locator("#field-owner_units .field-error")).to_contain_text("责任单位")
    expect(page.locator("#problem")).to_have_value(PROBLEM)
    shot("raise_refused_without_owner")
    # The owner units: a Select2 box of many choices.
    page.locator("select#owner_units + .select2-container .select2-selection").click()
    page.locator(".select2-container--open .select2-results__option",
                 has_text="甲县住房和城乡建设局").first.click()
    expect(page.locator("#field-owner_units .select2-selection__choice")).to_contain_text(
        "甲县住房和城乡建设局")
    page.keyboard.press("Escape")
    shot("raise_form_filled")
    page.locator("#coordination-raise-submit").click()
    page.wait_for_url(lambda u: "/show/" in u)
    expect(page.locator("#coordination-steps")).to_contain_text("发起")
    shot("request_raised")
    with app.app_context():
        rid = db.session.scalars(select(CoordinationRequest.id)).one()

    # -- the department finds it under 待我单位答复 and replies --------------------------------
    _sign_in(page, url, "a_dept")
    page.goto(f"{url}/awaitingmyunitview/list/")
    expect(page.locator("table.table-bordered")).to_contain_text("线路迁改方案未出具")
    shot("department_awaiting_list")
    page.goto(f"{url}/coordinationrequestview/show/{rid}")
    page.fill("#coordination-reply #reply", "供电公司称需县里协调线路走廊")
    shot("department_reply_form")
    page.locator("#coordination-reply button[type=submit]").click()
    expect(page.locator("#coordination-owners")).to_contain_text("需县里协调线路走廊")

    # -- the dispatcher finds it in the list and escalates it to the city -------------------
    _sign_in(page, url, "a_dispatcher")
    page.goto(f"{url}/coordinationrequestview/list/")
    row = page.locator("table tr", has_text="线路迁改方案未出具")
    expect(row.locator(".app-badge-blue")).to_have_text("县（市、区）级")
    expect(row.locator(".app-badge-teal")).to_have_text("已答复")
    shot("dispatcher_list")
    page.goto(f"{url}/coordinationrequestview/show/{rid}")
    expect(page.locator("#coordination-owners")).to_contain_text("需县里协调线路走廊")
    page.fill("#coordination-escalate #reason", "县级协调未果，涉及市级线路走廊规划")
    shot("escalate_form")
    page.locator("#coordination-escalate-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("已升级")
    expect(page.locator("#coordination-steps")).to_contain_text("县级协调未果")
    shot("escalated_to_city")
    with app.app_context():
        req = db.session.get(CoordinationRequest, rid)
        assert (req.level, req.region_id) == (CoordinationLevel.CITY, world.city.id)

    # -- … and prints the 专报, downloaded from 我的任务 ------------------------------------
    with app.app_context():
        redis_connection().flushdb()  # the Redis the tests were given (TEST_REDIS_URL)
    page.locator("#coordination-report button").click()
    page.wait_for_url(lambda u: "/jobrecordview/list" in u)
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        record = db.session.scalars(select(JobRecord).where(
            JobRecord.kind == "coordination_report")).one()
        assert record.status is JobStatus.FINISHED, record.error
        record_id = record.id
    page.reload()
    link = page.locator(f"a[href$='/jobrecordview/file/{record_id}']")
    wait_until(lambda: link.count() == 1, 10)
    shot("download_centre")
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "专报.docx"
    info.value.save_as(str(path))
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert text.startswith("重大项目服务专报")
    assert "甲县重点项目：线路迁改方案未出具" in text and PROBLEM in text
    assert "供电公司称需县里协调线路走廊" in text and "县级协调未果" in text

    assert browser_page.outside == [] and browser_page.js_errors == []
    assert [r for r in browser_page.bad_responses if "favicon" not in r] == []
