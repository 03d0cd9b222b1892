"""Staff and enterprise users: FAB's user with the region, unit and applicant they belong to."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .applicants import Applicant
from .base import Model
from .regions import OrgUnit, Region


class AppUser(User):
    # Same table as FAB's user (single-table extension, as FAB documents it).
    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("applicant.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # Account security (app/services/accounts.py): the lockout after failed logins, the
    # session version every signed-in request and refresh token must carry (raised on
    # logout, password change and disabling: old cookies and tokens stop working), and
    # the password's age and "change at next login".
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default="0")
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())

    region: Mapped[Region | None] = relationship(Region, foreign_keys=[region_id])
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit, foreign_keys=[org_unit_id])
    applicant: Mapped[Applicant | None] = relationship(Applicant, foreign_keys=[applicant_id])


class PasswordHistory(Model):
    """The hashes of a user's earlier passwords: a new password may not repeat the last
    ``PASSWORD_HISTORY`` of them."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    password: Mapped[str] = mapped_column(String(256), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
