"""帮办代办日志: an assistant's dated record of the work done on a project (seed 003 第八条
填报日志、实地走访), with its site photos."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column, utcnow
from .enums import WorkLogKind
from .projects import Project


class WorkLog(TimestampMixin, Model):
    """One day's work of one assistant on one project (每日报送 counts these)."""

    __tablename__ = "work_log"
    __table_args__ = (
        # The daily report: the latest log of each assistant on each project.
        Index("ix_work_log_project_author_day", "project_id", "author_id", "logged_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Indexed by ix_work_log_project_author_day (project first).
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    # The Beijing day the work was done (not in the future).
    logged_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    kind: Mapped[WorkLogKind] = enum_column(WorkLogKind, nullable=False,
                                            default=WorkLogKind.VISIT)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    people_met: Mapped[str | None] = mapped_column(String(255))
    follow_ups: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(Project)
    author: Mapped[AppUser] = relationship("AppUser")  # noqa: F821
    photos: Mapped[list[WorkLogPhoto]] = relationship(
        back_populates="work_log", cascade="all, delete-orphan", order_by="WorkLogPhoto.id")

    def __repr__(self) -> str:
        return f"{self.logged_on} {self.kind}"


class WorkLogPhoto(Model):
    """A site photo of a log: the re-encoded JPEG stored under a generated name (no EXIF),
    its thumbnail, and what its EXIF said (capture time, GPS) — kept here, served in the
    photo only where the region allows (``Region.photo_strip_location``)."""

    __tablename__ = "work_log_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_log_id: Mapped[int] = mapped_column(ForeignKey("work_log.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False)
    thumb_name: Mapped[str] = mapped_column(String(80), nullable=False)
    # The name it was uploaded under, cleaned: for display and the download's name only.
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False, default="image/jpeg")
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    width: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    height: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # EXIF DateTimeOriginal: the camera's local time (a phone in China: Beijing), no zone.
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    work_log: Mapped[WorkLog] = relationship(back_populates="photos")

    def __repr__(self) -> str:
        return self.filename
