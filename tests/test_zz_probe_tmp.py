import shutil
from tests.test_browser import *  # noqa
from tests.test_browser import _select2_pick, _fill_item_form

def test_probe(browser_page):
    page, url = browser_page.page, browser_page.url
    page.goto(url + "/login/")
    page.fill("#username", "a_clerk"); page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click(); page.wait_for_url(lambda u: "/login" not in u)
    page.goto(url + "/approvalitemview/add")
    page.locator("select#project + .select2-container .select2-selection").click()
    page.wait_for_timeout(100)
    page.screenshot(path="/tmp/e2e_explore/p1_searching.png")
    page.locator(".select2-container--open .select2-search__field").fill("zzzz")
    page.wait_for_timeout(1200)
    page.screenshot(path="/tmp/e2e_explore/p2_noresults.png")
    page.keyboard.press("Escape")
    _fill_item_form(page, "工程建设许可", "无项目事项", 5)
    page.locator("#model_form [type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path="/tmp/e2e_explore/p3_noproject.png", full_page=True)
    print("URL", page.url)
    print(page.locator("body").inner_text()[:1500])
    page.goto(url + "/projectview/add")
    page.fill("#code", "DUP"); 
    page.locator("#model_form [type=submit]").click(); page.wait_for_load_state()
    page.screenshot(path="/tmp/e2e_explore/p4_required.png", full_page=True)
    page.goto(url + "/projectview/list/")
    page.goto(url + "/projectview/add")
    page.fill("#code", "TEST-000002"); page.fill("#name", "重复代码"); page.fill("#list_year", "2026")
    page.locator("#model_form [type=submit]").click(); page.wait_for_load_state()
    page.screenshot(path="/tmp/e2e_explore/p5_dup.png", full_page=True)
    print("URL", page.url)
    print(page.locator("body").inner_text()[:800])
    print(browser_page.bad_responses, browser_page.js_errors)
