"""对接需求 and 帮办服务方案, told as the users' story: the assistant records the intake and
drafts the plan from the project (every field of seed 004 附录A), the departments of its
items give their opinion, the enterprise's contact and the lead assistant sign it; a change
after signing is a new version both sign again, earlier versions stay readable, and the
difference between two versions is shown. Bad input is refused with nothing saved, and an
enterprise sees only its own plans on every surface."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    FundingSource,
    IntakeRecord,
    ItemStatus,
    JobRecord,
    JobStatus,
    LandNature,
    ListLevel,
    Notification,
    OrgUnit,
    PlanItem,
    PlanMaterial,
    PlanOpinion,
    PlanStage,
    PlanStatus,
    Project,
    ProjectAssistant,
    Region,
    ServicePlan,
    Stage,
)
from app.security import roles
from app.services import service_plans as plans
from app.services.errors import DomainValidationError
from workers.queues import queue, redis_connection

from . import factories as f

LAND_DEPT = "甲县自然资源和规划局"


def _stage(code):
    return db.session.scalars(select(Stage).where(Stage.code == code,
                                                  Stage.region_id.is_(None))).one()


@pytest.fixture()
def story(app, world):
    """County a's applicant with a fully described project: two departments, items in
    three of 附录A's stages (one finished), a lead assistant with a phone."""
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        applicant = db.session.get(Applicant, world.a.applicant.id)
        applicant.address = "甲县经济开发区创业路8号"
        housing = db.session.get(OrgUnit, world.a.department.id)
        land = f.org_unit(region, LAND_DEPT)
        project = f.project(region, applicant, name="智能装备产业园项目",
                            code="2026-990001-34-03-000901", address="甲县开发区纬三路",
                            leader="王建国", contact_person="李敏", contact_phone="13800000001",
                            funding_source=FundingSource.PRIVATE,
                            floor_area_wan_m2=Decimal("12.5"), land_nature=LandNature.TRANSFERRED,
                            list_level=ListLevel.PROVINCIAL, main_use_scale="厂房及研发楼，年产数控机床2000台")
        for item in list(project.items):  # the county template's item: keep one of each kind
            db.session.delete(item)
        db.session.flush()
        land_stage, build_stage, other_stage = (_stage(c) for c in (
            "land", "construction", "registration"))
        db.session.add_all([
            ApprovalItem(project=project, stage=land_stage, department=land,
                         name="建设用地规划许可证", time_limit_days=10,
                         materials="建设用地规划许可申请表\n土地出让合同；宗地图",
                         status=ItemStatus.FINISHED, accepted_on=dt.date(2026, 3, 2),
                         finished_on=dt.date(2026, 3, 10), result="准予许可",
                         certificate_no="地字第2026001号"),
            ApprovalItem(project=project, stage=build_stage, department=housing,
                         name="建筑工程施工许可证", time_limit_days=5, fees_yuan=Decimal("300"),
                         materials="施工许可申请表\n施工合同"),
            ApprovalItem(project=project, stage=other_stage, department=land,
                         name="不动产首次登记", time_limit_days=5),
        ])
        assistant = db.session.get(AppUser, world.a.users["assistant"].id)
        assistant.phone = "13900000002"
        db.session.add(ProjectAssistant(project=project, user=assistant, is_lead=True))
        land_officer = f.user("a_dept_land", [roles.DEPARTMENT], region_=region,
                              org_unit_=land)
        db.session.commit()
        return SimpleNamespace(project_id=project.id, code=project.code, land_id=land.id,
                               housing_id=housing.id, land_officer_id=land_officer.id)


def _user(world, key, county="a"):
    return f.world_user(world, key, county)


def _generate(app, world, story) -> int:
    with app.app_context():
        plan = plans.generate_plan(db.session, db.session.get(Project, story.project_id),
                                   _user(world, "assistant"))
        db.session.commit()
        return plan.id


