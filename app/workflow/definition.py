"""Workflow definitions as data (docs/domain.md): states, transitions, parallel split / join.

The JSON format, shared by the built-in plugins, the low-code screens and export/import::

    {"key": "pile_first", "name": "桩基先行许可", "version": 1, "initial": "apply",
     "states": [{"name": "apply", "label": "提出申请", "time_limit_days": 3},
                {"name": "done", "label": "核发", "final": true}],
     "transitions": [
       {"action": "submit", "label": "提交", "from": "apply", "to": "done",
        "roles": ["assistant"], "guards": ["commitment_signed"], "effects": []},
       {"action": "fan_out", "label": "分派", "from": "accepted", "roles": ["assistant"],
        "split": {"water": "water_accept", "power": "power_accept"}, "select_param": "units"},
       {"action": "finish", "label": "全部接通", "join": ["water_connected", "power_connected"],
        "to": "done", "auto": true}]}

A plain transition moves the token holding ``from`` to ``to``. A split replaces the token
holding ``from`` by one token per branch (only the branches listed in
``instance.params[select_param]`` when ``select_param`` is set). A join (no ``from``) removes
the branch tokens and puts the ``main`` token on ``to`` once every active branch sits in one
of its ``join`` states; ``auto`` transitions are fired by the engine itself.

An action may list the inputs it takes from the user, ``"fields": [{"name": "promised_on",
"type": "date", "label": "承诺补齐日期", "required": true}, …]`` (types text, textarea,
date, bool, int, item, choice, multichoice): ``app.workflow.fields`` checks the list and
turns what is typed into the ``context`` the action's guards and effects read.

Unknown keys are kept (``extra``) so a definition round-trips through JSON unchanged.
"""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .fields import spec_problems as _field_problems
from .messages import _, join_reasons

_STATE_KEYS = ("name", "label", "time_limit_days", "final")
_TRANSITION_KEYS = ("action", "label", "from", "to", "roles", "guards", "effects", "split",
                    "select_param", "join", "auto")
_DEFINITION_KEYS = ("key", "name", "version", "initial", "states", "transitions")


