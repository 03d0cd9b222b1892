"""In a real (headless) browser on a phone-sized screen (390×844): the assistant, at the
site, logs a visit with two photos taken with the camera; a file that is not a photo is
refused next to the photo field with everything typed kept; the saved log shows when and
how far from the site each photo was taken; the dispatcher's 今日报送 lists the project as
reported. Screenshots go to pytest's ``tmp_path`` and /tmp/e2e_shots/worklogs/."""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import WorkLog
from tests.test_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    browser_page,
    e2e_server,
    expect,
)
from tests.test_work_logs import NEAR, PHP_AS_JPG, _project, jpeg

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/e2e_shots/worklogs")


def _shooter(page, tmp_path: Path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(name: str) -> Path:
        path = tmp_path / f"{next(counter):02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / path.name)
        return path

    return shot


def _sign_in(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_an_assistant_logs_a_site_visit_with_photos_on_a_phone(app, world, browser_page,
                                                               tmp_path):  # noqa: F811
    page, url = browser_page.page, browser_page.url
    page.set_viewport_size(PHONE)
    shot = _shooter(page, tmp_path)
    pid = _project(app, world)

    _sign_in(page, url, "a_assistant")
    page.goto(f"{url}/worklogview/add?project={pid}")
    expect(page.locator("#project")).to_have_value(str(pid))
    assert _fits_the_screen(page)
    shot("log_form_on_phone")

    # A "photo" that is a PHP file: refused next to the photo field, the text kept.
    page.select_option("#kind", "VISIT")
    page.fill("#content", "到项目现场查看基坑开挖进度，核对施工许可公示牌")
    page.fill("#people_met", "施工单位项目经理李工")
    page.fill("#follow_ups", "提醒企业下周一前补交监理合同")
    page.set_input_files("#photo-album", files=[
        {"name": "shell.jpg", "mimeType": "image/jpeg", "buffer": PHP_AS_JPG}])
    page.locator("#save-log").click()
    expect(page.locator("#error-photos")).to_contain_text("shell.jpg")
    expect(page.locator("#content")).to_have_value("到项目现场查看基坑开挖进度，核对施工许可公示牌")
    expect(page.locator("#people_met")).to_have_value("施工单位项目经理李工")
    assert _fits_the_screen(page)
    shot("photo_refused_text_kept")

    # Two shots with the camera input: each shot keeps its input and a fresh one is offered.
    page.set_input_files("#photo-camera", files=[
        {"name": "IMG_0101.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.set_input_files("#photo-camera", files=[
        {"name": "IMG_0102.jpg", "mimeType": "image/jpeg",
         "buffer": jpeg(position=(NEAR[0] + 0.01, NEAR[1]))}])
    expect(page.locator("#photo-chosen li")).to_have_count(2)
    shot("two_photos_chosen")
    page.locator("#save-log").click()
    page.wait_for_url(lambda u: "/show/" in u)
    expect(page.locator("#log-photos figure")).to_have_count(2)
    expect(page.locator("#log-photos")).to_contain_text(
        "拍摄于 2026-12-01 10:12，距项目地址约 300 米")
    expect(page.locator("#log-photos")).to_contain_text("距项目地址约 1.4 公里")
    loaded = page.evaluate("Array.from(document.querySelectorAll('#log-photos img'))"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    assert loaded
    assert _fits_the_screen(page)
    shot("log_saved_with_photos")
    with app.app_context():
        log = db.session.scalars(select(WorkLog).where(WorkLog.project_id == pid)).one()
        assert [p.filename for p in log.photos] == ["IMG_0101.jpg", "IMG_0102.jpg"]
        assert log.people_met == "施工单位项目经理李工"

    page.goto(f"{url}/worklogview/list/")
    expect(page.locator("body")).to_contain_text("到项目现场查看基坑开挖进度")
    shot("log_list_on_phone")

    # The project's page has the 日志 tab with the log.
    page.goto(f"{url}/projectview/show/{pid}")
    page.locator("a[data-toggle=tab]", has_text="帮办代办日志").click()
    expect(page.locator("#ProjectWorkLogsView")).to_contain_text("到项目现场查看基坑开挖进度")
    shot("project_log_tab")

    # The dispatcher's 今日报送 lists the project as reported (the phone screen too).
    _sign_in(page, url, "a_dispatcher")
    page.goto(f"{url}/dailyreport/")
    expect(page.locator(f"tr[data-project='{pid}'] .report-state")).to_have_text("已报送")
    shot("daily_report_dispatcher")
    assert browser_page.outside == [] and browser_page.js_errors == []
