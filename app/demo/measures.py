"""Innovation measures in the demo data: a new user sees measures switched on (one for the
whole city, inherited by both counties, and three of county a's own) and two running on
projects, at the step a bureau would find them on a working morning.

Idempotent like the rest of the demo: a region that already has a setting of a measure
keeps it, and a project that already runs (or ran) a measure is left alone. A measure
whose plugin is not loaded (DISABLED_PLUGINS) is skipped.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    AppUser,
    MeasureSetting,
    OrgUnit,
    Project,
    ProjectStatus,
    Region,
    Stage,
    WorkflowInstance,
)

log = logging.getLogger(__name__)

CITY_MEASURES = {"licence_on_signing": {}}
COUNTY_A_MEASURES = {
    "pile_first": {},
    "joint_utility": {},
    "parallel_gaps": {"lead_unit": "行政审批局", "stage_code": "construction"},
}
# (measure, stage code of the project to run it on, the steps the assistant has taken)
RUNNING = (
    ("pile_first", "construction",
     [("submit", {"land_right_obtained": True, "pile_drawing_passed": True,
                  "commitment_signed": True}, "土地使用权已取得；桩基施工图审查合格；承诺书已签署")]),
    ("joint_utility", "engineering",
     [("submit", {"units": ["water", "power", "gas"]}, "申请供水、供电、供气联合报装")]),
)


def _available(key: str) -> bool:
    from app.plugins import current_manager

    manager = current_manager()
    return manager is not None and manager.measure(key) is not None


def _set(session: Session, key: str, region: Region, params: dict) -> bool:
    from app.services import measures

    if not _available(key):
        return False
    exists = session.scalar(select(MeasureSetting.id).where(
        MeasureSetting.measure_key == key, MeasureSetting.region_id == region.id))
    if exists is not None:
        return False
    measures.set_setting(session, key, region, True, params, None)
    return True


def _unit_ids(session: Session, region: Region, params: dict) -> dict:
    """Unit names in the demo's parameters → the county's OrgUnit ids (type "units")."""
    out = dict(params)
    if isinstance(out.get("lead_unit"), str):
        # Demo units carry the county's name in front (海安市行政审批局).
        unit_id = session.scalar(select(OrgUnit.id).where(
            OrgUnit.region_id == region.id, OrgUnit.name.endswith(out["lead_unit"])))
        out["lead_unit"] = [unit_id] if unit_id is not None else []
    return out


def _project_at(session: Session, region: Region, stage_code: str, key: str
                ) -> Project | None:
    """The county's first project in progress at the stage that never ran the measure."""
    ran = select(WorkflowInstance.project_id).where(WorkflowInstance.measure_key == key)
    return session.scalars(
        select(Project).join(Stage, Stage.id == Project.current_stage_id)
        .where(Project.region_id == region.id, Project.status == ProjectStatus.ACTIVE,
               Stage.code == stage_code, Project.id.notin_(ran))
        .order_by(Project.code).limit(1)).first()


def load_demo_measures(session: Session, city: Region, county_a: Region,
                       assistant: AppUser) -> int:
    """Switch the demo measures on and start the running ones; returns rows added."""
    from app.services import measures
    from app.workflow import engine

    added = 0
    for key, params in CITY_MEASURES.items():
        added += _set(session, key, city, params)
    for key, params in COUNTY_A_MEASURES.items():
        added += _set(session, key, county_a, _unit_ids(session, county_a, params))
    for key, stage_code, steps in RUNNING:
        if not _available(key):
            continue
        already = session.scalar(select(WorkflowInstance.id).join(
            Project, Project.id == WorkflowInstance.project_id).where(
            WorkflowInstance.measure_key == key, Project.region_id == county_a.id).limit(1))
        if already is not None:
            continue
        project = _project_at(session, county_a, stage_code, key)
        if project is None:
            continue
        try:
            with session.begin_nested():
                instance = measures.start_measure(session, project, key, assistant)
                for action, context, comment in steps:
                    engine.transition(session, instance, action, assistant, comment=comment,
                                      context=context)
        except (measures.MeasureError, engine.WorkflowError) as err:
            # Demo data must not stop the start-up; say why the measure is missing.
            log.warning("demo measure %s not started on %s: %s", key, project.code, err)
            continue
        added += 1
    return added
