"""The audit trail: every create, update and delete, logins, role changes, exports and
downloads (app/services/audit.py writes it, app/services/audit_text.py reads it out)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model, utcnow


class AuditRecord(Model):
    __tablename__ = "audit_record"
    # The list pages by (at, id) newest first (keyset), alone or inside one filter: each
    # filter's index ends with (at, id), so a page is a short index range at any size.
    __table_args__ = (
        Index("ix_audit_record_at_id", "at", "id"),
        Index("ix_audit_record_action_at", "action", "at", "id"),
        Index("ix_audit_record_user_at", "user_id", "at", "id"),
        Index("ix_audit_record_username_at", "username", "at", "id"),
        Index("ix_audit_record_object_at", "model", "object_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # create/update/delete/login/…
    model: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(64))
    # How the object read when the event happened (its name, a person's name and account),
    # so the record stays readable after the object is renamed or deleted.
    object_label: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"{self.action} {self.model}#{self.object_id}"
