"""Action fields: the inputs a workflow action declares, and their conversion into the typed
``context`` its guards and effects read — one set of rules for the instance page and the
REST API.

A transition of a definition lists its fields under ``"fields"``::

    {"action": "accept_with_gaps", …, "fields": [
       {"name": "item_id", "type": "item", "label": "容缺受理的事项", "required": true},
       {"name": "promised_on", "type": "date", "label": "承诺补齐日期", "required": true},
       {"name": "commitment_signed", "type": "bool", "label": "申请人已签署书面承诺书"},
       {"name": "units", "type": "multichoice", "label": "报装单位",
        "choices": [["water", "供水"], ["power", "供电"]], "help": "不选则为全部"}]}

Types and the context value each gives: ``text`` / ``textarea`` → str (stripped);
``date`` → ``datetime.date``; ``bool`` → True/False (``required`` means it must be
ticked); ``int`` → int; ``item`` → the id of an approval item of the instance's own
project (and, given a user, in that user's scope); ``choice`` → one of the declared
values; ``multichoice`` → a list of them, in the declared order. An optional field left
empty gives None (a bool False).

``parse`` takes strings (a form) or JSON values (the API) alike and returns
``(context, errors)``; ``errors`` maps a field's name to a message in the current language
(``messages._``), the same shape as ``DomainValidationError.errors``. The instance page
names its inputs ``f:<action>:<name>`` (``f:<action>|<branch>:<name>`` on a branch):
``form_prefix`` / ``raw_from_form``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .messages import _, join_names

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import AppUser, WorkflowInstance

    from .definition import Transition

TYPES = ("text", "textarea", "date", "bool", "int", "item", "choice", "multichoice")
CHOICE_TYPES = ("choice", "multichoice")
# Context keys the engine fills in itself (engine._context, the effects' ``step``): a field
# of that name would be silently shadowed.
RESERVED = ("user", "action", "transition", "branch", "comment", "attachments", "today",
            "step")
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FORM_PREFIX = "f:"

_TRUE = {"1", "true", "y", "yes", "on", "是"}
_FALSE = {"0", "false", "n", "no", "off", "否", ""}


@dataclass(frozen=True)
class Field:
    """One input of an action, as declared in its definition."""

    name: str
    type: str = "text"
    label: str = ""
    required: bool = False
    choices: tuple = ()  # ((value, label), …) for choice / multichoice
    help: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name

    @classmethod
    def from_dict(cls, d: dict) -> Field:
        return cls(name=str(d.get("name") or ""), type=str(d.get("type") or "text"),
                   label=str(d.get("label") or ""), required=d.get("required") is True,
                   choices=tuple(_choice_pairs(d.get("choices")) or ()),
                   help=str(d.get("help") or ""))


def _choice_pairs(choices) -> list[tuple[Any, str]] | None:
    """``[[value, label], …]`` as pairs (a bare value is its own label); None when the
    list cannot be read."""
    if not isinstance(choices, (list, tuple)) or not choices:
        return None
    out = []
    for c in choices:
        if isinstance(c, (list, tuple)) and len(c) == 2 and not isinstance(c[0], (list, dict)):
            out.append((c[0], str(c[1])))
        elif isinstance(c, (str, int)) and not isinstance(c, bool):
            out.append((c, str(c)))
        else:
            return None
    return out


def fields_of(transition: Transition | None) -> list[Field]:
    """The fields ``transition`` declares (entries without a name are skipped: ``validate``
    reports them)."""
    spec = (getattr(transition, "extra", None) or {}).get("fields") if transition else None
    if not isinstance(spec, list):
        return []
    return [Field.from_dict(d) for d in spec if isinstance(d, dict) and d.get("name")]


# -- the definition's check ------------------------------------------------------------------
def spec_problems(transition: Transition) -> list[str]:
    """What is wrong with the ``fields`` a transition declares (``validate`` lists them with
    the definition's other problems)."""
    if "fields" not in transition.extra:
        return []
    spec = transition.extra["fields"]
    a = transition.action or transition.label or "?"
    if not isinstance(spec, list) or not all(isinstance(d, dict) for d in spec):
        return [_("The fields of the action “%(action)s” must be a list of field objects",
                  action=a)]
    problems: list[str] = []
    if spec and (transition.auto or transition.join is not None):
        problems.append(_("The automatic or join action “%(action)s” cannot take fields: "
                          "nobody fills them in", action=a))
    seen: set[str] = set()
    for d in spec:
        name = d.get("name")
        if not name or not isinstance(name, str):
            problems.append(_("A field of the action “%(action)s” has no name", action=a))
            continue
        if not NAME_PATTERN.match(name):
            problems.append(_("The field name “%(field)s” of the action “%(action)s” may hold "
                              "only letters, digits and “_”, and not start with a digit",
                              field=name, action=a))
        elif name in RESERVED:
            problems.append(_("The field name “%(field)s” of the action “%(action)s” is "
                              "reserved by the workflow engine (%(names)s)", field=name,
                              action=a, names=join_names(RESERVED)))
        if name in seen:
            problems.append(_("The field “%(field)s” of the action “%(action)s” is defined "
                              "more than once", field=name, action=a))
        seen.add(name)
        kind = d.get("type")
        if kind not in TYPES:
            problems.append(_("The field “%(field)s” of the action “%(action)s” has an "
                              "unknown type “%(type)s” (known types: %(types)s)", field=name,
                              action=a, type=str(kind), types=join_names(TYPES)))
        elif kind in CHOICE_TYPES and _choice_pairs(d.get("choices")) is None:
            problems.append(_("The field “%(field)s” of the action “%(action)s” needs its "
                              "choices, a list of [value, label]", field=name, action=a))
        if "required" in d and not isinstance(d["required"], bool):
            problems.append(_("“required” of the field “%(field)s” of the action "
                              "“%(action)s” must be true or false", field=name, action=a))
    return problems


# -- the project's items ------------------------------------------------------------------------
def item_choices(session: Session, instance: WorkflowInstance, user: AppUser | None=None) -> list[tuple[int, str]]:
    """(id, "name（status）") of the approval items of the instance's project — those in
    ``user``'s scope when a user is given (a department officer sees their department's)."""
    return [(i.id, f"{i.name}（{i.status}）") for i in _items(session, instance, user)]


def _items(session, instance, user=None, item_id: int | None = None) -> list:
    from sqlalchemy import select

    from app.models import ApprovalItem

    stmt = select(ApprovalItem)
    if instance is not None:
        stmt = stmt.where(ApprovalItem.project_id == instance.project_id)
    if item_id is not None:
        stmt = stmt.where(ApprovalItem.id == item_id)
    if user is not None:
        from app.security.scope import Scope, scoped

        stmt = scoped(stmt, ApprovalItem, Scope(user))
    return list(session.scalars(stmt.order_by(ApprovalItem.id)))


# -- converting ------------------------------------------------------------------------------------
def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return all(_empty(v) for v in value)
    return False


def _convert(session, instance, f: Field, value, user) -> tuple[Any, str | None]:
    """(the typed value, None) or (None, the message)."""
    label = f.title
    if f.type == "bool":
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, int) and value in (0, 1):
            flag = bool(value)
        elif value is None or (isinstance(value, str) and value.strip().lower() in _FALSE):
            flag = False
        elif isinstance(value, str) and value.strip().lower() in _TRUE:
            flag = True
        else:
            return None, _("“%(field)s” must be yes or no, got “%(value)s”.", field=label,
                           value=_shown(value))
        if f.required and not flag:
            return None, _("“%(field)s” must be ticked.", field=label)
        return flag, None
    if _empty(value):
        return None, (_("“%(field)s” is required.", field=label) if f.required else None)
    if f.type in ("text", "textarea"):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None, _("“%(field)s” must be text, got “%(value)s”.", field=label,
                           value=_shown(value))
        return str(value).strip(), None
    if f.type == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        try:
            if not isinstance(value, str):
                raise ValueError
            return dt.date.fromisoformat(value.strip().replace("/", "-")), None
        except ValueError:
            return None, _("“%(field)s” must be a date (YYYY-MM-DD), got “%(value)s”.",
                           field=label, value=_shown(value))
    if f.type in ("int", "item"):
        number = _whole_number(value)
        if number is None and f.type == "int":
            return None, _("“%(field)s” must be a whole number, got “%(value)s”.",
                           field=label, value=_shown(value))
        if f.type == "int":
            return number, None
        if number is None or not _items(session, instance, user, number):
            return None, _("“%(field)s”: “%(value)s” is not an approval item of this "
                           "project.", field=label, value=_shown(value))
        return number, None
    if f.type in CHOICE_TYPES:
        by_text = {str(v): v for v, _label in f.choices}
        allowed = join_names(by_text)
        if f.type == "choice":
            if isinstance(value, (list, tuple, dict)) or str(value).strip() not in by_text:
                return None, _("“%(field)s”: “%(value)s” is not one of the choices "
                               "(%(choices)s).", field=label, value=_shown(value),
                               choices=allowed)
            return by_text[str(value).strip()], None
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, (list, tuple, dict)) for v in values):
            return None, _("“%(field)s” must be a list of choices (%(choices)s).",
                           field=label, choices=allowed)
        picked = {str(v).strip() for v in values if not _empty(v)}
        bad = sorted(picked - set(by_text))
        if bad:
            return None, _("“%(field)s”: “%(value)s” is not one of the choices "
                           "(%(choices)s).", field=label, value=join_names(bad),
                           choices=allowed)
        return [v for v, _label in f.choices if str(v) in picked], None
    return None, _("The field “%(field)s” has a type that cannot be read: “%(type)s”.",
                   field=label, type=f.type)


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def parse(session: Session, instance: WorkflowInstance, transition: Transition | None, raw: Mapping | None, *, user: AppUser | None=None
          ) -> tuple[dict, dict[str, str]]:
    """The typed context for ``transition`` from ``raw`` (field name → a form's string or a
    JSON value), and the errors (field name → message; a name the action does not declare
    is an error too). ``user``, when given, limits ``item`` fields to the items they may
    see."""
    raw = dict(raw or {})
    declared = fields_of(transition)
    names = {f.name for f in declared}
    context: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in raw:
        if key not in names:
            errors[str(key)] = _("The action “%(action)s” takes no field “%(field)s”.",
                                 action=transition.title if transition else "?",
                                 field=str(key))
    for f in declared:
        value, error = _convert(session, instance, f, raw.get(f.name), user)
        if error:
            errors[f.name] = error
        else:
            context[f.name] = value
    return context, errors


