"""Small helpers every built-in measure plugin uses (one copy instead of six)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from app.plugins.hookspecs import hookimpl
from app.plugins.types import MeasureSpec


def instance_params(instance) -> dict:
    """A copy of the instance's parameters; assign it back so the JSON column is saved."""
    return dict(instance.params or {})


def as_date(value) -> Optional[dt.date]:
    """A date from a date, a datetime or an ISO string; None when there is none."""
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def step_day(ctx: dict) -> dt.date:
    """The day a transition happens: the engine's ``today`` in the context, else today in
    Beijing."""
    from app.services import calendar

    return as_date(ctx.get("today")) or calendar.today()


class BuiltinMeasure:
    """The hooks every built-in measure implements the same way: its one MeasureSpec, and
    its guards and effects under names prefixed with the measure's key. A subclass sets
    the class attributes and adds hooks of its own (ledger columns, translations, …)."""

    key: str = ""
    name: str = ""
    version: str = ""
    definition: dict = {}
    parameters: list = []
    guards: dict = {}  # short name → guard(session, instance, context)
    effects: dict = {}  # short name → effect(session, instance, context)

    @property
    def title(self) -> str:
        return self.name

    @hookimpl
    def provide_measures(self):
        return [MeasureSpec(key=self.key, name=self.name, version=self.version,
                            definition=self.definition,
                            description=self.definition.get("description", ""),
                            parameters=self.parameters)]

    @hookimpl
    def measure_guards(self):
        return {f"{self.key}.{name}": fn for name, fn in self.guards.items()}

    @hookimpl
    def measure_effects(self):
        return {f"{self.key}.{name}": fn for name, fn in self.effects.items()}
