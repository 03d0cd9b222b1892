"""Accounts and sessions (issue 10, 等保 2.0 8.1.4.1): lockout, sessions that end on the
server, password rules and history, forced changes, safe redirects, headers, API CSRF."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AppUser, AuditRecord
from app.security import sessions

from . import factories as f

INVALID = "无效的用户名或密码"  # FAB's message for every failed login (zh catalogue)


def _post_login(client, username, password, **kw):
    return client.post("/login/", data={"username": username, "password": password},
                       follow_redirects=True, **kw)


def _signed_in(client) -> bool:
    return client.get("/projectview/list/").status_code == 200


def _user(app, username) -> AppUser:
    with app.app_context():
        user = db.session.scalar(select(AppUser).where(AppUser.username == username))
        db.session.expunge(user)
        return user


def _events(app, username, action):
    with app.app_context():
        return db.session.scalars(select(AuditRecord).where(
            AuditRecord.username == username, AuditRecord.action == action)
            .order_by(AuditRecord.id)).all()


# -- lockout --------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_account_with_the_same_message(app, world, client,
                                                                     monkeypatch):
    for _ in range(4):
        assert INVALID in _post_login(client, "a_clerk", "wrong").get_data(as_text=True)
    assert _user(app, "a_clerk").locked_until is None
    assert INVALID in _post_login(client, "a_clerk", "wrong").get_data(as_text=True)
    locked = _user(app, "a_clerk").locked_until
    assert locked is not None
    assert dt.timedelta(minutes=14) < locked - clock.utcnow() <= dt.timedelta(minutes=15)
    # The right password is refused now, with the same message as any failed login.
    page = _post_login(client, "a_clerk", f.PASSWORD).get_data(as_text=True)
    assert INVALID in page
    assert not _signed_in(client)
    reasons = [e.changes["reason"] for e in _events(app, "a_clerk", "login_failed")]
    assert reasons == ["wrong_password"] * 5 + ["locked"]
    # After 15 minutes the lock is gone by itself.
    later = clock.utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    _post_login(client, "a_clerk", f.PASSWORD)
    assert _signed_in(client)
    assert [e.action for e in _events(app, "a_clerk", "login")] == ["login"]


def test_an_admin_of_the_subtree_unlocks_an_account(app, world, client, login):
    for _ in range(5):
        _post_login(client, "a_clerk", "wrong")
    clerk_id = world.a.users["clerk"].id
    admin = login("b_admin")  # another county: not found
    resp = admin.post("/users/action_post", data={"action": "unlock", "rowid": [clerk_id]})
    assert _user(app, "a_clerk").locked_until is not None
    admin = login("a_admin")
    resp = admin.post("/users/action_post", data={"action": "unlock", "rowid": [clerk_id]})
    assert resp.status_code == 302
    assert _user(app, "a_clerk").locked_until is None
    assert len(_events(app, "a_admin", "unlock")) == 1
    client.get("/logout/")
    _post_login(client, "a_clerk", f.PASSWORD)
    assert _signed_in(client)


def test_a_disabled_account_cannot_sign_in_and_the_reason_is_audited(app, world, client):
    with app.app_context():
        db.session.get(AppUser, world.a.users["clerk"].id).active = False
        db.session.commit()
    assert INVALID in _post_login(client, "a_clerk", f.PASSWORD).get_data(as_text=True)
    assert [e.changes["reason"] for e in _events(app, "a_clerk", "login_failed")] == [
        "disabled"]


# -- sessions -------------------------------------------------------------------------------
def _cookie(client):
    return client.get_cookie("session").value


def _replay(client, cookie):
    """The client again with a copy of an earlier session cookie (as an attacker who
    copied it would send it)."""
    client.set_cookie("session", cookie)
    return client


@pytest.mark.parametrize("ending", ["logout", "password_change", "disable"])
def test_a_copied_cookie_stops_working(app, world, login, ending):
    client = login("a_clerk")
    assert _signed_in(client)
    copied = _cookie(client)
    if ending == "logout":
        client.get("/logout/")
    elif ending == "password_change":
        resp = client.post("/resetmypassword/form", data={
            "current_password": f.PASSWORD, "password": "NewPass#2027x",
            "conf_password": "NewPass#2027x"})
        assert resp.status_code == 302
    else:
        with app.app_context():
            db.session.get(AppUser, world.a.users["clerk"].id).active = False
            db.session.commit()
    replayed = _replay(client, copied)
    resp = replayed.get("/projectview/list/")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    assert replayed.get("/api/v1/project/").status_code == 401


def test_idle_timeout_and_absolute_lifetime(app, world, login, monkeypatch):
    client = login("a_clerk")
    start = sessions.time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: start + 29 * 60)
    assert _signed_in(client)  # active: the idle clock restarts
    monkeypatch.setattr(sessions.time, "time", lambda: start + 58 * 60)
    assert _signed_in(client)
    monkeypatch.setattr(sessions.time, "time", lambda: start + 89 * 60)
    assert not _signed_in(client)  # 31 minutes without a request
    client = login("a_clerk")
    start = sessions.time.time()
    for minutes in range(25, 12 * 60, 25):  # busy all day, never idle
        monkeypatch.setattr(sessions.time, "time", lambda m=minutes: start + m * 60)
        assert _signed_in(client), minutes
    monkeypatch.setattr(sessions.time, "time", lambda: start + 12 * 3600 + 60)
    assert not _signed_in(client)


def test_refresh_tokens_are_revoked_by_logout(app, world, client, login):
    resp = client.post("/api/v1/security/login", json={
        "username": "a_clerk", "password": f.PASSWORD, "provider": "db", "refresh": True})
    assert resp.status_code == 200
    refresh = resp.json["refresh_token"]
    access = resp.json["access_token"]
    ok = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh}"})
    assert ok.status_code == 200
    login("a_clerk").get("/logout/")  # signing out in the browser ends every session
    again = client.post("/api/v1/security/refresh",
                        headers={"Authorization": f"Bearer {refresh}"})
    assert again.status_code == 401
    listed = client.get("/api/v1/project/", headers={"Authorization": f"Bearer {access}"})
    assert listed.status_code == 401


# -- passwords ------------------------------------------------------------------------------
@pytest.mark.parametrize("password,problem", [
    ("Ab1!", "至少"),                      # too short
    ("abcdefghij", "三类"),                # one class
    ("a_clerkAB12!", "用户名"),            # contains the user name
])
def test_password_rules(app, world, login, password, problem):
    client = login("a_clerk")
    resp = client.post("/resetmypassword/form", data={
        "current_password": f.PASSWORD, "password": password, "conf_password": password})
    assert resp.status_code == 200
    assert problem in resp.get_data(as_text=True)
    assert _signed_in(client)  # nothing changed, still signed in


def test_changing_ones_password_asks_for_the_current_one_and_keeps_a_history(app, world,
                                                                            login):
    client = login("a_clerk")
    resp = client.post("/resetmypassword/form", data={
        "current_password": "not-it", "password": "NewPass#2027x",
        "conf_password": "NewPass#2027x"})
    assert resp.status_code == 200 and "当前密码不正确" in resp.get_data(as_text=True)
    passwords = ["Second#2027a", "Third#2027ab", "Fourth#2027a", "Fifth#2027ab",
                 "Sixth#2027ab"]
    current = f.PASSWORD
    for new in passwords:
        client = login("a_clerk", current)
        resp = client.post("/resetmypassword/form", data={
            "current_password": current, "password": new, "conf_password": new})
        assert resp.status_code == 302, resp.get_data(as_text=True)
        current = new
    client = login("a_clerk", current)
    for old in ("Second#2027a", current):  # within the last five
        resp = client.post("/resetmypassword/form", data={
            "current_password": current, "password": old, "conf_password": old})
        assert resp.status_code == 200
        assert "最近 5 次" in resp.get_data(as_text=True)
    assert len(_events(app, "a_clerk", "password_change")) == 5


def test_an_account_an_admin_created_or_reset_must_change_its_password(app, world, login):
    admin = login("a_admin")
    clerk_id = world.a.users["clerk"].id
    resp = admin.post(f"/resetpassword/form?pk={clerk_id}", data={
        "password": "Reset#2027abc", "conf_password": "Reset#2027abc"})
    assert resp.status_code == 302
    assert len(_events(app, "a_admin", "password_reset")) == 1
    client = login("a_clerk", "Reset#2027abc")
    resp = client.get("/projectview/list/")
    assert resp.status_code == 302 and "/resetmypassword/form" in resp.headers["Location"]
    resp = client.post("/resetmypassword/form", data={
        "current_password": "Reset#2027abc", "password": "Mine#2027abcd",
        "conf_password": "Mine#2027abcd"})
    assert resp.status_code == 302
    client = login("a_clerk", "Mine#2027abcd")
    assert _signed_in(client)


def test_a_password_older_than_90_days_must_be_changed(app, world, login):
    with app.app_context():
        user = db.session.get(AppUser, world.a.users["clerk"].id)
        user.password_changed_at = clock.utcnow() - dt.timedelta(days=91)
        db.session.commit()
    client = login("a_clerk")
    resp = client.get("/projectview/list/")
    assert resp.status_code == 302 and "/resetmypassword/form" in resp.headers["Location"]
    assert client.get("/api/v1/project/").status_code == 403


# -- redirects and headers ------------------------------------------------------------------
def test_login_never_redirects_off_site_even_with_a_forged_host(app, world, client):
    resp = client.post("/login/?next=http://evil.example/x",
                       data={"username": "a_clerk", "password": f.PASSWORD},
                       headers={"Host": "evil.example"})
    assert resp.status_code == 302
    assert "evil.example" not in resp.headers["Location"]


def test_security_headers_on_every_response(app, world, login, client):
    anonymous = client.get("/login/")
    for resp in (anonymous, login("a_clerk").get("/projectview/list/")):
        h = resp.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "default-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "same-origin"
        assert "Server" not in h
    assert resp.headers["Cache-Control"] == "no-store"
    cookie = resp.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_responses_carry_hsts(app, world, client):
    resp = client.get("/login/", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


# -- CSRF on the API through the browser session --------------------------------------------
def test_cookie_authenticated_api_writes_need_the_csrf_token(app, world, login, monkeypatch,
                                                             api_token):
    client = login("a_clerk")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    project_id = world.a.project.id
    # A cross-site form post with only the cookie: refused before the API runs.
    for data in ({"name": "跨站"}, {"file": (b"x", "x.txt")}):
        resp = client.put(f"/api/v1/project/{project_id}", data=data)
        assert resp.status_code == 400, resp.get_data(as_text=True)
        assert "CSRF" in resp.json["message"]
    resp = client.post("/api/v1/workflow_instance/1/cancel", data={"reason": "x"})
    assert resp.status_code == 400
    # The same write with the page's token passes the check (and reaches the API).
    page = client.get("/projectview/list/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token, "the page carries a CSRF token"
    resp = client.put(f"/api/v1/project/{project_id}", json={"name": "改名后的项目"},
                      headers={"X-CSRFToken": token.group(1)})
    assert resp.status_code != 400, resp.get_data(as_text=True)
    # A bearer token needs none.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the form login below
    client.get("/logout/")
    headers = api_token("a_clerk")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    resp = client.put(f"/api/v1/project/{project_id}", json={"name": "改名后的项目"},
                      headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
