"""Action fields: an action of a workflow declares the inputs it takes (an item of the
project, a date, a tick box…); a bad declaration is listed with the definition's other
problems; what is typed on the instance page or sent to the API becomes the typed context
the guards and effects read — or a message by the field, with nothing typed lost. The
story: the lead department's officer accepts an item of the 并联审批 stage with gaps
(容缺受理) from the instance page, naming the item, the missing materials and the promised
date."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import ApprovalItem, OrgUnit, Project, Region, WorkflowInstance
from app.models.enums import ItemStatus
from app.plugins import joint_utility, licence_on_signing, parallel_gaps, pile_first, start_on_land
from app.services import measures
from app.workflow import engine, fields
from app.workflow.definition import Definition, validate

from . import factories as f
from .test_measure_parallel_gaps import _enable, new_project

user = f.world_user

ALL_TYPES = [
    {"name": "note", "type": "text", "label": "说明", "required": True},
    {"name": "details", "type": "textarea", "label": "详细情况"},
    {"name": "due", "type": "date", "label": "约定日期"},
    {"name": "confirmed", "type": "bool", "label": "已核实"},
    {"name": "copies", "type": "int", "label": "份数"},
    {"name": "item_id", "type": "item", "label": "相关事项"},
    {"name": "level", "type": "choice", "label": "等级", "choices": [["1", "一级"], [2, "二级"]]},
    {"name": "units", "type": "multichoice", "label": "单位",
     "choices": [["water", "供水"], ["power", "供电"], ["gas", "供气"]]},
    {"name": "signed", "type": "bool", "label": "已签署承诺书", "required": True},
]


def fields_definition(key: str, transition_fields=None) -> dict:
    return {
        "key": key, "name": "字段测试", "version": 1, "initial": "apply",
        "states": [{"name": "apply", "label": "申请", "time_limit_days": 2},
                   {"name": "done", "label": "办结", "final": True}],
        "transitions": [{"action": "submit", "label": "提交", "from": "apply", "to": "done",
                         "roles": ["assistant"],
                         "fields": ALL_TYPES if transition_fields is None
                         else transition_fields}],
    }


def _problems(transition_fields, **transition) -> list[str]:
    defn = fields_definition("fields_check", transition_fields)
    defn["transitions"][0].update(transition)
    return validate(defn, known_roles=["assistant"])


# -- the declaration ------------------------------------------------------------------------------
def test_a_well_declared_action_has_no_problems_and_keeps_its_fields():
    assert _problems(ALL_TYPES) == []
    t = Definition.from_dict(fields_definition("fields_check")).transition("submit")
    assert t.extra["fields"] == ALL_TYPES  # kept as given, round-trips through JSON
    assert t.to_dict()["fields"] == ALL_TYPES
    declared = fields.fields_of(t)
    assert [x.name for x in declared] == [d["name"] for d in ALL_TYPES]
    assert declared[0].required and not declared[1].required
    assert declared[6].choices == (("1", "一级"), (2, "二级"))


def test_a_bad_fields_declaration_is_listed_with_the_other_problems():
    """Outside any app the problems are in Chinese, each naming the action and field."""
    problems = _problems([
        {"name": "when", "type": "datetime", "label": "时间"},
        {"name": "level", "type": "choice", "label": "等级"},
        {"name": "pick", "type": "multichoice", "choices": "供水、供电"},
        {"type": "text", "label": "无名"},
        {"name": "comment", "type": "text"},
        {"name": "2nd", "type": "int"},
        {"name": "level", "type": "text"},
        {"name": "ok", "type": "bool", "required": "yes"},
    ])
    text = "\n".join(problems)
    for expected in (
            "动作“submit”的字段“when”的类型“datetime”无法识别（可用类型：text、textarea、date、"
            "bool、int、item、choice、multichoice）",
            "动作“submit”的字段“level”须给出可选项 choices",
            "动作“submit”的字段“pick”须给出可选项 choices",
            "动作“submit”有字段缺少名称（name）",
            "动作“submit”的字段名“comment”由流程引擎保留",
            "动作“submit”的字段名“2nd”只能由字母、数字和“_”组成",
            "动作“submit”的字段“level”重复定义",
            "动作“submit”的字段“ok”的 required 应为 true 或 false"):
        assert expected in text, text
    assert len(problems) == 8
    assert _problems("item_id") == ["动作“submit”的 fields 应为字段对象的列表"]
    assert _problems([{"name": "x", "type": "text"}], auto=True) == [
        "动作“submit”为自动或汇合动作，无人填写，不能设置字段"]


def test_the_built_in_measures_declare_the_inputs_they_read():
    def names(module, action):
        t = Definition.from_dict(module.DEFINITION).transition(action)
        return {x.name: x.type for x in fields.fields_of(t)}

    assert names(parallel_gaps, "accept_with_gaps") == {
        "item_id": "item", "gap_materials": "text", "promised_on": "date",
        "commitment_signed": "bool"}
    assert names(parallel_gaps, "supply_gaps") == {"item_id": "item"}
    assert names(pile_first, "submit") == {"land_right_obtained": "bool",
                                           "pile_drawing_passed": "bool",
                                           "commitment_signed": "bool"}
    assert names(licence_on_signing, "sign_and_issue") == {"land_price_paid": "bool",
                                                           "contract_no": "text"}
    assert names(start_on_land, "issue_together") == {"land_acquired": "bool"}
    assert names(joint_utility, "submit") == {"units": "multichoice"}
    for module in (parallel_gaps, pile_first, licence_on_signing, start_on_land,
                   joint_utility):
        assert validate(module.DEFINITION) == [], module.KEY


# -- parse(): one set of rules for the form and the API ------------------------------------------
@pytest.fixture()
def fields_measure(app, world):
    yield from f.enabled_lowcode_measure(app, world, "fld", "字段测试", fields_definition)


def _other_project_item(world) -> ApprovalItem:
    project = db.session.get(Project, world.b.project.id)
    return db.session.scalars(select(ApprovalItem).where(
        ApprovalItem.project_id == project.id)).first()


def test_parse_turns_form_strings_and_json_values_into_typed_values(app, world,
                                                                    fields_measure):
    iid = f.start_on_county_a_project(app, world, fields_measure)
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        t = engine.definition_of(inst).transition("submit")
        item = db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == world.a.project.id)).first()
        assert item is not None
        form = {"note": "  材料已核 ", "details": "", "due": "2026-11-18", "confirmed": "y",
                "copies": "3", "item_id": str(item.id), "level": "2",
                "units": ["gas", "water"], "signed": "on"}
        context, errors = fields.parse(db.session, inst, t, form)
        assert errors == {}
        assert context == {"note": "材料已核", "details": None, "due": dt.date(2026, 11, 18),
                           "confirmed": True, "copies": 3, "item_id": item.id, "level": 2,
                           "units": ["water", "gas"], "signed": True}
        api = {"note": "材料已核", "due": "2026-11-18", "confirmed": False, "copies": 3,
               "item_id": item.id, "level": "1", "units": ["power"], "signed": True}
        context, errors = fields.parse(db.session, inst, t, api)
        assert errors == {}
        assert context["confirmed"] is False and context["level"] == "1"
        assert context["units"] == ["power"] and context["details"] is None
        # Optional fields left out: None (a bool False).
        context, errors = fields.parse(db.session, inst, t, {"note": "x", "signed": True})
        assert errors == {} and context["item_id"] is None and context["units"] is None
        assert context["confirmed"] is False


def test_parse_refuses_wrong_values_field_by_field(app, world, fields_measure):
    iid = f.start_on_county_a_project(app, world, fields_measure)
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        t = engine.definition_of(inst).transition("submit")
        elsewhere = _other_project_item(world)
        context, errors = fields.parse(db.session, inst, t, {
            "note": "   ", "due": "2026-02-30", "confirmed": "也许", "copies": "三份",
            "item_id": str(elsewhere.id), "level": "9", "units": ["water", "oil"],
            "signed": "", "colour": "红"})
        assert errors == {
            "note": "“说明”必须填写。",
            "due": "“约定日期”应为日期（年-月-日，如2026-11-18），收到“2026-02-30”。",
            "confirmed": "“已核实”应为“是”或“否”，收到“也许”。",
            "copies": "“份数”应为整数，收到“三份”。",
            "item_id": f"“相关事项”：“{elsewhere.id}”不是本项目的审批事项。",
            "level": "“等级”的取值“9”不在可选范围内（1、2）。",
            "units": "“单位”的取值“oil”不在可选范围内（water、power、gas）。",
            "signed": "须勾选“已签署承诺书”。",
            "colour": "动作“提交”没有字段“colour”。",
        }
        assert context == {"details": None}
        # JSON values of the wrong kind.
        _context, errors = fields.parse(db.session, inst, t, {
            "note": {"a": 1}, "due": 20261118, "copies": 2.5, "item_id": True,
            "signed": True, "units": "water"})
        assert set(errors) == {"note", "due", "copies", "item_id"}
        assert "应为文字" in errors["note"] and "应为整数" in errors["copies"]
        assert "units" not in errors  # one value for a multichoice is a list of one


def test_an_item_field_offers_only_what_the_user_may_see(app, world, fields_measure):
    """A department officer sees their own department's items: the select lists those, and
    another department's item of the same project is refused for them."""
    iid = f.start_on_county_a_project(app, world, fields_measure)
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        t = engine.definition_of(inst).transition("submit")
        project = db.session.get(Project, world.a.project.id)
        other_unit = f.org_unit(project.region, "甲县水务局")
        theirs = f.item(project, other_unit, name="取水许可")
        mine = f.item(project, db.session.get(OrgUnit, world.a.department.id),
                      name="施工图审查备案")
        dept, assistant = user(world, "dept"), user(world, "assistant")
        ids = [i for i, _label in fields.item_choices(db.session, inst, dept)]
        assert mine.id in ids and theirs.id not in ids
        assert theirs.id in [i for i, _l in fields.item_choices(db.session, inst, assistant)]
        assert "施工图审查备案（未开始）" in dict(fields.item_choices(db.session, inst)).values()
        raw = {"note": "x", "signed": True, "item_id": theirs.id}
        assert "item_id" in fields.parse(db.session, inst, t, raw, user=dept)[1]
        context, errors = fields.parse(db.session, inst, t, raw, user=assistant)
        assert errors == {} and context["item_id"] == theirs.id
        db.session.rollback()


