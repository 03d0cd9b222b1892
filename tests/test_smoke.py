"""First impressions: the Chinese login page, English on request, the API description."""


def test_login_page_is_chinese(client, world):
    resp = client.get("/login/")
    assert resp.status_code == 200
    assert "登录" in resp.get_data(as_text=True)


def test_clerk_sees_project_list(login, world):
    client = login("a_clerk")
    resp = client.get("/projectview/list/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "甲县重点项目" in html
    assert "乙县重点项目" not in html
    assert "重大项目" in html and "Major projects" not in html


def test_english_is_one_click_away(login, world):
    client = login("a_clerk")
    client.get("/lang/en")
    html = client.get("/projectview/list/").get_data(as_text=True)
    assert "Major projects" in html
    assert "In progress" in html  # the enum label 在办, translated


def test_openapi_describes_the_domain_resources(client, world, api_token):
    spec = client.get("/api/v1/_openapi", headers=api_token("a_clerk")).json
    paths = spec["paths"]
    for resource in ("project", "approval_item", "region", "org_unit", "applicant"):
        assert f"/api/v1/{resource}/" in paths, resource


def test_no_asset_comes_from_outside(login, world):
    import re

    html = login("a_clerk").get("/projectview/add").get_data(as_text=True)
    external = [src for src in re.findall(r'(?:src|href)="([^"]+)"', html)
                if src.startswith(("http:", "https:", "//"))]
    assert external == []
