"""The process timeline of a project (seed 004 服务流程): 对接需求 → 制定方案 → 指导申报 →
协调办理 → 告知结果 → 提示评价 → 资料归档, or 终止服务, each with the date it was reached and
who did it — derived from the records, never typed.

``SOURCES`` is the list of milestone sources: functions ``(session, project) ->
{milestone key: (when, who)}``. Another area adds its own with one line
(``SOURCES.append(plan_milestones)``); for a key given by several sources the later one
in the list wins, so a specific record (an intake record) overrides the fallback here (the
lead assistant's assignment).

What the sources here read:

* ``intake`` (对接需求): the first lead assistant's assignment (``assigned_on``);
* ``intake`` and ``plan`` (制定方案) from the service plan's module (``plan_milestones``):
  the intake record's first contact, and when both sides signed the first version;
* ``declare`` (指导申报): the first item accepted (受理), by whom (the audit record of the
  action, else the item's department);
* ``coordinate`` (协调办理): the first coordination on record — a work order dispatched, a
  correction asked for, or an item decided — whichever came first;
* ``tell`` (告知结果): the first result told to the enterprise, by whom;
* ``evaluate`` (提示评价): none yet (ratings come with a later issue);
* ``terminate`` (终止服务) and ``archive`` (资料归档): the project's own columns.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    ApprovalItem,
    AppUser,
    AuditRecord,
    ItemCorrection,
    ItemStatus,
    Project,
    ProjectAssistant,
    ProjectStatus,
    WorkOrder,
)

from .people import person_name
from .service_plans import plan_milestones

When = dt.date | dt.datetime
Reached = tuple[When, str]
Source = Callable[[Session, Project], dict[str, Reached]]

STEPS = (
    ("intake", _("Intake (对接需求)")),
    ("plan", _("Service plan (制定方案)")),
    ("declare", _("Guided application (指导申报)")),
    ("coordinate", _("Coordination (协调办理)")),
    ("tell", _("Results told (告知结果)")),
    ("evaluate", _("Evaluation prompted (提示评价)")),
    ("archive", _("Archived (资料归档)")),
)
TERMINATE = ("terminate", _("Service terminated (终止服务)"))


@dataclass
class Milestone:
    key: str
    label: object
    when: When | None
    who: str

    @property
    def reached(self) -> bool:
        return self.when is not None


def _user_name(session: Session, user_id: int | None) -> str:
    return person_name(session.get(AppUser, user_id)) if user_id else ""


def _day(value: When) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def assignment_milestones(session: Session, project: Project) -> dict[str, Reached]:
    lead = session.scalars(select(ProjectAssistant).where(
        ProjectAssistant.project_id == project.id, ProjectAssistant.is_lead.is_(True))
        .order_by(ProjectAssistant.assigned_on.is_(None), ProjectAssistant.assigned_on,
                  ProjectAssistant.id)).first()
    if lead is None:
        return {}
    return {"intake": (lead.assigned_on or lead.created_at, str(lead))}


def _actor_of(session: Session, item_id: int, action: str) -> str:
    rec = session.scalars(select(AuditRecord).where(
        AuditRecord.model == "ApprovalItem", AuditRecord.object_id == str(item_id),
        AuditRecord.action == action).order_by(AuditRecord.id)).first()
    if rec is None:
        return ""
    return _user_name(session, rec.user_id) or (rec.username or "")


def item_milestones(session: Session, project: Project) -> dict[str, Reached]:
    items = list(session.scalars(select(ApprovalItem).where(
        ApprovalItem.project_id == project.id)))
    out: dict[str, Reached] = {}
    accepted = sorted((i for i in items if i.accepted_on), key=lambda i: (i.accepted_on, i.id))
    if accepted:
        first = accepted[0]
        out["declare"] = (first.accepted_on, _actor_of(session, first.id, "item_accept")
                          or str(first.department))
    candidates: list[tuple[dt.date, str]] = []
    order = session.scalars(select(WorkOrder).where(WorkOrder.project_id == project.id)
                            .order_by(WorkOrder.created_at)).first()
    if order is not None:
        candidates.append((_day(order.created_at), _user_name(session, order.created_by_id)))
    correction = session.scalars(select(ItemCorrection).join(ApprovalItem).where(
        ApprovalItem.project_id == project.id).order_by(ItemCorrection.requested_on)).first()
    if correction is not None:
        candidates.append((correction.requested_on,
                           _actor_of(session, correction.item_id, "item_correct")
                           or str(correction.item.department)))
    decided = sorted((i for i in items if i.finished_on and i.status in (
        ItemStatus.FINISHED, ItemStatus.REFUSED)), key=lambda i: (i.finished_on, i.id))
    if decided:
        candidates.append((decided[0].finished_on, str(decided[0].department)))
    if candidates:
        out["coordinate"] = min(candidates, key=lambda c: c[0])
    told = sorted((i for i in items if i.result_told_at), key=lambda i: i.result_told_at)
    if told:
        out["tell"] = (told[0].result_told_at, _user_name(session, told[0].result_told_by_id))
    return out


def closure_milestones(session: Session, project: Project) -> dict[str, Reached]:
    out: dict[str, Reached] = {}
    if project.status == ProjectStatus.TERMINATED and project.terminated_on:
        out["terminate"] = (project.terminated_on, _user_name(session, project.terminated_by_id))
    if project.archived_on:
        out["archive"] = (project.archived_on, _user_name(session, project.archived_by_id))
    return out


# The service plan's intake record and signatures (app/services/service_plans.py) come
# after the assignment, so an intake record's first contact overrides the fallback.
SOURCES: list[Source] = [assignment_milestones, plan_milestones, item_milestones,
                         closure_milestones]


def timeline(session: Session, project: Project) -> list[Milestone]:
    """The steps in order, each reached or not; 终止服务 before 资料归档 when terminated."""
    found: dict[str, Reached] = {}
    for source in SOURCES:
        found.update(source(session, project))
    steps = list(STEPS)
    if "terminate" in found:
        steps.insert(len(steps) - 1, TERMINATE)
    out = []
    for key, label in steps:
        when, who = found.get(key, (None, ""))
        out.append(Milestone(key, label, when, who))
    return out
