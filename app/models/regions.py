"""The region tree (city → county → town/park) and the units that belong to a region."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column
from .enums import OrgUnitKind, RegionLevel


class Region(TimestampMixin, Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 统一的行政区划代码 (6 digits for city/county, 9 or 12 for towns and parks).
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[RegionLevel] = enum_column(RegionLevel, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    # Materialised path "/1/4/9/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="", index=True)
    warning_days: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    # 对接需求: working days a project may stay without a lead assistant before the
    # dispatcher gets a card.
    intake_days: Mapped[int] = mapped_column(Integer, nullable=False, default=3,
                                             server_default="3")
    # 告知承诺制: whether departments of this region may approve on the applicant's
    # written commitment.
    commitment_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                     server_default="0")
    # 资料归档: the archive categories (ArchiveCategory names) a project must hold before
    # it is closed; None means the default of app.services.archive.
    archive_required: Mapped[list | None] = mapped_column(JSON)
    # 每日报送: working days an assistant's active project may go without a work log
    # before a reminder (then a card to the dispatcher the next working day).
    daily_report_days: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                                   server_default="1")
    # Whether site photos are served without their EXIF capture time and GPS position
    # (the record keeps both; only the served copy is stripped).
    photo_strip_location: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default="0")
    # 第十四条: a coordination request leaves this region upwards only after the sign-off of
    # the region's 分管领导.
    escalation_signoff: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                     server_default="0")

    parent: Mapped[Region | None] = relationship(
        "Region", remote_side=[id], back_populates="children"
    )
    children: Mapped[list[Region]] = relationship("Region", back_populates="parent")

    def __repr__(self) -> str:
        return self.name

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)


class OrgUnit(TimestampMixin, Model):
    """An approval department, a utility unit or an assistance agency of one region."""

    __tablename__ = "org_unit"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_org_unit_region_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    short_name: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[OrgUnitKind] = enum_column(OrgUnitKind, nullable=False, default=OrgUnitKind.DEPARTMENT)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    contact: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))

    region: Mapped[Region] = relationship(Region)

    def __repr__(self) -> str:
        return self.name
