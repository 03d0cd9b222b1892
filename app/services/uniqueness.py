"""Unique columns, checked across every region before a save (a code is unique nationally,
so this check must see rows the saving user cannot), and the message that names the value
already taken."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .quoting import quoted


def value_taken(session: Session, model: type, column: str, value: object,
                exclude_id: int | None = None) -> bool:
    """Whether a row of ``model`` other than ``exclude_id`` holds ``value`` in ``column``."""
    stmt = select(model.id).where(getattr(model, column) == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    with session.no_autoflush:
        return session.execute(stmt.limit(1)).first() is not None


def duplicated_columns(session: Session, item: object) -> list[str]:
    """The unique columns of ``item`` whose value another row already holds."""
    model = type(item)
    return [column.key for column in model.__table__.columns
            if column.unique and getattr(item, column.key, None) is not None
            and value_taken(session, model, column.key, getattr(item, column.key), item.id)]


def duplicate_message(label: object, value: object) -> str:
    """项目代码“2026-320621-…”已存在: the field and the value another row holds."""
    return _("%(label)s %(value)s already exists.", label=str(label), value=quoted(value))


def duplicate_errors(session: Session, item: object,
                     labels: Mapping[str, object] | None = None) -> dict[str, str]:
    """Field → message for every unique column of ``item`` another row already holds."""
    labels = labels or {}
    return {name: duplicate_message(labels.get(name) or name, getattr(item, name))
            for name in duplicated_columns(session, item)}
