"""An assistant's 催办 proposal (催办申请): what the dispatcher is asked to dispatch as a work
order (app/services/urges.py), or to decline with a reason."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .approvals import ApprovalItem
from .base import Model, TimestampMixin, enum_column
from .coordination import CoordinationRequest
from .enums import UrgeCategory, UrgeProposalStatus
from .projects import Project
from .regions import OrgUnit
from .users import AppUser
from .warnings import WorkOrder


class UrgeProposal(TimestampMixin, Model):
    __tablename__ = "urge_proposal"
    __table_args__ = (
        # The dispatcher's list: the waiting ones, newest first.
        Index("ix_urge_proposal_status_created_at", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_item.id", ondelete="SET NULL"), index=True)
    # Or the coordination request to chase (never with an item).
    coordination_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordination_request.id", ondelete="SET NULL"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False,
                                             index=True)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    request: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[UrgeCategory] = enum_column(UrgeCategory, nullable=False)
    # The reply time the assistant suggests, in working days from the day it is dispatched.
    due_days: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[UrgeProposalStatus] = enum_column(
        UrgeProposalStatus, nullable=False, default=UrgeProposalStatus.PENDING, index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_order.id", ondelete="SET NULL"), index=True)

    project: Mapped[Project] = relationship(Project)
    item: Mapped[ApprovalItem | None] = relationship(ApprovalItem)
    coordination_request: Mapped[CoordinationRequest | None] = relationship(CoordinationRequest)
    org_unit: Mapped[OrgUnit] = relationship(OrgUnit)
    proposed_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[proposed_by_id])
    decided_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[decided_by_id])
    work_order: Mapped[WorkOrder | None] = relationship(WorkOrder)

    def __repr__(self) -> str:
        return self.title
