"""Background jobs a user started (exports, imports): what the download centre lists."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, enum_column, utcnow
from .enums import JobStatus


class JobRecord(Model):
    __tablename__ = "job_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    params: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[JobStatus] = enum_column(JobStatus, nullable=False, default=JobStatus.QUEUED,
                                            index=True)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rq_job_id: Mapped[str | None] = mapped_column(String(64), index=True)
    result_path: Mapped[str | None] = mapped_column(String(512))
    result_name: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Touched while the job runs; a started job whose heartbeat stops was killed.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return self.title

    @property
    def state(self) -> tuple[int, str, int]:
        """(id, status name, progress): what the download centre's progress bar shows."""
        return self.id, self.status.name, self.progress

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.STARTED)
