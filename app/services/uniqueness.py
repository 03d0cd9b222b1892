"""Unique columns, checked across every region before a save (a code is unique nationally,
so this check must see rows the saving user cannot)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session


def duplicated_columns(session: Session, item: object) -> list[str]:
    """The unique columns of ``item`` whose value another row already holds."""
    model = type(item)
    duplicated = []
    for column in model.__table__.columns:
        if not column.unique:
            continue
        value = getattr(item, column.key, None)
        if value is None:
            continue
        stmt = select(model.id).where(getattr(model, column.key) == value)
        if item.id is not None:
            stmt = stmt.where(model.id != item.id)
        with session.no_autoflush:
            if session.execute(stmt).first() is not None:
                duplicated.append(column.key)
    return duplicated
