"""Attachments and cancelling of a running measure: the size and type limits on the screen
and the API, downloads kept in scope, and who may stop a measure (screen and API)."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.models import WorkflowInstance, WorkflowInstanceStatus

from . import factories as f

PDF = b"%PDF-1.7\n% a signed commitment\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def simple_definition(key: str) -> dict:
    return {
        "key": key, "name": "附件测试举措", "version": 1, "initial": "apply",
        "states": [
            {"name": "apply", "label": "提出申请", "time_limit_days": 2},
            {"name": "review", "label": "联合审查", "time_limit_days": 3},
            {"name": "done", "label": "办结", "final": True},
        ],
        "transitions": [
            {"action": "submit", "label": "提交申请", "from": "apply", "to": "review",
             "roles": ["assistant"]},
            {"action": "approve", "label": "审查通过", "from": "review", "to": "done",
             "roles": ["assistant"]},
        ],
    }


@pytest.fixture()
def measure(app, world):
    """A fresh low-code measure of county a, enabled there; yields its key."""
    yield from f.enabled_lowcode_measure(app, world, "watt", "附件测试举措", simple_definition)


start = f.start_on_county_a_project


def instance(app, iid) -> WorkflowInstance:
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        _ = inst.steps  # loaded before the session goes
        db.session.expunge(inst)
        return inst


def state(app, iid) -> str:
    return instance(app, iid).tokens["main"]["state"]


def stored_files(app, iid) -> list[str]:
    folder = Path(app.config["FILES_DIR"]) / "workflow" / str(iid)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def transition(client, iid, act, comment="", files=()):
    data = {"act": act, "comment": comment,
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/projectworkflowsview/transition/{iid}", data=data,
                       content_type="multipart/form-data")


def download_links(page: str, iid: int) -> list[str]:
    return re.findall(rf'href="(/projectworkflowsview/file/{iid}/[^"]+)"', page)


# -- limits on the instance page ------------------------------------------------------------
def test_a_file_over_the_size_limit_refuses_the_whole_action(app, world, measure, login,
                                                             monkeypatch):
    iid = start(app, world, measure)
    client = login("a_assistant")
    assert transition(client, iid, "submit|", "提交",
                      [("申请表.pdf", PDF)]).status_code == 302
    kept = stored_files(app, iid)
    assert len(kept) == 1

    monkeypatch.setitem(app.config, "WORKFLOW_ATTACHMENT_MAX_MB", 1)
    big = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024 // 2)
    resp = transition(client, iid, "approve|", "审查意见不能丢",
                      [("说明.pdf", PDF), ("设计图.pdf", big)])
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    # Chinese first, then English; the file and the limit are named.
    zh = body.index("附件“设计图.pdf”大小为 1.5 MB，超过每个文件 1 MB 的上限")
    en = body.index("is 1.5 MB, larger than the limit of 1 MB per file")
    assert zh < en
    assert "说明.pdf”" not in body  # the good file is not blamed
    assert "审查意见不能丢" in body  # the comment stays in the form
    assert 'data-states="review"' in body and state(app, iid) == "review"
    # Nothing of the refused action was stored; the earlier attachment is still there.
    assert stored_files(app, iid) == kept
    assert len(instance(app, iid).steps) == 2
    link = download_links(client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True),
                          iid)
    assert len(link) == 1 and client.get(link[0]).data == PDF
    # The page says the limit before anyone tries.
    assert "每个文件不超过 1 MB" in body


def test_a_file_of_a_type_not_accepted_is_refused(app, world, measure, login):
    iid = start(app, world, measure)
    client = login("a_assistant")
    resp = transition(client, iid, "submit|", "附上程序", [("工具.exe", PROGRAM)])
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "附件“工具.exe”的类型不允许，只接受 pdf、ofd、jpg、jpeg、png、doc、docx、xls、xlsx、zip 文件" in body
    assert "is not an accepted type; accepted: pdf, ofd, jpg" in body
    assert "附上程序" in body
    assert state(app, iid) == "apply" and stored_files(app, iid) == []

    # A program renamed to .pdf is not a PDF.
    body = transition(client, iid, "submit|", "", [("承诺书.pdf", PROGRAM)]).get_data(as_text=True)
    assert "附件“承诺书.pdf”的内容不是 .pdf 文件" in body
    assert state(app, iid) == "apply" and stored_files(app, iid) == []

    # A file without an extension neither.
    body = transition(client, iid, "submit|", "", [("README", PDF)]).get_data(as_text=True)
    assert "附件“README”的类型不允许" in body and state(app, iid) == "apply"


def test_the_accepted_types_are_a_setting(app, world, measure, login, monkeypatch):
    iid = start(app, world, measure)
    client = login("a_assistant")
    monkeypatch.setitem(app.config, "WORKFLOW_ATTACHMENT_TYPES", ("txt",))
    body = transition(client, iid, "submit|", "", [("申请表.pdf", PDF)]).get_data(as_text=True)
    assert "只接受 txt 文件" in body and state(app, iid) == "apply"
    assert transition(client, iid, "submit|", "", [("说明.txt", "纯文本".encode())]
                      ).status_code == 302
    assert state(app, iid) == "review"


def test_a_good_file_is_kept_and_downloaded_only_in_scope(app, world, measure, login):
    iid = start(app, world, measure)
    client = login("a_assistant")
    scan = f.png_bytes()
    resp = transition(client, iid, "submit|", "材料齐全",
                      [("现场照片.png", scan), ("承诺书.pdf", PDF)])
    assert resp.status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert "现场照片.png" in page and "承诺书.pdf" in page
    links = download_links(page, iid)
    assert len(links) == 2
    got = {client.get(link).data for link in links}
    assert got == {scan, PDF}
    # The county's dispatcher reads it too; another county's staff do not.
    assert login("a_dispatcher").get(links[1]).status_code == 200
    for user in ("b_assistant", "b_dispatcher", "b_admin"):
        assert login(user).get(links[1]).status_code == 404, user
    # A name no step lists is not served, even inside the instance's folder.
    client = login("a_assistant")
    assert client.get(f"/projectworkflowsview/file/{iid}/..%2F..%2Fsecret_key").status_code == 404
    assert client.get(f"/projectworkflowsview/file/{iid}/other.pdf").status_code == 404


def test_a_request_over_max_content_length_gets_a_friendly_413(app, world, measure, login,
                                                               api_token, monkeypatch):
    iid = start(app, world, measure)
    client = login("a_assistant")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    resp = transition(client, iid, "submit|", "太大了", [("扫描件.pdf", PDF + b"0" * 100_000)])
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "上传的内容超过了 64 KB 的上限" in body and "larger than the limit of 64 KB" in body
    assert 'id="workflow-instance"' in body  # the instance page, not Werkzeug's
    assert "Traceback" not in body
    assert state(app, iid) == "apply" and stored_files(app, iid) == []

    headers = api_token("a_assistant")
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       data={"action": "submit",
                             "attachments": (io.BytesIO(PDF + b"0" * 100_000), "扫描件.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and "64 KB" in resp.json["message"]
    assert state(app, iid) == "apply"


# -- the REST transition with attachments ------------------------------------------------------
def test_the_api_takes_attachments_as_multipart(app, world, measure, client, api_token, login):
    iid = start(app, world, measure)
    headers = api_token("a_assistant")
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       data={"action": "submit", "comment": "接口附件",
                             "attachments": [(io.BytesIO(PDF), "承诺书.pdf"),
                                             (io.BytesIO(b"PK\x03\x04rest"), "材料.zip")]},
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    result = resp.json["result"]
    assert result["tokens"]["main"]["state"] == "review"
    files = result["step"]["attachments"]
    assert [a["filename"] for a in files] == ["承诺书.pdf", "材料.zip"]
    with app.app_context():
        step = db.session.get(WorkflowInstance, iid).steps[-1]
        assert step.comment == "接口附件" and step.attachments == [a["name"] for a in files]
    # Downloaded afterwards through the scoped route.
    assert login("a_assistant").get(files[0]["url"]).data == PDF
    assert login("b_assistant").get(files[0]["url"]).status_code == 404
    client.get("/logout/")  # a signed-in session would take precedence over the token
    headers = api_token("a_assistant")  # signing out revoked the tokens issued before

    # Refused files: 422 with the message, nothing moves, nothing is stored.
    before = stored_files(app, iid)
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       data={"action": "approve",
                             "attachments": (io.BytesIO(PROGRAM), "setup.exe")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "附件“setup.exe”的类型不允许" in resp.json["message"]
    assert 'The attachment "setup.exe" is not an accepted type' in resp.json["message"]
    assert state(app, iid) == "review" and stored_files(app, iid) == before

    # A refused transition does not keep its files either.
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       data={"action": "submit", "attachments": (io.BytesIO(PDF), "a.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and stored_files(app, iid) == before

    # Form fields without files, and JSON as before.
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       data={"comment": "没有动作"}, content_type="multipart/form-data")
    assert resp.status_code == 400
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       json={"action": "approve", "comment": "JSON 仍可用"})
    assert resp.status_code == 200 and resp.json["result"]["status"] == "COMPLETED"
    assert resp.json["result"]["step"]["attachments"] == []


def test_the_api_size_limit(app, world, measure, client, api_token, monkeypatch):
    iid = start(app, world, measure)
    monkeypatch.setitem(app.config, "WORKFLOW_ATTACHMENT_MAX_MB", 1)
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition",
                       headers=api_token("a_assistant"),
                       data={"action": "submit", "attachments": (
                           io.BytesIO(PDF + b"0" * (2 * 1024 * 1024)), "图纸.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "附件“图纸.pdf”大小为 2.0 MB，超过每个文件 1 MB 的上限" in resp.json["message"]
    assert state(app, iid) == "apply" and stored_files(app, iid) == []


# -- cancelling on the instance page -------------------------------------------------------------
def cancel(client, iid, reason):
    return client.post(f"/projectworkflowsview/cancel/{iid}", data={"reason": reason})


@pytest.mark.parametrize("user", ["a_dispatcher", "a_admin", "a_assistant"])
def test_a_measure_is_cancelled_from_its_page(app, world, measure, login, user):
    iid = start(app, world, measure)
    client = login(user)
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert 'id="workflow-cancel-form"' in page and "取消举措" in page
    assert "data-confirm=" in page  # asked once more before it is sent

    # A reason is required.
    resp = cancel(client, iid, "  ")
    assert resp.status_code == 200
    assert "请填写取消原因" in resp.get_data(as_text=True)
    assert instance(app, iid).status == WorkflowInstanceStatus.RUNNING

    resp = cancel(client, iid, "企业决定暂缓建设")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-status="CANCELLED"' in page
    assert "已取消" in page  # the flashed confirmation
    timeline = page.split('id="workflow-timeline"')[1]
    assert 'data-action="cancel"' in timeline and "企业决定暂缓建设" in timeline
    assert user in timeline
    assert 'id="workflow-cancel-form"' not in page  # nothing left to cancel
    inst = instance(app, iid)
    assert inst.status == WorkflowInstanceStatus.CANCELLED and inst.finished_at is not None

    # Cancelling again: a friendly refusal, not an error page.
    resp = cancel(client, iid, "再取消一次")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "该举措已结束，不能取消" in page
    assert len(instance(app, iid).steps) == 2


@pytest.mark.parametrize("user", ["a_clerk", "a_dept", "a_company"])
def test_roles_without_the_right_cannot_cancel(app, world, measure, login, user):
    iid = start(app, world, measure)
    client = login(user)
    page = client.get(f"/projectworkflowsview/show/{iid}")
    assert page.status_code == 200
    assert 'id="workflow-cancel-form"' not in page.get_data(as_text=True)
    resp = cancel(client, iid, "越权取消")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "只有项目帮办员、调度员或县局管理员可以取消该举措" in page
    assert instance(app, iid).status == WorkflowInstanceStatus.RUNNING


def test_an_assistant_not_on_the_project_cannot_cancel(app, world, measure, login):
    from app.models import Region
    from app.security import roles

    iid = start(app, world, measure)
    with app.app_context():
        f.user("a_assistant_other", [roles.ASSISTANT],
               region_=db.session.get(Region, world.a.region.id))
    client = login("a_assistant_other")
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert 'id="workflow-instance"' in page and 'id="workflow-cancel-form"' not in page
    cancel(client, iid, "不是我的项目")
    assert instance(app, iid).status == WorkflowInstanceStatus.RUNNING


def test_another_county_cannot_cancel(app, world, measure, login, api_token):
    iid = start(app, world, measure)
    for user in ("b_dispatcher", "b_admin", "b_assistant"):
        client = login(user)
        assert client.get(f"/projectworkflowsview/show/{iid}").status_code == 404
        assert cancel(client, iid, "别的县").status_code == 404
        resp = client.post(f"/api/v1/workflow_instance/{iid}/cancel",
                           headers=api_token(user), json={"comment": "别的县"})
        assert resp.status_code == 404, user
    assert instance(app, iid).status == WorkflowInstanceStatus.RUNNING


# -- cancelling through the API ----------------------------------------------------------------
def test_the_api_cancels_with_the_same_rules(app, world, measure, client, api_token):
    iid = start(app, world, measure)
    url = f"/api/v1/workflow_instance/{iid}/cancel"
    clerk = client.post(url, headers=api_token("a_clerk"), json={"comment": "越权"})
    assert clerk.status_code == 403 and clerk.json["message"]
    assert client.post(url, headers=api_token("a_clerk"), json={}).status_code == 403
    dept = client.post(url, headers=api_token("a_dept"), json={"comment": "越权"})
    assert dept.status_code == 403
    headers = api_token("a_admin")
    assert client.post(url, headers=headers, json={}).status_code == 400
    assert client.post(url, headers=headers, json={"comment": "  "}).status_code == 400
    assert instance(app, iid).status == WorkflowInstanceStatus.RUNNING

    done = client.post(url, headers=headers, json={"comment": "项目终止"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["result"]["status"] == "CANCELLED"
    assert done.json["result"]["step"]["comment"] == "项目终止"
    inst = instance(app, iid)
    assert inst.status == WorkflowInstanceStatus.CANCELLED
    with app.app_context():
        last = db.session.get(WorkflowInstance, iid).steps[-1]
        assert (last.action, last.username, last.comment) == ("cancel", "a_admin", "项目终止")
    # Still readable; a second cancel is refused.
    assert client.get(f"/api/v1/workflow_instance/{iid}", headers=headers).status_code == 200
    again = client.post(url, headers=headers, json={"comment": "再来"})
    assert again.status_code == 422 and again.json["message"]

    # The project's assistant, as a form.
    iid = start(app, world, measure)
    resp = client.post(f"/api/v1/workflow_instance/{iid}/cancel",
                       headers=api_token("a_assistant"), data={"comment": "表单取消"})
    assert resp.status_code == 200 and resp.json["result"]["status"] == "CANCELLED"


# -- settings ------------------------------------------------------------------------------------
def test_the_attachment_settings_are_parsed_strictly(monkeypatch):
    from config import Config, ConfigError

    monkeypatch.setenv("WORKFLOW_ATTACHMENT_TYPES", " pdf, .JPG ,pdf")
    monkeypatch.setenv("WORKFLOW_ATTACHMENT_MAX_MB", "5")
    config = Config()
    assert config.WORKFLOW_ATTACHMENT_TYPES == ("pdf", "jpg")
    assert config.WORKFLOW_ATTACHMENT_MAX_MB == 5
    for bad in ("pdf;doc", "pdf,,doc", "*.pdf"):
        monkeypatch.setenv("WORKFLOW_ATTACHMENT_TYPES", bad)
        with pytest.raises(ConfigError, match="WORKFLOW_ATTACHMENT_TYPES"):
            Config()
    monkeypatch.delenv("WORKFLOW_ATTACHMENT_TYPES")
    for bad in ("twenty", "0", "2.5"):
        monkeypatch.setenv("WORKFLOW_ATTACHMENT_MAX_MB", bad)
        with pytest.raises(ConfigError, match="WORKFLOW_ATTACHMENT_MAX_MB"):
            Config()
    monkeypatch.delenv("WORKFLOW_ATTACHMENT_MAX_MB")
    config = Config()
    assert config.WORKFLOW_ATTACHMENT_MAX_MB == 20
    assert config.WORKFLOW_ATTACHMENT_TYPES == ("pdf", "ofd", "jpg", "jpeg", "png", "doc",
                                                "docx", "xls", "xlsx", "zip")
