"""One SQLAlchemy hook that writes an audit record for every create, update and delete."""
from __future__ import annotations

import datetime as dt
import decimal
import enum

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.clock import utcnow
from app.models import AuditRecord

from . import audit_text, people

# Tables FAB rewrites by itself at start-up; auditing them would only add noise.
_SKIP_TABLES = {"audit_record", "ab_permission", "ab_view_menu", "ab_permission_view",
                "ab_permission_view_role"}
# Bookkeeping columns that change on every save or login.
_SKIP_COLUMNS = {"updated_at", "changed_on", "last_login", "login_count", "fail_login_count",
                 "password", "session_version"}


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):  # a JSON column: kept as a structure, read as text later
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _actor() -> tuple:
    if not has_request_context():
        return None, "system", None
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        uid, name = user.id, user.username
    else:
        uid, name = None, None
    return uid, name, request.remote_addr


def object_label(obj: object) -> str | None:
    """How a person names ``obj`` in the trail: a user by name and account, anything else
    by its name, title or code (read from what is loaded: no query inside a flush)."""
    loaded = inspect(obj).dict
    if "username" in loaded and ("first_name" in loaded or "last_name" in loaded):
        return audit_text.person_and_account(people.person_name(obj), loaded.get("username"))[:200]
    for key in ("name", "title", "code", "username"):
        value = loaded.get(key)
        if value:
            return str(value)[:200]
    return None


def _columns(obj):
    mapper = inspect(obj).mapper
    return [c for c in mapper.column_attrs if c.key not in _SKIP_COLUMNS]


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    out = {}
    for attr in _columns(obj):
        hist = state.attrs[attr.key].history
        if action == "create":
            value = getattr(obj, attr.key)
            if value is not None:
                out[attr.key] = [None, _plain(value)]
        elif action == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value is not None:
                out[attr.key] = [_plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if _plain(before) != _plain(after):
                out[attr.key] = [_plain(before), _plain(after)]
    return out


def _role_changes(obj) -> list[tuple[str, str]]:
    """Roles granted to / taken from a user in this flush (rows of ``ab_user_role``, which
    is an association table with no class of its own): (role_grant|role_revoke, name)."""
    state = inspect(obj)
    if "roles" not in state.mapper.relationships or state.deleted:
        return []
    history = state.attrs["roles"].history
    return ([("role_grant", r.name) for r in history.added or ()]
            + [("role_revoke", r.name) for r in history.deleted or ()])


def _permission_changes(obj) -> dict | None:
    """Permissions given to / taken from a role in this flush (rows of
    ``ab_permission_view_role``): one record per role, {"granted": [...], "revoked": [...]},
    each permission as "permission on resource"."""
    state = inspect(obj)
    if type(obj).__name__ != "Role" or "permissions" not in state.mapper.relationships:
        return None
    history = state.attrs["permissions"].history

    def names(pvs) -> list[str]:
        return sorted(f"{pv.permission.name} {pv.view_menu.name}" for pv in pvs or ()
                      if pv.permission is not None and pv.view_menu is not None)

    granted, revoked = names(history.added), names(history.deleted)
    if not granted and not revoked:
        return None
    return {"granted": granted, "revoked": revoked}


def _record(session: Session, flush_context) -> None:
    uid, name, ip = _actor()
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty),
                         ("delete", session.deleted)):
        for obj in objs:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in _SKIP_TABLES:
                continue
            if action != "delete":
                for event_name, role in _role_changes(obj):
                    rows.append({"at": utcnow(), "user_id": uid, "username": name, "ip": ip,
                                 "action": event_name, "model": type(obj).__name__,
                                 "object_id": str(obj.id), "object_label": object_label(obj),
                                 "changes": {"role": role}})
                permissions = _permission_changes(obj)
                if permissions:
                    rows.append({"at": utcnow(), "user_id": uid, "username": name, "ip": ip,
                                 "action": "permissions", "model": "Role",
                                 "object_id": str(obj.id), "object_label": obj.name,
                                 "changes": permissions})
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            pk = inspect(obj).mapper.primary_key_from_instance(obj)
            rows.append({"at": utcnow(), "user_id": uid, "username": name, "ip": ip,
                         "action": action, "model": type(obj).__name__,
                         "object_id": ",".join(str(p) for p in pk if p is not None) or None,
                         "object_label": object_label(obj), "changes": changes})
    if rows:
        # Straight onto the flush's connection: same transaction, no recursive flush.
        session.connection().execute(insert(AuditRecord.__table__), rows)


def record_event(session: Session, action: str, model: str, object_id: object = None,
          detail: dict | None = None, *, user_id: int | None = None,
          username: str | None = None, object_label: str | None = None) -> None:
    """Record an event that is not a row change (login, logout, a password change, an
    export, a download) in the caller's transaction. The actor defaults to the signed-in
    user of the request; ``user_id``/``username`` name it when nobody is signed in yet
    (a failed login names the account tried); ``object_label`` how the object reads."""
    uid, name, ip = _actor()
    if user_id is not None or username is not None:
        uid, name = user_id, username
    session.execute(insert(AuditRecord.__table__), [{
        "at": utcnow(), "user_id": uid, "username": name, "ip": ip, "action": action,
        "model": model, "object_id": None if object_id is None else str(object_id),
        "object_label": None if object_label is None else str(object_label)[:200],
        "changes": detail or None}])


def install(session_factory: scoped_session[Session] | sessionmaker[Session] | type[Session]
            ) -> None:
    """Attach the hook to every session the factory makes (idempotent)."""
    if not event.contains(session_factory, "after_flush", _record):
        event.listen(session_factory, "after_flush", _record)
