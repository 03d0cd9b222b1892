"""Per-region settings of the innovation measures (创新举措) and starting one on a project.

A region's setting is the nearest MeasureSetting row on its path (own, else the parent's,
… up to the city); without any row a measure is off. Parameters are that row's values over
the plugin's defaults. The same calls serve the admin screen, the CLI and the API.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AppUser, MeasureSetting, OrgUnit, Project, Region, WorkflowInstance
from app.plugins.types import ROLES_PREFIX, TIME_LIMIT_PREFIX, MeasureSpec, ParamSpec

from .errors import DomainValidationError
from .quoting import quoted
from .regions import ancestor_ids


class MeasureError(DomainValidationError):
    """A measure cannot be configured or started; ``errors`` maps field → Chinese message."""


@dataclass
class ResolvedSetting:
    """A measure's setting as a region sees it."""

    enabled: bool
    params: dict
    row: MeasureSetting | None = None  # the row that decided, None = plugin defaults
    region: Region | None = None  # the region asked about

    @property
    def own(self) -> bool:
        return self.row is not None and self.region is not None and self.row.region_id == self.region.id

    @property
    def inherited_from(self) -> Region | None:
        return self.row.region if self.row is not None and not self.own else None


@dataclass
class MeasureStatus:
    spec: MeasureSpec
    setting: ResolvedSetting
    plugin: Any = None
    running: int = 0
    extra: dict = field(default_factory=dict)


def _manager():
    from app.plugins import manager_of

    return manager_of()


def _spec(measure_key: str) -> MeasureSpec:
    spec = _manager().measure(measure_key)
    if spec is None:
        raise MeasureError({"measure": f"没有代码为{quoted(measure_key)}的创新举措（插件未安装或已停用）。"})
    return spec


# -- reading --------------------------------------------------------------------------

def nearest_setting(session: Session, measure_key: str, region: Region) -> MeasureSetting | None:
    """The row of ``region`` or of the closest region above it."""
    stmt = (select(MeasureSetting).join(Region, Region.id == MeasureSetting.region_id)
            .where(MeasureSetting.measure_key == measure_key,
                   MeasureSetting.region_id.in_(ancestor_ids(region.path)))
            .order_by(func.length(Region.path).desc()).limit(1))
    return session.scalars(stmt).first()


def resolve_setting(session: Session, measure_key: str, region: Region,
                    spec: MeasureSpec | None = None) -> ResolvedSetting:
    spec = spec or _spec(measure_key)
    row = nearest_setting(session, measure_key, region)
    params = spec.defaults()
    if row is not None:
        params.update({k: v for k, v in (row.params or {}).items() if spec.param(k) is not None})
    return ResolvedSetting(enabled=bool(row.enabled) if row is not None else False,
                           params=params, row=row, region=region)


def effective_setting(session: Session, measure_key: str, region: Region) -> tuple[bool, dict]:
    """(enabled, params) of a measure for a region: the nearest row on the region's path
    wins; its params are laid over the plugin's defaults. Off when no region set it."""
    resolved = resolve_setting(session, measure_key, region)
    return resolved.enabled, resolved.params


def available_for(session: Session, spec: MeasureSpec, region: Region) -> bool:
    """Code measures are offered everywhere; a low-code one in its region's subtree."""
    if spec.region_id is None:
        return True
    return spec.region_id in set(session.scalars(select(Region.id).where(
        Region.id.in_(ancestor_ids(region.path)))))


def measures_for_region(session: Session, region: Region) -> list[MeasureStatus]:
    """Every measure a region may use, with its setting there (enabled, own or inherited)."""
    from app.models import WorkflowInstance, WorkflowInstanceStatus

    manager = _manager()
    ancestors = set(session.scalars(select(Region.id).where(Region.id.in_(ancestor_ids(region.path)))))
    out = []
    for spec in manager.measures().values():
        if spec.region_id is not None and spec.region_id not in ancestors:
            continue
        out.append(MeasureStatus(spec=spec, setting=resolve_setting(session, spec.key, region, spec),
                                 plugin=manager.plugin_of(spec)))
    if out:
        from app.models import Project

        subtree = select(Region.id).where(Region.path.like(region.path + "%"))
        counts = dict(session.execute(
            select(WorkflowInstance.measure_key, func.count())
            .join(Project, Project.id == WorkflowInstance.project_id)
            .where(WorkflowInstance.status == WorkflowInstanceStatus.RUNNING,
                   Project.region_id.in_(subtree))
            .group_by(WorkflowInstance.measure_key)).all())
        for status in out:
            status.running = counts.get(status.spec.key, 0)
    return out


# -- validating parameters ---------------------------------------------------------------

_TRUE = {"1", "true", "y", "yes", "on", "是"}
_FALSE = {"0", "false", "n", "no", "off", "否", ""}


