"""拿地即开工 (built-in measure 4): parallel 容缺 pre-review, then on land acquisition the
planning permits and the construction permit issued together."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CardLevel, CardSubject, Region, WarningCard, WorkflowInstanceStatus
from app.plugins import manager_of
from app.services import measures
from app.workflow import cards, engine
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "start_on_land"


user = f.world_user


new_project = f.assisted_project


@pytest.fixture()
def enabled(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, KEY, region, True,
                             {"time_limits.drawing_review": 4}, user(world, "admin"))
        db.session.commit()
    yield
    with app.app_context():
        measures.clear_setting(db.session, KEY, db.session.get(Region, world.a.region.id),
                               None)
        db.session.commit()


def test_discovered_with_chinese_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec is not None and spec.name == "拿地即开工"
        names = {p.name: p for p in spec.parameters}
        assert names["time_limits.design_review"].default == 5
        assert names["roles.issue_together"].default == ["dept"]
        assert names["require_land_confirmation"].label == "须确认土地已取得"


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
        inst = measures.start_measure(db.session, project, KEY, assistant)
        assert inst.tokens["main"]["state"] == "apply"
        assert inst.params["time_limits"]["drawing_review"] == 4
        day = dt.date(2026, 11, 11)
        engine.transition(db.session, inst, "submit", assistant, today=day)
        engine.transition(db.session, inst, "dispatch", assistant, today=day)
        assert inst.tokens["drawing"]["state"] == "drawing_review"
        assert inst.tokens["drawing"]["due_on"] == "2026-11-17"  # 4 working days
        engine.transition(db.session, inst, "design_pass", dept, branch="design", today=day)
        engine.transition(db.session, inst, "planning_pass", dept, branch="planning", today=day)
        assert "main" not in inst.tokens  # the join waits for the drawings
        engine.transition(db.session, inst, "drawing_pass", dept, branch="drawing", today=day)
        assert inst.tokens["main"]["state"] == "await_land"
        assert inst.params["prereview_done_on"] == "2026-11-11"
        assert inst.status == WorkflowInstanceStatus.RUNNING
        engine.transition(db.session, inst, "issue_together", dept, comment="土地已取得",
                          today=dt.date(2026, 11, 20))
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.tokens["main"]["state"] == "issued"
        assert inst.params["issued_on"] == "2026-11-20"
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
        assert "尚未取得土地" in err.value.reason
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
