"""In a real (headless) browser: the assistant drafts a service plan from the project,
completes it and sends it to the departments; the housing bureau's officer gives an
opinion; the enterprise user signs it, then the assistant signs it, and it reads 已签订.
Screenshots of every step go to pytest's ``tmp_path`` and /tmp/e2e_shots/."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AppUser, PlanOpinion, PlanStatus, ServicePlan
from app.services import service_plans as plans
from tests.test_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    _shooter,
    browser_page,
    e2e_server,
    expect,
)
from tests.test_service_plan import story  # noqa: F401  (the fixture)


def _sign_in(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)


def test_assistant_drafts_and_sends_the_plan_enterprise_and_assistant_sign_it(
        app, world, story, browser_page, tmp_path):  # noqa: F811
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path)

    # -- the assistant drafts the plan from the project's plans tab ----------------------------
    _sign_in(page, url, "a_assistant")
    page.goto(f"{url}/projectview/show/{story.project_id}")
    page.locator("a[data-toggle=tab]", has_text="帮办服务方案").click()
    shot("project_plans_tab")
    page.goto(f"{url}/serviceplanview/add?_flt_0_project={story.project_id}")
    expect(page.locator("form")).to_contain_text("智能装备产业园项目")
    shot("draft_form")
    page.locator("form [type=submit]").first.click()
    expect(page.locator("#plan-status")).to_have_text("草稿")
    expect(page.locator("#plan-table")).to_contain_text("宗地图")
    expect(page.locator("#plan-table")).to_contain_text("建设用地规划许可证")
    shot("plan_drafted")

    # ... completes what the project does not know (the leader's position and phone) ...
    page.locator("#plan-edit").click()
    page.fill("#leader_title", "总经理")
    page.fill("#leader_phone", "0513-88880000")
    page.fill("#notes", "企业每周一向帮办员报送进度。")
    shot("plan_edit_form")
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/edit/" not in u)
    with app.app_context():
        plan_id = db.session.scalars(select(ServicePlan.id).where(
            ServicePlan.project_id == story.project_id)).one()
    page.goto(f"{url}/serviceplanview/show/{plan_id}")
    expect(page.locator("#plan-table")).to_contain_text("总经理")
    # ... and sends it to the departments of its items.
    page.locator("#plan-send").click()
    expect(page.locator("#plan-status")).to_have_text("征求部门意见中")
    expect(page.locator("#plan-opinions")).to_contain_text("待答复")
    shot("plan_sent")

    # -- the housing bureau's officer answers in their screen; the land bureau by command --
    _sign_in(page, url, "a_dept")
    page.goto(f"{url}/planopinionview/list/")
    shot("department_opinions_list")
    with app.app_context():
        housing = db.session.scalars(select(PlanOpinion).where(
            PlanOpinion.plan_id == plan_id, PlanOpinion.org_unit_id == story.housing_id)).one()
        housing_id = housing.id
    page.locator(f"a.plan-opinion-answer[href$='/answer/{housing_id}']").click()
    page.fill("#answer", "同意，施工图审查合格后即可受理。")
    shot("department_answer_form")
    page.locator("#opinion-submit").click()
    page.wait_for_url(lambda u: "/answer/" not in u)
    with app.app_context():
        land = db.session.scalars(select(PlanOpinion).where(
            PlanOpinion.plan_id == plan_id, PlanOpinion.org_unit_id == story.land_id)).one()
        plans.answer_opinion(db.session, land, db.session.get(AppUser, story.land_officer_id),
                             "同意。")
        db.session.commit()

    # -- the enterprise user reads and signs ---------------------------------------------------
    _sign_in(page, url, "a_company")
    page.goto(f"{url}/serviceplanview/show/{plan_id}")
    expect(page.locator("#plan-status")).to_have_text("待双方签字")
    expect(page.locator("#plan-opinions")).to_have_count(0)  # the bureau's own
    shot("enterprise_reads_plan")
    page.locator("#plan-sign").click()
    expect(page.locator(".alert-success")).to_contain_text("已签字确认")
    expect(page.locator("#plan-sign-company")).to_contain_text("a_company")
    expect(page.locator("#plan-sign")).to_have_count(0)
    shot("enterprise_signed")

    # -- the lead assistant signs: the plan is in force ---------------------------------------
    _sign_in(page, url, "a_assistant")
    page.goto(f"{url}/serviceplanview/show/{plan_id}")
    page.locator("#plan-sign").click()
    expect(page.locator("#plan-status")).to_have_text("已签订")
    expect(page.locator("#plan-sign-assistant")).to_contain_text("a_assistant")
    expect(page.locator("#plan-revise")).to_be_visible()
    shot("plan_signed")
    with app.app_context():
        plan = db.session.get(ServicePlan, plan_id)
        assert plan.status == PlanStatus.SIGNED and plan.leader_title == "总经理"
        assert plan.company_signed_by_id == world.a.users["company"].id
        assert plan.assistant_signed_by_id == world.a.users["assistant"].id
    # -- a change after signing: a new version, and what changed --------------------------------
    page.locator("#plan-revise").click()
    expect(page.locator("#plan-status")).to_have_text("草稿")
    expect(page.locator("#plan-title")).to_contain_text("版本 2")
    with app.app_context():
        v2 = db.session.scalars(select(ServicePlan).where(
            ServicePlan.project_id == story.project_id, ServicePlan.version == 2)).one()
        v2.notes = "企业每周一、周四向帮办员报送进度。"
        v2_id = v2.id
        db.session.commit()
    page.locator("#plan-versions a", has_text="与上一版本的差异").click()
    expect(page.locator("#diff-fields")).to_contain_text("企业每周一、周四向帮办员报送进度。")
    shot("plan_versions_diff")
    page.goto(f"{url}/serviceplanview/show/{plan_id}")
    expect(page.locator("#plan-status")).to_have_text("已被新版本替代")
    expect(page.locator("#plan-sign-company")).to_contain_text("a_company")
    assert v2_id != plan_id
    assert browser_page.outside == [] and browser_page.js_errors == []
    assert [r for r in browser_page.bad_responses if "favicon" not in r] == []
