"""Scope by construction, over ``app.url_map``: every rule that names an object answers 404
to a county-a user (and to county a's enterprise user) given a county-b object's id.

A rule is checked when its view's datamodel (or ``ENDPOINT_MODELS``) says which model its id
names; a rule without an object id is listed in ``ALLOWED`` with its reason. A new rule that
is neither fails the test, so new endpoints are covered as they are written.
``check_url_scope`` is reusable: the meta-test runs it on a throwaway app with a deliberately
unscoped endpoint and shows that the check reports it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import IntegerConverter

from app.extensions import appbuilder, db
from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    ArchiveCategory,
    ArchiveFile,
    AuditRecord,
    CardLevel,
    CardSubject,
    CoordinationRequest,
    IntakeRecord,
    ItemCorrection,
    ItemMaterial,
    ItemTemplate,
    JobRecord,
    JobStatus,
    Meeting,
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
    WorkLogPhoto,
    WorkOrder,
)
from app.security import roles
from app.security.sync import _wanted_pairs, menu_index

from . import factories as f

ROOT = Path(__file__).resolve().parents[1]

# Rules (endpoints, or whole views by class name) that take no object id, with the reason.
ALLOWED = {
    "static": "static files of the app",
    "appbuilder.static": "static files of Flask-AppBuilder",
    "LocaleView.index": "the argument is a language code",
    "OpenApi.get": "the argument is the API version; structure only, no rows",
    "SwaggerView.show": "the argument is the API version; structure only, no rows",
    "UserStatsChartView.chart": "the argument is a column name; FAB's chart, system admin only",
    "LookupView.lookup": "the argument is a lookup kind; the answers are scoped rows "
                         "(tests/test_url_scope.py::test_lookup_answers_only_rows_in_scope)",
    "MeasureView": "the argument is a measure key (a plugin's code, the same in every region); "
                   "a region's settings are chosen by the user's scope, not by the URL",
    "CalendarDayView": "the national holiday schedule is the same for every region",
    "LedgerView.export": "the argument is a ledger kind (a registry key); the rows exported "
                         "are chosen by the user's scope (tests/test_ledger_registry.py)",
    # FAB's security tables: no region, and only the security admin reaches them (app/security/duties.py).
    "RoleView": "FAB's roles table (our subclass only formats it): not regional data, "
                "security admin only (app/security/duties.py)",
    "PermissionModelView": "FAB's permissions table: not regional data, system admin only",
    "PermissionViewModelView": "FAB's permission table: not regional data, system admin only",
    "ViewMenuModelView": "FAB's resources table: not regional data, system admin only",
    "UserGroupModelView": "FAB's groups table: not regional data, system admin only",
}
# Methods of FAB's model screens whose argument is not an object id.
ALLOWED_METHODS = {
    "download": "FAB's upload download, by file name: refused (404) for every name "
                "(app.views.base.ScopedRowAccess.download)",
}
# FAB refuses these with GET (405, or a redirect for delete) before it looks at any row;
# they are called with POST.
POST_ONLY_METHODS = {"delete", "action"}
# Rules whose id names another model than their view's datamodel (or that have none).
ENDPOINT_MODELS: dict[str, type] = {
    # The assistance process (issue 11): custom screens whose id names a row.
    "ItemActionView.page": ApprovalItem,
    "ItemActionView.act": ApprovalItem,
    # 专班 meetings (app/views/meetings.py): the meeting's own screens and API actions.
    "MeetingApi.attendees": Meeting,
    "MeetingApi.agenda_proposal": Meeting,
    "MeetingApi.agenda": Meeting,
    "ArchiveView.page": Project,
    "ArchiveView.upload": Project,
    "ArchiveView.close": Project,
    "ArchiveView.file": ArchiveFile,
    "TerminationView.form": Project,
    "ArchiveFileApi.close": Project,
    # 帮办代办日志 (issue 12): a log's photo and thumbnail by the photo's id.
    "WorkLogView.photo": WorkLogPhoto,
    "WorkLogView.thumbnail": WorkLogPhoto,
    "ProjectWorkLogsView.photo": WorkLogPhoto,
    "ProjectWorkLogsView.thumbnail": WorkLogPhoto,
    "WorkLogApi.photo": WorkLogPhoto,
    "WorkLogApi.thumbnail": WorkLogPhoto,
    "UrgeView.item": ApprovalItem,  # 催办 on an item (app/views/urges.py)
    "UrgeView.request": CoordinationRequest,  # 催办 on a coordination request
}
# ServicePlanView's "add" takes no id (the project comes from the form); its other rules
# name a plan, found through the view's datamodel.
# Values for path arguments that are not the object id.
OTHER_ARGS = {"filename": "x.txt", "name": "x.pdf", "action": "accept"}
# GET rules whose county-a control call may answer 404 for a reason other than the scope.
CONTROL_SKIP = {
    "ProjectsWithoutLeadView.show": "the list holds only projects without a lead assistant; "
                                    "the sample project has one (404 by its filter)",
    "ProjectsWithoutLeadView.edit": "the list holds only projects without a lead assistant; "
                                    "the sample project has one (404 by its filter)",
    "ProjectWorkflowsView.file": "no attachment of that name: 404 for any instance",
}
# Users who call each rule: the county-a role holding its permission, and the company.
COUNTY_ROLES = ("admin", "dispatcher", "assistant", "clerk", "dept", "company")
CALLED = {"GET", "POST", "PUT", "DELETE"}


def _view_of(endpoint: str):
    name = endpoint.split(".", 1)[0]
    for view in appbuilder.baseviews:
        if getattr(view, "endpoint", type(view).__name__) == name:
            return view
    return None


def _role_pairs() -> dict[str, set]:
    menus = menu_index(appbuilder)
    return {spec.key: _wanted_pairs(appbuilder.sm, spec, menus) for spec in roles.ROLES}


def _permission(view, method: str) -> str | None:
    fn = getattr(type(view), method, None)
    default = getattr(fn, "_permission_name", None)
    name = (view.method_permission_name or {}).get(method) or default
    return None if name is None else f"can_{name}"


def _may(pairs, view, method) -> bool:
    perm = _permission(view, method)
    return (perm is not None and perm in (view.base_permissions or [])
            and (perm, view.class_permission_name) in pairs)


def _url(rule, pk, view) -> str | None:
    values = {}
    for arg in rule.arguments:
        conv = rule._converters.get(arg)
        if arg in ("pk", "id") or isinstance(conv, IntegerConverter):
            values[arg] = pk
        elif arg == "name" and rule.endpoint.endswith(".action"):
            values[arg] = next(iter(getattr(view, "actions", None) or {}), "none")
        elif arg in OTHER_ARGS:
            values[arg] = OTHER_ARGS[arg]
        else:
            return None
    return rule.build(values, append_unknown=False)[1]


def check_url_scope(app, clients: dict, samples_b: dict, samples_a: dict | None = None,
                    extra_models: dict | None = None, only=None) -> list[str]:
    """What is wrong with the url map's rules: each line a rule that leaks (answers other
    than 404 to a county-a user holding its permission, or than 403 to one who does not,
    for a county-b id), or that nobody mapped or allow-listed. ``clients`` maps role keys
    of county a to signed-in test clients."""
    models = {**ENDPOINT_MODELS, **(extra_models or {})}
    pairs = _role_pairs()
    problems = []
    with app.app_context():
        rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    for rule in rules:
        if only is not None and not only(rule):
            continue
        view_name = rule.endpoint.split(".", 1)[0]
        method = rule.endpoint.split(".", 1)[-1]
        if rule.endpoint in ALLOWED or view_name in ALLOWED or not rule.arguments \
                or method in ALLOWED_METHODS:
            continue
        with app.app_context():
            view = _view_of(rule.endpoint)
        datamodel = getattr(view, "datamodel", None)
        model = models.get(rule.endpoint) or (datamodel.obj if datamodel is not None else None)
        if view is None or model is None:
            problems.append(f"{rule.rule} ({rule.endpoint}): unknown rule, map it or "
                            f"allow-list it")
            continue
        if model not in samples_b:
            problems.append(f"{rule.rule}: add a county-b sample of {model.__name__}")
            continue
        url = _url(rule, samples_b[model], view)
        if url is None:
            problems.append(f"{rule.rule} ({rule.endpoint}): unknown argument, map it or "
                            f"allow-list it")
            continue
        verbs = rule.methods & CALLED
        if method in POST_ONLY_METHODS:
            verbs -= {"GET"}
        actor = next((k for k in COUNTY_ROLES if _may(pairs[k], view, method)), "clerk")
        for key in dict.fromkeys((actor, "company")):
            expected = 404 if _may(pairs[key], view, method) else 403
            for verb in sorted(verbs):
                kwargs = {"json": {}} if verb in ("POST", "PUT") and "/api/" in rule.rule \
                    else {"data": {}}
                status = clients[key].open(url, method=verb, **kwargs).status_code
                if status != expected:
                    problems.append(f"{verb} {url} ({rule.endpoint}) as a_{key}: {status}, "
                                    f"expected {expected}")
        if samples_a and "GET" in verbs and _may(pairs[actor], view, method) \
                and rule.endpoint not in CONTROL_SKIP:
            own = _url(rule, samples_a[model], view)
            status = clients[actor].get(own).status_code
            if status == 404 or status >= 500:
                problems.append(f"GET {own} ({rule.endpoint}) as a_{actor}: {status} for "
                                f"county a's own row (the URL is not what the check thinks)")
    return problems


def signed_in_clients(app, password: str = f.PASSWORD) -> dict:
    """One signed-in test client per county-a role (role key → client)."""
    clients = {}
    for key in COUNTY_ROLES:
        client = app.test_client()
        resp = client.post("/login/", data={"username": f"a_{key}", "password": password})
        assert resp.status_code == 302, f"login a_{key}"
        clients[key] = client
    return clients


# -- samples --------------------------------------------------------------------------------
def _samples(world, county: str, files_dir: Path) -> dict:
    """model → id of one row of that county, for every model a rule may name."""
    c = getattr(world, county)
    project = db.session.get(Project, c.project.id)
    item = project.items[0]
    stage = Stage(code=f"url-{county}", name=f"{county}县URL阶段", seq=98, region_id=c.region.id)
    files_dir.mkdir(parents=True, exist_ok=True)
    result = files_dir / f"url-scope-{county}.xlsx"
    result.write_bytes(b"ledger")
    # The user's own rows belong to the county's admin, the first role of COUNTY_ROLES.
    job = JobRecord(user_id=c.users["admin"].id, kind="ledger_items", title=f"{county}县URL任务",
                    status=JobStatus.FINISHED, result_path=str(result), result_name="x.xlsx")
    card = WarningCard(subject=CardSubject.ITEM, subject_id=item.id, part="url-scope",
                       level=CardLevel.RED, project_id=project.id, org_unit_id=c.department.id,
                       title=f"{county}URL卡片", due_on=dt.date(2026, 11, 2))
    order = WorkOrder(project_id=project.id, org_unit_id=c.department.id, region_id=c.region.id,
                      title=f"{county}URL工单", reply_due_on=dt.date(2026, 12, 1))
    notice = Notification(user_id=c.users["admin"].id, event_key=f"url-scope:{county}",
                          title=f"{county}URL通知")
    correction = ItemCorrection(item_id=item.id, requested_on=dt.date(2026, 11, 2),
                                received_on=dt.date(2026, 11, 4))
    definition = {"key": f"url_{county}", "name": f"{county}县URL举措", "initial": "s",
                  "states": [{"name": "s", "label": "开始"},
                             {"name": "e", "label": "结束", "final": True}],
                  "transitions": [{"action": "go", "label": "办结", "from": "s", "to": "e",
                                   "roles": ["assistant", "company"]}]}
    local = WorkflowDefinition(key=f"url_{county}", version=1, name=definition["name"],
                               region_id=c.region.id, definition=definition)
    item_material = ItemMaterial(item_id=item.id, name=f"{county}县URL材料")
    stored = f"url-scope-{county}.pdf"
    archive_dir = files_dir / "archive" / str(project.id)
    archive_dir.mkdir(parents=True, exist_ok=True)
    (archive_dir / stored).write_bytes(b"%PDF-1.4\n")
    archived = ArchiveFile(project_id=project.id, category=ArchiveCategory.OTHER,
                           stored_name=stored, filename="x.pdf", size=9)
    db.session.add_all([stage, job, card, order, notice, correction, local, item_material,
                        archived])
    from app.workflow import engine

    run = engine.start(db.session, project, f"url_{county}", definition, allow_duplicate=True)
    # 对接需求 and 帮办服务方案: a plan with a row of each kind and an opinion asked.
    from app.services import service_plans

    intake = IntakeRecord(project_id=project.id, needs=f"{county}县URL需求",
                          letter_file="abcdef12-x.pdf")
    plan = service_plans.generate_plan(db.session, project, db.session.get(
        AppUser, c.users["assistant"].id))
    plan_item = plan.items[0]
    material = PlanMaterial(plan_item=plan_item, seq=1, name=f"{county}县URL材料")
    opinion = PlanOpinion(plan=plan, org_unit_id=c.department.id,
                          requested_at=dt.datetime(2026, 11, 2, 8, 0))
    # 帮办代办日志: a log of the county's assistant with one photo (files written).
    stem = f"{county}".ljust(32, "0")
    log = WorkLog(project_id=project.id, author_id=c.users["assistant"].id,
                  logged_on=dt.date(2026, 11, 2), kind=WorkLogKind.VISIT,
                  content=f"{county}县URL日志")
    log.photos.append(WorkLogPhoto(stored_name=f"{stem}.jpg", thumb_name=f"{stem}-thumb.jpg",
                                   filename="x.jpg"))
    db.session.add(log)
    photos = files_dir / "worklogs" / str(project.id)
    photos.mkdir(parents=True, exist_ok=True)
    for name in (f"{stem}.jpg", f"{stem}-thumb.jpg"):
        (photos / name).write_bytes(b"\xff\xd8\xff\xe0url-scope")
    db.session.add_all([intake, material, opinion])
    urge = UrgeProposal(project_id=project.id, item_id=item.id, org_unit_id=c.department.id,
                        title=f"{county}县URL催办", request="催办", category=UrgeCategory.OTHER,
                        due_days=3)
    db.session.add(urge)
    db.session.flush()
    letters = files_dir / "intake" / str(intake.id)
    letters.mkdir(parents=True, exist_ok=True)
    (letters / "abcdef12-x.pdf").write_bytes(b"%PDF-1.4 url")
    # 协调推进: a request for the county's department, and the county's 分管领导.
    from app.services import coordination

    request = coordination.raise_request(
        db.session, project, db.session.get(AppUser, c.users["assistant"].id),
        title=f"{county}县URL协调", problem="问题", category="OTHER", requested_outcome="结果",
        owner_unit_ids=[c.department.id], days=3)
    leader = RegionLeader(region_id=c.region.id, user_id=c.users["admin"].id, title="分管领导")
    db.session.add(leader)
    # 专班 meetings: a roster entry, a meeting with an agenda project and a decision.
    from app.models import AgendaItem, Decision, MeetingKind, TaskForceMember, TaskForceRole

    member = TaskForceMember(region_id=c.region.id, role=TaskForceRole.MEMBER_UNIT,
                             org_unit_id=c.department.id)
    meeting = Meeting(region_id=c.region.id, kind=MeetingKind.ANALYSIS, title=f"{county}县URL会议", held_on=dt.date(2026, 12, 1))
    db.session.add_all([member, meeting])
    db.session.flush()
    agenda_item = AgendaItem(meeting_id=meeting.id, project_id=project.id, seq=1)
    decision = Decision(meeting_id=meeting.id, project_id=project.id, content=f"{county}县URL事项",
                        owner_unit_id=c.department.id, due_on=dt.date(2026, 12, 31))
    db.session.add_all([agenda_item, decision])
    db.session.commit()
    return {
        TaskForceMember: member.id, Meeting: meeting.id, AgendaItem: agenda_item.id,
        Decision: decision.id,
        CoordinationRequest: request.id, RegionLeader: leader.id,
        Project: project.id, ApprovalItem: item.id, Applicant: c.applicant.id,
        Region: c.region.id, OrgUnit: c.department.id, Stage: stage.id,
        ItemTemplate: db.session.scalar(select(ItemTemplate.id).where(
            ItemTemplate.region_id == c.region.id)),
        ProjectAssistant: project.assistants[0].id, ServiceTeamMember: project.team[0].id,
        AppUser: c.users["assistant"].id, JobRecord: job.id, WarningCard: card.id,
        WorkLog: log.id, WorkLogPhoto: log.photos[0].id,
        WorkOrder: order.id, Notification: notice.id, ItemCorrection: correction.id,
        WorkflowDefinition: local.id, WorkflowInstance: run.id,
        IntakeRecord: intake.id, ServicePlan: plan.id, PlanAssistant: plan.assistants[0].id,
        PlanItem: plan_item.id, PlanMaterial: material.id, PlanOpinion: opinion.id,
        ItemMaterial: item_material.id, ArchiveFile: archived.id, UrgeProposal: urge.id,
        AuditRecord: db.session.scalar(select(AuditRecord.id).where(
            AuditRecord.model == "Project", AuditRecord.object_id == str(project.id))),
    }


@pytest.fixture(scope="module")
def url_samples(app, world):
    files = Path(app.config["FILES_DIR"])
    with app.app_context():
        return {"a": _samples(world, "a", files), "b": _samples(world, "b", files)}


# -- the tests ------------------------------------------------------------------------------
def test_every_rule_naming_an_object_answers_404_for_another_countys(app, world, url_samples):
    problems = check_url_scope(app, signed_in_clients(app), url_samples["b"], url_samples["a"])
    assert problems == [], "\n".join(problems)


def test_the_allow_list_names_rules_that_exist(app):
    with app.app_context():
        endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    views = {e.split(".", 1)[0] for e in endpoints}
    stale = [name for name in ALLOWED if name not in endpoints and name not in views]
    assert stale == [], f"allow-listed but not in the url map: {stale}"


def test_lookup_answers_only_rows_in_scope(app, world, login):
    client = login("a_clerk")
    texts = [r["text"] for r in client.get("/lookup/project?q=重点项目").json["results"]]
    assert any("甲县重点项目" in t for t in texts) and not any("乙县" in t for t in texts)
    texts = [r["text"] for r in client.get("/lookup/applicant?q=建设发展").json["results"]]
    assert any("甲县" in t for t in texts) and not any("乙县" in t for t in texts)


def test_reset_password_of_another_countys_user_is_404(app, world, login):
    client = login("a_admin")
    b_user, a_user = world.b.users["clerk"].id, world.a.users["clerk"].id
    assert client.get(f"/resetpassword/form?pk={b_user}").status_code == 404
    assert client.post(f"/resetpassword/form?pk={b_user}", data={
        "password": "NewPass@2026x", "conf_password": "NewPass@2026x"}).status_code == 404
    assert client.get(f"/resetpassword/form?pk={a_user}").status_code == 200


# -- the check catches a leak ---------------------------------------------------------------
_LEAKY_APP = r"""
import json, sys
from flask import abort
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from config import TestConfig
from app import create_app
from app.extensions import appbuilder, db
from app.models import Project
from app.views.base import VIEW_VERBS
from app.views.projects import ProjectView
from tests.test_url_scope import check_url_scope, signed_in_clients, _sample_ids


