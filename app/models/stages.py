"""Approval stages: the standard seven, and any a region adds of its own."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model
from .regions import Region

STANDARD_STAGES = (
    ("planning", "前期策划生成"),
    ("company", "企业开办"),
    ("land", "立项用地规划许可"),
    ("engineering", "工程建设许可"),
    ("construction", "施工许可"),
    ("completion", "竣工验收"),
    ("registration", "不动产登记"),
)


class Stage(Model):
    __tablename__ = "stage"
    __table_args__ = (
        UniqueConstraint("region_id", "code", name="uq_stage_region_code"),
        # NULLs are distinct in a unique constraint: the standard stages need their own.
        Index("uq_stage_standard_code", "code", unique=True,
              postgresql_where=text("region_id IS NULL"), sqlite_where=text("region_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # NULL: one of the standard stages every region uses.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)

    region: Mapped[Region | None] = relationship(Region)

    def __repr__(self) -> str:
        return self.name