def _label(p: ParamSpec) -> str:
    return p.label or p.name


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _check(session: Session, region: Region | None, p: ParamSpec, value) -> tuple[Any, str | None]:
    """The value coerced to the parameter's type, or a Chinese message."""
    label = _label(p)
    if p.type == "int":
        if value is None or value == "":
            return None, (f"{quoted(label)}必须填写。" if p.required else None)
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(str(value).strip()) if not isinstance(value, (int, float)) else int(value)
        except (TypeError, ValueError):
            return value, f"{quoted(label)}应为整数，收到{quoted(value)}。"
        if number < 0:
            return number, f"{quoted(label)}不能为负数。"
        return number, None
    if p.type == "bool":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower() if value is not None else ""
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return value, f"{quoted(label)}应为“是”或“否”，收到{quoted(value)}。"
    if p.type == "str":
        text = "" if value is None else str(value).strip()
        if p.required and not text:
            return text, f"{quoted(label)}必须填写。"
        return text, None
    if p.type == "choice":
        allowed = p.choice_values
        if value in (None, "") and not p.required:
            return None, None
        if value not in allowed and str(value) not in [str(a) for a in allowed]:
            return value, f"{quoted(label)}的取值{quoted(value)}不在可选范围内（{'、'.join(map(str, allowed))}）。"
        return next(a for a in allowed if str(a) == str(value)), None
    values = _as_list(value)
    if p.required and not values:
        return values, f"{quoted(label)}至少选择一项。"
    if p.type == "multichoice":
        allowed = [str(a) for a in p.choice_values]
        bad = [str(v) for v in values if str(v) not in allowed]
        if bad:
            return values, (f"{quoted(label)}中的{quoted('、'.join(bad))}不在可选范围内"
                            f"（{'、'.join(allowed)}）。")
        return [a for a in p.choice_values if str(a) in {str(v) for v in values}], None
    if p.type == "roles":
        from app.security.roles import ROLES_BY_KEY, ROLES_BY_NAME

        allowed = [str(c) for c in p.choice_values] or list(ROLES_BY_KEY)
        keys, bad = [], []
        for v in values:
            key = ROLES_BY_NAME[v].key if v in ROLES_BY_NAME else str(v)
            (keys if key in allowed else bad).append(key if key in allowed else str(v))
        if bad:
            return values, f"{quoted(label)}中的角色{quoted('、'.join(bad))}不存在或不可选。"
        return keys, None
    if p.type in ("unit", "units"):
        if p.type == "unit" and len(values) > 1:
            return values, f"{quoted(label)}只能选择一个单位。"
        ids, bad = [], []
        for v in values:
            try:
                ids.append(int(v))
            except (TypeError, ValueError):
                bad.append(str(v))
        units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))} if ids else {}
        kinds = {str(c) for c in p.choice_values}
        for i in ids:
            unit = units.get(i)
            if unit is None or (kinds and unit.kind.name not in kinds) or (
                    region is not None and not _unit_near(unit, region)):
                bad.append(unit.name if unit is not None else str(i))
        if bad:
            return values, f"{quoted(label)}中的单位{quoted('、'.join(bad))}不存在或不属于本地区。"
        if p.type == "unit":
            return (ids[0] if ids else None), None
        return ids, None
    return value, f"{quoted(label)}的类型{quoted(p.type)}无法识别。"


def _unit_near(unit: OrgUnit, region: Region) -> bool:
    """A unit of the region, of a region below it, or of a region above it (a county may
    take part with its city's units)."""
    path = unit.region.path
    return path.startswith(region.path) or region.path.startswith(path)


def validate_params(session: Session, spec: MeasureSpec, params: dict,
                    region: Region | None = None) -> dict:
    """The parameters coerced to their types; MeasureError listing every problem, each under
    its parameter's name, otherwise."""
    clean, problems = {}, {}
    for name in params or {}:
        if spec.param(name) is None:
            problems[name] = f"举措{quoted(spec.name)}没有参数{quoted(name)}。"
    for p in spec.parameters:
        value, problem = _check(session, region, p, (params or {}).get(p.name, p.default))
        if problem:
            problems[p.name] = problem
        clean[p.name] = value
    if problems:
        raise MeasureError(problems)
    return clean


# -- writing ------------------------------------------------------------------------------

def can_configure(user: AppUser, region: Region) -> bool:
    """A bureau admin configures their own region and those below it; the system admin all."""
    from app.security import roles
    from app.security.scope import role_names

    names = role_names(user)
    if roles.SYSTEM_ADMIN in names:
        return True
    if roles.BUREAU_ADMIN not in names or user.region is None:
        return False
    return region.path.startswith(user.region.path)


