"""Running a measure on a project: the 创新举措 tab, the instance page (diagram, actions,
timeline, attachments), refusals, scope, and the REST transition."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.extensions import appbuilder, db
from app.models import WorkflowInstance

from . import factories as f


def local_definition(key: str) -> dict:
    """A county's low-code measure with a guard nobody registered and a parallel split."""
    return {
        "key": key, "name": "本地快办测试", "version": 1, "initial": "apply",
        "states": [
            {"name": "apply", "label": "提出申请", "time_limit_days": 2},
            {"name": "review", "label": "联合审查", "time_limit_days": 3},
            {"name": "land_check", "label": "用地核验", "time_limit_days": 2},
            {"name": "plan_check", "label": "规划核验", "time_limit_days": 2},
            {"name": "land_ok", "label": "用地核验通过"},
            {"name": "plan_ok", "label": "规划核验通过"},
            {"name": "done", "label": "快办完成", "final": True},
        ],
        "transitions": [
            {"action": "submit", "label": "提交申请", "from": "apply", "to": "review",
             "roles": ["assistant"]},
            {"action": "fast_track", "label": "直接办结", "from": "apply", "to": "done",
             "roles": ["assistant"], "guards": ["wui.never_registered"]},
            {"action": "fan_out", "label": "分送核验", "from": "review", "roles": ["assistant"],
             "split": {"land": "land_check", "plan": "plan_check"},
             "branch_labels": {"land": "自然资源", "plan": "规划"}},
            {"action": "land_pass", "label": "用地核验通过", "from": "land_check",
             "to": "land_ok", "roles": ["assistant"]},
            {"action": "plan_pass", "label": "规划核验通过", "from": "plan_check",
             "to": "plan_ok", "roles": ["assistant"]},
            {"action": "finish", "label": "全部通过", "join": ["land_ok", "plan_ok"],
             "to": "done", "auto": True},
        ],
    }


@pytest.fixture()
def local_measure(app, world):
    """A fresh low-code measure of county a, enabled there; yields its key."""
    yield from f.enabled_lowcode_measure(app, world, "wui", "本地快办测试", local_definition)


def _instance_id(app, key) -> int:
    with app.app_context():
        return db.session.scalar(select(WorkflowInstance.id).where(
            WorkflowInstance.measure_key == key).order_by(WorkflowInstance.id.desc()))


_start = f.start_on_county_a_project


def test_views_registered(app):
    assert "ProjectWorkflowsView.show" in app.view_functions
    assert any(type(v).__name__ == "WorkflowInstanceApi" for v in appbuilder.baseviews)


