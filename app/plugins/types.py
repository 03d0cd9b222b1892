"""The data a measure plugin hands the host: its measures and their configurable parameters."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PARAM_TYPES = frozenset({"int", "bool", "str", "choice", "multichoice", "unit", "units",
                         "roles"})

# Parameter names the host understands when it builds a workflow instance's params:
# ``time_limits.<state>`` (working days) and ``roles.<action>`` (role keys allowed to act)
# are gathered into ``params["time_limits"]`` / ``params["roles"]``; ``units`` (type
# "units": OrgUnit ids of the participating departments/units; type "unit": one OrgUnit id,
# e.g. a lead department) and any other name (e.g.
# a split's ``select_param`` listing the branches to run) are handed over unchanged.
TIME_LIMIT_PREFIX = "time_limits."
ROLES_PREFIX = "roles."
UNITS = "units"


@dataclass(frozen=True)
class ParamSpec:
    """One setting a region may change without code."""

    name: str
    type: str
    default: Any = None
    label: str = ""  # Chinese, shown on the settings form
    help: str = ""
    # For choice/multichoice: (value, label) pairs; for units: OrgUnitKind names to offer
    # (empty = every unit in scope); for roles: role names to offer (empty = every role).
    choices: tuple = ()
    required: bool = False

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name!r}: unknown type {self.type!r} "
                             f"(one of {', '.join(sorted(PARAM_TYPES))})")

    @property
    def choice_values(self) -> list:
        return [c[0] if isinstance(c, (tuple, list)) else c for c in self.choices]


@dataclass(frozen=True)
class MeasureSpec:
    """A measure (创新举措) a plugin provides: its workflow definition and parameters."""

    key: str
    name: str  # Chinese
    version: str
    definition: dict
    description: str = ""
    parameters: tuple[ParamSpec, ...] = ()
    # Low-code measures belong to the region that defined them (and its subtree); code
    # plugins offer theirs everywhere (None).
    region_id: int | None = None
    plugin: str = ""  # filled in by the manager: the plugin that provided it

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.parameters if p.name == name), None)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.parameters}


@dataclass(frozen=True)
class LedgerColumn:
    """An extra column of the 重大项目推进台账 (the ``ledger_columns`` hook).

    ``value(instance)`` gets the project's latest instance of ``measure_key`` (any status)
    and returns the cell: text, a number, or None for an empty cell. Projects without an
    instance of the measure get an empty cell without calling it, and the column appears
    only when some project of the ledger has such an instance, so a county that does not
    use the measure does not see it. The host loads the instances in one query per
    export: ``value`` must read the instance (params, tokens, status), not query the
    database row by row."""

    header: str  # Chinese
    measure_key: str
    value: Callable[[Any], Any]
    width: int = 16


@dataclass(frozen=True)
class ReminderDue:
    """A deadline a plugin's reminder rule (the ``reminder_rules`` hook) asks the daily
    warning scan to watch. The scan raises a yellow card within the region's warning
    days before ``due_on`` and a red card once it has passed, exactly as for approval
    items, and clears the card when the rule no longer returns the deadline.

    ``part`` tells the rule's deadlines of one instance apart (it is part of the card's
    key; it must be unique per rule and instance, e.g. ``"pile_first.full_permit"``)."""

    instance_id: int
    part: str
    due_on: Any  # datetime.date
    title: str  # Chinese, shown on the card
    org_unit_id: int | None = None  # the unit a work order from the card goes to


@dataclass
class PluginInfo:
    """A plugin as the manager saw it at start-up (shown by the CLI and the admin screen)."""

    name: str
    source: str  # "core", "builtin" or "entrypoint"
    version: str = ""
    title: str = ""
    error: str | None = None  # why it is not loaded (import, registration, validation)
    blocked: bool = False  # listed in DISABLED_PLUGINS

    @property
    def loaded(self) -> bool:
        return self.error is None and not self.blocked



# -- reading a workflow definition (tolerant of the list and the mapping forms) ----------

def _named(items, name_keys=("name", "key", "id")) -> list[tuple[str, dict]]:
    if isinstance(items, dict):
        return [(str(k), v if isinstance(v, dict) else {}) for k, v in items.items()]
    out = []
    for item in items or []:
        if isinstance(item, dict):
            name = next((item[k] for k in name_keys if item.get(k)), None)
            if name is not None:
                out.append((str(name), item))
        elif isinstance(item, str):
            out.append((item, {}))
    return out


def definition_states(definition: dict) -> list[tuple[str, dict]]:
    return _named((definition or {}).get("states"))


def definition_transitions(definition: dict) -> list[tuple[str, dict]]:
    return _named((definition or {}).get("transitions"), ("action", "name", "key", "id"))


def _time_limit(state: dict):
    for key in ("time_limit", "time_limit_days", "days", "limit"):
        if isinstance(state.get(key), int):
            return state[key]
    return None


def standard_parameters(definition: dict) -> tuple[ParamSpec, ...]:
    """Parameters every definition offers a region: the time limit of each state that has
    one and the roles of each action. Built-in plugins add these to their own."""
    params: list[ParamSpec] = []
    for name, state in definition_states(definition):
        limit = _time_limit(state)
        if limit is None:
            continue
        label = state.get("label") or name
        params.append(ParamSpec(f"{TIME_LIMIT_PREFIX}{name}", "int", limit,
                                label=f"“{label}”时限（工作日）",
                                help="该环节的办理时限，按工作日计算。"))
    seen = set()
    for action, transition in definition_transitions(definition):
        if action in seen or not isinstance(transition.get("roles"), list):
            continue
        seen.add(action)
        label = transition.get("label") or action
        params.append(ParamSpec(f"{ROLES_PREFIX}{action}", "roles", list(transition["roles"]),
                                label=f"“{label}”办理角色",
                                help="可以执行此操作的角色。"))
    # A split that runs only the selected branches (select_param) lets a region choose them.
    for action, transition in definition_transitions(definition):
        split, select = transition.get("split"), transition.get("select_param")
        if not isinstance(split, dict) or not select or select in seen:
            continue
        seen.add(select)
        labels = transition.get("branch_labels") or {}
        params.append(ParamSpec(select, "multichoice", list(split),
                                label=f"“{transition.get('label') or action}”参与的分支",
                                help="只有选中的分支会并行办理，全部完成后汇合。",
                                choices=tuple((b, labels.get(b) or b) for b in split)))
    return tuple(params)
