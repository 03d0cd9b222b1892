"""The login page is Chinese and a clerk lands on the home page."""


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