def _answer_all(app, world, story, plan_id):
    with app.app_context():
        plan = db.session.get(ServicePlan, plan_id)
        for op in plan.opinions:
            officer = db.session.get(AppUser, story.land_officer_id
                                     if op.org_unit_id == story.land_id
                                     else world.a.users["dept"].id)
            plans.answer_opinion(db.session, op, officer, f"{op.org_unit.name}：同意。")
        db.session.commit()


def _ready_to_sign(app, world, story) -> int:
    plan_id = _generate(app, world, story)
    with app.app_context():
        plans.send_for_opinions(db.session, db.session.get(ServicePlan, plan_id),
                                _user(world, "assistant"))
        db.session.commit()
    _answer_all(app, world, story, plan_id)
    return plan_id


def _signed(app, world, story) -> int:
    plan_id = _ready_to_sign(app, world, story)
    with app.app_context():
        plan = db.session.get(ServicePlan, plan_id)
        plans.sign_plan(db.session, plan, _user(world, "company"))
        plans.sign_plan(db.session, plan, _user(world, "assistant"))
        db.session.commit()
    return plan_id


def _plan(app, plan_id) -> ServicePlan:
    return db.session.get(ServicePlan, plan_id)


def _plan_form(plan, **changes) -> dict:
    """The edit form as the browser posts it: every field with its value (ticked boxes as
    "y", enums by name)."""
    data = {}
    for c in plans.FIELD_LABELS:
        if c in ("code", "termination_clause"):
            continue
        value = getattr(plan, c)
        if value is True:
            data[c] = "y"
        elif value in (None, False):
            continue
        else:
            data[c] = value.name if hasattr(value, "name") and not isinstance(value, str) \
                else str(value)
    data.update(changes)
    return data


# -- generation -------------------------------------------------------------------------------
def test_the_plan_is_generated_with_every_field_of_appendix_a(app, world, story, login):
    client = login("a_assistant")
    resp = client.get(f"/serviceplanview/add?_flt_0_project={story.project_id}")
    assert resp.status_code == 200 and "智能装备产业园项目" in resp.get_data(as_text=True)
    resp = client.post("/serviceplanview/add", data={"project": str(story.project_id)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        plan = db.session.scalars(select(ServicePlan).where(
            ServicePlan.project_id == story.project_id)).one()
        # 服务方案编码 = 项目代码; 单位基本信息; 重点建设项目基本信息.
        assert plan.code == plan.project_code == story.code and plan.version == 1
        assert (plan.applicant_name, plan.applicant_address) == (
            "甲县建设发展有限公司", "甲县经济开发区创业路8号")
        assert plan.applicant_nature is not None and plan.leader == "王建国"
        assert (plan.project_name, plan.project_address) == ("智能装备产业园项目", "甲县开发区纬三路")
        assert plan.investment_wan == Decimal("1000") and plan.floor_area_wan_m2 == Decimal("12.5")
        assert (plan.funding_source, plan.land_nature, plan.list_level) == (
            FundingSource.PRIVATE, LandNature.TRANSFERRED, ListLevel.PROVINCIAL)
        assert plan.main_use_scale.startswith("厂房")
        # 行政审批现状 from the items.
        assert "共 3 项审批事项" in plan.approval_status
        assert "建设用地规划许可证（2026-03-10办结）" in plan.approval_status
        # The stages covered follow the items; the service content is ticked with its text.
        assert (plan.covers_land, plan.covers_engineering, plan.covers_construction,
                plan.covers_completion, plan.covers_other) == (True, False, True, False, True)
        assert plan.does_coaching and plan.coaching and plan.does_coordination \
            and plan.coordination and plan.does_handling and plan.handling
        assert (plan.contact_person, plan.contact_phone) == ("李敏", "13800000001")
        (assistant,) = plan.assistants
        assert assistant.name and assistant.unit and assistant.department
        assert assistant.phone == "13900000002"
        # Per stage and item: materials as rows, department, limit, fees, division, record.
        by_stage = dict(plans.sections(plan))
        (land,) = by_stage[PlanStage.LAND]
        assert [m.name for m in land.materials] == ["建设用地规划许可申请表", "土地出让合同", "宗地图"]
        assert land.department.name == LAND_DEPT and land.time_limit == "10 个工作日"
        assert land.fees == "不收费" and land.division_of_labour
        assert land.completed_on == dt.date(2026, 3, 10)
        assert "准予许可" in land.completion_result and "地字第2026001号" in land.completion_result
        (build,) = by_stage[PlanStage.CONSTRUCTION]
        assert build.fees.startswith("300.00 元") and len(build.materials) == 2
        assert [i.name for i in by_stage[PlanStage.OTHER]] == ["不动产首次登记"]
        assert by_stage[PlanStage.ENGINEERING] == []
        assert plan.termination_clause == plans.TERMINATION_CLAUSE
        assert "服务对象主动要求终止的" in plan.termination_clause
        plan_id = plan.id
    # The page shows 附录A's layout.
    page = client.get(f"/serviceplanview/show/{plan_id}").get_data(as_text=True)
    for text in ("单位基本信息", "重点建设项目基本信息", "帮办服务事项", "联系人信息",
                 "需准备的材料清单及要求", "行政事业性收费及收费方式", "帮办员与服务对象的分工情况",
                 "完成情况记录", "宗地图", "帮办服务终止", "项目联系人（签字）"):
        assert text in page, text
    # One plan per project: a second generation is refused in Chinese.
    resp = client.post("/serviceplanview/add", data={"project": str(story.project_id)},
                       follow_redirects=True)
    assert "该项目已有帮办服务方案" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ServicePlan.id)).where(
            ServicePlan.project_id == story.project_id)) == 1


