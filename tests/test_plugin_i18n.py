"""The built-in measures' own words in the user's language: each plugin's ``translations``
hook gives English for every label of its definition and parameters (the labels the host
generates for the standard parameters are translated by parts), and the screens that
show them — the measures list and settings, the instance page, the project's 创新举措
tab, the diagrams — use it in the English UI. Chinese stays exactly as written."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask_babel import refresh

from app.extensions import db
from app.models import ItemStatus, OrgUnit
from app.plugins import manager_of, plugin_text
from app.plugins.types import standard_parameters
from app.security import roles
from app.services import measures
from app.workflow import engine, parse
from app.workflow.diagram import render_svg

from . import factories as f

KEY = "pile_first"
BUILTIN = ("pile_first", "joint_utility", "licence_on_signing", "start_on_land",
           "certificate_on_completion", "parallel_gaps")
CJK = re.compile(r"[\u3400-\u9fff]")
DAY = dt.date(2026, 11, 11)  # a Wednesday

user = f.world_user


def _no_cjk_outside_quotes(text: str) -> bool:
    """No Chinese left, except phrases in “…” (what a user must type in the comment, quoted
    in a help text)."""
    return not CJK.search(re.sub(r"“[^”]*”", "", text))


def _builtin_specs(app) -> dict:
    with app.app_context():
        specs = {k: s for k, s in manager_of().measures().items() if k in BUILTIN}
    assert sorted(specs) == sorted(BUILTIN)
    return specs


def _labels(spec) -> tuple[list[str], list[str]]:
    """(texts the plugin's catalogue must hold, texts of the standard parameters the host
    generates) of one measure, read from its definition and parameters."""
    d = spec.definition
    own = [spec.name, spec.description, d.get("name"), d.get("description")]
    for state in d["states"]:
        own.append(state.get("label"))
    for t in d["transitions"]:
        own.append(t.get("label"))
        own += list((t.get("branch_labels") or {}).values())
        for field in t.get("fields") or []:
            own += [field.get("label"), field.get("help")]
            own += [c[1] for c in field.get("choices") or []]
    standard = {p.name for p in standard_parameters(d)}
    generated = []
    for p in spec.parameters:
        texts = [p.label, p.help]
        if p.type in ("choice", "multichoice"):
            texts += [c[1] if isinstance(c, (list, tuple)) else c for c in p.choices]
        (generated if p.name in standard else own).extend(texts)
    return [t for t in own if t], [t for t in generated if t]


# -- the catalogues ---------------------------------------------------------------------------
@pytest.mark.parametrize("key", BUILTIN)
def test_every_label_of_a_builtin_measure_has_english(app, key):
    spec = _builtin_specs(app)[key]
    own, generated = _labels(spec)
    assert own and generated
    with app.app_context():
        english = manager_of().translations()["en"]
    missing = [t for t in own if t not in english]
    assert not missing, f"{key}: no English for {missing}"
    with app.test_request_context("/?_l_=en"):
        for text in own:
            en = plugin_text(text)
            assert en == english[text] and en.strip() and en != text, text
            assert _no_cjk_outside_quotes(en), (text, en)
        for text in generated:  # “<label>”时限（工作日） … : both parts translated
            en = plugin_text(text)
            assert not CJK.search(en), (text, en)


@pytest.mark.parametrize("key", BUILTIN)
def test_in_chinese_every_label_stays_as_written(app, key):
    spec = _builtin_specs(app)[key]
    own, generated = _labels(spec)
    for query in ("/?_l_=zh", "/"):
        with app.test_request_context(query):
            for text in own + generated:
                assert plugin_text(text) == text


def test_generated_labels_are_translated_by_parts(app):
    with app.test_request_context("/?_l_=en"):
        assert plugin_text("“住建部门审查”时限（工作日）") == \
            "Time limit of “Review by the housing and construction department” (working days)"
        assert plugin_text("“提交申请”办理角色") == "Roles for “Submit the application”"
        assert plugin_text("“分派各单位”参与的分支") == \
            "Branches taking part in “Dispatch to the providers”"
        assert plugin_text("该环节的办理时限，按工作日计算。") == \
            "The time allowed for this step, counted in working days."
        # A low-code measure's label: no catalogue, the fixed words only.
        assert plugin_text("“提出申请”时限（工作日）") == "Time limit of “提出申请” (working days)"
        assert plugin_text("本地自定义环节") == "本地自定义环节"


@pytest.mark.parametrize("key", BUILTIN)
def test_the_diagrams_are_drawn_in_english(app, key):
    spec = _builtin_specs(app)[key]
    with app.test_request_context("/?_l_=en"):
        svg = render_svg(spec.definition, translate=plugin_text)
    assert not CJK.search(svg), CJK.findall(svg)
    assert "<svg" in svg
    with app.test_request_context("/?_l_=zh"):
        assert render_svg(spec.definition, translate=plugin_text) == render_svg(spec.definition)


def test_english_labels_are_measured_before_drawing(app):
    """A box is as wide as its English label needs (the widths follow the drawn text)."""
    spec = _builtin_specs(app)[KEY]
    with app.test_request_context("/?_l_=en"):
        svg = render_svg(spec.definition, translate=plugin_text)
    width = int(re.search(r'<rect x="[\d.]+" y="[\d.]+" width="(\d+)"', svg).group(1))
    longest = "Pile-foundation construction permit issued"
    assert longest in svg
    assert width >= len(longest) * 8  # 14px Latin letters ≈ 9px each, plus padding
    assert "Application: 2 working days" in svg  # a state's tooltip
    joint = _builtin_specs(app)["joint_utility"].definition
    with app.test_request_context("/?_l_=en"):
        assert "All connected (automatic)" in render_svg(joint, translate=plugin_text)
    assert "全部接通（自动）" in render_svg(joint)


# -- the screens ------------------------------------------------------------------------------
@pytest.fixture()
def enabled(app, world):
    yield from f.measure_set_in_county_a(app, world, KEY, {})


@pytest.fixture()
def returned_instance(app, world, enabled):
    """pile_first on a new project of county a: submitted (its three boxes ticked), then
    returned for correction; (project id, instance id)."""
    with app.app_context():
        project = f.assisted_project(world)
        assistant, dept = user(world, "assistant"), user(world, "dept")
        inst = measures.start_measure(db.session, project, KEY, assistant)
        engine.transition(db.session, inst, "submit", assistant, today=DAY,
                          context={"land_right_obtained": True, "pile_drawing_passed": True,
                                   "commitment_signed": True})
        engine.transition(db.session, inst, "return", dept, today=DAY, comment="补正")
        db.session.commit()
        return project.id, inst.id


# The "submit" button (its warning icon first while a guard still refuses) with its label.
BUTTON = r'value="submit\|"[^>]*>(\s*<i [^>]*></i>)?\s*%s\s*</button>'


def _timeline(page: str) -> str:
    return page.split('id="workflow-timeline"')[1]


def test_the_measures_screens_in_english_and_chinese(app, world, enabled, login):
    client = login("a_admin")
    client.get("/lang/en")
    try:
        listing = client.get("/measures/").get_data(as_text=True)
        assert "Pile foundation first" in listing and "Start on land acquisition" in listing
        assert "a pile-foundation construction permit is issued first" in listing
        detail = client.get(f"/measures/{KEY}/").get_data(as_text=True)
        assert "Time limit of “Review by the housing and construction department” " \
               "(working days)" in detail
        assert "Roles for “Submit the application”" in detail
        assert "Land-use right required" in detail
        assert "The time allowed for this step, counted in working days." in detail
        assert "住建部门审查" not in detail and "时限（工作日）" not in detail
        svg = client.get(f"/measures/{KEY}/diagram.svg").get_data(as_text=True)
        assert "Pile-foundation construction permit issued" in svg
        assert not CJK.search(svg)
    finally:
        client.get("/lang/zh")
    listing = client.get("/measures/").get_data(as_text=True)
    assert "桩基先行许可" in listing and "Pile foundation first" not in listing
    detail = client.get(f"/measures/{KEY}/").get_data(as_text=True)
    assert "“住建部门审查”时限（工作日）" in detail and "“提交申请”办理角色" in detail
    assert "Time limit of" not in detail
    svg = client.get(f"/measures/{KEY}/diagram.svg").get_data(as_text=True)
    assert "桩基施工许可已核发" in svg and "住建部门审查：3个工作日" in svg
    assert "Pile-foundation" not in svg


def test_the_instance_page_and_the_tab_in_english(app, world, returned_instance, login):
    pid, iid = returned_instance
    client = login("a_assistant")
    client.get("/lang/en")
    try:
        page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
        # The heading, the current state, an action with its fields.
        assert re.search(r'panel-heading">Pile foundation first · ', page)
        assert re.search(r'data-state="apply">\s*Application</span>', page)
        assert re.search(BUTTON % "Submit the application", page)
        assert "Land-use right obtained" in page
        assert "The applicant has signed the written commitment" in page
        # The timeline: the action, from → to, the values the submission recorded.
        timeline = _timeline(page)
        assert "<strong>Submit the application</strong>" in timeline
        assert "Application → Review by the housing and construction department" in timeline
        assert "<strong>Return for correction</strong>" in timeline
        assert "Pile-foundation construction drawings passed review：Yes" in timeline
        # The diagram.
        diagram = page.split('id="workflow-diagram"')[1].split("</svg>")[0]
        assert "Approve and issue the pile-foundation construction permit" in diagram
        assert not CJK.search(diagram)
        # (The guards' reasons are the plugin's own Chinese sentences, not labels.)
        for chinese in ("桩基先行许可", "住建部门审查", "提交申请", "退回补正"):
            assert chinese not in page, chinese
        # The project's 创新举措 tab: the measure's name and its current step.
        tab = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
        assert "Pile foundation first" in tab and "桩基先行许可" not in tab
        assert ">Application</span>" in tab
    finally:
        client.get("/lang/zh")


def test_the_instance_page_and_the_tab_in_chinese(app, world, returned_instance, login):
    pid, iid = returned_instance
    client = login("a_assistant")
    client.get("/lang/zh")
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert re.search(r'panel-heading">桩基先行许可 · ', page)
    assert re.search(r'data-state="apply">\s*申请</span>', page)
    assert re.search(BUTTON % "提交申请", page)
    assert "土地使用权已取得" in page and "申请人已签署书面承诺书" in page
    timeline = _timeline(page)
    assert "<strong>提交申请</strong>" in timeline and "申请 → 住建部门审查" in timeline
    assert "<strong>退回补正</strong>" in timeline and "桩基施工图审查合格：是" in timeline
    diagram = page.split('id="workflow-diagram"')[1].split("</svg>")[0]
    assert "审查通过，核发桩基施工许可" in diagram
    for english in ("Pile foundation first", "Submit the application", "Return for correction",
                    "Land-use right obtained", "Review by the housing"):
        assert english not in page, english
    tab = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert "桩基先行许可" in tab and "Pile foundation first" not in tab


# -- the guards' refusals -----------------------------------------------------------------------
# Names the user gave (items, departments) stay as they are in every language.
NAMES = ("甲县消防设计审查", "甲县档案验收", "甲县人防审查", "甲县防雷审查",
         "甲县住房和城乡建设局", "乙县住房和城乡建设局")
NO_SUCH_ID = 999_999_999


@pytest.fixture()
def refusal_world(app, world):
    """An app context with two new projects of county a: ``plain`` (its template items only,
    no stage set) and ``busy`` (at the planning stage, with items of the construction stage:
    one accepted, one finished, two accepted with gaps — flushed, rolled back afterwards)."""
    with app.app_context():
        dept = db.session.get(OrgUnit, world.a.department.id)
        plain, busy = f.assisted_project(world), f.assisted_project(world)
        busy.current_stage = f.stage("planning")
        accepted = f.item(busy, dept, name="甲县消防设计审查", status=ItemStatus.ACCEPTED,
                          accepted_on=dt.date(2026, 11, 2))
        finished = f.item(busy, dept, name="甲县档案验收", status=ItemStatus.FINISHED,
                          accepted_on=dt.date(2026, 11, 2), finished_on=dt.date(2026, 11, 3))
        for name in ("甲县人防审查", "甲县防雷审查"):
            f.item(busy, dept, name=name, status=ItemStatus.ACCEPTED_WITH_GAPS,
                   accepted_on=dt.date(2026, 11, 2), gap_materials="消防设计文件",
                   gap_promised_on=DAY)
        db.session.flush()
        yield SimpleNamespace(plain=plain, busy=busy, accepted=accepted, finished=finished)
        db.session.rollback()


def _refusals(w, world) -> list:
    """(guard, project, params, context, the Chinese reason as it has always been written)
    for refusals of every guard of the six built-in measures."""
    launch = parse(manager_of().measures()["parallel_gaps"].definition).transition("launch")
    other_dept = f.world_user(world, "dept", "b")  # an officer of another county's department
    no_unit = SimpleNamespace(roles=[roles.DEPARTMENT], org_unit_id=None, org_unit=None)
    code = w.plain.applicant.credit_code
    valid_gap = {"gap_materials": "消防设计文件", "promised_on": DAY.isoformat(),
                 "commitment_signed": True, "today": DAY}
    return [
        ("pile_first.land_right", w.plain, {}, {},
         "尚未取得土地使用权：须建设用地规划许可证或不动产权证书已办结，"
         "或勾选“土地使用权已取得”（或在意见中注明“土地使用权已取得”）"),
        ("pile_first.drawing_review", w.plain, {}, {},
         "桩基施工图尚未审查合格：须施工图审查事项已办结，或勾选“桩基施工图审查合格”"
         "（或在意见中注明“桩基施工图审查合格”）"),
        ("pile_first.commitment_signed", w.plain, {}, {},
         "申请人尚未签署书面承诺书（签署后请勾选“申请人已签署书面承诺书”或在意见中注明"
         "“承诺书已签署”，并上传承诺书）"),
        ("joint_utility.stage_reached", w.plain, {"earliest_stage": "construction"}, {},
         "项目尚未进入“施工许可”阶段（当前阶段：未设定），暂不能申请联合报装"),
        ("joint_utility.stage_reached", w.busy, {"earliest_stage": "construction"}, {},
         "项目尚未进入“施工许可”阶段（当前阶段：前期策划生成），暂不能申请联合报装"),
        ("joint_utility.units_valid", w.plain, {}, {"units": []},
         "请至少选择一个报装单位（供水、供电、供气、通信、广电）"),
        ("joint_utility.units_valid", w.plain, {"units": ["water", "power"]},
         {"units": ["gas", "cable"]},
         "报装单位“供气、广电”未在本地区参与联合报装（可选：供水、供电）"),
        ("licence_on_signing.price_paid", w.plain, {}, {},
         "土地出让价款尚未缴清，不能签约颁证（缴清后请勾选“土地出让价款已缴清”，"
         "或在意见中注明“土地出让价款已缴清”）"),
        ("start_on_land.land_acquired", w.plain, {}, {},
         "尚未取得土地：须国有建设用地使用权出让合同（土地出让）、不动产权证书或"
         "建设用地规划许可证等用地事项已办结，或勾选“土地已取得”（或在意见中注明“土地已取得”）"),
        ("certificate_on_completion.accepted", w.plain, {}, {},
         "联合验收尚未全部通过，不能办理不动产首次登记"),
        ("parallel_gaps.lead_unit_set", w.plain, {}, {},
         "尚未设置牵头部门（请管理员在举措参数中选择牵头部门）"),
        ("parallel_gaps.lead_department", w.plain, {"lead_unit": world.a.department.id},
         {"user": other_dept, "transition": launch},
         "只有牵头部门（甲县住房和城乡建设局）可以启动并联审批，"
         "乙县住房和城乡建设局不是本次并联审批的牵头部门"),
        ("parallel_gaps.lead_department", w.plain, {"lead_unit": NO_SUCH_ID},
         {"user": no_unit, "transition": launch},
         f"只有牵头部门（单位{NO_SUCH_ID}）可以启动并联审批，您的账号未归属任何单位"),
        ("parallel_gaps.not_bad_credit", w.plain, {"bad_credit_codes": f"X1\n{code}"}, {},
         f"申请人（统一社会信用代码{code}）列入失信主体名单，不适用容缺受理"),
        ("parallel_gaps.gap_commitment", w.plain, {}, {"today": DAY},
         "请选择本项目的一个审批事项；请填写容缺的材料；请填写承诺补齐材料的日期；"
         "申请人尚未签署容缺受理书面承诺书"),
        ("parallel_gaps.gap_commitment", w.busy, {"stage_code": "planning"},
         {**valid_gap, "item_id": w.accepted.id,
          "promised_on": (DAY - dt.timedelta(days=1)).isoformat()},
         "事项“甲县消防设计审查”不属于本次并联办理的阶段；承诺补齐日期不能早于今天"),
        ("parallel_gaps.gap_commitment", w.busy, {}, {**valid_gap, "item_id": w.finished.id},
         "事项“甲县档案验收”当前为“已办结”，不能容缺受理"),
        ("parallel_gaps.gap_outstanding", w.plain, {}, {"item_id": NO_SUCH_ID},
         "请选择本项目的一个审批事项"),
        ("parallel_gaps.gap_outstanding", w.plain, {}, {},
         "本项目没有待补齐材料的容缺受理事项"),
        ("parallel_gaps.gap_outstanding", w.busy, {}, {},
         "请选择补齐材料的事项：甲县人防审查、甲县防雷审查"),
        ("parallel_gaps.gap_outstanding", w.busy, {}, {"item_id": w.accepted.id},
         "事项“甲县消防设计审查”当前为“已受理”，没有待补齐的容缺材料"),
        ("parallel_gaps.all_finished", w.busy, {}, {},
         "尚有事项未办结：甲县消防设计审查、甲县人防审查、甲县防雷审查"),
    ]


@contextmanager
def _language(app, query):
    """A request with ``query`` (None: no request) in the current app context. Flask-Babel
    keeps the locale on ``g``, which the app context's requests share: forget it."""
    refresh()
    try:
        if query is None:
            yield
        else:
            with app.test_request_context(query):
                refresh()
                yield
    finally:
        refresh()


