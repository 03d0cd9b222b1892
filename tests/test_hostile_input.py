"""Hostile input never gives a 500 or leaks (issue 10): a 400 (or a field error, a 404) with a
message in the user's language, and database failures shown as a generic message with a
reference that is also in the log."""
from __future__ import annotations

import logging
import re

import pytest
from flask_appbuilder import ModelView
from sqlalchemy import func, select

from app.extensions import db
from app.models import Project
from app.views.base import ScopedModelRestApi, ScopedModelView


def _views(app, kind):
    return [v for v in app.appbuilder.baseviews if isinstance(v, kind)]


def _list_url(view) -> str:
    return f"{view.route_base}/list/"


def _project_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Project))


def _no_leak(body: str) -> None:
    for leak in ("Traceback", "INSERT INTO", "UPDATE ", "SELECT ", "psycopg", "sqlalchemy"):
        assert leak not in body, leak


# -- page size and paging --------------------------------------------------------------

def test_every_list_screen_caps_the_page_size(app, world, login):
    client = login("sysadmin")
    lists = _views(app, ModelView)
    assert len(lists) > 10
    for view in lists:
        name = type(view).__name__
        resp = client.get(f"{_list_url(view)}?psize_{name}=1000000")
        assert resp.status_code == 400, (name, resp.status_code)
        assert "必须在 1 到 100 之间" in resp.get_data(as_text=True), name
        resp = client.get(f"{_list_url(view)}?psize_{name}=100")
        assert resp.status_code < 400 or resp.status_code in (403, 404), (name, resp.status_code)


def test_the_screen_page_size_cap_is_a_setting(app, world, login, monkeypatch):
    client = login("a_clerk")
    assert client.get("/projectview/list/?psize_ProjectView=50").status_code == 200
    monkeypatch.setitem(app.config, "LIST_MAX_PAGE_SIZE", 25)
    resp = client.get("/projectview/list/?psize_ProjectView=50")
    assert resp.status_code == 400
    assert "必须在 1 到 25 之间" in resp.get_data(as_text=True)


BAD_PAGING = [
    "page_ProjectView=abc", "page_ProjectView=-1", "page_ProjectView=99999999999999999999",
    "page_ProjectView=1000000000000000", "psize_ProjectView=abc", "psize_ProjectView=-5",
    "psize_ProjectView=0", "_oc_ProjectView=nosuch&_od_ProjectView=asc",
    "_oc_ProjectView=name&_od_ProjectView=sideways", "_oc_ProjectView=name",
    # the same on a related list shown inside a project's page
    "page_ApprovalItemView=x",
]


@pytest.mark.parametrize("query", BAD_PAGING)
def test_bad_paging_on_a_screen_is_a_400_with_a_message(world, login, query):
    client = login("a_clerk")
    resp = client.get(f"/projectview/list/?{query}")
    assert resp.status_code == 400, query
    body = resp.get_data(as_text=True)
    assert re.search(r"必须是整数|必须在 .* 之间|不能按 nosuch 排序|排序方向只能是", body), query
    _no_leak(body)


def test_good_paging_and_sorting_still_work(world, login):
    client = login("a_clerk")
    resp = client.get("/projectview/list/?page_ProjectView=0&psize_ProjectView=25"
                      "&_oc_ProjectView=name&_od_ProjectView=desc")
    assert resp.status_code == 200
    assert "甲县重点项目" in resp.get_data(as_text=True)


BAD_Q = [
    "(((", "(page:abc)", "(page:-1,page_size:10)", "(page:100000000000000000000)", "!(1)", "1",
    "(page_size:'x')", "(order_column:nosuch,order_direction:asc)",
    "(filters:!((col:region,opr:rel_o_m,value:abc)))",
]


@pytest.mark.parametrize("q", BAD_Q)
def test_a_malformed_api_query_is_a_400(client, api_token, q):
    headers = api_token("a_clerk")
    for url in ("/api/v1/project/", "/api/v1/project/_info", "/api/v1/approval_item/"):
        resp = client.get(url, query_string={"q": q}, headers=headers)
        if url.endswith("_info") and "filters" in q or "order_column" in q and "_info" in url:
            assert resp.status_code in (200, 400), (url, q)
            continue
        assert resp.status_code == 400, (url, q, resp.get_data(as_text=True))
        assert resp.json["message"], (url, q)
        _no_leak(resp.get_data(as_text=True))


