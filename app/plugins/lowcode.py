"""Core plugin: measures defined without code (active WorkflowDefinition rows) offered
through the same ``provide_measures`` hook as the built-in and third-party plugins."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .hookspecs import hookimpl
from .types import MeasureSpec, standard_parameters

if TYPE_CHECKING:
    from app.models import WorkflowDefinition

log = logging.getLogger(__name__)

NAME = "lowcode"


def spec_from_definition(row: WorkflowDefinition) -> MeasureSpec:
    definition = row.definition or {}
    return MeasureSpec(
        key=row.key, name=row.name, version=str(row.version),
        description=str(definition.get("description") or "本地自定义举措（低代码）"),
        definition=definition, parameters=standard_parameters(definition),
        region_id=row.region_id, plugin=NAME)


class LowCodeMeasures:
    """The latest active version of each low-code definition is a measure of its region."""

    title = "低代码自定义举措"
    version = "1"
    dynamic = True  # its measures are rows: read at each call, not checked at start-up

    @hookimpl
    def provide_measures(self) -> list[MeasureSpec]:
        if not has_app_context():
            return []
        from app.extensions import db
        from app.models import WorkflowDefinition

        try:
            rows = db.session.scalars(
                select(WorkflowDefinition).where(WorkflowDefinition.active.is_(True))
                .order_by(WorkflowDefinition.key, WorkflowDefinition.version.desc())).all()
        except SQLAlchemyError:  # schema not migrated yet
            log.warning("low-code definitions not readable", exc_info=True)
            return []
        latest: dict[str, MeasureSpec] = {}
        for row in rows:
            latest.setdefault(row.key, spec_from_definition(row))
        return list(latest.values())


plugin = LowCodeMeasures()