def _refusal(guard, project, params, ctx) -> str:
    instance = SimpleNamespace(project_id=project.id, params=dict(params), tokens={})
    return engine.registered_guards()[guard](db.session, instance, dict(ctx))


def test_every_guard_refuses_in_the_users_language(app, world, refusal_world):
    cases = _refusals(refusal_world, world)
    guards = {name for name in engine.registered_guards() if name.split(".")[0] in BUILTIN}
    assert {case[0] for case in cases} == guards  # every guard of the six measures
    english = {}
    for guard, project, params, ctx, chinese in cases:
        for query in (None, "/?_l_=zh", "/"):  # workers and the CLI; the Chinese UI
            with _language(app, query):
                assert _refusal(guard, project, params, ctx) == chinese, (guard, query)
        with _language(app, "/?_l_=en"):
            reason = _refusal(guard, project, params, ctx)
        english[chinese] = reason
        assert reason and reason != chinese, guard
        bare = reason
        for name in NAMES:
            bare = bare.replace(name, "")
        assert _no_cjk_outside_quotes(bare), (guard, reason)
    # The values are translated where they are labels, and joined the English way.
    assert english["报装单位“供气、广电”未在本地区参与联合报装（可选：供水、供电）"] == (
        "Providers not taking part in the joint utility connection in this region: "
        "“Gas, Cable TV” (available: Water, Power)")
    assert english["项目尚未进入“施工许可”阶段（当前阶段：前期策划生成），暂不能申请联合报装"] == (
        "The project has not yet reached the “Construction permit” stage (current stage: "
        "Early planning); the joint utility connection cannot be applied for yet")
    assert english["事项“甲县档案验收”当前为“已办结”，不能容缺受理"] == (
        "The item “甲县档案验收” is “Finished”: it cannot be accepted with missing materials")
    assert english["请选择补齐材料的事项：甲县人防审查、甲县防雷审查"] == (
        "Select the item whose missing materials were supplied: 甲县人防审查, 甲县防雷审查")
    assert english["事项“甲县消防设计审查”不属于本次并联办理的阶段；承诺补齐日期不能早于今天"] == (
        "The item “甲县消防设计审查” does not belong to the stage handled in parallel; "
        "The promised date cannot be earlier than today")