def test_the_assistant_completes_the_plan_and_its_rows(app, world, story, login):
    plan_id = _generate(app, world, story)
    client = login("a_assistant")
    form = client.get(f"/serviceplanview/edit/{plan_id}").get_data(as_text=True)
    assert 'name="leader_title"' in form and 'name="approval_status"' in form
    with app.app_context():
        plan = _plan(app, plan_id)
        data = _plan_form(plan, leader_title="总经理", leader_phone="0513-88880000",
                          notes="每周一报送进度")
        item_id = plans.sections(plan)[0][1][0].id
    resp = client.post(f"/serviceplanview/edit/{plan_id}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    # A material added on the item's child screen.
    resp = client.post("/planmaterialview/add", data={
        "plan_item": str(item_id), "seq": "9", "name": "规划设计方案", "requirements": "盖章原件"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        plan = _plan(app, plan_id)
        assert (plan.leader_title, plan.leader_phone, plan.notes) == (
            "总经理", "0513-88880000", "每周一报送进度")
        assert plan.leader == "王建国"  # untouched fields stay
        item = db.session.get(PlanItem, item_id)
        assert [m.name for m in item.materials][-1] == "规划设计方案"


# -- the opinion round -------------------------------------------------------------------------
def test_sending_the_draft_asks_each_department_once_and_keeps_their_answers(
        app, world, story, login):
    plan_id = _generate(app, world, story)
    resp = login("a_assistant").post(f"/serviceplanview/send/{plan_id}")
    assert resp.status_code == 302
    with app.app_context():
        plan = _plan(app, plan_id)
        assert plan.status == PlanStatus.CONSULTING and plan.sent_at is not None
        assert sorted(o.org_unit_id for o in plan.opinions) == sorted(
            [story.land_id, story.housing_id])
        land_op = next(o for o in plan.opinions if o.org_unit_id == story.land_id)
        # The departments' officers are told.
        notes = db.session.scalars(select(Notification).where(
            Notification.user_id.in_([story.land_officer_id, world.a.users["dept"].id]),
            Notification.event_key.like("plan-opinion:%"))).all()
        assert {n.user_id for n in notes} == {story.land_officer_id, world.a.users["dept"].id}
        land_op_id = land_op.id
        housing_op_id = next(o.id for o in plan.opinions if o.org_unit_id == story.housing_id)
    # Sending twice is refused.
    resp = login("a_assistant").post(f"/serviceplanview/send/{plan_id}", follow_redirects=True)
    assert "只有草稿可以发送部门征求意见" in resp.get_data(as_text=True)
    # The housing officer sees the opinion asked of their unit, not the land bureau's.
    client = login("a_dept")
    listing = client.get("/planopinionview/list/").get_data(as_text=True)
    assert f"/planopinionview/answer/{housing_op_id}" in listing
    assert f"/planopinionview/answer/{land_op_id}" not in listing
    assert client.get(f"/planopinionview/answer/{land_op_id}").status_code == 404
    page = client.get(f"/planopinionview/answer/{housing_op_id}").get_data(as_text=True)
    assert "宗地图" in page  # the draft is shown with the question
    # An empty answer is refused; a real one is kept with who and when.
    client.post(f"/planopinionview/answer/{housing_op_id}", data={"answer": "  "})
    resp = client.post(f"/planopinionview/answer/{housing_op_id}",
                       data={"answer": "同意，施工图审查合格后即可受理。"})
    assert resp.status_code == 302
    with app.app_context():
        op = db.session.get(PlanOpinion, housing_op_id)
        assert op.answer == "同意，施工图审查合格后即可受理。" and op.answered_at is not None
        assert op.answered_by_id == world.a.users["dept"].id
        assert _plan(app, plan_id).status == PlanStatus.CONSULTING  # one is still waiting
        # The assistant is told of the answer.
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == world.a.users["assistant"].id,
            Notification.event_key == f"plan-opinion-answer:{housing_op_id}")) == 1
    # Answering twice is refused.
    resp = client.post(f"/planopinionview/answer/{housing_op_id}", data={"answer": "再次"},
                       follow_redirects=True)
    assert "该意见已经答复过了" in resp.get_data(as_text=True)
    resp = login("a_dept_land").post(f"/planopinionview/answer/{land_op_id}",
                                     data={"answer": "同意。"})
    assert resp.status_code == 302
    with app.app_context():
        plan = _plan(app, plan_id)
        assert plan.status == PlanStatus.SIGNING
        assert db.session.get(PlanOpinion, housing_op_id).answer.startswith("同意，施工图")
        # Both sides are asked to sign.
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == world.a.users["company"].id,
            Notification.event_key == f"plan-sign:{plan_id}")) == 1


