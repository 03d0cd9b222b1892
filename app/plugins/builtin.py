"""Small helpers every built-in measure plugin uses (one copy instead of six)."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from app import clock
from app.plugins.hookspecs import hookimpl
from app.plugins.types import LedgerColumn, MeasureSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from app.models import WorkflowInstance

    from .types import ParamSpec


def instance_params(instance: WorkflowInstance) -> dict:
    """A copy of the instance's parameters; assign it back so the JSON column is saved."""
    return dict(instance.params or {})


def as_date(value: object) -> dt.date | None:
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


def say(zh_template: str, /, **values: object) -> str:
    """A message of a built-in measure (a guard's refusal, …) in the current language.

    ``zh_template`` is the Chinese sentence as the user reads it in the Chinese UI, with
    ``{name}`` placeholders for the parts that vary; it is also the msgid: the plugins'
    catalogues (their ``translations`` hook, e.g. the ``EN`` dicts) map it to a template
    with the same placeholders. :func:`app.plugins.plugin_text` picks the template — the
    request's language in a request, the Chinese as written elsewhere (workers, CLI
    commands, no app at all) — then the values are formatted in (``str.format``). A list
    or tuple value is joined as names in a sentence (“、” / “, ”). Values are inserted as
    given: pass a label the catalogues know (a state, a unit) through ``plugin_text``
    first; names users typed (items, departments) stay as they are::

        say("事项“{item}”当前为“{status}”，不能容缺受理", item=item.name,
            status=str(item.status))
    """
    from app.plugins import plugin_text
    from app.workflow.messages import join_names

    text = plugin_text(zh_template)
    if not values:
        return text
    return text.format(**{k: join_names(v) if isinstance(v, (list, tuple)) else v
                          for k, v in values.items()})


def step_day(ctx: dict) -> dt.date:
    """The day a transition happens: the engine's ``today`` in the context, else today in
    Beijing."""
    return as_date(ctx.get("today")) or clock.today()


class BuiltinMeasure:
    """The hooks every built-in measure implements the same way: its one MeasureSpec, its
    guards and effects under names prefixed with the measure's key, its one ledger column
    and its English catalogue. A subclass sets the class attributes and adds hooks of its
    own (reminder rules, …)."""

    key: str = ""
    name: str = ""
    version: str = ""
    definition: dict = {}
    parameters: list = []
    guards: dict = {}  # short name → guard(session, instance, context)
    effects: dict = {}  # short name → effect(session, instance, context)
    # (header, value(instance), width) of its column in the 重大项目推进台账; a tuple, so
    # the function is not bound as a method.
    ledger_column: tuple = ()
    english_words: dict = {}  # its own Chinese → English (see english())

    @property
    def title(self) -> str:
        return self.name

    @hookimpl
    def provide_measures(self) -> list[MeasureSpec]:
        return [MeasureSpec(key=self.key, name=self.name, version=self.version,
                            definition=self.definition,
                            description=self.definition.get("description", ""),
                            parameters=self.parameters)]

    @hookimpl
    def measure_guards(self) -> dict[str, Callable]:
        return {f"{self.key}.{name}": fn for name, fn in self.guards.items()}

    @hookimpl
    def measure_effects(self) -> dict[str, Callable]:
        return {f"{self.key}.{name}": fn for name, fn in self.effects.items()}

    @hookimpl
    def ledger_columns(self) -> list[LedgerColumn]:
        if not self.ledger_column:
            return []
        header, value, width = self.ledger_column
        return [LedgerColumn(header, self.key, value, width)]

    @hookimpl
    def translations(self) -> dict[str, dict[str, str]]:
        return {"en": english(self.definition, self.parameters, self.english_words)}


# -- the plugins' English catalogues ------------------------------------------------------------

# Words several built-in measures share, one English for all (the catalogues are merged).
COMMON_EN = {
    "退回补正": "Return for correction",
    "提交预审申请": "Submit the pre-review application",
    "申请人已签署书面承诺书": "The applicant has signed the written commitment",
    # The standard stages (choices of stage parameters).
    "前期策划生成": "Early planning",
    "立项用地规划许可": "Project approval and land-use planning permit",
    "工程建设许可": "Construction project permit",
    "施工许可": "Construction permit",
    "竣工验收": "Completion acceptance",
    "不动产登记": "Real-estate registration",
}


def definition_labels(definition: dict, parameters: Iterable[ParamSpec]=()) -> list[str]:
    """Every text of a measure a user reads, in definition order (no duplicates): name,
    description, state, transition and branch labels, the actions' field labels, help and
    choice labels, and the parameters' labels, help and choice labels (the labels
    ``standard_parameters`` generates included: ``plugin_text`` translates those by
    parts)."""
    out: list[str] = []

    def add(text) -> None:
        if isinstance(text, str) and text and text not in out:
            out.append(text)

    add(definition.get("name"))
    add(definition.get("description"))
    for state in definition.get("states") or []:
        add(state.get("label"))
    for t in definition.get("transitions") or []:
        add(t.get("label"))
        for label in (t.get("branch_labels") or {}).values():
            add(label)
        for f in t.get("fields") or []:
            add(f.get("label"))
            add(f.get("help"))
            for choice in f.get("choices") or []:
                add(choice[1] if isinstance(choice, (list, tuple)) else choice)
    for p in parameters:
        add(p.label)
        add(p.help)
        if p.type in ("choice", "multichoice"):
            for choice in p.choices:
                add(choice[1] if isinstance(choice, (list, tuple)) else choice)
    return out


def english(definition: dict, parameters: Iterable[ParamSpec], words: dict) -> dict:
    """A built-in measure's "en" catalogue: ``words`` (its own Chinese → English) plus the
    shared :data:`COMMON_EN` words its definition and parameters use."""
    used = set(definition_labels(definition, parameters))
    return {**{zh: en for zh, en in COMMON_EN.items() if zh in used}, **words}
