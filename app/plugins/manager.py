"""Finds, checks and registers the measure plugins; the one registry the host asks for
measures, guards, effects and the other contributions of the contract (hookspecs.py)."""
from __future__ import annotations

import importlib
import importlib.metadata
import logging
import pkgutil
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs

if TYPE_CHECKING:
    from flask_appbuilder import AppBuilder
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance, WorkflowStep

from .types import PARAM_TYPES, LedgerColumn, MeasureSpec, ParamSpec, PluginInfo

log = logging.getLogger(__name__)

CORE, BUILTIN, ENTRYPOINT = "core", "builtin", "entrypoint"


class PluginContractError(RuntimeError):
    """A built-in plugin breaks the contract (e.g. a misspelt hook): the app must not start."""


def _error_text(err: BaseException) -> str:
    lines = traceback.format_exception_only(type(err), err)
    return "".join(lines).strip()


class MeasureManager:
    """The plugins of one app: ``app.extensions["measures"]``."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.disabled = set(disabled)
        self.plugins: dict[str, PluginInfo] = {}
        self._translations: dict | None = None
        # In-process additions of this app (not plugins): see add_guard and friends.
        self._extra_guards: dict[str, Callable] = {}
        self._extra_effects: dict[str, Callable] = {}
        self._after_transition: list[Callable] = []

    # -- discovery -------------------------------------------------------------------
    def load(self, builtin_package: str = "app.plugins", entry_points: bool = True) -> MeasureManager:
        from .lowcode import NAME as LOWCODE
        from .lowcode import plugin as lowcode

        self.register(LOWCODE, lowcode, CORE)
        self.load_builtin(builtin_package)
        if entry_points:
            self.load_entry_points()
        self.check()
        return self

    def load_builtin(self, package_name: str) -> None:
        """Every sub-package of ``package_name`` with a ``plugin`` object or hookimpls."""
        package = importlib.import_module(package_name)
        for mod in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not mod.ispkg or mod.name.startswith("_"):
                continue
            if self._blocked(mod.name, BUILTIN):
                continue
            try:
                module = importlib.import_module(f"{package_name}.{mod.name}")
            except Exception as err:  # noqa: BLE001 - reported on the plugin screen
                self._broken(mod.name, BUILTIN, f"导入失败 import failed: {_error_text(err)}")
                continue
            plugin = getattr(module, "plugin", None)
            if plugin is None and not _has_hookimpls(module):
                continue  # a helper package, not a plugin
            self.register(mod.name, plugin if plugin is not None else module, BUILTIN)

    def load_entry_points(self) -> None:
        """Third-party plugins: the ``hbdb.measures`` entry-point group."""
        for ep in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            version = getattr(getattr(ep, "dist", None), "version", "") or ""
            if ep.name in self.plugins:
                self._broken(ep.name, ENTRYPOINT, f"插件名称重复 duplicate plugin name "
                             f"{ep.name!r} ({ep.value})", version=version, replace_info=False)
                continue
            if self._blocked(ep.name, ENTRYPOINT, version):
                continue
            try:
                obj = ep.load()
            except Exception as err:  # noqa: BLE001 - reported on the plugin screen
                self._broken(ep.name, ENTRYPOINT, f"导入失败 import failed: {_error_text(err)}",
                             version=version)
                continue
            self.register(ep.name, getattr(obj, "plugin", obj), ENTRYPOINT, version=version)

    def register(self, name: str, plugin: Any, source: str, version: str = "") -> PluginInfo:
        if self._blocked(name, source, version):
            return self.plugins[name]
        info = PluginInfo(name=name, source=source,
                          version=str(version or getattr(plugin, "version", "")
                                      or getattr(plugin, "__version__", "") or ""),
                          title=str(getattr(plugin, "title", "") or ""))
        self.plugins[name] = info
        self._translations = None
        try:
            self.pm.register(plugin, name=name)
        except Exception as err:  # noqa: BLE001 - wrong hook signature, duplicate object…
            info.error = f"注册失败 registration failed: {_error_text(err)}"
            log.error("measure plugin %s not registered: %s", name, info.error)
            if source != ENTRYPOINT and isinstance(err, pluggy.PluginValidationError):
                raise PluginContractError(f"plugin {name!r}: {err}") from err
        return info

    def _blocked(self, name: str, source: str, version: str = "") -> bool:
        if name not in self.disabled:
            return False
        self.pm.set_blocked(name)
        self.plugins[name] = PluginInfo(name=name, source=source, version=version, blocked=True)
        return True

    def _broken(self, name: str, source: str, error: str, version: str = "",
                replace_info: bool = True) -> None:
        log.error("measure plugin %s broken: %s", name, error)
        key = name if replace_info or name not in self.plugins else f"{name} ({source})"
        info = self.plugins.get(key)
        if info is None or replace_info:
            info = self.plugins[key] = PluginInfo(name=name, source=source, version=version)
        info.error = error
        if self.pm.get_plugin(name) is not None and key == name:
            self.pm.unregister(name=name)

    # -- checks at start-up -------------------------------------------------------------
    def check(self) -> None:
        """``check_pending`` (hooks nobody specified: typos) and the measures' own data."""
        known = ", ".join(sorted(n for n in dir(self.pm.hook) if not n.startswith("_")))
        while True:
            try:
                self.pm.check_pending()
                break
            except pluggy.PluginValidationError as err:
                name = self.pm.get_name(err.plugin)
                info = self.plugins.get(name)
                message = f"{err} — 合约中的钩子 hooks of the contract: {known}"
                if info is None or info.source != ENTRYPOINT:
                    raise PluginContractError(f"measure plugin {name!r}: {message}") from err
                self._broken(name, info.source, f"钩子名称错误 unknown hook: {message}",
                             info.version)
        self._check_measures()

    def _check_measures(self) -> None:
        seen: dict[str, str] = {}
        for impl in list(self.pm.hook.provide_measures.get_hookimpls()):
            if getattr(impl.plugin, "dynamic", False):
                continue
            name = impl.plugin_name
            try:
                specs = list(impl.function() or [])
                problems = []
                for spec in specs:
                    problems += [f"{getattr(spec, 'key', spec)}: {p}" for p in measure_problems(spec)]
                    if isinstance(spec, MeasureSpec):
                        if spec.key in seen:
                            problems.append(f"{spec.key}: 举措代码与插件 {seen[spec.key]} 重复 "
                                            f"(duplicate measure key)")
                if problems:
                    raise ValueError("；".join(problems))
            except Exception as err:  # noqa: BLE001 - reported on the plugin screen
                info = self.plugins[name]
                self._broken(name, info.source, f"举措定义无效 invalid measure: {_error_text(err)}",
                             info.version)
                continue
            for spec in specs:
                seen[spec.key] = name
            if specs and not self.plugins[name].title:
                self.plugins[name].title = "、".join(s.name for s in specs)

    # -- what the host asks --------------------------------------------------------------
    @property
    def broken(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.error]

    def measures(self, region_id: int | None = None) -> dict[str, MeasureSpec]:
        """Every measure of the loaded plugins (code plugins first; a later duplicate key is
        ignored). Low-code measures are read from the database at each call."""
        out: dict[str, MeasureSpec] = {}
        # pluggy calls the last registered first; the host wants registration order.
        for impl in reversed(self.pm.hook.provide_measures.get_hookimpls()):
            try:
                specs = impl.function() or []
            except Exception:  # noqa: BLE001 - one plugin must not hide the others
                log.exception("provide_measures of %s failed", impl.plugin_name)
                continue
            for spec in specs:
                if spec.key in out:
                    continue
                out[spec.key] = replace(spec, plugin=spec.plugin or impl.plugin_name)
        # Code measures before low-code ones, each group in key order.
        return dict(sorted(out.items(), key=lambda kv: (kv[1].region_id is not None, kv[0])))

    def measure(self, key: str) -> MeasureSpec | None:
        return self.measures().get(key)

    def plugin_of(self, spec: MeasureSpec) -> PluginInfo | None:
        return self.plugins.get(spec.plugin)

    def guards(self) -> dict[str, Callable]:
        """The plugins' guards by name (what the workflow engine asks at each check), plus
        those added in-process with ``add_guard``. Asked of the plugins at each call (a
        handful of dict merges), so a plugin unregistered as broken is gone at once."""
        return {**_merge_dicts(self.pm.hook.measure_guards()), **self._extra_guards}

    def effects(self) -> dict[str, Callable]:
        return {**_merge_dicts(self.pm.hook.measure_effects()), **self._extra_effects}

    def add_guard(self, name: str, fn: Callable) -> None:
        """A guard of this app only (tests, an app's own code), not from a plugin."""
        self._extra_guards[name] = fn

    def remove_guard(self, name: str) -> None:
        self._extra_guards.pop(name, None)

    def add_effect(self, name: str, fn: Callable) -> None:
        self._extra_effects[name] = fn

    def remove_effect(self, name: str) -> None:
        self._extra_effects.pop(name, None)

    def add_after_transition(self, callback: Callable) -> None:
        """``callback(session, instance, step)`` after every step, in this app only."""
        self._after_transition.append(callback)

    def remove_after_transition(self, callback: Callable) -> None:
        self._after_transition.remove(callback)

    def reminder_rules(self) -> list:
        """The plugins' reminder rules (callables); anything else is logged and left out."""
        return [rule for rules in reversed(self.pm.hook.reminder_rules()) for rule in rules or []
                if _well_formed(rule, callable, "reminder rule")]

    def ledger_columns(self) -> list:
        """The plugins' LedgerColumns; anything else is logged and left out."""
        return [col for cols in reversed(self.pm.hook.ledger_columns()) for col in cols or []
                if _well_formed(col, lambda c: isinstance(c, LedgerColumn), "ledger column")]

    def translations(self) -> dict[str, dict[str, str]]:
        """The plugins' own catalogues merged per locale (gathered once: plugins are
        loaded at start-up and their strings do not change while the app runs)."""
        if self._translations is None:
            out: dict[str, dict[str, str]] = {}
            for catalogue in reversed(self.pm.hook.translations()):
                for locale, messages in (catalogue or {}).items():
                    out.setdefault(locale, {}).update(messages or {})
            self._translations = out
        return self._translations

    def translate(self, msgid: str, locale: str) -> str:
        return self.translations().get(locale, {}).get(msgid, msgid)

    def after_transition(self, session: Session, instance: WorkflowInstance,
                         step: WorkflowStep) -> None:
        """Called by the engine after every step (manual or automatic), inside the step's
        transaction: the plugins' hook, then the in-process callbacks."""
        self.pm.hook.after_transition(session=session, instance=instance, step=step)
        for callback in list(self._after_transition):
            callback(session, instance, step)

    def register_views(self, appbuilder: AppBuilder, view_bases: tuple[type, ...] = ()) -> None:
        """Let each plugin add its screens and APIs. A plugin gets the app builder through
        a guard that accepts only classes deriving from ``view_bases`` (the scoped bases
        of ``app.views``, given by the factory): a view that could reach rows outside the
        user's scope is refused, logged and reported on the plugin screen."""
        for impl in reversed(self.pm.hook.register_views.get_hookimpls()):
            info = self.plugins[impl.plugin_name]
            guarded = ScopedViewsOnly(appbuilder, view_bases, impl.plugin_name, info)
            try:
                impl.function(guarded)
            except Exception as err:  # noqa: BLE001 - reported on the plugin screen
                info.error = f"界面注册失败 views failed: {_error_text(err)}"
                log.error("views of plugin %s failed: %s", impl.plugin_name, info.error)


