"""End-to-end journey in a real (headless) browser: a county clerk signs in on the
Chinese login page, registers a major project, gives it two approval items, finds it
again through the list's search and opens its detail page.

The app runs in a live werkzeug server on 127.0.0.1; the browser may load nothing from
anywhere else (every other request is aborted and recorded, and the test fails on any).
Screenshots of every step go to pytest's ``tmp_path`` and are copied to /tmp/e2e_shots/.
"""
from __future__ import annotations

import re
import shutil
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from playwright import sync_api as playwright_api  # noqa: E402
from werkzeug.serving import make_server

expect = playwright_api.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS_COPY_DIR = Path("/tmp/e2e_shots")
PASSWORD = "TestPass@2026"

COUNTY = "甲县"
APPLICANT = "甲县建设发展有限公司"
DEPARTMENT = "甲县住房和城乡建设局"
TEMPLATE_ITEM = "甲县施工许可"  # instantiated automatically for every new county-a project


@pytest.fixture()
def e2e_server(app, world):
    """The app served over HTTP by a werkzeug server in a daemon thread; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def browser_page(e2e_server):
    """A headless Chromium page that may only talk to the live server."""
    # .ci/run installs Debian's chromium; without it this test must fail, not hide.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    outside: list[str] = []
    js_errors: list[str] = []
    bad_responses: list[str] = []

    def only_local(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="zh-CN")
        context.set_default_timeout(10_000)
        context.route("**/*", only_local)
        page = context.new_page()
        page.on("pageerror", lambda exc: js_errors.append(str(exc)))
        page.on("response", lambda resp: bad_responses.append(f"{resp.status} {resp.url}")
                if resp.status >= 400 else None)
        try:
            yield SimpleNamespace(url=e2e_server, page=page, outside=outside,
                                  js_errors=js_errors, bad_responses=bad_responses)
        finally:
            context.close()
            browser.close()


def _shooter(page, tmp_path: Path):
    SHOTS_COPY_DIR.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(name: str) -> Path:
        path = tmp_path / f"{next(counter):02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS_COPY_DIR / path.name)
        return path

    return shot


def _select2_pick(page, field_id: str, option_text: str, *, type_text: str | None = None):
    """Open the Select2 box that decorates ``select#field_id`` and click an option.

    With ``type_text`` the text is typed into the search box first (AJAX type-ahead)."""
    page.locator(f"select#{field_id} + .select2-container .select2-selection").click()
    dropdown = page.locator(".select2-container--open .select2-dropdown")
    expect(dropdown).to_be_visible()
    if type_text is not None:
        dropdown.locator(".select2-search__field").fill(type_text)
    dropdown.locator(".select2-results__option", has_text=option_text).first.click()
    expect(page.locator(f"#select2-{field_id}-container")).to_contain_text(option_text)


def _fill_item_form(page, stage: str, name: str, days: int):
    _select2_pick(page, "stage", stage)
    page.fill("#name", name)
    _select2_pick(page, "department", DEPARTMENT)
    page.fill("#time_limit_days", str(days))


def test_clerk_registers_project_with_items(browser_page, tmp_path):
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)
    code = f"E2E-{uuid.uuid4().hex[:8].upper()}"
    project_name = f"端到端测试项目{code[-4:]}"
    item_names = [f"建设用地规划许可{code[-4:]}", f"工程规划许可{code[-4:]}"]

    # -- 1. The Chinese login page ---------------------------------------------------
    page.goto(f"{url}/login/")
    expect(page.locator("body")).to_contain_text("登录")
    expect(page.locator("form")).to_contain_text("用户名")
    expect(page.locator("form")).to_contain_text("密码")
    expect(page).to_have_title(re.compile("重大项目政务服务平台"))
    shot("login_page")
    page.fill("#username", "a_clerk")
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    expect(page.locator(".navbar")).to_contain_text("a_clerk")
    shot("home_after_login")

    # -- 2. Menu 项目管理 → 重大项目 ---------------------------------------------------
    page.locator(".navbar a.dropdown-toggle", has_text="项目管理").click()
    page.locator(".navbar a[href='/projectview/list/']").click()
    page.wait_for_url("**/projectview/list/")
    expect(page.locator(".panel-primary > .panel-heading")).to_contain_text("重大项目")
    expect(page.locator("table.table-bordered")).to_contain_text("项目代码")
    shot("project_list")

    # -- 3. Add a project --------------------------------------------------------------
    page.locator("a[href*='/projectview/add']").first.click()
    page.wait_for_url("**/projectview/add*")
    expect(page.locator(".panel-primary > .panel-heading")).to_contain_text("新增项目")
    page.fill("#code", code)
    page.fill("#name", project_name)
    _select2_pick(page, "region", COUNTY)
    _select2_pick(page, "applicant", APPLICANT, type_text=APPLICANT[:2])
    _select2_pick(page, "list_level", "县级")
    page.fill("#list_year", "2026")
    _select2_pick(page, "status", "在办")
    page.fill("#investment_wan", "12345.67")
    shot("project_form_filled")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()
    shot("project_saved")

    # -- 4. Open the new project and add item 1 from its 审批事项 tab ----------------
    page.goto(f"{url}/projectview/list/?_flt_0_code={code}")
    row = page.locator("table.table-bordered tbody tr", has_text=code)
    expect(row).to_have_count(1)
    row.locator("a[href*='/projectview/show/']").click()
    page.wait_for_url("**/projectview/show/*")
    project_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
    expect(page.locator("body")).to_contain_text(project_name)
    items_panel = _open_tab(page, "审批事项")
    expect(items_panel).to_contain_text(TEMPLATE_ITEM)
    shot("project_detail_before_items")
    items_panel.locator(f"a[href*='/projectitemsview/add?_flt_0_project={project_id}']").click()
    page.wait_for_url("**/projectitemsview/add*")
    # FAB fills the project in from the related tab, so the form does not ask for it.
    expect(page.locator("#model_form select#project")).to_have_count(0)
    _fill_item_form(page, "立项用地规划许可", item_names[0], 10)
    shot("item1_form_from_related_tab")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()
    shot("item1_saved")

    # -- 5. Add item 2 from 审批事项 → add, picking the project by typing its code -----
    page.goto(f"{url}/approvalitemview/list/")
    page.locator("a[href*='/approvalitemview/add']").first.click()
    page.wait_for_url("**/approvalitemview/add*")
    with page.expect_response(lambda r: "/lookup/project" in r.url and code in r.url) as lk:
        _select2_pick(page, "project", code, type_text=code)
    assert lk.value.status == 200
    _fill_item_form(page, "工程建设许可", item_names[1], 15)
    shot("item2_form_with_project_typeahead")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()
    shot("item2_saved")

    # -- 6. Find the project through the list's search form ----------------------------
    page.goto(f"{url}/projectview/list/")
    _expand(page, "搜索")
    page.locator("#filter_form button.dropdown-toggle").click()
    page.locator("#filter_form a.filter[name='code']").click()
    page.locator("#filter_form table.filters input[name^='_flt_']").fill(code)
    shot("project_search_form")
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*_flt_\d+_code=.*"))
    row = page.locator("table.table-bordered tbody tr", has_text=code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(project_name)
    expect(row).to_contain_text(COUNTY)
    expect(row).to_contain_text("县级")
    expect(row).to_contain_text("12345.67")
    expect(row).to_contain_text("在办")
    shot("project_search_result")

    # -- 7. Its detail page lists the template item and the two new ones --------------
    row.locator("a[href*='/projectview/show/']").click()
    page.wait_for_url(f"**/projectview/show/{project_id}*")
    expect(page.locator("body")).to_contain_text(project_name)
    expect(page.locator("body")).to_contain_text(APPLICANT)
    items_panel = _open_tab(page, "审批事项")
    for name in [TEMPLATE_ITEM, *item_names]:
        expect(items_panel.locator("tbody tr", has_text=name)).to_have_count(1)
    for name, days in ((TEMPLATE_ITEM, 3), (item_names[0], 10), (item_names[1], 15)):
        row = items_panel.locator("tbody tr", has_text=name)
        expect(row).to_contain_text(DEPARTMENT)
        expect(row.locator("td", has_text=re.compile(rf"^\s*{days}\s*$"))).to_have_count(1)
    shot("project_detail_with_items")
    details = _open_tab(page, "详情")
    for text in (code, project_name, COUNTY, APPLICANT, "县级", "2026", "12345.67", "在办"):
        expect(details).to_contain_text(text)
    shot("project_detail_fields")

    # -- The page never reached outside 127.0.0.1 and nothing broke ------------------
    assert browser_page.outside == [], f"requests to the internet: {browser_page.outside}"
    assert browser_page.js_errors == [], f"JavaScript errors: {browser_page.js_errors}"
    assert browser_page.bad_responses == [], f"failed requests: {browser_page.bad_responses}"


def _expand(page, title: str):
    """Open the collapsed accordion panel whose toggle reads ``title`` and wait for
    Bootstrap's collapse animation to finish; returns the panel's body."""
    toggle = page.locator("a.accordion-toggle", has_text=title).first
    target_id = toggle.get_attribute("href").lstrip("#")  # may start with a digit: no "#id"
    body = page.locator(f'[id="{target_id}"]')
    if not re.search(r"(^|\s)in(\s|$)", body.get_attribute("class") or ""):
        toggle.click()
    expect(body).to_have_class(re.compile(r"(^|\s)collapse in(\s|$)"))
    return body


def _open_tab(page, title: str):
    """Switch the show page to the tab called ``title``; returns the tab's pane."""
    tab = page.locator(".nav-tabs a[data-toggle='tab']", has_text=title).first
    pane = page.locator(f'[id="{tab.get_attribute("href").lstrip("#")}"]')
    tab.click()
    expect(pane).to_have_class(re.compile(r"(^|\s)active(\s|$)"))
    expect(pane).to_be_visible()
    return pane
