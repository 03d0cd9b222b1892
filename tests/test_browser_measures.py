"""Browser journeys of the innovation measures (创新举措), in headless Chromium against the
live app (only 127.0.0.1 reachable; see tests/test_browser.py):

1. a bureau admin (a_admin) enables 桩基先行 (pile_first) for county a, changes a time
   limit and lets 帮办员 record the review's outcome (by default the 住建 department's
   role) on /measures/pile_first/; an assistant (a_assistant) starts it on a county-a
   project from the project's 创新举措 tab and clicks the available actions until the
   pile-foundation permit is issued (state pile_permit_issued, 桩基施工许可已核发);
2. the same journey with a low-code measure of county a (runs without any plugin);
3. a_admin enables 并联审批，容缺后补 (parallel_gaps) for county a, choosing the lead
   department (county a's 住建局, a_dept's unit) and the stage run in parallel (工程建设许可);
   a_assistant starts it on a fresh county-a project, a_dept (the lead department) launches
   it, then records 容缺受理 on one item through the action's fields — refused while the
   commitment box is not ticked (what was typed stays in the form), done once ticked — and
   then 容缺材料已补齐, which puts the item back to 已受理 with its gap fields cleared.

Screenshots go to tmp_path and /tmp/e2e_measures/.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

import tests.test_workflow_screens as _wf  # noqa: F401  (registers the workflow screens)
from app import clock
from app.extensions import db
from app.models import ApprovalItem, MeasureSetting, OrgUnit, WorkflowInstance
from app.models.enums import ItemStatus
from tests import factories as f
from tests.test_browser import PASSWORD, _open_tab, browser_page, e2e_server  # noqa: F401

expect = pytest.importorskip("playwright.sync_api").expect

SHOTS = Path("/tmp/e2e_measures")
AVOID = ("退回",)  # never send a step back: the journey goes forward


def _shooter(page, tmp_path: Path, prefix: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(name: str) -> Path:
        path = tmp_path / f"{prefix}_{next(counter):02d}_{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / path.name)
        return path

    return shot


def _login(page, url, username):
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    expect(page.locator(".navbar")).to_contain_text(username)


def _configure(page, url, key, state, days, shot, grant=(), choose=()):
    """As the signed-in bureau admin: enable ``key`` for the own county, set one time
    limit, give the roles of ``grant`` ((action, role key) pairs) those actions, and set
    the parameters of ``choose`` ((name, value) pairs: a select's option, or one more
    ticked box of a units/multichoice parameter)."""
    page.goto(f"{url}/measures/{key}/")
    form = page.locator("#measure-form")
    expect(form).to_be_visible()
    shot("measure_settings_before")
    form.locator("input[name=enabled]").check()
    form.locator(f"input[name='param:time_limits.{state}']").fill(str(days))
    for action, role in grant:
        form.locator(f"input[name='param:roles.{action}'][value='{role}']").check()
    for name, value in choose:
        select = form.locator(f"select[name='param:{name}']")
        if select.count():
            select.select_option(value)
        else:
            form.locator(f"input[name='param:{name}'][value='{value}']").check()
    form.locator("[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_have_count(0)
    page.goto(f"{url}/measures/{key}/")
    expect(page.locator("#measure-form input[name=enabled]")).to_be_checked()
    expect(page.locator(f"#measure-form input[name='param:time_limits.{state}']")
           ).to_have_value(str(days))
    for action, role in grant:
        expect(page.locator(f"#measure-form input[name='param:roles.{action}'][value='{role}']")
               ).to_be_checked()
    for name, value in choose:
        select = page.locator(f"#measure-form select[name='param:{name}']")
        if select.count():
            expect(select).to_have_value(value)
        else:
            expect(page.locator(f"#measure-form input[name='param:{name}'][value='{value}']")
                   ).to_be_checked()
    shot("measure_settings_saved")


def _start_from_project(page, url, project_id, key, shot):
    page.goto(f"{url}/projectview/show/{project_id}")
    pane = _open_tab(page, "创新举措")
    shot("project_tab_before")
    pane.locator(f"a[href*='/projectworkflowsview/add?_flt_0_project={project_id}']").click()
    page.wait_for_url("**/projectworkflowsview/add*")
    page.select_option("#measure", key)
    shot("start_form")
    page.locator("#start-measure").click()
    page.wait_for_url(re.compile(r".*/projectworkflowsview/show/\d+"))
    expect(page.locator(".alert-success")).to_be_visible()
    return int(re.search(r"/show/(\d+)", page.url).group(1))


def _run_until(page, state: str, label: str, shot, max_steps: int = 12,
               stop_when_stuck: bool = False) -> list[str]:
    """Click the enabled action buttons, first one first, until the instance shows
    ``state``; fails, saying where it stuck and why, when no button is left."""
    clicked: list[str] = []
    tried_guarded: set[str] = set()
    for n in range(max_steps):
        box = page.locator("#workflow-instance")
        states = (box.get_attribute("data-states") or "").split()
        if state in states:
            expect(page.locator("#current-states")).to_contain_text(label)
            return clicked
        rows = [r for r in page.locator(".wf-action-row").all()
                if not any(a in r.locator("button").inner_text() for a in AVOID)
                and r.locator("button").get_attribute("data-action") not in tried_guarded]
        # Actions whose conditions hold first; else one whose reasons say what to note
        # in the comment (“…”), noted, with a file attached (a commitment letter).
        ready = [r for r in rows if r.locator("button").get_attribute("data-guarded") == "0"]
        notes: list[str] = []
        if not ready:
            for r in rows:
                reasons = r.locator(".wf-reasons").inner_text()
                notes = re.findall(r"注明“([^”]+)”", reasons)
                if notes:
                    ready = [r]
                    tried_guarded.add(r.locator("button").get_attribute("data-action"))
                    break
        if not ready and stop_when_stuck:
            return clicked
        if not ready:
            shot(f"stuck_{n}")
            pytest.fail(f"stuck before “{label}” ({state}) in states {states} after "
                        f"{clicked}: no action this user can take; shown: "
                        f"{page.locator('.wf-action-row').all_inner_texts() or '(none)'}")
        button = ready[0].locator("button")
        text = button.inner_text().strip()
        page.fill("#comment", "；".join([f"第{n + 1}步：{text}", *notes]))
        if notes:
            page.set_input_files("#attachments", files=[{
                "name": "承诺书.pdf", "mimeType": "application/pdf",
                "buffer": "%PDF-1.7\n申请人书面承诺书（测试）".encode()}])
        buttons = [button]
        buttons[0].click()
        page.wait_for_load_state()
        errors = page.locator(".alert-danger").all_inner_texts()
        if errors:
            shot(f"refused_{n + 1}")
            pytest.fail(f"“{text}” refused in states {states}: {errors}")
        clicked.append(text)
        shot(f"after_{n + 1}")
    pytest.fail(f"“{label}” not reached after {max_steps} actions: {clicked}")


def _check_page(browser_page):
    assert browser_page.outside == [], f"requests to the internet: {browser_page.outside}"
    assert browser_page.js_errors == [], f"JavaScript errors: {browser_page.js_errors}"
    assert browser_page.bad_responses == [], f"failed requests: {browser_page.bad_responses}"


def test_admin_enables_pile_first_and_assistant_runs_it_to_the_pile_permit(
        app, world, browser_page, tmp_path):
    from app.plugins import manager_of

    with app.app_context():
        spec = manager_of().measure("pile_first")
    assert spec is not None, ("the 桩基先行 plugin (app/plugins/pile_first, key pile_first) "
                              "is not installed: this journey cannot run")
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path, "pile")
    _login(page, url, "a_admin")
    state = next(s["name"] for s in spec.definition["states"] if s.get("time_limit_days"))
    _configure(page, url, "pile_first", state, 4, shot, grant=[("approve", "assistant")])

    _login(page, url, "a_assistant")
    iid = _start_from_project(page, url, world.a.project.id, "pile_first", shot)
    expect(page.locator("#workflow-diagram svg")).to_be_visible()
    shot("instance_started")
    clicked = _run_until(page, "pile_permit_issued", "桩基施工许可已核发", shot)
    expect(page.locator("#workflow-timeline")).to_contain_text(clicked[-1])
    shot("pile_permit_issued")
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        assert "pile_permit_issued" in {t["state"] for t in inst.tokens.values()}
        assert (inst.params or {}).get("time_limits", {}).get(state) == 4
        assert "assistant" in inst.params["roles"]["approve"]
        # Every step of the journey was the assistant's.
        assert {s.username for s in inst.steps} == {"a_assistant"}
        assert [s.action for s in inst.steps] == ["start", "submit", "approve"]
    _check_page(browser_page)


@pytest.fixture()
def lowcode_key(app, world):
    """County a's low-code measure, defined but not enabled: the admin enables it on screen."""
    yield from f.enabled_lowcode_measure(app, world, "e2e", "本地快办测试", _wf.local_definition,
                                         enable=False)


