"""协调推进 and 三级联动, told as the users' story: an assistant raises a request on a project
for a county department; the department sees it under 待我单位答复 and replies; the
assistant resolves it, or reopens it. Requests start at the level covering every region
involved (a town's unit: the town; two counties' units: the city), climb one level at a
time with a reason, need the 分管领导's sign-off where the region asks for it, and stop
at the city leader, who gets the 重大项目服务专报 (a Word document from the worker). An
overdue request raises a red card and climbs by itself. Bad input is refused next to its
field with nothing saved; another county and a company that is not an owner see nothing."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import docx
import openpyxl
import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from app import clock, ledgers
from app.extensions import db
from app.models import (
    AppUser,
    CardLevel,
    CardSubject,
    CoordinationLevel,
    CoordinationOwner,
    CoordinationRequest,
    CoordinationStatus,
    JobRecord,
    JobStatus,
    Notification,
    OrgUnit,
    Project,
    Region,
    RegionLeader,
    RegionLevel,
    WarningCard,
)
from app.security import roles
from app.security.scope import Scope
from app.services import calendar, warnings
from app.services import coordination as coord
from app.services.errors import DomainValidationError
from workers.queues import queue, redis_connection

from . import factories as f

PROBLEM = "项目用地范围内有一处10千伏线路需迁改，供电公司迟迟未出具迁改方案，影响桩基施工。"


def _user(world, key, county="a") -> AppUser:
    return f.world_user(world, key, county)


def _raise(world, owners, county="a", user="assistant", **kw) -> int:
    """A request on the county's world project, raised by its ``user`` (committed)."""
    c = getattr(world, county)
    values = dict(title="线路迁改方案未出具", problem=PROBLEM, category="FACTOR_SUPPLY",
                  requested_outcome="5个工作日内出具迁改方案并明确施工时间", days=3)
    values.update(kw)
    req = coord.raise_request(db.session, db.session.get(Project, c.project.id),
                              _user(world, user, county), owner_unit_ids=owners, **values)
    db.session.commit()
    return req.id


def _get(request_id) -> CoordinationRequest:
    db.session.expire_all()
    return db.session.get(CoordinationRequest, request_id)


def _actions(request_id) -> list[str]:
    return [s.action for s in _get(request_id).steps]


@pytest.fixture()
def api(client):
    """The API's client: the test client, as in the other tests (one client, one app
    context: a second client would share the first one's ``g``)."""
    return client


@pytest.fixture()
def token(client, api_token):
    """token(username): bearer headers for that user, the client signed out of the screens
    first (a session cookie would win over the token)."""
    def _token(username: str) -> dict:
        client.get("/logout/")
        return api_token(username)

    return _token


@pytest.fixture()
def city_people(app, world):
    """A city dispatcher, a city department, county a's 分管领导 (its bureau admin) and the
    city's (a city bureau admin)."""
    with app.app_context():
        city = db.session.get(Region, world.city.id)
        unit = f.org_unit(city, "测试市自然资源和规划局")
        dispatcher = f.user("city_dispatcher", [roles.DISPATCHER], region_=city)
        city_leader = f.user("city_leader", [roles.BUREAU_ADMIN], region_=city)
        db.session.add_all([
            RegionLeader(region_id=world.a.region.id, user_id=world.a.users["admin"].id,
                         title="分管副县长"),
            RegionLeader(region_id=city.id, user_id=city_leader.id, title="分管副市长")])
        db.session.commit()
        return SimpleNamespace(unit_id=unit.id, dispatcher_id=dispatcher.id,
                               leader_id=city_leader.id)


