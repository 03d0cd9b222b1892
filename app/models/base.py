"""Shared column helpers for the domain models."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow  # noqa: F401  (re-exported for the models)

__all__ = ["Model", "TimestampMixin", "enum_column"]


def enum_column(enum_cls, **kwargs):
    """A VARCHAR holding the member name, with a CHECK constraint on both databases."""
    return mapped_column(
        SAEnum(enum_cls, native_enum=False, create_constraint=True, length=40,
               name=f"ck_{enum_cls.__name__.lower()}"),
        **kwargs,
    )




class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
