"""终止服务 and 资料归档: the dispatcher ends a project's service for one of the five reasons
(open items withdrawn, measures cancelled, the enterprise told, the project read-only but
visible); the assistant archives the files by category and closes the project only when
the region's checklist is complete. The enterprise and the other county reach nothing."""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Applicant,
    ApprovalItem,
    ArchiveFile,
    AuditRecord,
    ItemStatus,
    Notification,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    TerminationReason,
    WorkflowInstance,
    WorkflowInstanceStatus,
)
from app.services.errors import DomainValidationError

from . import factories as f

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n"
PROGRAM = b"MZ\x90\x00" + b"\x00" * 64
DEFINITION = {"key": "ta_flow", "name": "终止测试举措", "initial": "s",
              "states": [{"name": "s", "label": "开始"}, {"name": "e", "label": "结束",
                                                          "final": True}],
              "transitions": [{"action": "go", "label": "办结", "from": "s", "to": "e",
                               "roles": ["assistant"]}]}


def _project(app, world, county="a", with_measure=False) -> int:
    """A project of the county's company, its assistant the lead, one open item."""
    with app.app_context():
        c = getattr(world, county)
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id))
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True, assigned_on=dt.date(2026, 11, 2)))
        if with_measure:
            from app.workflow import engine

            engine.start(db.session, project, "ta_flow", DEFINITION, allow_duplicate=True)
        db.session.commit()
        return project.id


def _get(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _upload(client, pid, category, name="方案.pdf", content=PDF):
    return client.post(f"/archive/{pid}/upload", data={
        "category": category, "files": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_the_dispatcher_terminates_the_service(app, world, login):
    pid = _project(app, world, with_measure=True)
    client = login("a_dispatcher")
    assert 'id="open-terminate"' in client.get(f"/projectview/show/{pid}").get_data(
        as_text=True)
    resp = client.post(f"/terminate/{pid}", data={
        "reason": "APPLICANT_REQUEST", "note": "企业调整投资计划", "on": "2026-11-20"})
    assert resp.status_code == 302
    with app.app_context():
        project = _get(Project, pid)
        assert (project.status, project.termination_reason, project.terminated_on) == (
            ProjectStatus.TERMINATED, TerminationReason.APPLICANT_REQUEST, dt.date(2026, 11, 20))
        assert project.terminated_by_id == world.a.users["dispatcher"].id
        items = list(db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == pid)))
        assert items and all(i.status == ItemStatus.WITHDRAWN for i in items)
        assert "服务对象主动要求终止" in items[0].result
        run = db.session.scalar(select(WorkflowInstance).where(
            WorkflowInstance.project_id == pid))
        assert run.status == WorkflowInstanceStatus.CANCELLED
        told = db.session.scalars(select(Notification).where(
            Notification.user_id == world.a.users["company"].id,
            Notification.event_key == f"terminated:{pid}")).all()
        assert len(told) == 1 and "企业调整投资计划" in told[0].body
        assert db.session.scalar(select(AuditRecord.id).where(
            AuditRecord.action == "proj_terminate", AuditRecord.object_id == str(pid)))
    # Visible, read-only: the page shows it; every write path refuses.
    page = login("a_assistant").get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert "服务对象主动要求终止" in page and 'data-step="terminate"' in page
    with app.app_context():
        project = _get(Project, pid)
        project.next_steps = "继续推进"
        try:
            db.session.flush()
            raise AssertionError("a terminated project was changed")
        except DomainValidationError as err:
            assert "终止" in err.errors["project"]
        db.session.rollback()
        item = db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == pid)).first()
        item.status = ItemStatus.ACCEPTED
        item.accepted_on = dt.date(2026, 11, 2)
        try:
            db.session.flush()
            raise AssertionError("an item of a terminated project was changed")
        except DomainValidationError:
            db.session.rollback()


