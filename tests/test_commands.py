"""Commands and invariants (issue 8): a multi-step write is one command that the screen and
the API call the same way in one transaction, and an approval item's rules hold whoever
writes it — a screen, the API, a plugin's effect or plain ORM code.

The stories: the lead department accepts an item with gaps from the instance page and a
script does the same through the API, with the same outcome and the same field messages; a
bureau admin's holiday entry and the due dates it moves are saved — or refused — together;
a script marking an item 已办结 without 办结日期 is refused; a due date typed over a 补正
pause is put right; a measure still finds a county's renamed item by its code.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import json

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.models import (
    ApprovalItem,
    CalendarDay,
    ItemCorrection,
    ItemStatus,
    OrgUnit,
    Project,
    Region,
    WorkflowDefinition,
    WorkflowInstance,
)
from app.plugins import start_on_land as sol
from app.services import deadlines, lowcode_definitions, measures
from app.services import item_codes as codes
from app.services.errors import DomainValidationError
from app.workflow import actions, engine

from . import factories as f
from .test_calendar import NO_DATA_YEAR, calendar_screen, seeded_calendar  # noqa: F401
from .test_workflow_fields import _launched, gaps_on  # noqa: F401

D = dt.date
user = f.world_user


def _item(item_id) -> ApprovalItem:
    return db.session.get(ApprovalItem, item_id)


def _unit(world) -> OrgUnit:
    return db.session.get(OrgUnit, world.a.department.id)


# -- one command for a workflow action: the screen and the API --------------------------------
def test_an_action_from_the_screen_and_from_the_api_has_the_same_outcome(
        app, world, gaps_on, login, client, api_token):  # noqa: F811
    promised = D(2026, 12, 18)
    values = {"gap_materials": "消防设计审查意见书", "promised_on": promised.isoformat(),
              "commitment_signed": True}
    by_screen, screen_items = _launched(app, world)
    by_api, api_items = _launched(app, world)

    page = login("a_dept").post(f"/projectworkflowsview/transition/{by_screen}", data={
        "act": "accept_with_gaps|", "comment": "容缺受理",
        "f:accept_with_gaps:item_id": str(screen_items[1]),
        "f:accept_with_gaps:gap_materials": values["gap_materials"],
        "f:accept_with_gaps:promised_on": values["promised_on"],
        "f:accept_with_gaps:commitment_signed": "y"})
    assert page.status_code == 302
    resp = client.post(f"/api/v1/workflow_instance/{by_api}/transition",
                       headers=api_token("a_dept"),
                       json={"action": "accept_with_gaps", "comment": "容缺受理",
                             "context": {**values, "item_id": api_items[1]}})
    assert resp.status_code == 200, resp.get_data(as_text=True)

    with app.app_context():
        outcomes = []
        for iid, item_id in ((by_screen, screen_items[1]), (by_api, api_items[1])):
            item, inst = _item(item_id), db.session.get(WorkflowInstance, iid)
            step = inst.steps[-1]
            outcomes.append((item.status, item.gap_materials, item.gap_promised_on,
                             item.accepted_on is not None, step.action, step.comment,
                             step.username, [x["text"] for x in step.fields][1:]))
        assert outcomes[0] == outcomes[1]
        assert outcomes[0][:3] == (ItemStatus.ACCEPTED_WITH_GAPS, "消防设计审查意见书", promised)


def test_wrong_fields_give_the_same_messages_on_the_screen_and_the_api(
        app, world, gaps_on, login, client, api_token):  # noqa: F811
    iid, item_ids = _launched(app, world)
    bad = {"item_id": str(item_ids[0]), "gap_materials": "", "promised_on": "2026-13-45"}
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        with pytest.raises(actions.ActionFieldsInvalid) as refused:
            actions.perform_action(db.session, inst, user(world, "dept"), "accept_with_gaps",
                                   values=bad)
        db.session.rollback()
    messages = refused.value.errors
    assert set(messages) == {"gap_materials", "promised_on"}

    resp = client.post(f"/api/v1/workflow_instance/{iid}/transition",
                       headers=api_token("a_dept"),
                       json={"action": "accept_with_gaps", "context": bad})
    assert resp.status_code == 422 and resp.json["message"] == messages

    page = login("a_dept").post(f"/projectworkflowsview/transition/{iid}", data={
        "act": "accept_with_gaps|", **{f"f:accept_with_gaps:{k}": v for k, v in bad.items()}})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(m in html.unescape(text) for m in messages.values())
    with app.app_context():  # nothing was done by either
        assert _item(item_ids[0]).status == ItemStatus.ACCEPTED
        assert db.session.get(WorkflowInstance, iid).steps[-1].action == "launch"


# -- one command for a calendar edit and the due dates it moves -----------------------------
@pytest.fixture()
def computed_item(app, world):
    """An accepted county-a item whose due date the rule computed: accepted Mon 29 Sept of
    the year without holidays, 5 working days → Mon 6 Oct."""
    with app.app_context():
        project = db.session.get(Project, world.a.project.id)
        item = f.item(project, _unit(world), name="日历命令-自动", status=ItemStatus.ACCEPTED,
                      accepted_on=D(NO_DATA_YEAR, 9, 29), time_limit_days=5)
        db.session.commit()
        assert item.due_on == D(NO_DATA_YEAR, 10, 6)
        item_id = item.id
    yield item_id
    with app.app_context():
        db.session.execute(delete(CalendarDay).where(CalendarDay.day == D(NO_DATA_YEAR, 10, 1)))
        db.session.execute(delete(ApprovalItem).where(ApprovalItem.id == item_id))
        db.session.commit()
        from app.services import calendar

        calendar.invalidate()


def test_a_holiday_and_the_due_dates_it_moves_are_saved_together(
        app, world, calendar_screen, computed_item, login, monkeypatch):  # noqa: F811
    client = login("a_admin")
    commits = []
    monkeypatch.setattr(db.session, "commit", _counting(db.session.commit, commits))
    resp = client.post("/calendardayview/add", data={
        "day": D(NO_DATA_YEAR, 10, 1).isoformat(), "kind": "HOLIDAY", "name": "国庆节"})
    assert resp.status_code == 302
    assert len(commits) == 1  # FAB's own commit carries the due dates too
    with app.app_context():
        assert _item(computed_item).due_on == D(NO_DATA_YEAR, 10, 7)


def _counting(commit, calls):
    def wrapped():
        calls.append(1)
        return commit()
    return wrapped


def test_a_failed_due_date_refresh_leaves_neither_the_holiday_nor_stale_due_dates(
        app, world, calendar_screen, computed_item, login, monkeypatch):  # noqa: F811
    real = deadlines.refresh_after_calendar_change

    def moves_then_fails(session, *args, **kwargs):
        real(session, *args, **kwargs)  # the due date is moved (and flushed)…
        raise RuntimeError("the refresh broke half-way")  # …then the command fails

    monkeypatch.setattr(deadlines, "refresh_after_calendar_change", moves_then_fails)
    client = login("a_admin")
    client.post("/calendardayview/add", data={
        "day": D(NO_DATA_YEAR, 10, 1).isoformat(), "kind": "HOLIDAY", "name": "国庆节"})
    with app.app_context():
        assert db.session.query(CalendarDay).filter_by(day=D(NO_DATA_YEAR, 10, 1)).count() == 0
        assert _item(computed_item).due_on == D(NO_DATA_YEAR, 10, 6)  # not moved


# -- one command for importing a low-code definition ----------------------------------------
def _exported(key):
    return {"key": key, "name": "导入命令测试", "version": 1, "initial": "apply",
            "states": [{"name": "apply", "label": "申请", "time_limit_days": 2},
                       {"name": "done", "label": "办结", "final": True}],
            "transitions": [{"action": "submit", "label": "提交", "from": "apply",
                             "to": "done", "roles": ["assistant"]}]}


def test_importing_a_definition_from_the_screen_is_the_command(app, world, login):
    key = "cmd_import_test"
    try:
        resp = login("a_admin").post("/workflowdefinitionview/import", data={
            "file": (io.BytesIO(json.dumps(_exported(key)).encode()), "m.json")},
            content_type="multipart/form-data")
        assert resp.status_code == 302, resp.get_data(as_text=True)
        with app.app_context():
            row = db.session.query(WorkflowDefinition).filter_by(key=key).one()
            assert (row.version, row.region_id) == (1, world.a.region.id)
            # The same command from a script: the next version, same rules.
            again = lowcode_definitions.import_definition(db.session, _exported(key),
                                                          user(world, "admin"))
            assert again.version == 2
            db.session.rollback()
            # A department officer may not import, whichever way they call it.
            with pytest.raises(DomainValidationError) as refused:
                lowcode_definitions.import_definition(db.session, _exported(key),
                                                      user(world, "dept"))
            assert set(refused.value.errors) == {"region"}
    finally:
        with app.app_context():
            db.session.execute(delete(WorkflowDefinition).where(WorkflowDefinition.key == key))
            db.session.commit()


def test_only_the_defining_region_may_change_a_definition(app, world):
    key = "cmd_city_measure"
    with app.app_context():
        db.session.add(WorkflowDefinition(key=key, version=1, name="市级举措",
                                          region_id=world.city.id, definition=_exported(key)))
        db.session.commit()
    try:
        with app.app_context():
            row = db.session.query(WorkflowDefinition).filter_by(key=key).one()
            county_admin = user(world, "admin")
            row.region = db.session.get(Region, world.a.region.id)  # a county takes it over
            db.session.flush()  # even once the new region has reached the database
            with pytest.raises(DomainValidationError) as refused:
                lowcode_definitions.save_definition(db.session, row, county_admin,
                                                    created=False)
            assert set(refused.value.errors) == {"region"}
            db.session.rollback()
    finally:
        with app.app_context():
            db.session.execute(delete(WorkflowDefinition).where(WorkflowDefinition.key == key))
            db.session.commit()


# -- the item rules hold for every write path ---------------------------------------------------
def test_a_script_cannot_finish_an_item_without_its_finish_date(app, world):
    with app.app_context():
        project = db.session.get(Project, world.a.project.id)
        item = f.item(project, _unit(world), name="脚本办结", status=ItemStatus.ACCEPTED,
                      accepted_on=D(2026, 11, 2))
        item.status = ItemStatus.FINISHED  # plain ORM, no screen, no service
        with pytest.raises(DomainValidationError) as refused:
            db.session.flush()
        assert set(refused.value.errors) == {"finished_on"}
        db.session.rollback()


def test_an_accepted_item_needs_its_acceptance_date_whoever_saves_it(app, world, client,
                                                                    api_token):
    with app.app_context():
        project = db.session.get(Project, world.a.project.id)
        db.session.add(ApprovalItem(project=project, department=_unit(world),
                                    stage=f.stage(), name="无受理日期", time_limit_days=5,
                                    status=ItemStatus.ACCEPTED))
        with pytest.raises(DomainValidationError) as refused:
            db.session.flush()
        assert set(refused.value.errors) == {"accepted_on"}
        db.session.rollback()
        item = f.item(project, _unit(world), name="接口受理")
        db.session.commit()
        item_id = item.id
    try:
        resp = client.put(f"/api/v1/approval_item/{item_id}", headers=api_token("a_assistant"),
                          json={"status": "已受理"})
        assert resp.status_code == 422, resp.get_data(as_text=True)
        assert "accepted_on" in resp.json["message"]
        with app.app_context():
            assert _item(item_id).status == ItemStatus.NOT_STARTED
    finally:
        with app.app_context():
            db.session.execute(delete(ApprovalItem).where(ApprovalItem.id == item_id))
            db.session.commit()


def test_a_due_date_typed_over_a_correction_pause_is_put_right(app, world):
    """Accepted Mon 2 Nov 2026 with 10 working days; corrections asked Thu 5 Nov and in on
    Mon 9 Nov: 2 days counted before the pause, 8 after it → Thu 19 Nov (not Mon 16 Nov,
    the date without the pause)."""
    with app.app_context():
        project = db.session.get(Project, world.a.project.id)
        item = f.item(project, _unit(world), name="补正暂停", status=ItemStatus.ACCEPTED,
                      accepted_on=D(2026, 11, 2), time_limit_days=10)
        assert item.due_on == D(2026, 11, 16)
        db.session.add(ItemCorrection(item=item, requested_on=D(2026, 11, 5),
                                      received_on=D(2026, 11, 9)))
        db.session.flush()
        assert item.due_on == D(2026, 11, 19)
        item.due_on = D(2026, 11, 16)  # typed by hand, as if there had been no pause
        db.session.flush()
        assert item.due_on == D(2026, 11, 19)
        db.session.rollback()


def test_a_plugin_effect_accepting_an_item_keeps_the_correction_pause(app, world, gaps_on):  # noqa: F811
    """并联审批's launch accepts the stage's items on Thu 5 Nov 2026; one of them has been
    waiting for corrections since 1 Nov that arrive on Mon 9 Nov: its 5 working days run
    from 10 Nov → Mon 16 Nov (the effect used to write Thu 12 Nov)."""
    from app.plugins import parallel_gaps

    from .test_measure_parallel_gaps import new_project

    with app.app_context():
        project, items, _other = new_project(world)
        waiting = items[0]
        db.session.add(ItemCorrection(item=waiting, requested_on=D(2026, 11, 1),
                                      received_on=D(2026, 11, 9)))
        db.session.flush()
        inst = measures.start_measure(db.session, project, parallel_gaps.KEY,
                                      user(world, "assistant"))
        engine.transition(db.session, inst, "launch", user(world, "dept"), today=D(2026, 11, 5))
        db.session.flush()
        assert waiting.status == ItemStatus.ACCEPTED and waiting.accepted_on == D(2026, 11, 5)
        assert waiting.due_on == D(2026, 11, 16)
        assert items[1].due_on == D(2026, 11, 12)  # no pause: 5 working days from 5 Nov
        db.session.rollback()


# -- items are found by their stable code -------------------------------------------------------
@pytest.fixture()
def start_on_land_on(app, world):
    yield from f.measure_set_in_county_a(app, world, sol.KEY)


def test_a_measure_finds_a_renamed_item_by_its_code(app, world, start_on_land_on):
    from .test_measure_start_on_land import _to_await_land

    with app.app_context():
        project = f.assisted_project(world)
        land = f.item(project, _unit(world), name="建设用地规划许可证",
                      code=codes.LAND_PLANNING_PERMIT, status=ItemStatus.FINISHED,
                      accepted_on=D(2026, 11, 2), finished_on=D(2026, 11, 6))
        permit = f.item(project, _unit(world), name="建筑工程施工许可证",
                        code=codes.CONSTRUCTION_PERMIT, status=ItemStatus.ACCEPTED,
                        accepted_on=D(2026, 11, 12))
        # The county rewords both names; a look-alike name without the code is not theirs.
        land.name, permit.name = "用地规划核准（本县称谓）", "开工手续（本县称谓）"
        lookalike = f.item(project, _unit(world), name="建筑工程施工许可证（旧名）",
                           status=ItemStatus.ACCEPTED, accepted_on=D(2026, 11, 12))
        inst = measures.start_measure(db.session, project, sol.KEY, user(world, "assistant"))
        _to_await_land(world, inst)
        engine.transition(db.session, inst, "issue_together", user(world, "dept"),
                          today=D(2026, 11, 20))
        assert inst.params["land_evidence"] == "事项“用地规划核准（本县称谓）”已办结"
        assert permit.status == ItemStatus.FINISHED and permit.finished_on == D(2026, 11, 20)
        assert lookalike.status == ItemStatus.ACCEPTED
        db.session.rollback()


def test_an_item_takes_its_templates_code(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        tpl = f.template(region, _unit(world), name="本县施工许可（编码测试）")
        tpl.code = codes.CONSTRUCTION_PERMIT
        project = f.project(region, f.applicant(region))
        made = [i for i in project.items if i.template_id == tpl.id]
        assert [i.code for i in made] == [codes.CONSTRUCTION_PERMIT]
        db.session.rollback()


def test_no_plugin_writes_an_items_dates_or_status_itself():
    """Plugins change items through app.services.items (accept, finish, supply_gaps)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "app" / "plugins"
    writes = re.compile(r"\b\w*item\w*\.(status|due_on|accepted_on|finished_on)\s*=[^=]")
    offenders = [f"{path.relative_to(root)}:{n}"
                 for path in sorted(root.rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if writes.search(line)]
    assert offenders == []
