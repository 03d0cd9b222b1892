"""Applicants (项目申报单位): the legal persons that build projects."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column
from .enums import ApplicantNature
from .regions import Region


class Applicant(TimestampMixin, Model):
    __tablename__ = "applicant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # 统一社会信用代码, 18 characters; unique when given.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(255))
    nature: Mapped[ApplicantNature] = enum_column(ApplicantNature, nullable=False,
                                                  default=ApplicantNature.ENTERPRISE)
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)

    region: Mapped[Region] = relationship(Region)

    def __repr__(self) -> str:
        return self.name
