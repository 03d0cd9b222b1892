"""Work orders: dispatch → reply → send back → reply → close through the screens, with
steps, audit records and notifications; refusals; escalation up the region tree; scope."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    AuditRecord,
    CardLevel,
    CardSubject,
    Notification,
    Region,
    WorkOrder,
    WorkOrderStatus,
    WorkOrderStep,
)
from app.security import roles
from app.services import work_orders

from . import factories as f
from .test_warnings import TODAY, card, new_item, new_project, scan

# Deadlines in the future whatever day the tests run (the screens check "not in the past").
FUTURE = dt.date.today() + dt.timedelta(days=30)


def _red_card(world, county="a", name="工单测试事项") -> int:
    pid = new_project(world, county=county, name=f"{name}项目")
    item_id = new_item(world, pid, county=county, due_on=dt.date(2026, 11, 2), name=name)
    scan()
    return card(CardSubject.ITEM, item_id, CardLevel.RED).id


def _user(username) -> AppUser:
    return db.session.scalar(select(AppUser).where(AppUser.username == username))


def _steps(wo_id) -> list[str]:
    return [s.action for s in db.session.scalars(
        select(WorkOrderStep).where(WorkOrderStep.work_order_id == wo_id)
        .order_by(WorkOrderStep.id))]


def _notified(user_id, prefix) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.event_key.like(prefix + "%"))))


def test_full_flow_through_the_screens(app, world, login):
    with app.app_context():
        card_id = _red_card(world, name="全流程事项")
    client = login("a_dispatcher")
    resp = client.post(f"/warningcardview/dispatch/{card_id}", data={
        "org_unit": world.a.department.id, "reply_due_on": FUTURE.isoformat(),
        "request": "请于期限内说明超期原因并加快办理"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        wo = db.session.scalar(select(WorkOrder).where(WorkOrder.card_id == card_id))
        wo_id = wo.id
        assert wo.status == WorkOrderStatus.OPEN and wo.region_id == world.a.region.id
        assert wo.org_unit_id == world.a.department.id and wo.reply_due_on == FUTURE
        assert _steps(wo_id) == ["dispatch"]
        assert _notified(world.a.users["dept"].id, f"wo:{wo_id}:dispatch")
    assert resp.headers["Location"].endswith(f"/workorderview/show/{wo_id}")
    # A second work order for the same card is refused while this one is open.
    again = client.post(f"/warningcardview/dispatch/{card_id}", data={
        "org_unit": world.a.department.id, "reply_due_on": FUTURE.isoformat(),
        "request": "重复派单"}, follow_redirects=True)
    assert "not closed" in again.get_data(as_text=True) or "未办结" in again.get_data(as_text=True)

    # The department officer sees the reply form, not the dispatcher's buttons.
    client = login("a_dept")
    page = client.get(f"/workorderview/show/{wo_id}").get_data(as_text=True)
    assert 'id="work-order-reply"' in page and 'id="work-order-close"' not in page
    assert client.post(f"/workorderview/reply/{wo_id}",
                       data={"reply": "已协调窗口加快审查"}).status_code == 302
    # Not a dispatcher: closing is refused by the permission.
    assert client.post(f"/workorderview/close/{wo_id}").status_code == 403
    with app.app_context():
        assert db.session.get(WorkOrder, wo_id).status == WorkOrderStatus.REPLIED

    client = login("a_dispatcher")
    page = client.get(f"/workorderview/show/{wo_id}").get_data(as_text=True)
    assert 'id="work-order-close"' in page and 'id="work-order-send-back"' in page
    assert 'id="work-order-reply"' not in page
    new_due = FUTURE + dt.timedelta(days=3)
    assert client.post(f"/workorderview/send_back/{wo_id}", data={
        "comment": "回复未说明具体办结时间", "reply_due_on": new_due.isoformat()}).status_code == 302
    with app.app_context():
        wo = db.session.get(WorkOrder, wo_id)
        assert wo.status == WorkOrderStatus.RETURNED and wo.reply_due_on == new_due

    client = login("a_dept")
    client.post(f"/workorderview/reply/{wo_id}", data={"reply": "将于三个工作日内办结"})
    client = login("a_dispatcher")
    assert client.post(f"/workorderview/close/{wo_id}",
                       data={"comment": "同意办结"}).status_code == 302

    with app.app_context():
        wo = db.session.get(WorkOrder, wo_id)
        assert wo.status == WorkOrderStatus.CLOSED and wo.closed_at is not None
        assert wo.reply == "将于三个工作日内办结"
        assert _steps(wo_id) == ["dispatch", "reply", "return", "reply", "close"]
        steps = db.session.scalars(select(WorkOrderStep).where(
            WorkOrderStep.work_order_id == wo_id).order_by(WorkOrderStep.id)).all()
        assert [s.username for s in steps] == ["a_dispatcher", "a_dept", "a_dispatcher",
                                               "a_dept", "a_dispatcher"]
        # Every step and every change of the order is in the audit trail.
        audited_steps = db.session.scalars(select(AuditRecord.object_id).where(
            AuditRecord.model == "WorkOrderStep", AuditRecord.action == "create")).all()
        assert {str(s.id) for s in steps} <= set(audited_steps)
        changes = db.session.scalars(select(AuditRecord).where(
            AuditRecord.model == "WorkOrder", AuditRecord.object_id == str(wo_id))
            .order_by(AuditRecord.id)).all()
        assert [c.action for c in changes][0] == "create"
        statuses = [c.changes["status"][1] for c in changes if "status" in c.changes]
        assert statuses == ["OPEN", "REPLIED", "RETURNED", "REPLIED", "CLOSED"]
        assert all(c.username in ("a_dispatcher", "a_dept") for c in changes)
        project_id = wo.project_id
        # The dispatcher heard about both replies; the unit about the return and the close.
        assert len(_notified(world.a.users["dispatcher"].id, f"wo:{wo_id}:reply:")) == 2
        assert _notified(world.a.users["dept"].id, f"wo:{wo_id}:return:")
        assert _notified(world.a.users["dept"].id, f"wo:{wo_id}:close:")

    # The project page shows the card and the work order with its steps.
    page = client.get(f"/projectview/show/{project_id}").get_data(as_text=True)
    assert "ProjectWorkOrdersView" in page and "ProjectCardsView" in page
    assert "回复未说明具体办结时间" in page and "全流程事项" in page


def test_refusals_name_the_reason(app, world):
    with app.app_context():
        card_id = _red_card(world, name="拒绝测试事项")
        dispatcher, dept = _user("a_dispatcher"), _user("a_dept")
        assistant, b_dept = _user("a_assistant"), _user("b_dept")
        with pytest.raises(work_orders.NotAllowed):
            work_orders.dispatch(db.session, card_id, world.a.department.id, FUTURE, "x",
                                 assistant)
        with pytest.raises(work_orders.InvalidInput):
            work_orders.dispatch(db.session, card_id, world.b.department.id, FUTURE, "x",
                                 dispatcher)  # another county's unit
        with pytest.raises(work_orders.InvalidInput):
            work_orders.dispatch(db.session, card_id, world.a.department.id,
                                 dt.date(2020, 1, 1), "x", dispatcher)
        with pytest.raises(work_orders.InvalidInput):
            work_orders.dispatch(db.session, card_id, world.a.department.id, FUTURE, "  ",
                                 dispatcher)
        db.session.rollback()
        wo = work_orders.dispatch(db.session, card_id, world.a.department.id, FUTURE,
                                  "请回复", dispatcher)
        db.session.commit()
        wo_id = wo.id
        with pytest.raises(work_orders.WrongState) as err:
            work_orders.close(db.session, wo_id, dispatcher)
        assert str(err.value)  # a message the screen can show
        with pytest.raises(work_orders.NotAllowed):
            work_orders.reply(db.session, wo_id, "我来回复", dispatcher)
        with pytest.raises(work_orders.NotFound):
            work_orders.reply(db.session, wo_id, "越权回复", b_dept)
        with pytest.raises(work_orders.NotAllowed):
            work_orders.close(db.session, wo_id, dept)
        db.session.rollback()
        work_orders.reply(db.session, wo_id, "已办理", dept)
        db.session.commit()
        with pytest.raises(work_orders.WrongState):
            work_orders.reply(db.session, wo_id, "再回复一次", dept)
        with pytest.raises(work_orders.InvalidInput):
            work_orders.send_back(db.session, wo_id, "", FUTURE, dispatcher)
        db.session.rollback()
        assert _steps(wo_id) == ["dispatch", "reply"]


def test_overdue_work_order_escalates_to_the_city_once(app, world):
    with app.app_context():
        city_dispatcher = f.user("city_dispatcher", [roles.DISPATCHER],
                                 region_=db.session.get(Region, world.city.id))
        card_id = _red_card(world, name="升级测试事项")
        wo = work_orders.dispatch(db.session, card_id, world.a.department.id, TODAY,
                                  "请当日回复", _user("a_dispatcher"), today=TODAY)
        db.session.commit()
        wo_id = wo.id
        assert wo_id not in work_orders.escalate_overdue(db.session, TODAY)  # due today
        later = dt.date(2026, 11, 12)
        assert wo_id in work_orders.escalate_overdue(db.session, later)
        db.session.commit()
        wo = db.session.get(WorkOrder, wo_id)
        assert wo.region_id == world.city.id and wo.escalation_count == 1
        assert wo.reply_due_on > later and wo.status == WorkOrderStatus.OPEN
        assert _steps(wo_id) == ["dispatch", "escalate"]
        step = db.session.scalars(select(WorkOrderStep).where(
            WorkOrderStep.work_order_id == wo_id, WorkOrderStep.action == "escalate")).one()
        assert "甲县" in step.comment and "测试市" in step.comment
        assert _notified(city_dispatcher.id, f"wo:{wo_id}:escalate:")
        # Safe to run twice: the new deadline has not passed.
        assert wo_id not in work_orders.escalate_overdue(db.session, later)
        db.session.commit()
        assert db.session.get(WorkOrder, wo_id).escalation_count == 1
        # At the top of the tree there is nowhere further to go.
        much_later = wo.reply_due_on + dt.timedelta(days=10)
        assert wo_id not in work_orders.escalate_overdue(db.session, much_later)
        db.session.commit()
        assert db.session.get(WorkOrder, wo_id).region_id == world.city.id
        # The escalation is audited with the job's actor.
        audit = db.session.scalars(select(AuditRecord).where(
            AuditRecord.model == "WorkOrder", AuditRecord.object_id == str(wo_id),
            AuditRecord.action == "update")).all()
        assert any("region_id" in a.changes for a in audit)


def test_escalation_job_and_command(app, world):
    from app.cli import warnings as cli_warnings

    if "escalate" not in app.cli.commands:
        cli_warnings.register(app)
    with app.app_context():
        card_id = _red_card(world, name="命令行升级事项")
        wo = work_orders.dispatch(db.session, card_id, world.a.department.id, TODAY,
                                  "请回复", _user("a_dispatcher"), today=TODAY)
        db.session.commit()
        wo_id = wo.id
    out = app.test_cli_runner().invoke(args=["escalate", "--date", "2026-11-13"])
    assert out.exit_code == 0 and str(wo_id) in out.output, out.output
    out = app.test_cli_runner().invoke(args=["escalate", "--date", "2026-11-13"])
    assert "escalated 0" in out.output


def test_a_county_dispatcher_cannot_see_or_act_on_another_countys_orders(app, world, login):
    with app.app_context():
        b_card = _red_card(world, county="b", name="乙县工单事项")
        wo = work_orders.dispatch(db.session, b_card, world.b.department.id, FUTURE, "乙县督办",
                                  _user("b_dispatcher"))
        db.session.commit()
        b_wo = wo.id
        with pytest.raises(work_orders.NotFound):
            work_orders.dispatch(db.session, b_card, world.a.department.id, FUTURE, "越权",
                                 _user("a_dispatcher"))
        db.session.rollback()
    client = login("a_dispatcher")
    html = client.get("/workorderview/list/?psize_WorkOrderView=100").get_data(as_text=True)
    assert "乙县工单事项" not in html
    assert client.get(f"/workorderview/show/{b_wo}").status_code == 404
    assert client.post(f"/warningcardview/dispatch/{b_card}", data={
        "org_unit": world.a.department.id, "reply_due_on": FUTURE.isoformat(),
        "request": "越权派单"}).status_code == 404
    for action in ("close", "send_back"):
        assert client.post(f"/workorderview/{action}/{b_wo}", data={
            "comment": "越权", "reply_due_on": FUTURE.isoformat()}).status_code == 404
    client = login("a_dept")
    assert client.post(f"/workorderview/reply/{b_wo}", data={"reply": "越权"}).status_code == 404
    client = login("b_dispatcher")
    assert client.get(f"/workorderview/show/{b_wo}").status_code == 200
