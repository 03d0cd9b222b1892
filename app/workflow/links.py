"""Links between workflow instances and the approval items they create, change or rely on
(issue 4: "a workflow instance is attached to a project and, where relevant, to approval
items it creates or changes"). Plugins call these from their effects; the instance page
lists the items and the item page lists the measures."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApprovalItem, WorkflowInstance, WorkflowItemLink
from app.services import items

from .messages import _

CREATED, CHANGED, PREREQUISITE = "created", "changed", "prerequisite"
RELATIONS = (CREATED, CHANGED, PREREQUISITE)


def relation_label(relation: str) -> str:
    """The relation as shown on both pages, in the UI's language."""
    labels = {CREATED: _("Created by the measure"),
              CHANGED: _("Finished or changed by the measure"),
              PREREQUISITE: _("Prerequisite")}
    return labels.get(relation, relation)


def link_item(session: Session, instance: WorkflowInstance, item: ApprovalItem,
              relation: str) -> WorkflowItemLink:
    """Record that ``instance`` created/changed/relied on ``item`` (once per relation).
    The item must belong to the instance's project: a plugin bug must not tie two
    projects together."""
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}")
    if item.project_id != instance.project_id:
        raise ValueError("the item belongs to another project")
    session.flush()
    existing = session.scalar(select(WorkflowItemLink).where(
        WorkflowItemLink.instance_id == instance.id, WorkflowItemLink.item_id == item.id,
        WorkflowItemLink.relation == relation))
    if existing is not None:
        return existing
    with session.no_autoflush:
        link = WorkflowItemLink(relation=relation)
        instance.item_links.append(link)  # in the session now; loaded collections in step
        link.item = item
    session.flush()
    return link


def link_items(session: Session, instance: WorkflowInstance, items: Iterable[ApprovalItem],
               relation: str) -> int:
    n = 0
    for item in items:
        link_item(session, instance, item, relation)
        n += 1
    return n


def finished_items_coded(session: Session, project_id: int, codes: Iterable[str]
                         ) -> list[ApprovalItem]:
    """The project's finished (已办结) items carrying one of ``codes``."""
    return items.finished_with_codes(session, project_id, codes)


def open_items_coded(session: Session, project_id: int, codes: Iterable[str]
                     ) -> list[ApprovalItem]:
    """The project's items not yet finished, refused or withdrawn carrying one of ``codes``."""
    return items.open_with_codes(session, project_id, codes)


def finish_item(session: Session, instance: WorkflowInstance, item: ApprovalItem,
                day: dt.date, result: str | None = None) -> None:
    """Mark ``item`` finished on ``day`` by the measure (e.g. a permit issued the day of
    signing, through the item service) and link it as changed."""
    items.finish(item, day, result=result)
    link_item(session, instance, item, CHANGED)


def linked_items(instance: WorkflowInstance) -> list[dict]:
    """The instance's items for its page, in link order."""
    return [{"item": link.item, "relation": link.relation,
             "relation_label": relation_label(link.relation), "at": link.at}
            for link in instance.item_links]


def instances_of_item(session: Session, item_id: int) -> list[dict]:
    """The measures an item is linked to, for the item's page."""
    rows = session.execute(
        select(WorkflowItemLink, WorkflowInstance)
        .join(WorkflowInstance, WorkflowInstance.id == WorkflowItemLink.instance_id)
        .where(WorkflowItemLink.item_id == item_id).order_by(WorkflowItemLink.id)).all()
    return [{"instance": ins, "name": (ins.definition or {}).get("name") or ins.measure_key,
             "relation": link.relation,
             "relation_label": relation_label(link.relation)}
            for link, ins in rows]
