"""Browser journey of a department officer (a_dept) on an approval item, in headless
Chromium against the live app: from the item's page to its actions; 受理 with a date;
要求补正 (the item reads 补正中, its due date paused); 补正到达; a finish date before the
acceptance is refused next to the field with what was typed kept; 办结 with result and
certificate number, after which the enterprise has been told the result.

Screenshots go to tmp_path and /tmp/e2e_item_actions/.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Applicant, ApprovalItem, ItemStatus, Notification, ProjectAssistant, Region
from tests import factories as f
from tests.test_browser import PASSWORD, browser_page, e2e_server  # noqa: F401

expect = pytest.importorskip("playwright.sync_api").expect

SHOTS = Path("/tmp/e2e_item_actions")


def _shooter(page, tmp_path: Path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(name: str) -> Path:
        path = tmp_path / f"{next(counter):02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / path.name)
        return path

    return shot


def test_a_department_officer_accepts_asks_for_corrections_and_finishes(app, world,
                                                                       browser_page,
                                                                       tmp_path):
    with app.app_context():
        c = world.a
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id), name="浏览器办理项目")
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True))
        db.session.commit()
        item_id, project_id = project.items[0].id, project.id
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)
    page.goto(f"{url}/login/")
    page.fill("#username", "a_dept")
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)

    page.goto(f"{url}/approvalitemview/show/{item_id}")
    page.click("#open-item-actions")
    expect(page.locator("#item-status")).to_have_text("未开始")
    expect(page.locator("#action-finish")).to_have_count(0)
    shot("item_not_started")

    page.fill("#accept-on", "2026-11-02")
    page.fill("#accept-responsible_person", "王科长")
    page.click("#do-accept")
    expect(page.locator("#item-status")).to_have_text("已受理")
    expect(page.locator("#item-due")).to_have_text("2026-11-05")
    shot("accepted")

    page.fill("#request_correction-on", "2026-11-03")
    page.fill("#request_correction-note", "补充消防设计文件")
    page.click("#do-request_correction")
    expect(page.locator("#item-status")).to_have_text("补正中")
    expect(page.locator("#item-due")).to_have_text("")
    expect(page.locator("#item-corrections")).to_contain_text("补充消防设计文件")
    shot("correcting")

    page.fill("#correction_arrived-on", "2026-11-06")
    page.click("#do-correction_arrived")
    expect(page.locator("#item-status")).to_have_text("已受理")
    expect(page.locator("#item-due")).to_have_text("2026-11-11")

    # A finish date before the acceptance: refused next to the field, nothing lost.
    page.fill("#finish-on", "2026-10-30")
    page.fill("#finish-result", "准予许可")
    page.fill("#finish-certificate_no", "SG-2026-088")
    page.click("#do-finish")
    expect(page.locator("#action-finish .field-error")).to_contain_text("不能早于受理日期")
    expect(page.locator("#finish-certificate_no")).to_have_value("SG-2026-088")
    expect(page.locator("#item-status")).to_have_text("已受理")
    shot("finish_refused")

    page.fill("#finish-on", "2026-11-09")
    page.click("#do-finish")
    expect(page.locator("#item-status")).to_have_text("已办结")
    expect(page.locator("#item-result")).to_contain_text("SG-2026-088")
    expect(page.locator("#item-told")).to_contain_text("a_company")
    expect(page.locator("#no-actions")).to_be_visible()
    shot("finished")
    # The project page's process timeline has reached 指导申报, 协调办理 and 告知结果.
    page.goto(f"{url}/projectview/show/{project_id}")
    for step in ("intake", "declare", "coordinate", "tell"):
        expect(page.locator(f'[data-step="{step}"]')).to_have_class(
            "process-step reached")
    expect(page.locator('[data-step="evaluate"]')).to_have_class("process-step not-reached")
    shot("project_timeline")

    with app.app_context():
        db.session.expire_all()
        item = db.session.get(ApprovalItem, item_id)
        assert item.status == ItemStatus.FINISHED and item.certificate_no == "SG-2026-088"
        assert db.session.scalar(select(Notification.id).where(
            Notification.user_id == world.a.users["company"].id,
            Notification.event_key.like(f"result:{item_id}:%")))
    assert browser_page.outside == [] and browser_page.js_errors == []


def test_an_assistant_sees_my_projects_and_the_archive_checklist(app, world, browser_page,
                                                               tmp_path):
    with app.app_context():
        c = world.a
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id), name="浏览器归档项目")
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True))
        db.session.commit()
        project_id = project.id
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)
    page.goto(f"{url}/login/")
    page.fill("#username", "a_assistant")
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{url}/myprojects/")
    expect(page.locator(f'.my-project[data-project-id="{project_id}"]')).to_contain_text(
        "浏览器归档项目")
    shot("my_projects")
    page.goto(f"{url}/projectview/show/{project_id}")
    page.click("#open-archive")
    page.select_option("#category", "PLAN")
    page.set_input_files("#files", files=[{"name": "服务方案.pdf", "mimeType": "application/pdf",
                                           "buffer": b"%PDF-1.4\n"}])
    page.click("#do-upload")
    expect(page.locator("#archive-files")).to_contain_text("服务方案.pdf")
    page.click("#do-close")
    expect(page.locator(".archive-refusal")).to_contain_text("缺少：台账、评价资料")
    shot("archive_refused")
    assert browser_page.outside == [] and browser_page.js_errors == []