# -- signing ---------------------------------------------------------------------------------
def test_both_sides_sign_with_who_and_when(app, world, story, login):
    plan_id = _generate(app, world, story)
    # Before the opinions, nobody signs.
    resp = login("a_company").post(f"/serviceplanview/sign/{plan_id}", follow_redirects=True)
    assert "所有被征求意见的部门答复后方可签字" in resp.get_data(as_text=True)
    with app.app_context():
        plans.send_for_opinions(db.session, _plan(app, plan_id), _user(world, "assistant"))
        db.session.commit()
    _answer_all(app, world, story, plan_id)
    company = login("a_company")
    page = company.get(f"/serviceplanview/show/{plan_id}").get_data(as_text=True)
    assert 'id="plan-sign"' in page and 'id="plan-opinions"' not in page
    assert company.post(f"/serviceplanview/sign/{plan_id}").status_code == 302
    with app.app_context():
        plan = _plan(app, plan_id)
        assert plan.company_signed_by_id == world.a.users["company"].id
        assert plan.company_signed_at is not None and plan.status == PlanStatus.SIGNING
        assert plans.plan_milestones(db.session, plan.project).get("plan") is None
    # Signing twice is refused and changes nothing.
    resp = company.post(f"/serviceplanview/sign/{plan_id}", follow_redirects=True)
    assert "您已对该版本签过字，不能重复签字" in resp.get_data(as_text=True)
    assert login("a_assistant").post(f"/serviceplanview/sign/{plan_id}").status_code == 302
    with app.app_context():
        plan = _plan(app, plan_id)
        assert plan.status == PlanStatus.SIGNED and plan.fully_signed
        assert plan.assistant_signed_by_id == world.a.users["assistant"].id
        when, who = plans.plan_milestones(db.session, plan.project)["plan"]
        assert when == max(plan.company_signed_at, plan.assistant_signed_at)
        assert plan.assistant_signer in who and plan.company_signer in who


