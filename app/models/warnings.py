"""Red/yellow cards (红黄牌) and the work orders (工单) dispatched from them, or raised by
hand as a 催办 on an approval item (``origin`` MANUAL, ``item_id``, ``category``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .approvals import ApprovalItem
from .base import Model, TimestampMixin, enum_column, utcnow
from .coordination import CoordinationRequest
from .enums import CardLevel, CardSubject, UrgeCategory, WorkOrderOrigin, WorkOrderStatus
from .projects import Project
from .regions import OrgUnit, Region


class WarningCard(TimestampMixin, Model):
    """One card per object, part and level; the unique key makes concurrent scans raise it
    once."""

    __tablename__ = "warning_card"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "part", "level",
                         name="uq_warning_card_subject_part_level"),
        # The list's order (raised_at DESC, id DESC: read backwards) and its level filter.
        Index("ix_warning_card_raised_at_id", "raised_at", "id"),
        Index("ix_warning_card_level_raised_at", "level", "raised_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[CardSubject] = enum_column(CardSubject, nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # Which deadline of the object: "" for items, promises and work orders (one each);
    # for a workflow instance the token ("main" or a parallel branch) or a plugin
    # reminder rule's part, so each overdue branch carries its own card.
    part: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    level: Mapped[CardLevel] = enum_column(CardLevel, nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    project: Mapped[Project] = relationship(Project)
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit)

    def __repr__(self) -> str:
        return f"{self.level} {self.title}"


class WorkOrder(TimestampMixin, Model):
    __tablename__ = "work_order"
    __table_args__ = (
        # The list's order (created_at DESC, id DESC) and its status filter.
        Index("ix_work_order_created_at_id", "created_at", "id"),
        Index("ix_work_order_status_created_at", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("warning_card.id", ondelete="SET NULL"),
                                                   index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False, index=True)
    # The level handling it now: the project's county, then the city after escalation.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    request: Mapped[str | None] = mapped_column(Text)
    reply_due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[WorkOrderStatus] = enum_column(WorkOrderStatus, nullable=False,
                                                  default=WorkOrderStatus.OPEN, index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # A card's work order, or a 催办 raised by hand (app/services/urges.py); a hand-raised
    # one names the approval item it chases (if any) and its triage category.
    origin: Mapped[WorkOrderOrigin] = enum_column(
        WorkOrderOrigin, nullable=False, default=WorkOrderOrigin.CARD,
        server_default=WorkOrderOrigin.CARD.name, index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_item.id", ondelete="SET NULL"), index=True)
    category: Mapped[UrgeCategory | None] = enum_column(UrgeCategory, index=True)
    # Or the coordination request it chases (a 催办 on a request; never with an item).
    coordination_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordination_request.id", ondelete="SET NULL"), index=True)

    card: Mapped[WarningCard | None] = relationship(WarningCard)
    item: Mapped[ApprovalItem | None] = relationship(ApprovalItem)
    coordination_request: Mapped[CoordinationRequest | None] = relationship(CoordinationRequest)
    project: Mapped[Project] = relationship(Project)
    org_unit: Mapped[OrgUnit] = relationship(OrgUnit)
    region: Mapped[Region] = relationship(Region)
    steps: Mapped[list[WorkOrderStep]] = relationship(
        back_populates="work_order", cascade="all, delete-orphan", order_by="WorkOrderStep.id")

    def __repr__(self) -> str:
        return self.title


class WorkOrderStep(Model):
    """The history of a work order: dispatched, replied, returned, closed, escalated."""

    __tablename__ = "work_order_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    username: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)

    work_order: Mapped[WorkOrder] = relationship(back_populates="steps")
