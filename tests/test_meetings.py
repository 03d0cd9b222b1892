"""专班 meetings and their 议定事项, told as the users' story: the bureau admin keeps the
county's task-force roster; the dispatcher calls the weekly analysis meeting, ticks who
attended from the roster, lets the data propose the agenda (projects with red cards, items
due within two weeks), writes the minutes and records decisions, each with an owner unit
and a due date; the owner is reminded before it falls due and carded once it is overdue;
the officer of the owner unit reports it done. The meeting pack and the minutes are
exported from the worker, the decisions as the 议定事项台账. Another county sees nothing
(404), the company sees no meeting at all (403: meetings are the bureau's supervision)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from app import clock, ledgers
from app.extensions import db
from app.models import (
    AgendaItem,
    ApprovalItem,
    CardLevel,
    CardSubject,
    CoordinationStatus,
    Decision,
    DecisionStatus,
    ItemStatus,
    JobRecord,
    JobStatus,
    Meeting,
    MeetingKind,
    Notification,
    OrgUnit,
    Project,
    Region,
    TaskForceMember,
    TaskForceRole,
    WarningCard,
)
from app.security import roles
from app.security.scope import Scope
from app.services import meeting_xlsx, meetings, warnings, xlsx
from app.services.decision_cards import raise_decision_cards
from app.services.errors import DomainValidationError
from workers.queues import queue, redis_connection

from . import factories as f

# A fixed week of December 2026 (Mon–Fri working days; no calendar rows in the tests).
MON, TUE, WED, THU, FRI = (dt.date(2026, 12, d) for d in (7, 8, 9, 10, 11))
NEXT_MON = dt.date(2026, 12, 14)


def _user(world, key, county="a"):
    return f.world_user(world, key, county)


@pytest.fixture()
def story(app, world):
    """County a's roster (leader, deputy, the housing bureau as member unit, the office),
    a weekly meeting, and three more projects: one with a red card, one with an item due
    in ten days, one quiet; county b has a roster member and a meeting of its own."""
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        housing = db.session.get(OrgUnit, world.a.department.id)
        office_unit = f.org_unit(region, "甲县政务服务数据管理局")
        leader = TaskForceMember(region=region, role=TaskForceRole.LEADER, person_name="张伟",
                                 title="局长", org_unit=office_unit)
        deputy = TaskForceMember(region=region, role=TaskForceRole.DEPUTY, person_name="李强",
                                 title="副局长", org_unit=housing)
        member = TaskForceMember(region=region, role=TaskForceRole.MEMBER_UNIT, org_unit=housing)
        office = TaskForceMember(region=region, role=TaskForceRole.OFFICE, org_unit=office_unit,
                                 person_name="王芳", title="股长")
        db.session.add_all([leader, deputy, member, office])
        applicant = f.applicant(region, "甲县会议测试有限公司")
        red = f.project(region, applicant, name="红牌项目", code="MTG-RED")
        due = f.project(region, applicant, name="临期项目", code="MTG-DUE")
        quiet = f.project(region, applicant, name="平稳项目", code="MTG-QUIET")
        for p in (red, due, quiet):
            for item in list(p.items):
                db.session.delete(item)
        db.session.flush()
        overdue_item = f.item(red, housing, name="施工许可", status=ItemStatus.ACCEPTED,
                              accepted_on=dt.date(2026, 10, 1), time_limit_days=5)
        db.session.add(WarningCard(subject=CardSubject.ITEM, subject_id=overdue_item.id,
                                   level=CardLevel.RED, project_id=red.id,
                                   org_unit_id=housing.id, title="施工许可 · 红牌项目",
                                   due_on=overdue_item.due_on))
        soon = f.item(due, housing, name="规划许可", status=ItemStatus.ACCEPTED,
                      accepted_on=clock.today(), time_limit_days=0)
        soon.due_on = clock.today() + dt.timedelta(days=10)
        red.problems = "施工许可超期"
        red.next_steps = "住建局加快审查"
        from app.models import ProjectAssistant

        db.session.add(ProjectAssistant(project=red, user_id=world.a.users["assistant"].id,
                                        is_lead=True))
        meeting = Meeting(region=region, kind=MeetingKind.ANALYSIS, title="第49周项目分析会",
                          held_on=clock.today(), location="三楼会议室", chair=leader)
        region_b = db.session.get(Region, world.b.region.id)
        member_b = TaskForceMember(region=region_b, role=TaskForceRole.MEMBER_UNIT,
                                   org_unit_id=world.b.department.id)
        meeting_b = Meeting(region=region_b, kind=MeetingKind.PROGRESS, title="乙县推进会",
                            held_on=clock.today())
        db.session.add_all([meeting, member_b, meeting_b])
        db.session.commit()
        return SimpleNamespace(
            region_id=region.id, housing_id=housing.id, office_unit_id=office_unit.id,
            leader_id=leader.id, deputy_id=deputy.id, member_id=member.id, office_id=office.id,
            red_id=red.id, due_id=due.id, quiet_id=quiet.id, meeting_id=meeting.id,
            member_b_id=member_b.id, meeting_b_id=meeting_b.id, soon_due=soon.due_on)


def _decide(app, story, today=None, project="red", due_on=None, content="住建局5个工作日内完成施工许可审查"):
    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        project_row = db.session.get(Project, getattr(story, f"{project}_id")) if project else None
        if project_row is not None and project_row.id not in {a.project_id for a in meeting.agenda}:
            meetings.add_to_agenda(db.session, meeting, [project_row])
        d = meetings.record_decision(db.session, meeting, content,
                                     db.session.get(OrgUnit, story.housing_id),
                                     due_on or THU, today or MON, project_row)
        db.session.commit()
        return d.id


# -- the roster ----------------------------------------------------------------------------------
def test_the_bureau_admin_keeps_the_roster_and_bad_entries_are_refused_next_to_the_field(
        app, world, story, login):
    client = login("a_admin")
    resp = client.get("/taskforcememberview/list/")
    assert resp.status_code == 200 and "张伟" in resp.get_data(as_text=True)
    # A leader without a name: refused next to the name, the position typed is kept.
    resp = client.post("/taskforcememberview/add", data={
        "region": story.region_id, "role": "LEADER", "person_name": "", "title": "常务副组长",
        "seq": "1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "组长和副组长是具体人员" in body or "leader and deputy" in body.lower()
    assert "常务副组长" in body
    # A member unit of county b is not a unit of county a.
    resp = client.post("/taskforcememberview/add", data={
        "region": story.region_id, "role": "MEMBER_UNIT", "org_unit": world.b.department.id,
        "seq": "2"})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TaskForceMember).where(
            TaskForceMember.region_id == story.region_id)) == 4
    resp = client.post("/taskforcememberview/add", data={
        "region": story.region_id, "role": "MEMBER_UNIT", "org_unit": world.a.utility.id,
        "person_name": "赵六", "phone": "0750-1234567", "seq": "3"}, follow_redirects=False)
    assert resp.status_code == 302
    with app.app_context():
        added = db.session.scalars(select(TaskForceMember).where(
            TaskForceMember.org_unit_id == world.a.utility.id)).one()
        assert added.person_name == "赵六" and added.role == TaskForceRole.MEMBER_UNIT


def test_the_roster_api_refuses_with_field_messages(app, world, story, client, api_token):
    headers = api_token("a_dispatcher")
    resp = client.post("/api/v1/task_force_member/", headers=headers, json={
        "region": story.region_id, "role": "成员单位"})
    assert resp.status_code == 422 and "org_unit" in resp.json["message"]
    resp = client.get(f"/api/v1/task_force_member/{story.member_b_id}", headers=headers)
    assert resp.status_code == 404


# -- the meeting ----------------------------------------------------------------------------
def test_a_meeting_is_held_from_the_screens(app, world, story, login):
    client = login("a_dispatcher")
    # Bad input: no title, a chair from county b's roster; what was typed stays.
    resp = client.post("/meetingview/add", data={
        "region": story.region_id, "kind": "PROGRESS", "title": " ",
        "held_on": clock.today().isoformat(), "location": "二楼大会议室",
        "chair": story.member_b_id})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "二楼大会议室" in body
    resp = client.post("/meetingview/add", data={
        "region": story.region_id, "kind": "PROGRESS", "title": "12月推进会",
        "held_on": clock.today().isoformat(), "location": "二楼大会议室",
        "chair": story.leader_id})
    assert resp.status_code == 302
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).where(Meeting.title == "12月推进会")).one()
        assert meeting.created_by_id == world.a.users["dispatcher"].id
        meeting_id = meeting.id
    # Attendees from the roster; one of county b's is refused next to the list.
    resp = client.post(f"/meetingview/attendees/{meeting_id}", data={
        "members": [story.deputy_id, story.member_b_id]})
    assert resp.status_code == 422
    assert "field-error" in resp.get_data(as_text=True)
    resp = client.post(f"/meetingview/attendees/{meeting_id}", data={
        "members": [story.deputy_id, story.member_id, story.office_id]})
    assert resp.status_code == 302
    # The agenda proposed from the data: the red card and the item due soon, not the quiet one.
    page = client.get(f"/meetingview/agenda/{meeting_id}").get_data(as_text=True)
    assert "红牌项目" in page and "临期项目" in page and "平稳项目" not in page
    resp = client.post(f"/meetingview/agenda/{meeting_id}", data={
        "projects": [story.red_id, story.due_id]})
    assert resp.status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert [a.project_id for a in meeting.agenda] == [story.red_id, story.due_id]
        assert "红牌" in meeting.agenda[0].reason or "red card" in meeting.agenda[0].reason
        assert {a.member_id for a in meeting.attendees} == {story.deputy_id, story.member_id,
                                                              story.office_id}
    # Minutes.
    resp = client.post(f"/meetingview/edit/{meeting_id}", data={
        "region": story.region_id, "kind": "PROGRESS", "title": "12月推进会",
        "held_on": clock.today().isoformat(), "location": "二楼大会议室",
        "chair": story.leader_id, "minutes": "会议听取了红牌项目的汇报。"})
    assert resp.status_code == 302
    # A decision without an owner, and one due in the past: refused next to the field,
    # the decision's text kept.
    url = f"/meetingdecisionsview/add?_flt_0_meeting={meeting_id}"
    resp = client.post(url, data={"meeting": meeting_id, "project": story.red_id,
                                  "content": "加快施工许可审查", "owner_unit": "",
                                  "due_on": (clock.today() + dt.timedelta(days=7)).isoformat()})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "加快施工许可审查" in body
    assert "责任单位" in body and "field-error" in body or "help-block" in body
    resp = client.post(url, data={"meeting": meeting_id, "project": story.red_id,
                                  "content": "加快施工许可审查", "owner_unit": story.housing_id,
                                  "due_on": (clock.today() - dt.timedelta(days=1)).isoformat()})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "加快施工许可审查" in body and "已过" in body
    # A project not on the agenda.
    resp = client.post(url, data={"meeting": meeting_id, "project": story.quiet_id,
                                  "content": "平稳推进", "owner_unit": story.housing_id,
                                  "due_on": (clock.today() + dt.timedelta(days=7)).isoformat()})
    assert resp.status_code == 200 and "议程" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Decision).where(
            Decision.meeting_id == meeting_id)) == 0
    resp = client.post(url, data={"meeting": meeting_id, "project": story.red_id,
                                  "content": "加快施工许可审查", "owner_unit": story.housing_id,
                                  "due_on": (clock.today() + dt.timedelta(days=7)).isoformat()})
    assert resp.status_code == 302
    with app.app_context():
        d = db.session.scalars(select(Decision).where(Decision.meeting_id == meeting_id)).one()
        assert d.owner_unit_id == story.housing_id and d.status == DecisionStatus.OPEN
        told = set(db.session.scalars(select(Notification.user_id).where(
            Notification.event_key == f"decision:{d.id}:new")))
        assert told == {world.a.users["dept"].id, world.a.users["assistant"].id}
        decision_id = d.id
    page = client.get(f"/meetingview/show/{meeting_id}").get_data(as_text=True)
    assert "加快施工许可审查" in page and "会议听取了红牌项目的汇报" in page
    # The decision on the project's page.
    tab = client.get(f"/projectview/show/{story.red_id}").get_data(as_text=True)
    assert "ProjectDecisionsView" in tab and "加快施工许可审查" in tab
    # The officer of the owner unit reports it done.
    officer = login("a_dept")
    resp = officer.post(f"/decisionview/complete/{decision_id}",
                        data={"close_note": "已于12月9日核发施工许可证"})
    assert resp.status_code == 302
    with app.app_context():
        d = db.session.get(Decision, decision_id)
        assert d.status == DecisionStatus.DONE and d.closed_by_id == world.a.users["dept"].id
        assert d.close_note == "已于12月9日核发施工许可证" and d.closed_at is not None


def test_decisions_over_the_api_with_the_same_rules(app, world, story, client, api_token):
    headers = api_token("a_dispatcher")
    with app.app_context():
        meetings.add_to_agenda(db.session, db.session.get(Meeting, story.meeting_id),
                               [db.session.get(Project, story.red_id)])
        db.session.commit()
    later = (clock.today() + dt.timedelta(days=5)).isoformat()
    resp = client.post("/api/v1/decision/", headers=headers, json={
        "meeting": story.meeting_id, "content": "协调供电接入", "due_on": later})
    assert resp.status_code == 422 and "owner_unit" in resp.json["message"]
    resp = client.post("/api/v1/decision/", headers=headers, json={
        "meeting": story.meeting_id, "content": "协调供电接入", "owner_unit": story.housing_id,
        "due_on": "2020-01-02"})
    assert resp.status_code == 422 and "due_on" in resp.json["message"]
    resp = client.post("/api/v1/decision/", headers=headers, json={
        "meeting": story.meeting_id, "content": "协调供电接入", "owner_unit": story.housing_id,
        "due_on": later, "project": story.quiet_id})
    assert resp.status_code == 422 and "project" in resp.json["message"]
    resp = client.post("/api/v1/decision/", headers=headers, json={
        "meeting": story.meeting_id, "content": "协调供电接入", "owner_unit": story.housing_id,
        "due_on": later, "project": story.red_id})
    assert resp.status_code == 201, resp.json
    decision_id = resp.json["id"]
    # Cancelling needs a reason; an assistant may not close it; the dispatcher may.
    resp = client.post(f"/api/v1/decision/{decision_id}/cancel", headers=headers, json={})
    assert resp.status_code == 422 and "close_note" in resp.json["message"]
    resp = client.post(f"/api/v1/decision/{decision_id}/complete",
                       headers=api_token("a_assistant"), json={})
    assert resp.status_code == 403
    resp = client.post(f"/api/v1/decision/{decision_id}/cancel", headers=headers,
                       json={"note": "已由企业自行解决"})
    assert resp.status_code == 200 and resp.json["status"] == "CANCELLED"
    resp = client.post(f"/api/v1/decision/{decision_id}/complete", headers=headers, json={})
    assert resp.status_code == 422 and "status" in resp.json["message"]
    # The meeting's own actions: attendees and the agenda.
    resp = client.post(f"/api/v1/meeting/{story.meeting_id}/attendees", headers=headers,
                       json={"members": [story.member_b_id]})
    assert resp.status_code == 422  # county b's member is out of scope
    resp = client.post(f"/api/v1/meeting/{story.meeting_id}/attendees", headers=headers,
                       json={"members": [story.leader_id, story.member_id]})
    assert resp.status_code == 200 and set(resp.json["members"]) == {story.leader_id,
                                                                       story.member_id}
    resp = client.get(f"/api/v1/meeting/{story.meeting_id}/agenda_proposal", headers=headers)
    assert resp.status_code == 200
    assert [p["project_id"] for p in resp.json["result"]] == [story.due_id]
    resp = client.post(f"/api/v1/meeting/{story.meeting_id}/agenda", headers=headers,
                       json={"projects": [story.due_id]})
    assert resp.status_code == 200
    assert [a["project_id"] for a in resp.json["agenda"]] == [story.red_id, story.due_id]


def test_a_department_officer_of_another_unit_cannot_close_the_decision(app, world, story):
    decision_id = _decide(app, story)
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        other = f.org_unit(region, "甲县消防救援大队")
        officer = f.user("a_dept_fire", [roles.DEPARTMENT], region_=region, org_unit_=other)
        with pytest.raises(DomainValidationError) as err:
            meetings.complete_decision(db.session, db.session.get(Decision, decision_id),
                                       officer)
        assert "status" in err.value.errors
        # Nor does it see the decision at all.
        from app.security.scope import get_in_scope

        assert get_in_scope(db.session, Decision, decision_id, Scope(officer)) is None
        own = _user(world, "dept")
        assert get_in_scope(db.session, Decision, decision_id, Scope(own)) is not None


# -- scope ---------------------------------------------------------------------------------
def test_another_county_sees_nothing_and_the_company_no_meeting(app, world, story, login,
                                                                 client, api_token):
    decision_id = _decide(app, story)
    b = login("b_dispatcher")
    for url in (f"/meetingview/show/{story.meeting_id}", f"/decisionview/show/{decision_id}",
                f"/meetingview/agenda/{story.meeting_id}",
                f"/taskforcememberview/show/{story.leader_id}"):
        assert b.get(url).status_code == 404, url
    assert "第49周项目分析会" not in b.get("/meetingview/list/").get_data(as_text=True)
    headers = api_token("b_dispatcher")
    assert client.get(f"/api/v1/meeting/{story.meeting_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/decision/{decision_id}/complete", headers=headers,
                       json={}).status_code == 404
    company = login("a_company")
    assert company.get("/meetingview/list/").status_code in (302, 403)
    assert company.get(f"/decisionview/show/{decision_id}").status_code in (302, 403)
    tab = company.get(f"/projectview/show/{world.a.project.id}").get_data(as_text=True)
    assert "ProjectDecisionsView" not in tab
    headers = api_token("a_company")
    assert client.get("/api/v1/decision/", headers=headers).status_code == 403
    with app.app_context():
        company_user = _user(world, "company")
        scope = Scope(company_user)
        for model in (Meeting, Decision, TaskForceMember, AgendaItem):
            assert db.session.scalar(select(func.count()).select_from(model).where(
                scope.condition(model))) == 0


# -- reminders and cards over working days ----------------------------------------------------
def _events(decision_id, kind):
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.event_key.like(f"decision:{decision_id}:{kind}:%"))))


def test_a_decision_is_reminded_before_it_falls_due_and_carded_once_overdue(app, world, story):
    decision_id = _decide(app, story, today=MON, due_on=THU)
    officer, assistant = world.a.users["dept"].id, world.a.users["assistant"].id
    with app.app_context():
        # Monday: three working days ahead (the region warns 2 days ahead): nothing yet.
        raise_decision_cards(db.session, MON)
        assert _events(decision_id, "remind") == set()
        # Tuesday: two working days ahead: the owner unit and the project's assistant.
        ids, cleared, sent = raise_decision_cards(db.session, TUE)
        assert ids == [] and sent == 2
        assert _events(decision_id, "remind") == {officer, assistant}
        # A second run the same day sends nothing twice.
        assert raise_decision_cards(db.session, TUE)[2] == 0
        # Thursday, the due day: not overdue.
        assert raise_decision_cards(db.session, THU)[0] == []
        db.session.commit()
        # Friday, through the daily scan: a red card on the project, for the owner unit.
        result = warnings.scan(db.session, FRI)
        db.session.commit()
        assert result.raised[(CardSubject.DECISION.name, CardLevel.RED.name)] == 1
        card = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.DECISION,
            WarningCard.subject_id == decision_id)).one()
        assert card.level == CardLevel.RED and card.project_id == story.red_id
        assert card.org_unit_id == story.housing_id and card.cleared_at is None
        assert _events(decision_id, "overdue") == {officer}
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.event_key.like(f"card:{card.id}:%"),
            Notification.user_id == assistant)) == 1
        # Rerun: raised once.
        assert warnings.scan(db.session, FRI).raised[
            (CardSubject.DECISION.name, CardLevel.RED.name)] == 0
        # Done: the card goes at once.
        meetings.complete_decision(db.session, db.session.get(Decision, decision_id),
                                   _user(world, "dept"), "已办结")
        db.session.commit()
        assert db.session.get(WarningCard, card.id).cleared_at is not None
        assert raise_decision_cards(db.session, NEXT_MON)[0] == []


def test_a_weekend_does_not_count_and_a_general_decision_tells_the_dispatchers(app, world,
                                                                                story):
    # Due Friday; Saturday and Sunday are not working days: overdue only on Monday.
    decision_id = _decide(app, story, today=MON, due_on=FRI, project=None,
                          content="各成员单位每周五报送审批进度")
    with app.app_context():
        for day in (FRI, dt.date(2026, 12, 12), dt.date(2026, 12, 13)):
            raise_decision_cards(db.session, day)
            assert _events(decision_id, "overdue") == set(), day
        ids, _cleared, _sent = raise_decision_cards(db.session, NEXT_MON)
        assert ids == []  # no project: no card
        assert _events(decision_id, "overdue") == {world.a.users["dept"].id,
                                                   world.a.users["dispatcher"].id}


# -- the agenda proposal --------------------------------------------------------------------
def test_the_agenda_sources_propose_red_cards_and_items_due_within_two_weeks(app, world, story):
    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        today = clock.today()
        assert set(meetings.red_card_source(db.session, meeting, today)) == {story.red_id}
        assert set(meetings.items_due_source(db.session, meeting, today)) == {story.due_id}
        # Fifteen days away is beyond the horizon.
        item = db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == story.due_id)).one()
        item.due_on = today + dt.timedelta(days=15)
        db.session.flush()
        assert meetings.items_due_source(db.session, meeting, today) == {}
        # County b's red card is not county a's business.
        b_project = db.session.get(Project, world.b.project.id)
        db.session.add(WarningCard(subject=CardSubject.ITEM, subject_id=b_project.items[0].id,
                                   level=CardLevel.RED, project_id=b_project.id,
                                   title="乙县红牌"))
        db.session.flush()
        proposals = meetings.propose_agenda(db.session, meeting, today)
        assert [p.project.id for p in proposals] == [story.red_id]
        # A source added by another area joins the proposal, and what is on the agenda
        # is not proposed again.
        extra = lambda s, m, t: {story.quiet_id: "协调事项 1 件"}  # noqa: E731
        meetings.add_to_agenda(db.session, meeting, [db.session.get(Project, story.red_id)])
        proposals = meetings.propose_agenda(db.session, meeting, today,
                                            sources=[*meetings.AGENDA_SOURCES, extra])
        assert [(p.project.id, p.reasons) for p in proposals] == [
            (story.quiet_id, ["协调事项 1 件"])]
        with pytest.raises(DomainValidationError) as err:
            meetings.add_to_agenda(db.session, meeting, [b_project])
        assert "projects" in err.value.errors
        db.session.rollback()


# -- the exports -----------------------------------------------------------------------------
def _fill_meeting(app, story):
    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        meetings.set_attendees(db.session, meeting, [
            db.session.get(TaskForceMember, i) for i in (story.deputy_id, story.member_id)])
        meetings.add_to_agenda(db.session, meeting, [
            db.session.get(Project, story.red_id), db.session.get(Project, story.due_id)],
            {story.red_id: "红牌 1 张"})
        meeting.minutes = "=会议要求各单位加快办理。"
        db.session.commit()
    return _decide(app, story, today=clock.today(),
                   due_on=clock.today() + dt.timedelta(days=30))


def test_the_meeting_pack_lists_the_agenda_projects_and_prints_on_a3(app, world, story, tmp_path):
    _fill_meeting(app, story)
    out = tmp_path / "pack.xlsx"
    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        assert meeting_xlsx.write_pack(db.session, meeting, Scope(_user(world, "dispatcher")),
                                       out, clock.today()) == 2
    assert xlsx.fits_page([c.width for c in meeting_xlsx.PACK_COLUMNS])
    ws = openpyxl.load_workbook(out)["会议材料"]
    assert ws["A1"].value == "甲县项目分析会：第49周项目分析会会议材料"
    assert "参会人员：李强 副局长" in ws["A2"].value and "主持：" in ws["A2"].value
    headers = [ws.cell(4, c).value or ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    col = {h: i for i, h in enumerate(headers)}
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=ws.max_row)]
    assert [r[col["项目代码"]] for r in rows] == ["MTG-RED", "MTG-DUE"]
    red, due = rows
    assert red[col["上会原因"]] == "红牌 1 张" and red[col["在办事项"]] == 1
    assert "红牌·审批事项：施工许可 · 红牌项目" in red[col["红黄牌预警"]]
    assert red[col["待落实议定事项"]].startswith("住建局5个工作日内完成施工许可审查（甲县住房和城乡建设局，")
    assert red[col["存在问题"]] == "施工许可超期" and red[col["下步计划"]] == "住建局加快审查"
    assert red[col["待协调事项"]] is None  # no coordination request on it
    assert f"规划许可（{story.soon_due.isoformat()}到期）" == due[col["两周内到期事项"]]
    assert due[col["红黄牌预警"]] is None
    assert ws.cell(5, 1).fill.fgColor.rgb.endswith(xlsx.FILL_RED[1:])
    # Printing: A3 landscape, one page wide, the header rows on every page, 10 pt text.
    assert ws.page_setup.paperSize == 8 and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$4"
    assert all(ws.cell(r, c).font.sz >= xlsx.MIN_PRINTED_PT
               for r in range(3, ws.max_row + 1) for c in range(1, len(headers) + 1))
    # Another county's dispatcher would get no row of county a.
    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        assert meeting_xlsx.pack_rows(db.session, meeting, Scope(_user(world, "dispatcher", "b")),
                                      clock.today()) == []


def test_the_minutes_with_decisions_are_exported_from_the_worker(app, world, story, login):
    decision_id = _fill_meeting(app, story)
    client = login("a_dispatcher")
    resp = client.post(f"/meetingview/minutes_export/{story.meeting_id}")
    assert resp.status_code == 302 and "/jobrecordview/list" in resp.headers["Location"]
    resp = client.post(f"/meetingview/pack/{story.meeting_id}")
    assert resp.status_code == 302
    with app.app_context():
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        records = {r.kind: r for r in db.session.scalars(select(JobRecord).where(
            JobRecord.user_id == world.a.users["dispatcher"].id))}
        minutes, pack = records["meeting_minutes"], records["meeting_pack"]
        assert minutes.status == JobStatus.FINISHED, minutes.error
        assert pack.status == JobStatus.FINISHED, pack.error
        path = Path(minutes.result_path)
        minutes_id = minutes.id
    assert client.get(f"/jobrecordview/file/{minutes_id}").data[:2] == b"PK"
    ws = openpyxl.load_workbook(path)["会议纪要"]
    cells = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 10)}
    assert ws["A1"].value == "甲县项目分析会：第49周项目分析会会议纪要"
    assert cells["会议类型"] == "项目分析会" and cells["会议地点"] == "三楼会议室"
    assert cells["主持人"] == "甲县政务服务数据管理局 张伟 局长"
    assert cells["参会人员"] == "李强 副局长" and cells["参会单位"] == "甲县住房和城乡建设局"
    assert cells["会议纪要"] == "=会议要求各单位加快办理。"  # text, never a formula
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "序号")
    row = [ws.cell(header + 1, c).value for c in range(1, 8)]
    assert row[1:6] == ["红牌项目", "住建局5个工作日内完成施工许可审查", "甲县住房和城乡建设局",
                        (clock.today() + dt.timedelta(days=30)).isoformat(), "待落实"]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert decision_id
    # A job for another county's meeting fails: the job checks the scope.
    from workers import user_jobs

    with app.app_context():
        job = user_jobs.start(db.session, world.b.users["dispatcher"].id, "meeting_pack", "x",
                              {"meeting_id": story.meeting_id}).id
        SimpleWorker([queue(n) for n in app.config["RQ_QUEUES"]],
                     connection=redis_connection()).work(burst=True)
        row = db.session.get(JobRecord, job)
        assert row.status == JobStatus.FAILED and "没有这个会议" in row.error


def test_the_decision_ledger(app, world, story, tmp_path):
    _decide(app, story, today=MON, due_on=TUE, content="超期事项")
    _decide(app, story, today=MON, due_on=dt.date(2027, 3, 1), content="远期事项")
    out = tmp_path / "decisions.xlsx"
    with app.app_context():
        rows = ledgers.build(db.session, "decisions", Scope(_user(world, "dispatcher")), {}, out,
                             as_of=THU)
        assert rows == 2
        b_rows = ledgers.count_rows(db.session, "decisions",
                                    Scope(_user(world, "dispatcher", "b")), {})
        assert b_rows == 0
        assert ledgers.count_rows(db.session, "decisions", Scope(_user(world, "dispatcher")),
                                  {"content__ct": "远期"}) == 1
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value.startswith("甲县议定事项台账（截至2026年12月10日）")
    headers = [ws.cell(4, c).value or ws.cell(3, c).value for c in range(1, ws.max_column + 1)]
    col = {h: i for i, h in enumerate(headers)}
    data = [[c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=ws.max_row)]
    overdue, later = data
    assert overdue[col["议定事项"]] == "超期事项" and overdue[col["超期工作日"]] == 2
    assert overdue[col["落实状态"]] == "待落实" and overdue[col["责任单位"]] == "甲县住房和城乡建设局"
    assert later[col["剩余工作日"]] > 50 and later[col["超期工作日"]] is None
    assert ws.cell(5, 1).fill.fgColor.rgb.endswith(xlsx.FILL_RED[1:])
    assert ws.page_setup.paperSize == 8 and ws.print_title_rows == "$3:$4"
    from app.ledgers import decisions as decision_ledger

    assert xlsx.fits_page([c.width for c in decision_ledger.COLUMNS])


def test_odd_api_input_is_refused_with_a_message_never_a_server_error(app, world, story, client,
                                                                      api_token):
    headers = api_token("a_dispatcher")
    base = f"/api/v1/meeting/{story.meeting_id}"
    for body in ({"members": ["x", None, 99999999999]}, {"members": "x"}, [], {"members": [{}]}):
        resp = client.post(f"{base}/attendees", headers=headers, json=body)
        assert resp.status_code == 422, (body, resp.status_code)
    for body in ({"projects": "x"}, {"projects": [None]}, {"projects": []}, "x"):
        resp = client.post(f"{base}/agenda", headers=headers, json=body)
        assert resp.status_code == 422, (body, resp.status_code)
    resp = client.post("/api/v1/decision/", headers=headers, json={
        "meeting": story.meeting_id, "content": "x", "owner_unit": story.housing_id,
        "due_on": "not a date"})
    assert resp.status_code in (400, 422) and "due_on" in resp.get_data(as_text=True)
    decision_id = _decide(app, story, today=clock.today(),
                          due_on=clock.today() + dt.timedelta(days=3))
    resp = client.post(f"/api/v1/decision/{decision_id}/complete", headers=headers,
                       json={"note": 123})
    assert resp.status_code == 200  # a note that is not text is dropped, the step is taken
    resp = client.post(f"/api/v1/decision/{decision_id}/cancel", headers=headers, data="x")
    assert resp.status_code == 422


def test_decisions_are_not_deleted_nor_the_meeting_that_made_them(app, world, story, login):
    decision_id = _decide(app, story)
    client = login("a_dispatcher")
    assert client.post(f"/decisionview/delete/{decision_id}").status_code == 404
    resp = client.post(f"/meetingview/delete/{story.meeting_id}", follow_redirects=True)
    assert "该会议已有议定事项" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Meeting, story.meeting_id) is not None
        assert db.session.get(Decision, decision_id) is not None


def test_open_coordination_requests_join_the_agenda_and_the_pack(app, world, story, tmp_path):
    """The coordination area's sources: a request open at the meeting's level proposes its
    project, and the pack's 待协调事项 column lists it; a resolved one does neither."""
    from app.services import coordination

    with app.app_context():
        meeting = db.session.get(Meeting, story.meeting_id)
        quiet = db.session.get(Project, story.quiet_id)
        request = coordination.raise_request(
            db.session, quiet, _user(world, "assistant"), title="用地指标协调",
            problem="用地指标不足", category="OTHER", requested_outcome="调剂指标",
            owner_unit_ids=[world.a.department.id], days=5)
        db.session.flush()
        assert request.region_id == meeting.region_id
        proposals = {p.project.id: p.reasons for p in
                     meetings.propose_agenda(db.session, meeting, clock.today())}
        assert story.quiet_id in proposals
        assert any("coordination" in r or "协调" in r for r in proposals[story.quiet_id])
        meetings.add_to_agenda(db.session, meeting, [quiet])
        db.session.commit()
        rows = meeting_xlsx.pack_rows(db.session, meeting, Scope(_user(world, "dispatcher")),
                                      clock.today())
        row = next(r for r in rows if r.code == quiet.code)
        assert row.requests.startswith("用地指标协调（县")
        assert request.due_on.isoformat() in row.requests
        request.status = CoordinationStatus.RESOLVED
        db.session.flush()
        assert story.quiet_id not in meetings.coordination_source(db.session, meeting,
                                                                   clock.today())
        row = next(r for r in meeting_xlsx.pack_rows(
            db.session, meeting, Scope(_user(world, "dispatcher")), clock.today())
            if r.code == quiet.code)
        assert row.requests == ""
        db.session.rollback()
