"""The audit trail reads like a record for a person (issue 9), pages fast by keyset with a
capped count and filters (issue 9), and nobody changes it: no screen or API route, and on
PostgreSQL the database itself refuses an UPDATE or DELETE (issue 10)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import Applicant, AuditRecord, Project, Region
from app.services import audit_list, audit_text

from . import factories as f


def _edit_project(client, world, **changes):
    pid = world.a.project.id
    data = {"code": "AUD-1", "name": "审计测试项目", "region": str(world.a.region.id),
            "applicant": str(world.a.applicant.id), "investment_wan": "100",
            "list_level": "COUNTY", "list_year": "2026", "status": "ACTIVE"}
    data.update(changes)
    resp = client.post(f"/projectview/edit/{pid}", data=data,
                       environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def _latest(app, **where) -> AuditRecord:
    with app.app_context():
        stmt = select(AuditRecord).order_by(AuditRecord.id.desc())
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditRecord, key) == value)
        record = db.session.scalars(stmt).first()
        db.session.expunge(record)
        return record


# -- reads like a record ---------------------------------------------------------------------
def test_a_change_reads_who_when_what_and_from_where_in_chinese(app, world, login):
    client = login("a_clerk")
    _edit_project(client, world)
    _edit_project(client, world, investment_wan="120", status="COMPLETED")
    record = _latest(app, action="update", model="Project")
    client = login("auditor")
    html = client.get("/auditrecordview/list/?model=Project").get_data(as_text=True)
    # who: name and account; what: a sentence with the screen's labels and displayed values
    assert "测试a_clerk（a_clerk）" in html
    assert "修改了项目 审计测试项目 的 总投资（万元） 100 → 120" in html
    assert "{" not in html.split('id="audit-list"')[1].split("</table>")[0]  # no dict
    assert "10.9.8.7" in html
    # when: Beijing time to the second
    beijing = (record.at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert beijing in html
    show = client.get(f"/auditrecordview/show/{record.id}").get_data(as_text=True)
    assert "总投资（万元）" in show and beijing in show
    with app.app_context():
        status_label = str(db.session.get(Project, world.a.project.id).status)
    assert status_label in show  # the enum's label, not COMPLETED
    assert "COMPLETED" not in show


def test_the_trail_reads_in_english_when_the_ui_is_english(app, world, login):
    client = login("a_clerk")
    _edit_project(client, world, investment_wan="130")
    client = login("auditor")
    client.get("/lang/en")
    html = client.get("/auditrecordview/list/?action=update").get_data(as_text=True)
    assert "Changed Project 审计测试项目: " in html
    assert "Total investment (10k yuan) 1000 → 130" in html


def test_logins_read_as_sentences(app, world, client, login):
    client.post("/login/", data={"username": "a_clerk", "password": "wrong-one"})
    login("a_clerk")
    client = login("auditor")
    html = client.get("/auditrecordview/list/?user=a_clerk").get_data(as_text=True)
    assert "登录失败：密码错误" in html
    assert "登录成功" in html


def test_create_and_delete_name_the_object(app, world):
    with app.app_context():
        project = f.project(db.session.get(Region, world.a.region.id),
                            db.session.get(Applicant, world.a.applicant.id),
                            name="将被删除的项目")
        db.session.commit()
        pid = project.id
        db.session.delete(project)
        db.session.commit()
        rows = db.session.scalars(select(AuditRecord).where(
            AuditRecord.model == "Project", AuditRecord.object_id == str(pid))
            .order_by(AuditRecord.id)).all()
        texts = [audit_text.describe(r).what for r in rows]
    assert texts[0] == "新增了项目 将被删除的项目"
    assert texts[-1] == "删除了项目 将被删除的项目"


def test_old_records_without_a_label_still_read(app):
    record = AuditRecord(id=1, at=dt.datetime(2026, 12, 1, 2, 12, 5), user_id=None,
                         username="zhangsan", ip="10.0.0.1", action="update",
                         model="Project", object_id="7",
                         changes={"investment_wan": ["100", "120"]})
    with app.app_context():
        entry = audit_text.describe(record, person="张三",
                                    labels={"Project": {"investment_wan": "总投资"}})
    assert entry.who == "张三（zhangsan）"
    assert entry.when == "2026-12-01 10:12:05"
    assert entry.what == "修改了项目 #7 的 总投资 100 → 120"
    assert entry.where == "10.0.0.1"


def test_structured_values_read_as_text_not_as_a_python_dict(app):
    """A JSON column (a measure's settings, a step's inputs) reads "key：value" and
    "label：text"; records kept as a repr string before read the same."""
    settings = {"time_limits": {"apply": 2, "review": 3}, "require_land_right": True}
    inputs = [{"name": "units", "label": "报装单位", "text": "供水、供电"}]
    for before, after in ((None, settings), (repr({"time_limits": {"apply": 2}}),
                                               repr(settings))):
        record = AuditRecord(id=2, at=dt.datetime(2026, 12, 1, 2, 12, 5), user_id=None,
                             username="system", ip=None, action="update",
                             model="MeasureSetting", object_id="3",
                             changes={"params": [before, after]})
        with app.app_context():
            what = audit_text.describe(record, labels={"MeasureSetting": {"params": "参数"}}).what
        assert "{'" not in what and "{" not in what, what
        assert "time_limits：apply：2；review：3；require_land_right：是" in what, what
    record = AuditRecord(id=3, at=dt.datetime(2026, 12, 1, 2, 12, 5), user_id=None,
                         username="system", ip=None, action="update", model="WorkflowStep",
                         object_id="4", changes={"fields": [None, inputs]})
    with app.app_context():
        assert "报装单位：供水、供电" in audit_text.describe(record).what


# -- paging and filters ----------------------------------------------------------------------
def _bulk(app, n: int, start: dt.datetime, **values):
    rows = [dict(at=start - dt.timedelta(seconds=i), user_id=None, username="bulk",
                 ip="10.0.0.9", action="login", model="AppUser", object_id=str(i),
                 changes=None) | values for i in range(n)]
    with app.app_context():
        db.session.execute(insert(AuditRecord.__table__), rows)
        db.session.commit()


def test_keyset_pages_neither_skip_nor_repeat_and_the_count_is_capped(app, world, monkeypatch):
    monkeypatch.setattr(audit_list, "COUNT_CAP", 30)
    _bulk(app, 60, dt.datetime(2030, 1, 1), username="pager")
    with app.app_context():
        filters = audit_list.AuditFilter(user="pager")
        seen, cursor = [], None
        while True:
            result = audit_list.page(db.session, filters, before=cursor, size=25,
                                     scope=_auditor_scope(world))
            assert result.count == 30 and result.capped
            seen += [r.id for r, _ in result.rows]
            if not result.next_cursor:
                break
            cursor = result.next_cursor
        assert len(seen) == 60 == len(set(seen))
        # back one page from the last
        back = audit_list.page(db.session, filters, after=result.prev_cursor, size=25,
                               scope=_auditor_scope(world))
        assert [r.id for r, _ in back.rows] == seen[25:50]


def _auditor_scope(world):
    from app.models import AppUser
    from app.security.scope import Scope

    return Scope(db.session.get(AppUser, world.auditor.id))


@pytest.mark.parametrize("args,expect", [
    ("action=logout", "退出登录"),
    ("user=filtered_guy", "filtered_guy"),
    ("since=2031-03-02&until=2031-03-02", "2031-03-02"),
    ("model=WorkOrder&object_id=4242", "工单"),
])
def test_each_filter_finds_its_rows(app, world, login, args, expect):
    _bulk(app, 3, dt.datetime(2031, 3, 1, 20, 0), username="filtered_guy", action="logout")
    _bulk(app, 2, dt.datetime(2031, 3, 1, 20, 0), action="update", model="WorkOrder",
          object_id="4242", changes={"title": ["甲", "乙"]})
    html = login("auditor").get(f"/auditrecordview/list/?{args}").get_data(as_text=True)
    body = html.split('id="audit-list"')[1].split("</table>")[0]
    assert expect in body
    assert body.count("<tr data-action") >= 2


def test_bad_filter_values_are_a_message_not_a_500(world, login):
    client = login("auditor")
    for args in ("since=yesterday", "before=garbage", "after=2026_x", "psize=abc",
                 "action=drop", "model=Nope", "psize=1000000"):
        resp = client.get(f"/auditrecordview/list/?{args}")
        assert resp.status_code == 200, args
    # A NUL character is refused for every page before it reaches a list (app/security/
    # input.py): a 400 with a message, not a 500.
    resp = client.get("/auditrecordview/list/?user=%00x")
    assert resp.status_code == 400 and "NUL" in resp.get_data(as_text=True)


def test_only_the_auditor_reads_the_trail(world, login):
    html = login("sysadmin").get("/auditrecordview/list/").get_data(as_text=True)
    assert "show/" not in html
    assert login("a_admin").get("/auditrecordview/list/").status_code == 403


# -- nobody changes it -------------------------------------------------------------------------
def test_no_route_edits_or_deletes_an_audit_record(app, world, login, api_token, client):
    rid = _latest(app).id
    for user in ("auditor", "sysadmin"):
        c = login(user)
        for method, url in (("get", f"/auditrecordview/edit/{rid}"),
                            ("post", f"/auditrecordview/edit/{rid}"),
                            ("get", f"/auditrecordview/delete/{rid}"),
                            ("post", f"/auditrecordview/delete/{rid}"),
                            ("get", "/auditrecordview/add"),
                            ("post", "/auditrecordview/action_post"),
                            ("put", f"/auditrecordview/show/{rid}"),
                            ("delete", f"/auditrecordview/show/{rid}")):
            status = getattr(c, method)(url).status_code
            assert status in (403, 404, 405), (user, method, url, status)
    headers = api_token("auditor")
    for method in ("put", "delete", "patch"):
        status = getattr(client, method)(f"/api/v1/auditrecord/{rid}", headers=headers,
                                         json={"action": "x"}).status_code
        assert status in (403, 404, 405), (method, status)
    assert _latest(app, id=rid).action != "x"


def test_on_postgresql_an_update_or_delete_of_audit_rows_fails(app, world):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.fail("the append-only trigger is tested on PostgreSQL")
        rid = db.session.scalar(select(AuditRecord.id).limit(1))
        for statement in ("UPDATE audit_record SET action = 'x' WHERE id = :id",
                          "DELETE FROM audit_record WHERE id = :id"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement), {"id": rid})
            db.session.rollback()
        assert db.session.get(AuditRecord, rid).action != "x"


def test_only_the_archive_setting_lets_a_delete_through(app, world):
    with app.app_context():
        rid = db.session.scalar(select(AuditRecord.id).limit(1))
        db.session.execute(text("SET LOCAL app.audit_archive = 'on'"))
        db.session.execute(text("DELETE FROM audit_record WHERE id = :id"), {"id": rid})
        assert db.session.get(AuditRecord, rid) is None
        db.session.rollback()
        # SET LOCAL ended with the transaction: the next one is refused again.
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_record WHERE id = :id"), {"id": rid})
        db.session.rollback()


# -- role changes, exports and downloads (issue 10) ------------------------------------------
def test_role_grants_and_revocations_are_recorded(app, world):
    from app.extensions import appbuilder
    from app.models import AppUser
    from app.security import roles

    with app.test_request_context():
        user = db.session.get(AppUser, world.a.users["clerk"].id)
        role = appbuilder.sm.find_role(roles.DISPATCHER)
        since = db.session.scalar(select(func.max(AuditRecord.id)))
        user.roles.append(role)
        db.session.commit()
        user.roles.remove(role)
        db.session.commit()
        events = db.session.scalars(select(AuditRecord).where(
            AuditRecord.action.in_(("role_grant", "role_revoke")),
            AuditRecord.object_id == str(user.id), AuditRecord.id > since)
            .order_by(AuditRecord.id)).all()
        assert [(e.action, e.changes["role"]) for e in events] == [
            ("role_grant", roles.DISPATCHER), ("role_revoke", roles.DISPATCHER)]
        texts = [audit_text.describe(e).what for e in events]
    assert texts == [f"为 测试a_clerk（a_clerk） 授予了角色 {roles.DISPATCHER}",
                     f"收回了 测试a_clerk（a_clerk） 的角色 {roles.DISPATCHER}"]


def test_an_export_started_and_its_file_downloaded_are_recorded(app, world, login):
    from rq import SimpleWorker

    import tests.jobkinds  # noqa: F401  (the test job kind)
    from workers import user_jobs
    from workers.queues import queue, redis_connection

    with app.test_request_context():
        record = user_jobs.start(db.session, world.a.users["clerk"].id, "test_slow_file",
                                 "测试导出", {"steps": 1})
        job_id = record.id
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
    client = login("a_clerk")
    assert client.get(f"/jobrecordview/file/{job_id}").status_code == 200
    started = _latest(app, action="export", object_id=str(job_id))
    assert started.model == "JobRecord" and started.changes["kind"] == "test_slow_file"
    fetched = _latest(app, action="download", object_id=str(job_id))
    assert fetched.username == "a_clerk" and fetched.changes["file"]
    with app.app_context():
        assert audit_text.describe(started).what == "发起了导出：测试导出"
        assert audit_text.describe(fetched).what.startswith("下载了文件 ")


def test_every_file_leaves_through_the_audited_download():
    """No view sends a file but app/views/downloads.py (which records the download)."""
    import ast
    from pathlib import Path

    views = Path(__file__).resolve().parents[1] / "app" / "views"
    senders = []
    for path in sorted(views.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                    node.func, "attr", "")) in ("send_file", "send_from_directory"):
                senders.append(path.name)
    assert senders == ["downloads.py"]
