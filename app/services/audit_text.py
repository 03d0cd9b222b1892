"""How a stored audit record reads for a person: who (name and account), when (Beijing
time to the second), what (a sentence in the UI's language, with the screens' column
labels and the values as the screens show them) and from where (the IP address).

The list and the detail screen of the audit trail both read records through ``describe``;
nothing else formats an audit row. The caller hands in the column labels of the screens
(``labels``: model name → {attribute: label}, the views own them) and the names of the
rows that foreign keys in the changes point at (``related_names``, loaded once per page by
``related_refs`` + ``load_related_names``).
"""
from __future__ import annotations

import ast
import datetime as dt
import decimal
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Numeric,
    String,
    cast,
    inspect,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session

from app import clock
from app.models import AppUser, AuditRecord, Model

from . import people

SECONDS_FORMAT = "%Y-%m-%d %H:%M:%S"

# What each kind of object is called in a sentence ("修改了项目 X 的 …").
NOUNS: Mapping[str, Any] = {
    "Project": lazy_gettext("Project"),
    "ApprovalItem": lazy_gettext("Approval item"),
    "ItemTemplate": lazy_gettext("Approval item template"),
    "Applicant": lazy_gettext("Applicant"),
    "Region": lazy_gettext("Region"),
    "OrgUnit": lazy_gettext("Unit"),
    "Stage": lazy_gettext("Stage"),
    "AppUser": lazy_gettext("User"),
    "Role": lazy_gettext("Role"),
    "WarningCard": lazy_gettext("Warning card"),
    "WorkOrder": lazy_gettext("Work order"),
    "WorkOrderStep": lazy_gettext("Work order step"),
    "JobRecord": lazy_gettext("Job"),
    "Notification": lazy_gettext("Notification"),
    "CalendarDay": lazy_gettext("Holiday calendar"),
    "ItemCorrection": lazy_gettext("Item correction"),
    "ProjectAssistant": lazy_gettext("Assistant of a project"),
    "ServiceTeamMember": lazy_gettext("Service team member"),
    "MeasureSetting": lazy_gettext("Measure setting"),
    "WorkflowDefinition": lazy_gettext("Measure definition"),
    "WorkflowInstance": lazy_gettext("Innovation measure"),
    "WorkflowStep": lazy_gettext("Measure step"),
    "WorkflowItemLink": lazy_gettext("Measure and item link"),
    "AuditRecord": lazy_gettext("Audit record"),
    "UrgeProposal": lazy_gettext("Urge proposal"),
}

# Actions the filter offers, with how each reads there.
ACTIONS: Mapping[str, Any] = {
    "create": lazy_gettext("Created"),
    "update": lazy_gettext("Changed"),
    "delete": lazy_gettext("Deleted"),
    "login": lazy_gettext("Signed in"),
    "login_failed": lazy_gettext("Sign-in failed"),
    "logout": lazy_gettext("Signed out"),
    "password_change": lazy_gettext("Password changed"),
    "password_reset": lazy_gettext("Password reset"),
    "reset_refused": lazy_gettext("Password reset refused"),
    "permissions": lazy_gettext("Role permissions changed"),
    "unlock": lazy_gettext("Account unlocked"),
    "role_grant": lazy_gettext("Role granted"),
    "role_revoke": lazy_gettext("Role taken away"),
    "export": lazy_gettext("Export started"),
    "download": lazy_gettext("File downloaded"),
    "archive": lazy_gettext("Audit records archived"),
}

# Why a sign-in failed (app/services/accounts.py records the reason).
FAILURE_REASONS: Mapping[str, Any] = {
    "wrong_password": lazy_gettext("wrong password"),
    "locked": lazy_gettext("account locked"),
    "disabled": lazy_gettext("account disabled"),
    "unknown_user": lazy_gettext("no such account"),
}