def test_the_api_page_size_is_capped(app, client, api_token, monkeypatch):
    headers = api_token("sysadmin")
    resp = client.get("/api/v1/region/", query_string={"q": "(page_size:1000000)"},
                      headers=headers)
    assert resp.status_code == 200 and len(resp.json["result"]) >= 3
    monkeypatch.setitem(app.config, "FAB_API_MAX_PAGE_SIZE", 2)
    for q in ("(page_size:1000000)", "(page_size:-1)"):
        resp = client.get("/api/v1/region/", query_string={"q": q}, headers=headers)
        assert resp.status_code == 200
        assert len(resp.json["result"]) == 2, q


# -- NUL bytes, enums, ids, actions, relations -----------------------------------------

def _project_form(world, **over):
    data = {"code": "NUL-0001", "name": "空字符项目", "region": str(world.a.region.id),
            "applicant": str(world.a.applicant.id), "investment_wan": "10",
            "list_level": "COUNTY", "list_year": "2026", "status": "ACTIVE"}
    data.update(over)
    return data


def test_a_nul_byte_anywhere_is_refused_by_name(app, world, login, api_token):
    client = login("a_clerk")
    before = _project_count(app)
    resp = client.post("/projectview/add", data=_project_form(world, name="空\x00字符"))
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "字段 name 含有不允许的空字符" in body
    _no_leak(body)
    resp = client.get("/projectview/list/", query_string={"_flt_0_name": "a\x00b"})
    assert resp.status_code == 400 and "字段 _flt_0_name" in resp.get_data(as_text=True)
    headers = api_token("a_clerk")
    resp = client.post("/api/v1/project/", headers=headers, json={
        "code": "NUL-2", "name": "接口\x00", "region": world.a.region.id,
        "applicant": world.a.applicant.id, "list_level": "县级", "list_year": 2026,
        "status": "在办"})
    assert resp.status_code == 400 and "name" in resp.json["message"], resp.json
    resp = client.put(f"/api/v1/project/{world.a.project.id}", headers=headers,
                      json={"problems": ["x", {"deep": "a\x00"}]})
    assert resp.status_code == 400
    resp = client.get("/api/v1/project/", headers=headers,
                      query_string={"q": "(filters:!((col:name,opr:ct,value:'a\x00b')))"})
    assert resp.status_code == 400
    assert _project_count(app) == before


def test_an_unknown_enum_value_is_a_field_error_on_every_form_and_api(app, world, login,
                                                                      api_token):
    client = login("sysadmin")
    checked = 0
    for view in _views(app, ScopedModelView):
        enums = [c for c in (view.add_columns or []) if view.datamodel.is_enum(c)]
        if not enums:
            continue
        resp = client.post(f"{view.route_base}/add", data={c: "NOSUCH" for c in enums})
        assert resp.status_code in (200, 302, 403, 404), (type(view).__name__, resp.status_code)
        if resp.status_code == 200:
            checked += 1
            assert "alert-danger" in resp.get_data(as_text=True), type(view).__name__
    headers = api_token("sysadmin")
    for api in _views(app, ScopedModelRestApi):
        enums = [c for c in (api.add_columns or []) if api.datamodel.is_enum(c)]
        if not enums:
            continue
        resp = client.post(f"/api/v1/{api.resource_name}/", headers=headers,
                           json={c: "NOSUCH" for c in enums})
        assert resp.status_code in (400, 403, 405, 422), (api.resource_name, resp.status_code)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("pk", ["99999999999999999999", "9223372036854775808", "2147483648"])
def test_an_id_larger_than_the_column_is_a_404(world, login, api_token, client, pk):
    screen = login("a_clerk")
    for url in (f"/projectview/show/{pk}", f"/projectview/edit/{pk}",
                f"/approvalitemview/show/{pk}"):
        assert screen.get(url).status_code == 404, url
    headers = api_token("a_clerk")
    for resource in ("project", "approval_item", "region", "applicant"):
        assert client.get(f"/api/v1/{resource}/{pk}", headers=headers).status_code == 404
    assert client.put(f"/api/v1/project/{pk}", headers=headers,
                      json={"name": "x"}).status_code == 404
    assert client.delete(f"/api/v1/project/{pk}", headers=headers).status_code == 404


