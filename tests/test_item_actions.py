"""A department officer works an approval item by actions, not by a free edit: 受理 → 要求补正
(the clock pauses) → 补正到达 → 办结, or 不予许可, or 告知承诺 where the region allows it.
Each action is audited, notifies the project's assistant, and a decision is told to the
enterprise (告知结果). Bad input is refused with nothing saved; the enterprise and the other
county reach nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Applicant,
    ApprovalItem,
    AuditRecord,
    ItemMaterial,
    ItemStatus,
    MaterialStatus,
    Notification,
    ProjectAssistant,
    Region,
)

from . import factories as f

MON, TUE, WED, THU, FRI = (dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6))
NEXT_MON, NEXT_WED = dt.date(2026, 11, 9), dt.date(2026, 11, 11)


def _new_item(app, world, county="a") -> int:
    """A fresh project of the county's company (its assistant the lead) and its standard
    item (3 working days, the county's department)."""
    with app.app_context():
        c = getattr(world, county)
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id))
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True))
        db.session.commit()
        return project.items[0].id


def _api(app, api_token, username, url, body=None):
    """One API call with a token of its own (the tests' JWT answers one request)."""
    client, headers = app.test_client(), api_token(username)
    if body is None:
        return client.get(url, headers=headers)
    return client.post(url, json=body, headers=headers)


def _item(item_id) -> ApprovalItem:
    db.session.expire_all()
    return db.session.get(ApprovalItem, item_id)


def _act(client, item_id, action, **values):
    return client.post(f"/itemactions/{item_id}/{action}", data=values,
                       follow_redirects=False)


def _audits(item_id) -> list[str]:
    return list(db.session.scalars(select(AuditRecord.action).where(
        AuditRecord.model == "ApprovalItem", AuditRecord.object_id == str(item_id),
        AuditRecord.action.like("item_%")).order_by(AuditRecord.id)))


def _notices(user_id, prefix) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.event_key.like(prefix + "%"))
        .order_by(Notification.id)))


def test_the_department_accepts_asks_for_corrections_and_finishes(app, world, login):
    item_id = _new_item(app, world)
    client = login("a_dept")
    page = client.get(f"/itemactions/{item_id}").get_data(as_text=True)
    assert 'id="action-accept"' in page and 'id="action-finish"' not in page

    resp = _act(client, item_id, "accept", on=MON.isoformat(), responsible_person="王科长",
                responsible_phone="0512-1234")
    assert resp.status_code == 302
    with app.app_context():
        item = _item(item_id)
        assert (item.status, item.accepted_on, item.due_on) == (ItemStatus.ACCEPTED, MON, THU)
        assert item.responsible_person == "王科长"

    assert _act(client, item_id, "request_correction", on=TUE.isoformat(),
                note="补充消防设计文件").status_code == 302
    with app.app_context():
        item = _item(item_id)
        # The clock stops on the day the corrections are asked for: no due date meanwhile.
        assert item.status == ItemStatus.CORRECTING and item.due_on is None
        assert item.corrections[0].note == "补充消防设计文件"

    assert _act(client, item_id, "correction_arrived", on=FRI.isoformat()).status_code == 302
    with app.app_context():
        item = _item(item_id)
        # The acceptance day does not count and Tue–Fri are paused: three days from
        # next Monday.
        assert (item.status, item.due_on) == (ItemStatus.ACCEPTED, NEXT_WED)

    assert _act(client, item_id, "finish", on=NEXT_MON.isoformat(), result="准予许可",
                certificate_no="SG-2026-001").status_code == 302
    with app.app_context():
        item = _item(item_id)
        assert (item.status, item.finished_on, item.result, item.certificate_no) == (
            ItemStatus.FINISHED, NEXT_MON, "准予许可", "SG-2026-001")
        assert _audits(item_id) == ["item_accept", "item_correct",
                                    "item_corrected", "item_finish"]
        # Each action told the assistant; the decision was told to the enterprise user.
        assistant = world.a.users["assistant"].id
        assert len(_notices(assistant, f"item-action:{item_id}:")) == 4
        told = _notices(world.a.users["company"].id, f"result:{item_id}:")
        assert len(told) == 1 and "SG-2026-001" in told[0].body
        assert item.result_told_at is not None and "a_company" in item.result_told_to
        # The other county's company heard nothing.
        assert _notices(world.b.users["company"].id, f"result:{item_id}:") == []


def test_finishing_before_accepting_is_refused_and_nothing_is_saved(app, world, login):
    item_id = _new_item(app, world)
    client = login("a_dept")
    resp = _act(client, item_id, "finish", on=MON.isoformat(), result="准予许可")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "未开始" in text and "办结" in text and 'id="action-refusal"' in text
    with app.app_context():
        item = _item(item_id)
        assert item.status == ItemStatus.NOT_STARTED and item.finished_on is None
        assert _audits(item_id) == []
    client.get("/lang/en")
    text = _act(client, item_id, "finish", on=MON.isoformat(),
                result="ok").get_data(as_text=True)
    assert "is not possible while the item is" in text


def test_a_finish_date_before_the_accepted_date_is_refused_next_to_the_field(app, world,
                                                                            login):
    item_id = _new_item(app, world)
    client = login("a_dept")
    _act(client, item_id, "accept", on=WED.isoformat())
    resp = _act(client, item_id, "finish", on=MON.isoformat(), result="准予许可",
                certificate_no="X-1")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "不能早于" in text and "field-error" in text
    # What was typed stays in the form.
    assert 'value="X-1"' in text
    # A result is required; a date cannot lie in the future.
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    text = _act(client, item_id, "finish", on=future).get_data(as_text=True)
    assert "不能晚于今天" in text or "future" in text
    with app.app_context():
        item = _item(item_id)
        assert (item.status, item.finished_on) == (ItemStatus.ACCEPTED, None)
        assert _audits(item_id) == ["item_accept"]


