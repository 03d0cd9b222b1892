"""The workflow engine: one service that starts measures and runs their transitions for the
screens, the REST API and the RQ workers alike (docs/domain.md).

Everything runs inside the caller's transaction: the engine flushes, never commits. A
refused transition raises ``TransitionRefused`` with the reason (a plain str in the
current language, Chinese outside a request: see ``messages``) and changes nothing (guards
are asked before anything moves; an effect that raises is undone through a
savepoint).

Tokens (``WorkflowInstance.tokens``)::

    {"main": {"state": "review", "entered_on": "2026-11-11", "due_on": "2026-11-18"}}

After a split the ``main`` token is replaced by one token per branch (keyed by the branch
name); a join puts ``main`` back. The instance is complete when every token sits in a final
state. Time limits: ``instance.params["time_limits"][state]`` overrides the state's
``time_limit_days``; roles: ``instance.params["roles"][action]`` overrides the
transition's ``roles`` (both filled from the region's measure settings when starting).

Guards and effects are named in the definition and resolved, in order, from the dicts
passed to ``start`` / ``transition``, then the running app's plugin manager
(``app.extensions["measures"]``, asked at call time: two apps in one process never share
a guard, and a plugin switched off is gone at once). An unknown guard refuses (fails
closed); an unknown effect refuses too, before anything moves. After every step the
manager's ``after_transition`` runs inside the same transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app import clock
from app.clock import utcnow
from app.models import WorkflowInstance, WorkflowInstanceStatus, WorkflowStep
from app.services import calendar, people

from .definition import Definition, DefinitionError, Transition, parse
from .fields import describe as describe_fields
from .messages import _, join_names, join_reasons

if TYPE_CHECKING:
    from app.models import AppUser, Project

Guard = Callable[[Session, WorkflowInstance, dict], str | None]
Effect = Callable[[Session, WorkflowInstance, dict], None]
AfterTransition = Callable[[Session, WorkflowInstance, WorkflowStep], None]

MAIN = "main"
_MAX_AUTO = 100

# The key under which the app factory keeps the plugin manager (app.plugins.EXTENSION;
# not imported: the plugins sit beside the engine and import it).
REGISTRY_EXTENSION = "measures"


class Registry(Protocol):
    """What the engine asks the app's plugin manager (app/plugins/manager.py)."""

    def guards(self) -> dict[str, Guard]: ...

    def effects(self) -> dict[str, Effect]: ...

    def after_transition(self, session: Session, instance: WorkflowInstance,
                         step: WorkflowStep) -> None: ...


def registry() -> Registry | None:
    """The running app's guard/effect registry; None outside an app (a plain script passes
    its guards and effects to ``start``/``transition`` itself)."""
    if not has_app_context():
        return None
    return current_app.extensions.get(REGISTRY_EXTENSION)


def registered_guards() -> dict[str, Guard]:
    reg = registry()
    return dict(reg.guards()) if reg is not None else {}


def registered_effects() -> dict[str, Effect]:
    reg = registry()
    return dict(reg.effects()) if reg is not None else {}


def _after_transition(session: Session, instance: WorkflowInstance, step: WorkflowStep
                      ) -> None:
    reg = registry()
    if reg is not None:
        reg.after_transition(session, instance, step)


class WorkflowError(Exception):
    """Base of the engine's refusals; ``reason`` is the message for the user, a plain str
    translated when the refusal was made (Chinese outside a request)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TransitionRefused(WorkflowError):
    pass


class StartRefused(WorkflowError):
    pass


# -- views for the screens ----------------------------------------------------------------
@dataclass
class ActionView:
    """One thing the user may do now. ``reasons`` is empty when it can be done; otherwise
    it says (in the current language) why the button is disabled."""

    action: str
    label: str
    from_state: str | None
    to_state: str | None
    branch: str | None = None
    reasons: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)  # for a split: the branches it creates

    @property
    def enabled(self) -> bool:
        return not self.reasons


# -- helpers ------------------------------------------------------------------------------
def definition_of(instance: WorkflowInstance) -> Definition:
    """The instance's snapshot definition, parsed (it was validated when started)."""
    return Definition.from_dict(instance.definition)