def test_admin_enables_a_low_code_measure_and_assistant_runs_it(
        app, world, browser_page, tmp_path, lowcode_key):
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path, "lowcode")
    _login(page, url, "a_admin")
    _configure(page, url, lowcode_key, "review", 7, shot)

    _login(page, url, "a_assistant")
    iid = _start_from_project(page, url, world.a.project.id, lowcode_key, shot)
    expect(page.locator("#workflow-diagram svg")).to_be_visible()
    # The guarded action is marked, with its reason; tried anyway it is refused in Chinese.
    expect(page.locator("button.wf-action[data-action=fast_track]")).to_have_attribute(
        "data-guarded", "1")
    expect(page.locator("#workflow-actions")).to_contain_text("未注册")
    shot("instance_started")
    page.fill("#comment", "试一下直接办结")
    page.locator("button.wf-action[data-action=fast_track]").click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_contain_text("条件“wui.never_registered”未注册")
    expect(page.locator("#comment")).to_have_value("试一下直接办结")
    expect(page.locator("#workflow-instance")).to_have_attribute("data-states", "apply")
    shot("refused_guard")
    clicked = _run_until(page, "done", "快办完成", shot)
    assert clicked[:2] == ["提交申请", "分送核验"], clicked
    assert any("自然资源" in c for c in clicked) and any("规划）" in c for c in clicked)
    expect(page.locator("#workflow-instance")).to_have_attribute("data-status", "COMPLETED")
    timeline = page.locator("#workflow-timeline")
    for text in ("启动", "提交申请", "第1步：提交申请", "分送核验", "全部通过", "a_assistant"):
        expect(timeline).to_contain_text(text)
    shot("completed")
    # Back on the project page the tab lists it as completed.
    page.goto(f"{url}/projectview/show/{world.a.project.id}")
    pane = _open_tab(page, "创新举措")
    expect(pane).to_contain_text("本地快办测试")
    expect(pane).to_contain_text("已完成")
    shot("project_tab_after")
    with app.app_context():
        inst = db.session.get(WorkflowInstance, iid)
        assert inst.params["time_limits"]["review"] == 7
    _check_page(browser_page)