# -- the story ----------------------------------------------------------------------------
def test_raise_reply_resolve_reopen_through_the_screen_and_the_api(app, world, api, login,
                                                                  token):
    client = login("a_assistant")
    page = client.get(f"/coordinationrequestview/add?_flt_0_project={world.a.project.id}")
    assert page.status_code == 200 and "甲县重点项目" in page.get_data(as_text=True)
    resp = client.post("/coordinationrequestview/add", data={
        "project": world.a.project.id, "title": "线路迁改方案未出具", "category": "FACTOR_SUPPLY",
        "problem": PROBLEM, "owner_units": [world.a.department.id, world.a.utility.id],
        "requested_outcome": "尽快出具迁改方案", "days": "3"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        req = db.session.scalars(select(CoordinationRequest)).one()
        rid = req.id
        # The project is in a town of county a, both units are county a's: the county.
        assert (req.level, req.region_id) == (CoordinationLevel.COUNTY, world.a.region.id)
        assert req.due_on == calendar.add_working_days(clock.today(), 3)
        assert req.status is CoordinationStatus.OPEN
        assert req.raised_by_id == world.a.users["assistant"].id
        assert sorted(o.org_unit_id for o in req.owners) == sorted(
            [world.a.department.id, world.a.utility.id])
        # The department's officers are told.
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == world.a.users["dept"].id,
            Notification.event_key == f"coord:{rid}:raise")) == 1

    # 待我单位答复: the department sees it waiting on it; then replies on the screen.
    dept = login("a_dept")
    waiting = dept.get("/awaitingmyunitview/list/").get_data(as_text=True)
    assert "线路迁改方案未出具" in waiting
    show = dept.get(f"/coordinationrequestview/show/{rid}").get_data(as_text=True)
    assert 'id="coordination-reply"' in show
    resp = dept.post(f"/coordinationrequestview/reply/{rid}",
                     data={"reply": "已协调供电公司，方案3日内出具"})
    assert resp.status_code == 302
    assert "线路迁改方案未出具" not in dept.get("/awaitingmyunitview/list/").get_data(
        as_text=True)
    with app.app_context():
        # The utility has not answered yet: still waiting.
        assert _get(rid).status is CoordinationStatus.OPEN
        utility_officer = f.user("a_dept_power", [roles.DEPARTMENT],
                                 region_=db.session.get(Region, world.a.region.id),
                                 org_unit_=db.session.get(OrgUnit, world.a.utility.id))
        coord.reply(db.session, rid, db.session.get(AppUser, utility_officer.id),
                    "迁改方案已出具，下周施工")
        db.session.commit()
        assert _get(rid).status is CoordinationStatus.REPLIED

    # The assistant resolves over the API, then reopens: the owners must answer again.
    headers = token("a_assistant")
    resp = api.post(f"/api/v1/coordination_request/{rid}/resolve",
                       json={"comment": "问题已解决"}, headers=headers)
    assert resp.status_code == 200 and resp.json["status"] == "RESOLVED"
    resp = api.post(f"/api/v1/coordination_request/{rid}/reopen", json={}, headers=headers)
    assert resp.status_code == 422 and "reason" in resp.json["message"]
    resp = api.post(f"/api/v1/coordination_request/{rid}/reopen",
                       json={"reason": "施工单位反映线路仍未迁改"}, headers=headers)
    assert resp.status_code == 200 and resp.json["status"] == "OPEN"
    with app.app_context():
        req = _get(rid)
        assert all(o.replied_at is None for o in req.owners)
        assert _actions(rid) == ["raise", "reply", "reply", "resolve", "reopen"]
        assert [s.username for s in req.steps][:2] == ["a_assistant", "a_dept"]
    # The project page has the requests tab.
    page = login("a_assistant").get(f"/projectview/show/{world.a.project.id}").get_data(as_text=True)
    assert "ProjectCoordinationView" in page


def test_a_request_raised_over_the_api(app, world, api, client, token):
    headers = token("a_dispatcher")
    resp = api.post("/api/v1/coordination_request/", headers=headers, json={
        "project": world.a.project.id, "title": "规划条件需调整", "problem": "容积率与规划不符",
        "category": "APPROVAL_BLOCKER", "requested_outcome": "明确调整口径",
        "owner_units": [world.a.department.id], "enterprise_owner": True, "days": 2})
    assert resp.status_code == 201, resp.json
    assert resp.json["level"] == "COUNTY"
    got = api.get(f"/api/v1/coordination_request/{resp.json['id']}", headers=headers)
    assert got.status_code == 200, got.get_data(as_text=True)
    assert got.json["result"]["title"] == "规划条件需调整"
    assert len(got.json["result"]["owners"]) == 2