class ScopedViewsOnly:
    """The app builder as a plugin's ``register_views`` sees it: ``add_view``,
    ``add_view_no_menu`` and ``add_api`` take only views deriving from the scoped bases;
    anything else is left out with a logged error (like other malformed contributions)."""

    _GUARDED = ("add_view", "add_view_no_menu", "add_api")

    def __init__(self, appbuilder: AppBuilder, view_bases: tuple[type, ...], plugin: str,
                 info: PluginInfo | None = None) -> None:
        self._appbuilder = appbuilder
        self._bases = tuple(view_bases)
        self._plugin = plugin
        self._info = info

    def _accepts(self, view) -> bool:
        cls = view if isinstance(view, type) else type(view)
        if self._bases and issubclass(cls, self._bases):
            return True
        names = ", ".join(b.__name__ for b in self._bases) or "(none given)"
        message = (f"界面未注册 view refused: {cls.__name__} does not derive from the scoped "
                   f"bases {names}")
        log.error("measure plugin %s: %s", self._plugin, message)
        if self._info is not None:
            self._info.error = "；".join(filter(None, [self._info.error, message]))
        return False

    def __getattr__(self, name: str):
        target = getattr(self._appbuilder, name)
        if name not in self._GUARDED:
            return target

        def guarded(view, *args, **kwargs):
            return target(view, *args, **kwargs) if self._accepts(view) else None

        return guarded