class DefinitionError(ValueError):
    """A definition that cannot run; ``problems`` lists every problem, each a plain str in
    the language current when it was found (Chinese outside a request)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(join_reasons(self.problems))


@dataclass
class State:
    name: str
    label: str = ""
    time_limit_days: int | None = None
    final: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name

    @classmethod
    def from_dict(cls, d: dict) -> State:
        d = dict(d or {})
        return cls(name=str(d.get("name") or ""), label=str(d.get("label") or ""),
                   time_limit_days=d.get("time_limit_days"), final=bool(d.get("final", False)),
                   extra={k: v for k, v in d.items() if k not in _STATE_KEYS})

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"name": self.name, "label": self.label}
        if self.time_limit_days is not None:
            out["time_limit_days"] = self.time_limit_days
        if self.final:
            out["final"] = True
        out.update(self.extra)
        return out


@dataclass
class Transition:
    action: str
    label: str = ""
    from_state: str | None = None
    to: str | None = None
    roles: list[str] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)
    split: dict[str, str] | None = None  # branch → first state of the branch
    select_param: str | None = None
    join: list[str] | None = None
    auto: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.action

    @property
    def is_split(self) -> bool:
        return bool(self.split)

    @property
    def is_join(self) -> bool:
        return self.join is not None

    @classmethod
    def from_dict(cls, d: dict) -> Transition:
        d = dict(d or {})
        split = d.get("split")
        join = d.get("join")
        return cls(action=str(d.get("action") or ""), label=str(d.get("label") or ""),
                   from_state=d.get("from"), to=d.get("to"),
                   roles=[str(r) for r in (d.get("roles") or [])],
                   guards=[str(g) for g in (d.get("guards") or [])],
                   effects=[str(e) for e in (d.get("effects") or [])],
                   split=({str(k): str(v) for k, v in split.items()}
                          if isinstance(split, dict) and split else None),
                   select_param=d.get("select_param") or None,
                   join=[str(s) for s in join] if isinstance(join, (list, tuple)) else None,
                   auto=bool(d.get("auto", False)),
                   extra={k: v for k, v in d.items() if k not in _TRANSITION_KEYS})

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"action": self.action, "label": self.label}
        if self.from_state is not None:
            out["from"] = self.from_state
        if self.to is not None:
            out["to"] = self.to
        out["roles"] = list(self.roles)
        out["guards"] = list(self.guards)
        out["effects"] = list(self.effects)
        if self.split:
            out["split"] = dict(self.split)
        if self.select_param:
            out["select_param"] = self.select_param
        if self.join is not None:
            out["join"] = list(self.join)
        if self.auto:
            out["auto"] = True
        out.update(self.extra)
        return out

    def targets(self) -> list[str]:
        """States this transition can put a token on."""
        if self.split:
            return list(self.split.values())
        return [self.to] if self.to else []

    def sources(self) -> list[str]:
        """States a token must be in for this transition (the join states for a join)."""
        if self.join is not None:
            return list(self.join)
        return [self.from_state] if self.from_state else []


@dataclass
class Definition:
    key: str
    name: str
    initial: str
    states: list[State] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    version: int = 1
    extra: dict = field(default_factory=dict)

    # -- lookups ------------------------------------------------------------------------
    def state(self, name: str | None) -> State | None:
        for s in self.states:
            if s.name == name:
                return s
        return None

    def transition(self, action: str) -> Transition | None:
        for t in self.transitions:
            if t.action == action:
                return t
        return None

    def state_label(self, name: str | None) -> str:
        s = self.state(name)
        return s.title if s else (name or "")

    def branch_labels(self) -> dict[str, str]:
        """Branch key → label: the split's optional ``branch_labels`` mapping, else the key."""
        out: dict[str, str] = {}
        for t in self.transitions:
            if t.split:
                labels = t.extra.get("branch_labels") or {}
                for b in t.split:
                    out.setdefault(b, labels.get(b) or b)
        return out

    @property
    def final_states(self) -> set[str]:
        return {s.name for s in self.states if s.final}

    # -- JSON ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict) -> Definition:
        d = dict(d or {})
        try:
            version = int(d.get("version") or 1)
        except (TypeError, ValueError):
            version = 1
        return cls(key=str(d.get("key") or ""), name=str(d.get("name") or ""),
                   initial=str(d.get("initial") or ""), version=version,
                   states=[State.from_dict(s) for s in (d.get("states") or [])],
                   transitions=[Transition.from_dict(t) for t in (d.get("transitions") or [])],
                   extra={k: v for k, v in d.items() if k not in _DEFINITION_KEYS})

    def to_dict(self) -> dict:
        out = {"key": self.key, "name": self.name, "version": self.version,
               "initial": self.initial, "states": [s.to_dict() for s in self.states],
               "transitions": [t.to_dict() for t in self.transitions]}
        out.update(self.extra)
        return out

    def to_json(self, **kw: Any) -> str:
        kw.setdefault("ensure_ascii", False)
        kw.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_json(cls, text: str) -> Definition:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DefinitionError([_("JSON format error: %(error)s", error=str(exc))]) from exc
        if not isinstance(data, dict):
            raise DefinitionError([_("The top level of the JSON must be an object")])
        return cls.from_dict(data)

    # -- graph ---------------------------------------------------------------------------
    def edges(self) -> list[tuple[str, str, Transition]]:
        """(from, to, transition) for every way a token can go from one state to another;
        a join contributes one edge per join state."""
        out = []
        for t in self.transitions:
            for src in t.sources():
                for dst in t.targets():
                    out.append((src, dst, t))
        return out


DefinitionLike = Definition | dict | str


