"""签约即颁照 / 交地即发证 (built-in measure 3): pre-review before signing, then the land-use
planning permit and the real-estate certificate issued the day of signing once the land
price is paid in full."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    CardLevel,
    CardSubject,
    ItemStatus,
    OrgUnit,
    Region,
    WarningCard,
    WorkflowInstanceStatus,
)
from app.plugins import licence_on_signing, manager_of
from app.services import item_codes as codes
from app.services import measures
from app.workflow import cards, engine, links
from app.workflow.engine import TransitionRefused

from . import factories as f

KEY = "licence_on_signing"
DAY = dt.date(2026, 11, 11)


user = f.world_user


new_project = f.assisted_project


@pytest.fixture()
def enabled(app, world):
    yield from f.measure_set_in_county_a(app, world, KEY, {})


def _ready_to_sign(world, project):
    assistant, dept = user(world, "assistant"), user(world, "dept")
    inst = measures.start_measure(db.session, project, KEY, assistant)
    engine.transition(db.session, inst, "submit", assistant, today=DAY)
    engine.transition(db.session, inst, "pass_prereview", dept, today=DAY)
    return inst


def test_plugin_and_parameters(app):
    with app.app_context():
        spec = manager_of().measure(KEY)
        assert spec.name == "签约即颁照/交地即发证"
        assert spec.param("time_limits.prereview").default == 5
        assert spec.param("issue_certificate").default is True
        assert spec.param("roles.sign_and_issue").default == ["dept"]


def test_happy_path_issues_both_documents_on_signing(app, world, enabled):
    with app.app_context():
        project = new_project(world)
        unit = db.session.get(OrgUnit, world.a.department.id)
        planning = f.item(project, unit, name="建设用地规划许可证核发", code=codes.LAND_PLANNING_PERMIT,
                          status=ItemStatus.ACCEPTED, accepted_on=dt.date(2026, 11, 12))
        certificate = f.item(project, unit, name="不动产权证书（首次登记）",
                             code=codes.LAND_USE_RIGHT)
        other = f.item(project, unit, name="建筑工程施工许可证核发",
                       code=codes.CONSTRUCTION_PERMIT)
        inst = _ready_to_sign(world, project)
        assert inst.tokens["main"]["state"] == "awaiting_signing"
        assert inst.params["prereview_passed_on"] == DAY.isoformat()
        signing = dt.date(2026, 11, 20)
        engine.transition(db.session, inst, "sign_and_issue", user(world, "dept"),
                          comment="合同已签订，土地出让价款已缴清", today=signing,
                          context={"contract_no": "TD-2026-001"})
        assert inst.status == WorkflowInstanceStatus.COMPLETED
        issued = inst.params["issued_at"]
        assert set(issued) == {"planning_permit", "property_certificate"}
        assert issued["planning_permit"] == issued["property_certificate"]
        assert dt.datetime.fromisoformat(issued["planning_permit"])
        assert inst.params["issued_on"] == "2026-11-20"
        assert inst.params["contract_no"] == "TD-2026-001"
        assert licence_on_signing.ledger_cell(inst) == "2026-11-20签约即颁证"
        assert [s.action for s in inst.steps] == ["start", "submit", "pass_prereview",
                                                  "sign_and_issue"]
        # The project's items of both documents are finished that day and linked.
        for item in (planning, certificate):
            assert item.status == ItemStatus.FINISHED and item.finished_on == signing
        assert certificate.accepted_on == signing and planning.accepted_on == dt.date(2026, 11, 12)
        assert other.status == ItemStatus.NOT_STARTED
        assert [(x["item"].id, x["relation"]) for x in links.linked_items(inst)] == [
            (planning.id, links.CHANGED), (certificate.id, links.CHANGED)]
        assert [x["name"] for x in links.instances_of_item(db.session, planning.id)] == [
            "签约即颁照/交地即发证"]
        db.session.rollback()


def test_without_certificate_only_the_planning_permit(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, KEY, region, True, {"issue_certificate": False},
                             user(world, "admin"))
        project = new_project(world)
        unit = db.session.get(OrgUnit, world.a.department.id)
        certificate = f.item(project, unit, name="不动产权证书（首次登记）",
                             code=codes.LAND_USE_RIGHT)
        inst = _ready_to_sign(world, project)
        engine.transition(db.session, inst, "sign_and_issue", user(world, "dept"),
                          context={"land_price_paid": True})
        assert set(inst.params["issued_at"]) == {"planning_permit"}
        assert certificate.status == ItemStatus.NOT_STARTED
        db.session.rollback()


def test_unpaid_land_price_refuses_signing(app, world, enabled):
    with app.app_context():
        inst = _ready_to_sign(world, new_project(world))
        with pytest.raises(TransitionRefused, match="土地出让价款尚未缴清"):
            engine.transition(db.session, inst, "sign_and_issue", user(world, "dept"),
                              comment="合同已签订")
        assert inst.tokens["main"]["state"] == "awaiting_signing"
        assert "issued_at" not in inst.params
        db.session.rollback()


def test_a_wrong_role_is_refused(app, world, enabled):
    with app.app_context():
        inst = measures.start_measure(db.session, new_project(world), KEY,
                                      user(world, "assistant"))
        engine.transition(db.session, inst, "submit", user(world, "company"))
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "pass_prereview", user(world, "assistant"))
        engine.transition(db.session, inst, "pass_prereview", user(world, "dept"))
        with pytest.raises(TransitionRefused, match="无权"):
            engine.transition(db.session, inst, "sign_and_issue", user(world, "clerk"),
                              context={"land_price_paid": True})
        db.session.rollback()


def test_cards_when_prereview_overruns(app, world, enabled):
    with app.app_context():
        inst = measures.start_measure(db.session, new_project(world), KEY,
                                      user(world, "assistant"))
        engine.transition(db.session, inst, "submit", user(world, "assistant"),
                          today=dt.date(2026, 11, 2))
        db.session.commit()
        assert inst.tokens["main"]["due_on"] == "2026-11-09"
        cards.raise_workflow_cards(db.session, dt.date(2026, 11, 16))
        db.session.commit()
        red = db.session.scalar(select(WarningCard).where(
            WarningCard.subject == CardSubject.WORKFLOW, WarningCard.subject_id == inst.id,
            WarningCard.level == CardLevel.RED))
        assert red is not None and "联合预审" in red.title