def test_signing_as_another_company_or_not_as_a_signer_is_refused(app, world, story):
    plan_id = _ready_to_sign(app, world, story)
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        other = f.user("a_company_other", [roles.ENTERPRISE], region_=region,
                       applicant_=f.applicant(region, "甲县另一家公司"))
        db.session.commit()
        for user, message in ((other, "只有本项目申报单位的企业用户可以代表企业签字"),
                              (_user(world, "company", "b"), "只有本项目申报单位的企业用户"),
                              (_user(world, "clerk"), "只有本项目的牵头帮办员或企业可以签字")):
            with app.test_request_context():
                with pytest.raises(DomainValidationError) as err:
                    plans.sign_plan(db.session, _plan(app, plan_id), user)
                assert message in str(err.value.errors["plan"])
            db.session.rollback()
        plan = _plan(app, plan_id)
        assert plan.company_signed_at is None and plan.assistant_signed_at is None


def test_the_other_company_cannot_even_reach_the_plan(app, world, story, login, api_token):
    plan_id = _ready_to_sign(app, world, story)
    client = login("b_company")
    for url in (f"/serviceplanview/show/{plan_id}", f"/serviceplanview/diff/{plan_id}"):
        assert client.get(url).status_code == 404, url
    for url in ("/serviceplanview/list/", f"/planitemview/list/?_flt_0_plan={plan_id}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "智能装备产业园项目" not in resp.get_data(as_text=True), url
        assert "建设用地规划许可证" not in resp.get_data(as_text=True), url
    # Its own company sees it (the same URLs answer it).
    own = login("a_company").get(f"/serviceplanview/show/{plan_id}")
    assert own.status_code == 200 and "智能装备产业园项目" in own.get_data(as_text=True)
    client = login("b_company")
    assert client.post(f"/serviceplanview/sign/{plan_id}").status_code == 404
    assert client.post(f"/serviceplanview/export/{plan_id}").status_code == 404
    headers = api_token("b_company")
    assert client.get(f"/api/v1/service_plan/{plan_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/service_plan/{plan_id}/sign", headers=headers).status_code == 404
    listing = client.get("/api/v1/service_plan/", headers=headers).json
    assert listing["count"] == 0
    with app.app_context():
        assert _plan(app, plan_id).company_signed_at is None


# -- versions -----------------------------------------------------------------------------------
def test_a_change_after_signing_is_a_new_version_both_sign_again(app, world, story, login):
    plan_id = _signed(app, world, story)
    client = login("a_assistant")
    # The signed version is not edited, on the form or its rows.
    with app.app_context():
        data = _plan_form(_plan(app, plan_id), notes="改了")
    resp = client.post(f"/serviceplanview/edit/{plan_id}", data=data, follow_redirects=True)
    assert "该版本已签字，如需修改请生成新版本" in resp.get_data(as_text=True)
    with app.app_context():
        assert _plan(app, plan_id).notes is None
        item = plans.sections(_plan(app, plan_id))[0][1][0]
        item_id, material_count = item.id, len(item.materials)
    resp = client.post("/planmaterialview/add", data={"plan_item": str(item_id), "seq": "9",
                                                      "name": "新增材料"}, follow_redirects=True)
    assert "该版本已签字" in resp.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.get(PlanItem, item_id).materials) == material_count
    # ... but the completion record is kept up to date on the version in force.
    with app.app_context():
        build = next(i for i in _plan(app, plan_id).items if i.stage == PlanStage.CONSTRUCTION)
        build_id = build.id
    resp = client.post(f"/planitemview/edit/{build_id}", data={
        "plan": str(plan_id), "seq": str(build.seq), "stage": "CONSTRUCTION",
        "name": build.name, "department": str(story.housing_id), "time_limit": build.time_limit,
        "fees": build.fees, "division_of_labour": build.division_of_labour,
        "completed_on": "2026-06-01", "completion_result": "准予许可"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PlanItem, build_id).completed_on == dt.date(2026, 6, 1)
    # A new version: a copy, as a draft; the old one is replaced but stays readable.
    resp = client.post(f"/serviceplanview/revise/{plan_id}")
    assert resp.status_code == 302
    with app.app_context():
        v1 = _plan(app, plan_id)
        v2 = db.session.scalars(select(ServicePlan).where(
            ServicePlan.project_id == story.project_id, ServicePlan.version == 2)).one()
        assert v1.status == PlanStatus.SUPERSEDED and v2.status == PlanStatus.DRAFT
        assert v2.previous_id == v1.id and v2.company_signed_at is None
        assert [i.name for i in v2.items] == [i.name for i in v1.items]
        assert sum(len(i.materials) for i in v2.items) == sum(len(i.materials) for i in v1.items)
        assert v1.company_signed_at is not None  # kept as it was signed
        v2_id = v2.id
        v2_item = plans.sections(v2)[0][1][0].id
    assert resp.headers["Location"].endswith(f"/serviceplanview/show/{v2_id}")
    # Change v2: a field and a row.
    resp = client.post("/planmaterialview/add", data={"plan_item": str(v2_item), "seq": "9",
                                                      "name": "补充的环评批复"})
    assert resp.status_code == 302
    with app.app_context():
        v2 = _plan(app, v2_id)
        v2.main_use_scale = "厂房、研发楼及职工宿舍"
        db.session.commit()
    # The difference, field by field and rows added.
    page = client.get(f"/serviceplanview/diff/{v2_id}").get_data(as_text=True)
    assert "项目主要用途及规模" in page and "厂房、研发楼及职工宿舍" in page
    assert "补充的环评批复" in page and "新增" in page
    with app.app_context():
        diff = plans.diff_plans(_plan(app, plan_id), _plan(app, v2_id))
        ((_label, old_use, new_use),) = diff.fields
        assert (old_use, new_use) == ("厂房及研发楼，年产数控机床2000台", "厂房、研发楼及职工宿舍")
        materials = next(r for r in diff.rows if r.title in ("Materials", "材料清单"))
        assert materials.added == [f"{plans.sections(_plan(app, v2_id))[0][1][0].name}·补充的环评批复"]
        assert not materials.removed
    # The earlier version is readable; signing or revising it is refused.
    page = client.get(f"/serviceplanview/show/{plan_id}").get_data(as_text=True)
    assert "已被新版本替代" in page and 'id="plan-sign"' not in page
    with app.app_context():
        with app.test_request_context():
            with pytest.raises(DomainValidationError) as err:
                plans.sign_plan(db.session, _plan(app, plan_id), _user(world, "company"))
            assert "该版本已被新版本替代，请对现行版本签字" in str(err.value.errors["plan"])
            with pytest.raises(DomainValidationError):
                plans.revise_plan(db.session, _plan(app, plan_id), _user(world, "assistant"))
        db.session.rollback()
    # Both sign v2 again; the plan milestone stays the first signing.
    with app.app_context():
        v2 = _plan(app, v2_id)
        plans.send_for_opinions(db.session, v2, _user(world, "assistant"))
        db.session.commit()
    _answer_all(app, world, story, v2_id)
    assert login("a_company").post(f"/serviceplanview/sign/{v2_id}").status_code == 302
    assert login("a_assistant").post(f"/serviceplanview/sign/{v2_id}").status_code == 302
    with app.app_context():
        v1, v2 = _plan(app, plan_id), _plan(app, v2_id)
        assert v2.status == PlanStatus.SIGNED
        when, _who = plans.plan_milestones(db.session, v1.project)["plan"]
        assert when == max(v1.company_signed_at, v1.assistant_signed_at)


def test_an_english_user_reads_the_refusal_in_english(app, world, story, login):
    plan_id = _signed(app, world, story)
    client = login("a_company")
    client.get("/lang/en")
    try:
        resp = client.post(f"/serviceplanview/sign/{plan_id}", follow_redirects=True)
        assert "You have already signed this version." in resp.get_data(as_text=True)
    finally:
        client.get("/lang/zh")


# -- the API -------------------------------------------------------------------------------------
def test_the_api_reads_and_signs_with_the_same_rules(app, world, story, client, api_token):
    plan_id = _ready_to_sign(app, world, story)
    company = api_token("a_company")
    listing = client.get("/api/v1/service_plan/", headers=company).json
    assert [r["id"] for r in listing["result"]] == [plan_id]
    body = client.get(f"/api/v1/service_plan/{plan_id}", headers=company).json["result"]
    assert body["code"] == story.code and body["termination_clause"].startswith("在项目帮办")
    assert body["leader"] == "王建国" and body["status"] == "待双方签字"
    resp = client.post(f"/api/v1/service_plan/{plan_id}/sign", headers=company)
    assert resp.status_code == 200 and resp.json["side"] == "company"
    resp = client.post(f"/api/v1/service_plan/{plan_id}/sign", headers=company)
    assert resp.status_code == 422 and "不能重复签字" in resp.json["message"]["plan"]
    resp = client.post(f"/api/v1/service_plan/{plan_id}/sign", headers=api_token("a_assistant"))
    assert resp.status_code == 200 and resp.json["fully_signed"] is True
    # A replaced version is not signed, over the API either.
    with app.app_context():
        v2 = plans.revise_plan(db.session, _plan(app, plan_id), _user(world, "assistant"))
        db.session.commit()
        v2_id = v2.id
    resp = client.post(f"/api/v1/service_plan/{plan_id}/sign", headers=company)
    assert resp.status_code == 422 and "请对现行版本签字" in resp.json["message"]["plan"]
    versions = client.get("/api/v1/service_plan/", headers=company).json["result"]
    assert sorted(r["id"] for r in versions) == sorted([plan_id, v2_id])
    # No writes but signing: the plan is changed through the commands only.
    assert client.put(f"/api/v1/service_plan/{plan_id}", json={"notes": "x"},
                      headers=api_token("a_assistant")).status_code in (404, 405)
    assert client.post(f"/api/v1/service_plan/{plan_id}/sign",
                       headers=api_token("a_clerk")).status_code == 403


# -- intake -------------------------------------------------------------------------------------
def test_the_intake_record_with_its_letter(app, world, story, login, api_token, client):
    assistant = login("a_assistant")
    today = clock.today()
    data = {"project": str(story.project_id), "entrustment_scope": "施工许可阶段全部事项代办",
            "entrusted_on": today.isoformat(), "first_contact_on": today.isoformat(),
            "applicant_contact": "李敏", "told_laws": "《优化营商环境条例》",
            "told_procedure": "工程建设项目审批四阶段流程", "told_services": "申报辅导、协调推进、协助办理",
            "needs": "希望年底前取得施工许可", "project_status": "已取得土地证",
            "material_readiness": "施工图审查中", "service_intent": "全程帮办",
            "intent_agreed_on": (today + dt.timedelta(days=3)).isoformat()}
    resp = assistant.post("/intakerecordview/add", data=data)
    assert "日期不能晚于今天" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(IntakeRecord.id))) == 0
    data["intent_agreed_on"] = today.isoformat()
    assert assistant.post("/intakerecordview/add", data=data).status_code == 302
    with app.app_context():
        intake = db.session.scalars(select(IntakeRecord)).one()
        assert intake.contacted_by_id == world.a.users["assistant"].id
        intake_id = intake.id
        when, who = plans.plan_milestones(db.session, intake.project)["intake"]
        assert when == today and who
    # The letter: a program renamed .pdf is refused; a PDF is stored and served in scope.
    resp = assistant.post(f"/intakerecordview/letter/{intake_id}", data={
        "letter": (io.BytesIO(b"MZ\x90\x00 program"), "委托书.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "的内容不是 .pdf 文件" in resp.get_data(as_text=True)
    resp = assistant.post(f"/intakerecordview/letter/{intake_id}", data={
        "letter": (io.BytesIO(b"%PDF-1.4 signed letter"), "委托书.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    resp = assistant.get(f"/intakerecordview/letter_file/{intake_id}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")
    assert login("b_assistant").get(f"/intakerecordview/letter_file/{intake_id}").status_code == 404
    # The intake is the bureau's: the enterprise has no screen for it.
    assert login("a_company").get(f"/intakerecordview/show/{intake_id}").status_code in (302, 403)
    # The API: same rule, same scope (the screens' cookie is the assistant's again).
    client = login("a_assistant")
    headers = api_token("a_assistant")
    body = client.get(f"/api/v1/intake_record/{intake_id}", headers=headers).json["result"]
    assert body["needs"] == "希望年底前取得施工许可"
    resp = client.put(f"/api/v1/intake_record/{intake_id}", headers=headers,
                      json={"first_contact_on": (today + dt.timedelta(days=1)).isoformat()})
    assert resp.status_code == 422 and "日期不能晚于今天" in str(resp.json)
    client = login("b_assistant")
    assert client.get(f"/api/v1/intake_record/{intake_id}",
                      headers=api_token("b_assistant")).status_code == 404


# -- export ---------------------------------------------------------------------------------------
def test_the_export_runs_in_the_worker_and_lands_in_my_jobs(app, world, story, login):
    plan_id = _signed(app, world, story)
    client = login("a_company")
    resp = client.post(f"/serviceplanview/export/{plan_id}")
    assert resp.status_code == 302 and "/jobrecordview/list" in resp.headers["Location"]
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "service_plan_xlsx" and record.user_id == world.a.users["company"].id
        assert record.status == JobStatus.FINISHED, record.error
        assert record.result_name == f"帮办服务方案-{story.code}-v1.xlsx"
        record_id = record.id
    resp = client.get(f"/jobrecordview/file/{record_id}")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    # The job checks the scope too: another company's job for this plan fails.
    with app.app_context():
        from workers import user_jobs

        job = user_jobs.start(db.session, world.b.users["company"].id, "service_plan_xlsx",
                              "x", {"plan_id": plan_id}).id
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        row = db.session.get(JobRecord, job)
        assert row.status == JobStatus.FAILED and "没有这个服务方案" in row.error


def test_materials_rows_are_kept_per_item(app, world, story):
    plan_id = _generate(app, world, story)
    with app.app_context():
        count = db.session.scalar(select(func.count(PlanMaterial.id)).join(PlanItem).where(
            PlanItem.plan_id == plan_id))
        assert count == 5


def test_the_timeline_reaches_the_plan_when_both_sides_signed(app, world, story):
    """制定方案 on the project's timeline (app/services/timeline.py) comes from the plan's
    signatures: not reached while unsigned, then the later signature's time and both names."""
    from app.services import timeline

    def plan_step():
        with app.app_context():
            db.session.expire_all()
            project = db.session.get(Project, story.project_id)
            return {m.key: m for m in timeline.timeline(db.session, project)}["plan"]

    plan_id = _ready_to_sign(app, world, story)
    assert plan_step().when is None
    with app.app_context():
        plan = db.session.get(ServicePlan, plan_id)
        plans.sign_plan(db.session, plan, _user(world, "company"))
        db.session.commit()
    assert plan_step().when is None  # one side only
    with app.app_context():
        plans.sign_plan(db.session, db.session.get(ServicePlan, plan_id),
                        _user(world, "assistant"))
        db.session.commit()
        plan = db.session.get(ServicePlan, plan_id)
        signed_at = max(plan.company_signed_at, plan.assistant_signed_at)
        signers = {plan.assistant_signer, plan.company_signer}
    step = plan_step()
    assert step.when == signed_at
    assert set(step.who.split("、")) == signers
