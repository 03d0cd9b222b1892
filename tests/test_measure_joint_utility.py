"""水电气讯视联合报装 (built-in measure 2): one application fans out to the selected units
in parallel; the measure completes only when every selected branch has connected."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CardLevel,
    CardSubject,
    Project,
    ProjectAssistant,
    Region,
    WarningCard,
    WorkflowInstanceStatus,
)
from app.plugins import joint_utility, manager_of
from app.services import measures
from app.workflow import cards, engine
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "joint_utility"
DAY = dt.date(2026, 11, 11)


user = f.world_user


def new_project(world, stage="engineering", county="a") -> Project:
    c = getattr(world, county)
    region = db.session.get(Region, c.region.id)
    project = f.project(region, f.applicant(region))
    project.current_stage = f.stage(stage) if stage else None
    db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                    is_lead=True))
    db.session.commit()
    return project


@pytest.fixture()
def enabled(app, world):
    yield from f.measure_set_in_county_a(app, world, KEY, {"units": ["water", "power", "gas"], "time_limits.power_works": 15})


def _run_branch(inst, branch, who, today=DAY):
    for action in ("survey", "reply", "connect"):
        engine.transition(db.session, inst, f"{branch}_{action}", who, today=today)


def _dispatched(world, project):
    assistant, clerk = user(world, "assistant"), user(world, "clerk")
    inst = measures.start_measure(db.session, project, KEY, assistant)
    engine.transition(db.session, inst, "submit", assistant, today=DAY)
    engine.transition(db.session, inst, "dispatch", clerk, today=DAY)
    return inst


def test_definition_has_five_parallel_branches_and_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec.name == "水电气讯视联合报装"
        units = spec.param("units")
        assert units.type == "multichoice"
        assert dict(units.choices) == {"water": "供水", "power": "供电", "gas": "供气",
                                       "telecom": "通信", "cable": "广电"}
        assert spec.param("time_limits.water_accept").default == 3
        assert spec.param("time_limits.gas_works").default == 10
        assert spec.param("earliest_stage").default == "engineering"


def test_three_of_five_units_complete_only_after_the_third_connects(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        dept, assistant = user(world, "dept"), user(world, "assistant")
        inst = _dispatched(world, project)
        assert set(inst.tokens) == {"water", "power", "gas"}
        assert inst.tokens["power"]["state"] == "power_accept"
        assert inst.tokens["water"]["due_on"] == "2026-11-16"  # 3 working days
        # Each branch reports in its own time; the region's 15 days for power works applies.
        engine.transition(db.session, inst, "power_survey", dept, today=DAY)
        engine.transition(db.session, inst, "power_reply", dept, today=DAY)
        assert inst.tokens["power"]["state"] == "power_works"
        assert inst.tokens["power"]["due_on"] == "2026-12-02"
        engine.transition(db.session, inst, "power_connect", dept, today=DAY)

        _run_branch(inst, "water", assistant)
        assert inst.status == WorkflowInstanceStatus.RUNNING
        assert sorted(joint_utility.connected_units(inst)) == ["power", "water"]
        finish = next(v for v in engine.available_actions(inst, assistant, include_auto=True)
                      if v.action == "finish")
        assert not finish.enabled and "供气" in finish.reasons[0]

        _run_branch(inst, "gas", dept)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.tokens == {"main": {"state": "done", "entered_on": DAY.isoformat(),
                                        "due_on": None}}
        assert inst.steps[-1].action == "finish"
        assert joint_utility.ledger_cell(inst) == "已接通 3/3"
        db.session.rollback()


def test_the_application_may_narrow_the_units(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant, clerk = user(world, "assistant"), user(world, "clerk")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        with pytest.raises(TransitionRefused, match="通信"):
            engine.transition(db.session, inst, "submit", assistant,
                              context={"units": ["water", "telecom"]})
        engine.transition(db.session, inst, "submit", assistant, context={"units": ["gas"]})
        engine.transition(db.session, inst, "dispatch", clerk)
        assert set(inst.tokens) == {"gas"}
        _run_branch(inst, "gas", assistant)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        db.session.rollback()


def test_not_before_the_engineering_stage(app, world, enabled):
    with app.app_context():
        assistant = user(world, "assistant")
        early = new_project(world, stage="land")
        inst = measures.start_measure(db.session, early, KEY, assistant)
        with pytest.raises(TransitionRefused, match="尚未进入“工程建设许可”阶段"):
            engine.transition(db.session, inst, "submit", assistant)
        later = new_project(world, stage="construction")
        inst = measures.start_measure(db.session, later, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant)
        assert inst.tokens["main"]["state"] == "window"
        db.session.rollback()


def test_a_wrong_role_is_refused(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        inst = _dispatched(world, project)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "water_survey", user(world, "company"))
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "water_survey", user(world, "clerk"))
        # An unselected unit's step cannot run either.
        with pytest.raises(TransitionRefused, match="当前在"):
            engine.transition(db.session, inst, "cable_survey", user(world, "dept"))
        db.session.rollback()


def test_cards_name_the_overrunning_unit(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        dept = user(world, "dept")
        inst = _dispatched(world, project)
        late = dt.date(2026, 11, 25)
        for b in ("water", "power"):  # these move on in time; gas stays in 受理踏勘
            engine.transition(db.session, inst, f"{b}_survey", dept, today=DAY)
            engine.transition(db.session, inst, f"{b}_reply", dept, today=late)
        db.session.commit()
        cards.raise_workflow_cards(db.session, late)
        db.session.commit()
        red = db.session.scalar(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED))
        assert red is not None and red.due_on == dt.date(2026, 11, 16)
        assert "供气受理踏勘（供气）" in red.title
