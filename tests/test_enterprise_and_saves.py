"""What a company (企业) user sees and does, on the screens and the REST API; and the
saving bugs of issue 8 (a user saved twice, a partial PUT, the REST lists' order)."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_appbuilder import BaseView
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AppUser,
    CardLevel,
    CardSubject,
    Project,
    Region,
    WarningCard,
    WorkflowInstance,
    WorkflowStep,
    WorkOrder,
)
from app.plugins.manager import ScopedViewsOnly
from app.security import roles
from app.services import measures
from app.views.access import ScopedBaseView
from app.views.base import SCOPED_VIEW_BASES
from app.views.projects import ProjectApi

from . import factories as f


def _company_project(world, name: str, stage: str | None = None) -> Project:
    """A project of county a's company (the applicant of the user a_company)."""
    region = db.session.get(Region, world.a.region.id)
    applicant = db.session.get(AppUser, world.a.users["company"].id).applicant
    project = f.project(region, applicant, name=name)
    project.current_stage = f.stage(stage) if stage else None
    db.session.commit()
    return project


@pytest.fixture()
def supervised(app, world):
    """A company project with a red card and a work order on it."""
    with app.app_context():
        project = _company_project(world, "企业督办测试项目")
        card = WarningCard(subject=CardSubject.ITEM, subject_id=project.items[0].id,
                           level=CardLevel.RED, project_id=project.id,
                           org_unit_id=world.a.department.id, title="超期红牌-企业不可见",
                           due_on=dt.date(2026, 11, 2))
        order = WorkOrder(project_id=project.id, org_unit_id=world.a.department.id,
                          region_id=world.a.region.id, title="督办工单-企业不可见",
                          reply_due_on=dt.date(2026, 12, 1))
        db.session.add_all([card, order])
        db.session.commit()
        return {"project": project.id, "card": card.id, "order": order.id}


def test_a_company_sees_no_cards_or_work_orders_on_its_project_page(world, supervised, login):
    page = login("a_dispatcher").get(f"/projectview/show/{supervised['project']}")
    html = page.get_data(as_text=True)
    assert "超期红牌-企业不可见" in html and "督办工单-企业不可见" in html  # staff see them
    client = login("a_company")
    html = client.get(f"/projectview/show/{supervised['project']}").get_data(as_text=True)
    assert "企业督办测试项目" in html
    assert "超期红牌-企业不可见" not in html and "督办工单-企业不可见" not in html
    assert "ProjectCardsView" not in html and "ProjectWorkOrdersView" not in html
    assert "ProjectItemsView" in html and "ProjectWorkflowsView" in html  # its own tabs
    assert client.get("/warningcardview/list/").status_code == 403
    assert client.get(f"/warningcardview/show/{supervised['card']}").status_code == 403
    assert client.get(f"/workorderview/show/{supervised['order']}").status_code == 403
    assert client.get("/auditrecordview/list/").status_code == 403
    assert client.get("/projectassistantview/list/").status_code == 403


def test_the_scope_rules_hide_supervision_from_a_company(app, world, supervised):
    from app.security.scope import Scope

    with app.app_context():
        company = db.session.get(AppUser, world.a.users["company"].id)
        scope = Scope(company)
        for model in (WarningCard, WorkOrder):
            stmt = select(model.id).where(scope.condition(model))
            assert db.session.scalars(stmt).all() == [], model.__name__
        own = db.session.scalars(select(Project.id).where(scope.condition(Project))).all()
        assert supervised["project"] in own and world.b.project.id not in own


def test_a_company_reads_its_projects_items_and_applicant_over_the_api(app, world, client,
                                                                       api_token, supervised):
    headers = api_token("a_company")
    with app.app_context():
        company = db.session.get(AppUser, world.a.users["company"].id)
        own_projects = set(db.session.scalars(select(Project.id).where(
            Project.applicant_id == company.applicant_id)))
        applicant_id = company.applicant_id
    projects = client.get("/api/v1/project/?q=(page_size:100)", headers=headers).json["ids"]
    assert set(projects) == own_projects and supervised["project"] in projects
    items = client.get("/api/v1/approval_item/?q=(page_size:100)", headers=headers).json
    assert items["count"] > 0
    assert {r["project"]["id"] for r in items["result"]} <= own_projects
    item = client.get(f"/api/v1/approval_item/{items['ids'][0]}", headers=headers).json
    assert {"status", "result", "certificate_no"} <= set(item["result"])
    assert client.get("/api/v1/applicant/", headers=headers).json["ids"] == [applicant_id]
    assert client.get("/api/v1/region/", headers=headers).status_code == 403
    assert client.get("/api/v1/org_unit/", headers=headers).status_code == 403
    assert client.put(f"/api/v1/project/{supervised['project']}", json={"name": "改名"},
                      headers=headers).status_code == 403


@pytest.fixture()
def joint_utility(app, world):
    yield from f.measure_set_in_county_a(app, world, "joint_utility", {"units": ["water"]})