def set_setting(session: Session, measure_key: str, region: Region, enabled: bool,
                params: dict | None, user: AppUser | None) -> MeasureSetting:
    """Give a region its own setting of a measure (regions below inherit it unless they have
    their own). Flushes; the caller commits."""
    spec = _spec(measure_key)
    if user is not None and not can_configure(user, region):
        raise MeasureError({"region": f"您无权设置{quoted(region.name)}的创新举措。"})
    if not available_for(session, spec, region):
        raise MeasureError({"measure": f"举措{quoted(spec.name)}不适用于{quoted(region.name)}。"})
    clean = validate_params(session, spec, params or {}, region)
    row = session.scalars(select(MeasureSetting).where(
        MeasureSetting.measure_key == measure_key, MeasureSetting.region_id == region.id)).first()
    if row is None:
        row = MeasureSetting(measure_key=measure_key, region_id=region.id)
        session.add(row)
    row.enabled = bool(enabled)
    row.params = clean
    session.flush()
    return row


def clear_setting(session: Session, measure_key: str, region: Region, user: AppUser | None
                  ) -> bool:
    """Drop a region's own row so it inherits again. True when there was one."""
    if user is not None and not can_configure(user, region):
        raise MeasureError({"region": f"您无权设置{quoted(region.name)}的创新举措。"})
    row = session.scalars(select(MeasureSetting).where(
        MeasureSetting.measure_key == measure_key, MeasureSetting.region_id == region.id)).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# -- starting a measure on a project ---------------------------------------------------------

def project_region(project: Project) -> Region:
    """The region whose setting applies: the project's town/park if it has one."""
    return project.town or project.region


def instance_params(spec: MeasureSpec, params: dict) -> dict:
    """What the engine gets: ``time_limits`` {state: days}, ``roles`` {action: [role keys]},
    and every other parameter under its own name."""
    out: dict = {"time_limits": {}, "roles": {}}
    for name, value in params.items():
        if name.startswith(TIME_LIMIT_PREFIX):
            if value is not None:
                out["time_limits"][name[len(TIME_LIMIT_PREFIX):]] = value
        elif name.startswith(ROLES_PREFIX):
            out["roles"][name[len(ROLES_PREFIX):]] = list(value or [])
        else:
            out[name] = value
    return out


def configured_definition(definition: dict, params: dict) -> dict:
    """The plugin's definition with the region's time limits and roles written in, so the
    instance's snapshot says what applied."""
    out = copy.deepcopy(definition)
    limits, roles_ = params.get("time_limits") or {}, params.get("roles") or {}
    for state in out.get("states") or []:
        if isinstance(state, dict) and state.get("name") in limits:
            state["time_limit_days"] = limits[state["name"]]
    for transition in out.get("transitions") or []:
        if isinstance(transition, dict) and transition.get("action") in roles_:
            transition["roles"] = list(roles_[transition["action"]])
    return out


def start_measure(session: Session, project: Project, measure_key: str, user: AppUser | None
                  ) -> WorkflowInstance:
    """Start a measure on a project with its region's setting; refused when the measure is
    not enabled there. Returns the engine's WorkflowInstance (flushed, not committed)."""
    spec = _spec(measure_key)
    if not may_start(user):
        raise MeasureError({"measure": "企业用户不能发起创新举措，请联系项目帮办员。"})
    region = project_region(project)
    if not available_for(session, spec, region):
        raise MeasureError({"measure": f"举措{quoted(spec.name)}不适用于{quoted(region.name)}。"})
    resolved = resolve_setting(session, measure_key, region, spec)
    if not resolved.enabled:
        raise MeasureError({"measure": f"{quoted(region.name)}未启用创新举措{quoted(spec.name)}，不能发起。"})
    params = instance_params(spec, resolved.params)
    from app.workflow import engine

    return engine.start(session, project, measure_key,
                        configured_definition(spec.definition, params), params, user)


def may_start(user: object) -> bool:
    """Bureau staff start measures on a project; the company only takes the steps a
    measure's definition gives it (role key ``company``), it never starts one."""
    from app.security.scope import Scope

    return user is None or not Scope(user).enterprise


# -- cancelling --------------------------------------------------------------------------------

def may_cancel(session: Session, instance: WorkflowInstance, user: AppUser) -> bool:
    """Whether ``user`` may stop ``instance`` (which the caller found in the user's scope):
    the dispatcher, the bureau admin (whose subtree holds the project: the scope decided
    that) and the system admin, or an assistant assigned to the project. Bureau admins take
    no workflow steps (they only read workflows), so cancelling needs read plus this rule."""
    from app.models import ProjectAssistant
    from app.security import roles
    from app.security.scope import role_names

    names = role_names(user)
    if names & {roles.DISPATCHER, roles.BUREAU_ADMIN, roles.SYSTEM_ADMIN}:
        return True
    if roles.ASSISTANT not in names:
        return False
    return session.scalar(select(ProjectAssistant.id).where(
        ProjectAssistant.project_id == instance.project_id,
        ProjectAssistant.user_id == user.id).limit(1)) is not None