# -- bad input ----------------------------------------------------------------------------
def test_no_owner_and_no_deadline_are_refused_next_to_the_field_keeping_the_text(
        app, world, api, login, client, token):
    page = login("a_assistant").post("/coordinationrequestview/add", data={
        "project": world.a.project.id, "title": "待定事项", "category": "POLICY",
        "problem": "我写了很长的问题描述", "requested_outcome": "请答复", "days": "0"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="help-block field-error"') == 2
    owners_block = html.split('id="field-owner_units"')[1].split('id="field-enterprise_owner"')[0]
    assert "请至少指定一个责任单位" in owners_block
    days_block = html.split('id="field-days"')[1]
    assert "至少为一个工作日" in days_block
    assert "我写了很长的问题描述" in html and "待定事项" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoordinationRequest)) == 0

    headers = token("a_assistant")
    resp = api.post("/api/v1/coordination_request/", headers=headers, json={
        "project": world.a.project.id, "title": "x", "problem": "y", "category": "POLICY",
        "requested_outcome": "z", "owner_units": [], "days": -2})
    assert resp.status_code == 422
    assert set(resp.json["message"]) == {"owner_units", "days"}
    # Another county's project is not a valid choice.
    resp = api.post("/api/v1/coordination_request/", headers=headers, json={
        "project": world.b.project.id, "title": "x", "problem": "y", "category": "POLICY",
        "requested_outcome": "z", "owner_units": [world.a.department.id], "days": 2})
    assert resp.status_code == 422 and "project" in resp.json["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoordinationRequest)) == 0


def test_only_an_owner_unit_replies(app, world, api, login, client, token):
    with app.app_context():
        rid = _raise(world, [world.a.department.id])
        region = db.session.get(Region, world.a.region.id)
        other = f.org_unit(region, "甲县生态环境局")
        f.user("a_dept_env", [roles.DEPARTMENT], region_=region, org_unit_=other)
        db.session.commit()
    # The other department of the county does not even see it …
    resp = api.post(f"/api/v1/coordination_request/{rid}/reply", json={"reply": "收到"},
                       headers=token("a_dept_env"))
    assert resp.status_code == 404
    # … and staff who see it but are no owner are refused next to the reply.
    with app.app_context():
        with pytest.raises(DomainValidationError) as err:
            coord.reply(db.session, rid, _user(world, "dispatcher"), "我来答复")
        assert "reply" in err.value.errors and "责任单位" in err.value.errors["reply"]
        db.session.rollback()
    resp = api.post(f"/api/v1/coordination_request/{rid}/reply", json={"reply": ""},
                       headers=token("a_dept"))
    assert resp.status_code == 422 and "reply" in resp.json["message"]
    # On the screen a refused reply comes back with the message next to the field.
    dept = login("a_dept")
    with app.app_context():
        coord.resolve(db.session, rid, _user(world, "assistant"))
        db.session.commit()
    page = dept.post(f"/coordinationrequestview/reply/{rid}", data={"reply": "迟到的答复"})
    assert page.status_code == 422
    assert "不在等待答复" in page.get_data(as_text=True)


# -- scope --------------------------------------------------------------------------------
def test_another_county_and_a_company_that_is_no_owner_see_nothing(app, world, api, login,
                                                                  client, token):
    with app.app_context():
        rid = _raise(world, [world.a.department.id])
        with_company = _raise(world, [world.a.department.id], enterprise_owner=True,
                              title="企业需补充材料")
        coord.reply(db.session, with_company, _user(world, "dept"), "住建局内部意见：暂缓")
        db.session.commit()
    for user in ("b_dispatcher", "b_dept", "b_assistant"):
        c = login(user)
        assert c.get(f"/coordinationrequestview/show/{rid}").status_code == 404
        assert "线路迁改" not in c.get("/coordinationrequestview/list/").get_data(as_text=True)
        resp = api.get(f"/api/v1/coordination_request/{rid}", headers=token(user))
        assert resp.status_code == 404
    company = login("a_company")
    assert company.get(f"/coordinationrequestview/show/{rid}").status_code == 404
    listing = company.get("/coordinationrequestview/list/").get_data(as_text=True)
    assert "企业需补充材料" in listing and "线路迁改" not in listing
    # It reads what it must answer, not the bureau's history or the units' replies.
    page = company.get(f"/coordinationrequestview/show/{with_company}").get_data(as_text=True)
    assert PROBLEM in page and 'id="coordination-reply"' in page
    assert "住建局内部意见" not in page and 'id="coordination-steps"' not in page
    assert "甲县住房和城乡建设局" not in page
    body = api.get(f"/api/v1/coordination_request/{with_company}",
                   headers=token("a_company")).json["result"]
    assert body["title"] == "企业需补充材料" and "steps" not in body and "owners" not in body
    # The company, named as an owner of its own project, answers it.
    resp = api.post(f"/api/v1/coordination_request/{with_company}/reply",
                       json={"reply": "材料明日补齐"}, headers=token("a_company"))
    assert resp.status_code == 200 and resp.json["status"] == "REPLIED"  # both answered
    # It cannot escalate (no permission at all).
    resp = api.post(f"/api/v1/coordination_request/{with_company}/escalate",
                       json={"reason": "x"}, headers=token("a_company"))
    assert resp.status_code == 403


# -- the levels ---------------------------------------------------------------------------
def test_a_town_request_climbs_with_the_sign_off_the_county_requires(app, world, api, client,
                                                                    token, city_people):
    with app.app_context():
        town = db.session.get(Region, world.a.town.id)
        station = f.org_unit(town, "甲县第一镇便民服务中心")
        db.session.get(Region, world.a.region.id).escalation_signoff = True
        db.session.commit()
        rid = _raise(world, [station.id])
        req = _get(rid)
        assert (req.level, req.region_id) == (CoordinationLevel.TOWN, world.a.town.id)
    dispatcher = token("a_dispatcher")
    url = f"/api/v1/coordination_request/{rid}/escalate"
    resp = client.post(url, json={}, headers=dispatcher)
    assert resp.status_code == 422 and "reason" in resp.json["message"]
    # The town needs no sign-off: up to the county.
    resp = client.post(url, json={"reason": "镇级无法协调"}, headers=dispatcher)
    assert resp.status_code == 200 and resp.json["level"] == "COUNTY"
    # The county requires its 分管领导's sign-off first.
    resp = client.post(url, json={"reason": "县级协调未果"}, headers=dispatcher)
    assert resp.status_code == 422 and "signoff" in resp.json["message"]
    assert "分管领导" in resp.json["message"]["signoff"]
    # Only the county's leader signs off (a dispatcher may not).
    resp = api.post(f"/api/v1/coordination_request/{rid}/signoff", json={},
                       headers=dispatcher)
    assert resp.status_code == 422 and "signoff" in resp.json["message"]
    resp = api.post(f"/api/v1/coordination_request/{rid}/signoff",
                       json={"comment": "同意上报"}, headers=token("a_admin"))
    assert resp.status_code == 200
    resp = client.post(url, json={"reason": "县级协调未果"}, headers=dispatcher)
    assert resp.status_code == 200 and resp.json["level"] == "CITY"
    assert resp.json["region"] == world.city.id
    # At the city the county's dispatcher is no longer in charge; the city's is.
    resp = client.post(url, json={"reason": "再升级"}, headers=dispatcher)
    assert resp.status_code == 422
    city = token("city_dispatcher")
    resp = client.post(url, json={"reason": "需市领导协调"}, headers=city)
    assert resp.status_code == 422 and "leader_ask" in resp.json["message"]
    resp = client.post(url, json={"reason": "需市领导协调",
                                  "leader_ask": "请市领导协调供电公司加快迁改"}, headers=city)
    assert resp.status_code == 200 and resp.json["level"] == "LEADER"
    # Beyond the city leader there is nothing.
    resp = client.post(url, json={"reason": "还要再升"}, headers=city)
    assert resp.status_code == 422 and "level" in resp.json["message"]
    with app.app_context():
        req = _get(rid)
        assert req.escalation_count == 3 and req.leader_ask == "请市领导协调供电公司加快迁改"
        assert _actions(rid) == ["raise", "escalate", "signoff", "escalate", "escalate"]
        assert [s.level for s in req.steps][-1] is CoordinationLevel.LEADER
        # The city leader is told.
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == city_people.leader_id,
            Notification.event_key.like(f"coord:{rid}:escalate:%"))) == 1
        # The meeting agenda's query: what the city handles now.
        city_region = db.session.get(Region, world.city.id)
        assert [r.id for r in coord.open_requests_at_level(
            db.session, city_region, CoordinationLevel.LEADER)] == [rid]
        assert coord.open_requests_at_level(db.session, city_region,
                                            CoordinationLevel.CITY) == []


