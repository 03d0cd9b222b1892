"""The workflow engine's refusals and definition problems speak the user's language: Chinese
by default, English when the request asks for it, Chinese outside any request (RQ workers,
CLI) and even outside any app."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from flask import has_app_context, has_request_context

from app.extensions import db
from app.workflow import engine, messages
from app.workflow.definition import DefinitionError, parse, validate

from . import factories as f

TODAY = dt.date(2026, 11, 11)  # a Wednesday, no public holiday around


def definition(key: str) -> dict:
    return {
        "key": key, "name": "双语测试", "version": 1, "initial": "apply",
        "states": [
            {"name": "apply", "label": "提出申请", "time_limit_days": 2},
            {"name": "review", "label": "审查", "time_limit_days": 3},
            {"name": "done", "label": "办结", "final": True},
        ],
        "transitions": [
            {"action": "submit", "label": "提交", "from": "apply", "to": "review",
             "roles": ["assistant"]},
            {"action": "fast_track", "label": "直接办结", "from": "apply", "to": "done",
             "roles": ["assistant"], "guards": ["i18n.never_registered"]},
            {"action": "approve", "label": "通过", "from": "review", "to": "done",
             "roles": ["dept"]},
        ],
    }


# No final state, an unreachable state, a transition to a missing state.
BAD = {
    "key": "i18n_bad", "name": "错误流程", "initial": "apply",
    "states": [{"name": "apply", "label": "申请"}, {"name": "island", "label": "孤岛"},
               {"name": "review", "label": "审查"}],
    "transitions": [
        {"action": "submit", "from": "apply", "to": "review", "roles": ["assistant"]},
        {"action": "lost", "from": "review", "to": "nowhere", "roles": ["dept"]},
    ],
}
BAD_ZH = ["流程没有终止状态", "动作“lost”的目标状态“nowhere”不存在", "状态“孤岛”无法到达"]
BAD_EN = ["The workflow has no final state",
          "The target state “nowhere” of the action “lost” does not exist",
          "The state “孤岛” cannot be reached"]


def _has_all(problems, expected):
    text = "\n".join(problems)
    return all(e in text for e in expected)


@pytest.fixture()
def measure(app, world):
    """A low-code measure of county a, enabled there; yields its key."""
    yield from f.enabled_lowcode_measure(app, world, "i18n", "双语测试", definition)


_start_through_the_service = f.start_on_county_a_project


# -- without a request ------------------------------------------------------------------------
def test_outside_any_app_messages_are_chinese():
    assert not has_app_context()
    assert _has_all(validate(BAD), BAD_ZH)
    with pytest.raises(DefinitionError) as exc:
        parse(BAD)
    assert "；" in str(exc.value) and "流程没有终止状态" in str(exc.value)
    assert messages._("The workflow is %(status)s: it cannot be cancelled",
                      status="已取消") == "流程已取消，不能取消"
    assert messages.join_names(["甲", "乙"]) == "甲、乙"


def test_in_a_plain_app_context_refusals_and_problems_are_chinese(app, world):
    key = f"i18n_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        assert not has_request_context()
        project = f.assisted_project(world)
        assistant, dept = f.world_user(world, "assistant"), f.world_user(world, "dept")
        inst = engine.start(db.session, project, key, definition(key), user=assistant,
                            today=TODAY)
        assert [s["action_label"] for s in engine.timeline(inst)] == ["启动"]

        with pytest.raises(engine.TransitionRefused) as exc:
            engine.transition(db.session, inst, "approve", assistant, today=TODAY)
        assert exc.value.reason == "您的角色无权执行“通过”"
        assert type(exc.value.reason) is str

        with pytest.raises(engine.TransitionRefused) as exc:
            engine.transition(db.session, inst, "approve", dept, today=TODAY)
        assert exc.value.reason == "“通过”需要在“审查”办理，流程当前在“提出申请”"

        with pytest.raises(engine.TransitionRefused) as exc:
            engine.transition(db.session, inst, "fast_track", assistant, today=TODAY)
        assert exc.value.reason == "动作“直接办结”的条件“i18n.never_registered”未注册，暂不能执行"

        with pytest.raises(engine.StartRefused) as exc:
            engine.start(db.session, project, key, definition(key), user=assistant,
                         today=TODAY)
        assert exc.value.reason == "该项目已有进行中的“双语测试”"
        assert type(exc.value.reason) is str

        engine.cancel(db.session, inst, assistant)
        with pytest.raises(engine.TransitionRefused) as exc:
            engine.cancel(db.session, inst, assistant)
        assert exc.value.reason == "流程已取消，不能取消"
        assert [s["action_label"] for s in engine.timeline(inst)] == ["启动", "取消"]

        assert _has_all(validate(BAD), BAD_ZH)
        db.session.rollback()


# -- in a request -----------------------------------------------------------------------------
def test_the_request_locale_decides_the_language(app, world):
    with app.app_context():
        project_id = f.assisted_project(world).id
    key = f"i18n_{uuid.uuid4().hex[:8]}"
    for query, zh in (("/?_l_=en", False), ("/", True)):
        with app.test_request_context(query):
            assistant = f.world_user(world, "assistant")
            inst = engine.start(db.session, project_id, key, definition(key), user=assistant,
                                today=TODAY)
            with pytest.raises(engine.TransitionRefused) as exc:
                engine.transition(db.session, inst, "approve", assistant, today=TODAY)
            refused = exc.value.reason
            with pytest.raises(engine.TransitionRefused) as exc:
                engine.transition(db.session, inst, "fast_track", assistant, today=TODAY)
            guarded = exc.value.reason
            actions = {a.action: a for a in engine.available_actions(inst, assistant)}
            label = engine.timeline(inst)[0]["action_label"]
            problems = validate(BAD)
            db.session.rollback()
        assert type(refused) is str
        if zh:
            assert refused == "您的角色无权执行“通过”"
            assert guarded == "动作“直接办结”的条件“i18n.never_registered”未注册，暂不能执行"
            assert actions["fast_track"].reasons == [guarded]
            assert label == "启动"
            assert _has_all(problems, BAD_ZH)
        else:
            assert refused == "Your role may not perform “通过”"
            assert guarded == ("The condition “i18n.never_registered” of the action “直接办结” "
                               "is not registered: the action cannot be performed for now")
            assert actions["fast_track"].reasons == [guarded]
            assert label == "Started"
            assert _has_all(problems, BAD_EN)
            assert not any("流程" in p for p in problems)


def test_an_english_user_sees_the_refusal_in_english(app, world, measure, login):
    iid = _start_through_the_service(app, world, measure)
    client = login("a_assistant")

    body = client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "approve|"}).get_data(as_text=True)
    assert "您的角色无权执行“通过”" in body

    client.get("/lang/en")
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert "The condition “i18n.never_registered” of the action “直接办结” is not registered" \
        in page
    assert "未注册" not in page
    body = client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "approve|"}).get_data(as_text=True)
    assert "Your role may not perform “通过”" in body
    assert "您的角色无权执行" not in body

    client.get("/lang/zh")
    body = client.post(f"/projectworkflowsview/transition/{iid}",
                       data={"act": "approve|"}).get_data(as_text=True)
    assert "您的角色无权执行“通过”" in body


def test_an_english_user_sees_definition_problems_in_english(app, world, login):
    client = login("a_admin")
    form = {"key": "i18n_bad", "version": "1", "name": "错误流程", "active": "y",
            "definition": json.dumps(BAD, ensure_ascii=False)}
    preview = client.post("/workflowdefinitionview/preview", data=form).get_data(as_text=True)
    for problem in BAD_ZH:
        assert problem in preview, problem

    client.get("/lang/en")
    preview = client.post("/workflowdefinitionview/preview", data=form).get_data(as_text=True)
    for problem in BAD_EN:
        assert problem in preview, problem
    assert "流程没有终止状态" not in preview


def test_plugin_strings_follow_the_language(app, world, login):
    """A plugin's own catalogue (its ``translations`` hook) names its measure in English
    on the English screens; Chinese stays the default."""
    client = login("a_admin")
    client.get("/lang/zh")
    page = client.get("/measures/").get_data(as_text=True)
    assert "桩基先行许可" in page and "Pile foundation first" not in page
    client.get("/lang/en")
    try:
        page = client.get("/measures/").get_data(as_text=True)
        assert "Pile foundation first" in page and "Joint utility connection" in page
        detail = client.get("/measures/joint_utility/").get_data(as_text=True)
        assert "Joint utility connection" in detail
        assert "Water" in detail  # a branch choice, from the plugin's catalogue
    finally:
        client.get("/lang/zh")
