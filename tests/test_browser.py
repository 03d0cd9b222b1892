import threading
import pytest
from werkzeug.serving import make_server
from playwright.sync_api import sync_playwright

@pytest.fixture()
def live_url(app, world):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()

def test_explore(live_url):
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page()
        ext = []
        page.route("**/*", lambda r: (ext.append(r.request.url), r.abort()) if not r.request.url.startswith(live_url) else r.continue_())
        page.goto(live_url + "/login/")
        open("/tmp/e2e_explore/login.html", "w").write(page.content())
        page.fill("#username", "a_clerk"); page.fill("#password", "TestPass@2026")
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state()
        for name, path in [("list", "/projectview/list/"), ("add", "/projectview/add"), ("itemadd", "/approvalitemview/add"), ("show", "/projectview/show/1")]:
            page.goto(live_url + path)
            open(f"/tmp/e2e_explore/{name}.html", "w").write(page.content())
            page.screenshot(path=f"/tmp/e2e_explore/{name}.png", full_page=True)
        print("EXT", ext)
        b.close()