def test_assistant_runs_a_measure_from_the_project_page(app, world, local_measure, login):
    client = login("a_assistant")
    pid = world.a.project.id
    page = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert "创新举措" in page
    assert f"/projectworkflowsview/add?_flt_0_project={pid}" in page

    form = client.get(f"/projectworkflowsview/add?_flt_0_project={pid}").get_data(as_text=True)
    assert local_measure in form and "本地快办测试" in form
    resp = client.post(f"/projectworkflowsview/add?project={pid}",
                       data={"measure": local_measure, "project": pid})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    iid = _instance_id(app, local_measure)
    assert resp.headers["Location"].endswith(f"/projectworkflowsview/show/{iid}")

    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert "<svg" in page and "#fd7e14" in page  # the diagram, current state highlighted
    assert 'data-states="apply"' in page
    assert re.search(r'value="submit\|"[^>]*>\s*提交申请', page)
    # The guarded action is shown disabled with its reason.
    assert re.search(r'data-action="fast_track" data-guarded="1"', page)
    assert "条件“wui.never_registered”未注册" in page
    # The tab lists it with its current step.
    tab = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert "本地快办测试" in tab and "提出申请" in tab

    # Take "submit" with a comment and an attachment.
    resp = client.post(f"/projectworkflowsview/transition/{iid}", data={
        "act": "submit|", "comment": "材料齐全，提交审查",
        "attachments": (io.BytesIO("%PDF-1.7\n承诺书内容".encode()), "承诺书.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert 'data-states="review"' in page
    assert "材料齐全，提交审查" in page and "承诺书.pdf" in page
    assert "提出申请 → 联合审查" in page and "a_assistant" in page
    link = re.search(rf'href="(/projectworkflowsview/file/{iid}/[^"]+)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == "%PDF-1.7\n承诺书内容".encode()

    # A guarded action tried anyway: refused with the guard's reason.
    body = client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "fast_track|"}).get_data(as_text=True)
    assert "“直接办结”需要在“提出申请”办理" in body and 'data-states="review"' in body
    # A refused action: flashed in Chinese, the comment typed is kept, nothing moved.
    resp = client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "land_pass|land", "comment": "这段意见不能丢"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "“用地核验通过”需要在“用地核验”办理" in body, body
    assert "这段意见不能丢" in body
    assert 'data-states="review"' in body

    # Split into two branches, finish each branch: the auto join completes the measure.
    assert client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "fan_out|"}).status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert "自然资源：用地核验" in page and "规划：规划核验" in page
    assert client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "land_pass|land"}).status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert "自然资源：用地核验通过" in page and "规划：规划核验" in page
    assert client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "plan_pass|plan"}).status_code == 302
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert 'data-status="COMPLETED"' in page and "全部通过" in page
    timeline = page.split('id="workflow-timeline"')[1]
    assert timeline.index("启动") < timeline.index("提交申请") < timeline.index("分送核验") \
        < timeline.index("全部通过")


def test_another_county_sees_nothing(app, world, local_measure, login, api_token):
    iid = _start(app, world, local_measure)
    client = login("b_assistant")
    assert client.get(f"/projectworkflowsview/show/{iid}").status_code == 404
    assert client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "submit|"}).status_code == 404
    assert client.get(f"/projectworkflowsview/file/{iid}/x.pdf").status_code == 404
    assert client.get(f"/projectworkflowsview/add?_flt_0_project={world.a.project.id}"
                      ).status_code == 404
    listing = client.get("/projectworkflowsview/list/").get_data(as_text=True)
    assert "本地快办测试" not in listing
    headers = api_token("b_assistant")
    assert client.get(f"/api/v1/workflow_instance/{iid}", headers=headers).status_code == 404
    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       json={"action": "submit"})
    assert resp.status_code == 404
    ids = [r["id"] for r in client.get("/api/v1/workflow_instance/",
                                       headers=headers).json["result"]]
    assert iid not in ids
    with app.app_context():
        assert db.session.get(WorkflowInstance, iid).tokens["main"]["state"] == "apply"


def test_the_api_runs_the_same_transitions(app, world, local_measure, client, api_token):
    iid = _start(app, world, local_measure)
    headers = api_token("a_assistant")
    got = client.get(f"/api/v1/workflow_instance/{iid}", headers=headers)
    assert got.status_code == 200 and got.json["result"]["measure_key"] == local_measure
    refused = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                          json={"action": "land_pass", "branch": "land"})
    assert refused.status_code == 422
    assert "不在此环节" in str(refused.json["message"])
    guarded = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                          json={"action": "fast_track"})
    assert guarded.status_code == 422 and "未注册" in guarded.json["message"]
    done = client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=headers,
                       json={"action": "submit", "comment": "接口提交"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["result"]["tokens"]["main"]["state"] == "review"
    assert done.json["result"]["step"]["to_state"] == "review"
    # The county's clerk may act on workflows, but this definition gives it no step: the
    # engine refuses (the definition decides who takes which step).
    auditor = api_token("a_clerk")
    assert client.get(f"/api/v1/workflow_instance/{iid}", headers=auditor).status_code == 200
    assert client.post(f"/api/v1/workflow_instance/{iid}/transition", headers=auditor,
                       json={"action": "fan_out"}).status_code == 422
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        assert inst.steps[-1].comment == "接口提交"
        assert inst.steps[-1].username == "a_assistant"
