"""Staff and enterprise users: FAB's user with the region, unit and applicant they belong to."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

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

    # FAB shows a user as ``str(user)`` and ``get_full_name()`` (pickers, relation columns,
    # the navbar): "first last", which puts a Chinese 名 before the 姓. The one naming rule
    # of app/services/people.py instead.
    def get_full_name(self) -> str:
        from app.services.people import person_name

        return person_name(self)

    def __repr__(self) -> str:
        return self.get_full_name()

    @validates("email")
    def _empty_email_is_none(self, key: str, value: str | None) -> str | None:
        # An empty address is no address: stored as NULL, which the unique index lets many
        # accounts share (an empty string would collide with the next account without one).
        return (value or "").strip() or None


# E-mail is optional (many county staff have no work address). FAB declares the column
# NOT NULL on its User; the table is shared, so the migration ``a6d2f0c4e9b1`` and this
# line make it nullable, and FAB's forms then treat the field as optional.
AppUser.__table__.c.email.nullable = True


class PasswordHistory(Model):
    """The hashes of a user's earlier passwords: a new password may not repeat the last
    ``PASSWORD_HISTORY`` of them."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    password: Mapped[str] = mapped_column(String(256), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
