"""The plugin contract: the hooks a measure plugin may implement (pluggy project "hbdb").

A plugin is a module or object with functions marked ``@hookimpl`` (``from app.plugins
import hookimpl``, or ``pluggy.HookimplMarker("hbdb")`` in a package that must not import
the host). Built-in plugins are the sub-packages of ``app/plugins/`` exposing a module-level
``plugin`` object (or hookimpls on the package itself); third-party plugins are found in the
``hbdb.measures`` entry-point group, so a county can ``pip install`` its own measure:

    [project.entry-points."hbdb.measures"]
    my_measure = "my_package.plugin"

A hookimpl whose name is not listed here stops the start-up (``check_pending``) for a
built-in plugin, and marks a third-party plugin broken on the admin's plugin screen.
Core features (low-code measures) register through the same hooks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask_appbuilder import AppBuilder
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance, WorkflowStep

    from .types import LedgerColumn, MeasureSpec

PROJECT = "hbdb"
ENTRY_POINT_GROUP = "hbdb.measures"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def provide_measures() -> list[MeasureSpec]:
    """The measures (创新举措) this plugin provides.

    :return: a list of :class:`app.plugins.types.MeasureSpec` — key (unique across all
        plugins), Chinese name, version, description, the workflow definition (the data the
        engine runs, see ``app.workflow.definition``) and the parameters a region may set
        (:class:`~app.plugins.types.ParamSpec`: name, type in int/bool/str/choice/
        multichoice/units/roles, default, Chinese label, help, choices). Parameters named
        ``time_limits.<state>``, ``roles.<action>`` and ``units`` override the definition's
        time limits, acting roles and participating units for instances started afterwards.
    """


@hookspec
def measure_guards() -> dict[str, Callable]:
    """Guard conditions the plugin's definitions name.

    :return: ``{guard name: fn}``; the engine calls ``fn`` before a transition naming the
        guard and refuses it (with the Chinese reason the guard gives) when it fails.
        Names are global: prefix them with the measure key.
    """


@hookspec
def measure_effects() -> dict[str, Callable]:
    """Effects the plugin's definitions name (e.g. create an approval item, record the
    time a permit was issued).

    :return: ``{effect name: fn}``, run by the engine inside the transition's transaction.
    """


@hookspec
def register_views(appbuilder: AppBuilder) -> None:
    """Add the plugin's own screens or API (called once, after the core views)."""


@hookspec
def reminder_rules() -> list[Callable]:
    """Extra deadlines for the daily warning scan (yellow/red cards), beyond the time
    limits of the workflow's states (which the scan watches by itself).

    :return: a list of callables ``rule(session, instances) -> iterable of``
        :class:`~app.plugins.types.ReminderDue`. ``instances`` are the running instances
        of projects in progress (already loaded; read them, don't query per instance);
        a rule picks those of its own measure (``instance.measure_key``). The scan turns
        the deadlines into cards (key: instance, ``part``, level), notifies like any
        card, and clears a card whose deadline the rule stops returning.
    """


@hookspec
def ledger_columns() -> list[LedgerColumn]:
    """Extra columns for the 重大项目推进台账 Excel ledger (group 创新举措).

    :return: a list of :class:`~app.plugins.types.LedgerColumn` — header, measure key
        and ``value(instance) -> text | number | None`` computed from the project's latest
        instance of that measure (loaded by the host in one query per export).
    """


@hookspec
def translations() -> dict[str, dict[str, str]]:
    """The plugin's own UI strings.

    :return: ``{locale: {msgid: translation}}``, e.g. ``{"zh": {"Pile permit": "桩基许可"}}``.
    """


@hookspec
def after_transition(session: Session, instance: WorkflowInstance, step: WorkflowStep) -> None:
    """Called after the engine ran a transition (inside the same transaction; don't commit).

    :param session: the SQLAlchemy session of the transition.
    :param instance: the :class:`~app.models.WorkflowInstance`.
    :param step: the :class:`~app.models.WorkflowStep` just recorded.
    """
