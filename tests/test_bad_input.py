"""Bad input gets a clear message next to the field, nothing is saved, nothing is lost."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApprovalItem, Project


def _form(world, **over):
    data = {
        "code": "BAD-0001", "name": "输入校验项目", "region": str(world.a.region.id),
        "applicant": str(world.a.applicant.id), "investment_wan": "1200",
        "list_level": "COUNTY", "list_year": "2026", "status": "ACTIVE",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _field_error(html: str, field: str) -> str:
    """The error FAB renders in the same table cell as the field."""
    m = re.search(rf'id="{field}"(.*?)</td>', html, re.S)
    if not m:
        return ""
    errors = re.search(r'class="alert alert-danger">(.*?)</div>', m.group(1), re.S)
    return re.sub(r"<[^>]+>", "", errors.group(1)).strip() if errors else ""


def _project_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Project))


CASES = [
    ("duplicate code", lambda w: {"code": "__existing__"}, "code"),
    ("negative investment", lambda w: {"investment_wan": "-5"}, "investment_wan"),
    ("town outside the county", lambda w: {"town": str(w.b.town.id)}, "town"),
    ("too long name", lambda w: {"name": "长" * 201}, "name"),
    ("missing name", lambda w: {"name": ""}, "name"),
    ("missing region", lambda w: {"region": None}, "region"),
    ("terminated without reason", lambda w: {"status": "TERMINATED"}, "termination_reason"),
]


@pytest.mark.parametrize("label,change,field", CASES, ids=[c[0] for c in CASES])
def test_bad_project_input_is_refused_next_to_the_field(app, world, login, label, change, field):
    client = login("a_clerk")
    with app.app_context():
        existing = db.session.get(Project, world.a.project.id).code
    over = change(world)
    if over.get("code") == "__existing__":
        over["code"] = existing
    before = _project_count(app)
    resp = client.post("/projectview/add", data=_form(world, **over))
    assert resp.status_code == 200, f"{label}: expected the form back, got {resp.status_code}"
    html = resp.get_data(as_text=True)
    assert _field_error(html, field), f"{label}: no message next to {field}"
    # Nothing else lost: what the clerk typed is still in the form.
    assert "输入校验项目" in html or field == "name"
    assert _project_count(app) == before


def test_out_of_scope_or_missing_object_is_a_404_page(login, world):
    client = login("a_clerk")
    for url in ("/projectview/show/999999", f"/projectview/show/{world.b.project.id}",
                "/projectview/edit/999999", "/approvalitemview/show/abc"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        body = resp.get_data(as_text=True)
        assert "Traceback" not in body


def test_item_due_before_accepted_is_refused(app, world, login):
    client = login("a_clerk")
    with app.app_context():
        from app.models import Stage
        stage = db.session.scalar(select(Stage.id).where(Stage.code == "construction"))
        before = db.session.scalar(select(func.count()).select_from(ApprovalItem))
    resp = client.post("/approvalitemview/add", data={
        "project": str(world.a.project.id), "stage": str(stage), "name": "日期颠倒的事项",
        "department": str(world.a.department.id), "time_limit_days": "5",
        "status": "ACCEPTED", "accepted_on": "2026-10-10", "due_on": "2026-10-01",
        "fee_mode": "FREE", "division_of_labour": "ASSISTANT"})
    assert resp.status_code == 200
    assert _field_error(resp.get_data(as_text=True), "due_on")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApprovalItem)) == before


def test_item_due_date_is_computed_in_working_days(app, world, login):
    client = login("a_clerk")
    with app.app_context():
        from app.models import Stage
        stage = db.session.scalar(select(Stage.id).where(Stage.code == "construction"))
    resp = client.post("/approvalitemview/add", data={
        "project": str(world.a.project.id), "stage": str(stage), "name": "自动算期限的事项",
        "department": str(world.a.department.id), "time_limit_days": "5",
        "status": "ACCEPTED", "accepted_on": "2026-11-20",  # a Friday
        "fee_mode": "FREE", "division_of_labour": "ASSISTANT"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    with app.app_context():
        item = db.session.scalar(select(ApprovalItem).where(ApprovalItem.name == "自动算期限的事项"))
        assert str(item.due_on) == "2026-11-27"


API_CASES = [
    ({"investment_wan": -1}, "investment_wan"),
    ({"town": "__b_town__"}, "town"),
    ({"code": "__existing__"}, None),
]


@pytest.mark.parametrize("over,field", API_CASES)
def test_bad_project_input_over_the_api(app, world, api_token, client, over, field):
    headers = api_token("a_clerk")
    with app.app_context():
        existing = db.session.get(Project, world.a.project.id).code
    body = {"code": "API-BAD-1", "name": "接口校验项目", "region": world.a.region.id,
            "applicant": world.a.applicant.id, "investment_wan": 10, "list_level": "县级",
            "list_year": 2026, "status": "在办"}
    for k, v in over.items():
        body[k] = {"__b_town__": world.b.town.id, "__existing__": existing}.get(v, v)
    before = _project_count(app)
    resp = client.post("/api/v1/project/", json=body, headers=headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    if field:
        assert field in resp.json["message"], resp.json
    assert _project_count(app) == before


def test_project_created_over_the_api_gets_template_items(app, world, api_token, client):
    headers = api_token("a_clerk")
    resp = client.post("/api/v1/project/", headers=headers, json={
        "code": "API-OK-1", "name": "接口新建项目", "region": world.a.region.id,
        "applicant": world.a.applicant.id, "investment_wan": 10, "list_level": "县级",
        "list_year": 2026, "status": "在办"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, resp.json["id"])
        assert [i.name for i in project.items] == ["甲县施工许可"]
