"""In a real (headless) browser: a dispatcher opens an approval item, presses 催办, first
forgets the category (the message is under the field, the text typed is kept), then
dispatches it; the housing bureau's officer finds the work order in the list (origin and
category badges) and replies. Screenshots go to pytest's ``tmp_path`` and /tmp/e2e_shots/
(named urge_*)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import WorkOrder, WorkOrderOrigin, WorkOrderStatus
from tests.test_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    _shooter,
    browser_page,
    e2e_server,
    expect,
)

from .test_warnings import new_item, new_project


def _sign_in(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)


def test_dispatcher_urges_an_item_and_the_department_replies(app, world, browser_page,
                                                              tmp_path):  # noqa: F811
    with app.app_context():
        pid = new_project(world, name="高端装备产业园项目")
        item_id = new_item(world, pid, name="建设工程规划许可证", due_on=dt.date(2026, 11, 20))
    page, url = browser_page.page, browser_page.url
    base = _shooter(page, tmp_path)

    def shot(name):
        return base(f"urge_{name}")

    _sign_in(page, url, "a_dispatcher")
    page.goto(f"{url}/approvalitemview/show/{item_id}")
    shot("item_page")
    page.locator("#urge-item").click()
    expect(page.locator("#urge-facts")).to_contain_text("建设工程规划许可证")
    # The item's department is proposed; the category is not.
    expect(page.locator("#org_unit option:checked")).to_contain_text("甲县住房和城乡建设局")
    page.fill("#request", "该事项已超过承诺时限，请说明原因并于期限内办结")
    page.fill("#due_days", "3")
    shot("form")
    page.locator("#do-urge").click()
    # No category: the message is under the field and the request is still there.
    expect(page.locator(".has-error .field-error")).to_have_text("请选择问题分类。")
    expect(page.locator("#request")).to_have_value("该事项已超过承诺时限，请说明原因并于期限内办结")
    shot("form_no_category")
    page.locator("input[name=category][value=BEHIND_SCHEDULE]").check()
    page.locator("#do-urge").click()
    page.wait_for_url(lambda u: "/workorderview/show/" in u)
    expect(page.locator("body")).to_contain_text("催办工单已派发")
    shot("work_order_dispatched")
    with app.app_context():
        wo = db.session.scalars(select(WorkOrder).where(WorkOrder.item_id == item_id)).one()
        wo_id = wo.id
        assert wo.origin == WorkOrderOrigin.MANUAL

    # The department officer finds it in the work-order list and replies.
    _sign_in(page, url, "a_dept")
    page.goto(f"{url}/workorderview/list/")
    row = page.locator("tr", has_text="建设工程规划许可证")
    expect(row.locator("td[data-col=origin]")).to_contain_text("人工催办")
    expect(row.locator("td[data-col=category]")).to_contain_text("进度滞后")
    shot("department_list")
    page.goto(f"{url}/workorderview/show/{wo_id}")
    page.fill("#reply", "已安排专人加班审查，两个工作日内出证")
    shot("department_reply_form")
    page.locator("#work-order-reply [type=submit]").click()
    expect(page.locator("body")).to_contain_text("已安排专人加班审查")
    shot("department_replied")
    with app.app_context():
        assert db.session.get(WorkOrder, wo_id).status == WorkOrderStatus.REPLIED
    assert not browser_page.js_errors and not browser_page.outside


def test_the_dispatcher_finds_an_assistants_proposal_and_dispatches_it(
        app, world, browser_page, tmp_path):  # noqa: F811
    with app.app_context():
        pid = new_project(world, name="新能源电池项目")
        item_id = new_item(world, pid, name="施工许可证核发", due_on=dt.date(2026, 11, 20))
    page, url = browser_page.page, browser_page.url
    base = _shooter(page, tmp_path)

    def shot(name):
        return base(f"urge_proposal_{name}")

    _sign_in(page, url, "a_assistant")
    page.goto(f"{url}/urge/item/{item_id}")
    expect(page.locator("#urge-proposing")).to_be_visible()
    page.locator("input[name=category][value=MATERIALS]").check()
    page.fill("#request", "企业补正材料已提交三天，请部门尽快审查")
    shot("assistant_form")
    page.locator("#do-urge").click()
    page.wait_for_url(lambda u: "/urgeproposalview/show/" in u)
    expect(page.locator("body")).to_contain_text("催办申请已提交调度员")

    _sign_in(page, url, "a_dispatcher")
    page.goto(f"{url}/urgeproposalview/list/")
    row = page.locator("tr", has_text="施工许可证核发")
    expect(row.locator("td[data-col=status]")).to_contain_text("待调度")
    shot("dispatcher_list")
    row.locator("a[href*='/urgeproposalview/show/']").first.click()
    expect(page.locator("#proposal-dispatch")).to_be_visible()
    shot("dispatcher_proposal")
    page.locator("#do-dispatch").click()
    page.wait_for_url(lambda u: "/workorderview/show/" in u)
    with app.app_context():
        wo = db.session.scalars(select(WorkOrder).where(WorkOrder.item_id == item_id)).one()
        assert wo.origin == WorkOrderOrigin.MANUAL and wo.category.name == "MATERIALS"
    assert not browser_page.js_errors and not browser_page.outside


def test_the_dispatcher_urges_a_coordination_requests_owner_unit(
        app, world, browser_page, tmp_path):  # noqa: F811
    from app.models import AppUser, Project
    from app.services import coordination as coord

    with app.app_context():
        pid = new_project(world, name="光伏组件产业园项目")
        req = coord.raise_request(
            db.session, db.session.get(Project, pid),
            db.session.scalar(select(AppUser).where(AppUser.username == "a_assistant")),
            title="10千伏线路迁改方案未出具", problem="线路迁改方案迟迟未出具，影响桩基施工",
            category="FACTOR_SUPPLY", owner_unit_ids=[world.a.utility.id, world.a.department.id],
            requested_outcome="5个工作日内出具迁改方案", days=3)
        db.session.commit()
        req_id = req.id
    page, url = browser_page.page, browser_page.url
    base = _shooter(page, tmp_path)

    def shot(name):
        return base(f"urge_request_{name}")

    _sign_in(page, url, "a_dispatcher")
    page.goto(f"{url}/coordinationrequestview/show/{req_id}")
    shot("request_page")
    page.locator("#urge-request").click()
    expect(page.locator("#urge-facts")).to_contain_text("10千伏线路迁改方案未出具")
    # The request's first owner unit is proposed.
    expect(page.locator("#org_unit option:checked")).to_contain_text("甲县供电公司")
    page.locator("input[name=category][value=COORDINATION]").check()
    page.fill("#request", "请供电公司两个工作日内出具迁改方案")
    page.fill("#due_days", "2")
    shot("form")
    page.locator("#do-urge").click()
    page.wait_for_url(lambda u: "/workorderview/show/" in u)
    expect(page.locator("#work-order-coordination-request")).to_contain_text(
        "10千伏线路迁改方案未出具")
    shot("work_order")
    with app.app_context():
        wo = db.session.scalars(select(WorkOrder).where(
            WorkOrder.coordination_request_id == req_id)).one()
        assert wo.org_unit_id == world.a.utility.id and wo.item_id is None
    page.locator("#work-order-coordination-request").click()
    page.wait_for_url(lambda u: f"/coordinationrequestview/show/{req_id}" in u)
    assert not browser_page.js_errors and not browser_page.outside
