"""催办 on a coordination request: the dispatcher raises a work order on a request (to its
first owner unit unless changed), an assistant proposes one and the dispatcher dispatches
it with the request carried over; a resolved request, another county's request and an
item-and-request pair are refused; the work order, the proposal and the 工单台账 name the
request."""
from __future__ import annotations

import datetime as dt
import re
from html import unescape

import openpyxl
import pytest
from sqlalchemy import select

from app import clock, ledgers
from app.extensions import db
from app.models import (
    ApprovalItem,
    AppUser,
    CoordinationRequest,
    Project,
    UrgeCategory,
    UrgeProposal,
    UrgeProposalStatus,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from app.security.scope import Scope
from app.services import calendar, urges
from app.services import coordination as coord
from app.services.errors import DomainValidationError

from .test_warnings import new_item, new_project

RESOLVED_MSG = "该协调事项已解决，无需再催办。"
BOTH_MSG = "催办对象只能是一个审批事项或一个协调事项，不能同时选择。"


def _user(username) -> AppUser:
    return db.session.scalar(select(AppUser).where(AppUser.username == username))


def _request(world, county="a", owners=("utility", "department"), title="线路迁改方案未出具"
             ) -> int:
    """A fresh project of the county and an open request on it for ``owners`` (the
    county's units, in that order), raised by its assistant; committed."""
    c = getattr(world, county)
    pid = new_project(world, county=county, name=f"{title}项目")
    req = coord.raise_request(
        db.session, db.session.get(Project, pid), _user(f"{county}_assistant"), title=title,
        problem="10千伏线路需迁改，迁改方案迟迟未出具", category="FACTOR_SUPPLY",
        owner_unit_ids=[getattr(c, o).id for o in owners],
        requested_outcome="5个工作日内出具迁改方案", days=3)
    db.session.commit()
    return req.id


def _values(**kw) -> dict:
    values = dict(org_unit=None, title=None, request="请尽快出具迁改方案并答复",
                  category=UrgeCategory.COORDINATION, due_days=3)
    values.update(kw)
    return values


def _refusal(page: str) -> str | None:
    found = re.search(r'<div class="alert alert-danger" id="(?:urge|proposal)-refusal">(.*?)</div>',
                      page, re.S)
    return unescape(found.group(1)).strip() if found else None


# -- the dispatcher -------------------------------------------------------------------------
def test_the_dispatcher_urges_a_requests_first_owner_unit(app, world, login, tmp_path):
    with app.app_context():
        req_id = _request(world, title="迁改方案催办")
    client = login("a_dispatcher")
    page = client.get(f"/coordinationrequestview/show/{req_id}").get_data(as_text=True)
    assert 'id="urge-request"' in page and f"/urge/request/{req_id}" in page
    form = client.get(f"/urge/request/{req_id}").get_data(as_text=True)
    # The request's first owner unit is chosen already; its title names the order.
    assert f'<option value="{world.a.utility.id}" selected>' in form
    assert f'<option value="{world.a.department.id}" selected>' not in form
    assert "催办：迁改方案催办（迁改方案催办项目）" in form and "迁改方案催办" in form

    resp = client.post(f"/urge/request/{req_id}", data={
        "org_unit": world.a.department.id, "category": "COORDINATION", "title": "",
        "request": "请住建局配合出具意见", "due_days": "2"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        wo = db.session.scalar(select(WorkOrder).where(
            WorkOrder.coordination_request_id == req_id))
        wo_id = wo.id
        assert resp.headers["Location"].endswith(f"/workorderview/show/{wo_id}")
        assert (wo.origin, wo.category, wo.item_id, wo.status) == (
            WorkOrderOrigin.MANUAL, UrgeCategory.COORDINATION, None, WorkOrderStatus.OPEN)
        # Any owner unit may be chosen instead of the first.
        assert wo.org_unit_id == world.a.department.id
        assert wo.project_id == db.session.get(CoordinationRequest, req_id).project_id
        assert wo.title == "催办：迁改方案催办（迁改方案催办项目）"
        assert wo.reply_due_on == calendar.add_working_days(clock.today(), 2)

        # Left without a unit (the API, a command), it goes to the first owner unit.
        creq = db.session.get(CoordinationRequest, req_id)
        other = urges.raise_urge(db.session, _user("a_dispatcher"), project=creq.project,
                                 coordination_request=creq, **_values())
        assert other.org_unit_id == world.a.utility.id
        assert other.coordination_request_id == req_id
        db.session.commit()
        code = creq.project.code

    # The work order's page links back to the request.
    page = client.get(f"/workorderview/show/{wo_id}").get_data(as_text=True)
    assert 'id="work-order-coordination-request"' in page
    assert f"/coordinationrequestview/show/{req_id}" in page

    # The 工单台账 names the request where an item's order names its item.
    with app.app_context():
        out = tmp_path / "wo.xlsx"
        ledgers.build(db.session, "work_orders", Scope(_user("a_dispatcher")), {}, out,
                      as_of=dt.date(2026, 11, 23))
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[ledgers.HEADER_ROWS]]
    col = {name: i for i, name in enumerate(header)}
    rows = [r for r in ws.iter_rows(min_row=ledgers.HEADER_ROWS + 1, values_only=True)
            if r[col["项目代码"]] == code]
    assert len(rows) == 2
    assert {r[col["审批/协调事项"]] for r in rows} == {"协调事项：迁改方案催办"}


def test_a_cross_county_requests_owner_may_be_urged_but_no_other_unit(app, world):
    with app.app_context():
        # County a's request naming county b's utility: the request is the city's.
        c = world.a
        pid = new_project(world, name="跨县协调项目")
        city_raiser = _user("a_assistant")
        creq = coord.raise_request(
            db.session, db.session.get(Project, pid), city_raiser, title="跨县协调",
            problem="需乙县供电公司配合", category="CROSS_DEPARTMENT",
            owner_unit_ids=[world.b.utility.id, c.department.id],
            requested_outcome="明确配合方案", days=3)
        db.session.commit()
        req_id = creq.id
        dispatcher = _user("a_dispatcher")
        creq = db.session.get(CoordinationRequest, req_id)
        units = {u.id for u in urges.units_for(db.session, dispatcher, creq.project, None,
                                               creq)}
        assert world.b.utility.id in units and world.b.department.id not in units
        wo = urges.raise_urge(db.session, dispatcher, project=creq.project,
                              coordination_request=creq, **_values())
        assert wo.org_unit_id == world.b.utility.id  # the first owner, another county's
        with pytest.raises(DomainValidationError) as err:
            urges.raise_urge(db.session, dispatcher, project=creq.project,
                             coordination_request=creq,
                             **_values(org_unit=world.b.department.id))
        assert set(err.value.errors) == {"org_unit"}
        db.session.rollback()


# -- the assistant --------------------------------------------------------------------------
def test_an_assistants_proposal_on_a_request_is_dispatched_with_the_request(app, world,
                                                                            login):
    with app.app_context():
        req_id = _request(world, title="帮办员协调催办")
    client = login("a_assistant")
    page = client.get(f"/coordinationrequestview/show/{req_id}").get_data(as_text=True)
    assert 'id="urge-request"' in page
    form = client.get(f"/urge/request/{req_id}").get_data(as_text=True)
    assert 'id="urge-proposing"' in form
    resp = client.post(f"/urge/request/{req_id}", data={
        "org_unit": world.a.utility.id, "category": "BEHIND_SCHEDULE", "title": "",
        "request": "答复期限将至，请督促供电公司", "due_days": "2"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        proposal = db.session.scalar(select(UrgeProposal).where(
            UrgeProposal.coordination_request_id == req_id))
        pid = proposal.id
        assert proposal.item_id is None and proposal.status == UrgeProposalStatus.PENDING
        assert resp.headers["Location"].endswith(f"/urgeproposalview/show/{pid}")

    client = login("a_dispatcher")
    page = client.get(f"/urgeproposalview/show/{pid}").get_data(as_text=True)
    assert 'id="proposal-coordination-request"' in page
    assert f"/coordinationrequestview/show/{req_id}" in page
    assert f'<option value="{world.a.utility.id}" selected>' in page
    resp = client.post(f"/urgeproposalview/dispatch/{pid}", data={
        "org_unit": world.a.utility.id, "category": "BEHIND_SCHEDULE",
        "title": "催办：帮办员协调催办", "request": "答复期限将至，请督促供电公司",
        "due_days": "3"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        proposal = db.session.get(UrgeProposal, pid)
        wo = proposal.work_order
        assert proposal.status == UrgeProposalStatus.DISPATCHED
        assert (wo.coordination_request_id, wo.item_id, wo.org_unit_id) == (
            req_id, None, world.a.utility.id)


def test_a_request_resolved_before_dispatch_is_refused_on_the_proposal(app, world, login):
    with app.app_context():
        req_id = _request(world, title="派单前已解决")
        creq = db.session.get(CoordinationRequest, req_id)
        pid = urges.propose_urge(db.session, _user("a_assistant"), project=creq.project,
                                 coordination_request=creq, **_values(org_unit=None)).id
        coord.resolve(db.session, req_id, _user("a_assistant"), "已协调解决")
        db.session.commit()
    resp = login("a_dispatcher").post(f"/urgeproposalview/dispatch/{pid}", data={
        "org_unit": world.a.utility.id, "category": "COORDINATION", "request": "请答复",
        "due_days": "2"})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _refusal(page) == RESOLVED_MSG and "请答复" in page  # the typed text kept
    with app.app_context():
        assert db.session.get(UrgeProposal, pid).status == UrgeProposalStatus.PENDING


# -- refusals ----------------------------------------------------------------------------------
def test_a_resolved_request_is_refused_and_shows_no_button(app, world, login, client,
                                                          api_token):
    with app.app_context():
        req_id = _request(world, title="已解决事项")
        coord.resolve(db.session, req_id, _user("a_assistant"), "已协调解决")
        db.session.commit()
        creq = db.session.get(CoordinationRequest, req_id)
        with pytest.raises(DomainValidationError) as err:
            urges.raise_urge(db.session, _user("a_dispatcher"), project=creq.project,
                             coordination_request=creq, **_values())
        assert err.value.errors == {"coordination_request": RESOLVED_MSG}
        db.session.rollback()
    web = login("a_dispatcher")
    page = web.get(f"/coordinationrequestview/show/{req_id}").get_data(as_text=True)
    assert 'id="urge-request"' not in page
    resp = web.post(f"/urge/request/{req_id}", data={
        "org_unit": world.a.utility.id, "category": "COORDINATION", "title": "",
        "request": "已解决仍催办", "due_days": "2"})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _refusal(page) == RESOLVED_MSG and "已解决仍催办" in page
    web.get("/logout/")
    resp = client.post("/api/v1/urge/raise", headers=api_token("a_dispatcher"), json={
        "coordination_request": req_id, "category": "COORDINATION", "request": "x",
        "due_days": 1})
    assert resp.status_code == 422
    assert resp.json["message"] == {"coordination_request": RESOLVED_MSG}
    with app.app_context():
        assert db.session.scalar(select(WorkOrder.id).where(
            WorkOrder.coordination_request_id == req_id)) is None


def test_another_countys_request_is_not_found_on_the_screen_and_the_api(app, world, login,
                                                                       client, api_token):
    with app.app_context():
        b_req = _request(world, county="b", title="乙县协调事项")
        creq = db.session.get(CoordinationRequest, b_req)
        with pytest.raises(urges.NotFound):
            urges.raise_urge(db.session, _user("a_dispatcher"), project=None,
                             coordination_request=creq, **_values())
        with pytest.raises(urges.NotFound):
            urges.propose_urge(db.session, _user("a_assistant"), project=None,
                               coordination_request=creq, **_values())
        db.session.rollback()
    web = login("a_dispatcher")
    assert web.get(f"/urge/request/{b_req}").status_code == 404
    assert web.post(f"/urge/request/{b_req}", data={
        "org_unit": world.b.utility.id, "category": "OTHER", "request": "越权",
        "due_days": "1"}).status_code == 404
    assert login("a_assistant").get(f"/urge/request/{b_req}").status_code == 404
    web.get("/logout/")
    dispatcher = api_token("a_dispatcher")
    for forged in (b_req, 2**31 - 1, "x"):
        resp = client.post("/api/v1/urge/raise", headers=dispatcher, json={
            "coordination_request": forged, "category": "OTHER", "request": "越权",
            "due_days": 1})
        assert resp.status_code == 404, forged
    with app.app_context():
        assert db.session.scalar(select(WorkOrder.id).where(
            WorkOrder.coordination_request_id == b_req)) is None


def test_an_item_and_a_request_together_are_refused(app, world, client, api_token):
    with app.app_context():
        req_id = _request(world, title="同时催办")
        creq = db.session.get(CoordinationRequest, req_id)
        item_id = new_item(world, creq.project_id, due_on=dt.date(2026, 11, 20),
                           name="同时催办事项")
        item = db.session.get(ApprovalItem, item_id)
        with pytest.raises(DomainValidationError) as err:
            urges.raise_urge(db.session, _user("a_dispatcher"), project=creq.project,
                             item=item, coordination_request=creq,
                             **_values(org_unit=item.department_id))
        assert err.value.errors == {"coordination_request": BOTH_MSG}
        db.session.rollback()
        # A request of another project of the county is not this project's.
        other = db.session.get(Project, new_project(world, name="另一个项目"))
        creq = db.session.get(CoordinationRequest, req_id)
        with pytest.raises(DomainValidationError) as err:
            urges.raise_urge(db.session, _user("a_dispatcher"), project=other,
                             coordination_request=creq, **_values())
        assert err.value.errors == {"coordination_request": "该协调事项不属于此项目。"}
        db.session.rollback()
    resp = client.post("/api/v1/urge/raise", headers=api_token("a_dispatcher"), json={
        "item": item_id, "coordination_request": req_id, "org_unit": world.a.department.id,
        "category": "OTHER", "request": "两个都催", "due_days": 1})
    assert resp.status_code == 422
    assert resp.json["message"] == {"coordination_request": BOTH_MSG}
    # A request alone over the API: the work order names it, the unit its first owner.
    resp = client.post("/api/v1/urge/raise", headers=api_token("a_dispatcher"), json={
        "coordination_request": req_id, "category": "部门协调", "request": "请答复",
        "due_days": 1})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    order = resp.json["work_order"]
    assert (order["coordination_request_id"], order["item_id"], order["org_unit_id"]) == (
        req_id, None, world.a.utility.id)
