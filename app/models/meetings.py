"""专班 and its meetings (seed 002 五·组织调度机制, seed 004 联席会议): a region's task-force
roster, the meetings it holds (推进会 monthly, 项目分析会 weekly, 联审会, 联席会议, 专题会), the
projects on their agenda, who attended, and the decisions (议定事项) followed to done."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column
from .enums import LabelledEnum
from .projects import Project
from .regions import OrgUnit, Region


class TaskForceRole(LabelledEnum):
    """专班架构 (seed 002 二): 组长, 副组长, 成员 (units), 专班办公室."""

    LEADER = "组长"
    DEPUTY = "副组长"
    MEMBER_UNIT = "成员单位"
    OFFICE = "专班办公室"


class MeetingKind(LabelledEnum):
    PROGRESS = "推进会"  # 每月召开一次工作推进会
    ANALYSIS = "项目分析会"  # 每周召开一次项目分析会
    JOINT_REVIEW = "联审会"
    JOINT = "联席会议"  # seed 004: 帮办服务联席会议
    SPECIAL = "专题会"


class DecisionStatus(LabelledEnum):
    OPEN = "待落实"
    DONE = "已落实"
    CANCELLED = "已取消"


class TaskForceMember(TimestampMixin, Model):
    """One entry of a region's 专班: a person (name, 职务) and/or a unit, with its role."""

    __tablename__ = "task_force_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    role: Mapped[TaskForceRole] = enum_column(TaskForceRole, nullable=False,
                                              default=TaskForceRole.MEMBER_UNIT)
    person_name: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(100))  # 职务
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    region: Mapped[Region] = relationship(Region)
    org_unit: Mapped[OrgUnit | None] = relationship(OrgUnit)

    def __repr__(self) -> str:
        person = " ".join(p for p in (self.person_name, self.title) if p)
        unit = self.org_unit.name if self.org_unit is not None else ""
        if person and unit:
            return f"{unit} {person}"
        return person or unit


class Meeting(TimestampMixin, Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    kind: Mapped[MeetingKind] = enum_column(MeetingKind, nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    held_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    chair_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_force_member.id", ondelete="SET NULL"), index=True)
    minutes: Mapped[str | None] = mapped_column(Text)  # 会议纪要
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    region: Mapped[Region] = relationship(Region)
    chair: Mapped[TaskForceMember | None] = relationship(TaskForceMember)
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingAttendee.id")
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.seq")
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Decision.id")

    def __repr__(self) -> str:
        return f"{self.held_on.isoformat() if self.held_on else ''} {self.title}".strip()


class MeetingAttendee(Model):
    """Who attended: an entry of the region's roster (a person or a unit)."""

    __tablename__ = "meeting_attendee"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_meeting_attendee"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("task_force_member.id", ondelete="CASCADE"), nullable=False, index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    member: Mapped[TaskForceMember] = relationship(TaskForceMember)

    def __repr__(self) -> str:
        return str(self.member)


class AgendaItem(Model):
    """A project on a meeting's agenda, with why it is there (红牌, 事项临期, …)."""

    __tablename__ = "meeting_agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "project_id", name="uq_meeting_agenda"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str | None] = mapped_column(String(255))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    project: Mapped[Project] = relationship(Project)

    def __repr__(self) -> str:
        return str(self.project)


class Decision(TimestampMixin, Model):
    """议定事项: what the meeting decided, who carries it out and by when."""

    __tablename__ = "meeting_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    # The agenda project it concerns (None for a decision on the work in general).
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                                   index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False,
                                               index=True)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[DecisionStatus] = enum_column(DecisionStatus, nullable=False,
                                                 default=DecisionStatus.OPEN, index=True)
    # Done or cancelled: when, by whom, and what was said.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    closed_by: Mapped[str | None] = mapped_column(String(128))
    close_note: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    project: Mapped[Project | None] = relationship(Project)
    owner_unit: Mapped[OrgUnit] = relationship(OrgUnit)

    def __repr__(self) -> str:
        return (self.content or "")[:40]
