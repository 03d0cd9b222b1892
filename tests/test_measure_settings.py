"""Per-region settings of the measures (inherited down the region tree), their parameter
checks, the admin's plugin screen, and low-code definitions."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AppUser,
    MeasureSetting,
    Project,
    Region,
    WorkflowDefinition,
    WorkflowInstanceStatus,
)
from app.services import measures
from app.services.measures import MeasureError

from .fake_measures import ensure_measure_views, fake_plugins  # noqa: F401

KEY = "night_works"


@pytest.fixture()
def views(app):
    ensure_measure_views(app)


def _get(model, id_):
    return db.session.get(model, id_)


def _setting(region_id):
    return db.session.scalar(select(MeasureSetting).where(
        MeasureSetting.measure_key == KEY, MeasureSetting.region_id == region_id))


def test_a_city_setting_is_inherited_down_until_a_county_overrides_it(app, world, fake_plugins):
    with app.app_context():
        sysadmin = _get(AppUser, world.admin.id)
        city, county_a = _get(Region, world.city.id), _get(Region, world.a.region.id)
        town_a, county_b = _get(Region, world.a.town.id), _get(Region, world.b.region.id)
        # Nothing set anywhere: off, plugin defaults.
        assert measures.effective_setting(db.session, KEY, town_a) == (
            False, {"time_limits.apply": 2, "time_limits.review": 3,
                    "roles.submit": ["assistant"], "roles.approve": ["dept", "assistant"],
                    "noise_plan_required": True, "window": "22-6", "units": []})

        measures.set_setting(db.session, KEY, city, True, {"time_limits.review": 5}, sysadmin)
        for region in (city, county_a, town_a, county_b):
            enabled, params = measures.effective_setting(db.session, KEY, region)
            assert enabled and params["time_limits.review"] == 5
            assert params["time_limits.apply"] == 2  # defaults under the row's values
        resolved = measures.resolve_setting(db.session, KEY, town_a)
        assert resolved.inherited_from.id == city.id and not resolved.own

        admin_a = _get(AppUser, world.a.users["admin"].id)
        measures.set_setting(db.session, KEY, county_a, False, {"time_limits.review": 8}, admin_a)
        assert measures.effective_setting(db.session, KEY, county_a)[0] is False
        enabled, params = measures.effective_setting(db.session, KEY, town_a)
        assert not enabled and params["time_limits.review"] == 8  # the county's, not the city's
        assert measures.resolve_setting(db.session, KEY, town_a).inherited_from.id == county_a.id
        assert measures.effective_setting(db.session, KEY, county_b)[0] is True  # still the city's
        assert measures.effective_setting(db.session, KEY, city)[1]["time_limits.review"] == 5

        # Dropping the county's own row makes it follow the city again.
        assert measures.clear_setting(db.session, KEY, county_a, admin_a)
        assert measures.effective_setting(db.session, KEY, town_a)[0] is True
        db.session.rollback()


def test_every_bad_parameter_is_reported_in_chinese(app, world, fake_plugins):
    with app.app_context():
        admin_a = _get(AppUser, world.a.users["admin"].id)
        county_a = _get(Region, world.a.region.id)
        with pytest.raises(MeasureError) as err:
            measures.set_setting(db.session, KEY, county_a, True, {
                "time_limits.apply": "三天", "time_limits.review": -1, "window": "all-night",
                "roles.submit": ["nobody"], "units": [world.b.department.id], "colour": "red",
            }, admin_a)
        errors = err.value.errors
        assert set(errors) == {"time_limits.apply", "time_limits.review", "window",
                               "roles.submit", "units", "colour"}
        assert "应为整数" in errors["time_limits.apply"]
        assert "不能为负数" in errors["time_limits.review"]
        assert "不在可选范围内" in errors["window"]
        assert "nobody" in errors["roles.submit"]
        assert "乙县住房和城乡建设局" in errors["units"]  # another county's unit
        assert "没有参数" in errors["colour"]
        assert _setting(county_a.id) is None
        # Good values are coerced: text numbers, role names as keys, unit ids.
        row = measures.set_setting(db.session, KEY, county_a, True, {
            "time_limits.apply": "4", "roles.submit": ["帮办员", "clerk"],
            "units": [str(world.a.department.id)], "noise_plan_required": "否"}, admin_a)
        assert row.params["time_limits.apply"] == 4
        assert row.params["roles.submit"] == ["assistant", "clerk"]
        assert row.params["units"] == [world.a.department.id]
        assert row.params["noise_plan_required"] is False
        db.session.rollback()


def test_a_county_admin_cannot_configure_another_county_or_the_city(app, world, fake_plugins):
    with app.app_context():
        admin_a = _get(AppUser, world.a.users["admin"].id)
        for region_id in (world.b.region.id, world.city.id):
            with pytest.raises(MeasureError) as err:
                measures.set_setting(db.session, KEY, _get(Region, region_id), True, {}, admin_a)
            assert "无权" in err.value.errors["region"]
        clerk = _get(AppUser, world.a.users["clerk"].id)
        with pytest.raises(MeasureError):
            measures.set_setting(db.session, KEY, _get(Region, world.a.region.id), True, {}, clerk)
        db.session.rollback()


def test_a_measure_starts_only_where_enabled_and_runs_on_when_disabled(app, world, fake_plugins):
    from app.workflow import engine

    with app.app_context():
        admin_a = _get(AppUser, world.a.users["admin"].id)
        assistant = _get(AppUser, world.a.users["assistant"].id)
        project = _get(Project, world.a.project.id)
        county_a = _get(Region, world.a.region.id)
        with pytest.raises(MeasureError) as err:
            measures.start_measure(db.session, project, KEY, assistant)
        assert "未启用" in err.value.errors["measure"]

        measures.set_setting(db.session, KEY, county_a, True,
                             {"time_limits.apply": 7, "roles.approve": ["dept"],
                              "noise_plan_required": False}, admin_a)
        instance = measures.start_measure(db.session, project, KEY, assistant)
        assert instance.params["time_limits"] == {"apply": 7, "review": 3}
        assert instance.params["roles"]["approve"] == ["dept"]
        assert instance.params["noise_plan_required"] is False
        assert instance.tokens["main"]["state"] == "apply"
        engine.transition(db.session, instance, "submit", assistant)
        db.session.commit()

        # Switched off with an instance running: it stays readable and can be finished.
        measures.set_setting(db.session, KEY, county_a, False, {}, admin_a)
        db.session.commit()
        with pytest.raises(MeasureError):
            measures.start_measure(db.session, _get(Project, world.a.project.id), KEY, assistant)
        dept = _get(AppUser, world.a.users["dept"].id)
        with pytest.raises(engine.TransitionRefused):  # the region's role override applies
            engine.transition(db.session, instance.id, "approve", assistant)
        engine.transition(db.session, instance.id, "approve", dept)
        db.session.commit()
        assert db.session.get(type(instance), instance.id).status == WorkflowInstanceStatus.COMPLETED


# -- the screens -----------------------------------------------------------------------------

def test_the_admin_sees_each_measure_enabled_or_not_for_the_region(
        app, world, fake_plugins, views, login):
    with app.app_context():
        measures.set_setting(db.session, KEY, _get(Region, world.city.id), True, {},
                             _get(AppUser, world.admin.id))
        db.session.commit()
    client = login("a_admin")
    page = client.get("/measures/").get_data(as_text=True)
    assert 'data-measure="night_works" data-enabled="yes"' in page
    assert "测试市" in page  # inherited from the city
    assert "broken_measure" in page and "hbdb_dependency_that_is_not_installed" in page

    resp = client.post("/measures/night_works/save", data={
        "param:time_limits.apply": "5", "param:time_limits.review": "2",
        "param:roles.submit": ["assistant"], "param:roles.approve": ["dept"],
        "param:window": "23-5", "param:units": [str(world.a.department.id)]})
    assert resp.status_code == 302
    with app.app_context():
        row = _setting(world.a.region.id)
        assert row is not None and row.enabled is False  # the box was left unticked
        assert row.params["window"] == "23-5" and row.params["time_limits.apply"] == 5
    page = client.get("/measures/").get_data(as_text=True)
    assert 'data-measure="night_works" data-enabled="no"' in page

    detail = client.get("/measures/night_works/").get_data(as_text=True)
    assert "<svg" in detail and "提交备案" in detail  # the diagram, drawn by the app
    assert 'name="param:time_limits.apply"' in detail
    assert client.get("/measures/night_works/diagram.svg").mimetype == "image/svg+xml"

    bad = client.post("/measures/night_works/save", data={
        "enabled": "y", "param:time_limits.apply": "x", "param:window": "never"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "应为整数" in body and "不在可选范围内" in body

    # Someone in county b sees county b's state (the city's), not county a's override.
    page_b = login("b_admin").get("/measures/").get_data(as_text=True)
    assert 'data-measure="night_works" data-enabled="yes"' in page_b


def test_a_clerk_reads_the_measures_but_cannot_change_them(app, world, fake_plugins, views, login):
    client = login("a_clerk")
    assert client.get("/measures/").status_code == 200
    detail = client.get("/measures/night_works/").get_data(as_text=True)
    assert "<fieldset disabled>" in detail
    resp = client.post("/measures/night_works/save", data={"enabled": "y"})
    assert resp.status_code == 403
    with app.app_context():
        assert _setting(world.a.region.id) is None
    assert login("a_company").get("/measures/").status_code == 403


BAD_DEFINITION = {
    "initial": "apply",
    "states": [{"name": "apply", "label": "申请"}, {"name": "island", "label": "孤岛"},
               {"name": "review", "label": "审查"}],
    "transitions": [
        {"action": "submit", "from": "apply", "to": "review", "roles": ["assistant"]},
        {"action": "lost", "from": "review", "to": "nowhere", "roles": ["dept"]},
        {"action": "again", "from": "review", "to": "apply", "roles": ["dept"]},
    ],
}

GOOD_DEFINITION = {
    "initial": "apply",
    "states": [{"name": "apply", "label": "申请", "time_limit_days": 2},
               {"name": "done", "label": "办结", "final": True}],
    "transitions": [{"action": "approve", "label": "批准", "from": "apply", "to": "done",
                     "roles": ["assistant"]}],
}


def _definition_id(app):
    with app.app_context():
        return db.session.scalar(select(WorkflowDefinition.id).where(
            WorkflowDefinition.key == "local_permit").order_by(WorkflowDefinition.id.desc()))


def _definition_form(definition, **kw):
    return {"key": "local_permit", "version": "1", "name": "本地快办", "active": "y",
            "definition": json.dumps(definition, ensure_ascii=False), **kw}


def test_a_low_code_definition_is_refused_with_every_problem_listed(
        app, world, fake_plugins, views, login):
    client = login("a_admin")
    resp = client.post("/workflowdefinitionview/add",
                       data=_definition_form(BAD_DEFINITION, region=str(world.a.region.id)))
    body = resp.get_data(as_text=True)
    for problem in ("状态“孤岛”无法到达", "动作“lost”的目标状态“nowhere”不存在",
                    "流程没有终止状态"):
        assert problem in body, problem
    bad_json = client.post("/workflowdefinitionview/add", data={
        **_definition_form({}, region=str(world.a.region.id)), "definition": "{not json"}
    ).get_data(as_text=True)
    assert "JSON" in bad_json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkflowDefinition)
                                 .where(WorkflowDefinition.key == "local_permit")) == 0
    preview = client.post("/workflowdefinitionview/preview",
                          data=_definition_form(BAD_DEFINITION)).get_data(as_text=True)
    assert "流程没有终止状态" in preview and "<svg" in preview


def test_a_low_code_measure_is_defined_enabled_run_exported_and_imported(
        app, world, fake_plugins, views, login):
    from app.workflow import engine

    client = login("a_admin")
    form = client.get("/workflowdefinitionview/add").get_data(as_text=True)
    assert "time_limit_days" in form and 'id="definition-preview"' in form  # a starter JSON
    resp = client.post("/workflowdefinitionview/add",
                       data=_definition_form(GOOD_DEFINITION, region=str(world.a.region.id)))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    edit = client.get(f"/workflowdefinitionview/edit/{_definition_id(app)}").get_data(as_text=True)
    assert "&#34;批准&#34;" in edit or '"批准"' in edit  # the saved JSON, not the starter
    with app.app_context():
        row = db.session.scalar(select(WorkflowDefinition).where(
            WorkflowDefinition.key == "local_permit"))
        assert row.definition["key"] == "local_permit" and row.definition["name"] == "本地快办"
        pk = row.id
    show = client.get(f"/workflowdefinitionview/show/{pk}").get_data(as_text=True)
    assert "<svg" in show and "批准" in show

    # It is a measure of county a (not county b), enabled like any other.
    assert 'data-measure="local_permit"' in client.get("/measures/").get_data(as_text=True)
    assert 'data-measure="local_permit"' not in login("b_admin").get("/measures/").get_data(
        as_text=True)
    client = login("a_admin")
    assert client.post("/measures/local_permit/save", data={
        "enabled": "y", "param:time_limits.apply": "1",
        "param:roles.approve": ["assistant"]}).status_code == 302
    with app.app_context():
        project = _get(Project, world.a.project.id)
        assistant = _get(AppUser, world.a.users["assistant"].id)
        instance = measures.start_measure(db.session, project, "local_permit", assistant)
        engine.transition(db.session, instance, "approve", assistant)
        db.session.commit()
        assert instance.status == WorkflowInstanceStatus.COMPLETED

    exported = client.get(f"/workflowdefinitionview/export/{pk}")
    assert exported.mimetype == "application/json"
    assert "attachment" in exported.headers["Content-Disposition"]
    data = json.loads(exported.get_data(as_text=True))
    assert data["states"][0]["name"] == "apply"

    # County b imports it: a new version of the code, in county b.
    client = login("b_admin")
    resp = client.post("/workflowdefinitionview/import", data={
        "file": (io.BytesIO(json.dumps(data, ensure_ascii=False).encode()), "local_permit.json")},
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        imported = db.session.scalar(select(WorkflowDefinition).where(
            WorkflowDefinition.key == "local_permit", WorkflowDefinition.version == 2))
        assert imported.region_id == world.b.region.id
    broken = client.post("/workflowdefinitionview/import", data={
        "file": (io.BytesIO(json.dumps(BAD_DEFINITION).encode()), "bad.json")},
        content_type="multipart/form-data")
    assert broken.status_code == 422
    body = broken.get_data(as_text=True)
    assert "流程没有终止状态" in body and "流程缺少编码（key）" in body


def test_a_county_cannot_edit_the_citys_definition_or_take_a_built_in_code(
        app, world, fake_plugins, views, login):
    with app.app_context():
        row = WorkflowDefinition(key="local_permit", version=1, name="市级快办",
                                 region_id=world.city.id,
                                 definition=dict(GOOD_DEFINITION, key="local_permit", name="市级快办"))
        db.session.add(row)
        db.session.commit()
        pk = row.id
    client = login("a_admin")
    assert client.get(f"/workflowdefinitionview/show/{pk}").status_code == 200  # inherited: readable
    client.post(f"/workflowdefinitionview/edit/{pk}", data=_definition_form(
        GOOD_DEFINITION, name="改名", region=str(world.a.region.id)))
    with app.app_context():
        assert db.session.get(WorkflowDefinition, pk).name == "市级快办"
    client.post("/workflowdefinitionview/add", data=_definition_form(
        GOOD_DEFINITION, key="night_works", region=str(world.a.region.id)))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WorkflowDefinition).where(
            WorkflowDefinition.key == "night_works")) == 0
