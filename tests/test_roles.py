"""Each role's menu and allowed actions, and who may grant which role."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import appbuilder, db
from app.models import AppUser
from app.security import roles
from app.security.sync import sync_roles

# role key → (menu links it must see, menu links it must not see).
P, I, T, O, U, A = ("/projectview/list/", "/approvalitemview/list/", "/itemtemplateview/list/",
                    "/orgunitview/list/", "/users/list/", "/auditrecordview/list/")
MENUS = {
    "admin": ([P, I, T, O, U], [A]),
    "dispatcher": ([P, I, T, O], [A, U]),
    "assistant": ([P, I], [A, U]),
    "clerk": ([P, I], [A, U]),
    "dept": ([P, I], [A, U, T]),
    "company": ([P, I], [A, U, T, O]),
}


@pytest.mark.parametrize("key", sorted(MENUS))
def test_each_role_sees_its_menu(login, world, key):
    html = login(f"a_{key}").get("/").get_data(as_text=True)
    must, must_not = MENUS[key]
    for link in must:
        assert f'href="{link}"' in html, f"{key} should see {link}"
    for link in must_not:
        assert f'href="{link}"' not in html, f"{key} should not see {link}"


def test_auditor_menu_is_the_audit_trail_only(login, world):
    html = login("auditor").get("/").get_data(as_text=True)
    assert f'href="{A}"' in html
    assert f'href="{P}"' not in html and f'href="{U}"' not in html


ACTIONS = [
    # (role key, url, method, allowed)
    ("clerk", "/projectview/add", "get", True),
    ("clerk", "/users/list/", "get", False),
    ("clerk", "/itemtemplateview/add", "get", False),
    ("dispatcher", "/projectview/add", "get", False),
    ("dispatcher", "/projectview/list/", "get", True),
    ("company", "/projectview/add", "get", False),
    ("company", "/approvalitemview/add", "get", False),
    ("dept", "/projectview/add", "get", False),
    ("admin", "/users/list/", "get", True),
    ("admin", "/itemtemplateview/add", "get", True),
    ("admin", "/regionview/add", "get", False),
    ("admin", "/roles/list/", "get", False),
    ("assistant", "/projectview/add", "get", True),
]


@pytest.mark.parametrize("key,url,method,allowed", ACTIONS)
def test_role_actions(login, world, key, url, method, allowed):
    resp = getattr(login(f"a_{key}"), method)(url)
    if allowed:
        assert resp.status_code == 200, f"{key} {url}"
    else:
        assert resp.status_code == 403, f"{key} {url}: {resp.status_code}"


def test_bureau_admin_cannot_grant_system_admin(app, world, login):
    client = login("a_admin")
    form = client.get("/users/add").get_data(as_text=True)
    assert roles.SYSTEM_ADMIN not in form and roles.AUDITOR not in form
    with app.app_context():
        sysadmin_role = appbuilder.sm.find_role(roles.SYSTEM_ADMIN).id
        region = world.a.region.id
    resp = client.post("/users/add", data={
        "first_name": "越", "last_name": "权", "username": "a_escalate", "active": "y",
        "email": "a_escalate@test.gov.cn", "roles": [str(sysadmin_role)], "region": str(region),
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    # The role is not among the choices, so the form comes back asking for a role.
    assert resp.status_code == 200
    assert "help-block" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AppUser).where(AppUser.username == "a_escalate")) is None


def test_bureau_admin_creates_a_clerk_in_own_county(app, world, login):
    client = login("a_admin")
    with app.app_context():
        clerk_role = appbuilder.sm.find_role(roles.CLERK).id
        region = world.a.town.id
    resp = client.post("/users/add", data={
        "first_name": "新", "last_name": "录入员", "username": "a_newclerk", "active": "y",
        "email": "a_newclerk@test.gov.cn", "roles": [str(clerk_role)], "region": str(region),
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(AppUser).where(AppUser.username == "a_newclerk"))
        assert user is not None and user.region_id == region
        assert [r.name for r in user.roles] == [roles.CLERK]


def test_bureau_admin_cannot_place_a_user_in_another_county(app, world, login):
    client = login("a_admin")
    with app.app_context():
        clerk_role = appbuilder.sm.find_role(roles.CLERK).id
    resp = client.post("/users/add", data={
        "first_name": "外", "last_name": "县", "username": "a_outsider", "active": "y",
        "email": "a_outsider@test.gov.cn", "roles": [str(clerk_role)],
        "region": str(world.b.region.id),
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AppUser).where(AppUser.username == "a_outsider")) is None


def test_bureau_admin_cannot_reset_another_countys_password(world, login):
    client = login("a_admin")
    assert client.get(f"/resetpassword/form?pk={world.b.users['clerk'].id}").status_code == 404
    assert client.get(f"/resetpassword/form?pk={world.a.users['clerk'].id}").status_code == 200


def test_role_sync_is_idempotent(app, world):
    with app.app_context():
        before = {r.name: sorted(p.id for p in r.permissions) for r in appbuilder.sm.get_all_roles()}
        sync_roles(appbuilder)
        after = {r.name: sorted(p.id for p in r.permissions) for r in appbuilder.sm.get_all_roles()}
    assert before == after


@pytest.mark.parametrize("username", ["a_clerk", "a_dispatcher", "a_dept", "a_company",
                                      "auditor"])
def test_everyone_sees_their_own_account_page_but_not_the_user_list(login, world, username):
    client = login(username)
    resp = client.get("/users/userinfo/")
    assert resp.status_code == 200 and username in resp.get_data(as_text=True)
    assert client.get("/users/list/").status_code == 403