class LeakyView(BaseView):
    # Deliberately unscoped: the row is fetched with session.get.
    route_base = "/leaky"
    class_permission_name = "Project"
    method_permission_name = {"peek": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/peek/<int:pk>")
    @has_access
    def peek(self, pk):
        project = db.session.get(Project, pk)
        return project.name if project is not None else abort(404)


class UnmappedView(LeakyView):
    route_base = "/unmapped"


class LeakyProjectView(ProjectView):
    # A custom endpoint added to a ProjectView subclass, bypassing the accessor.
    method_permission_name = {**VIEW_VERBS, "peek": "read"}

    @expose("/peek/<int:pk>")
    @has_access
    def peek(self, pk):
        project = db.session.get(Project, pk)
        return project.name if project is not None else abort(404)


config = TestConfig()
config.FAB_UPDATE_PERMS = False  # the shared test database's permissions stay as they are
app = create_app(config)
with app.app_context():
    for view in (LeakyView, UnmappedView, LeakyProjectView):
        appbuilder.add_view_no_menu(view)
samples = _sample_ids(json.loads(sys.argv[1]))
problems = check_url_scope(app, signed_in_clients(app), samples,
                           extra_models={"LeakyView.peek": Project},
                           only=lambda rule: rule.rule.startswith(
                               ("/leaky", "/unmapped", "/leakyprojectview/peek")))
print("RESULT " + json.dumps(problems, ensure_ascii=False))
"""


def _sample_ids(by_name: dict) -> dict:
    import app.models as models

    return {getattr(models, name): pk for name, pk in by_name.items()}


def test_the_check_reports_an_unscoped_endpoint(app, world, url_samples):
    """A throwaway app (own process: ``appbuilder`` is a module-level singleton) with a
    BaseView and a ProjectView subclass that fetch with ``db.session.get``."""
    samples = {model.__name__: pk for model, pk in url_samples["b"].items()}
    out = subprocess.run([sys.executable, "-c", _LEAKY_APP, json.dumps(samples)], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, timeout=300)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, out.stderr[-3000:]
    problems = json.loads(lines[-1][len("RESULT "):])
    b_project = url_samples["b"][Project]
    assert any(p.startswith(f"GET /leaky/peek/{b_project} (LeakyView.peek) as a_")
               and ": 200, expected 404" in p for p in problems), problems
    assert any(f"/leakyprojectview/peek/{b_project} (LeakyProjectView.peek) as a_" in p
               and ": 200, expected 404" in p for p in problems), problems
    assert any("/unmapped/peek/<int:pk> (UnmappedView.peek): unknown rule" in p
               for p in problems), problems
