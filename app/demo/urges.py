"""催办 in the demo data: in the first county, one work order a dispatcher raised by hand on
an open item, and one assistant's proposal waiting for the dispatcher, both through the
commands of app/services/urges.py. Idempotent: a county that already has a hand-raised
work order or a proposal is left alone."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    ApprovalItem,
    AppUser,
    ItemStatus,
    Project,
    ProjectStatus,
    Region,
    UrgeCategory,
    UrgeProposal,
    WorkOrder,
    WorkOrderOrigin,
)
from app.services import urges


def load_demo_urges(session: Session, region: Region, dispatcher: AppUser,
                    assistant: AppUser) -> int:
    """Rows added (the work order and the proposal; 0 when already there)."""
    projects = select(Project.id).where(Project.region_id == region.id)
    if session.scalar(select(WorkOrder.id).where(
            WorkOrder.origin == WorkOrderOrigin.MANUAL, WorkOrder.project_id.in_(projects))) \
            or session.scalar(select(UrgeProposal.id).where(
                UrgeProposal.project_id.in_(projects))):
        return 0
    open_items = list(session.scalars(
        select(ApprovalItem).join(Project, Project.id == ApprovalItem.project_id)
        .where(Project.region_id == region.id, Project.status == ProjectStatus.ACTIVE,
               ApprovalItem.status == ItemStatus.ACCEPTED, ApprovalItem.due_on.isnot(None))
        .order_by(ApprovalItem.due_on, ApprovalItem.id).limit(2)))
    if len(open_items) < 2:
        return 0
    first, second = open_items
    urges.raise_urge(session, dispatcher, project=first.project, item=first,
                     org_unit=first.department, title=None, category=UrgeCategory.BEHIND_SCHEDULE,
                     request="该事项临近承诺时限，请说明审查进度，确保按期办结。", due_days=3)
    urges.propose_urge(session, assistant, project=second.project, item=second,
                       org_unit=second.department, title=None, category=UrgeCategory.MATERIALS,
                       request="企业反映补正材料已于本周提交，请部门尽快审查并反馈意见。",
                       due_days=2)
    return 2
