"""Creating projects and their approval items."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApprovalItem, ItemTemplate, Project, Region, Stage

from .regions import ancestor_ids


def templates_for(session: Session, region: Region) -> list[ItemTemplate]:
    """Active templates of the region and of every region above it, in stage order."""
    stmt = (select(ItemTemplate).join(ItemTemplate.stage)
            .where(ItemTemplate.active.is_(True),
                   ItemTemplate.region_id.in_(ancestor_ids(region.path)))
            .order_by(Stage.seq, ItemTemplate.seq, ItemTemplate.id))
    return list(session.scalars(stmt))


def instantiate_items(session: Session, project: Project) -> list[ApprovalItem]:
    """Add one approval item per template of the project's region (skipping ones it has)."""
    existing = {i.template_id for i in project.items if i.template_id}
    created = []
    for tpl in templates_for(session, project.region):
        if tpl.id in existing:
            continue
        item = ApprovalItem(
            project=project, template=tpl, stage_id=tpl.stage_id, department_id=tpl.department_id,
            name=tpl.name, code=tpl.code, time_limit_days=tpl.time_limit_days, fees_yuan=tpl.fees_yuan,
            fee_mode=tpl.fee_mode, materials=tpl.materials,
            division_of_labour=tpl.division_of_labour,
        )
        session.add(item)
        created.append(item)
    return created


def fill_due_on(item: ApprovalItem) -> None:
    """Keep the due date current: acceptance + time limit in working days, 补正 pauses
    not counted (rules in ``app.services.deadlines``)."""
    from .deadlines import fill_due_on as _fill

    _fill(item)


