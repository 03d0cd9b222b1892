"""资料归档: a project's archive files by category, stored under FILES_DIR/archive/<project>/."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, enum_column, utcnow
from .enums import ArchiveCategory
from .projects import Project


class ArchiveFile(Model):
    __tablename__ = "archive_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    category: Mapped[ArchiveCategory] = enum_column(ArchiveCategory, nullable=False)
    stored_name: Mapped[str] = mapped_column(String(200), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    project: Mapped[Project] = relationship(Project)
    uploaded_by: Mapped[AppUser | None] = relationship("AppUser")  # noqa: F821

    def __repr__(self) -> str:
        return self.filename