def test_escalation_refused_on_the_screen_comes_back_next_to_the_form(app, world, login):
    with app.app_context():
        db.session.get(Region, world.a.region.id).escalation_signoff = True
        db.session.commit()
        rid = _raise(world, [world.a.department.id])
    client = login("a_dispatcher")
    page = client.get(f"/coordinationrequestview/show/{rid}").get_data(as_text=True)
    assert 'id="signoff-needed"' in page
    resp = client.post(f"/coordinationrequestview/escalate/{rid}",
                       data={"reason": "我写的升级理由"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    panel = html.split('id="coordination-escalate"')[1]
    assert "分管领导" in panel.split("</form>")[0] and "我写的升级理由" in panel
    with app.app_context():
        assert _get(rid).level is CoordinationLevel.COUNTY


def test_a_request_across_two_counties_starts_at_the_city(app, world, api, login, client,
                                                         token, city_people):
    with app.app_context():
        rid = _raise(world, [world.a.department.id, world.b.department.id])
        req = _get(rid)
        assert (req.level, req.region_id) == (CoordinationLevel.CITY, world.city.id)
        # The meeting query of the city.
        assert [r.id for r in coord.open_requests_at_level(
            db.session, db.session.get(Region, world.city.id))] == [rid]
    # County b's department is an owner: it sees and answers it; county b's dispatcher sees
    # the request waiting on its unit.
    resp = api.post(f"/api/v1/coordination_request/{rid}/reply",
                       json={"reply": "乙县住建局已安排"}, headers=token("b_dept"))
    assert resp.status_code == 200
    assert login("b_dispatcher").get(f"/coordinationrequestview/show/{rid}").status_code == 200
    # The city's dispatcher filters the list by owner unit.
    city = login("city_dispatcher")
    assert "线路迁改" in city.get(
        f"/coordinationrequestview/list/?owner={world.b.department.id}").get_data(as_text=True)
    assert "线路迁改" not in city.get(
        f"/coordinationrequestview/list/?owner={world.a.utility.id}").get_data(as_text=True)
    with app.app_context():
        town = db.session.get(Region, world.a.town.id)
        assert coord.common_region([town, db.session.get(Region, world.b.region.id)]).id \
            == world.city.id
        assert coord.common_region([town, db.session.get(Region, world.a.region.id)]).id \
            == world.a.region.id


# -- overdue ------------------------------------------------------------------------------
def test_an_overdue_request_raises_a_red_card_and_climbs(app, world, city_people):
    with app.app_context():
        long_ago = dt.date(2026, 11, 2)
        rid = _raise(world, [world.a.department.id], days=1, today=long_ago)
        assert _get(rid).due_on == dt.date(2026, 11, 3)
        warnings.scan(db.session)
        db.session.commit()
        card = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.COORDINATION,
            WarningCard.subject_id == rid)).one()
        assert card.level is CardLevel.RED and card.cleared_at is None
        assert card.project_id == world.a.project.id and "线路迁改方案未出具" in card.title
        # The daily job moves it up to the city with a new deadline; the card clears.
        assert coord.escalate_overdue(db.session) == [rid]
        db.session.commit()
        req = _get(rid)
        assert req.level is CoordinationLevel.CITY and req.due_on > clock.today()
        assert "自动升级" in req.steps[-1].comment and req.steps[-1].user_id is None
        assert coord.escalate_overdue(db.session) == []  # twice changes nothing
        warnings.scan(db.session)
        db.session.commit()
        db.session.refresh(card)
        assert card.cleared_at is not None