def role_keys(user: AppUser | None) -> set[str]:
    """The role keys (assistant, dept, …) a user holds."""
    from app.security.roles import ROLES_BY_NAME

    if user is None:
        return set()
    out = set()
    for r in (getattr(user, "roles", None) or []):
        spec = ROLES_BY_NAME.get(getattr(r, "name", r))
        if spec is not None:
            out.add(spec.key)
    return out


def allowed_roles(instance: WorkflowInstance, t: Transition) -> list[str]:
    overrides = (instance.params or {}).get("roles") or {}
    roles = overrides.get(t.action)
    return list(roles) if roles is not None else list(t.roles)


def time_limit(instance: WorkflowInstance, state: str, defn: Definition | None = None) -> int | None:
    defn = defn or definition_of(instance)
    limits = (instance.params or {}).get("time_limits") or {}
    if state in limits and limits[state] is not None:
        try:
            return int(limits[state])
        except (TypeError, ValueError):
            pass
    s = defn.state(state)
    return s.time_limit_days if s else None


def _token(instance, defn: Definition, state: str, today: dt.date) -> dict:
    days = time_limit(instance, state, defn)
    s = defn.state(state)
    due = None
    if days is not None and not (s and s.final):
        due = calendar.add_working_days(today, int(days)).isoformat()
    return {"state": state, "entered_on": today.isoformat(), "due_on": due}


def current_states(instance: WorkflowInstance) -> set[str]:
    return {t["state"] for t in (instance.tokens or {}).values()}


def _user_fields(user) -> tuple[int | None, str | None]:
    if user is None:
        return None, None
    return getattr(user, "id", None), getattr(user, "username", None)


def _role_reason(instance, t: Transition, user) -> str | None:
    allowed = allowed_roles(instance, t)
    if not allowed:
        return _("No role is set up to perform the action “%(action)s”", action=t.title)
    if not (role_keys(user) & set(allowed)):
        return _("Your role may not perform “%(action)s”", action=t.title)
    return None


def _guard_reasons(session, instance, t: Transition, ctx: dict, guards: dict | None
                   ) -> list[str]:
    reasons = []
    known = registered_guards()
    for name in t.guards:
        fn = (guards or {}).get(name) or known.get(name)
        if fn is None:
            reasons.append(_("The condition “%(guard)s” of the action “%(action)s” is not "
                             "registered: the action cannot be performed for now",
                             guard=name, action=t.title))
            continue
        reason = fn(session, instance, ctx)
        if reason:
            reasons.append(str(reason))
    return reasons


def _join_pending(instance, t: Transition, defn: Definition) -> list[str]:
    """Branches not yet in one of the join's states (labels), or ["…"] when no branch."""
    tokens = instance.tokens or {}
    branches = {k: v for k, v in tokens.items() if k != MAIN}
    if not branches or MAIN in tokens:
        return [_("(no branch in progress)")]
    labels = defn.branch_labels()
    return [_("%(branch)s (%(state)s)", branch=labels.get(k, k),
              state=defn.state_label(v["state"]))
            for k, v in sorted(branches.items()) if v["state"] not in set(t.join or ())]


def _pending_reason(pending: list[str]) -> str:
    return _("Branches not finished yet: %(branches)s", branches=join_names(pending))


def _no_branch_reason(t: Transition) -> str:
    return _("No unit has been chosen to take part in “%(action)s”", action=t.title)


def _holders(instance, t: Transition) -> list[str]:
    """Token keys holding the transition's from-state."""
    return sorted(k for k, v in (instance.tokens or {}).items() if v["state"] == t.from_state)


