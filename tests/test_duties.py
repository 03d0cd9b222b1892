"""Separation of duties, 三权分立 (issue 10; app/security/duties.py): the system admin runs
accounts, the security admin roles and permissions, the auditor reads the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.extensions import appbuilder, db
from app.models import AppUser, AuditRecord
from app.security import duties, roles
from app.services.errors import DomainValidationError

from . import factories as f

NEW = "Reset#2027abc"


@pytest.fixture()
def secadmin(app, world):
    with app.app_context():
        return f.user("secadmin", [roles.SECURITY_ADMIN]).id


def _role_id(app, name: str) -> int:
    with app.app_context():
        return appbuilder.sm.find_role(name).id


def _roles_of(app, user_id: int) -> set[str]:
    with app.app_context():
        return {r.name for r in db.session.get(AppUser, user_id).roles}


def _events(app, action: str) -> list[AuditRecord]:
    with app.app_context():
        return db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)
                                  .order_by(AuditRecord.id)).all()


def test_the_system_admin_reads_no_audit_trail_and_no_security_screens(app, world, login,
                                                                       api_token, client):
    admin = login("sysadmin")
    assert admin.get("/auditrecordview/list/").status_code == 403
    assert admin.get("/roles/list/").status_code == 403
    assert admin.get("/permissionviews/list/").status_code == 403
    home = admin.get("/").get_data(as_text=True)
    assert "/auditrecordview/list/" not in home and "/roles/list/" not in home
    assert "/users/list/" in home  # accounts are his
    resp = client.get("/api/v1/auditrecord/", headers=api_token("sysadmin"))
    assert resp.status_code in (403, 404)


def test_the_security_admin_runs_roles_and_the_auditor_reads_the_trail_only(app, world,
                                                                          login, secadmin):
    sec = login("secadmin")
    assert sec.get("/roles/list/").status_code == 200
    assert sec.get("/users/list/").status_code == 200
    assert sec.get("/auditrecordview/list/").status_code == 403
    assert sec.get("/projectview/list/").status_code == 403
    auditor = login("auditor")
    assert auditor.get("/auditrecordview/list/").status_code == 200
    for url in ("/users/list/", "/roles/list/", "/projectview/list/"):
        assert auditor.get(url).status_code == 403, url


def test_the_system_admin_cannot_grant_the_auditor_role_not_even_to_himself(app, world,
                                                                            login):
    admin = login("sysadmin")
    form = admin.get("/users/add").get_data(as_text=True)
    assert roles.AUDITOR not in form and roles.SECURITY_ADMIN not in form
    me = world.admin.id
    auditor_role, admin_role = _role_id(app, roles.AUDITOR), _role_id(app, roles.SYSTEM_ADMIN)
    resp = admin.post(f"/users/edit/{me}", data={
        "first_name": "sysadmin", "last_name": "测试", "username": "sysadmin", "active": "y",
        "email": "sysadmin@test.gov.cn", "roles": [str(admin_role), str(auditor_role)]})
    # Not among his choices: the form is refused or the role dropped; never granted.
    assert resp.status_code in (200, 302)
    assert _roles_of(app, me) == {roles.SYSTEM_ADMIN}


def test_nobody_holds_audit_and_user_administration_whatever_the_write_path(app, world,
                                                                           login, secadmin):
    # The security admin may grant the auditor role, but not beside a user-admin role.
    sec = login("secadmin")
    user_id = world.a.users["admin"].id
    resp = sec.post(f"/users/edit/{user_id}", data={
        "first_name": "a_admin", "last_name": "测试", "username": "a_admin", "active": "y",
        "email": "a_admin@test.gov.cn", "region": str(world.a.region.id),
        "roles": [str(_role_id(app, roles.BUREAU_ADMIN)), str(_role_id(app, roles.AUDITOR))]})
    assert resp.status_code == 200
    assert "审计员角色不能与用户管理角色" in resp.get_data(as_text=True)
    assert _roles_of(app, user_id) == {roles.BUREAU_ADMIN}
    # Past the screens (a script, the CLI): the flush refuses it all the same.
    with app.app_context():
        user = db.session.get(AppUser, user_id)
        user.roles.append(appbuilder.sm.find_role(roles.AUDITOR))
        with pytest.raises(DomainValidationError) as refused:
            db.session.commit()
        assert "roles" in refused.value.errors
        db.session.rollback()
    assert _roles_of(app, user_id) == {roles.BUREAU_ADMIN}
    # An auditor alone is fine, granted by the security admin.
    resp = sec.post("/users/add", data={
        "first_name": "审", "last_name": "计", "username": "auditor2", "active": "y",
        "email": "auditor2@test.gov.cn", "roles": [str(_role_id(app, roles.AUDITOR))],
        "password": "GoodPass@2026", "conf_password": "GoodPass@2026"})
    assert resp.status_code == 302
    with app.app_context():
        assert appbuilder.sm.find_user(username="auditor2") is not None


def test_no_declared_role_holds_both_duties():
    for spec in roles.ROLES:
        names = {spec.name}
        assert duties.conflicts(names) is None, spec.name
        if spec.name != roles.AUDITOR:
            assert roles.AUDIT not in spec.reads, spec.name
    assert roles.USERS not in roles.ROLES_BY_NAME[roles.AUDITOR].writes


def test_only_the_security_admin_resets_the_auditors_password_and_it_is_audited(
        app, world, login, secadmin):
    auditor_id = world.auditor.id
    admin = login("sysadmin")
    resp = admin.post(f"/resetpassword/form?pk={auditor_id}", data={
        "password": NEW, "conf_password": NEW})
    assert resp.status_code == 200
    assert "只有安全管理员可以重置审计员的密码" in resp.get_data(as_text=True)
    with app.app_context():
        assert not check_password_hash(db.session.get(AppUser, auditor_id).password, NEW)
    refused = _events(app, "reset_refused")
    assert [(e.username, e.object_id) for e in refused] == [("sysadmin", str(auditor_id))]
    trail = login("auditor").get("/auditrecordview/list/").get_data(as_text=True)
    assert "的密码被拒绝（审计员的密码只能由安全管理员重置）" in trail
    admin = login("sysadmin")
    sec = login("secadmin")
    resp = sec.post(f"/resetpassword/form?pk={auditor_id}", data={
        "password": NEW, "conf_password": NEW})
    assert resp.status_code == 302
    with app.app_context():
        assert check_password_hash(db.session.get(AppUser, auditor_id).password, NEW)
    assert [e.username for e in _events(app, "password_reset")] == ["secadmin"]
    # Other accounts the system admin resets as before.
    resp = admin.post(f"/resetpassword/form?pk={world.a.users['clerk'].id}", data={
        "password": NEW, "conf_password": NEW})
    assert resp.status_code == 302


def test_permission_changes_of_a_role_are_audited(app, world, login, secadmin):
    """ab_permission_view_role has no class of its own: the role's permissions collection
    is read in the audit's flush hook, one record per role and flush."""
    before = {e.id for e in _events(app, "permissions")}  # start-up's own sync
    with app.app_context():
        sm = appbuilder.sm
        role = sm.find_role(roles.CLERK)
        pv = sm.find_permission_view_menu("can_read", roles.AUDIT)
        role.permissions.append(pv)
        db.session.commit()
        role.permissions.remove(pv)
        db.session.commit()
    changed = [e for e in _events(app, "permissions") if e.id not in before]
    assert [(e.model, e.object_label) for e in changed] == [("Role", roles.CLERK)] * 2
    assert changed[0].changes == {"granted": [f"can_read {roles.AUDIT}"], "revoked": []}
    assert changed[1].changes == {"granted": [], "revoked": [f"can_read {roles.AUDIT}"]}
    trail = login("auditor").get("/auditrecordview/list/").get_data(as_text=True)
    assert f"修改了角色 {roles.CLERK} 的权限：授予 can_read {roles.AUDIT}" in trail
