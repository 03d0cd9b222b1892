"""拿地即开工 (built-in measure 4): parallel 容缺 pre-review, then on land acquisition the
planning permits and the construction permit issued together — only once a land item is
finished or the land is confirmed; the ledger shows the day it was issued."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CardLevel, CardSubject, OrgUnit, Region, WarningCard, WorkflowInstanceStatus
from app.models.enums import ItemStatus
from app.plugins import manager_of
from app.plugins import start_on_land as sol
from app.services import item_codes as codes
from app.services import measures
from app.workflow import cards, engine, links
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "start_on_land"


user = f.world_user


new_project = f.assisted_project


@pytest.fixture()
def enabled(app, world):
    yield from f.measure_set_in_county_a(app, world, KEY, {"time_limits.drawing_review": 4})


def test_discovered_with_chinese_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec is not None and spec.name == "拿地即开工"
        names = {p.name: p for p in spec.parameters}
        assert names["time_limits.design_review"].default == 5
        assert names["roles.issue_together"].default == ["dept"]
        assert names["require_land_confirmation"].label == "须确认土地已取得"
        assert names["require_land_confirmation"].default is True
        column = next(c for c in manager_of().ledger_columns() if c.measure_key == KEY)
        assert column.header == "拿地即开工" and column.value is sol.ledger_cell


def _to_await_land(world, inst, today=None):
    assistant, dept = user(world, "assistant"), user(world, "dept")
    engine.transition(db.session, inst, "submit", assistant, today=today)
    engine.transition(db.session, inst, "dispatch", assistant, today=today)
    assert set(inst.tokens) == {"design", "planning", "drawing"}
    for b in ("design", "planning", "drawing"):
        engine.transition(db.session, inst, f"{b}_pass", dept, branch=b, today=today)


def test_happy_path_prereview_then_issue_together(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        unit = db.session.get(OrgUnit, world.a.department.id)
        land = f.item(project, unit, name="国有建设用地使用权出让合同备案", code=codes.LAND_USE_RIGHT,
                      status=ItemStatus.FINISHED, accepted_on=dt.date(2026, 11, 2),
                      finished_on=dt.date(2026, 11, 9))
        permits = [f.item(project, unit, name=n, code=c, status=ItemStatus.ACCEPTED,
                          accepted_on=dt.date(2026, 11, 12))
                   for n, c in (("建设工程规划许可证核发", codes.WORKS_PLANNING_PERMIT),
                                ("建筑工程施工许可证核发", codes.CONSTRUCTION_PERMIT))]
        unrelated = f.item(project, unit, name="消防设计审查", code=codes.FIRE_SAFETY_INSPECTION)
        inst = measures.start_measure(db.session, project, KEY, assistant)
        assert inst.tokens["main"]["state"] == "apply"
        assert inst.params["time_limits"]["drawing_review"] == 4
        assert sol.ledger_cell(inst) == "待提交预审"
        day = dt.date(2026, 11, 11)
        engine.transition(db.session, inst, "submit", assistant, today=day)
        engine.transition(db.session, inst, "dispatch", assistant, today=day)
        assert sol.ledger_cell(inst) == "预审中"
        assert inst.tokens["drawing"]["state"] == "drawing_review"
        assert inst.tokens["drawing"]["due_on"] == "2026-11-17"  # 4 working days
        engine.transition(db.session, inst, "design_pass", dept, branch="design", today=day)
        engine.transition(db.session, inst, "planning_pass", dept, branch="planning", today=day)
        assert "main" not in inst.tokens  # the join waits for the drawings
        engine.transition(db.session, inst, "drawing_pass", dept, branch="drawing", today=day)
        assert inst.tokens["main"]["state"] == "await_land"
        assert inst.params["prereview_done_on"] == "2026-11-11"
        assert inst.status == WorkflowInstanceStatus.RUNNING
        assert sol.ledger_cell(inst) == "预审完成，待取得土地"
        engine.transition(db.session, inst, "issue_together", dept, comment="土地已取得",
                          today=dt.date(2026, 11, 20))
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.tokens["main"]["state"] == "issued"
        assert inst.params["issued_on"] == "2026-11-20"
        assert inst.params["land_evidence"] == "意见注明“土地已取得”"
        # The permits are issued together: their items finished that day, all linked.
        for item in permits:
            assert item.status == ItemStatus.FINISHED
            assert item.finished_on == dt.date(2026, 11, 20)
        assert unrelated.status == ItemStatus.NOT_STARTED
        linked = [(x["item"], x["relation"]) for x in links.linked_items(inst)]
        assert (land, links.PREREQUISITE) in linked
        assert all((i, links.CHANGED) in linked for i in permits)
        # (the county's templates may add a permit item of their own: finished too)
        assert all(i.code in sol.ISSUED_ITEM_CODES and
                   i.status == ItemStatus.FINISHED for i, rel in linked if rel == links.CHANGED)
        assert unrelated not in [i for i, _rel in linked]
        # The ledger cell reads the instance alone.
        assert sol.ledger_cell(inst) == "2026-11-20拿地即开工"
        db.session.rollback()


def test_wrong_role_refused(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant)
        engine.transition(db.session, inst, "dispatch", assistant)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "design_pass", assistant, branch="design")
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "design_pass", user(world, "company"),
                              branch="design")
        db.session.rollback()


def test_issue_together_refused_until_land_acquired(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        _to_await_land(world, inst)
        dept = user(world, "dept")
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "issue_together", dept, comment="请核发")
        # The refusal names what would do.
        assert "尚未取得土地" in err.value.reason
        for part in ("国有建设用地使用权出让合同", "不动产权证书", "建设用地规划许可证",
                     "在意见中注明“土地已取得”"):
            assert part in err.value.reason
        assert inst.tokens["main"]["state"] == "await_land"
        engine.transition(db.session, inst, "issue_together", dept,
                          context={"land_acquired": True})
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        db.session.rollback()


def test_red_card_when_a_prereview_branch_overruns(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        day = dt.date(2026, 11, 2)
        engine.transition(db.session, inst, "submit", assistant, today=day)
        engine.transition(db.session, inst, "dispatch", assistant, today=day)
        db.session.commit()
        assert inst.tokens["design"]["due_on"] == "2026-11-09"
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 20))
        db.session.commit()
        red = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED, WarningCard.cleared_at.is_(None))).all()
        # One card per instance, naming an overdue pre-review branch.
        assert red and red[0].title.startswith("拿地即开工·")
        assert any(w in red[0].title for w in ("设计方案预审", "规划预审", "施工图预审"))


def _land_item(world, project, name, code, status=ItemStatus.FINISHED):
    unit = db.session.get(OrgUnit, world.a.department.id)
    day = dt.date(2026, 11, 2)
    return f.item(project, unit, name=name, code=code, status=status, accepted_on=day,
                  finished_on=day if status == ItemStatus.FINISHED else None)


@pytest.mark.parametrize("name,code", [
    ("国有建设用地使用权出让合同", codes.LAND_USE_RIGHT), ("土地出让合同备案", codes.LAND_USE_RIGHT),
    ("不动产权证书（国有建设用地使用权首次登记）", codes.LAND_USE_RIGHT),
    ("建设用地规划许可证", codes.LAND_PLANNING_PERMIT)])
def test_a_finished_land_item_confirms_the_land(app, world, enabled, name, code):
    with app.app_context():
        project = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        _to_await_land(world, inst)
        _land_item(world, project, name, code)
        engine.transition(db.session, inst, "issue_together", user(world, "dept"),
                          today=dt.date(2026, 11, 20))
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.params["land_evidence"] == f"事项“{name}”已办结"
        assert sol.ledger_cell(inst) == "2026-11-20拿地即开工"
        db.session.rollback()


def test_an_unfinished_or_unrelated_item_does_not_confirm_the_land(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        _to_await_land(world, inst)
        _land_item(world, project, "国有建设用地使用权出让合同", codes.LAND_USE_RIGHT,
                   ItemStatus.ACCEPTED)
        _land_item(world, project, "建设项目用地预审与选址意见书",  # pre-review, not the land
                   codes.LAND_PREREVIEW)
        dept = user(world, "dept")
        with pytest.raises(TransitionRefused, match="尚未取得土地"):
            engine.transition(db.session, inst, "issue_together", dept)
        assert inst.tokens["main"]["state"] == "await_land"
        assert sol.ledger_cell(inst) == "预审完成，待取得土地"
        db.session.rollback()


def test_a_region_may_switch_the_land_check_off(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, KEY, region, True,
                             {"require_land_confirmation": False}, user(world, "admin"))
        db.session.commit()
    try:
        with app.app_context():
            project = new_project(world)
            inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
            assert inst.params["require_land_confirmation"] is False
            _to_await_land(world, inst)
            engine.transition(db.session, inst, "issue_together", user(world, "dept"))
            assert inst.status == WorkflowInstanceStatus.COMPLETED
            assert "land_evidence" not in inst.params
            db.session.rollback()
    finally:
        with app.app_context():
            measures.clear_setting(db.session, KEY,
                                   db.session.get(Region, world.a.region.id), None)
            db.session.commit()