# -- the instance page: 容缺受理 by the lead department ---------------------------------------------
@pytest.fixture()
def gaps_on(app, world):
    """并联审批，容缺后补 enabled for county a, led by county a's 住建局 (a_dept's unit)."""
    _enable(app, world)
    yield
    with app.app_context():
        measures.clear_setting(db.session, parallel_gaps.KEY,
                               db.session.get(Region, world.a.region.id), None)
        db.session.commit()


def _launched(app, world):
    """A 并联审批 measure on a new county-a project, launched by the lead department
    (county a's 住建局); (instance id, ids of the stage's items)."""
    with app.app_context():
        project, items, _other = new_project(world)
        inst = measures.start_measure(db.session, project, parallel_gaps.KEY,
                                      user(world, "assistant"))
        engine.transition(db.session, inst, "launch", user(world, "dept"))
        db.session.commit()
        return inst.id, [i.id for i in items]


def _page(client, iid) -> str:
    resp = client.get(f"/projectworkflowsview/show/{iid}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _row(page: str, act: str) -> str:
    """The HTML of one action row (up to the next row or the end of the form)."""
    start = page.index(f'data-act="{act}"')
    ends = [i for i in (page.find('class="wf-action-row', start),
                        page.find("</form>", start)) if i != -1]
    return page[start:min(ends)]


def _item(item_id) -> ApprovalItem:
    return db.session.get(ApprovalItem, item_id)


def test_the_lead_department_accepts_an_item_with_gaps_on_the_instance_page(
        app, world, gaps_on, login):
    iid, item_ids = _launched(app, world)
    promised = clock.today() + dt.timedelta(days=7)
    client = login("a_dept")
    page = _page(client, iid)
    row = _row(page, "accept_with_gaps|")
    # The action's own inputs, the required ones marked; the item select offers the
    # project's items only.
    for name in ("item_id", "gap_materials", "promised_on", "commitment_signed"):
        assert f'name="f:accept_with_gaps:{name}"' in row
    assert row.count('class="wf-required"') == 3
    assert 'type="date"' in row and 'type="checkbox"' in row
    options = {int(v) for v in re.findall(r'<option value="(\d+)"', row)}
    with app.app_context():
        project_items = set(db.session.scalars(select(ApprovalItem.id).where(
            ApprovalItem.project_id == _item(item_ids[1]).project_id)))
        assert options and options <= project_items and set(item_ids) <= options
        assert _other_project_item(world).id not in options
    assert 'name="f:supply_gaps:item_id"' in _row(page, "supply_gaps|")
    assert 'name="f:complete:' not in page  # an action without fields has no inputs

    resp = client.post(f"/projectworkflowsview/transition/{iid}", data={
        "act": "accept_with_gaps|", "comment": "缺消防设计审查意见书，容缺受理",
        "f:accept_with_gaps:item_id": str(item_ids[1]),
        "f:accept_with_gaps:gap_materials": "消防设计审查意见书",
        "f:accept_with_gaps:promised_on": promised.isoformat(),
        "f:accept_with_gaps:commitment_signed": "y",
        # Another action's inputs in the same form are not read.
        "f:supply_gaps:item_id": "not a number"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        item = _item(item_ids[1])
        assert item.status == ItemStatus.ACCEPTED_WITH_GAPS
        assert item.gap_materials == "消防设计审查意见书"
        assert item.gap_promised_on == promised
        inst = db.session.get(WorkflowInstance, iid)
        assert inst.params["gaps"][str(item.id)]["promised_on"] == promised.isoformat()
        assert inst.steps[-1].action == "accept_with_gaps"
        assert inst.steps[-1].username == "a_dept"
        assert all(_item(i).status == ItemStatus.ACCEPTED for i in item_ids if i != item.id)
    timeline = _page(client, iid).split('id="workflow-timeline"')[1]
    assert 'data-action="accept_with_gaps"' in timeline and "缺消防设计审查意见书" in timeline
    # The values given are recorded on the step and shown in the timeline.
    with app.app_context():
        step = db.session.get(WorkflowInstance, iid).steps[-1]
        assert [(x["label"], x["text"]) for x in step.fields] == [
            ("容缺受理的事项", _item(item_ids[1]).name), ("缺少的材料", "消防设计审查意见书"),
            ("承诺补齐日期", promised.isoformat()), ("申请人已签署书面承诺书", "是")]
    assert f'data-field="promised_on">承诺补齐日期：{promised.isoformat()}</span>' in timeline


def test_a_bad_date_keeps_what_was_typed_and_shows_the_error_by_the_field(
        app, world, gaps_on, login):
    iid, item_ids = _launched(app, world)
    client = login("a_dept")
    typed = {"act": "accept_with_gaps|", "comment": "这段意见不能丢",
             "f:accept_with_gaps:item_id": str(item_ids[0]),
             "f:accept_with_gaps:gap_materials": "人防设计审查意见",
             "f:accept_with_gaps:promised_on": "2026-13-45",
             "f:accept_with_gaps:commitment_signed": "y",
             "f:supply_gaps:item_id": str(item_ids[2])}
    resp = client.post(f"/projectworkflowsview/transition/{iid}", data=typed)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    row = _row(page, "accept_with_gaps|")
    assert "“容缺受理”未办理：请检查下方标出的字段。" in page  # flashed above
    error = "“承诺补齐日期”应为日期（年-月-日，如2026-11-18），收到“2026-13-45”。"
    assert error in html.unescape(row)
    assert 'has-error" data-field="promised_on"' in row
    group = row[row.index('data-field="promised_on"'):].split("</div>")[0]
    assert 'value="2026-13-45"' in group and "wf-field-error" in group
    # Nothing typed is lost: the other fields, the tick box, the comment, and even the
    # other action's choice.
    assert 'value="人防设计审查意见"' in row
    assert re.search(rf'<option value="{item_ids[0]}" selected>', row)
    assert re.search(r'name="f:accept_with_gaps:commitment_signed"[^>]* checked', row)
    assert "这段意见不能丢" in page
    assert re.search(rf'<option value="{item_ids[2]}" selected>', _row(page, "supply_gaps|"))
    assert page.count("wf-field-error") == 1
    with app.app_context():
        assert _item(item_ids[0]).status == ItemStatus.ACCEPTED
        assert _item(item_ids[0]).gap_materials is None
        assert db.session.get(WorkflowInstance, iid).steps[-1].action == "launch"


def test_a_refusal_by_the_engine_keeps_the_fields_and_says_why_in_the_row(
        app, world, gaps_on, login):
    iid, item_ids = _launched(app, world)
    client = login("a_dept")
    resp = client.post(f"/projectworkflowsview/transition/{iid}", data={
        "act": "accept_with_gaps|", "f:accept_with_gaps:item_id": str(item_ids[0]),
        "f:accept_with_gaps:gap_materials": "人防设计审查意见",
        "f:accept_with_gaps:promised_on": (clock.today() + dt.timedelta(days=3)).isoformat()})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    row = _row(page, "accept_with_gaps|")
    assert "申请人尚未签署容缺受理书面承诺书" in row and "wf-refusal" in row
    assert 'value="人防设计审查意见"' in row
    assert re.search(rf'<option value="{item_ids[0]}" selected>', row)
    with app.app_context():
        assert _item(item_ids[0]).status == ItemStatus.ACCEPTED


# -- the API --------------------------------------------------------------------------------
def test_the_api_takes_the_fields_as_context(app, world, gaps_on, client, api_token):
    iid, item_ids = _launched(app, world)
    headers = api_token("a_dept")
    url = f"/api/v1/workflow_instance/{iid}/transition"
    promised = clock.today() + dt.timedelta(days=5)
    with app.app_context():
        elsewhere = _other_project_item(world).id
    context = {"item_id": elsewhere, "gap_materials": "", "promised_on": "18/11/2026",
               "commitment_signed": True, "colour": "红"}
    bad = client.post(url, headers=headers, json={"action": "accept_with_gaps",
                                                  "context": context})
    assert bad.status_code == 422
    assert bad.json["message"] == {
        "item_id": f"“容缺受理的事项”：“{elsewhere}”不是本项目的审批事项。",
        "gap_materials": "“缺少的材料”必须填写。",
        "promised_on": "“承诺补齐日期”应为日期（年-月-日，如2026-11-18），收到“18/11/2026”。",
        "colour": "动作“容缺受理”没有字段“colour”。"}
    assert client.post(url, headers=headers, json={"action": "accept_with_gaps",
                                                   "context": ["item_id"]}).status_code == 400

    done = client.post(url, headers=headers, json={
        "action": "accept_with_gaps", "comment": "接口容缺受理",
        "context": {"item_id": item_ids[2], "gap_materials": "规划核实意见",
                    "promised_on": promised.isoformat(), "commitment_signed": True}})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["result"]["step"]["action"] == "accept_with_gaps"
    with app.app_context():
        item = _item(item_ids[2])
        assert item.status == ItemStatus.ACCEPTED_WITH_GAPS
        assert item.gap_materials == "规划核实意见" and item.gap_promised_on == promised

    # multipart/form-data (with a file): the context as a JSON string.
    done = client.post(url, headers=headers, content_type="multipart/form-data", data={
        "action": "supply_gaps", "context": json.dumps({"item_id": str(item_ids[2])}),
        "attachments": (io.BytesIO("%PDF-1.7\n补正材料".encode()), "规划核实意见.pdf")})
    assert done.status_code == 200, done.get_data(as_text=True)
    with app.app_context():
        item = _item(item_ids[2])
        assert item.status == ItemStatus.ACCEPTED and item.gap_materials is None
    broken = client.post(url, headers=headers, content_type="multipart/form-data",
                         data={"action": "supply_gaps", "context": "{item_id: 1"})
    assert broken.status_code == 400
