"""Factories that build the domain rows tests need, with sensible defaults."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from app.extensions import appbuilder, db
from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    ItemTemplate,
    ListLevel,
    OrgUnit,
    OrgUnitKind,
    Project,
    ProjectAssistant,
    Region,
    RegionLevel,  # noqa: F401  (tests use f.RegionLevel)
    ServiceTeamMember,
    Stage,
)
from app.services import credit_codes
from app.services.projects import instantiate_items
from app.services.regions import save_region

_seq = itertools.count(1)
PASSWORD = "TestPass@2026"


def region(name, code, level, parent=None, **kw) -> Region:
    r = Region(name=name, code=code, level=level, parent=parent, **kw)
    db.session.add(r)
    save_region(db.session, r)
    db.session.flush()
    return r


def org_unit(region_, name="住房和城乡建设局", kind=OrgUnitKind.DEPARTMENT) -> OrgUnit:
    u = OrgUnit(name=name, kind=kind, region=region_)
    db.session.add(u)
    db.session.flush()
    return u


def applicant(region_, name=None) -> Applicant:
    n = next(_seq)
    code = credit_codes.with_check_character(f"91320000MA{n:07d}")
    a = Applicant(name=name or f"测试企业{n}有限公司", credit_code=code, region=region_)
    db.session.add(a)
    db.session.flush()
    return a


def stage(code="construction") -> Stage:
    return db.session.query(Stage).filter_by(code=code, region_id=None).one()


def template(region_, department, name="建筑工程施工许可证", days=3, stage_code="construction"):
    t = ItemTemplate(region=region_, department=department, stage=stage(stage_code), name=name,
                     time_limit_days=days)
    db.session.add(t)
    db.session.flush()
    return t


def project(region_, applicant_, name=None, code=None, town=None, **kw) -> Project:
    n = next(_seq)
    p = Project(code=code or f"TEST-{n:06d}", name=name or f"测试项目{n}", region=region_,
                town=town, applicant=applicant_, investment_wan=Decimal("1000"),
                list_level=kw.pop("list_level", ListLevel.COUNTY),
                list_year=kw.pop("list_year", 2026), **kw)
    db.session.add(p)
    db.session.flush()
    instantiate_items(db.session, p)
    db.session.flush()
    return p


def item(project_, department, name="测试事项", **kw) -> ApprovalItem:
    i = ApprovalItem(project=project_, department=department, stage=stage(), name=name,
                     time_limit_days=kw.pop("time_limit_days", 5), **kw)
    db.session.add(i)
    db.session.flush()
    return i


def user(username, role_names, region_=None, org_unit_=None, applicant_=None) -> AppUser:
    sm = appbuilder.sm
    existing = sm.find_user(username=username)
    if existing:
        return existing
    roles = [sm.find_role(r) for r in role_names]
    u = sm.add_user(username, username, "测试", f"{username}@test.gov.cn", roles,
                    password=PASSWORD)
    assert u, f"could not create user {username}"
    u.region, u.org_unit, u.applicant = region_, org_unit_, applicant_
    db.session.commit()
    return u


def team(project_, unit, assistant_user):
    db.session.add(ProjectAssistant(project=project_, user=assistant_user, is_lead=True,
                                    assigned_on=dt.date(2026, 1, 5)))
    db.session.add(ServiceTeamMember(project=project_, org_unit=unit))
    db.session.flush()


def world_user(world, key: str, county: str = "a") -> AppUser:
    """The demo user ``<county>_<key>`` of the test world, in the current session."""
    return db.session.get(AppUser, getattr(world, county).users[key].id)


def assisted_project(world, county: str = "a") -> Project:
    """A new project of the county with the county's assistant as its lead (committed)."""
    c = getattr(world, county)
    region_ = db.session.get(Region, c.region.id)
    p = project(region_, applicant(region_))
    db.session.add(ProjectAssistant(project=p, user_id=c.users["assistant"].id, is_lead=True))
    db.session.commit()
    return p


def enabled_lowcode_measure(app, world, prefix: str, name: str, definition,
                            enable: bool = True):
    """A fresh low-code measure of county a (key ``<prefix>_<random>``), enabled there by the
    system admin unless ``enable`` is false; a generator for a fixture: yields the key, then
    retires the definition. ``definition(key) -> dict`` gives its workflow."""
    import uuid

    from sqlalchemy import select

    from app.models import WorkflowDefinition
    from app.services import measures

    key = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        db.session.add(WorkflowDefinition(key=key, version=1, name=name,
                                          region_id=world.a.region.id,
                                          definition=definition(key)))
        db.session.flush()
        if enable:
            measures.set_setting(db.session, key, db.session.get(Region, world.a.region.id),
                                 True, {}, db.session.get(AppUser, world.admin.id))
        db.session.commit()
    yield key
    with app.app_context():
        for row in db.session.scalars(select(WorkflowDefinition).where(
                WorkflowDefinition.key == key)):
            row.active = False
        db.session.commit()


def start_on_county_a_project(app, world, key) -> int:
    """Start measure ``key`` on county a's project as its assistant; the instance id."""
    from app.services import measures

    with app.app_context():
        inst = measures.start_measure(db.session, db.session.get(Project, world.a.project.id),
                                      key, db.session.get(AppUser, world.a.users["assistant"].id))
        db.session.commit()
        return inst.id


def measure_set_in_county_a(app, world, key: str, params: dict | None = None):
    """Measure ``key`` enabled for county a with ``params`` (set by the county's bureau
    admin); a generator for a fixture: yields, then drops the county's own setting."""
    from app.services import measures

    with app.app_context():
        measures.set_setting(db.session, key, db.session.get(Region, world.a.region.id), True,
                             dict(params or {}), world_user(world, "admin"))
        db.session.commit()
    yield
    with app.app_context():
        measures.clear_setting(db.session, key, db.session.get(Region, world.a.region.id), None)
        db.session.commit()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real (decodable) PNG image, for uploads."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "PNG")
    return out.getvalue()
