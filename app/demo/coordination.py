"""协调推进 in the demo data: county a's 分管领导 (its bureau admin, who must sign a request
off before it leaves the county), and three requests as a dispatcher would find them — one
waiting on the county's power company, one across both counties at the city, one signed
off and escalated to the city after the county could not solve it.

Idempotent like the rest of the demo: requests are found again by their title on the
project, the leader by region and user.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    AppUser,
    CoordinationRequest,
    Project,
    ProjectStatus,
    RegionLeader,
)
from app.services import coordination as coord


def load_demo_coordination(session: Session, county_rows: dict, users: dict[str, AppUser]
                           ) -> int:
    """Add the demo's leaders and requests; returns the number of rows added."""
    a, b = county_rows["a"], county_rows["b"]
    created = 0
    admin, assistant, dispatcher = users["a_admin"], users["a_assistant"], users["a_dispatcher"]
    if session.scalar(select(RegionLeader.id).where(RegionLeader.region_id == a["region"].id,
                                                    RegionLeader.user_id == admin.id)) is None:
        session.add(RegionLeader(region=a["region"], user=admin, title="分管副市长"))
        a["region"].escalation_signoff = True
        created += 1
    projects = list(session.scalars(select(Project).where(
        Project.region_id == a["region"].id, Project.status == ProjectStatus.ACTIVE)
        .order_by(Project.code).limit(3)))
    if len(projects) < 3:
        return created
    session.flush()

    def ensure(project, title, **kw):
        nonlocal created
        found = session.scalar(select(CoordinationRequest).where(
            CoordinationRequest.project_id == project.id, CoordinationRequest.title == title))
        if found is not None:
            return None
        created += 1
        return coord.raise_request(session, project, assistant, title=title, **kw)

    ensure(projects[0], "10千伏线路迁改方案未出具", category="FACTOR_SUPPLY",
           problem="项目红线内有一条10千伏线路需迁改，供电公司尚未出具迁改方案，桩基无法进场。",
           owner_unit_ids=[a["utilities"]["供电公司"].id],
           requested_outcome="5个工作日内出具迁改方案并明确停电施工时间", days=5)
    ensure(projects[1], "跨县排水管网接入口径不一致", category="CROSS_DEPARTMENT",
           problem="项目雨污水需接入相邻县的市政管网，两县自然资源和规划部门对接入点意见不一致。",
           owner_unit_ids=[a["departments"]["自然资源和规划局"].id,
                           b["departments"]["自然资源和规划局"].id],
           requested_outcome="两县统一接入点位和管径意见", days=5)
    escalated = ensure(projects[2], "施工许可前置的人防审查意见迟迟未出", category="APPROVAL_BLOCKER",
                       problem="人防工程审查已超承诺时限，影响施工许可办理。",
                       owner_unit_ids=[a["departments"]["人民防空办公室"].id],
                       requested_outcome="明确审查意见和出具时间", days=3)
    if escalated is not None:
        session.flush()
        coord.sign_off(session, escalated.id, admin, "同意上报市级协调")
        coord.escalate(session, escalated.id, dispatcher, "县级两次协调未果，需市人防部门会商")
    session.flush()
    return created
