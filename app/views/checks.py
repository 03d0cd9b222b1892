"""Field checks of the rules layer, adapted to the screens' forms (WTForms validators: the
message next to the field) and to the API's schemas (marshmallow: a 422 naming the field)."""
from __future__ import annotations

from collections.abc import Callable

from marshmallow import ValidationError as SchemaValidationError
from wtforms.validators import StopValidation

from app.services import uniqueness

Problem = Callable[[object], "str | None"]


class FormCheck:
    """A WTForms validator from ``problem(value) -> message or None``; a problem stops the
    field's other checks (one message, not the rule's and FAB's length check's)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    def __call__(self, form, field) -> None:
        message = self.problem(field.data)
        if message:
            raise StopValidation(message)


def schema_check(problem: Problem) -> Callable[[object], None]:
    """A marshmallow field validator from the same ``problem``."""
    def validate(value: object) -> None:
        message = problem(value)
        if message:
            raise SchemaValidationError(message)
    return validate


class UniqueValue:
    """FAB's ``Unique`` with a message naming the field and the value (项目代码“…”已存在).
    It runs before FAB's own check and stops the field's checks, so FAB's bare
    "Already exists." is not added after it."""

    def __init__(self, datamodel, column: str, label: object) -> None:
        self.datamodel, self.column, self.label = datamodel, column, label

    def __call__(self, form, field) -> None:
        value = field.data
        if value is None or value == "":
            return
        own_id = getattr(form, "_id", None)  # FAB sets it on the edit form
        try:
            own_id = int(own_id) if own_id is not None else None
        except (TypeError, ValueError):
            own_id = None
        if uniqueness.value_taken(self.datamodel.session, self.datamodel.obj, self.column,
                                  value, own_id):
            raise StopValidation(uniqueness.duplicate_message(self.label, value))


def unique_validators(datamodel, validators: dict | None, labels: dict) -> dict:
    """The view's validators with ``UniqueValue`` first on each unique plain column."""
    out = {name: list(checks) for name, checks in (validators or {}).items()}
    for name in datamodel.get_columns_list():
        if datamodel.is_relation(name) or not datamodel.is_unique(name):
            continue
        label = labels.get(name) or name.replace("_", " ").capitalize()
        out[name] = [UniqueValue(datamodel, name, label), *out.get(name, [])]
    return out
