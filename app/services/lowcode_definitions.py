"""Commands on low-code measure definitions (低代码举措): saving one from the screen,
importing one another region exported, deleting one — with the rule that only the region
that defined a measure (or a region above it) may change it.

The screens, the API and the CLI call these the same way, inside the caller's
transaction (they flush, never commit); refusals are ``DomainValidationError`` with a
message per field.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AppUser, Region, WorkflowDefinition

from . import measures as measure_service
from .errors import DomainValidationError


def _manager():
    from app.plugins import manager_of

    return manager_of()


def definition_problems(definition: dict) -> list[str]:
    """Every problem of ``definition`` under the engine's validation (with the guards and
    effects the plugins provide), as messages."""
    from app.workflow.definition import validate

    manager = _manager()
    return [str(p) for p in validate(definition, known_guards=set(manager.guards()) or None,
                                     known_effects=set(manager.effects()) or None)]


def code_measure_keys() -> set[str]:
    """The codes of the measures plugins define in code (a low-code one may not take them)."""
    return {k for k, s in _manager().measures().items() if s.region_id is None}


def _not_yours() -> str:
    return gettext("Only the region that defined a measure may change it.")


def saved_region(session: Session, row: WorkflowDefinition) -> Region | None:
    """The region the row has in the database, before the edit being made to it."""
    if row.id is None:
        return None
    with session.no_autoflush:
        region_id = getattr(row, "loaded_region_id", None)
        if region_id is None:  # made in this session: not edited by a screen
            region_id = session.scalar(select(WorkflowDefinition.region_id)
                                       .where(WorkflowDefinition.id == row.id))
        return session.get(Region, region_id) if region_id is not None else None


def save_definition(session: Session, row: WorkflowDefinition, user: AppUser, *,
                    created: bool) -> WorkflowDefinition:
    """Check and complete a definition the screen is about to save: a new one belongs to
    the user's region unless another is chosen; an edited one may be changed only by the
    region that had it (so a county cannot take over the city's by picking itself); the
    code is not a built-in measure's; the JSON carries the row's key, name and version."""
    if not created:
        before = saved_region(session, row)
        if before is None or not measure_service.can_configure(user, before):
            raise DomainValidationError({"region": _not_yours()})
    errors = {}
    if row.region is None and row.region_id is None:
        row.region = getattr(user, "region", None)
    region = row.region
    if region is None or not measure_service.can_configure(user, region):
        errors["region"] = _not_yours()
    if row.key in code_measure_keys():
        errors["key"] = gettext("A built-in measure already uses this code.")
    if errors:
        raise DomainValidationError(errors)
    definition = dict(row.definition or {})
    definition.update(key=row.key, name=row.name, version=row.version)
    row.definition = definition
    return row


def check_delete(row: WorkflowDefinition, user: AppUser) -> None:
    """Only the defining region may delete a definition."""
    if row.region is None or not measure_service.can_configure(user, row.region):
        raise DomainValidationError({"region": _not_yours()})


def import_definition(session: Session, data: Any, user: AppUser) -> WorkflowDefinition:
    """A new WorkflowDefinition for the user's region from exported JSON (the next free
    version of its code). DomainValidationError lists every problem."""
    if not isinstance(data, dict):
        raise DomainValidationError({"definition": gettext(
            "The definition must be a JSON object.")})
    region = getattr(user, "region", None)
    if region is None or not measure_service.can_configure(user, region):
        raise DomainValidationError({"region": gettext(
            "Only a bureau admin of a region may import a measure.")})
    key = str(data.get("key") or "")
    errors = {}
    if key in code_measure_keys():
        errors["key"] = gettext("A built-in measure already uses this code.")
    for i, problem in enumerate(definition_problems(data)):
        errors[f"definition.{i}"] = problem
    if errors:
        raise DomainValidationError(errors)
    last = session.scalar(select(func.max(WorkflowDefinition.version))
                          .where(WorkflowDefinition.key == key)) or 0
    definition = dict(data, version=last + 1)
    row = WorkflowDefinition(key=key, version=last + 1, name=str(data.get("name")),
                             region_id=region.id, definition=definition, active=True)
    session.add(row)
    session.flush()
    return row


__all__ = ["check_delete", "code_measure_keys", "definition_problems", "import_definition",
           "save_definition"]
