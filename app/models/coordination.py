"""协调推进 (coordination requests, seed 003 第十四条/第十六条): a blocker on a project raised
for owner units to answer, handled at a level of the region tree (town → county → city →
city leader) and escalated one level at a time; each change is a step. ``RegionLeader``
names a region's 分管领导, whose sign-off a region may require before a request leaves it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
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

from .base import Model, TimestampMixin, enum_column, utcnow
from .enums import LabelledEnum
from .projects import Project
from .regions import OrgUnit, Region
from .users import AppUser


class CoordinationCategory(LabelledEnum):
    """What kind of blocker (seed 003 第十四条 难点堵点, 第十五条, seed 004 协调办理)."""

    APPROVAL_BLOCKER = "审批卡点"
    FACTOR_SUPPLY = "要素保障"  # land, power, water, funding
    POLICY = "政策咨询"
    CROSS_DEPARTMENT = "跨部门协调"
    OTHER = "其他"


class CoordinationLevel(LabelledEnum):
    """The level handling a request now (三级联动, and the city leader through 专报)."""

    TOWN = "镇（街道、园区）级"
    COUNTY = "县（市、区）级"
    CITY = "市级"
    LEADER = "市领导"


class CoordinationStatus(LabelledEnum):
    OPEN = "待答复"  # waiting on an owner unit's reply
    REPLIED = "已答复"  # every owner answered: the raiser resolves or reopens
    RESOLVED = "已解决"


class CoordinationRequest(TimestampMixin, Model):
    __tablename__ = "coordination_request"
    __table_args__ = (
        Index("ix_coordination_request_status_level", "status", "level", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    problem: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[CoordinationCategory] = enum_column(CoordinationCategory, nullable=False)
    requested_outcome: Mapped[str] = mapped_column(Text, nullable=False)
    # The reply deadline in working days, counted again from each escalation and reopening.
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    level: Mapped[CoordinationLevel] = enum_column(CoordinationLevel, nullable=False)
    # The region handling it now (for LEADER: the city).
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    status: Mapped[CoordinationStatus] = enum_column(
        CoordinationStatus, nullable=False, default=CoordinationStatus.OPEN)
    # The project's applicant is an owner too (it must supply or decide something).
    enterprise_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                   server_default="0")
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    escalation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                  server_default="0")
    # The 分管领导's sign-off for leaving the current region (cleared on each escalation).
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # What is asked of the city leader (written when it reaches the LEADER level; the 专报).
    leader_ask: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    project: Mapped[Project] = relationship(Project)
    region: Mapped[Region] = relationship(Region)
    raised_by: Mapped[AppUser | None] = relationship(AppUser, foreign_keys=[raised_by_id])
    signed_off_by: Mapped[AppUser | None] = relationship(AppUser,
                                                         foreign_keys=[signed_off_by_id])
    owners: Mapped[list[CoordinationOwner]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="CoordinationOwner.id")
    steps: Mapped[list[CoordinationStep]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="CoordinationStep.id")

    def __repr__(self) -> str:
        return self.title

    @property
    def open_due_on(self) -> dt.date | None:
        """The deadline while the request waits for replies (None once answered or
        resolved): what the lists colour."""
        return self.due_on if self.status is CoordinationStatus.OPEN else None


class CoordinationOwner(Model):
    """An owner unit of a request and its latest reply; ``org_unit_id`` None is the
    project's enterprise (the applicant)."""

    __tablename__ = "coordination_owner"
    __table_args__ = (UniqueConstraint("request_id", "org_unit_id",
                                       name="uq_coordination_owner_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("coordination_request.id", ondelete="CASCADE"), nullable=False, index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    request: Mapped[CoordinationRequest] = relationship(back_populates="owners")
    # Joined: a list shows each request's owners by name.
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit, lazy="joined")

    def __repr__(self) -> str:
        return self.org_unit.name if self.org_unit is not None else "企业"


class CoordinationStep(Model):
    """The history of a request: raised, replied, resolved, reopened, signed off,
    escalated (who, when, what)."""

    __tablename__ = "coordination_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("coordination_request.id", ondelete="CASCADE"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    username: Mapped[str | None] = mapped_column(String(128))
    # The unit the step speaks for (a reply), and the level after it.
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    level: Mapped[CoordinationLevel | None] = enum_column(CoordinationLevel, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text)

    request: Mapped[CoordinationRequest] = relationship(back_populates="steps")
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit)


class RegionLeader(TimestampMixin, Model):
    """A region's 分管领导 for coordination: signs a request off before it leaves a region
    that requires it (``Region.escalation_signoff``)."""

    __tablename__ = "region_leader"
    __table_args__ = (UniqueConstraint("region_id", "user_id", name="uq_region_leader"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    title: Mapped[str | None] = mapped_column(String(64))  # 分管副县长, 分管副市长 …

    region: Mapped[Region] = relationship(Region)
    user: Mapped[AppUser] = relationship(AppUser)

    def __repr__(self) -> str:
        return f"{self.region} {self.title or ''}".strip()
