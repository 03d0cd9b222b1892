"""Red/yellow cards for workflow time limits (subject ``CardSubject.WORKFLOW``).

The same rules as the approval-item scan (``app.services.warnings``): yellow when a token's
due date is within the project's region ``warning_days`` working days and not yet passed,
red once a working day has passed since it. Only running instances of projects in progress
(在办) qualify. The card key is (subject, subject_id, level) with subject_id the instance
id, so one instance carries at most one card per level: the most urgent token (earliest due
date) decides, and the card's title names its state (and branch).

A card whose instance no longer qualifies for its level (the token moved on, the instance
completed or was cancelled, yellow turned red) is cleared; a card still qualifying whose
deadline changed (another step of the same instance now the most urgent) is raised again
with the new date. Newly raised cards notify like the item cards.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import (CardLevel, CardSubject, Project, ProjectStatus, Region, WarningCard,
                        WorkflowInstance, WorkflowInstanceStatus)
from app.models.base import utcnow
from app.services.notifications import dialect_insert
from app.services.warnings import last_working_day, notify_cards, yellow_limit

from .definition import Definition
from .engine import MAIN


def _most_urgent(instance: WorkflowInstance) -> Optional[tuple[dt.date, str, Optional[str]]]:
    best = None
    for key, tok in sorted((instance.tokens or {}).items()):
        due = tok.get("due_on")
        if not due:
            continue
        day = dt.date.fromisoformat(str(due))
        if best is None or day < best[0]:
            best = (day, tok["state"], None if key == MAIN else key)
    return best


def _level(value) -> CardLevel:
    return value if isinstance(value, CardLevel) else CardLevel[value]


def _title(defn: Definition, state: str, branch: Optional[str], project_name: str) -> str:
    label = defn.state_label(state)
    if branch:
        label += f"（{defn.branch_labels().get(branch, branch)}）"
    return f"{defn.name or defn.key}·{label} · {project_name}"[:255]


def qualifying(session: Session, today: dt.date) -> dict[tuple[int, CardLevel], dict]:
    """(instance id, level) → the card's values, for every instance that should carry one."""
    overdue_before = last_working_day(today)
    limits: dict[int, dt.date] = {}
    rows = session.execute(
        select(WorkflowInstance, Project.name, Project.id, Region.warning_days)
        .join(Project, Project.id == WorkflowInstance.project_id)
        .join(Region, Region.id == Project.region_id)
        .where(WorkflowInstance.status == WorkflowInstanceStatus.RUNNING,
               Project.status == ProjectStatus.ACTIVE)
        .order_by(WorkflowInstance.id)).all()
    out = {}
    for instance, project_name, project_id, warning_days in rows:
        urgent = _most_urgent(instance)
        if urgent is None:
            continue
        due, state, branch = urgent
        n = warning_days if warning_days is not None else 2
        if n not in limits:
            limits[n] = yellow_limit(today, n)
        if due < overdue_before:
            level = CardLevel.RED
        elif due < limits[n]:
            level = CardLevel.YELLOW
        else:
            continue
        defn = Definition.from_dict(instance.definition)
        out[(instance.id, level)] = {
            "project_id": project_id, "due_on": due,
            "title": _title(defn, state, branch, project_name)}
    return out


def raise_workflow_cards(session: Session, today: dt.date, result=None,
                         notify: bool = True) -> dict:
    """Raise and clear the workflow cards for ``today``; flushes, the caller commits.

    Returns ``{"raised": {"YELLOW": n, "RED": n}, "cleared": {...}, "raised_ids": [...],
    "notifications": n}``. Given the warning scan's ``ScanResult`` as ``result``, also adds
    its counts there (under subject WORKFLOW) and appends the new card ids to
    ``result.raised_ids``; pass ``notify=False`` when the scan notifies them itself.
    """
    now = utcnow()
    wanted = qualifying(session, today)
    wc = WarningCard.__table__
    raised: Counter = Counter()
    cleared: Counter = Counter()
    new_ids: list[int] = []
    for (instance_id, level), values in sorted(wanted.items(), key=lambda kv: (kv[0][0],
                                                                              kv[0][1].name)):
        ins = dialect_insert(session, wc).values(
            subject=CardSubject.WORKFLOW, subject_id=instance_id, level=level,
            project_id=values["project_id"], org_unit_id=None, title=values["title"],
            due_on=values["due_on"], raised_at=now, created_at=now, updated_at=now)
        ex = ins.excluded
        stmt = ins.on_conflict_do_update(
            index_elements=["subject", "subject_id", "level"],
            set_={"cleared_at": None, "raised_at": ex.raised_at, "due_on": ex.due_on,
                  "title": ex.title, "project_id": ex.project_id, "updated_at": ex.updated_at},
            where=(wc.c.cleared_at.isnot(None)) | (wc.c.due_on.is_distinct_from(ex.due_on)),
        ).returning(wc.c.id)
        card_id = session.execute(stmt).scalar()
        if card_id is not None:
            new_ids.append(card_id)
            raised[level.name] += 1

    # Clear the open workflow cards whose (instance, level) no longer qualifies.
    open_cards = session.execute(
        select(wc.c.id, wc.c.subject_id, wc.c.level).where(
            wc.c.subject == CardSubject.WORKFLOW, wc.c.cleared_at.is_(None))).all()
    to_clear = [cid for cid, sid, lvl in open_cards if (sid, _level(lvl)) not in wanted]
    if to_clear:
        session.execute(update(wc).where(wc.c.id.in_(to_clear))
                        .values(cleared_at=now, updated_at=now)
                        .execution_options(synchronize_session=False))
        for cid, sid, lvl in open_cards:
            if cid in to_clear:
                cleared[_level(lvl).name] += 1
    session.flush()
    notifications = notify_cards(session, new_ids, now) if (notify and new_ids) else 0
    out = {"raised": {lvl.name: raised[lvl.name] for lvl in CardLevel},
           "cleared": {lvl.name: cleared[lvl.name] for lvl in CardLevel},
           "raised_ids": new_ids, "notifications": notifications}
    if result is not None:
        for lvl in CardLevel:
            result.raised[(CardSubject.WORKFLOW.name, lvl.name)] += raised[lvl.name]
            result.cleared[(CardSubject.WORKFLOW.name, lvl.name)] += cleared[lvl.name]
        result.raised_ids = list(getattr(result, "raised_ids", []) or []) + new_ids
        if notify:
            result.notifications += notifications
    return out
