"""The process timeline on the project page, derived from the records: 对接需求 (the lead
assistant's assignment), 制定方案 (not reached until the plan's module adds its source),
指导申报 (the first item accepted), 协调办理, 告知结果 (the first result told), 提示评价 (not
reached: ratings are a later issue), 资料归档 — or 终止服务."""
from __future__ import annotations

import datetime as dt
import io

from app.extensions import db
from app.models import Applicant, Project, ProjectAssistant, Region
from app.services import timeline

from . import factories as f

PDF = b"%PDF-1.4\n"


def _project(app, world) -> tuple[int, int]:
    with app.app_context():
        c = world.a
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id))
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True, assigned_on=dt.date(2026, 10, 30)))
        db.session.commit()
        return project.id, project.items[0].id


def _steps(app, pid) -> dict:
    with app.app_context():
        db.session.expire_all()
        project = db.session.get(Project, pid)
        return {m.key: (m.when, m.who) for m in timeline.timeline(db.session, project)}


def test_the_timeline_follows_what_was_recorded(app, world, login):
    pid, item_id = _project(app, world)
    steps = _steps(app, pid)
    assert list(steps) == ["intake", "plan", "declare", "coordinate", "tell", "evaluate",
                           "archive"]
    assert steps["intake"][0] == dt.date(2026, 10, 30) and steps["intake"][1]
    assert all(steps[k][0] is None for k in ("plan", "declare", "coordinate", "tell",
                                             "evaluate", "archive"))

    dept = login("a_dept")
    dept.post(f"/itemactions/{item_id}/accept", data={"on": "2026-11-02"})
    dept.post(f"/itemactions/{item_id}/request_correction", data={"on": "2026-11-03",
                                                                  "note": "补图纸"})
    dept.post(f"/itemactions/{item_id}/correction_arrived", data={"on": "2026-11-04"})
    dept.post(f"/itemactions/{item_id}/finish", data={"on": "2026-11-05", "result": "准予"})
    steps = _steps(app, pid)
    assert steps["declare"][0] == dt.date(2026, 11, 2)
    assert steps["coordinate"][0] == dt.date(2026, 11, 3)
    assert steps["tell"][0] is not None
    with app.app_context():
        from app.models import AppUser
        from app.services.people import person_name

        officer = person_name(db.session.get(AppUser, world.a.users["dept"].id))
    assert steps["declare"][1] == officer and steps["tell"][1] == officer
    assert steps["evaluate"][0] is None and steps["plan"][0] is None

    assistant = login("a_assistant")
    for category in ("PLAN", "LEDGER", "EVALUATION"):
        assistant.post(f"/archive/{pid}/upload", data={
            "category": category, "files": (io.BytesIO(PDF), f"{category}.pdf")},
            content_type="multipart/form-data")
    assistant.post(f"/archive/{pid}/close")
    steps = _steps(app, pid)
    assert steps["archive"][0] is not None
    page = assistant.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert page.count('class="process-step reached"') == 5
    assert "提示评价" in page and "未到达" in page


def test_a_terminated_project_shows_the_termination_step(app, world, login):
    pid, _item = _project(app, world)
    login("a_dispatcher").post(f"/terminate/{pid}", data={
        "reason": "SERIOUS_VIOLATION", "on": "2026-11-10"})
    steps = _steps(app, pid)
    assert list(steps)[-2:] == ["terminate", "archive"]
    assert steps["terminate"][0] == dt.date(2026, 11, 10)


def test_another_module_adds_a_source_with_one_line(app, world):
    pid, _item = _project(app, world)

    def plan_milestones(session, project):
        return {"plan": (dt.date(2026, 11, 1), "帮办员"), "intake": (dt.date(2026, 10, 29),
                                                                   "首次对接")}

    timeline.SOURCES.append(plan_milestones)
    try:
        steps = _steps(app, pid)
    finally:
        timeline.SOURCES.remove(plan_milestones)
    assert steps["plan"] == (dt.date(2026, 11, 1), "帮办员")
    # A later source wins over the fallback (the lead assistant's assignment).
    assert steps["intake"] == (dt.date(2026, 10, 29), "首次对接")


def test_the_enterprise_and_the_other_county_see_no_timeline_of_others(app, world, login):
    pid, _item = _project(app, world)
    assert login("b_assistant").get(f"/projectview/show/{pid}").status_code == 404
    # The company sees its own project and its timeline, without the bureau's buttons.
    text = login("a_company").get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert 'id="process-timeline"' in text and 'id="open-terminate"' not in text
    assert 'id="open-archive"' not in text
    with app.app_context():
        other = db.session.get(Project, world.b.project.id).id
    assert login("a_company").get(f"/projectview/show/{other}").status_code == 404