def test_the_screens_and_the_api_refuse_edits_of_a_terminated_project(app, world, login,
                                                                      api_token):
    pid = _project(app, world)
    with app.app_context():
        from app.models import AppUser
        from app.services import termination

        termination.terminate(db.session, _get(Project, pid),
                              db.session.get(AppUser, world.a.users["dispatcher"].id),
                              "MATERIALS_UNFIXABLE", "", "2026-11-20")
        db.session.commit()
        item_id = db.session.scalars(select(ApprovalItem.id).where(
            ApprovalItem.project_id == pid)).first()
    resp = app.test_client().put(f"/api/v1/project/{pid}", json={"next_steps": "继续"},
                                 headers=api_token("a_assistant"))
    assert resp.status_code == 422, resp.get_data(as_text=True)
    resp = app.test_client().put(f"/api/v1/approval_item/{item_id}", json={"result": "x"},
                                 headers=api_token("a_assistant"))
    assert resp.status_code == 422
    client = login("a_assistant")
    resp = client.post(f"/approvalitemview/edit/{item_id}", data={"result": "改"},
                       follow_redirects=True)
    assert resp.status_code < 500
    resp = client.post(f"/projectitemsview/delete/{item_id}", follow_redirects=True)
    assert resp.status_code < 500
    with app.app_context():
        project = _get(Project, pid)
        assert project.next_steps is None and project.status == ProjectStatus.TERMINATED
        item = _get(ApprovalItem, item_id)
        assert item is not None and item.result != "改" and item.status == ItemStatus.WITHDRAWN


