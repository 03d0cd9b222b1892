"""Data scope, over every registered screen and REST API: a county-a user sees none of
county b's rows and gets 404 on their URLs. New views are picked up automatically; a
view over a model with no county-b sample below fails until one is added."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_appbuilder import ModelRestApi, ModelView
from sqlalchemy import select

from app.extensions import appbuilder, db
from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    ArchiveCategory,
    ArchiveFile,
    AuditRecord,
    CalendarDay,
    CardLevel,
    CardSubject,
    CoordinationRequest,
    IntakeRecord,
    ItemCorrection,
    ItemMaterial,
    ItemTemplate,
    JobRecord,
    JobStatus,
    Notification,
    OrgUnit,
    PlanAssistant,
    PlanItem,
    PlanMaterial,
    PlanOpinion,
    Project,
    ProjectAssistant,
    Region,
    RegionLeader,
    ServicePlan,
    ServiceTeamMember,
    Stage,
    UrgeCategory,
    UrgeProposal,
    WarningCard,
    WorkflowDefinition,
    WorkflowInstance,
    WorkLog,
    WorkLogKind,
    WorkOrder,
)
from app.security import roles
from app.views.base import ScopeFilter

from . import factories as f

# FAB's security screens that we subclass only to format them: not regional data, and only
# the security admin reaches them (app/security/duties.py; tests/test_duties.py).
FAB_SECURITY_SCREENS = {"RoleView"}


def _app_views(kind):
    return [v for v in appbuilder.baseviews
            if isinstance(v, kind) and type(v).__module__.startswith("app.")
            and type(v).__name__ not in FAB_SECURITY_SCREENS]


def _samples(world, county):
    """model → (one row of that county) as plain ids, built lazily inside a context."""
    c = getattr(world, county)
    stage = db.session.scalars(select(Stage).where(Stage.region_id == c.region.id)).first()
    if stage is None:
        stage = Stage(code=f"local-{county}", name=f"{county}县本地阶段", seq=99, region_id=c.region.id)
        db.session.add(stage)
        db.session.commit()
    project = db.session.get(Project, c.project.id)
    job = JobRecord(user_id=c.users["admin"].id, kind="ledger_items", title=f"{county}县的任务",
                    status=JobStatus.FINISHED)
    card = WarningCard(subject=CardSubject.ITEM, subject_id=project.items[0].id,
                       level=CardLevel.YELLOW, project_id=project.id, org_unit_id=c.department.id,
                       title=f"{county}卡片", due_on=dt.date(2026, 11, 2))
    order = WorkOrder(project_id=project.id, org_unit_id=c.department.id, region_id=c.region.id,
                      title=f"{county}工单", reply_due_on=dt.date(2026, 12, 1))
    notice = Notification(user_id=c.users["admin"].id, event_key=f"scope:{county}",
                          title=f"{county}通知")
    correction = ItemCorrection(item_id=project.items[0].id, requested_on=dt.date(2026, 11, 2),
                                received_on=dt.date(2026, 11, 4))
    local_measure = WorkflowDefinition(
        key=f"scope_{county}", version=1, name=f"{county}县本地举措", region_id=c.region.id,
        definition={"key": f"scope_{county}", "name": f"{county}县本地举措", "initial": "a",
                    "states": [{"name": "a", "label": "申请"},
                               {"name": "b", "label": "办结", "final": True}],
                    "transitions": [{"action": "go", "from": "a", "to": "b",
                                     "roles": ["assistant"]}]})
    item_material = ItemMaterial(item_id=project.items[0].id, name=f"{county}县材料")
    archived = ArchiveFile(project_id=project.id, category=ArchiveCategory.PLAN,
                           stored_name=f"scope-{county}.pdf", filename="方案.pdf", size=0)
    # The list of projects without a lead assistant shows only such projects.
    unassigned = f.project(db.session.get(Region, c.region.id),
                           db.session.get(Applicant, c.applicant.id), name=f"{county}县待配项目")
    db.session.add_all([job, card, order, notice, correction, local_measure, item_material,
                        archived])
    from app.workflow import engine

    measure_run = engine.start(
        db.session, project, f"scope_{county}",
        {"key": f"scope_{county}", "name": "范围测试举措", "initial": "s",
         "states": [{"name": "s", "label": "开始"}, {"name": "e", "label": "结束", "final": True}],
         "transitions": [{"action": "go", "label": "办结", "from": "s", "to": "e",
                          "roles": ["assistant"]}]}, allow_duplicate=True)
    # 对接需求 and 帮办服务方案, with a row of each kind and an opinion asked.
    from app.services import service_plans

    intake = IntakeRecord(project_id=project.id, needs=f"{county}县需求")
    plan = service_plans.generate_plan(db.session, project, db.session.get(
        AppUser, c.users["assistant"].id))
    material = PlanMaterial(plan_item=plan.items[0], seq=1, name=f"{county}县材料")
    opinion = PlanOpinion(plan=plan, org_unit_id=c.department.id,
                          requested_at=dt.datetime(2026, 11, 2, 8, 0))
    urge = UrgeProposal(project_id=project.id, item_id=project.items[0].id,
                        org_unit_id=c.department.id, title=f"{county}县催办", request="催办",
                        category=UrgeCategory.OTHER, due_days=3)
    db.session.add_all([intake, material, opinion, urge])
    # 帮办代办日志: a log of the county's assistant.
    log = WorkLog(project_id=project.id, author_id=c.users["assistant"].id,
                  logged_on=dt.date(2026, 11, 2), kind=WorkLogKind.VISIT,
                  content=f"{county}县日志")
    db.session.add(log)
    # 协调推进: a request waiting on the county's department, and the county's 分管领导.
    from app.services import coordination

    request = coordination.raise_request(
        db.session, project, db.session.get(AppUser, c.users["assistant"].id),
        title=f"{county}县协调", problem="问题", category="OTHER", requested_outcome="结果",
        owner_unit_ids=[c.department.id], days=3)
    leader = RegionLeader(region_id=c.region.id, user_id=c.users["admin"].id)
    db.session.add(leader)
    # 专班 meetings: a roster entry, a meeting with an agenda project and a decision.
    from app.models import (
        AgendaItem,
        Decision,
        Meeting,
        MeetingKind,
        TaskForceMember,
        TaskForceRole,
    )

    member = TaskForceMember(region_id=c.region.id, role=TaskForceRole.MEMBER_UNIT,
                             org_unit_id=c.department.id)
    meeting = Meeting(region_id=c.region.id, kind=MeetingKind.ANALYSIS,
                      title=f"{county}县分析会", held_on=dt.date(2026, 12, 1))
    db.session.add_all([member, meeting])
    db.session.flush()
    agenda_item = AgendaItem(meeting_id=meeting.id, project_id=project.id, seq=1)
    decision = Decision(meeting_id=meeting.id, project_id=project.id, content=f"{county}县事项",
                        owner_unit_id=c.department.id, due_on=dt.date(2026, 12, 31))
    db.session.add_all([agenda_item, decision])
    db.session.commit()
    return {
        TaskForceMember: member.id, Meeting: meeting.id, AgendaItem: agenda_item.id,
        Decision: decision.id,
        CoordinationRequest: request.id, RegionLeader: leader.id,
        WorkLog: log.id,
        UrgeProposal: urge.id,
        IntakeRecord: intake.id, ServicePlan: plan.id, PlanMaterial: material.id,
        PlanOpinion: opinion.id, PlanAssistant: plan.assistants[0].id,
        PlanItem: plan.items[0].id,
        "ProjectsWithoutLeadView": unassigned.id,
        ItemMaterial: item_material.id,
        ArchiveFile: archived.id,
        JobRecord: job.id,
        WorkflowDefinition: local_measure.id,
        WorkflowInstance: measure_run.id,
        ItemCorrection: correction.id,
        WarningCard: card.id,
        WorkOrder: order.id,
        Notification: notice.id,
        Project: project.id,
        ApprovalItem: project.items[0].id,
        Applicant: c.applicant.id,
        Region: c.region.id,
        OrgUnit: c.department.id,
        ItemTemplate: db.session.scalars(select(ItemTemplate.id)
                                         .where(ItemTemplate.region_id == c.region.id)).first(),
        Stage: stage.id,
        ProjectAssistant: project.assistants[0].id,
        ServiceTeamMember: project.team[0].id,
        AppUser: c.users["clerk"].id,
        AuditRecord: db.session.scalars(select(AuditRecord.id).where(
            AuditRecord.model == "Project", AuditRecord.object_id == str(project.id))).first(),
    }


# The national holiday schedule is the same for every region: nothing to hide.
SHARED = {CalendarDay}


def _actor_for(resource: str) -> str | None:
    """The county-a demo user with the most rights on a resource (writer before reader)."""
    for attr in ("writes", "reads"):
        for spec in roles.ROLES:
            if spec.name in (roles.SYSTEM_ADMIN, roles.AUDITOR, roles.SECURITY_ADMIN):
                continue
            if resource in getattr(spec, attr):
                return f"a_{spec.key}"
    return None


def _can_write(username: str, resource: str) -> bool:
    key = username.split("_", 1)[1]
    return resource in roles.ROLES_BY_KEY[key].writes


def test_every_app_view_and_api_is_scoped(app):
    with app.app_context():
        for view in _app_views(ModelView) + _app_views(ModelRestApi):
            assert any(flt[1] is ScopeFilter or issubclass(flt[1], ScopeFilter)
                       for flt in view.base_filters), f"{type(view).__name__} has no scope filter"


def _views(app):
    with app.app_context():
        return {type(v).__name__: v for v in _app_views(ModelView)}


@pytest.fixture(scope="module")
def samples(app, world):
    with app.app_context():
        return {"a": _samples(world, "a"), "b": _samples(world, "b")}


def test_scope_over_all_screens(app, world, samples, login):
    views = _views(app)
    assert len(views) >= 9, sorted(views)
    checked = []
    for name, view in sorted(views.items()):
        model = view.datamodel.obj
        if model in SHARED:
            continue
        assert model in samples["b"], f"add a county-b sample of {model.__name__} to test_scope"
        b_id, a_id = samples["b"].get(name, samples["b"][model]), samples["a"].get(
            name, samples["a"][model])
        assert b_id is not None and a_id is not None, model.__name__
        base = f"/{view.route_base.strip('/')}"
        actor = _actor_for(view.class_permission_name)
        client = login(actor or "a_clerk")
        listing = client.get(f"{base}/list/?psize_{name}=100")
        html = listing.get_data(as_text=True)
        assert f"show/{b_id}\"" not in html, f"{name}: county b row listed to {actor}"
        if actor is None:
            assert listing.status_code == 403, name
            continue
        assert listing.status_code == 200, f"{name} list as {actor}: {listing.status_code}"
        assert f"show/{a_id}\"" in html or f"/{a_id}\"" in html, \
            f"{name}: own county's row missing for {actor}"
        assert client.get(f"{base}/show/{b_id}").status_code == 404, f"{name} show"
        if _can_write(actor, view.class_permission_name):
            verbs = view.method_permission_name or {}
            if verbs.get("edit") == "write":
                assert client.get(f"{base}/edit/{b_id}").status_code == 404, f"{name} edit"
            if verbs.get("delete") == "write":
                assert client.post(f"{base}/delete/{b_id}").status_code == 404, f"{name} delete"
        checked.append(name)
    assert "ProjectView" in checked and "ApprovalItemView" in checked and "ScopedUserView" in checked


def test_audit_trail_is_for_the_auditor_only(app, world, samples, login):
    client = login("a_admin")
    assert client.get("/auditrecordview/list/").status_code == 403
    client = login("sysadmin")
    # Separation of duties: the system admin reads no audit rows (app/security/duties.py).
    assert client.get("/auditrecordview/list/").status_code == 403
    client = login("auditor")
    resp = client.get(f"/auditrecordview/show/{samples['b'][AuditRecord]}")
    assert resp.status_code == 200


def test_scope_over_all_apis(app, world, samples, api_token, client):
    with app.app_context():
        apis = {type(v).__name__: v for v in _app_views(ModelRestApi)}
    assert {"ProjectApi", "ApprovalItemApi"} <= set(apis)
    for name, api in sorted(apis.items()):
        model = api.datamodel.obj
        b_id, a_id = samples["b"][model], samples["a"][model]
        actor = _actor_for(api.class_permission_name)
        headers = api_token(actor)
        base = f"/api/v1/{api.resource_name}"
        resp = client.get(f"{base}/?q=(page_size:100)", headers=headers)
        assert resp.status_code == 200, f"{name}: {resp.status_code}"
        ids = resp.json["ids"]
        assert b_id not in ids and a_id in ids, f"{name} list: {ids}"
        assert client.get(f"{base}/{b_id}", headers=headers).status_code == 404, name
        assert client.get(f"{base}/{a_id}", headers=headers).status_code == 200, name
        if _can_write(actor, api.class_permission_name):
            routes = api.include_route_methods
            if routes is None or "put" in routes:
                assert client.put(f"{base}/{b_id}", json={"name": "x"},
                                  headers=headers).status_code == 404, name
            if routes is None or "delete" in routes:
                assert client.delete(f"{base}/{b_id}", headers=headers).status_code == 404, name
        info = client.get(f"{base}/_info", headers=headers).json
        for col in info.get("add_columns", []):
            if not col.get("values"):
                continue
            related = api.datamodel.get_related_model(col["name"])
            if related in samples["b"]:
                values = {v["id"] for v in col["values"]}
                assert samples["b"][related] not in values, f"{name}._info {col['name']}"


def test_forged_related_id_is_refused_by_the_api(app, world, api_token, client):
    headers = api_token("a_clerk")
    with app.app_context():
        b_region = world.b.region.id
        a_applicant = world.a.applicant.id
    resp = client.post("/api/v1/project/", headers=headers, json={
        "code": "FORGE-1", "name": "越权项目", "region": b_region, "applicant": a_applicant,
        "investment_wan": 10, "list_level": "县级", "list_year": 2026})
    assert resp.status_code == 422, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Project).where(Project.code == "FORGE-1")) is None


def test_enterprise_sees_only_own_projects(app, world, login):
    client = login("a_company")
    html = client.get("/projectview/list/").get_data(as_text=True)
    assert "甲县重点项目" in html and "乙县重点项目" not in html
    with app.app_context():
        other = f.project(db.session.get(Region, world.a.region.id),
                          f.applicant(db.session.get(Region, world.a.region.id)),
                          name="甲县他人项目")
        db.session.commit()
        other_id = other.id
    assert client.get(f"/projectview/show/{other_id}").status_code == 404


def test_department_officer_sees_only_own_department_items(app, world, login):
    with app.app_context():
        a_region = db.session.get(Region, world.a.region.id)
        other_dept = f.org_unit(a_region, "甲县生态环境局")
        project = db.session.get(Project, world.a.project.id)
        foreign_item = f.item(project, other_dept, name="环评审批")
        db.session.commit()
        foreign_id = foreign_item.id
    client = login("a_dept")
    html = client.get("/approvalitemview/list/?psize_ApprovalItemView=100").get_data(as_text=True)
    assert "环评审批" not in html
    assert client.get(f"/approvalitemview/show/{foreign_id}").status_code == 404
