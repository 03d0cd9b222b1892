"""The workflow engine: definition checks, transitions by role and guard, parallel split and
join, history, completion, and the yellow/red cards of the states' time limits."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    CardLevel,
    CardSubject,
    WarningCard,
    WorkflowInstance,
    WorkflowInstanceStatus,
)
from app.workflow import cards, engine
from app.workflow.definition import Definition, DefinitionError, parse, validate

from . import factories as f

# A Wednesday in a month without public holidays.
TODAY = dt.date(2026, 11, 11)

PILE = {
    "key": "pile_first_test", "name": "桩基先行许可", "version": 1, "initial": "apply",
    "states": [
        {"name": "apply", "label": "提出申请", "time_limit_days": 3},
        {"name": "review", "label": "审查", "time_limit_days": 5},
        {"name": "done", "label": "核发", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交", "from": "apply", "to": "review",
         "roles": ["assistant", "clerk"], "guards": ["test_commitment_signed"], "effects": []},
        {"action": "send_back", "label": "退回补正", "from": "review", "to": "apply",
         "roles": ["dept"]},
        {"action": "approve", "label": "通过", "from": "review", "to": "done", "roles": ["dept"]},
    ],
}

UNITS = ["water", "power", "gas", "telecom", "tv"]
UNIT_LABELS = {"water": "供水", "power": "供电", "gas": "供气", "telecom": "通信", "tv": "广电"}


def utility_definition() -> dict:
    states = [{"name": "apply", "label": "联合报装申请", "time_limit_days": 1},
              {"name": "accepted", "label": "已受理", "time_limit_days": 1},
              {"name": "done", "label": "全部接通", "final": True}]
    transitions = [
        {"action": "accept", "label": "受理", "from": "apply", "to": "accepted",
         "roles": ["assistant"]},
        {"action": "fan_out", "label": "分派", "from": "accepted", "roles": ["assistant"],
         "split": {u: f"{u}_accept" for u in UNITS}, "select_param": "units",
         "branch_labels": UNIT_LABELS},
        {"action": "finish", "label": "全部接通", "join": [f"{u}_connected" for u in UNITS],
         "to": "done", "auto": True},
    ]
    for u in UNITS:
        states += [{"name": f"{u}_accept", "label": f"{UNIT_LABELS[u]}受理勘查",
                    "time_limit_days": 3},
                   {"name": f"{u}_connected", "label": f"{UNIT_LABELS[u]}已接通"}]
        transitions.append({"action": f"{u}_connect", "label": f"{UNIT_LABELS[u]}接通",
                            "from": f"{u}_accept", "to": f"{u}_connected", "roles": ["dept"]})
    return {"key": "utility_test", "name": "水电气讯视联合报装", "version": 1,
            "initial": "apply", "states": states, "transitions": transitions}


# -- helpers ------------------------------------------------------------------------------------
user = f.world_user


new_project = f.assisted_project


@pytest.fixture(autouse=True)
def _guards(app):
    def commitment(session, instance, ctx):
        if not (instance.params or {}).get("commitment_signed"):
            return "申请人尚未签署书面承诺"
        return None

    manager = app.extensions["measures"]
    manager.add_guard("test_commitment_signed", commitment)
    yield
    manager.remove_guard("test_commitment_signed")


def card(instance_id, level, part="main"):
    return db.session.scalar(select(WarningCard).where(
        WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == instance_id,
        WarningCard.part == part, WarningCard.level == level))


# -- definitions ---------------------------------------------------------------------------------
def test_valid_definitions_have_no_problems():
    assert validate(PILE) == []
    assert validate(utility_definition()) == []
    assert parse(PILE).state("review").time_limit_days == 5


def test_definition_round_trips_through_json():
    for raw in (PILE, utility_definition()):
        d = Definition.from_dict(raw)
        text = d.to_json()
        again = Definition.from_json(text)
        assert again == d
        assert again.to_dict() == d.to_dict()
        assert json.loads(text) == d.to_dict()
    # Unknown keys are kept; a split's branch labels too.
    d = Definition.from_dict(utility_definition())
    assert d.to_dict()["transitions"][1]["branch_labels"] == UNIT_LABELS
    assert Definition.from_dict(PILE).to_dict() == Definition.from_dict(
        json.loads(json.dumps(PILE))).to_dict()


def test_every_problem_is_listed_at_once():
    bad = {
        "key": "bad", "name": "错误流程", "initial": "nowhere",
        "states": [
            {"name": "a", "label": "甲", "time_limit_days": -1},
            {"name": "a", "label": "甲重复"},
            {"name": "b", "label": "乙"},
            {"name": "island", "label": "孤岛"},
        ],
        "transitions": [
            {"action": "go", "from": "a", "to": "missing", "roles": ["assistant"]},
            {"action": "go", "from": "ghost", "to": "b", "roles": ["nobody"]},
        ],
    }
    problems = validate(bad)
    text = "\n".join(problems)
    assert "初始状态“nowhere”不存在" in text
    assert "状态“a”重复定义" in text
    assert "动作“go”重复定义" in text
    assert "动作“go”的目标状态“missing”不存在" in text
    assert "动作“go”的起始状态“ghost”不存在" in text
    assert "动作“go”的角色“nobody”不存在" in text
    assert "流程没有终止状态" in text
    assert "状态“甲”的时限不能为负数" in text
    with pytest.raises(DefinitionError) as exc:
        parse(bad)
    assert exc.value.problems == problems
    assert len(problems) >= 8


def test_unreachable_state_and_cycle_with_no_exit():
    d = copy.deepcopy(PILE)
    d["states"] += [{"name": "orphan", "label": "孤立环节"},
                    {"name": "loop1", "label": "循环一"}, {"name": "loop2", "label": "循环二"}]
    d["transitions"] += [
        {"action": "to_loop", "from": "review", "to": "loop1", "roles": ["dept"]},
        {"action": "l12", "from": "loop1", "to": "loop2", "roles": ["dept"]},
        {"action": "l21", "from": "loop2", "to": "loop1", "roles": ["dept"]},
    ]
    problems = validate(d)
    assert "状态“孤立环节”无法到达" in problems
    assert any("循环一" in p and "没有出口" in p for p in problems)
    assert any("循环二" in p and "没有出口" in p for p in problems)
    # A dead end (no way on, not final) is named too.
    d2 = copy.deepcopy(PILE)
    d2["states"].append({"name": "stuck", "label": "死胡同"})
    d2["transitions"].append({"action": "to_stuck", "from": "apply", "to": "stuck",
                              "roles": ["clerk"]})
    assert "状态“死胡同”无法到达终止状态" in validate(d2)


def test_split_and_join_problems():
    d = utility_definition()
    d["transitions"][1]["split"]["fax"] = "fax_accept"
    d["transitions"][2]["join"].append("nowhere_connected")
    problems = validate(d)
    assert "动作“fan_out”分支“fax”指向的状态“fax_accept”不存在" in problems
    assert "动作“finish”汇合的状态“nowhere_connected”不存在" in problems
    # A join on a state that no split leads to can never fire.
    d2 = utility_definition()
    d2["transitions"][2]["join"].append("apply")
    assert any("汇合的状态“联合报装申请”不在任何分派分支上" in p for p in validate(d2))
    # Guard names are checked when the caller knows the registered ones.
    assert "动作“submit”的条件“test_commitment_signed”未注册" in validate(
        PILE, known_guards=[])


# -- running ------------------------------------------------------------------------------------
def test_linear_flow_as_the_right_roles(app, world):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = engine.start(db.session, project, "pile_first_test", PILE,
                            {"commitment_signed": True}, assistant, today=TODAY)
        assert inst.tokens == {"main": {"state": "apply", "entered_on": "2026-11-11",
                                        "due_on": "2026-11-16"}}
        assert [a.action for a in engine.available_actions(inst, assistant)] == ["submit"]
        assert engine.available_actions(inst, dept) == []
        step = engine.transition(db.session, inst, "submit", assistant, comment="材料齐全",
                                 attachments=["承诺书.pdf"], today=TODAY)
        assert (step.from_state, step.to_state, step.username) == ("apply", "review",
                                                                   "a_assistant")
        assert step.attachments == ["承诺书.pdf"]
        assert [a.action for a in engine.available_actions(inst, dept)] == ["send_back",
                                                                          "approve"]
        engine.transition(db.session, inst.id, "approve", dept, comment="同意")
        # The same session sees the new steps at once (the project page after a click).
        assert [s.action for s in inst.steps] == ["start", "submit", "approve"]
        db.session.commit()

        inst = db.session.get(WorkflowInstance, inst.id)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.finished_at is not None
        assert inst.tokens["main"]["state"] == "done"
        assert inst.tokens["main"]["due_on"] is None
        history = [(s.action, s.from_state, s.to_state, s.username, s.comment)
                   for s in inst.steps]
        assert history == [("start", None, "apply", "a_assistant", None),
                           ("submit", "apply", "review", "a_assistant", "材料齐全"),
                           ("approve", "review", "done", "a_dept", "同意")]
        tl = engine.timeline(inst)
        assert [t["action_label"] for t in tl] == ["启动", "提交", "通过"]
        assert tl[1]["to_label"] == "审查"
        with pytest.raises(engine.TransitionRefused, match="流程已完成"):
            engine.transition(db.session, inst, "approve", dept)
        assert engine.available_actions(inst, dept) == []


def test_wrong_role_guard_and_wrong_state_are_refused(app, world):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = engine.start(db.session, project, "pile_first_test", PILE, {}, assistant)
        db.session.commit()
        with pytest.raises(engine.TransitionRefused) as exc:
            engine.transition(db.session, inst, "submit", dept)
        assert exc.value.reason == "您的角色无权执行“提交”"
        # The guard refuses with its own reason; the screen sees it too.
        with pytest.raises(engine.TransitionRefused, match="申请人尚未签署书面承诺"):
            engine.transition(db.session, inst, "submit", assistant)
        [view] = engine.available_actions(inst, assistant)
        assert not view.enabled and view.reasons == ["申请人尚未签署书面承诺"]
        with pytest.raises(engine.TransitionRefused, match="需要在“审查”办理"):
            engine.transition(db.session, inst, "approve", dept)
        with pytest.raises(engine.TransitionRefused, match="没有动作“fly”"):
            engine.transition(db.session, inst, "fly", dept)
        # Nothing moved, no step written.
        db.session.rollback()
        inst = db.session.get(WorkflowInstance, inst.id)
        assert inst.tokens["main"]["state"] == "apply"
        assert [s.action for s in inst.steps] == ["start"]
        # A second running instance of the same measure is refused.
        with pytest.raises(engine.StartRefused, match="已有进行中的“桩基先行许可”"):
            engine.start(db.session, project, "pile_first_test", PILE, {}, assistant)


def test_guards_come_from_the_running_apps_plugin_manager(app, world):
    """Two apps in one process do not share guards: the engine asks the app it runs in."""
    from flask import Flask

    from app.plugins.manager import MeasureManager

    with app.app_context():
        assistant = user(world, "assistant")
        inst = engine.start(db.session, new_project(world), "pile_first_test", PILE, {},
                            assistant)
        db.session.commit()
        [view] = engine.available_actions(inst, assistant)
        assert view.reasons == ["申请人尚未签署书面承诺"]
        other = Flask("other_app")
        other.extensions["measures"] = MeasureManager()  # no plugins, no added guards
        with other.app_context():
            assert "test_commitment_signed" not in engine.registered_guards()
            [view] = engine.available_actions(inst, assistant, session=db.session)
            assert not view.enabled
            assert view.reasons == ["动作“提交”的条件“test_commitment_signed”未注册，暂不能执行"]
            other.extensions["measures"].add_guard("test_commitment_signed",
                                                   lambda session, instance, ctx: None)
            [view] = engine.available_actions(inst, assistant, session=db.session)
            assert view.enabled
        # The first app's guard is untouched by the second app's addition.
        [view] = engine.available_actions(inst, assistant)
        assert view.reasons == ["申请人尚未签署书面承诺"]
        db.session.rollback()


def test_region_overrides_roles_and_time_limits(app, world):
    with app.app_context():
        project = new_project(world)
        assistant, clerk = user(world, "assistant"), user(world, "clerk")
        params = {"commitment_signed": True, "roles": {"submit": ["clerk"]},
                  "time_limits": {"apply": 1, "review": 10}}
        inst = engine.start(db.session, project, "pile_first_test", PILE, params, clerk,
                            today=TODAY)
        assert inst.tokens["main"]["due_on"] == "2026-11-12"
        with pytest.raises(engine.TransitionRefused, match="您的角色无权执行“提交”"):
            engine.transition(db.session, inst, "submit", assistant)
        engine.transition(db.session, inst, "submit", clerk, today=TODAY)
        assert inst.tokens["main"]["due_on"] == "2026-11-25"
        db.session.rollback()


def test_effects_and_callbacks_run_and_a_failing_effect_undoes_the_move(app, world):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        seen = []
        d = copy.deepcopy(PILE)
        d["transitions"][0]["effects"] = ["test_record"]

        def record(session, instance, ctx):
            seen.append((ctx["action"], ctx["step"].to_state, ctx["comment"], ctx["extra"]))

        def callback(session, instance, step):
            seen.append(("callback", step.action))

        manager = app.extensions["measures"]
        manager.add_after_transition(callback)
        try:
            inst = engine.start(db.session, project, "pile_first_test", d,
                                {"commitment_signed": True}, assistant)
            with pytest.raises(engine.TransitionRefused, match="效果“test_record”未注册"):
                engine.transition(db.session, inst, "submit", assistant)
            engine.transition(db.session, inst, "submit", assistant, comment="好",
                              context={"extra": 1}, effects={"test_record": record})
            assert seen == [("submit", "review", "好", 1), ("callback", "submit")]
            db.session.commit()

            def boom(session, instance, ctx):
                raise engine.TransitionRefused("外部系统拒绝")

            d2 = copy.deepcopy(PILE)
            d2["transitions"][2]["effects"] = ["test_boom"]
            inst2 = engine.start(db.session, new_project(world), "pile_first_test", d2,
                                 {"commitment_signed": True}, assistant)
            engine.transition(db.session, inst2, "submit", assistant)
            db.session.commit()
            with pytest.raises(engine.TransitionRefused, match="外部系统拒绝"):
                engine.transition(db.session, inst2, "approve", user(world, "dept"),
                                  effects={"test_boom": boom})
            # The savepoint undid the move; the caller's transaction goes on.
            db.session.flush()
            inst2 = db.session.get(WorkflowInstance, inst2.id)
            assert inst2.tokens["main"]["state"] == "review"
            assert inst2.status == WorkflowInstanceStatus.RUNNING
            assert [s.action for s in inst2.steps] == ["start", "submit"]
            db.session.commit()
        finally:
            manager.remove_after_transition(callback)


def test_parallel_split_joins_only_after_every_selected_branch(app, world):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = engine.start(db.session, project, "utility_test", utility_definition(),
                            {"units": ["water", "power", "gas"]}, assistant, today=TODAY)
        engine.transition(db.session, inst, "accept", assistant, today=TODAY)
        [view] = engine.available_actions(inst, assistant)
        assert view.action == "fan_out" and view.branches == ["water", "power", "gas"]
        first = engine.transition(db.session, inst, "fan_out", assistant, comment="分派三家",
                                  today=TODAY)
        assert first.branch == "water"
        assert set(inst.tokens) == {"water", "power", "gas"}
        assert inst.tokens["gas"] == {"state": "gas_accept", "entered_on": "2026-11-11",
                                      "due_on": "2026-11-16"}
        db.session.commit()
        assert sorted(a.action for a in engine.available_actions(inst, dept)) == [
            "gas_connect", "power_connect", "water_connect"]
        # A unit not selected has no token: its action is refused.
        with pytest.raises(engine.TransitionRefused, match="需要在“通信受理勘查”办理"):
            engine.transition(db.session, inst, "telecom_connect", dept)

        engine.transition(db.session, inst, "water_connect", dept)
        engine.transition(db.session, inst, "power_connect", dept)
        db.session.commit()
        inst = db.session.get(WorkflowInstance, inst.id)
        assert inst.status == WorkflowInstanceStatus.RUNNING
        assert "main" not in inst.tokens
        assert inst.tokens["gas"]["state"] == "gas_accept"

        engine.transition(db.session, inst, "gas_connect", dept, comment="已通气")
        db.session.commit()
        inst = db.session.get(WorkflowInstance, inst.id)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert list(inst.tokens) == ["main"] and inst.tokens["main"]["state"] == "done"
        steps = [(s.action, s.branch, s.from_state, s.to_state) for s in inst.steps]
        assert steps == [
            ("start", None, None, "apply"),
            ("accept", None, "apply", "accepted"),
            ("fan_out", "water", "accepted", "water_accept"),
            ("fan_out", "power", "accepted", "power_accept"),
            ("fan_out", "gas", "accepted", "gas_accept"),
            ("water_connect", "water", "water_accept", "water_connected"),
            ("power_connect", "power", "power_accept", "power_connected"),
            ("gas_connect", "gas", "gas_accept", "gas_connected"),
            ("finish", None, None, "done"),
        ]
        assert engine.timeline(inst)[2]["branch_label"] == "供水"


def test_shared_branch_states_need_the_branch_and_explicit_join(app, world):
    d = {"key": "shared_test", "name": "共用环节", "initial": "start",
         "states": [{"name": "start", "label": "开始"}, {"name": "work", "label": "施工"},
                    {"name": "ok", "label": "完成"}, {"name": "end", "label": "办结", "final": True}],
         "transitions": [
             {"action": "split", "label": "分派", "from": "start", "roles": ["assistant"],
              "split": {"x": "work", "y": "work"}},
             {"action": "finish_work", "label": "完工", "from": "work", "to": "ok",
              "roles": ["dept"]},
             {"action": "close", "label": "办结", "join": ["ok"], "to": "end",
              "roles": ["assistant"]}]}
    assert validate(d) == []
    with app.app_context():
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = engine.start(db.session, new_project(world), "shared_test", d, None, assistant)
        engine.transition(db.session, inst, "split", assistant)
        with pytest.raises(engine.TransitionRefused, match="请指定分支"):
            engine.transition(db.session, inst, "finish_work", dept)
        assert {a.branch for a in engine.available_actions(inst, dept)} == {"x", "y"}
        engine.transition(db.session, inst, "finish_work", dept, branch="x")
        [close] = engine.available_actions(inst, assistant)
        assert close.action == "close" and not close.enabled
        assert "尚有分支未完成" in close.reasons[0] and "y（施工）" in close.reasons[0]
        with pytest.raises(engine.TransitionRefused, match="尚有分支未完成"):
            engine.transition(db.session, inst, "close", assistant)
        with pytest.raises(engine.TransitionRefused, match="该分支当前不在此环节"):
            engine.transition(db.session, inst, "finish_work", dept, branch="x")
        engine.transition(db.session, inst, "finish_work", dept, branch="y")
        engine.transition(db.session, inst, "close", assistant)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        db.session.commit()


def test_cancel_keeps_history(app, world):
    with app.app_context():
        assistant = user(world, "assistant")
        inst = engine.start(db.session, new_project(world), "pile_first_test", PILE, {},
                            assistant)
        engine.cancel(db.session, inst, assistant, comment="项目调整")
        db.session.commit()
        inst = db.session.get(WorkflowInstance, inst.id)
        assert inst.status == WorkflowInstanceStatus.CANCELLED
        assert [s.action for s in inst.steps] == ["start", "cancel"]
        with pytest.raises(engine.TransitionRefused, match="流程已取消"):
            engine.transition(db.session, inst, "submit", assistant)


def test_a_bad_definition_cannot_start(app, world):
    with app.app_context():
        d = copy.deepcopy(PILE)
        d["states"][2]["final"] = False
        with pytest.raises(DefinitionError, match="流程没有终止状态"):
            engine.start(db.session, new_project(world), "x", d, {}, user(world, "assistant"))
        db.session.rollback()


# -- cards ---------------------------------------------------------------------------------------
def test_cards_raised_when_a_step_overruns_and_cleared_after_moving_on(app, world):
    with app.app_context():
        assistant, dept = user(world, "assistant"), user(world, "dept")
        # Entered Mon 2 Nov with 3 working days: due Thu 5 Nov, overdue by Wed 11 Nov.
        late = engine.start(db.session, new_project(world), "pile_first_test", PILE,
                            {"commitment_signed": True}, assistant, today=dt.date(2026, 11, 2))
        # Entered Tue 10 Nov, limit 2: due Thu 12 Nov, within the 2-day warning window.
        soon = engine.start(db.session, new_project(world), "pile_first_test", PILE,
                            {"commitment_signed": True, "time_limits": {"apply": 2}},
                            assistant, today=dt.date(2026, 11, 10))
        # Plenty of time: no card.
        calm = engine.start(db.session, new_project(world), "pile_first_test", PILE,
                            {"commitment_signed": True}, assistant, today=TODAY)
        db.session.commit()

        out = cards.raise_workflow_cards(db.session, TODAY)
        db.session.commit()
        red = card(late.id, CardLevel.RED)
        assert red is not None and red.cleared_at is None
        assert red.due_on == dt.date(2026, 11, 5)
        assert red.title.startswith("桩基先行许可·提出申请 · ")
        assert card(late.id, CardLevel.YELLOW) is None
        yellow = card(soon.id, CardLevel.YELLOW)
        assert yellow is not None and yellow.due_on == dt.date(2026, 11, 12)
        assert card(calm.id, CardLevel.RED) is None and card(calm.id, CardLevel.YELLOW) is None
        assert out["raised"]["RED"] == 1 and out["raised"]["YELLOW"] == 1
        assert red.id in out["raised_ids"]

        # Scanning again raises nothing new.
        again = cards.raise_workflow_cards(db.session, TODAY)
        assert red.id not in again["raised_ids"] and yellow.id not in again["raised_ids"]

        # The late one moves on (review: 5 working days from today): its card clears.
        engine.transition(db.session, late, "submit", assistant, today=TODAY)
        # The soon one runs out of time: yellow turns red.
        db.session.commit()
        out = cards.raise_workflow_cards(db.session, dt.date(2026, 11, 16))
        db.session.commit()
        db.session.refresh(red)
        db.session.refresh(yellow)
        assert red.cleared_at is not None
        assert yellow.cleared_at is not None
        assert card(soon.id, CardLevel.RED).cleared_at is None

        # Completing clears the rest.
        engine.transition(db.session, soon, "submit", assistant, today=dt.date(2026, 11, 16))
        engine.transition(db.session, soon, "approve", dept, today=dt.date(2026, 11, 16))
        db.session.commit()
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 16))
        db.session.commit()
        assert card(soon.id, CardLevel.RED).cleared_at is not None


def test_each_overdue_branch_carries_its_own_card(app, world):
    with app.app_context():
        assistant, dept = user(world, "assistant"), user(world, "dept")
        d = utility_definition()
        params = {"units": ["water", "power"], "time_limits": {"power_accept": 10}}
        inst = engine.start(db.session, new_project(world), "utility_test", d, params,
                            assistant, today=dt.date(2026, 11, 2))
        engine.transition(db.session, inst, "accept", assistant, today=dt.date(2026, 11, 2))
        engine.transition(db.session, inst, "fan_out", assistant, today=dt.date(2026, 11, 2))
        db.session.commit()
        # 11 Nov: water (due 3 Nov) is overdue; power (due 16 Nov) is not even yellow.
        cards.raise_workflow_cards(db.session, TODAY)
        db.session.commit()
        water = card(inst.id, CardLevel.RED, "water")
        assert water is not None and "供水受理勘查（供水）" in water.title
        assert card(inst.id, CardLevel.RED, "power") is None
        assert card(inst.id, CardLevel.YELLOW, "power") is None
        # 20 Nov: both branches overdue, one card each.
        later = dt.date(2026, 11, 20)
        result = cards.raise_workflow_cards(db.session, later)
        db.session.commit()
        power = card(inst.id, CardLevel.RED, "power")
        assert power is not None and "（供电）" in power.title
        assert power.id in result["raised_ids"]
        assert water.id not in result["raised_ids"]  # already up, not raised twice
        # Water connects: its card clears, power's stays.
        engine.transition(db.session, inst, "water_connect", dept, today=later)
        db.session.commit()
        cards.raise_workflow_cards(db.session, later)
        db.session.commit()
        db.session.refresh(water)
        db.session.refresh(power)
        assert water.cleared_at is not None
        assert power.cleared_at is None


def test_two_branches_moving_at_the_same_time_both_count(app, world):
    """The instance row is locked: a unit connecting while another one does cannot
    overwrite the other's token."""
    import threading

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from .waiting import wait_until

    with app.app_context():
        assistant = user(world, "assistant")
        inst = engine.start(db.session, new_project(world), "utility_test", utility_definition(),
                            {"units": ["water", "power"]}, assistant, today=TODAY)
        engine.transition(db.session, inst, "accept", assistant, today=TODAY)
        engine.transition(db.session, inst, "fan_out", assistant, today=TODAY)
        db.session.commit()
        iid, dept_id = inst.id, world.a.users["dept"].id
        bind = db.engine
    errors = []
    first_locked = threading.Event()

    def second_waits_on_the_lock() -> bool:
        with bind.connect() as conn:
            return bool(conn.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")))

    def run(action, hold):
        try:
            with app.app_context(), Session(bind) as s:
                dept = s.get(AppUser, dept_id)
                engine.transition(s, iid, action, dept, today=TODAY)
                if hold:
                    first_locked.set()
                    # Hold the lock until the other unit's move is seen waiting for it.
                    wait_until(second_waits_on_the_lock, timeout=15,
                               what="the second transition to wait on the instance lock")
                s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_locked.set()

    t1 = threading.Thread(target=run, args=("water_connect", True))
    t1.start()
    first_locked.wait(10)
    t2 = threading.Thread(target=run, args=("power_connect", False))
    t2.start()
    t1.join(20)
    t2.join(20)
    assert not errors, errors
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert [s.action for s in inst.steps][-3:] == ["water_connect", "power_connect",
                                                       "finish"]


def test_malformed_json_is_refused_with_reasons():
    assert validate("{not json")[0].startswith("JSON 格式错误")
    assert validate([1, 2]) == ["流程定义应为 JSON 对象"]
    problems = validate({"key": "x", "name": "x", "initial": "a", "states": ["a"],
                         "transitions": [{"action": "t", "split": "b", "join": "c"}]})
    assert "“states”应为状态对象的列表" in problems
    assert "动作“t”的 split 应为“分支: 状态”的对象" in problems
    assert "动作“t”的 join 应为状态列表" in problems


def test_cards_feed_the_warning_scan_result(app, world):
    """How the warning scan calls it: counts under WORKFLOW, ids for its notifications."""
    from app.services.warnings import ScanResult

    with app.app_context():
        assistant = user(world, "assistant")
        inst = engine.start(db.session, new_project(world), "pile_first_test", PILE, {},
                            assistant, today=dt.date(2026, 10, 12))
        db.session.commit()
        result = ScanResult(TODAY)
        new_ids: list[int] = []
        new_ids += cards.raise_workflow_cards(db.session, TODAY, result=result,
                                              notify=False)["raised_ids"]
        db.session.commit()
        red = card(inst.id, CardLevel.RED)
        assert red.id in new_ids
        assert result.raised[("WORKFLOW", "RED")] == 1
        assert any(line.strip().startswith("创新举措环节 WORKFLOW: yellow") for line in
                   result.lines())
