"""Forms fit for daily use: what a clerk, an assistant and a county admin meet when they
type into the screens — the credit code checked with its check character, the 帮办员
picker offering only staff who can assist, a refused role grant saying why, duplicates
named, e-mail optional, one pair of quotes per value, and people named 姓名."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.demo.data import APPLICANTS
from app.extensions import appbuilder, db
from app.models import Applicant, AppUser, Project, ProjectAssistant, Region
from app.plugins.types import MeasureSpec, ParamSpec
from app.security import roles
from app.services import credit_codes, measures, people
from app.services.errors import DomainValidationError
from app.services.quoting import quoted

from . import factories as f
from .test_workflow_screens import local_measure  # noqa: F401  (the fixture)

# Real codes of well-known companies (华为技术, 阿里巴巴（中国）, 腾讯科技（深圳）, 小米科技)
# and the example the standard's readers quote most.
REAL_CODES = ["914403001922038216", "91330100716105852F", "9144030071526726XG",
              "91110108551385082Q", "91350100M000100Y43"]
BAD_CODES = {
    "letter S is not in the code's alphabet": "91320621MA1TEST01X",
    "wrong check character": "914403001922038217",
    "one character short": "91330100716105852",
    "one character too many": "9144030071526726XG0",
    "letter O instead of zero": "91350100M000100Y4O",
}


def _field_error(html: str, field: str) -> str:
    """The error FAB renders in the same table cell as the field."""
    m = re.search(rf'id="{field}"(.*?)</td>', html, re.S)
    if not m:
        return ""
    errors = re.search(r'class="alert alert-danger">(.*?)</div>', m.group(1), re.S)
    return re.sub(r"<[^>]+>", "", errors.group(1)).strip() if errors else ""


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- 统一社会信用代码 -------------------------------------------------------------------------
@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass_the_check(app, code):
    with app.test_request_context():
        assert credit_codes.problem(code) is None
        assert credit_codes.is_valid(code.lower())  # typed in lower case, stored upper
        assert credit_codes.with_check_character(code[:17]) == code


@pytest.mark.parametrize("label", list(BAD_CODES))
def test_malformed_credit_codes_are_refused_with_the_reason(app, label):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        message = credit_codes.problem(BAD_CODES[label])
        assert message and "统一社会信用代码" in message, label
        assert not credit_codes.is_valid(BAD_CODES[label])


def test_every_single_typing_error_is_caught_by_the_check_character(app):
    code = REAL_CODES[0]
    with app.test_request_context():
        for i in range(17):
            for ch in credit_codes.CHARSET:
                if ch != code[i]:
                    typo = code[:i] + ch + code[i + 1:]
                    assert not credit_codes.is_valid(typo), typo


def test_an_invalid_credit_code_is_refused_next_to_the_field(app, world, login):
    client = login("a_clerk")
    form = {"name": "信用代码校验有限公司", "nature": "ENTERPRISE",
            "region": str(world.a.region.id)}
    resp = client.post("/applicantview/add", data={**form, "credit_code": "91320621MA1TEST01X"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "统一社会信用代码" in _field_error(html, "credit_code")
    assert "信用代码校验有限公司" in html  # what the clerk typed is kept
    assert _count(app, Applicant, Applicant.name == "信用代码校验有限公司") == 0

    resp = client.post("/applicantview/add", data={**form, "credit_code": "91350100m000100y43"})
    assert resp.status_code == 302, _field_error(resp.get_data(as_text=True), "credit_code")
    with app.app_context():
        saved = db.session.scalar(select(Applicant).where(Applicant.name == form["name"]))
        assert saved.credit_code == "91350100M000100Y43"


def test_an_invalid_credit_code_is_a_422_with_its_message_over_the_api(app, world, client,
                                                                       api_token):
    headers = {**api_token("a_clerk"), "Accept-Language": "zh"}
    body = {"name": "接口信用代码有限公司", "nature": "企业", "region": world.a.region.id}
    resp = client.post("/api/v1/applicant/", json={**body, "credit_code": "91320621MA1TEST01X"},
                       headers=headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert "统一社会信用代码" in str(resp.json["message"]["credit_code"])
    resp = client.put(f"/api/v1/applicant/{world.a.applicant.id}",
                      json={"credit_code": "914403001922038217"}, headers=headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    resp = client.post("/api/v1/applicant/", json={**body, "credit_code": REAL_CODES[1]},
                       headers=headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_every_write_path_checks_the_credit_code(app, world):
    """The CLI, imports and the demo write through the ORM: the flush refuses the code."""
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        db.session.add(Applicant(name="直接写入有限公司", credit_code="91320621MA1TEST01X",
                                 region=region))
        with pytest.raises(DomainValidationError) as err:
            db.session.flush()
        assert "credit_code" in err.value.errors
        db.session.rollback()

        applicant = db.session.get(Applicant, world.a.applicant.id)
        applicant.credit_code = "914403001922038217"
        with pytest.raises(DomainValidationError):
            db.session.flush()
        db.session.rollback()

        applicant = db.session.get(Applicant, world.a.applicant.id)
        applicant.credit_code = " 91110108551385082q "
        db.session.flush()
        assert applicant.credit_code == "91110108551385082Q"
        db.session.rollback()


def test_demo_and_factory_applicants_carry_valid_codes(app, world):
    with app.app_context():
        for spec in APPLICANTS:
            assert credit_codes.is_valid(credit_codes.with_check_character(spec.body))
        region = db.session.get(Region, world.a.region.id)
        made = f.applicant(region)
        codes = db.session.scalars(select(Applicant.credit_code)).all()
        assert made.credit_code in codes
        assert all(credit_codes.is_valid(c) for c in codes if c), codes
        db.session.rollback()


# -- the 帮办员 picker -----------------------------------------------------------------------
def _option_ids(html: str, field: str) -> set[int]:
    select_ = re.search(rf'<select[^>]*id="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select_, f"no select for {field}"
    return {int(v) for v in re.findall(r'value="(\d+)"', select_.group(1))}


def test_the_assistant_picker_offers_only_staff_who_can_assist(world, login):
    users = world.a.users
    html = login("a_clerk").get("/projectassistantview/add").get_data(as_text=True)
    offered = _option_ids(html, "user")
    assert users["assistant"].id in offered and users["dispatcher"].id in offered
    for key in ("company", "dept", "clerk", "admin"):
        assert users[key].id not in offered, key
    # Nobody of the other county.
    assert world.b.users["assistant"].id not in offered


def test_a_forged_non_assistant_is_refused_next_to_the_field(app, world, login):
    client = login("a_clerk")
    project = world.a.project.id
    before = _count(app, ProjectAssistant)
    for key in ("company", "dept"):
        resp = client.post("/projectassistantview/add", data={
            "project": str(project), "user": str(world.a.users[key].id), "is_lead": "y",
            "assigned_on": "2026-03-02"})
        assert resp.status_code == 200, key
        message = _field_error(resp.get_data(as_text=True), "user")
        assert "可担任帮办员" in message, (key, message)
    assert _count(app, ProjectAssistant) == before
    # A second assistant, not the lead: the tick box may stay empty.
    resp = client.post("/projectassistantview/add", data={
        "project": str(project), "user": str(world.a.users["dispatcher"].id),
        "assigned_on": "2026-03-02"})
    assert resp.status_code == 302, _field_error(resp.get_data(as_text=True), "is_lead")
    with app.app_context():
        added = db.session.scalar(select(ProjectAssistant).where(
            ProjectAssistant.project_id == project,
            ProjectAssistant.user_id == world.a.users["dispatcher"].id))
        assert added is not None and added.is_lead is False


# -- role grants -------------------------------------------------------------------------------
def test_a_refused_role_grant_says_why_next_to_the_roles(app, world, login):
    client = login("a_admin")
    with app.app_context():
        sysadmin_role = appbuilder.sm.find_role(roles.SYSTEM_ADMIN).id
        clerk_role = appbuilder.sm.find_role(roles.CLERK).id
    resp = client.post("/users/add", data={
        "first_name": "越", "last_name": "权", "username": "a_escalate2", "active": "y",
        "roles": [str(sysadmin_role), str(clerk_role)], "region": str(world.a.region.id),
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    assert resp.status_code == 200
    message = _field_error(resp.get_data(as_text=True), "roles")
    assert "不能授予高于本人的角色" in message and roles.SYSTEM_ADMIN in message, message
    assert "必填" not in message
    assert _count(app, AppUser, AppUser.username == "a_escalate2") == 0


# -- duplicates named ---------------------------------------------------------------------------
def test_a_duplicate_project_code_is_named(app, world, login, client, api_token):
    with app.app_context():
        code = db.session.get(Project, world.a.project.id).code
    resp = login("a_clerk").post("/projectview/add", data={
        "code": code, "name": "重复代码项目", "region": str(world.a.region.id),
        "applicant": str(world.a.applicant.id), "investment_wan": "10",
        "list_level": "COUNTY", "list_year": "2026", "status": "ACTIVE"})
    message = _field_error(resp.get_data(as_text=True), "code")
    assert message == f"项目代码“{code}”已存在。", message

    resp = client.post("/api/v1/project/", headers={**api_token("a_clerk"),
                                                    "Accept-Language": "zh"}, json={
        "code": code, "name": "接口重复代码", "region": world.a.region.id,
        "applicant": world.a.applicant.id, "investment_wan": 10, "list_level": "县级",
        "list_year": 2026, "status": "在办"})
    assert resp.status_code == 422
    assert resp.json["message"]["code"] == f"项目代码“{code}”已存在。"


def test_a_duplicate_user_name_is_named(app, world, login):
    with app.app_context():
        clerk_role = appbuilder.sm.find_role(roles.CLERK).id
    resp = login("a_admin").post("/users/add", data={
        "first_name": "重", "last_name": "名", "username": "a_clerk", "active": "y",
        "roles": [str(clerk_role)], "region": str(world.a.region.id),
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    assert "“a_clerk”已存在" in _field_error(resp.get_data(as_text=True), "username")


# -- e-mail optional ---------------------------------------------------------------------------
def test_new_users_need_no_email(app, world, login):
    client = login("a_admin")
    with app.app_context():
        clerk_role = appbuilder.sm.find_role(roles.CLERK).id
    for username in ("a_no_mail_1", "a_no_mail_2"):  # two without: no unique clash on ""
        resp = client.post("/users/add", data={
            "first_name": "无", "last_name": "邮箱", "username": username, "active": "y",
            "email": "", "roles": [str(clerk_role)], "region": str(world.a.region.id),
            "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
        assert resp.status_code == 302, _field_error(resp.get_data(as_text=True), "email")
    with app.app_context():
        users = db.session.scalars(select(AppUser).where(
            AppUser.username.in_(["a_no_mail_1", "a_no_mail_2"]))
            .order_by(AppUser.username)).all()  # users[0] is a_no_mail_1, edited below
        assert [u.email for u in users] == [None, None]
        uid = users[0].id
    resp = client.post(f"/users/edit/{uid}", data={
        "first_name": "无", "last_name": "邮箱", "username": "a_no_mail_1", "active": "y",
        "email": "", "roles": [str(clerk_role)], "region": str(world.a.region.id)})
    assert resp.status_code == 302, [
        re.sub(r"<[^>]+>|\s+", " ", e) for e in re.findall(
            r'class="alert alert-danger">(.*?)</div>', resp.get_data(as_text=True), re.S)]
    # A given address is still unique.
    resp = client.post(f"/users/edit/{uid}", data={
        "first_name": "无", "last_name": "邮箱", "username": "a_no_mail_1", "active": "y",
        "email": "a_clerk@test.gov.cn", "roles": [str(clerk_role)],
        "region": str(world.a.region.id)})
    assert resp.status_code == 200
    assert "已存在" in _field_error(resp.get_data(as_text=True), "email")


# -- one pair of quotes -----------------------------------------------------------------------
def test_quoting_a_value_that_carries_its_own_quotes_adds_none():
    assert quoted("容缺受理") == "“容缺受理”"
    assert quoted("“容缺受理”时限（工作日）") == "“容缺受理”时限（工作日）"
    assert quoted(" 5 ") == "“5”"


def test_a_measure_parameter_message_has_one_pair_of_quotes(app):
    label = "“容缺受理”时限（工作日）"  # what standard_parameters writes
    spec = MeasureSpec("demo", "容缺受理", "1", {}, parameters=(
        ParamSpec("time_limit_accept", "int", 3, label=label),))
    with app.app_context():
        with pytest.raises(DomainValidationError) as err:
            measures.validate_params(db.session, spec, {"time_limit_accept": "三天"})
    message = err.value.errors["time_limit_accept"]
    assert message.startswith(label) and "““" not in message and "””" not in message, message
    assert "“三天”" in message


def test_no_message_source_wraps_a_quoted_value_in_quotes_again():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sources = [*root.glob("app/**/*.py"), *root.glob("translations/*/LC_MESSAGES/*.po")]
    doubled = [f"{p.relative_to(root)}:{n}" for p in sources
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if "““" in line or "””" in line]
    assert doubled == []


# -- names where a person reads -----------------------------------------------------------------
def test_names_read_in_chinese_order_and_latin_names_first_last():
    assert people.full_name("丽", "张") == "张丽"
    assert people.full_name("Anna", "Schmidt") == "Anna Schmidt"
    assert people.full_name("", "欧阳") == "欧阳"
    assert people.full_name(None, None) == ""


def test_the_sql_name_is_the_same_as_the_python_one(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        made = []
        for username, first, last in (("n_cn", "丽", "张"), ("n_latin", "Anna", "Schmidt"),
                                      ("n_none", "", "")):
            user = f.user(username, [roles.ASSISTANT], region_=region)
            user.first_name, user.last_name = first, last
            made.append(user)
        db.session.flush()
        sql = dict(db.session.execute(select(AppUser.id, people.person_name_sql()).where(
            AppUser.id.in_([u.id for u in made]))).all())
        assert [sql[u.id] for u in made] == ["张丽", "Anna Schmidt", "n_none"]
        assert [people.person_name(u) for u in made] == ["张丽", "Anna Schmidt", "n_none"]
        assert [str(u) for u in made] == ["张丽", "Anna Schmidt", "n_none"]


def test_the_users_list_and_the_picker_show_names_in_chinese_order(app, world, login):
    with app.app_context():
        user = db.session.get(AppUser, world.a.users["assistant"].id)
        user.first_name, user.last_name = "晓明", "欧阳"
        db.session.commit()
    client = login("a_admin")
    listing = client.get("/users/list/").get_data(as_text=True)
    assert "欧阳晓明" in listing
    picker = login("a_clerk").get("/projectassistantview/add").get_data(as_text=True)
    assert re.search(rf'value="{world.a.users["assistant"].id}"[^>]*>欧阳晓明<', picker)


def _rename(app, user_id: int, first: str, last: str) -> None:
    with app.app_context():
        user = db.session.get(AppUser, user_id)
        user.first_name, user.last_name = first, last
        db.session.commit()


def test_a_measure_timeline_names_the_person(app, world, local_measure, login):
    _rename(app, world.a.users["assistant"].id, "晓明", "欧阳")
    client = login("a_assistant")
    pid = world.a.project.id
    resp = client.post(f"/projectworkflowsview/add?project={pid}",
                       data={"measure": local_measure, "project": pid})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    timeline = page.split('id="workflow-timeline"')[1].split("</ul>")[0]
    assert "欧阳晓明" in timeline and "a_assistant" not in timeline


def test_a_work_order_timeline_names_the_person(app, world, login):
    from app.services import work_orders

    from .test_work_orders import FUTURE, _red_card

    _rename(app, world.a.users["dispatcher"].id, "Anna", "Schmidt")
    with app.app_context():
        card_id = _red_card(world, name="姓名显示事项")
        dispatcher = db.session.get(AppUser, world.a.users["dispatcher"].id)
        wo = work_orders.dispatch(db.session, card_id, world.a.department.id, FUTURE,
                                  "请说明原因", dispatcher)
        db.session.commit()
        wo_id = wo.id
    page = login("a_dispatcher").get(f"/workorderview/show/{wo_id}").get_data(as_text=True)
    steps = page.split('id="work-order-steps"')[1].split("</table>")[0]
    assert "Anna Schmidt" in steps and "a_dispatcher" not in steps


def test_the_sql_name_works_on_sqlite_too():
    """The embedded default runs on SQLite, which has no `~`: the same names there."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

    meta = MetaData()
    users = Table("u", meta, Column("id", Integer, primary_key=True), Column("first_name", String),
                  Column("last_name", String), Column("username", String))
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(users), [
            {"id": 1, "first_name": "丽", "last_name": "张", "username": "a"},
            {"id": 2, "first_name": "Anna", "last_name": "Schmidt", "username": "b"},
            {"id": 3, "first_name": "", "last_name": "", "username": "c"}])
        names = conn.execute(select(people.person_name_sql(users.c)).order_by(users.c.id))
        assert [n for (n,) in names] == ["张丽", "Anna Schmidt", "c"]
