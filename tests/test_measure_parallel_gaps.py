"""并联审批，容缺后补 (built-in measure 6): only the lead department (or the assistant)
launches, accepting the stage's items together; 容缺受理 writes the commitment onto an
item; a broken promise raises a red card through the warning scan, which clears once the
materials arrive; a bad-credit applicant cannot use 容缺; the ledger counts the items run
in parallel and with gaps."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CardLevel,
    CardSubject,
    OrgUnit,
    Project,
    ProjectAssistant,
    Region,
    WarningCard,
    WorkflowInstanceStatus,
)
from app.models.enums import ItemStatus
from app.plugins import manager_of
from app.plugins import parallel_gaps as pg
from app.security import roles
from app.services import measures, warnings
from app.workflow import cards, engine, links
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "parallel_gaps"
DAY = dt.date(2026, 11, 11)


user = f.world_user


def new_project(world, county="a"):
    c = getattr(world, county)
    region = db.session.get(Region, c.region.id)
    project = f.project(region, f.applicant(region))
    db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                    is_lead=True))
    unit = db.session.get(OrgUnit, c.department.id)
    items = [f.item(project, unit, name=n, status=ItemStatus.NOT_STARTED, time_limit_days=5)
             for n in ("建设工程规划许可证核发", "施工图审查备案", "建筑工程施工许可证核发")]
    other = f.item(project, unit, name="竣工联合验收", status=ItemStatus.NOT_STARTED)
    other.stage = f.stage("completion")
    db.session.commit()
    return project, items, other


def _enable(app, world, extra=None):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        params = {"lead_unit": [world.a.department.id], "stage_code": "construction",
                  **(extra or {})}
        measures.set_setting(db.session, KEY, region, True, params, user(world, "admin"))
        db.session.commit()


@pytest.fixture()
def enabled(app, world):
    _enable(app, world)
    yield
    with app.app_context():
        measures.clear_setting(db.session, KEY, db.session.get(Region, world.a.region.id),
                               None)
        db.session.commit()


def gap_ctx(item, promised="2026-11-18", **kw):
    return {"item_id": item.id, "gap_materials": "消防设计审查意见书", "promised_on": promised,
            "commitment_signed": True, **kw}


def test_discovered_with_chinese_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec is not None and spec.name == "并联审批，容缺后补"
        names = {p.name: p for p in spec.parameters}
        assert names["lead_unit"].type == "unit" and names["lead_unit"].label == "牵头部门"
        assert names["lead_unit"].choices == ("DEPARTMENT",)
        assert names["stage_code"].default == "construction"
        assert names["bad_credit_codes"].label == "失信主体名单（统一社会信用代码）"
        assert pg.bad_credit_codes("91A\n 91b，91C") == {"91A", "91B", "91C"}
        assert names["roles.supply_gaps"].default == ["dept", "clerk"]
        column = next(c for c in manager_of().ledger_columns() if c.measure_key == KEY)
        assert column.header == "并联审批·容缺后补" and column.value is pg.ledger_cell


def test_happy_path_launch_gaps_then_complete(app, world, enabled):
    with app.app_context():
        project, items, other = new_project(world)
        assistant, dept, clerk = (user(world, k) for k in ("assistant", "dept", "clerk"))
        inst = measures.start_measure(db.session, project, KEY, assistant)
        assert pg.ledger_cell(inst) == "待牵头部门启动"
        engine.transition(db.session, inst, "launch", dept, today=DAY)
        assert inst.tokens["main"]["state"] == "parallel"
        for i in items:
            assert i.status == ItemStatus.ACCEPTED and i.accepted_on == DAY
            assert i.due_on == dt.date(2026, 11, 18)
        assert other.status == ItemStatus.NOT_STARTED  # another stage is left alone
        # Every not-started item of the stage (incl. those instantiated from templates).
        stage_items = pg._stage_items(db.session, inst)
        assert {i.id for i in items} <= set(inst.params["item_ids"])
        assert set(inst.params["item_ids"]) == {i.id for i in stage_items}
        assert all(i.status == ItemStatus.ACCEPTED for i in stage_items if i is not items[1])
        n = len(stage_items)
        assert n == 4  # the three items and the one from the county's template
        assert pg.ledger_cell(inst) == f"并联办理{n}项，容缺0项"
        # The items the launch accepted are linked to the instance (and it to them).
        assert {x["item"].id for x in links.linked_items(inst)} == set(inst.params["item_ids"])
        assert [x["relation"] for x in links.instances_of_item(db.session, stage_items[0].id)
                ] == [links.CHANGED]

        engine.transition(db.session, inst, "accept_with_gaps", clerk,
                          context=gap_ctx(items[1]), today=DAY)
        assert items[1].status == ItemStatus.ACCEPTED_WITH_GAPS
        assert items[1].gap_materials == "消防设计审查意见书"
        assert items[1].gap_promised_on == dt.date(2026, 11, 18)
        assert inst.params["gaps"][str(items[1].id)]["promised_on"] == "2026-11-18"
        assert inst.tokens["main"]["state"] == "parallel"
        assert pg.ledger_cell(inst) == f"并联办理{n}项，容缺1项（待补1项）"
        engine.transition(db.session, inst, "supply_gaps", clerk,
                          context={"item_id": items[1].id}, today=DAY)
        assert pg.ledger_cell(inst) == f"并联办理{n}项，容缺1项"

        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "complete", dept, today=DAY)
        assert "尚有事项未办结" in err.value.reason
        for i in stage_items:
            i.status, i.finished_on = ItemStatus.FINISHED, DAY
        db.session.flush()
        engine.transition(db.session, inst, "complete", dept, today=DAY)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert [s.action for s in inst.steps] == ["start", "launch", "accept_with_gaps",
                                                   "supply_gaps", "complete"]
        # The ledger cell reads the instance alone.
        assert pg.ledger_cell(inst) == f"2026-11-11办结：并联办理{n}项，容缺1项"
        db.session.rollback()


def test_wrong_role_refused(app, world, enabled):
    with app.app_context():
        project, items, _ = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "launch", user(world, "company"))
        engine.transition(db.session, inst, "launch", user(world, "assistant"))
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "accept_with_gaps", user(world, "company"),
                              context=gap_ctx(items[0]))
        db.session.rollback()


def test_bad_credit_applicant_cannot_use_gaps(app, world):
    with app.app_context():
        project, items, _ = new_project(world)
        code, project_id, item_id = project.applicant.credit_code, project.id, items[0].id
    _enable(app, world, {"bad_credit_codes": f"91000000BAD000001\n{code}"})
    try:
        with app.app_context():
            project = db.session.get(Project, project_id)
            inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
            engine.transition(db.session, inst, "launch", user(world, "dept"), today=DAY)
            from app.models import ApprovalItem

            item = db.session.get(ApprovalItem, item_id)
            with pytest.raises(TransitionRefused) as err:
                engine.transition(db.session, inst, "accept_with_gaps", user(world, "clerk"),
                                  context=gap_ctx(item), today=DAY)
            assert "列入失信主体名单，不适用容缺受理" in err.value.reason
            assert code in err.value.reason
            assert item.status == ItemStatus.ACCEPTED and item.gap_materials is None
            db.session.rollback()
    finally:
        with app.app_context():
            measures.clear_setting(db.session, KEY,
                                   db.session.get(Region, world.a.region.id), None)
            db.session.commit()


def test_gap_needs_commitment_materials_and_date(app, world, enabled):
    with app.app_context():
        project, items, other = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        engine.transition(db.session, inst, "launch", user(world, "dept"), today=DAY)
        clerk = user(world, "clerk")
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "accept_with_gaps", clerk,
                              context={"item_id": items[0].id}, today=DAY)
        for part in ("请填写容缺的材料", "请填写承诺补齐材料的日期", "书面承诺书"):
            assert part in err.value.reason
        with pytest.raises(TransitionRefused, match="不属于本次并联办理的阶段"):
            engine.transition(db.session, inst, "accept_with_gaps", clerk,
                              context=gap_ctx(other), today=DAY)
        with pytest.raises(TransitionRefused, match="不能早于今天"):
            engine.transition(db.session, inst, "accept_with_gaps", clerk,
                              context=gap_ctx(items[0], promised="2026-11-01"), today=DAY)
        # The commitment may be given in the comment.
        ctx = gap_ctx(items[0])
        ctx.pop("commitment_signed")
        engine.transition(db.session, inst, "accept_with_gaps", clerk, comment="承诺书已签署",
                          context=ctx, today=DAY)
        assert items[0].status == ItemStatus.ACCEPTED_WITH_GAPS
        db.session.rollback()


def test_lead_unit_is_required(app, world, enabled):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        with pytest.raises(measures.MeasureError, match="牵头部门"):
            measures.set_setting(db.session, KEY, region, True, {"lead_unit": []},
                                 user(world, "admin"))
        db.session.rollback()
        # One lead department, and a department: not two units, not a utility.
        with pytest.raises(measures.MeasureError, match="只能选择一个单位"):
            measures.set_setting(db.session, KEY, region, True, {
                "lead_unit": [world.a.department.id, world.a.utility.id]}, user(world, "admin"))
        db.session.rollback()
        with pytest.raises(measures.MeasureError, match="不存在或不属于本地区"):
            measures.set_setting(db.session, KEY, region, True,
                                 {"lead_unit": str(world.a.utility.id)}, user(world, "admin"))
        db.session.rollback()
        # The guard still refuses an instance whose params lost the lead unit.
        project, _, _ = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        inst.params = {**inst.params, "lead_unit": None}
        with pytest.raises(TransitionRefused, match="尚未设置牵头部门"):
            engine.transition(db.session, inst, "launch", user(world, "dept"))
        db.session.rollback()


def _promise_broken_and_scanned(world):
    """Launched on DAY; items[2] accepted with gaps, materials promised for 13 Nov; the
    scan of 20 Nov has run (committed)."""
    project, items, _ = new_project(world)
    inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
    engine.transition(db.session, inst, "launch", user(world, "dept"), today=DAY)
    engine.transition(db.session, inst, "accept_with_gaps", user(world, "clerk"),
                      context=gap_ctx(items[2], promised="2026-11-13"), today=DAY)
    db.session.commit()
    warnings.scan(db.session, dt.date(2026, 11, 20))
    db.session.commit()
    return project, items, inst


def test_broken_promise_raises_red_card_and_stage_overrun_card(app, world, enabled):
    with app.app_context():
        project, items, inst = _promise_broken_and_scanned(world)
        red = db.session.scalar(select(WarningCard).where(
            WarningCard.subject == CardSubject.GAP_PROMISE,
            WarningCard.subject_id == items[2].id, WarningCard.level == CardLevel.RED))
        assert red is not None and red.cleared_at is None
        assert red.due_on == dt.date(2026, 11, 13)
        # The parallel stage itself (10 working days) overruns later.
        cards.raise_workflow_cards(db.session, dt.date(2026, 12, 10))
        db.session.commit()
        wf = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED)).all()
        assert any("并联审批中" in c.title for c in wf)


def _other_department_officer(world, username="a_dept_planning", extra_roles=()):
    """A 审批部门 officer of county a whose unit is not the lead department."""
    region = db.session.get(Region, world.a.region.id)
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.region_id == region.id,
                                                   OrgUnit.name == "甲县自然资源和规划局"))
    if unit is None:
        unit = f.org_unit(region, "甲县自然资源和规划局")
        db.session.commit()
    return f.user(username, [roles.DEPARTMENT, *extra_roles], region_=region, org_unit_=unit)


def test_only_the_lead_department_launches(app, world, enabled):
    with app.app_context():
        other = _other_department_officer(world)
        project, items, _ = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "launch", other, today=DAY)
        assert err.value.reason == ("只有牵头部门（甲县住房和城乡建设局）可以启动并联审批，"
                                    "甲县自然资源和规划局不是本次并联审批的牵头部门")
        assert inst.tokens["main"]["state"] == "apply"
        assert items[0].status == ItemStatus.NOT_STARTED
        # The screen shows the button disabled, with the reason.
        [launch] = [a for a in engine.available_actions(inst, other) if a.action == "launch"]
        assert not launch.enabled and "只有牵头部门" in launch.reasons[0]
        [launch] = [a for a in engine.available_actions(inst, user(world, "dept"))
                    if a.action == "launch"]
        assert launch.enabled
        # The lead department's own officer launches.
        engine.transition(db.session, inst, "launch", user(world, "dept"), today=DAY)
        assert inst.tokens["main"]["state"] == "parallel"
        db.session.rollback()


def test_an_officer_who_is_also_an_assistant_launches_as_the_assistant(app, world, enabled):
    with app.app_context():
        both = _other_department_officer(world, "a_dept_and_assistant", [roles.ASSISTANT])
        # 企业 is not a role granted for the launch: such a user is held to the unit.
        company = _other_department_officer(world, "a_dept_and_company", [roles.ENTERPRISE])
        project, _, _ = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        with pytest.raises(TransitionRefused, match="只有牵头部门"):
            engine.transition(db.session, inst, "launch", company, today=DAY)
        engine.transition(db.session, inst, "launch", both, today=DAY)
        assert inst.tokens["main"]["state"] == "parallel"
        db.session.rollback()


def test_another_granted_role_launches_without_a_unit(app, world):
    _enable(app, world, {"roles.launch": ["dept", "clerk"]})
    try:
        with app.app_context():
            project, _, _ = new_project(world)
            inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
            assert user(world, "clerk").org_unit_id is None
            engine.transition(db.session, inst, "launch", user(world, "clerk"), today=DAY)
            assert inst.tokens["main"]["state"] == "parallel"
            db.session.rollback()
    finally:
        with app.app_context():
            measures.clear_setting(db.session, KEY,
                                   db.session.get(Region, world.a.region.id), None)
            db.session.commit()


def _gap_card(item_id):
    return db.session.scalar(select(WarningCard).where(
        WarningCard.subject == CardSubject.GAP_PROMISE, WarningCard.subject_id == item_id,
        WarningCard.level == CardLevel.RED))


def test_materials_arriving_clear_the_gap_and_its_card(app, world, enabled):
    with app.app_context():
        project, items, inst = _promise_broken_and_scanned(world)
        card = _gap_card(items[2].id)
        assert card is not None and card.cleared_at is None

        arrived = dt.date(2026, 11, 20)
        engine.transition(db.session, inst, "supply_gaps", user(world, "dept"),
                          context={"item_id": items[2].id}, today=arrived)
        assert items[2].status == ItemStatus.ACCEPTED
        assert items[2].gap_materials is None and items[2].gap_promised_on is None
        assert items[2].due_on == dt.date(2026, 11, 18)  # its own deadline still runs
        gap = inst.params["gaps"][str(items[2].id)]
        assert gap["supplied_on"] == "2026-11-20" and gap["promised_on"] == "2026-11-13"
        db.session.commit()

        warnings.scan(db.session, dt.date(2026, 11, 20))
        db.session.commit()
        db.session.refresh(card)
        assert card.cleared_at is not None


def test_supplying_materials_needs_an_item_with_gaps(app, world, enabled):
    with app.app_context():
        project, items, _ = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        engine.transition(db.session, inst, "launch", user(world, "dept"), today=DAY)
        clerk = user(world, "clerk")
        with pytest.raises(TransitionRefused, match="没有待补齐材料的容缺受理事项"):
            engine.transition(db.session, inst, "supply_gaps", clerk, today=DAY)
        for item in items[:2]:
            engine.transition(db.session, inst, "accept_with_gaps", clerk,
                              context=gap_ctx(item), today=DAY)
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "supply_gaps", clerk, today=DAY)
        assert err.value.reason == (f"请选择补齐材料的事项：{items[0].name}、{items[1].name}")
        with pytest.raises(TransitionRefused, match="没有待补齐的容缺材料"):
            engine.transition(db.session, inst, "supply_gaps", clerk,
                              context={"item_id": items[2].id}, today=DAY)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "supply_gaps", user(world, "company"),
                              context={"item_id": items[0].id}, today=DAY)
        engine.transition(db.session, inst, "supply_gaps", clerk,
                          context={"item_id": items[0].id}, today=DAY)
        # With one item left waiting, it need not be named.
        engine.transition(db.session, inst, "supply_gaps", clerk, today=DAY)
        assert all(i.status == ItemStatus.ACCEPTED and i.gap_materials is None
                   for i in items[:2])
        assert pg.parallel_counts(inst) == (4, 2, 0)
        db.session.rollback()