def test_an_overdue_request_waits_for_the_sign_off_the_county_requires(app, world,
                                                                       city_people):
    with app.app_context():
        db.session.get(Region, world.a.region.id).escalation_signoff = True
        db.session.commit()
        rid = _raise(world, [world.a.department.id], days=1, today=dt.date(2026, 11, 2))
        assert coord.escalate_overdue(db.session) == []
        db.session.commit()
        assert _get(rid).level is CoordinationLevel.COUNTY
        asked = db.session.scalars(select(Notification).where(
            Notification.user_id == world.a.users["admin"].id,
            Notification.event_key.like(f"coord:{rid}:signoff-needed:%"))).all()
        assert len(asked) == 1 and "签字" in asked[0].body


# -- the 专报 and the ledger --------------------------------------------------------------
def _work_off(app):
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)


def test_the_service_report_is_a_word_document_for_the_city_leader(app, world, login,
                                                                   monkeypatch, tmp_path,
                                                                   city_people):
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    with app.app_context():
        redis_connection().flushdb()  # the Redis the tests were given (TEST_REDIS_URL)
        rid = _raise(world, [world.a.department.id, world.b.department.id])
        other = _raise(world, [world.a.department.id], title="规划条件需调整")
        coord.reply(db.session, rid, _user(world, "dept"), "甲县住建局已对接")
        coord.escalate(db.session, rid, db.session.get(AppUser, city_people.dispatcher_id),
                       "两县协调未果", "请市领导召集两县及供电公司专题协调")
        db.session.commit()
    client = login("city_dispatcher")
    resp = client.post("/coordinationrequestview/action_post",
                       data={"action": "print_report", "rowid": [rid, other]})
    assert resp.status_code == 302 and "/jobrecordview/list" in resp.headers["Location"]
    _work_off(app)
    with app.app_context():
        record = db.session.scalars(select(JobRecord).order_by(JobRecord.id.desc())).first()
        assert record.kind == "coordination_report" and record.status is JobStatus.FINISHED, \
            record.error
        assert record.result_name.startswith("重大项目服务专报-") and \
            record.result_name.endswith(".docx")
        record_id = record.id
    download = client.get(f"/jobrecordview/file/{record_id}")
    assert download.status_code == 200
    path = tmp_path / "report.docx"
    path.write_bytes(download.data)
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.startswith("重大项目服务专报")
    assert "共 2 项" in text
    assert "一、甲县重点项目：线路迁改方案未出具" in text
    assert "二、甲县重点项目：规划条件需调整" in text
    assert PROBLEM in text
    assert "（三）协调经过" in text
    assert "甲县住建局已对接" in text and "两县协调未果" in text
    assert "请市领导召集两县及供电公司专题协调" in text
    assert "（尚未提请市领导协调）" in text  # the second was not escalated to the leader
    cells = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cells["当前层级"] == "市领导"
    assert cells["责任单位"] == "甲县住房和城乡建设局、乙县住房和城乡建设局"
    # Another county's dispatcher cannot have it written.
    b = login("b_dispatcher")
    assert b.post(f"/coordinationrequestview/report/{other}").status_code == 404