def test_an_unknown_action_is_refused_not_a_500(app, client, login, monkeypatch):
    # Anonymous, as in production (CSRF on): refused for the missing token.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.post("/users/action_post", data={"action": "nosuch", "rowid": "1"})
    assert resp.status_code == 400, resp.status_code
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    resp = client.post("/users/action_post", data={"action": "nosuch", "rowid": "1"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    admin = login("sysadmin")
    for url in ("/users/action_post", "/projectview/action_post"):
        resp = admin.post(url, data={"action": "nosuch", "rowid": "1"})
        assert resp.status_code in (400, 403, 404), (url, resp.status_code)
        resp = admin.post(url, data={})
        assert resp.status_code in (400, 403, 404), (url, resp.status_code)


@pytest.mark.parametrize("body", [{"town": "城关镇"}, {"town": 99999999999}, {"town": [1]},
                                  {"region": {"id": 1}}, {"applicant": True}])
def test_a_relation_given_as_a_name_is_a_422_over_the_api(app, world, api_token, client, body):
    headers = api_token("a_clerk")
    resp = client.put(f"/api/v1/project/{world.a.project.id}", headers=headers, json=body)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    field = next(iter(body))
    assert "编号" in resp.json["message"][field][0]
    resp = client.post("/api/v1/project/", headers=headers, json={
        "code": "REL-1", "name": "关系校验", "region": world.a.region.id,
        "applicant": world.a.applicant.id, "list_level": "县级", "list_year": 2026,
        "status": "在办", **body})
    assert resp.status_code == 422, resp.get_data(as_text=True)


# -- database errors and crashes: a generic message and a logged reference ---------------

def _reference(text: str) -> str:
    m = re.search(r"参考号：?\s*(?:<code>)?([0-9a-f]{8})", text)
    assert m, text[-1500:]
    return m.group(1)


def test_a_database_error_on_the_add_form_shows_no_sql(app, world, login, caplog):
    client = login("a_clerk")
    before = _project_count(app)
    with caplog.at_level(logging.ERROR, logger="app.failures"):
        resp = client.post("/projectview/add", data=_project_form(world, investment_wan="9" * 17),
                           follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    _no_leak(body)
    assert "数据库未能完成本次操作" in body
    assert _reference(body) in caplog.text
    assert _project_count(app) == before


def test_a_database_error_over_the_api_shows_no_sql(app, world, api_token, client, caplog):
    headers = api_token("a_clerk")
    with caplog.at_level(logging.ERROR, logger="app.failures"):
        resp = client.post("/api/v1/project/", headers=headers, json={
            "code": "DB-1", "name": "数据库出错", "region": world.a.region.id,
            "applicant": world.a.applicant.id, "list_level": "县级", "list_year": 2026,
            "investment_wan": 10**17, "status": "在办"})
        assert resp.status_code == 422, resp.get_data(as_text=True)
        _no_leak(resp.get_data(as_text=True))
        assert _reference(resp.json["message"]) in caplog.text
        resp = client.put(f"/api/v1/project/{world.a.project.id}", headers=headers,
                          json={"investment_wan": 10**17})
    assert resp.status_code in (400, 422)
    _no_leak(resp.get_data(as_text=True))
    assert _reference(resp.json["message"]) in caplog.text


def test_a_database_error_on_a_page_is_a_400_with_a_reference(world, login, caplog):
    client = login("a_clerk")
    with caplog.at_level(logging.ERROR, logger="app.failures"):
        resp = client.get("/projectview/list/", query_string={"_flt_0_list_year": "9" * 14})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    _no_leak(body)
    assert _reference(body) in caplog.text


def test_a_crash_is_a_generic_page_with_a_logged_reference(app, login, monkeypatch, caplog,
                                                           api_token, client):
    from app.views.projects import ProjectApi

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail /srv/app.py line 42")

    signed_in = login("a_clerk")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "HomeView.index", boom)
    monkeypatch.setattr(ProjectApi, "get_list_headless", boom)
    with caplog.at_level(logging.ERROR, logger="app.failures"):
        page = signed_in.get("/")
        api = client.get("/api/v1/project/", headers=api_token("a_clerk"))
    assert page.status_code == 500 and api.status_code == 500
    for body in (page.get_data(as_text=True), api.json["message"]):
        assert "secret detail" not in body
        assert "系统出错" in body
        assert _reference(body) in caplog.text
    assert "secret detail" in caplog.text  # the detail is in the log, for the operator


# -- uploads: content checked, size capped before reading, downloads as attachments -------

def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb needs
    no more than this to make a decoder allocate gigabytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture()
def upload_measure(app, world):
    from . import factories as f
    from .test_workflow_attachments import simple_definition

    yield from f.enabled_lowcode_measure(app, world, "upl", "上传测试举措", simple_definition)


HOSTILE_UPLOADS = [
    ("照片.jpg", b"<?php system($_GET['c']); ?>", "内容不是 .jpg 文件"),
    ("图.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "内容不是 .png 文件"),
    ("说明.doc", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
     "含有脚本或网页代码"),
    ("页面.xls", b"<html><script>alert(document.cookie)</script></html>", "含有脚本或网页代码"),
    ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "不是完好的 .png 图片"),
    ("炸弹.png", _png_header_only(100_000, 100_000), "百万像素的上限"),
]


@pytest.mark.parametrize("name,content,message", HOSTILE_UPLOADS,
                         ids=[u[0] for u in HOSTILE_UPLOADS])
def test_an_upload_whose_content_does_not_fit_is_refused(app, world, upload_measure, login,
                                                          name, content, message):
    from . import factories as f
    from .test_workflow_attachments import state, stored_files, transition

    iid = f.start_on_county_a_project(app, world, upload_measure)
    client = login("a_assistant")
    resp = transition(client, iid, "submit|", "上传", [(name, content)])
    body = resp.get_data(as_text=True)
    assert message in body, body[-2000:]
    assert state(app, iid) == "apply" and stored_files(app, iid) == []
    # A real image of the same name is taken.
    good = transition(client, iid, "submit|", "上传", [("现场照片.png", f.png_bytes())])
    assert good.status_code == 302 and state(app, iid) == "review"


def test_the_image_pixel_cap_is_a_setting(app, world, upload_measure, login, monkeypatch):
    from . import factories as f
    from .test_workflow_attachments import state, transition

    iid = f.start_on_county_a_project(app, world, upload_measure)
    client = login("a_assistant")
    monkeypatch.setitem(app.config, "UPLOAD_MAX_IMAGE_PIXELS", 1_000_000)
    resp = transition(client, iid, "submit|", "大图", [("大图.png", f.png_bytes(1001, 1000))])
    assert "百万像素的上限" in resp.get_data(as_text=True)
    assert state(app, iid) == "apply"


def test_a_200_mb_body_is_refused_with_413_before_it_is_read(app, login, api_token, client):
    assert app.config["MAX_CONTENT_LENGTH"] == 100 * 1024 * 1024
    signed_in = login("a_clerk")
    huge = {"CONTENT_LENGTH": str(200 * 1024 * 1024)}
    resp = signed_in.post("/projectview/add", data=b"name=x", environ_overrides=huge,
                          content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413
    assert "上传的内容超过了 100.0 MB 的上限" in resp.get_data(as_text=True)
    resp = client.post("/api/v1/project/", data=b"{}", environ_overrides=huge,
                       content_type="application/json", headers=api_token("a_clerk"))
    assert resp.status_code == 413 and "100.0 MB" in resp.json["message"]


def test_every_download_is_an_attachment_with_nosniff(app, world, upload_measure, login):
    from . import factories as f
    from .test_workflow_attachments import download_links, transition

    iid = f.start_on_county_a_project(app, world, upload_measure)
    client = login("a_assistant")
    assert transition(client, iid, "submit|", "照片",
                      [("现场照片.png", f.png_bytes())]).status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    (link,) = download_links(page, iid)
    resp = client.get(link)
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