def test_refusal_is_told_to_the_enterprise_with_its_reason(app, world, login):
    item_id = _new_item(app, world)
    client = login("a_dept")
    _act(client, item_id, "accept", on=MON.isoformat())
    assert _act(client, item_id, "refuse", on=WED.isoformat(), reason="").status_code == 200
    assert _act(client, item_id, "refuse", on=WED.isoformat(),
                reason="用地不符合规划").status_code == 302
    with app.app_context():
        item = _item(item_id)
        assert item.status == ItemStatus.REFUSED and item.refusal_reason == "用地不符合规划"
        told = _notices(world.a.users["company"].id, f"result:{item_id}:")
        assert len(told) == 1 and "用地不符合规划" in told[0].body


def test_commitment_only_where_the_region_allows_it(app, world, api_token):
    item_id = _new_item(app, world)
    url = f"/api/v1/approval_item_action/{item_id}/commit"
    body = {"on": MON.isoformat(), "commitment": "承诺在开工前补齐消防设计审查意见"}
    resp = _api(app, api_token, "a_dept", url, body)
    assert resp.status_code == 422 and "status" in resp.json["message"]
    with app.app_context():
        db.session.get(Region, world.a.region.id).commitment_allowed = True
        db.session.commit()
    resp = _api(app, api_token, "a_dept", url, body)
    assert resp.status_code == 200, resp.json
    assert resp.json["result"]["status"] == "FINISHED" and resp.json["result"]["told"] == [
        "a_company"]
    with app.app_context():
        item = _item(item_id)
        assert item.commitment.startswith("承诺") and item.accepted_on == MON


def test_the_api_takes_the_same_actions_and_answers_422_by_field(app, world, api_token):
    item_id = _new_item(app, world)
    base = f"/api/v1/approval_item_action/{item_id}"
    resp = _api(app, api_token, "a_dept", f"{base}/finish", {"on": MON.isoformat(),
                                                             "result": "x"})
    assert resp.status_code == 422 and "status" in resp.json["message"]
    resp = _api(app, api_token, "a_dept", f"{base}/accept", {"on": "2026-13-01"})
    assert resp.status_code == 422 and "on" in resp.json["message"]
    resp = _api(app, api_token, "a_dept", f"{base}/accept", {"on": WED.isoformat()})
    assert resp.status_code == 200 and resp.json["result"]["due_on"] == "2026-11-09"
    resp = _api(app, api_token, "a_dept", f"{base}/finish", {"on": TUE.isoformat(),
                                                             "result": "准予"})
    assert resp.status_code == 422 and set(resp.json["message"]) == {"on"}
    assert _api(app, api_token, "a_dept", base).json["result"]["status"] == "已受理"
    with app.app_context():
        assert _audits(item_id) == ["item_accept"]


def test_department_officers_no_longer_edit_status_and_dates_freely(app, world, login,
                                                                   api_token):
    item_id = _new_item(app, world)
    client = login("a_dept")
    assert client.get(f"/approvalitemview/edit/{item_id}").status_code in (302, 403)
    resp = app.test_client().put(f"/api/v1/approval_item/{item_id}", json={
        "status": "FINISHED", "accepted_on": "2026-11-02", "finished_on": "2026-11-03"},
        headers=api_token("a_dept"))
    assert resp.status_code == 403, resp.get_data(as_text=True)
    with app.app_context():
        assert _item(item_id).status == ItemStatus.NOT_STARTED
    # The item page leads them to the actions instead.
    assert 'id="open-item-actions"' in client.get(
        f"/approvalitemview/show/{item_id}").get_data(as_text=True)


def test_the_materials_checklist_of_an_item(app, world, login):
    item_id = _new_item(app, world)
    client = login("a_dept")
    resp = client.post("/itemmaterialview/add", data={
        "item": item_id, "name": "消防设计审查意见书", "status": "DEFERRED",
        "promised_on": "2026-11-20"})
    assert resp.status_code == 302
    with app.app_context():
        rows = list(db.session.scalars(select(ItemMaterial).where(
            ItemMaterial.item_id == item_id)))
        assert [(r.name, r.status) for r in rows] == [("消防设计审查意见书",
                                                       MaterialStatus.DEFERRED)]
    page = client.get(f"/itemactions/{item_id}").get_data(as_text=True)
    assert "消防设计审查意见书" in page and "容缺" in page


def test_the_enterprise_and_the_other_county_reach_no_action(app, world, login, api_token):
    item_id = _new_item(app, world)
    url = f"/api/v1/approval_item_action/{item_id}/accept"
    assert _api(app, api_token, "a_company", url, {"on": MON.isoformat()}).status_code == 403
    assert _api(app, api_token, "b_dept", url, {"on": MON.isoformat()}).status_code == 404
    assert login("a_company").get(f"/itemactions/{item_id}").status_code in (302, 403)
    client = login("b_dept")
    assert client.get(f"/itemactions/{item_id}").status_code == 404
    assert _act(client, item_id, "accept", on=MON.isoformat()).status_code == 404
    with app.app_context():
        assert _item(item_id).status == ItemStatus.NOT_STARTED
        assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "item_accept", AuditRecord.object_id == str(item_id))) == 0