def test_a_refusal_without_an_app_is_chinese():
    """Outside any app (a plain script), the reason is the Chinese as written."""
    from app.plugins.certificate_on_completion import accepted
    from app.plugins.joint_utility import units_valid

    instance = SimpleNamespace(project_id=None, params={"units": ["water"]}, tokens={})
    assert accepted(None, instance, {}) == "联合验收尚未全部通过，不能办理不动产首次登记"
    assert units_valid(None, instance, {"units": "gas,cable"}) == \
        "报装单位“供气、广电”未在本地区参与联合报装（可选：供水）"


def test_the_submit_hint_in_english_and_chinese(app, world, enabled, login):
    """pile_first waiting to be submitted: the reasons under the submit button are English
    in the English UI (the phrase to write in the comment stays Chinese), Chinese in the
    Chinese UI."""
    with app.app_context():
        project = f.assisted_project(world)
        inst = measures.start_measure(db.session, project, KEY, user(world, "assistant"))
        db.session.commit()
        iid = inst.id
    client = login("a_assistant")
    client.get("/lang/en")
    try:
        page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    finally:
        client.get("/lang/zh")
    assert re.search(BUTTON % "Submit the application", page)
    hint = page.split('class="small wf-reasons')[1].split("</div>\n")[0]
    assert "The land-use right has not been obtained" in hint
    assert "The pile-foundation construction drawings have not passed review" in hint
    assert ("The applicant has not signed the written commitment (once it is signed, tick "
            "“The applicant has signed the written commitment” or state “承诺书已签署” in "
            "the comment, and upload the commitment)") in hint
    assert _no_cjk_outside_quotes(re.sub(r"<[^>]+>", "", hint)), hint
    page = client.get(f"/projectworkflowsview/show/{iid}").get_data(as_text=True)
    assert re.search(BUTTON % "提交申请", page)
    assert "尚未取得土地使用权：须建设用地规划许可证或不动产权证书已办结" in page
    assert "申请人尚未签署书面承诺书（签署后请勾选“申请人已签署书面承诺书”" in page
    assert "The land-use right has not been obtained" not in page