def test_terminating_without_a_reason_or_by_others_is_refused(app, world, login):
    pid = _project(app, world)
    client = login("a_dispatcher")
    resp = client.post(f"/terminate/{pid}", data={"note": "说明", "on": "2026-11-20"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "五种终止情形" in text and "说明" in text
    resp = client.post(f"/terminate/{pid}", data={"reason": "OTHER", "on": "2026-11-20"})
    assert "其他需要终止的情形" in resp.get_data(as_text=True)
    with app.app_context():
        assert _get(Project, pid).status == ProjectStatus.ACTIVE
    assert login("a_assistant").post(f"/terminate/{pid}", data={
        "reason": "OTHER", "note": "x", "on": "2026-11-20"}).status_code in (302, 403)
    assert login("b_dispatcher").post(f"/terminate/{pid}", data={
        "reason": "OTHER", "note": "x", "on": "2026-11-20"}).status_code == 404
    assert login("a_company").get(f"/terminate/{pid}").status_code in (302, 403)
    with app.app_context():
        assert _get(Project, pid).status == ProjectStatus.ACTIVE


def test_the_archive_checklist_decides_when_a_project_closes(app, world, login):
    pid = _project(app, world)
    client = login("a_assistant")
    assert _upload(client, pid, "PLAN").status_code == 302
    assert _upload(client, pid, "LEDGER", "台账.xlsx", b"PK\x03\x04rest").status_code == 302
    # A program renamed to .pdf is refused, nothing stored.
    text = _upload(client, pid, "OTHER", "说明.pdf", PROGRAM).get_data(as_text=True)
    assert "说明.pdf" in text and "field-error" in text
    resp = client.post(f"/archive/{pid}/close")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "缺少：评价资料" in text
    with app.app_context():
        assert _get(Project, pid).status == ProjectStatus.ACTIVE
        assert len(db.session.scalars(select(ArchiveFile).where(
            ArchiveFile.project_id == pid)).all()) == 2
    assert _upload(client, pid, "EVALUATION", "满意度调查.pdf").status_code == 302
    assert client.post(f"/archive/{pid}/close").status_code == 302
    with app.app_context():
        project = _get(Project, pid)
        assert project.status == ProjectStatus.COMPLETED and project.archived_on is not None
    # Archived: nothing more is added.
    assert "已归档" in _upload(client, pid, "OTHER").get_data(as_text=True)
    page = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert 'data-step="archive"' in page


def test_the_regions_checklist_and_archiving_after_termination(app, world, login):
    pid = _project(app, world)
    with app.app_context():
        db.session.get(Region, world.a.region.id).archive_required = ["PLAN"]
        db.session.commit()
    login("a_dispatcher").post(f"/terminate/{pid}", data={
        "reason": "LAW_OR_POLICY_CHANGE", "on": "2026-11-20"})
    client = login("a_assistant")
    assert "缺少：服务方案" in client.post(f"/archive/{pid}/close").get_data(as_text=True)
    # A terminated project still takes its archive files, then closes.
    assert _upload(client, pid, "PLAN").status_code == 302
    assert client.post(f"/archive/{pid}/close").status_code == 302
    with app.app_context():
        project = _get(Project, pid)
        assert project.status == ProjectStatus.TERMINATED and project.archived_on


def test_archive_files_are_served_only_in_scope_as_attachments(app, world, login, api_token):
    pid = _project(app, world)
    client = login("a_assistant")
    _upload(client, pid, "CERTIFICATE", "施工许可证.pdf")
    with app.app_context():
        fid = db.session.scalar(select(ArchiveFile.id).where(ArchiveFile.project_id == pid))
    resp = client.get(f"/archive/file/{fid}")
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert login("b_assistant").get(f"/archive/file/{fid}").status_code == 404
    assert login("b_assistant").get(f"/archive/{pid}").status_code == 404
    assert login("a_company").get(f"/archive/file/{fid}").status_code in (302, 403)
    assert login("a_dept").get(f"/archive/{pid}").status_code in (302, 403)


def test_the_api_uploads_and_closes_with_the_same_checks(app, world, api_token):
    pid = _project(app, world)
    resp = app.test_client().post("/api/v1/archive_file/upload", headers=api_token("a_assistant"),
                    data={"project_id": str(pid), "category": "NOPE",
                          "files": (io.BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data")
    assert resp.status_code == 422 and "category" in resp.json["message"]
    resp = app.test_client().post("/api/v1/archive_file/upload", headers=api_token("b_assistant"),
                    data={"project_id": str(pid), "category": "PLAN",
                          "files": (io.BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data")
    assert resp.status_code == 422 and "project_id" in resp.json["message"]
    resp = app.test_client().post(f"/api/v1/archive_file/close/{pid}", headers=api_token("a_assistant"))
    assert resp.status_code == 422 and "评价资料" in resp.json["message"]["archive"]
    for category in ("PLAN", "LEDGER", "EVALUATION"):
        resp = app.test_client().post("/api/v1/archive_file/upload", headers=api_token("a_assistant"),
                        data={"project_id": str(pid), "category": category,
                              "files": (io.BytesIO(PDF), f"{category}.pdf")},
                        content_type="multipart/form-data")
        assert resp.status_code == 201, resp.json
    resp = app.test_client().post(f"/api/v1/archive_file/close/{pid}", headers=api_token("a_assistant"))
    assert resp.status_code == 200 and resp.json["result"]["status"] == "COMPLETED"
    # The list answers in scope: the other county's assistant sees none of these files,
    # the company has no access to the archive at all.
    own = app.test_client().get("/api/v1/archive_file/", headers=api_token("a_assistant"))
    ids = [r["id"] for r in own.json["result"] if r["project"]["id"] == pid]
    assert len(ids) == 3
    other = app.test_client().get("/api/v1/archive_file/", headers=api_token("b_assistant"))
    assert other.status_code == 200 and not set(ids) & {r["id"] for r in other.json["result"]}
    assert app.test_client().get("/api/v1/archive_file/",
                                 headers=api_token("a_company")).status_code == 403


def test_a_terminated_project_cannot_be_deleted_and_the_region_sets_the_checklist(
        app, world, login):
    pid = _project(app, world)
    with app.app_context():
        from app.models import AppUser
        from app.services import termination

        termination.terminate(db.session, _get(Project, pid),
                              db.session.get(AppUser, world.a.users["dispatcher"].id),
                              "APPLICANT_REQUEST", "", "2026-11-20")
        db.session.commit()
        db.session.delete(_get(Project, pid))
        try:
            db.session.flush()
            raise AssertionError("a terminated project was deleted")
        except DomainValidationError:
            db.session.rollback()
        assert _get(Project, pid) is not None
    # The region's form chooses the required categories (the system admin edits regions).
    client = login("sysadmin")
    form = client.get(f"/regionview/edit/{world.a.region.id}").get_data(as_text=True)
    assert 'name="archive_required"' in form and 'name="intake_days"' in form
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        data = {"code": region.code, "name": region.name, "level": region.level.name,
                "parent": region.parent_id, "warning_days": region.warning_days,
                "intake_days": 5, "archive_required": ["PLAN", "CERTIFICATE"],
                "daily_report_days": region.daily_report_days}
    resp = client.post(f"/regionview/edit/{world.a.region.id}", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 302, html[html.find('alert alert-danger') - 600:][:900]
    with app.app_context():
        db.session.expire_all()
        region = db.session.get(Region, world.a.region.id)
        assert region.intake_days == 5 and region.archive_required == ["PLAN", "CERTIFICATE"]
    text = login("a_assistant").post(f"/archive/{pid}/close").get_data(as_text=True)
    assert "缺少：服务方案、证照" in text
