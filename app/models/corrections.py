"""补正: a pause of an item's clock while the applicant supplies corrections."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin


class ItemCorrection(TimestampMixin, Model):
    __tablename__ = "item_correction"
    __table_args__ = (
        CheckConstraint("received_on IS NULL OR received_on >= requested_on",
                        name="ck_item_correction_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("approval_item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    requested_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[ApprovalItem] = relationship(back_populates="corrections")  # noqa: F821
