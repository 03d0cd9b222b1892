"""Red/yellow cards for workflow time limits (subject ``CardSubject.WORKFLOW``).

The same rules as the approval-item scan (``app.services.warnings``): yellow when a
deadline is within the project's region ``warning_days`` working days and not yet passed,
red once a working day has passed since it. Only running instances of projects in progress
(在办) qualify. The card key is (subject, subject_id, part, level) with subject_id the
instance id and part the token: ``main``, or the parallel branch, so each overdue branch of
联合报装 carries its own card. Plugins add deadlines of their own through the
``reminder_rules`` hook (``ReminderDue``, part chosen by the rule).

A card whose (instance, part, level) no longer qualifies (the token moved on, the instance
completed or was cancelled, yellow turned red) is cleared; a card still qualifying whose
deadline changed is raised again with the new date. Newly raised cards notify like the
item cards.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.clock import utcnow
from app.models import (
    CardLevel,
    CardSubject,
    Project,
    ProjectStatus,
    Region,
    WarningCard,
    WorkflowInstance,
    WorkflowInstanceStatus,
)
from app.services.card_notices import last_working_day, notify_cards, yellow_limit
from app.services.notifications import dialect_insert

from .definition import Definition
from .engine import MAIN

log = logging.getLogger(__name__)

Key = tuple[int, str, CardLevel]  # (instance id, part, level)


def _level(value) -> CardLevel:
    return value if isinstance(value, CardLevel) else CardLevel[value]


def _title(defn: Definition, state: str, branch: str | None, project_name: str) -> str:
    label = defn.state_label(state)
    if branch:
        label += f"（{defn.branch_labels().get(branch, branch)}）"
    return f"{defn.name or defn.key}·{label} · {project_name}"[:255]


def token_deadlines(instance: WorkflowInstance, project_name: str) -> Iterable[dict]:
    """The deadline of each token of ``instance`` that has one."""
    defn = None
    for key, tok in sorted((instance.tokens or {}).items()):
        due = tok.get("due_on")
        if not due:
            continue
        defn = defn or Definition.from_dict(instance.definition)
        branch = None if key == MAIN else key
        yield {"part": key, "due_on": dt.date.fromisoformat(str(due)),
               "title": _title(defn, tok["state"], branch, project_name),
               "org_unit_id": None}


def rule_deadlines(session: Session, instances: list[WorkflowInstance], names: dict
                   ) -> Iterable[tuple[int, dict]]:
    """(instance id, deadline) from the plugins' reminder rules (``ReminderDue``). A rule
    that fails is logged and skipped: one plugin must not stop the daily scan."""
    from app.plugins import current_manager

    manager = current_manager()
    if manager is None or not instances:
        return
    known = {i.id for i in instances}
    for rule in manager.reminder_rules():
        try:
            dues = list(rule(session, instances) or [])
        except Exception:  # noqa: BLE001 - logged; the other rules and cards go on
            log.exception("reminder rule %r failed", rule)
            continue
        for due in dues:
            if due.instance_id not in known or not due.due_on or not due.part:
                continue
            part = str(due.part)[:64]
            if part == MAIN or "." not in part:
                part = f"rule.{part}"[:64]  # never the same key as a token's card
            yield due.instance_id, {
                "part": part, "due_on": due.due_on, "org_unit_id": due.org_unit_id,
                "title": f"{due.title} · {names[due.instance_id]}"[:255]}


def qualifying(session: Session, today: dt.date) -> dict[Key, dict]:
    """(instance id, part, level) → the card's values, for every deadline that should
    carry a card today."""
    overdue_before = last_working_day(today)
    limits: dict[int, dt.date] = {}
    rows = session.execute(
        select(WorkflowInstance, Project.name, Project.id, Region.warning_days)
        .join(Project, Project.id == WorkflowInstance.project_id)
        .join(Region, Region.id == Project.region_id)
        .where(WorkflowInstance.status == WorkflowInstanceStatus.RUNNING,
               Project.status == ProjectStatus.ACTIVE)
        .order_by(WorkflowInstance.id)).all()
    meta = {instance.id: (project_id, name, warning_days)
            for instance, name, project_id, warning_days in rows}
    names = {iid: m[1] for iid, m in meta.items()}
    deadlines = [(instance.id, d) for instance, name, _pid, _wd in rows
                 for d in token_deadlines(instance, name)]
    deadlines += list(rule_deadlines(session, [r[0] for r in rows], names))
    out = {}
    for instance_id, d in deadlines:
        project_id, _name, warning_days = meta[instance_id]
        n = warning_days if warning_days is not None else 2
        if n not in limits:
            limits[n] = yellow_limit(today, n)
        if d["due_on"] < overdue_before:
            level = CardLevel.RED
        elif d["due_on"] < limits[n]:
            level = CardLevel.YELLOW
        else:
            continue
        out[(instance_id, d["part"], level)] = dict(d, project_id=project_id)
    return out


def raise_workflow_cards(session: Session, today: dt.date, result: dict | None=None,
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
    for (instance_id, part, level), values in sorted(
            wanted.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2].name)):
        ins = dialect_insert(session, wc).values(
            subject=CardSubject.WORKFLOW, subject_id=instance_id, part=part, level=level,
            project_id=values["project_id"], org_unit_id=values.get("org_unit_id"),
            title=values["title"], due_on=values["due_on"], raised_at=now, created_at=now,
            updated_at=now)
        ex = ins.excluded
        stmt = ins.on_conflict_do_update(
            index_elements=["subject", "subject_id", "part", "level"],
            set_={"cleared_at": None, "raised_at": ex.raised_at, "due_on": ex.due_on,
                  "title": ex.title, "project_id": ex.project_id,
                  "org_unit_id": ex.org_unit_id, "updated_at": ex.updated_at},
            where=(wc.c.cleared_at.isnot(None)) | (wc.c.due_on.is_distinct_from(ex.due_on)),
        ).returning(wc.c.id)
        card_id = session.execute(stmt).scalar()
        if card_id is not None:
            new_ids.append(card_id)
            raised[level.name] += 1

    # Clear the open workflow cards whose (instance, part, level) no longer qualifies.
    open_cards = session.execute(
        select(wc.c.id, wc.c.subject_id, wc.c.part, wc.c.level).where(
            wc.c.subject == CardSubject.WORKFLOW, wc.c.cleared_at.is_(None))).all()
    to_clear = [cid for cid, sid, part, lvl in open_cards
                if (sid, part, _level(lvl)) not in wanted]
    if to_clear:
        session.execute(update(wc).where(wc.c.id.in_(to_clear))
                        .values(cleared_at=now, updated_at=now)
                        .execution_options(synchronize_session=False))
        clearing = set(to_clear)
        for cid, _sid, _part, lvl in open_cards:
            if cid in clearing:
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
