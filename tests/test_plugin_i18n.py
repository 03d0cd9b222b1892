"""The built-in measures' own words in the user's language: each plugin's ``translations``
hook gives English for every label of its definition and parameters (the labels the host
generates for the standard parameters are translated by parts), and the screens that
show them — the measures list and settings, the instance page, the project's 创新举措
tab, the diagrams — use it in the English UI. Chinese stays exactly as written."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app.extensions import db
from app.plugins import manager_of, plugin_text
from app.plugins.types import standard_parameters
from app.services import measures
from app.workflow import engine
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
