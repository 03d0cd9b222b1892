"""对接需求: a project on the list without a lead assistant is flagged to the dispatcher — in
its own list, and by a red card after its region's N working days — and an assistant has
their own view 我的项目 beside the county-wide list."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Applicant,
    ApprovalItem,
    CardLevel,
    CardSubject,
    ItemStatus,
    Notification,
    Project,
    ProjectAssistant,
    Region,
    WarningCard,
)
from app.services import warnings

from . import factories as f

ENTERED = dt.datetime(2026, 11, 2, 2, 0)  # Monday 10:00 in Beijing


def _project(world, county="a", name="待配帮办员项目", lead=False) -> int:
    c = getattr(world, county)
    project = f.project(db.session.get(Region, c.region.id),
                        db.session.get(Applicant, c.applicant.id), name=name)
    project.created_at = ENTERED
    if lead:
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True))
    db.session.commit()
    return project.id


def _cards(pid):
    db.session.expire_all()
    return list(db.session.scalars(select(WarningCard).where(
        WarningCard.subject == CardSubject.INTAKE, WarningCard.subject_id == pid)))


def test_a_project_without_a_lead_assistant_gets_a_card_after_n_working_days(app, world):
    with app.app_context():
        pid = _project(world)
        assisted = _project(world, name="已配帮办员项目", lead=True)
        # N = 3 (the default): Mon + 3 working days = Thursday.
        warnings.scan(db.session, dt.date(2026, 11, 4))
        db.session.commit()
        assert _cards(pid) == []
        result = warnings.scan(db.session, dt.date(2026, 11, 5))
        db.session.commit()
        cards = _cards(pid)
        assert [(c.level, c.due_on, c.cleared_at) for c in cards] == [
            (CardLevel.RED, dt.date(2026, 11, 5), None)]
        assert result.raised[(CardSubject.INTAKE.name, CardLevel.RED.name)] == 1
        assert _cards(assisted) == []
        # The county's dispatcher is told; the other county's is not.
        notices = db.session.scalars(select(Notification).where(
            Notification.event_key.like(f"card:{cards[0].id}:%"))).all()
        users = {n.user_id for n in notices}
        assert world.a.users["dispatcher"].id in users
        assert world.b.users["dispatcher"].id not in users
        # A lead assistant assigned: the next scan clears the card.
        db.session.add(ProjectAssistant(project_id=pid, user_id=world.a.users["assistant"].id,
                                        is_lead=True, assigned_on=dt.date(2026, 11, 6)))
        db.session.commit()
        warnings.scan(db.session, dt.date(2026, 11, 6))
        db.session.commit()
        assert _cards(pid)[0].cleared_at is not None


def test_the_regions_n_decides_when(app, world):
    with app.app_context():
        db.session.get(Region, world.a.region.id).intake_days = 6
        pid = _project(world)
        warnings.scan(db.session, dt.date(2026, 11, 9))  # 5 working days later
        db.session.commit()
        assert _cards(pid) == []
        warnings.scan(db.session, dt.date(2026, 11, 10))
        db.session.commit()
        assert len(_cards(pid)) == 1


def test_the_dispatchers_list_of_projects_without_a_lead(app, world, login):
    with app.app_context():
        _project(world, name="甲县待配项目")
        _project(world, name="甲县已配项目", lead=True)
        _project(world, "b", name="乙县待配项目")
    text = login("a_dispatcher").get("/projectswithoutleadview/list/").get_data(as_text=True)
    assert "甲县待配项目" in text
    assert "甲县已配项目" not in text and "乙县待配项目" not in text
    # The world's own project has its lead: not listed.
    assert "甲县重点项目" not in text
    assert login("a_company").get("/projectswithoutleadview/list/").status_code in (200, 302)


def test_my_projects_shows_what_is_due_and_waiting_on_the_assistant(app, world, login):
    with app.app_context():
        pid = _project(world, name="我的帮办项目", lead=True)
        item = db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == pid)).first()
        item.status, item.accepted_on = ItemStatus.ACCEPTED, dt.date(2026, 11, 2)
        f.item(db.session.get(Project, pid), item.department, name="已办结待告知事项",
               status=ItemStatus.FINISHED, accepted_on=dt.date(2026, 11, 2),
               finished_on=dt.date(2026, 11, 3))
        _project(world, "b", name="乙县别人的项目", lead=True)
        db.session.commit()
        due = db.session.get(ApprovalItem, item.id).due_on
    text = login("a_assistant").get("/myprojects/").get_data(as_text=True)
    assert "我的帮办项目" in text and "乙县别人的项目" not in text
    assert due.isoformat() in text
    assert "已办结待告知事项：待告知企业结果" in text
    # Another county's assistant does not see it.
    text = login("b_assistant").get("/myprojects/").get_data(as_text=True)
    assert "我的帮办项目" not in text and "乙县别人的项目" in text