def test_a_company_submits_the_joint_utility_application(app, world, joint_utility, login,
                                                         client, api_token):
    """The definition gives "submit" to the role key company: screen and API let it."""
    with app.app_context():
        assistant = db.session.get(AppUser, world.a.users["assistant"].id)
        ids = []
        for name in ("企业联合报装-界面", "企业联合报装-接口"):
            project = _company_project(world, name, stage="engineering")
            ids.append(measures.start_measure(db.session, project, "joint_utility",
                                              assistant).id)
        db.session.commit()
    screen, api = ids
    page = login("a_company")
    assert page.get(f"/projectworkflowsview/show/{screen}").status_code == 200
    resp = page.post(f"/projectworkflowsview/transition/{screen}", data={"act": "submit|"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    resp = client.post(f"/api/v1/workflow_instance/{api}/transition",
                       headers=api_token("a_company"), json={"action": "submit"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.app_context():
        for iid in ids:
            step = db.session.scalars(select(WorkflowStep).where(
                WorkflowStep.instance_id == iid, WorkflowStep.action == "submit")).one()
            assert step.user_id == world.a.users["company"].id
    # The definition, not the permission, keeps it from the window's steps.
    refused = client.post(f"/api/v1/workflow_instance/{api}/transition",
                          headers=api_token("a_company"), json={"action": "dispatch"})
    assert refused.status_code == 422


def test_a_company_cannot_start_a_measure(app, world, joint_utility, login):
    """Workflow write lets the company take its steps, not start measures."""
    with app.app_context():
        project_id = _company_project(world, "企业发起举措", stage="engineering").id
        db.session.commit()
    page = login("a_company")
    resp = page.post(f"/projectworkflowsview/add?project={project_id}",
                     data={"measure": "joint_utility"}, follow_redirects=True)
    assert resp.status_code == 200
    assert "企业用户不能发起创新举措" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(WorkflowInstance).where(
            WorkflowInstance.project_id == project_id)).all() == []


# -- saving bugs ------------------------------------------------------------------------------
def test_a_county_admin_saves_a_user_twice(app, world, login):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        user = f.user("a_saved_twice", [roles.CLERK], region_=region)
        db.session.commit()
        uid, role_id = user.id, user.roles[0].id
    client = login("a_admin")
    for first_name in ("第一次", "第二次"):
        resp = client.post(f"/users/edit/{uid}", data={
            "first_name": first_name, "last_name": "保存", "username": "a_saved_twice",
            "active": "y", "email": "a_saved_twice@test.gov.cn", "roles": [str(role_id)],
            "region": str(world.a.region.id)})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    with app.app_context():
        saved = db.session.get(AppUser, uid)
        assert saved.first_name == "第二次"
        assert saved.changed_by_fk == world.a.users["admin"].id


def test_a_partial_put_changes_only_the_fields_sent(app, world, client, api_token):
    with app.app_context():
        project = _company_project(world, "部分修改测试")
        pid, code, applicant = project.id, project.code, project.applicant_id
    resp = client.put(f"/api/v1/project/{pid}", json={"name": "部分修改后"},
                      headers=api_token("a_clerk"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, pid)
        assert (project.name, project.code, project.applicant_id) == ("部分修改后", code,
                                                                      applicant)
        assert project.termination_reason is None
    bad = client.put(f"/api/v1/project/{pid}", json={"list_year": "x"},
                     headers=api_token("a_clerk"))
    assert bad.status_code == 422


def test_rest_lists_are_ordered_by_id(app, world, client, api_token):
    with app.app_context():
        made = [_company_project(world, f"排序测试{n}").id for n in range(3)]
        # An updated row moves to the end of the table's storage: an unordered query
        # would now return it last.
        db.session.get(Project, made[0]).name = "排序测试0（改）"
        db.session.commit()
    assert ProjectApi.base_order == ("id", "asc")
    ids = client.get("/api/v1/project/?q=(page_size:100)", headers=api_token("a_clerk")).json[
        "ids"]
    assert set(made) <= set(ids) and ids == sorted(ids)


# -- plugin views ---------------------------------------------------------------------------
class _Recorder:
    def __init__(self):
        self.added = []

    def add_view_no_menu(self, view, *args, **kwargs):
        self.added.append(view)

    add_view = add_api = add_view_no_menu


def test_plugin_views_must_derive_from_the_scoped_bases(monkeypatch):
    from app.plugins import manager as manager_module
    from app.plugins.types import PluginInfo

    class PlainView(BaseView):
        pass

    class GoodView(ScopedBaseView):
        pass

    logged = []
    monkeypatch.setattr(manager_module.log, "error",
                        lambda msg, *args: logged.append(msg % args))
    recorder, info = _Recorder(), PluginInfo(name="a_plugin", source="entrypoint")
    guarded = ScopedViewsOnly(recorder, SCOPED_VIEW_BASES, "a_plugin", info)
    guarded.add_view_no_menu(PlainView)
    guarded.add_view(GoodView, "Good")
    assert recorder.added == [GoodView]
    assert any("PlainView" in m and "a_plugin" in m for m in logged), logged
    assert "PlainView" in info.error


def test_the_manager_refuses_a_plugins_unscoped_view_and_reports_it(app):
    from app.plugins import hookimpl, manager_of

    class PlainView(BaseView):
        pass

    class Plugin:
        @hookimpl
        def register_views(self, appbuilder):
            appbuilder.add_view_no_menu(PlainView)

    with app.app_context():
        manager = manager_of()
        manager.register("unscoped_views", Plugin(), "entrypoint")
        try:
            recorder = _Recorder()
            manager.register_views(recorder, SCOPED_VIEW_BASES)
            assert PlainView not in recorder.added
            assert "PlainView" in (manager.plugins["unscoped_views"].error or "")
        finally:
            manager.pm.unregister(name="unscoped_views")
            manager.plugins.pop("unscoped_views", None)