def _context(user, t: Transition, branch, comment, attachments, context, today) -> dict:
    ctx = dict(context or {})
    ctx.setdefault("user", user)
    ctx.setdefault("action", t.action)
    ctx.setdefault("transition", t)
    ctx.setdefault("branch", branch)
    ctx.setdefault("comment", comment)
    ctx.setdefault("attachments", list(attachments or []))
    ctx.setdefault("today", today)
    return ctx


# -- starting -----------------------------------------------------------------------------
def start(session: Session, project: Project | int, measure_key: str, definition: dict | Definition,
          params: dict | None = None, user: AppUser | None=None, *, today: dt.date | None = None,
          guards: dict | None = None, effects: dict | None = None,
          allow_duplicate: bool = False, comment: str | None = None) -> WorkflowInstance:
    """Start ``measure_key`` on ``project`` (an object or id) with a snapshot of
    ``definition``; writes a ``start`` step. Refuses (``StartRefused``) a second running
    instance of the same measure on the project unless ``allow_duplicate``; raises
    ``DefinitionError`` for a definition that cannot run."""
    defn = parse(definition)
    project_id = project if isinstance(project, int) else project.id
    if not allow_duplicate:
        running = session.scalar(select(WorkflowInstance.id).where(
            WorkflowInstance.project_id == project_id,
            WorkflowInstance.measure_key == measure_key,
            WorkflowInstance.status == WorkflowInstanceStatus.RUNNING).limit(1))
        if running is not None:
            raise StartRefused(_("The project already has a “%(name)s” in progress",
                                 name=defn.name))
    today = today or clock.today()
    instance = WorkflowInstance(measure_key=measure_key, definition=defn.to_dict(),
                                project_id=project_id, params=dict(params or {}),
                                status=WorkflowInstanceStatus.RUNNING, started_at=utcnow())
    instance.tokens = {MAIN: _token(instance, defn, defn.initial, today)}
    session.add(instance)
    session.flush()
    uid, uname = _user_fields(user)
    step = WorkflowStep(instance=instance, action="start", from_state=None,
                        to_state=defn.initial, user_id=uid, username=uname, comment=comment,
                        attachments=[], at=utcnow())
    session.add(step)
    session.flush()
    _run_auto(session, instance, defn, user, today, guards, effects, {})
    _maybe_complete(instance, defn)
    session.flush()
    return instance


# -- what can be done ------------------------------------------------------------------------
def available_actions(instance: WorkflowInstance, user: AppUser | None, *, session: Session | None = None,
                      context: dict | None = None, guards: dict | None = None,
                      include_auto: bool = False) -> list[ActionView]:
    """The transitions ``user`` may take now: role allowed and from-state held by a token
    (one entry per branch holding it). Those a guard refuses are included with the
    reasons, so the screen can show a disabled button and why."""
    if instance.status != WorkflowInstanceStatus.RUNNING:
        return []
    session = session or object_session(instance)
    defn = definition_of(instance)
    today = (context or {}).get("today") or clock.today()
    out: list[ActionView] = []
    for t in defn.transitions:
        if t.auto and not include_auto:
            continue
        if not t.auto and _role_reason(instance, t, user):
            continue
        if t.join is not None:
            if not any(v["state"] in set(t.join) for v in (instance.tokens or {}).values()):
                continue
            pending = _join_pending(instance, t, defn)
            ctx = _context(user, t, None, None, None, context, today)
            reasons = ([_pending_reason(pending)] if pending else []) \
                + _guard_reasons(session, instance, t, ctx, guards)
            out.append(ActionView(t.action, t.title, None, t.to, None, reasons))
            continue
        for holder in _holders(instance, t):
            branch = None if holder == MAIN else holder
            ctx = _context(user, t, branch, None, None, context, today)
            reasons = _guard_reasons(session, instance, t, ctx, guards)
            if t.split:
                chosen = _split_branches(instance, t)
                if not chosen:
                    reasons.append(_no_branch_reason(t))
                out.append(ActionView(t.action, t.title, t.from_state, None, branch, reasons,
                                      chosen))
            else:
                out.append(ActionView(t.action, t.title, t.from_state, t.to, branch, reasons))
    return out