def describe(session: Session, transition: Transition | None, context: Mapping | None) -> list[dict]:
    """The declared fields given in ``context`` as (label, text) for the step's record and
    the timeline: an item by its name, a date as YYYY-MM-DD, a tick as 是/否 (through the
    catalogue), choices by their labels. Fields not given are left out."""
    out = []
    for f in fields_of(transition):
        value = (context or {}).get(f.name)
        if value is None or (isinstance(value, (list, str)) and not value):
            continue
        if f.type == "bool":
            text = _("Yes") if value else _("No")
        elif f.type == "item":
            items = _items(session, None, item_id=int(value)) if session is not None else []
            text = items[0].name if items else str(value)
        elif f.type == "date" and isinstance(value, (dt.date, dt.datetime)):
            text = value.isoformat()[:10]
        elif f.type in CHOICE_TYPES:
            labels = {str(v): label for v, label in f.choices}
            values = value if isinstance(value, (list, tuple)) else [value]
            text = join_names([labels.get(str(v), str(v)) for v in values])
        else:
            text = str(value)
        entry = {"name": f.name, "label": f.title, "text": text}
        if f.type == "bool":
            entry["value"] = bool(value)  # shown as 是/否 or Yes/No in the reader's language
        out.append(entry)
    return out


# -- the instance page's inputs -------------------------------------------------------------------
def form_prefix(action: str, branch: str | None = None) -> str:
    """The prefix of an action's inputs on the instance page: ``f:<action>:`` (with
    ``|<branch>`` for an action taken on a branch), so each action row posts its own."""
    return f"{FORM_PREFIX}{action}{'|' + branch if branch else ''}:"


def raw_from_form(formdata: Mapping[str, Any], transition: Transition | None, prefix: str) -> dict:
    """The raw values of ``transition``'s fields in a posted form (a MultiDict)."""
    raw = {}
    for f in fields_of(transition):
        key = prefix + f.name
        if f.type == "multichoice":
            raw[f.name] = formdata.getlist(key)
        else:
            raw[f.name] = formdata.get(key)
    return raw


__all__ = ["CHOICE_TYPES", "FORM_PREFIX", "Field", "RESERVED", "TYPES", "fields_of",
           "form_prefix", "item_choices", "parse", "raw_from_form", "spec_problems"]
