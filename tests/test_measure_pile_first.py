"""桩基先行许可 (built-in measure 1): enabled for county a, run end to end as the right
roles, refused for a wrong role and by each prerequisite, cards when review overruns, the
days saved and its ledger column."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CardLevel, CardSubject, Region, WarningCard, WorkflowInstanceStatus
from app.models.enums import ItemStatus
from app.plugins import manager_of, pile_first
from app.services import calendar, measures
from app.services import item_codes as codes
from app.workflow import cards, engine, links
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "pile_first"
ALL_OK = "土地使用权已取得；桩基施工图审查合格；承诺书已签署"


user = f.world_user


new_project = f.assisted_project


@pytest.fixture()
def enabled(app, world):
    yield from f.measure_set_in_county_a(app, world, KEY, {"time_limits.review": 3})


def test_the_plugin_is_discovered_with_chinese_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec is not None and spec.name == "桩基先行许可"
        assert spec.plugin == "pile_first"
        names = {p.name: p for p in spec.parameters}
        assert names["time_limits.review"].default == 3
        assert names["roles.approve"].default == ["dept"]
        assert names["require_land_right"].label == "须已取得土地使用权"
        assert "桩基先行（节省工作日）" in [c.header for c in manager_of().ledger_columns()]


def test_happy_path_pile_permit_then_full_permit_and_days_saved(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        assert inst.tokens["main"]["state"] == "apply"
        assert inst.params["time_limits"]["review"] == 3

        pile_day = dt.date(2026, 11, 11)
        engine.transition(db.session, inst, "submit", assistant, comment=ALL_OK,
                          today=pile_day)
        assert inst.tokens["main"]["state"] == "review"
        # Review: 3 working days from Wed 11 Nov → Mon 16 Nov.
        assert inst.tokens["main"]["due_on"] == "2026-11-16"
        engine.transition(db.session, inst, "approve", dept, today=pile_day)
        assert inst.tokens["main"]["state"] == "pile_permit_issued"
        assert inst.status == WorkflowInstanceStatus.RUNNING  # the full permit follows
        assert inst.params["pile_permit_on"] == "2026-11-11"
        assert pile_first.days_saved(inst) is None

        full_day = dt.date(2026, 11, 25)
        engine.transition(db.session, inst, "issue_full_permit", dept, today=full_day)
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        assert inst.tokens["main"]["state"] == "full_permit_issued"
        assert pile_first.days_saved(inst) == calendar.working_days_between(pile_day, full_day)
        assert pile_first.days_saved(inst) == 10
        assert pile_first.ledger_cell(inst) == "提前10个工作日"
        actions = [s.action for s in inst.steps]
        assert actions == ["start", "submit", "approve", "issue_full_permit"]
        db.session.rollback()


def test_guards_come_from_finished_items_or_context(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        from app.models import OrgUnit

        unit = db.session.get(OrgUnit, world.a.department.id)
        prerequisites = [f.item(project, unit, name=name, code=code, status=ItemStatus.FINISHED,
                                accepted_on=dt.date(2026, 10, 26),
                                finished_on=dt.date(2026, 11, 2))
                         for name, code in (("建设用地规划许可证核发", codes.LAND_PLANNING_PERMIT),
                                            ("桩基施工图审查", codes.DRAWING_REVIEW))]
        full = f.item(project, unit, name="建筑工程施工许可证核发", status=ItemStatus.ACCEPTED,
                      code=codes.CONSTRUCTION_PERMIT,
                      accepted_on=dt.date(2026, 11, 3))
        inst = measures.start_measure(db.session, project, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant,
                          context={"commitment_signed": True})
        assert inst.tokens["main"]["state"] == "review"
        assert inst.params["commitment_signed"] is True
        # The items the prerequisites rest on are linked to the instance …
        assert [(x["item"].id, x["relation"]) for x in links.linked_items(inst)] == [
            (i.id, links.PREREQUISITE) for i in prerequisites]
        # … and issuing the full permit finishes the project's construction-permit item.
        dept = user(world, "dept")
        engine.transition(db.session, inst, "approve", dept, today=dt.date(2026, 11, 11))
        engine.transition(db.session, inst, "issue_full_permit", dept,
                          today=dt.date(2026, 11, 25))
        assert full.status == ItemStatus.FINISHED and full.finished_on == dt.date(2026, 11, 25)
        assert prerequisites[1].status == ItemStatus.FINISHED  # untouched
        assert (full.id, links.CHANGED) in [(x["item"].id, x["relation"])
                                            for x in links.linked_items(inst)]
        db.session.rollback()


def test_each_missing_prerequisite_refuses_with_its_reason(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "submit", assistant, comment="请审查")
        assert "尚未取得土地使用权" in err.value.reason
        assert "桩基施工图尚未审查合格" in err.value.reason
        assert "承诺书" in err.value.reason
        with pytest.raises(TransitionRefused) as err:
            engine.transition(db.session, inst, "submit", assistant,
                              comment="土地使用权已取得，桩基施工图审查合格")
        assert err.value.reason.startswith("申请人尚未签署书面承诺书")
        assert inst.tokens["main"]["state"] == "apply"
        # The screen shows the button disabled with the reasons.
        views = engine.available_actions(inst, assistant)
        submit = next(v for v in views if v.action == "submit")
        assert not submit.enabled and len(submit.reasons) == 3
        db.session.rollback()


def test_a_wrong_role_is_refused(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant, company, clerk = (user(world, k) for k in ("assistant", "company", "clerk"))
        inst = measures.start_measure(db.session, project, KEY, assistant)
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "submit", company, comment=ALL_OK)
        engine.transition(db.session, inst, "submit", clerk, comment=ALL_OK)
        # Only the department issues the pile permit.
        with pytest.raises(TransitionRefused, match="您的角色无权执行“审查通过，核发桩基施工许可”"):
            engine.transition(db.session, inst, "approve", assistant)
        # The department may return it for corrections.
        engine.transition(db.session, inst, "return", user(world, "dept"), comment="补充桩位图")
        assert inst.tokens["main"]["state"] == "apply"
        db.session.rollback()


def test_not_enabled_refuses_to_start(app, world):
    with app.app_context():
        project = new_project(world, "b")
        with pytest.raises(measures.MeasureError):
            measures.start_measure(db.session, project, KEY, user(world, "assistant", "b"))
        db.session.rollback()


def test_cards_when_the_review_overruns(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        assistant = user(world, "assistant")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant, comment=ALL_OK,
                          today=dt.date(2026, 11, 2))
        db.session.commit()
        assert inst.tokens["main"]["due_on"] == "2026-11-05"
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 11))
        db.session.commit()
        red = db.session.scalar(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED))
        assert red is not None and red.cleared_at is None
        assert red.title.startswith("桩基先行许可·住建部门审查")
        assert red.due_on == dt.date(2026, 11, 5)
        # Approved: the card clears.
        engine.transition(db.session, inst, "approve", user(world, "dept"),
                          today=dt.date(2026, 11, 11))
        db.session.commit()
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 11))
        db.session.commit()
        db.session.refresh(red)
        assert red.cleared_at is not None


def test_the_commitment_deadline_is_a_reminder_rule_of_the_daily_scan(app, world):
    """The plugin's reminder rule: the full permit promised within ``commitment_days``
    working days of the pile permit; the daily scan (the real one, through the plugin
    manager) raises yellow then red and clears it once the full permit is issued."""
    from app.services import warnings

    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, KEY, region, True, {"commitment_days": 5},
                             user(world, "admin"))
        project = new_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        pile_day = dt.date(2026, 11, 2)  # Monday
        engine.transition(db.session, inst, "submit", assistant, comment=ALL_OK, today=pile_day)
        engine.transition(db.session, inst, "approve", dept, today=pile_day)
        db.session.commit()
        assert pile_first.commitment_due(inst) == dt.date(2026, 11, 9)

        def commitment_card(level):
            return db.session.scalar(select(WarningCard).where(
                WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
                WarningCard.part == "pile_first.commitment", WarningCard.level == level,
                WarningCard.cleared_at.is_(None)))

        warnings.scan(db.session, dt.date(2026, 11, 3))  # six working days before: calm
        db.session.commit()
        assert commitment_card(CardLevel.YELLOW) is None
        warnings.scan(db.session, dt.date(2026, 11, 6))  # Friday, due Monday: yellow
        db.session.commit()
        yellow = commitment_card(CardLevel.YELLOW)
        assert yellow is not None and "承诺期限内取得施工许可证" in yellow.title
        assert yellow.due_on == dt.date(2026, 11, 9)
        warnings.scan(db.session, dt.date(2026, 11, 11))  # overdue: red, yellow cleared
        db.session.commit()
        assert commitment_card(CardLevel.RED) is not None
        assert commitment_card(CardLevel.YELLOW) is None
        engine.transition(db.session, inst, "issue_full_permit", dept,
                          today=dt.date(2026, 11, 11))
        db.session.commit()
        warnings.scan(db.session, dt.date(2026, 11, 11))
        db.session.commit()
        assert commitment_card(CardLevel.RED) is None
        measures.clear_setting(db.session, KEY, region, None)
        db.session.commit()