# -- 3. 并联审批，容缺后补 -------------------------------------------------------------------

GAPS = "parallel_gaps"
GAPS_STAGE = "engineering"  # 工程建设许可: not the measure's default stage (施工许可)


def _submit(page, button):
    """Press an action button and wait for the page the server answers with (the
    instance page again after a redirect, or re-rendered after a refusal)."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


@pytest.fixture()
def gaps_project(app, world):
    """A fresh county-a project (county a's assistant its lead) with two 未开始 items of
    the 工程建设许可 stage handled by county a's 住建局, besides the county's template item
    (施工许可 stage). Afterwards county a's own setting of 并联审批 is put back as it was."""
    with app.app_context():
        region_id = world.a.region.id
        before = db.session.scalars(select(MeasureSetting).where(
            MeasureSetting.measure_key == GAPS, MeasureSetting.region_id == region_id)).first()
        saved = None if before is None else (before.enabled, copy.deepcopy(before.params))
        project = f.assisted_project(world)
        unit = db.session.get(OrgUnit, world.a.department.id)
        suffix = project.code[-4:]
        items = []
        for name in ("建设工程规划许可证核发", "施工图审查合格书备案"):
            item = f.item(project, unit, name=f"{name}{suffix}", status=ItemStatus.NOT_STARTED,
                          time_limit_days=5)
            item.stage = f.stage(GAPS_STAGE)
            items.append(item)
        db.session.commit()
        other = db.session.scalars(select(ApprovalItem).where(
            ApprovalItem.project_id == project.id, ApprovalItem.template_id.is_not(None))).one()
        assert other.stage.code != GAPS_STAGE and other.status == ItemStatus.NOT_STARTED
        data = SimpleNamespace(project_id=project.id, item_ids=[i.id for i in items],
                               item_names=[i.name for i in items], other_id=other.id)
    yield data
    with app.app_context():
        row = db.session.scalars(select(MeasureSetting).where(
            MeasureSetting.measure_key == GAPS, MeasureSetting.region_id == region_id)).first()
        if saved is None:
            if row is not None:
                db.session.delete(row)
        else:
            if row is None:
                row = MeasureSetting(measure_key=GAPS, region_id=region_id)
                db.session.add(row)
            row.enabled, row.params = saved
        db.session.commit()


def test_admin_enables_parallel_gaps_and_the_lead_department_accepts_an_item_with_gaps(
        app, world, browser_page, tmp_path, gaps_project):
    from app.plugins import manager_of

    with app.app_context():
        spec = manager_of().measure(GAPS)
    assert spec is not None, ("the 并联审批，容缺后补 plugin (app/plugins/parallel_gaps, key "
                              "parallel_gaps) is not installed: this journey cannot run")
    page, url = browser_page.page, browser_page.url
    shot = _shooter(page, tmp_path, "gaps")
    lead = str(world.a.department.id)
    item_id, item_name = gaps_project.item_ids[1], gaps_project.item_names[1]

    # -- the bureau admin: enable, lead department = a_dept's unit, stage 工程建设许可 ------
    _login(page, url, "a_admin")
    _configure(page, url, GAPS, "parallel", 8, shot,
               choose=[("lead_unit", lead), ("stage_code", GAPS_STAGE)])
    # One lead department: a select of the county's departments (no utilities).
    lead_select = page.locator("#measure-form select[name='param:lead_unit']")
    expect(lead_select).to_have_value(lead)
    expect(lead_select).not_to_contain_text("供电公司")
    expect(page.locator("#measure-state")).to_have_text("已启用")

    # -- the assistant starts it from the project's 创新举措 tab ------------------------------
    _login(page, url, "a_assistant")
    iid = _start_from_project(page, url, gaps_project.project_id, GAPS, shot)
    box = page.locator("#workflow-instance")
    expect(box).to_have_attribute("data-states", "apply")
    expect(page.locator("#workflow-diagram svg")).to_be_visible()

    # -- the lead department launches the parallel stage -----------------------------------
    _login(page, url, "a_dept")
    page.goto(f"{url}/projectworkflowsview/show/{iid}")
    launch = page.locator("button.wf-action[data-action=launch]")
    expect(launch).to_have_attribute("data-guarded", "0")
    shot("dept_before_launch")
    page.fill("#comment", "牵头部门启动并联审批")
    _submit(page, launch)
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()
    expect(box).to_have_attribute("data-states", "parallel")
    expect(page.locator("#current-states")).to_contain_text("并联审批中")
    linked = page.locator("#workflow-items")
    for launched in gaps_project.item_ids:
        expect(linked.locator(f"tr[data-item='{launched}']")).to_contain_text("已受理")
    # The template item belongs to another stage: not launched, not linked.
    expect(linked.locator(f"tr[data-item='{gaps_project.other_id}']")).to_have_count(0)
    shot("launched")

    # -- 容缺受理 without the commitment ticked: refused, what was typed stays --------------
    row = page.locator(".wf-action-row[data-act='accept_with_gaps|']")
    expect(row).to_have_class(re.compile(r"(^|\s)wf-has-fields(\s|$)"))
    expect(row.locator("button")).to_have_attribute("data-guarded", "1")  # nothing chosen yet
    pick = row.locator("select[name='f:accept_with_gaps:item_id']")
    materials = row.locator("input[name='f:accept_with_gaps:gap_materials']")
    promised = row.locator("input[name='f:accept_with_gaps:promised_on']")
    tick = row.locator("input[name='f:accept_with_gaps:commitment_signed']")
    promised_on = clock.today() + dt.timedelta(days=7)
    missing = "消防设计审查意见书（复印件）"
    comment = "容缺受理，申请人承诺限期补正"
    pick.select_option(str(item_id))
    materials.fill(missing)
    promised.fill(promised_on.isoformat())
    expect(tick).not_to_be_checked()
    page.fill("#comment", comment)
    shot("gaps_form_filled")
    _submit(page, row.locator("button"))
    expect(page.locator(".alert-danger")).to_contain_text("书面承诺书")
    expect(page.locator(".alert-success")).to_have_count(0)
    expect(row).to_have_class(re.compile(r"(^|\s)wf-submitted(\s|$)"))
    expect(row.locator(".wf-refusal")).to_contain_text("申请人尚未签署容缺受理书面承诺书")
    expect(pick).to_have_value(str(item_id))
    expect(materials).to_have_value(missing)
    expect(promised).to_have_value(promised_on.isoformat())
    expect(tick).not_to_be_checked()
    expect(page.locator("#comment")).to_have_value(comment)
    # Nothing was stored.
    expect(linked.locator(f"tr[data-item='{item_id}']")).to_contain_text("已受理")
    expect(page.locator("#workflow-timeline li[data-action=accept_with_gaps]")).to_have_count(0)
    shot("gaps_refused_values_kept")

    # -- ticked: done ------------------------------------------------------------------------
    tick.check()
    _submit(page, row.locator("button"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("容缺受理")
    expect(box).to_have_attribute("data-states", "parallel")
    expect(linked.locator(f"tr[data-item='{item_id}']")).to_contain_text("容缺受理")
    expect(linked.locator(f"tr[data-item='{gaps_project.item_ids[0]}']")).to_contain_text("已受理")
    step = page.locator("#workflow-timeline li[data-action=accept_with_gaps]")
    expect(step).to_have_count(1)
    for text in ("容缺受理", "a_dept", item_name, missing, promised_on.isoformat(), comment):
        expect(step).to_contain_text(text)
    expect(step.locator("[data-field=item_id]")).to_contain_text(item_name)
    # The form is empty again (a fresh page after the redirect).
    expect(pick).to_have_value("")
    shot("gaps_accepted")
    with app.app_context():
        item = db.session.get(ApprovalItem, item_id)
        assert item.status == ItemStatus.ACCEPTED_WITH_GAPS
        assert (item.gap_materials, item.gap_promised_on) == (missing, promised_on)

    # -- 容缺材料已补齐 for that item: back to 已受理 ----------------------------------------------
    supply = page.locator(".wf-action-row[data-act='supply_gaps|']")
    expect(supply.locator("button")).to_have_attribute("data-guarded", "0")
    supply.locator("select[name='f:supply_gaps:item_id']").select_option(str(item_id))
    page.fill("#comment", "容缺材料已补齐")
    _submit(page, supply.locator("button"))
    expect(page.locator(".alert-danger")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("容缺材料已补齐")
    expect(linked.locator(f"tr[data-item='{item_id}']")).to_contain_text("已受理")
    expect(linked.locator(f"tr[data-item='{item_id}']")).not_to_contain_text("容缺")
    expect(page.locator("#workflow-timeline li[data-action=supply_gaps]")).to_contain_text(
        item_name)
    # Nothing is missing any more: 容缺材料已补齐 is no longer available as such.
    expect(supply.locator("button")).to_have_attribute("data-guarded", "1")
    shot("gaps_supplied")

    with app.app_context():
        item = db.session.get(ApprovalItem, item_id)
        assert item.status == ItemStatus.ACCEPTED
        assert item.gap_materials is None and item.gap_promised_on is None
        assert item.accepted_on == clock.today()
        assert db.session.get(ApprovalItem, gaps_project.item_ids[0]).status == ItemStatus.ACCEPTED
        assert db.session.get(ApprovalItem, gaps_project.other_id).status == \
            ItemStatus.NOT_STARTED
        inst = db.session.get(WorkflowInstance, iid)
        assert inst.params["lead_unit"] == world.a.department.id
        assert inst.params["stage_code"] == GAPS_STAGE
        assert inst.params["time_limits"]["parallel"] == 8
        assert inst.params["item_ids"] == gaps_project.item_ids
        gap = inst.params["gaps"][str(item_id)]
        assert gap["materials"] == missing and gap["promised_on"] == promised_on.isoformat()
        assert gap["supplied_on"] == clock.today().isoformat()
        # The refused attempt left no step.
        assert [(s.action, s.username) for s in inst.steps] == [
            ("start", "a_assistant"), ("launch", "a_dept"), ("accept_with_gaps", "a_dept"),
            ("supply_gaps", "a_dept")]
    _check_page(browser_page)