def test_the_ledger_lists_the_requests_in_scope(app, world, tmp_path):
    with app.app_context():
        rid = _raise(world, [world.a.department.id, world.a.utility.id])
        _raise(world, [world.b.department.id], county="b", title="乙县事项")
        coord.reply(db.session, rid, _user(world, "dept"), "已对接供电公司")
        db.session.commit()
        out = tmp_path / "coordination.xlsx"
        rows = ledgers.build(db.session, "coordination", Scope(_user(world, "dispatcher")),
                             {}, out)
        assert rows == 1
        ws = openpyxl.load_workbook(out).active
        assert ws["A1"].value.startswith("甲县协调事项台账")
        # Grouped headers: the column's name is on the second header row, or on the first
        # where it has no group (merged over both).
        header = [low.value or high.value for high, low in zip(ws[3], ws[4], strict=True)]
        row = [c.value for c in ws[ledgers.HEADER_ROWS + 1]]
        data = dict(zip(header, row, strict=True))
        assert data["协调事项"] == "线路迁改方案未出具" and data["问题类别"] == "要素保障"
        assert data["当前层级"] == "县（市、区）级" and data["状态"] == "待答复"
        assert data["责任单位及答复"] == "甲县住房和城乡建设局：已对接供电公司\n甲县供电公司：（待答复）"
        assert data["存在问题"] == PROBLEM
        assert "ledger_coordination" in __import__("workers.kinds").kinds.all_kinds()


def test_the_dispatchers_list_shows_level_age_and_lateness(app, world, login):
    with app.app_context():
        _raise(world, [world.a.department.id], days=1, today=dt.date(2026, 11, 2))
    html = login("a_dispatcher").get("/coordinationrequestview/list/").get_data(as_text=True)
    assert "app-badge-blue" in html  # 县级
    assert "app-badge-orange" in html  # 待答复
    assert "2026-11-03" in html and "app-badge-red" in html  # late
    assert "coordination-age" in html and "owner-filter" in html


def test_unit_choices_cover_the_city_and_a_request_starts_at_its_lowest_level(app, world):
    with app.app_context():
        names = {u.name for u in coord.owner_unit_choices(db.session, _user(world, "assistant"))}
        assert {"甲县住房和城乡建设局", "乙县住房和城乡建设局", "甲县供电公司"} <= names
        assert coord.level_of(db.session.get(Region, world.city.id)) is CoordinationLevel.CITY
        assert RegionLevel.TOWN in coord.LEVEL_OF_REGION
        assert db.session.scalar(select(func.count()).select_from(CoordinationOwner)) == 0