def _split_branches(instance, t: Transition) -> list[str]:
    branches = list(t.split or {})
    if t.select_param:
        selected = (instance.params or {}).get(t.select_param)
        if selected is None:
            return branches
        if isinstance(selected, str):
            selected = [selected]
        chosen = set(selected)
        branches = [b for b in branches if b in chosen]
    return branches


# -- running a transition ------------------------------------------------------------------
def _load(session: Session, instance_or_id) -> WorkflowInstance:
    """The instance, row-locked so two transitions on one instance (two branches connecting
    at the same time) do not overwrite each other's tokens."""
    iid = instance_or_id if isinstance(instance_or_id, int) else instance_or_id.id
    if not isinstance(instance_or_id, int):
        session.flush()
    instance = session.execute(
        select(WorkflowInstance).where(WorkflowInstance.id == iid).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if instance is None:
        raise TransitionRefused(_("The workflow instance does not exist"))
    return instance


def transition(session: Session, instance_or_id: WorkflowInstance | int, action: str, user: AppUser | None, comment: str | None = None,
               attachments: list | None = None, branch: str | None = None,
               context: dict | None = None, *, today: dt.date | None = None,
               guards: dict | None = None, effects: dict | None = None) -> WorkflowStep:
    """Run ``action`` as ``user``; returns the step written (the first one for a split,
    which writes one step per branch). Automatic transitions it enables (an ``auto`` join)
    follow at once, each with its own step. Raises ``TransitionRefused``."""
    instance = _load(session, instance_or_id)
    if instance.status != WorkflowInstanceStatus.RUNNING:
        raise TransitionRefused(_("The workflow is %(status)s: nothing more can be done in it",
                                  status=str(instance.status)))
    defn = definition_of(instance)
    t = defn.transition(action)
    if t is None:
        raise TransitionRefused(_("The workflow has no action “%(action)s”", action=action))
    if t.auto:
        raise TransitionRefused(_("The action “%(action)s” is performed by the system "
                                  "automatically", action=t.title))
    reason = _role_reason(instance, t, user)
    if reason:
        raise TransitionRefused(reason)
    today = today or (context or {}).get("today") or clock.today()
    tokens = dict(instance.tokens or {})

    if t.join is not None:
        pending = _join_pending(instance, t, defn)
        if pending:
            raise TransitionRefused(_pending_reason(pending))
        holder = None
    else:
        holders = _holders(instance, t)
        if branch is not None:
            key = branch or MAIN
            if key not in holders:
                if branch:
                    raise TransitionRefused(_(
                        "“%(action)s” is done at “%(state)s”: the branch is not at that "
                        "step now", action=t.title, state=defn.state_label(t.from_state)))
                raise TransitionRefused(_(
                    "“%(action)s” is done at “%(state)s”: the workflow is not at that step now",
                    action=t.title, state=defn.state_label(t.from_state)))
            holder = key
        elif not holders:
            now = join_names(defn.state_label(s) for s in sorted(current_states(instance)))
            raise TransitionRefused(_("“%(action)s” is done at “%(state)s”: the workflow is "
                                      "at “%(current)s” now", action=t.title,
                                      state=defn.state_label(t.from_state), current=now))
        elif len(holders) > 1:
            raise TransitionRefused(_("Several branches are at “%(state)s”: choose the branch",
                                      state=defn.state_label(t.from_state)))
        else:
            holder = holders[0]
    br = None if holder in (None, MAIN) else holder
    ctx = _context(user, t, br, comment, attachments, context, today)
    reasons = _guard_reasons(session, instance, t, ctx, guards)
    if reasons:
        raise TransitionRefused(join_reasons(reasons))
    chosen = _split_branches(instance, t) if t.split else []
    if t.split and not chosen:
        raise TransitionRefused(_no_branch_reason(t))
    _check_effects(t, effects)

    with session.begin_nested():
        steps = _apply(session, instance, defn, t, holder, chosen, user, comment, attachments,
                       today, tokens)
        given = describe_fields(session, t, context)
        for step in steps:
            step.fields = given or None
        _run_effects(session, instance, t, ctx, effects, steps[0])
        for step in steps:
            _after_transition(session, instance, step)
        _run_auto(session, instance, defn, user, today, guards, effects, context)
        _maybe_complete(instance, defn)
        session.flush()
    return steps[0]


def _check_effects(t: Transition, effects: dict | None) -> None:
    known = registered_effects()
    for name in t.effects:
        if name not in (effects or {}) and name not in known:
            raise TransitionRefused(_("The effect “%(effect)s” of the action “%(action)s” is "
                                      "not registered: the action cannot be performed for now",
                                      effect=name, action=t.title))


def _run_effects(session, instance, t: Transition, ctx: dict, effects, step) -> None:
    ctx = dict(ctx, step=step)
    known = registered_effects()
    for name in t.effects:
        fn = (effects or {}).get(name) or known[name]
        fn(session, instance, ctx)


def _apply(session, instance, defn: Definition, t: Transition, holder, chosen, user, comment,
           attachments, today, tokens) -> list[WorkflowStep]:
    uid, uname = _user_fields(user)
    files = [str(a) for a in (attachments or [])]

    def step(branch, src, dst):
        s = WorkflowStep(instance=instance, action=t.action, branch=branch,
                         from_state=src, to_state=dst, user_id=uid, username=uname,
                         comment=comment, attachments=list(files), at=utcnow())
        session.add(s)
        return s

    steps = []
    if t.join is not None:
        for k in [k for k in tokens if k != MAIN]:
            del tokens[k]
        tokens[MAIN] = _token(instance, defn, t.to, today)
        steps.append(step(None, None, t.to))
    elif t.split:
        del tokens[holder]
        for b in chosen:
            tokens[b] = _token(instance, defn, t.split[b], today)
            steps.append(step(b, t.from_state, t.split[b]))
    else:
        tokens[holder] = _token(instance, defn, t.to, today)
        steps.append(step(None if holder == MAIN else holder, t.from_state, t.to))
    instance.tokens = tokens  # a new dict: the JSON column sees the change
    session.flush()
    return steps


def _auto_ready(session, instance, defn, t: Transition, user, today, guards, effects,
                context):
    """(holder, chosen) when the automatic transition ``t`` can fire now, else None."""
    tokens = instance.tokens or {}
    if t.join is not None:
        if _join_pending(instance, t, defn):
            return None
        holder = None
    else:
        holders = _holders(instance, t)
        if not holders:
            return None
        holder = holders[0]
    br = None if holder in (None, MAIN) else holder
    ctx = _context(user, t, br, None, None, context, today)
    if _guard_reasons(session, instance, t, ctx, guards):
        return None
    chosen = _split_branches(instance, t) if t.split else []
    if t.split and not chosen:
        return None
    known = registered_effects()
    if any(n not in (effects or {}) and n not in known for n in t.effects):
        return None
    return holder, chosen, ctx, tokens


def _run_auto(session, instance, defn: Definition, user, today, guards, effects, context):
    for _round in range(_MAX_AUTO):
        fired = False
        for t in defn.transitions:
            if not t.auto or instance.status != WorkflowInstanceStatus.RUNNING:
                continue
            ready = _auto_ready(session, instance, defn, t, user, today, guards, effects,
                                context)
            if ready is None:
                continue
            holder, chosen, ctx, tokens = ready
            steps = _apply(session, instance, defn, t, holder, chosen, user, None, None,
                           today, dict(tokens))
            _run_effects(session, instance, t, ctx, effects, steps[0])
            for step in steps:
                _after_transition(session, instance, step)
            fired = True
            break
        if not fired:
            return


def _maybe_complete(instance, defn: Definition) -> None:
    tokens = instance.tokens or {}
    finals = defn.final_states
    if tokens and all(v["state"] in finals for v in tokens.values()):
        instance.status = WorkflowInstanceStatus.COMPLETED
        instance.finished_at = utcnow()


# -- cancelling -------------------------------------------------------------------------------
def cancel(session: Session, instance_or_id: WorkflowInstance | int, user: AppUser | None, comment: str | None = None
           ) -> WorkflowStep:
    """Stop a running instance (status CANCELLED); the history stays readable."""
    instance = _load(session, instance_or_id)
    if instance.status != WorkflowInstanceStatus.RUNNING:
        raise TransitionRefused(_("The workflow is %(status)s: it cannot be cancelled",
                                  status=str(instance.status)))
    uid, uname = _user_fields(user)
    step = WorkflowStep(instance=instance, action="cancel", user_id=uid, username=uname,
                        comment=comment, attachments=[], at=utcnow())
    session.add(step)
    instance.status = WorkflowInstanceStatus.CANCELLED
    instance.finished_at = utcnow()
    session.flush()
    return step


# -- reading -----------------------------------------------------------------------------------
def timeline(instance: WorkflowInstance) -> list[dict]:
    """The history for the project page, oldest first, with labels (the definition's
    own, and the engine's steps start / cancel in the current language)."""
    defn = definition_of(instance)
    labels = defn.branch_labels()
    session = object_session(instance)
    names = people.names_of(session, [s.user_id for s in instance.steps]) if session else {}
    out = []
    for s in instance.steps:
        t = defn.transition(s.action)
        if t is not None:
            action_label = t.title
        elif s.action == "start":
            # TRANSLATORS: the first step of a measure's timeline (zh: 启动)
            action_label = _("Started")
        elif s.action == "cancel":
            # TRANSLATORS: the step of a cancelled measure in its timeline (zh: 取消)
            action_label = _("Cancelled")
        else:
            action_label = s.action
        out.append({"at": s.at, "action": s.action, "action_label": action_label,
                    "branch": s.branch, "branch_label": labels.get(s.branch, s.branch)
                    if s.branch else None,
                    "from_state": s.from_state, "from_label": defn.state_label(s.from_state)
                    if s.from_state else None,
                    "to_state": s.to_state, "to_label": defn.state_label(s.to_state)
                    if s.to_state else None,
                    "user_id": s.user_id, "username": s.username,
                    "who": names.get(s.user_id) or s.username, "comment": s.comment,
                    "attachments": list(s.attachments or []), "fields": list(s.fields or [])})
    return out


def token_views(instance: WorkflowInstance) -> list[dict]:
    """Current tokens with labels and due dates, for the project page."""
    defn = definition_of(instance)
    labels = defn.branch_labels()
    out = []
    for key, tok in sorted((instance.tokens or {}).items()):
        out.append({"branch": None if key == MAIN else key,
                    "branch_label": None if key == MAIN else labels.get(key, key),
                    "state": tok["state"], "state_label": defn.state_label(tok["state"]),
                    "entered_on": _date(tok.get("entered_on")), "due_on": _date(tok.get("due_on"))})
    return out


def _date(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


__all__ = [
    "ActionView", "AfterTransition", "DefinitionError", "Effect", "Guard", "MAIN",
    "REGISTRY_EXTENSION", "Registry", "StartRefused", "TransitionRefused", "WorkflowError",
    "allowed_roles", "available_actions", "cancel", "current_states", "definition_of",
    "registered_effects", "registered_guards", "registry", "role_keys", "start", "time_limit",
    "timeline", "token_views", "transition",
]
