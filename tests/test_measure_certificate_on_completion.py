"""竣工即发证 (built-in measure 5): one joint completion acceptance in parallel, then the
first registration at once; configurable time limits and branches; the ledger shows the
acceptances passed, then the day the certificate was issued."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CardLevel, CardSubject, Region, WarningCard, WorkflowInstanceStatus
from app.plugins import certificate_on_completion as coc
from app.plugins import manager_of
from app.services import measures
from app.workflow import cards, engine
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "certificate_on_completion"
ALL = [b for b, _ in coc.BRANCHES]


user = f.world_user


new_project = f.assisted_project


def _enable(app, world, params):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, KEY, region, True, params, user(world, "admin"))
        db.session.commit()


@pytest.fixture()
def enabled(app, world):
    _enable(app, world, {"time_limits.fire_check": 3})
    yield
    with app.app_context():
        measures.clear_setting(db.session, KEY, db.session.get(Region, world.a.region.id),
                               None)
        db.session.commit()


def test_discovered_with_chinese_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec is not None and spec.name == "竣工即发证"
        names = {p.name: p for p in spec.parameters}
        assert names["time_limits.fire_check"].label == "“消防验收”时限（工作日）"
        assert names["branches"].default == ALL
        assert names["roles.register"].default == ["dept"]
        column = next(c for c in manager_of().ledger_columns() if c.measure_key == KEY)
        assert column.header == "竣工即发证" and column.value is coc.ledger_cell


def test_happy_path_joint_acceptance_then_registration(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        assert coc.ledger_cell(inst) == "联合验收申请中"
        day = dt.date(2026, 11, 11)
        engine.transition(db.session, inst, "submit", user(world, "company"), today=day)
        engine.transition(db.session, inst, "dispatch", assistant, today=day)
        assert set(inst.tokens) == set(ALL)
        assert inst.tokens["fire"]["due_on"] == "2026-11-16"  # 3 working days
        assert coc.ledger_cell(inst) == "联合验收 0/5"
        for b in ALL[:-1]:
            engine.transition(db.session, inst, f"{b}_pass", dept, branch=b, today=day)
        assert "main" not in inst.tokens
        assert coc.ledger_cell(inst) == "联合验收 4/5"
        # Registration cannot run before the join.
        with pytest.raises(TransitionRefused):
            engine.transition(db.session, inst, "register", dept, today=day)
        engine.transition(db.session, inst, "archives_pass", dept, branch="archives", today=day)
        assert inst.tokens["main"]["state"] == "registration"
        assert inst.params["accepted_on"] == "2026-11-11"
        assert coc.ledger_cell(inst) == "2026-11-11联合验收通过，待登记"
        engine.transition(db.session, inst, "register", dept, today=dt.date(2026, 11, 12))
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.params["registered_on"] == "2026-11-12"
        # The ledger cell reads the instance alone.
        assert coc.ledger_cell(inst) == "2026-11-12竣工即发证"
        db.session.rollback()


def test_only_the_selected_branches_run(app, world):
    _enable(app, world, {"branches": ["planning", "fire"]})
    try:
        with app.app_context():
            project = new_project(world)
            assistant, dept = user(world, "assistant"), user(world, "dept")
            inst = measures.start_measure(db.session, project, KEY, assistant)
            engine.transition(db.session, inst, "submit", assistant)
            engine.transition(db.session, inst, "dispatch", assistant)
            assert set(inst.tokens) == {"planning", "fire"}
            engine.transition(db.session, inst, "planning_pass", dept, branch="planning")
            assert coc.ledger_cell(inst) == "联合验收 1/2"  # out of the branches run
            engine.transition(db.session, inst, "fire_pass", dept, branch="fire")
            assert inst.tokens["main"]["state"] == "registration"
            db.session.rollback()
    finally:
        with app.app_context():
            measures.clear_setting(db.session, KEY,
                                   db.session.get(Region, world.a.region.id), None)
            db.session.commit()


def test_wrong_role_refused(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "dispatch", user(world, "company"))
        engine.transition(db.session, inst, "dispatch", assistant)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "fire_pass", assistant, branch="fire")
        db.session.rollback()


def test_registration_guard_refuses_without_acceptance(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        assert coc.accepted(db.session, inst, {}) == "联合验收尚未全部通过，不能办理不动产首次登记"
        inst.params = {**inst.params, "accepted_on": "2026-11-11"}
        assert coc.accepted(db.session, inst, {}) is None
        db.session.rollback()


def test_red_card_when_an_acceptance_overruns(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        day = dt.date(2026, 11, 2)
        engine.transition(db.session, inst, "submit", assistant, today=day)
        engine.transition(db.session, inst, "dispatch", assistant, today=day)
        db.session.commit()
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 20))
        db.session.commit()
        red = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED, WarningCard.cleared_at.is_(None))).all()
        # One card per instance, naming an overdue acceptance branch.
        assert red and red[0].title.startswith("竣工即发证·")