def _well_formed(obj, check, what: str) -> bool:
    if check(obj):
        return True
    log.error("ignoring a malformed %s from a measure plugin: %r", what, obj)
    return False


def _has_hookimpls(obj) -> bool:
    marker = f"{hookspecs.PROJECT}_impl"
    return any(hasattr(getattr(obj, name, None), marker) for name in dir(obj))


def _merge_dicts(results: list) -> dict:
    out: dict = {}
    for part in reversed(results):  # registration order; a later plugin cannot override
        for name, fn in (part or {}).items():
            out.setdefault(name, fn)
    return out


def _type_ok(param: ParamSpec, value) -> bool:
    if value is None:
        return True
    if param.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if param.type == "bool":
        return isinstance(value, bool)
    if param.type in ("str", "choice"):
        return isinstance(value, (str, int))
    return isinstance(value, list)


def measure_problems(spec: object) -> list[str]:
    """What is wrong with a measure a plugin provides (empty when it is usable)."""
    if not isinstance(spec, MeasureSpec):
        return [f"不是 MeasureSpec (got {type(spec).__name__})"]
    problems = []
    if not spec.key or not spec.key.replace("_", "").replace("-", "").isalnum():
        problems.append("举措代码只能由字母、数字、下划线组成")
    if not spec.name:
        problems.append("缺少中文名称")
    if not isinstance(spec.definition, dict):
        problems.append("流程定义必须是字典")
    else:
        problems += definition_problems(spec.definition)
    names = set()
    for param in spec.parameters:
        if not isinstance(param, ParamSpec) or param.type not in PARAM_TYPES:
            problems.append(f"参数 {getattr(param, 'name', param)!r} 类型无效")
            continue
        if param.name in names:
            problems.append(f"参数 {param.name} 重复")
        names.add(param.name)
        if not _type_ok(param, param.default):
            problems.append(f"参数 {param.name} 的默认值与类型 {param.type} 不符")
        if param.type in ("choice", "multichoice") and not param.choices:
            problems.append(f"参数 {param.name} 缺少可选项")
    return problems


def definition_problems(definition: dict) -> list[str]:
    """The engine's own validation of a workflow definition (every problem, in Chinese);
    nothing when the engine is not installed yet."""
    try:
        from app.workflow.definition import validate
    except ImportError:
        return []
    return [str(p) for p in validate(definition)]
