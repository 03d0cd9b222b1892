"""Staff and enterprise users: FAB's user with the region, unit and applicant they belong to."""
from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .applicants import Applicant
from .regions import OrgUnit, Region


class AppUser(User):
    # Same table as FAB's user (single-table extension, as FAB documents it).
    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("applicant.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))

    region: Mapped[Region | None] = relationship(Region, foreign_keys=[region_id])
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit, foreign_keys=[org_unit_id])
    applicant: Mapped[Applicant | None] = relationship(Applicant, foreign_keys=[applicant_id])
