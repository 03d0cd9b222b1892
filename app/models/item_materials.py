"""An approval item's materials as a checklist (材料清单: received / missing / 容缺)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column
from .enums import MaterialStatus


class ItemMaterial(TimestampMixin, Model):
    __tablename__ = "item_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("approval_item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[MaterialStatus] = enum_column(MaterialStatus, nullable=False,
                                                 default=MaterialStatus.MISSING)
    # 容缺: the date the applicant promised to supply it.
    promised_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    item: Mapped[ApprovalItem] = relationship(back_populates="material_rows")  # noqa: F821

    def __repr__(self) -> str:
        return self.name
