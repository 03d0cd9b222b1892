"""In-app notifications and their deliveries over e-mail and webhook."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, enum_column, utcnow
from .enums import DeliveryStatus


class Notification(Model):
    __tablename__ = "notification"
    __table_args__ = (
        # A rerun of a scan must not notify twice: one notice per user and event key.
        UniqueConstraint("user_id", "event_key", name="uq_notification_user_event"),
        # The bell's unread count, on every page.
        Index("ix_notification_user_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    event_key: Mapped[str] = mapped_column(String(128), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="notification",
                                                        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return self.title


class Delivery(Model):
    """One notification over one outside channel, retried with backoff until it goes."""

    __tablename__ = "notification_delivery"
    __table_args__ = (UniqueConstraint("notification_id", "channel", name="uq_delivery_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # email / webhook
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, nullable=False,
                                                 default=DeliveryStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")
