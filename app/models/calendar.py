"""The State Council holiday schedule: public holidays and adjusted working days (调休)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, TimestampMixin, enum_column
from .enums import CalendarDayKind


class CalendarDay(TimestampMixin, Model):
    """A date that differs from the Mon–Fri rule: a holiday on a weekday or a working
    weekend day. A year with no rows at all is "not entered yet"."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True, nullable=False)
    kind: Mapped[CalendarDayKind] = enum_column(CalendarDayKind, nullable=False)
    name: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"{self.day} {self.kind}"
