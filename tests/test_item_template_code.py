"""A template's stable code (issue 8): a county admin sets it on the template screen and the
REST API; an unknown code, or a second template of the region with the same code, is
refused next to the field."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ItemTemplate, Region
from app.services import item_codes

from . import factories as f


def _template(app, world, name: str) -> tuple[int, int, int, int]:
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        dept = f.org_unit(region, f"{name}局")
        t = f.template(region, dept, name)
        db.session.commit()
        return t.id, t.stage_id, dept.id, region.id


def _form(name, stage_id, dept_id, region_id, code):
    return {"region": str(region_id), "stage": str(stage_id), "seq": "5", "name": name,
            "code": code, "department": str(dept_id), "time_limit_days": "4",
            "fees_yuan": "0", "fee_mode": "FREE", "division_of_labour": "ASSISTANT",
            "active": "y"}


def test_a_county_admin_sets_a_templates_code_on_the_screen(app, world, login):
    tid, stage_id, dept_id, region_id = _template(app, world, "代码测试模板")
    client = login("a_admin")
    page = client.get(f"/itemtemplateview/edit/{tid}").get_data(as_text=True)
    assert f'value="{item_codes.DRAWING_REVIEW}"' in page
    resp = client.post(f"/itemtemplateview/edit/{tid}", data=_form(
        "代码测试模板", stage_id, dept_id, region_id, item_codes.DRAWING_REVIEW))
    assert resp.status_code == 302, re.sub(r"\s+", " ", re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", resp.get_data(as_text=True)))[-3000:]
    with app.app_context():
        assert db.session.get(ItemTemplate, tid).code == item_codes.DRAWING_REVIEW
    # Choosing "no code" clears it.
    client.post(f"/itemtemplateview/edit/{tid}", data=_form(
        "代码测试模板", stage_id, dept_id, region_id, ""))
    with app.app_context():
        assert db.session.get(ItemTemplate, tid).code is None


def test_a_second_template_of_the_region_with_the_same_code_is_refused(app, world, login):
    first, stage_id, dept_id, region_id = _template(app, world, "代码模板甲")
    second, *_ = _template(app, world, "代码模板乙")
    client = login("a_admin")
    ok = client.post(f"/itemtemplateview/edit/{first}", data=_form(
        "代码模板甲", stage_id, dept_id, region_id, item_codes.CIVIL_DEFENCE_REVIEW))
    assert ok.status_code == 302
    # The rule needs the database, so the screen shows it as the save's error message.
    refused = client.post(f"/itemtemplateview/edit/{second}", data=_form(
        "代码模板乙", stage_id, dept_id, region_id, item_codes.CIVIL_DEFENCE_REVIEW),
        follow_redirects=True)
    assert "本区域的模板 代码模板甲 已使用此代码" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ItemTemplate, second).code is None


def test_the_api_sets_a_code_and_refuses_an_unknown_one(app, world, client, api_token):
    tid, *_ = _template(app, world, "接口代码模板")
    headers = api_token("a_admin")
    resp = client.put(f"/api/v1/item_template/{tid}", headers=headers,
                      json={"code": item_codes.SOIL_CONSERVATION})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    shown = client.get(f"/api/v1/item_template/{tid}", headers=headers).get_json()
    assert shown["result"]["code"] == item_codes.SOIL_CONSERVATION
    bad = client.put(f"/api/v1/item_template/{tid}", headers=headers,
                     json={"code": "no_such_code"})
    assert bad.status_code == 422
    assert "code" in bad.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(select(ItemTemplate.code).where(
            ItemTemplate.id == tid)) == item_codes.SOIL_CONSERVATION


def test_county_b_cannot_read_county_as_templates_over_the_api(app, world, client, api_token):
    tid, *_ = _template(app, world, "他县模板")
    resp = client.get(f"/api/v1/item_template/{tid}", headers=api_token("b_admin"))
    assert resp.status_code == 404


def test_an_empty_or_unknown_choice_for_a_required_enum_is_a_message_not_a_500(app, world,
                                                                               login):
    tid, stage_id, dept_id, region_id = _template(app, world, "收费方式模板")
    client = login("a_admin")
    for bad in ("", "NO_SUCH_MODE"):
        form = _form("收费方式模板", stage_id, dept_id, region_id, "")
        form["fee_mode"] = bad
        resp = client.post(f"/itemtemplateview/edit/{tid}", data=form)
        assert resp.status_code == 200, bad
        page = resp.get_data(as_text=True)
        assert "收费方式模板" in page and ("必填" in page or "无效" in page), bad