def _as_definition(defn: DefinitionLike) -> Definition:
    if isinstance(defn, Definition):
        return defn
    if isinstance(defn, str):
        return Definition.from_json(defn)
    if not isinstance(defn, dict):
        raise DefinitionError([_("The workflow definition must be a JSON object")])
    problems = []
    for key in ("states", "transitions"):
        value = defn.get(key) or []
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            problems.append(_("“states” must be a list of state objects") if key == "states"
                            else _("“transitions” must be a list of action objects"))
    for t in defn.get("transitions") or []:
        if isinstance(t, dict) and t.get("split") is not None and not isinstance(t["split"],
                                                                                  dict):
            problems.append(_("The split of the action “%(action)s” must be an object of "
                              "“branch: state”", action=str(t.get("action"))))
        if isinstance(t, dict) and t.get("join") is not None and not isinstance(
                t["join"], (list, tuple)):
            problems.append(_("The join of the action “%(action)s” must be a list of states",
                              action=str(t.get("action"))))
    if problems:
        raise DefinitionError(problems)
    return Definition.from_dict(defn)


def _reach(start: Iterable[str], adj: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    todo = deque(seen)
    while todo:
        s = todo.popleft()
        for n in adj.get(s, ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def validate(defn: DefinitionLike, known_roles: Iterable[str] | None = None,
             known_guards: Iterable[str] | None = None,
             known_effects: Iterable[str] | None = None) -> list[str]:
    """Every problem of a definition, in the current language (Chinese outside a request),
    each naming the state or action; ``[]``
    when it can run. Role keys are checked against the app's roles (or ``known_roles``);
    guard and effect names only when ``known_guards`` / ``known_effects`` are given."""
    try:
        d = _as_definition(defn)
    except DefinitionError as exc:
        return exc.problems
    problems: list[str] = []

    if not d.key:
        problems.append(_("The workflow has no code (key)"))
    if not d.name:
        problems.append(_("The workflow has no name"))
    if not d.states:
        problems.append(_("The workflow has no states"))

    names: list[str] = []
    for s in d.states:
        if not s.name:
            problems.append(_("A state has no name"))
            continue
        if s.name in names:
            problems.append(_("The state “%(state)s” is defined more than once",
                              state=s.name))
        names.append(s.name)
        if s.time_limit_days is not None:
            if isinstance(s.time_limit_days, bool) or not isinstance(s.time_limit_days, int):
                problems.append(_("The time limit of the state “%(state)s” must be a whole "
                                  "number of working days", state=s.title))
            elif s.time_limit_days < 0:
                problems.append(_("The time limit of the state “%(state)s” cannot be negative",
                                  state=s.title))
    state_set = set(names)

    if not d.initial:
        problems.append(_("No initial state is given"))
    elif d.initial not in state_set:
        problems.append(_("The initial state “%(state)s” does not exist", state=d.initial))
    if d.states and not d.final_states:
        problems.append(_("The workflow has no final state"))

    if known_roles is None:
        from app.security.roles import ROLES_BY_KEY

        known_roles = ROLES_BY_KEY.keys()
    known_roles = set(known_roles)
    guards = set(known_guards) if known_guards is not None else None
    effects = set(known_effects) if known_effects is not None else None

    actions: list[str] = []
    for t in d.transitions:
        a = t.action
        if not a:
            problems.append(_("An action has no name (action)"))
            a = t.label or "?"
        elif a in actions:
            problems.append(_("The action “%(action)s” is defined more than once", action=a))
        actions.append(a)
        if t.split and t.join is not None:
            problems.append(_("The action “%(action)s” cannot both split and join",
                              action=a))
        if t.join is not None:
            if not t.join:
                problems.append(_("The action “%(action)s” joins no state", action=a))
            for s in t.join:
                if s not in state_set:
                    problems.append(_("The state “%(state)s” joined by the action "
                                      "“%(action)s” does not exist", state=s, action=a))
            if t.from_state:
                problems.append(_("The join action “%(action)s” must not give a start "
                                  "state (from)", action=a))
        elif not t.from_state:
            problems.append(_("The action “%(action)s” has no start state", action=a))
        elif t.from_state not in state_set:
            problems.append(_("The start state “%(state)s” of the action “%(action)s” does "
                              "not exist", state=t.from_state, action=a))
        if t.split:
            for branch, s in t.split.items():
                if s not in state_set:
                    problems.append(_("The state “%(state)s” of the branch “%(branch)s” of "
                                      "the action “%(action)s” does not exist",
                                      state=s, branch=branch, action=a))
            if t.to:
                problems.append(_("The split action “%(action)s” must not give a target "
                                  "state (to): each branch gives its own", action=a))
        elif not t.to:
            problems.append(_("The action “%(action)s” has no target state", action=a))
        elif t.to not in state_set:
            problems.append(_("The target state “%(state)s” of the action “%(action)s” does "
                              "not exist", state=t.to, action=a))
        if t.select_param and not t.split:
            problems.append(_("The action “%(action)s” gives a select_param but is not a "
                              "split action", action=a))
        for r in t.roles:
            if r not in known_roles:
                problems.append(_("The role “%(role)s” of the action “%(action)s” does not "
                                  "exist", role=r, action=a))
        if guards is not None:
            for g in t.guards:
                if g not in guards:
                    problems.append(_("The condition “%(guard)s” of the action "
                                      "“%(action)s” is not registered", guard=g, action=a))
        if effects is not None:
            for e in t.effects:
                if e not in effects:
                    problems.append(_("The effect “%(effect)s” of the action “%(action)s” "
                                      "is not registered", effect=e, action=a))
        problems.extend(_field_problems(t))

    # Graph checks on the edges that refer to existing states only.
    fwd: dict[str, set[str]] = {}
    back: dict[str, set[str]] = {}
    for src, dst, _t in d.edges():
        if src in state_set and dst in state_set:
            fwd.setdefault(src, set()).add(dst)
            back.setdefault(dst, set()).add(src)

    if d.initial in state_set:
        reachable = _reach([d.initial], fwd)
        for s in d.states:
            if s.name and s.name not in reachable:
                problems.append(_("The state “%(state)s” cannot be reached",
                                  state=s.title))
    else:
        reachable = set()

    finals = d.final_states & state_set
    if finals:
        can_finish = _reach(finals, back)
        stuck = [s for s in d.states if s.name and not s.final and s.name not in can_finish
                 and (s.name in reachable or not reachable)]
        for s in stuck:
            if any(n in state_set and n not in can_finish for n in fwd.get(s.name, ())) \
                    and any(s.name in _reach([n], fwd) for n in fwd.get(s.name, ())):
                problems.append(_("The state “%(state)s” is in a loop with no way out: it "
                                  "cannot reach a final state", state=s.title))
            else:
                problems.append(_("The state “%(state)s” cannot reach a final state",
                                  state=s.title))

    # A join's states must lie downstream of a split (else it could never fire).
    split_targets: set[str] = set()
    for t in d.transitions:
        if t.split:
            split_targets |= {s for s in t.split.values() if s in state_set}
    downstream = _reach(split_targets, fwd) if split_targets else set()
    for t in d.transitions:
        if t.join:
            for s in t.join:
                if s in state_set and s not in downstream:
                    problems.append(_("The state “%(state)s” joined by the action "
                                      "“%(action)s” is on no split branch: no split can "
                                      "reach it", state=d.state_label(s), action=t.action))
    return problems


def parse(defn: DefinitionLike, **kw: Any) -> Definition:
    """The definition, or ``DefinitionError`` listing every problem."""
    d = _as_definition(defn)
    problems = validate(d, **kw)
    if problems:
        raise DefinitionError(problems)
    return d
