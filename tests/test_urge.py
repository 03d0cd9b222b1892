"""催办 by hand: a dispatcher urges a department on an approval item, the department
replies, the dispatcher closes; an overdue hand-raised order escalates like a card's; an
assistant's proposal is dispatched or declined; the API; the scope; the 工单台账."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import openpyxl
import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from app import clock, ledgers
from app.extensions import db
from app.models import (
    ApprovalItem,
    AppUser,
    AuditRecord,
    CardLevel,
    CardSubject,
    JobRecord,
    JobStatus,
    Notification,
    ProjectStatus,
    Region,
    UrgeCategory,
    UrgeProposal,
    UrgeProposalStatus,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
    WorkOrderStep,
)
from app.security import roles
from app.security.scope import Scope
from app.services import calendar, urges, work_orders
from app.services.errors import DomainValidationError

from . import factories as f
from .test_warnings import TODAY, card, new_item, new_project, scan


def _user(username) -> AppUser:
    return db.session.scalar(select(AppUser).where(AppUser.username == username))


def _item(world, county="a", name="催办测试事项", **kw) -> int:
    pid = new_project(world, county=county, name=f"{name}项目")
    return new_item(world, pid, county=county, due_on=kw.pop("due_on", dt.date(2026, 11, 20)),
                    name=name, **kw)


def _steps(wo_id) -> list[str]:
    return [s.action for s in db.session.scalars(
        select(WorkOrderStep).where(WorkOrderStep.work_order_id == wo_id)
        .order_by(WorkOrderStep.id))]


def _notified(user_id, key) -> bool:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.event_key == key)) == 1


def _errors(page: str) -> list[str]:
    return [unescape(e).strip() for e in re.findall(
        r'<span class="help-block field-error">(.*?)</span>', page, re.S)]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _raise(world, item_id, *, user="a_dispatcher", today=TODAY, **kw) -> WorkOrder:
    item = db.session.get(ApprovalItem, item_id)
    values = dict(org_unit=item.department_id, title=None, request="请说明进度并加快办理",
                  category=UrgeCategory.BEHIND_SCHEDULE, due_days=3)
    values.update(kw)
    return urges.raise_urge(db.session, _user(user), project=item.project, item=item,
                            today=today, **values)


def _propose(world, item_id, user="a_assistant", **kw) -> UrgeProposal:
    item = db.session.get(ApprovalItem, item_id)
    values = dict(org_unit=item.department_id, title=None, request="企业反映材料已补齐，请尽快受理",
                  category=UrgeCategory.MATERIALS, due_days=2)
    values.update(kw)
    return urges.propose_urge(db.session, _user(user), project=item.project, item=item,
                              today=TODAY, **values)


# -- the story on the screens ---------------------------------------------------------------
def test_dispatcher_urges_the_department_which_replies_and_the_dispatcher_closes(
        app, world, login):
    with app.app_context():
        item_id = _item(world, name="施工图审查")
    client = login("a_dispatcher")
    page = client.get(f"/approvalitemview/show/{item_id}").get_data(as_text=True)
    assert 'id="urge-item"' in page and f"/urge/item/{item_id}" in page
    form = client.get(f"/urge/item/{item_id}").get_data(as_text=True)
    # The item's department is chosen already; the category is the dispatcher's to pick.
    assert f'<option value="{world.a.department.id}" selected>' in form
    assert all(c.value in form for c in UrgeCategory) and "checked" not in form
    assert 'id="urge-proposing"' not in form

    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": world.a.department.id, "category": "MATERIALS", "title": "",
        "request": "请说明补正材料审查进度", "due_days": "3"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        wo = db.session.scalar(select(WorkOrder).where(WorkOrder.item_id == item_id))
        wo_id = wo.id
        assert resp.headers["Location"].endswith(f"/workorderview/show/{wo_id}")
        assert (wo.origin, wo.category, wo.card_id) == (
            WorkOrderOrigin.MANUAL, UrgeCategory.MATERIALS, None)
        assert wo.org_unit_id == world.a.department.id and wo.region_id == world.a.region.id
        assert wo.title == "催办：施工图审查（施工图审查项目）"
        assert wo.reply_due_on == calendar.add_working_days(clock.today(), 3)
        assert wo.status == WorkOrderStatus.OPEN and _steps(wo_id) == ["dispatch"]
        assert _notified(world.a.users["dept"].id, f"wo:{wo_id}:dispatch")
        note = db.session.scalar(select(Notification).where(
            Notification.event_key == f"wo:{wo_id}:dispatch"))
        assert note.title.startswith("【催办·材料问题】")
        created = db.session.scalar(select(AuditRecord).where(
            AuditRecord.model == "WorkOrder", AuditRecord.object_id == str(wo_id),
            AuditRecord.action == "create"))
        assert created is not None

    # The list shows where each order came from and why, as badges.
    listing = client.get("/workorderview/list/?_flt_0_title=施工图审查").get_data(as_text=True)
    origin = re.findall(r'<td data-col="origin">(.*?)</td>', listing, re.S)
    category = re.findall(r'<td data-col="category">(.*?)</td>', listing, re.S)
    assert len(origin) == 1 and "app-badge-teal" in origin[0] and "人工催办" in origin[0]
    assert "app-badge" in category[0] and "材料问题" in category[0]

    # The department officer sees it and replies, with the existing flow.
    client = login("a_dept")
    page = client.get(f"/workorderview/show/{wo_id}").get_data(as_text=True)
    assert 'id="work-order-reply"' in page and "施工图审查" in page
    assert client.post(f"/workorderview/reply/{wo_id}",
                       data={"reply": "已安排专人，两个工作日内出具审查意见"}).status_code == 302
    client = login("a_dispatcher")
    assert client.post(f"/workorderview/close/{wo_id}",
                       data={"comment": "同意办结"}).status_code == 302
    with app.app_context():
        wo = db.session.get(WorkOrder, wo_id)
        assert wo.status == WorkOrderStatus.CLOSED and wo.reply.startswith("已安排专人")
        assert _steps(wo_id) == ["dispatch", "reply", "close"]


def test_bad_input_is_shown_next_to_each_field_and_nothing_typed_is_lost(app, world, login):
    with app.app_context():
        item_id = _item(world, name="坏输入事项")
        before = _count(WorkOrder)
    client = login("a_dispatcher")
    typed = "这段督办要求不能丢"
    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": world.b.department.id, "category": "", "title": "我的标题",
        "request": typed, "due_days": "-1"})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert set(_errors(page)) == {"请选择项目所在地区（或其上级地区）的部门或单位。",
                                  "请选择问题分类。", "回复期限不能早于今天。"}
    assert typed in page and 'value="我的标题"' in page and 'value="-1"' in page

    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": "", "category": "NOT_A_CATEGORY", "request": " ", "due_days": "三"})
    assert set(_errors(resp.get_data(as_text=True))) == {
        "请选择催办的部门或单位。", "请从所列问题分类中选择。", "请填写督办要求。",
        "请填写整数个工作日。"}
    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": world.a.department.id, "category": "OTHER", "request": "x",
        "due_days": str(urges.MAX_DUE_DAYS + 1)})
    assert _errors(resp.get_data(as_text=True)) == ["最多 60 个工作日。"]
    with app.app_context():
        assert _count(WorkOrder) == before
        # A terminated project is not urged (the message says why, at the top).
        project = db.session.get(ApprovalItem, item_id).project
        project.status, project.termination_reason = ProjectStatus.COMPLETED, None
        db.session.commit()
    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": world.a.department.id, "category": "OTHER", "request": "x",
        "due_days": "1"})
    assert 'id="urge-refusal"' in resp.get_data(as_text=True)
    assert "只有在办项目可以催办。" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(WorkOrder) == before


def test_an_overdue_hand_raised_order_gets_its_card_and_escalates_through_the_scan(app, world):
    with app.app_context():
        city_dispatcher = f.user("urge_city_dispatcher", [roles.DISPATCHER],
                                 region_=db.session.get(Region, world.city.id))
        item_id = _item(world, name="升级催办事项")
        wo = _raise(world, item_id, due_days=0, category=UrgeCategory.COORDINATION)
        db.session.commit()
        wo_id = wo.id
        assert wo.reply_due_on == TODAY
        later = dt.date(2026, 11, 13)
        scan(later)
        assert card(CardSubject.WORK_ORDER, wo_id, CardLevel.RED) is not None
        assert wo_id in work_orders.escalate_overdue(db.session, later)
        db.session.commit()
        wo = db.session.get(WorkOrder, wo_id)
        assert wo.region_id == world.city.id and wo.escalation_count == 1
        assert (wo.origin, wo.category) == (WorkOrderOrigin.MANUAL, UrgeCategory.COORDINATION)
        assert _steps(wo_id) == ["dispatch", "escalate"]
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == city_dispatcher.id,
            Notification.event_key.like(f"wo:{wo_id}:escalate:%"))) == 1
        # Run twice: nothing more.
        assert wo_id not in work_orders.escalate_overdue(db.session, later)


# -- the assistant's proposal ---------------------------------------------------------------
def test_an_assistants_proposal_is_dispatched_by_the_dispatcher(app, world, login):
    with app.app_context():
        item_id = _item(world, name="帮办员申请催办事项")
        orders = _count(WorkOrder)
    client = login("a_assistant")
    assert 'id="urge-item"' in client.get(f"/approvalitemview/show/{item_id}").get_data(
        as_text=True)
    form = client.get(f"/urge/item/{item_id}").get_data(as_text=True)
    assert 'id="urge-proposing"' in form and "提交调度员" in form
    resp = client.post(f"/urge/item/{item_id}", data={
        "org_unit": world.a.department.id, "category": "BEHIND_SCHEDULE", "title": "",
        "request": "已超过承诺时限，请部门说明", "due_days": "2"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        proposal = db.session.scalar(select(UrgeProposal).where(UrgeProposal.item_id == item_id))
        pid = proposal.id
        assert resp.headers["Location"].endswith(f"/urgeproposalview/show/{pid}")
        assert proposal.status == UrgeProposalStatus.PENDING and proposal.due_days == 2
        assert proposal.proposed_by_id == world.a.users["assistant"].id
        assert _count(WorkOrder) == orders  # nothing reaches the department yet
        assert _notified(world.a.users["dispatcher"].id, f"urge:{pid}:proposed")
        assert not _notified(world.a.users["dept"].id, f"urge:{pid}:proposed")
    # The department does not see proposals; the dispatcher finds it waiting, first.
    assert login("a_dept").get(f"/urgeproposalview/show/{pid}").status_code == 403
    client = login("a_dispatcher")
    listing = client.get("/urgeproposalview/list/").get_data(as_text=True)
    assert "帮办员申请催办事项" in listing and "待调度" in listing
    page = client.get(f"/urgeproposalview/show/{pid}").get_data(as_text=True)
    assert 'id="proposal-dispatch"' in page and 'id="proposal-decline"' in page
    assert "已超过承诺时限，请部门说明" in page  # the proposal's values, to edit
    resp = client.post(f"/urgeproposalview/dispatch/{pid}", data={
        "org_unit": world.a.department.id, "category": "BEHIND_SCHEDULE",
        "title": "催办：帮办员申请催办事项", "request": "已超过承诺时限，请部门说明原因",
        "due_days": "5"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        proposal = db.session.get(UrgeProposal, pid)
        wo = proposal.work_order
        assert proposal.status == UrgeProposalStatus.DISPATCHED and wo is not None
        assert proposal.decided_by_id == world.a.users["dispatcher"].id
        assert resp.headers["Location"].endswith(f"/workorderview/show/{wo.id}")
        assert (wo.origin, wo.category, wo.item_id) == (
            WorkOrderOrigin.MANUAL, UrgeCategory.BEHIND_SCHEDULE, item_id)
        assert wo.request == "已超过承诺时限，请部门说明原因"
        assert wo.reply_due_on == calendar.add_working_days(clock.today(), 5)
        assert _notified(world.a.users["assistant"].id, f"urge:{pid}:dispatched")
        assert _notified(world.a.users["dept"].id, f"wo:{wo.id}:dispatch")
        wo_id = wo.id
    # Decided once: a second dispatch is refused with the reason, nothing new made.
    again = client.post(f"/urgeproposalview/dispatch/{pid}", data={
        "org_unit": world.a.department.id, "category": "OTHER", "request": "再派一次",
        "due_days": "1"})
    assert "这条催办申请已经处理过了。" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(WorkOrder.id).where(
            WorkOrder.item_id == item_id)).all() == [wo_id]


def test_an_assistants_proposal_is_declined_with_a_reason(app, world, login):
    with app.app_context():
        item_id = _item(world, name="不予派单事项")
        pid = _propose(world, item_id).id
        db.session.commit()
    # The assistant cannot decide their own proposal.
    resp = login("a_assistant").post(f"/urgeproposalview/decline/{pid}", data={"reason": "x"})
    assert "只有调度员可以对催办申请作出不予派单的决定。" in resp.get_data(as_text=True)
    client = login("a_dispatcher")
    resp = client.post(f"/urgeproposalview/decline/{pid}", data={"reason": "  "})
    assert resp.status_code == 200 and _errors(resp.get_data(as_text=True)) == [
        "请说明不予派单的理由。"]
    with app.app_context():
        assert db.session.get(UrgeProposal, pid).status == UrgeProposalStatus.PENDING
    resp = client.post(f"/urgeproposalview/decline/{pid}",
                       data={"reason": "该事项已于昨日受理，无需催办"})
    assert resp.status_code == 302
    with app.app_context():
        proposal = db.session.get(UrgeProposal, pid)
        assert proposal.status == UrgeProposalStatus.DECLINED
        assert proposal.decline_reason == "该事项已于昨日受理，无需催办"
        assert proposal.work_order_id is None
        assert _notified(world.a.users["assistant"].id, f"urge:{pid}:declined")
    page = login("a_assistant").get(f"/urgeproposalview/show/{pid}").get_data(as_text=True)
    assert "该事项已于昨日受理，无需催办" in page and 'id="proposal-dispatch"' not in page


# -- the API ----------------------------------------------------------------------------------
def test_the_api_raises_proposes_and_decides_with_field_messages(app, world, client,
                                                                  api_token):
    with app.app_context():
        item_id = _item(world, name="接口催办事项")
        b_item = _item(world, county="b", name="乙县接口事项")
    dispatcher = api_token("a_dispatcher")
    resp = client.post("/api/v1/urge/raise", headers=dispatcher, json={
        "item": item_id, "org_unit": world.a.department.id, "category": "企业原因",
        "request": "请联系企业补充材料", "due_days": 2})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    order = resp.json["work_order"]
    assert (order["origin"], order["category"], order["item_id"]) == (
        "MANUAL", "ENTERPRISE", item_id)

    resp = client.post("/api/v1/urge/raise", headers=dispatcher, json={
        "item": item_id, "org_unit": world.b.department.id,
        "reply_due_on": (clock.today() - dt.timedelta(days=1)).isoformat(), "request": "x"})
    assert resp.status_code == 422
    assert set(resp.json["message"]) == {"org_unit", "category", "reply_due_on"}
    assert resp.json["message"]["reply_due_on"] == "回复期限不能早于今天。"
    # Another county's item, or none at all: 404 (a forged id reveals nothing).
    for forged in (b_item, 2**31 - 1, "x"):
        resp = client.post("/api/v1/urge/raise", headers=dispatcher, json={
            "item": forged, "org_unit": world.a.department.id, "category": "OTHER",
            "request": "越权", "due_days": 1})
        assert resp.status_code == 404, forged

    assistant = api_token("a_assistant")
    resp = client.post("/api/v1/urge/raise", headers=assistant, json={
        "item": item_id, "org_unit": world.a.department.id, "category": "MATERIALS",
        "request": "请督促受理", "due_days": 3})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    pid = resp.json["proposal"]["id"]
    assert resp.json["proposal"]["status"] == "PENDING"
    assert client.post(f"/api/v1/urge/{pid}/dispatch", headers=assistant,
                       json={}).status_code == 403
    listed = client.get("/api/v1/urge/", headers=dispatcher).json["result"]
    assert pid in [r["id"] for r in listed]
    assert client.get(f"/api/v1/urge/{pid}", headers=api_token("b_dispatcher")).status_code == 404
    assert client.post(f"/api/v1/urge/{pid}/decline", headers=api_token("b_dispatcher"),
                       json={"reason": "x"}).status_code == 404
    resp = client.post(f"/api/v1/urge/{pid}/decline", headers=dispatcher, json={})
    assert resp.status_code == 422 and set(resp.json["message"]) == {"reason"}
    resp = client.post(f"/api/v1/urge/{pid}/dispatch", headers=dispatcher,
                       json={"due_days": 4})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["work_order"]["category"] == "MATERIALS"
    resp = client.post(f"/api/v1/urge/{pid}/decline", headers=dispatcher, json={"reason": "晚了"})
    assert resp.status_code == 422 and "status" in resp.json["message"]

    # The company has no 催办 at all.
    resp = client.post("/api/v1/urge/raise", headers=api_token("a_company"), json={
        "item": item_id, "org_unit": world.a.department.id, "category": "OTHER",
        "request": "x", "due_days": 1})
    assert resp.status_code == 403


@pytest.mark.parametrize("odd", [
    {}, {"item": {}}, {"item": True, "org_unit": [], "category": {}, "due_days": {}},
    {"project": "1e9", "org_unit": 10**30, "due_days": 1e309, "request": 5},
    {"item": -1}, {"project": 0, "reply_due_on": "2026-02-30", "category": None},
])
def test_odd_json_is_answered_with_a_message_never_a_server_error(app, world, client,
                                                                   api_token, odd):
    with app.app_context():
        item_id = _item(world, name="怪异输入事项")
        pid = _propose(world, item_id).id
        db.session.commit()
    headers = api_token("a_dispatcher")
    resp = client.post("/api/v1/urge/raise", headers=headers, json=odd)
    assert resp.status_code in (404, 422), (odd, resp.get_data(as_text=True))
    for url in (f"/api/v1/urge/{pid}/dispatch", f"/api/v1/urge/{pid}/decline"):
        resp = client.post(url, headers=headers, json=odd)
        # (A dispatch without usable changes dispatches the proposal as it stands: 200.)
        assert resp.status_code in (200, 400, 404, 422), (url, odd, resp.get_data(as_text=True))
    for body in ("[1]", "not json", "null"):
        resp = client.post("/api/v1/urge/raise", headers={
            **headers, "Content-Type": "application/json"}, data=body)
        assert resp.status_code == 400, body


# -- scope ------------------------------------------------------------------------------------
def test_another_countys_item_is_not_found_and_the_enterprise_is_refused(app, world, login):
    with app.app_context():
        a_item = _item(world, name="甲县范围事项")
        b_item = _item(world, county="b", name="乙县范围事项")
        b_pid = _propose(world, b_item, user="b_assistant").id
        db.session.commit()
        # The command refuses a row outside the scope, whoever calls it.
        with pytest.raises(urges.NotFound):
            _raise(world, b_item)
        with pytest.raises(urges.NotFound):
            urges.dispatch_proposal(db.session, _user("a_dispatcher"), b_pid)
        db.session.rollback()
    client = login("a_dispatcher")
    assert client.get(f"/urge/item/{b_item}").status_code == 404
    assert client.post(f"/urge/item/{b_item}", data={
        "org_unit": world.a.department.id, "category": "OTHER", "request": "x",
        "due_days": "1"}).status_code == 404
    assert client.get(f"/urgeproposalview/show/{b_pid}").status_code == 404
    assert client.post(f"/urgeproposalview/dispatch/{b_pid}", data={}).status_code == 404
    # The company sees its item but no 催办 button, and the form is refused.
    company = login("a_company")
    page = company.get(f"/approvalitemview/show/{a_item}")
    assert page.status_code in (200, 404)
    assert 'id="urge-item"' not in page.get_data(as_text=True)
    assert company.get(f"/urge/item/{a_item}").status_code == 403
    assert company.get("/urgeproposalview/list/").status_code == 403
    # The department officer answers work orders but does not raise them.
    assert login("a_dept").get(f"/urge/item/{a_item}").status_code == 403
    with app.app_context():
        with pytest.raises(urges.NotAllowed):
            _raise(world, a_item, user="a_dept")
        with pytest.raises(urges.NotAllowed):
            _propose(world, a_item, user="a_dispatcher")  # a dispatcher raises it himself
        assert Scope(_user("a_company")).condition(UrgeProposal) is not None
        db.session.rollback()


def test_the_items_own_city_bureau_may_be_urged_but_not_a_neighbours_unit(app, world):
    with app.app_context():
        city = db.session.get(Region, world.city.id)
        bureau = f.org_unit(city, "测试市自然资源和规划局")
        db.session.commit()
        item_id = _item(world, name="市级部门事项")
        item = db.session.get(ApprovalItem, item_id)
        item.department = bureau
        db.session.commit()
        # The county dispatcher does not see the city's units, but the item's own
        # department is always the one to urge.
        wo = _raise(world, item_id)
        assert wo.org_unit_id == bureau.id
        assert bureau.id in {u.id for u in urges.units_for(
            db.session, _user("a_dispatcher"), item.project, item)}
        with pytest.raises(DomainValidationError) as err:
            _raise(world, item_id, org_unit=world.b.utility.id)
        assert set(err.value.errors) == {"org_unit"}
        db.session.rollback()


# -- the ledger -------------------------------------------------------------------------------
def test_the_work_order_ledger_lists_every_order_in_scope(app, world, login, tmp_path,
                                                          monkeypatch):
    from .test_work_orders import _red_card

    with app.app_context():
        item_id = _item(world, name="台账催办事项")
        manual = _raise(world, item_id, category=UrgeCategory.COORDINATION,
                        request="=HYPERLINK(\"x\")")
        card_id = _red_card(world, name="台账卡片事项")
        carded = work_orders.dispatch(db.session, card_id, world.a.department.id,
                                      dt.date(2026, 11, 16), "请说明超期原因",
                                      _user("a_dispatcher"), today=TODAY)
        db.session.flush()
        work_orders.reply(db.session, carded.id, "已办结", _user("a_dept"))
        b_item = _item(world, county="b", name="乙县台账事项")
        _raise(world, b_item, user="b_dispatcher")
        db.session.commit()
        code = manual.project.code
        out = tmp_path / "wo.xlsx"
        rows = ledgers.build(db.session, "work_orders", Scope(_user("a_dispatcher")), {}, out,
                             as_of=dt.date(2026, 11, 23))
        assert rows == 2
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "甲县工单台账（截至2026年11月23日）"
    header = [c.value for c in ws[ledgers.HEADER_ROWS]]
    assert {"来源", "问题分类", "承办单位", "回复期限", "升级次数", "回复内容"} <= set(header)
    col = {name: i for i, name in enumerate(header)}
    data = {row[col["工单标题"]]: row for row in ws.iter_rows(
        min_row=ledgers.HEADER_ROWS + 1, values_only=True)}
    assert set(data) == {"催办：台账催办事项（台账催办事项项目）", "台账卡片事项 · 台账卡片事项项目"}
    hand = data["催办：台账催办事项（台账催办事项项目）"]
    assert hand[col["项目代码"]] == code and hand[col["审批/协调事项"]] == "台账催办事项"
    assert (hand[col["来源"]], hand[col["问题分类"]], hand[col["状态"]]) == (
        "人工催办", "部门协调", "待回复")
    assert hand[col["承办单位"]] == "甲县住房和城乡建设局" and hand[col["督办层级"]] == "甲县"
    assert hand[col["督办要求"]] == '=HYPERLINK("x")'  # text, never a formula
    assert hand[col["超期工作日"]] == 5  # due Mon 11-16: late on 11-17..20 and 11-23
    cardrow = data["台账卡片事项 · 台账卡片事项项目"]
    assert (cardrow[col["来源"]], cardrow[col["问题分类"]]) == ("红黄牌预警", None)
    assert cardrow[col["回复内容"]] == "已办结" and cardrow[col["状态"]] == "已回复"
    assert cardrow[col["超期工作日"]] is None  # replied: not late any more

    # Filtered like the list: only the hand-raised ones.
    with app.app_context():
        only = tmp_path / "manual.xlsx"
        assert ledgers.build(db.session, "work_orders", Scope(_user("a_dispatcher")),
                             {"origin": "MANUAL"}, only, as_of=dt.date(2026, 11, 23)) == 1

    # The list's export button starts the job; it runs in the user's scope.
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    client = login("a_dispatcher")
    assert "/ledgers/work_orders" in client.get("/workorderview/list/").get_data(as_text=True)
    assert client.post("/ledgers/work_orders").status_code == 302
    from workers.queues import queue, redis_connection

    with app.app_context():
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "ledger_work_orders"
        record_id = record.id
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        record = db.session.get(JobRecord, record_id)
        assert record.status == JobStatus.FINISHED, record.error
        names = [r[5] for r in openpyxl.load_workbook(record.result_path).active.iter_rows(
            min_row=ledgers.HEADER_ROWS + 1, values_only=True)]
        assert sorted(names) == sorted(data)