# Columns of a row that name it, in the order tried.
_NAME_COLUMNS = ("name", "title", "code", "username")


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as a person reads it."""

    id: int
    who: str
    when: str
    what: str
    where: str
    action: str
    changes: list[Change] = field(default_factory=list)


def person_and_account(name: str | None, account: str | None) -> str:
    """``张三（zhangsan）``; the account alone when the person has no other name."""
    if not account:
        return name or ""
    if not name or name == account:
        return account
    return gettext("%(name)s (%(account)s)", name=name, account=account)


def when(at: dt.datetime | None) -> str:
    """A stored (UTC) timestamp in Beijing time to the second."""
    return "" if at is None else clock.to_beijing(at).strftime(SECONDS_FORMAT)


def mapped_class(model_name: str) -> type | None:
    """The model class an audit record names, if it still exists."""
    return Model.registry._class_registry.get(model_name)


def column_labels(model_name: str, screen_labels: Mapping[str, Any]) -> dict[str, Any]:
    """Column key → label for one model: the screen's label of the column, or of the
    relation a foreign-key column belongs to (``region_id`` reads as the region's label).
    Labels stay lazy: they are translated when a record is read, in that reader's language."""
    cls = mapped_class(model_name)
    out = dict(screen_labels)
    if cls is None:
        return out
    for rel in inspect(cls).relationships:
        label = screen_labels.get(rel.key)
        for column in rel.local_columns:
            # FAB fills in "Town Id" for the column itself; the relation's label is the
            # name the form shows.
            if label is not None:
                out[column.key] = label
    return out


def _foreign_target(cls: type, key: str) -> type | None:
    table = cls.__table__
    column = table.c.get(key)
    if column is None or not column.foreign_keys:
        return None
    target_table = next(iter(column.foreign_keys)).column.table
    for mapper in Model.registry.mappers:
        if mapper.local_table is target_table:
            return mapper.class_
    return None


def related_refs(records: Iterable[AuditRecord]) -> dict[type, set[int]]:
    """The rows foreign keys in the records' changes point at, by model (one query each)."""
    refs: dict[type, set[int]] = {}
    for record in records:
        cls = mapped_class(record.model)
        if cls is None or not isinstance(record.changes, dict):
            continue
        for key, pair in record.changes.items():
            target = _foreign_target(cls, key)
            if target is None or not isinstance(pair, list):
                continue
            refs.setdefault(target, set()).update(
                int(v) for v in pair if isinstance(v, int) or (isinstance(v, str)
                                                               and v.isdigit()))
    return refs


def load_related_names(session: Session, refs: Mapping[type, set[int]]
                       ) -> dict[tuple[type, int], str]:
    """Names of the rows in ``refs``: what an auditor reads instead of bare ids (only the
    name column is read, for records the auditor may already read). One statement for
    the page, whatever the number of tables referenced (a UNION ALL of one SELECT each)."""
    parts, kinds = [], []
    for cls, ids in refs.items():
        if not ids:
            continue
        if cls is AppUser:
            name, account = people.person_name_sql(), AppUser.username
            pk = AppUser.id
        else:
            name = next((cls.__table__.c[c] for c in _NAME_COLUMNS if c in cls.__table__.c),
                        None)
            if name is None:
                continue
            account, pk = null(), cls.__table__.c.id
        parts.append(select(literal(len(kinds)).label("kind"), pk.label("id"),
                            cast(name, String).label("name"),
                            cast(account, String).label("account")).where(pk.in_(ids)))
        kinds.append(cls)
    if not parts:
        return {}
    names: dict[tuple[type, int], str] = {}
    for kind, rid, name, account in session.execute(union_all(*parts)):
        cls = kinds[kind]
        names[(cls, rid)] = (person_and_account(name, account) if cls is AppUser
                             else str(name))
    return names


def value_text(cls: type | None, key: str, raw: Any,
               related_names: Mapping[tuple[type, int], str]) -> str:
    """A stored value as the screens show it: enum labels, 是/否, Beijing time, names for
    foreign keys, an em dash for nothing."""
    if raw is None or raw == "":
        return "—"
    column = cls.__table__.c.get(key) if cls is not None else None
    if column is not None:
        kind = column.type
        if isinstance(kind, SAEnum) and isinstance(kind.enum_class, type) \
                and issubclass(kind.enum_class, enum.Enum):
            member = kind.enum_class.__members__.get(str(raw))
            if member is not None:
                return str(member)
        if isinstance(kind, Boolean) or isinstance(raw, bool):
            return gettext("Yes") if raw in (True, 1, "true", "True") else gettext("No")
        if isinstance(kind, DateTime) and isinstance(raw, str):
            try:
                return when(dt.datetime.fromisoformat(raw))
            except ValueError:
                return raw
        if isinstance(kind, Date):
            return str(raw)
        if isinstance(kind, Numeric) and not isinstance(kind, Float):
            try:  # 100.00 (read back) and 100 (typed in) are the same amount
                return f"{decimal.Decimal(str(raw)).normalize():f}"
            except decimal.InvalidOperation:
                return str(raw)
        target = _foreign_target(cls, key)
        if target is not None:
            try:
                name = related_names.get((target, int(raw)))
            except (TypeError, ValueError):
                name = None
            if name:
                return name
    if isinstance(raw, str) and raw[:1] in "{[" and column is not None \
            and isinstance(column.type, JSON):
        try:  # records written before structures were kept as they are: their repr
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
    if isinstance(raw, (bool, list, dict)):
        text = _structure_text(raw)
        return text if len(text) <= STRUCTURE_CHARS else text[:STRUCTURE_CHARS] + "…"
    return str(raw)


STRUCTURE_CHARS = 300  # a JSON value's text in one sentence; the detail page repeats it


def _structure_text(raw: Any) -> str:
    """A JSON value (a measure's settings, a step's inputs) as a person reads it: the
    inputs of a step as "label：text", settings as "key：value" — never a Python dict."""
    if isinstance(raw, bool):
        return gettext("Yes") if raw else gettext("No")
    if isinstance(raw, dict):
        if "label" in raw and ("text" in raw or "value" in raw):
            return f"{raw['label']}：{_structure_text(raw.get('text', raw.get('value')))}"
        return "；".join(f"{k}：{_structure_text(v)}" for k, v in raw.items())
    if isinstance(raw, list):
        return "、".join(_structure_text(v) for v in raw) or "—"
    return "—" if raw is None or raw == "" else str(raw)


def _object_text(record: AuditRecord) -> str:
    if record.object_label:
        return record.object_label
    changes = record.changes if isinstance(record.changes, dict) else {}
    for key in _NAME_COLUMNS:
        pair = changes.get(key)
        if isinstance(pair, list):
            value = next((v for v in pair if v), None)
            if value:
                return str(value)
    return f"#{record.object_id}" if record.object_id else ""


def _changes(record: AuditRecord, labels: Mapping[str, Any],
             related_names: Mapping[tuple[type, int], str]) -> list[Change]:
    if not isinstance(record.changes, dict) or record.action not in ("create", "update",
                                                                      "delete"):
        return []
    cls = mapped_class(record.model)
    out = []
    for key, pair in record.changes.items():
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        out.append(Change(str(labels.get(key) or key.replace("_", " ")),
                          value_text(cls, key, before, related_names),
                          value_text(cls, key, after, related_names)))
    return out


def _sentence(record: AuditRecord, changes: list[Change]) -> str:
    noun = str(NOUNS.get(record.model, record.model))
    obj = _object_text(record)
    detail = record.changes if isinstance(record.changes, dict) else {}
    action = record.action
    if action == "create":
        return gettext("Created %(noun)s %(object)s", noun=noun, object=obj)
    if action == "delete":
        return gettext("Deleted %(noun)s %(object)s", noun=noun, object=obj)
    if action == "update":
        listed = gettext("; ").join(
            gettext("%(field)s %(before)s → %(after)s", field=c.label, before=c.before,
                    after=c.after) for c in changes)
        return gettext("Changed %(noun)s %(object)s: %(changes)s", noun=noun, object=obj,
                       changes=listed)
    if action == "login":
        return gettext("Signed in")
    if action == "login_failed":
        reason = detail.get("reason")
        text = gettext("Sign-in failed: %(reason)s",
                       reason=str(FAILURE_REASONS.get(reason, reason or "—")))
        if detail.get("locked_until"):
            text += gettext(" (account locked until %(time)s)",
                            time=value_text(AppUser, "locked_until", detail["locked_until"], {}))
        return text
    if action == "logout":
        return gettext("Signed out")
    if action == "password_change":
        return gettext("Changed their own password")
    account = obj if record.object_label else (detail.get("username") or obj)
    if action == "password_reset":
        return gettext("Reset the password of %(user)s", user=account)
    if action == "permissions":
        def listed(names) -> str:
            names = list(names or ())
            shown = gettext(", ").join(names[:10])
            return shown + (gettext(" and %(n)s more", n=len(names) - 10)
                            if len(names) > 10 else "") or "—"

        return gettext("Changed the permissions of the role %(role)s: granted %(granted)s; "
                       "taken away %(revoked)s", role=obj, granted=listed(detail.get("granted")),
                       revoked=listed(detail.get("revoked")))
    if action == "reset_refused":
        return gettext("Was refused resetting the password of %(user)s (only the security "
                       "administrator resets an auditor's)", user=account)
    if action == "unlock":
        return gettext("Unlocked the account %(user)s", user=account)
    if action == "role_grant":
        return gettext("Granted the role %(role)s to %(user)s", role=detail.get("role", ""),
                       user=account)
    if action == "role_revoke":
        return gettext("Took the role %(role)s from %(user)s", role=detail.get("role", ""),
                       user=account)
    if action == "export":
        return gettext("Started the export %(what)s", what=obj)
    if action == "download":
        return gettext("Downloaded the file %(what)s", what=obj)
    if action == "archive":
        return gettext("Archived %(count)s audit records older than %(before)s to %(file)s",
                       count=detail.get("count", 0), before=detail.get("before", ""),
                       file=detail.get("file", ""))
    label = str(ACTIONS.get(action, action))
    return f"{label} {noun} {obj}".strip()


def describe(record: AuditRecord, *, person: str | None = None,
             labels: Mapping[str, Mapping[str, Any]] | None = None,
             related_names: Mapping[tuple[type, int], str] | None = None) -> AuditEntry:
    """``record`` as a person reads it. ``person`` is the actor's name now (from the user
    table; the account name stored in the record is shown next to it), ``labels`` the
    screens' column labels by model (see ``column_labels``)."""
    model_labels = (labels or {}).get(record.model, {})
    changes = _changes(record, model_labels, related_names or {})
    if record.username == "system" and record.user_id is None:
        who = gettext("System")
    else:
        who = person_and_account(person, record.username)
    return AuditEntry(id=record.id, who=who, when=when(record.at),
                      what=_sentence(record, changes), where=record.ip or "",
                      action=record.action, changes=changes)
