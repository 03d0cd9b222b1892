"""The main lists in a real (headless) browser, as each role uses them every day: a clerk,
a dispatcher and a department officer sign in and open the projects, approval items and
red/yellow cards. The badges are there and coloured by meaning — the browser's computed
background of a red card is red and of a yellow card yellow —, no cell reads None/True,
no state or date wraps one character per line, and the pages fit a 390 px phone (wide
tables scroll inside their box). Date pickers speak Chinese.

Screenshots at desktop width and at 390 px go to pytest's ``tmp_path`` (and are copied to
/tmp/e2e_shots/screens/ for a person to look at).
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright import sync_api as playwright_api
from werkzeug.serving import make_server

from app import clock
from app.extensions import db
from app.models import (
    Applicant,
    CardLevel,
    CardSubject,
    ItemStatus,
    OrgUnit,
    Region,
    WarningCard,
)

from . import factories as f

expect = playwright_api.expect
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS_COPY_DIR = Path("/tmp/e2e_shots/screens")
D = dt.date
TODAY = D(2026, 11, 16)
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
LISTS = {"projects": "/projectview/list/", "items": "/approvalitemview/list/",
         "cards": "/warningcardview/list/"}
ROLES = ("a_clerk", "a_dispatcher", "a_dept")

# In the page: every list cell's text, and the cells (and headers) whose text is laid out
# one character per line (as many lines as characters, two or more).
CELLS_JS = """() => [...document.querySelectorAll('td[data-col]')].map(td => td.innerText.trim())"""
ONE_CHAR_PER_LINE_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('th[data-col], td[data-col]')) {
    const text = el.innerText.trim();
    if (text.length < 2) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const lh = parseFloat(getComputedStyle(el).lineHeight) || 20;
    const lines = Math.round(range.getBoundingClientRect().height / lh);
    if (lines >= 2 && lines >= text.length) out.push(el.dataset.col + ': ' + text);
  }
  return out;
}"""
BADGE_COLOURS_JS = """() => [...document.querySelectorAll('td[data-col=level] .app-badge')]
  .map(b => [b.innerText.trim(), getComputedStyle(b).backgroundColor])"""


@pytest.fixture(scope="module")
def screen_data(app, world):
    """County a: a project with an overdue red-carded item, a yellow-carded item due
    tomorrow, a finished one and one not started; the cards name the department, so the
    department officer sees them too."""
    with app.app_context():
        a = world.a
        region = db.session.get(Region, a.region.id)
        dept = db.session.get(OrgUnit, a.department.id)
        applicant = db.session.get(Applicant, a.applicant.id)
        project = f.project(region, applicant, name="浏览器屏幕测试项目（很长的项目名称用来看换行）",
                            code="BROWSER-SCREENS-1")
        late = f.item(project, dept, name="建设工程规划许可证核发", status=ItemStatus.ACCEPTED,
                      accepted_on=D(2026, 11, 2), due_on=D(2026, 11, 9))
        soon = f.item(project, dept, name="施工图审查", status=ItemStatus.CORRECTING,
                      accepted_on=D(2026, 11, 9), due_on=D(2026, 11, 17))
        f.item(project, dept, name="用地预审", status=ItemStatus.FINISHED,
               accepted_on=D(2026, 10, 1), due_on=D(2026, 10, 9), finished_on=D(2026, 10, 8))
        f.item(project, dept, name="竣工验收备案", status=ItemStatus.NOT_STARTED)
        db.session.add_all([
            WarningCard(subject=CardSubject.ITEM, subject_id=late.id, level=CardLevel.RED,
                        project_id=project.id, org_unit_id=dept.id,
                        title="建设工程规划许可证核发已超期", due_on=late.due_on),
            WarningCard(subject=CardSubject.ITEM, subject_id=soon.id, level=CardLevel.YELLOW,
                        project_id=project.id, org_unit_id=dept.id, title="施工图审查即将到期",
                        due_on=soon.due_on),
        ])
        db.session.commit()
        return {"project": project.id}


@pytest.fixture()
def server(app, world, screen_data, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def browser(server):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser, url, width, height, problems):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN")
    context.set_default_timeout(15_000)

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"outside request {route.request.url}")
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"js error {exc}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    return context, page


def _sign_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", f.PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    expect(page.locator(".navbar")).to_contain_text(username)


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return r, g, b


def _is_red(rgb) -> bool:
    r, g, b = rgb
    return r >= 150 and g <= 80 and b <= 80


def _is_yellow(rgb) -> bool:
    r, g, b = rgb
    return r >= 200 and g >= 160 and b <= 100


def _shot(page, tmp_path, name):
    SHOTS_COPY_DIR.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, SHOTS_COPY_DIR / path.name)
    return path


@pytest.mark.parametrize("username", ROLES)
def test_a_role_reads_its_main_lists(browser, server, tmp_path, username):
    problems: list[str] = []
    for size, (width, height) in WIDTHS.items():
        context, page = _page(browser, server, width, height, problems)
        try:
            _sign_in(page, server, username)
            for name, path in LISTS.items():
                page.goto(f"{server}{path}")
                expect(page.locator("table.table td[data-col]").first).to_be_visible()
                _shot(page, tmp_path, f"{username}_{name}_{size}")
                cells = page.evaluate(CELLS_JS)
                assert cells, (username, name)
                raw = [c for c in cells if c in ("None", "True", "False")
                       or re.fullmatch(r"[A-Z][A-Z_]{3,}", c)]
                assert not raw, (username, name, size, raw)
                assert page.evaluate(ONE_CHAR_PER_LINE_JS) == [], (username, name, size)
                # Wide tables scroll inside their box; the page itself fits the screen.
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 1, (username, name, size, overflow)
                status = page.locator("td[data-col=status] .app-badge")
                if name in ("projects", "items"):
                    expect(status.first).to_be_visible()
                if name == "items":
                    expect(page.locator("td[data-col=overdue_working_days] .app-badge-red")
                           .first).to_be_visible()
                if name == "cards":
                    colours = dict(page.evaluate(BADGE_COLOURS_JS))
                    assert _is_red(_rgb(colours["红牌"])), colours
                    assert _is_yellow(_rgb(colours["黄牌"])), colours
        finally:
            context.close()
    assert problems == []


def test_a_date_picker_speaks_chinese(browser, server, tmp_path):
    problems: list[str] = []
    context, page = _page(browser, server, *WIDTHS["desktop"], problems)
    try:
        _sign_in(page, server, "a_clerk")
        page.goto(f"{server}/approvalitemview/add")
        page.locator("#accepted_on").click()
        picker = page.locator(".datepicker-dropdown")
        expect(picker).to_be_visible()
        expect(picker.locator(".datepicker-days thead")).to_contain_text("一")
        expect(picker.locator(".datepicker-switch").first).to_contain_text("年")
        _shot(page, tmp_path, "clerk_date_picker")
        # A date filter added from the search panel gets a (Chinese) picker as well.
        page.goto(f"{server}/approvalitemview/list/")
        page.locator("a.accordion-toggle").click()
        page.locator("#filter_form button.dropdown-toggle").click()
        page.locator("#filter_form a.filter[name=due_on]").click()
        page.locator("#filter_form input[name^=_flt_][name$=_due_on]").click()
        expect(page.locator(".datepicker-dropdown .datepicker-switch").first).to_contain_text(
            "年")
        _shot(page, tmp_path, "clerk_date_filter")
    finally:
        context.close()
    assert problems == []
