"""Cross-field business rules, written once and checked by forms and the REST API alike.

A rule looks at the values being saved through ``get(field)`` and returns a message
or None. Forms attach rules to the field the message belongs next to; the API checks
the same rules on the object it is about to save.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _

Getter = Callable[[str], Any]


@dataclass(frozen=True)
class Rule:
    field: str
    check: Callable[[Getter], str | None]


def _town_within_region(get: Getter) -> str | None:
    town, region = get("town"), get("region")
    if town is None or region is None:
        return None
    if town.id == region.id or not town.is_within(region):
        return str(_("The town must lie inside the project's county/district."))
    return None


def _nonnegative(field: str, label) -> Rule:
    def check(get: Getter) -> str | None:
        value = get(field)
        if value is not None and value < 0:
            return str(_("%(label)s cannot be negative.", label=label))
        return None
    return Rule(field, check)


def _planned_order(get: Getter) -> str | None:
    start, end = get("planned_start_on"), get("planned_completion_on")
    if start and end and end < start:
        return str(_("Planned completion cannot be before the planned start."))
    return None


def _terminated_needs_reason(get: Getter) -> str | None:
    from app.models import ProjectStatus

    status = get("status")
    if status == ProjectStatus.TERMINATED and not get("termination_reason"):
        return str(_("A terminated project needs one of the termination reasons."))
    if status != ProjectStatus.TERMINATED and get("termination_reason"):
        return str(_("Only a terminated project has a termination reason."))
    return None


def _list_year(get: Getter) -> str | None:
    year = get("list_year")
    if year is not None and not (2000 <= year <= dt.date.today().year + 5):
        return str(_("List year must be between 2000 and %(max)s.", max=dt.date.today().year + 5))
    return None


def _due_after_accepted(get: Getter) -> str | None:
    accepted, due = get("accepted_on"), get("due_on")
    if accepted and due and due < accepted:
        return str(_("The due date cannot be before the date the item was accepted."))
    return None


def _finished_after_accepted(get: Getter) -> str | None:
    accepted, finished = get("accepted_on"), get("finished_on")
    if accepted and finished and finished < accepted:
        return str(_("The finish date cannot be before the date the item was accepted."))
    return None


def _accepted_needs_date(get: Getter) -> str | None:
    from app.models import ItemStatus

    status = get("status")
    if status is not None and (status.is_open or status == ItemStatus.FINISHED) \
            and get("accepted_on") is None:
        return str(_("An item that is %(status)s needs the date it was accepted.",
                     status=status.value))
    return None


def _finished_needs_date(get: Getter) -> str | None:
    from app.models import ItemStatus

    if get("status") == ItemStatus.FINISHED and get("finished_on") is None:
        return str(_("A finished item needs the date it was finished."))
    return None


def _department_in_project_region(get: Getter) -> str | None:
    project, department = get("project"), get("department")
    if project is None or department is None or project.region is None:
        return None
    # A department of the project's county, its towns, or a region above it (city bureaus).
    if project.region.is_within(department.region) or department.region.is_within(project.region):
        return None
    return str(_("The department must belong to the project's region or a region above it."))


def _within(field: str, limit: float) -> Rule:
    def check(get: Getter) -> str | None:
        value = get(field)
        if value is not None and not -limit <= value <= limit:
            return str(_("Between -%(limit)s and %(limit)s degrees.", limit=int(limit)))
        return None
    return Rule(field, check)


PROJECT_RULES = (
    Rule("town", _town_within_region),
    _nonnegative("investment_wan", _("Total investment")),
    _nonnegative("floor_area_wan_m2", _("Floor area")),
    Rule("planned_completion_on", _planned_order),
    Rule("termination_reason", _terminated_needs_reason),
    Rule("list_year", _list_year),
    _within("latitude", 90), _within("longitude", 180),
)

ITEM_RULES = (
    Rule("accepted_on", _accepted_needs_date),
    Rule("finished_on", _finished_needs_date),
    Rule("due_on", _due_after_accepted),
    Rule("finished_on", _finished_after_accepted),
    _nonnegative("time_limit_days", _("Time limit")),
    _nonnegative("fees_yuan", _("Fees")),
    Rule("department", _department_in_project_region),
)

TEMPLATE_RULES = (
    _nonnegative("time_limit_days", _("Time limit")),
    _nonnegative("fees_yuan", _("Fees")),
)


def check_object(rules: Iterable[Any], obj: object) -> None:
    """Raise DomainValidationError listing every rule ``obj`` breaks."""
    from .errors import DomainValidationError

    errors = {}
    for rule in rules:
        message = rule.check(lambda name: getattr(obj, name, None))
        if message and rule.field not in errors:
            errors[rule.field] = message
    if errors:
        raise DomainValidationError(errors)
