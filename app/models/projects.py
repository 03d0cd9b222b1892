"""Major projects (重大项目), their assistants and service team."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .applicants import Applicant
from .base import Model, TimestampMixin, enum_column
from .enums import FundingSource, LandNature, ListLevel, ProjectStatus, TeamRole, TerminationReason
from .regions import OrgUnit, Region
from .stages import Stage


class Project(TimestampMixin, Model):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("investment_wan >= 0", name="ck_project_investment_nonneg"),
        CheckConstraint("floor_area_wan_m2 IS NULL OR floor_area_wan_m2 >= 0",
                        name="ck_project_floor_area_nonneg"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 项目代码: unique, and also the service plan's code.
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    address: Mapped[str | None] = mapped_column(String(255))
    # The site's position (WGS-84 degrees), when known: a site photo's GPS is measured
    # against it ("距项目地址约 300 米").
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    # Optional town/street/park inside the region; scope follows the deepest of the two.
    town_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicant.id"), nullable=False, index=True)
    leader: Mapped[str | None] = mapped_column(String(64))
    contact_person: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    investment_wan: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=0)
    funding_source: Mapped[FundingSource | None] = enum_column(FundingSource)
    floor_area_wan_m2: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    land_nature: Mapped[LandNature | None] = enum_column(LandNature)
    list_level: Mapped[ListLevel] = enum_column(ListLevel, nullable=False, index=True,
                                                default=ListLevel.COUNTY)
    list_year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    main_use_scale: Mapped[str | None] = mapped_column(Text)
    planned_start_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_completion_on: Mapped[dt.date | None] = mapped_column(Date)
    current_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"), index=True)
    status: Mapped[ProjectStatus] = enum_column(ProjectStatus, nullable=False,
                                                default=ProjectStatus.ACTIVE, index=True)
    termination_reason: Mapped[TerminationReason | None] = enum_column(TerminationReason)
    termination_note: Mapped[str | None] = mapped_column(Text)
    # 终止服务: when it was decided and by whom (app.services.termination).
    terminated_on: Mapped[dt.date | None] = mapped_column(Date)
    terminated_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # 资料归档: the archive closed (completed or after termination); read-only from then.
    archived_on: Mapped[dt.date | None] = mapped_column(Date)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    # 存在问题 / 下步计划: what blocks the project and what is done next, kept up to date by
    # the assistant for the progress meetings (columns of the 重大项目推进台账).
    problems: Mapped[str | None] = mapped_column(Text)
    next_steps: Mapped[str | None] = mapped_column(Text)

    region: Mapped[Region] = relationship(Region, foreign_keys=[region_id])
    town: Mapped[Region | None] = relationship(Region, foreign_keys=[town_id])
    applicant: Mapped[Applicant] = relationship(Applicant)
    current_stage: Mapped[Stage | None] = relationship(Stage)
    assistants: Mapped[list[ProjectAssistant]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    team: Mapped[list[ServiceTeamMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    items: Mapped[list[ApprovalItem]] = relationship(  # noqa: F821
        back_populates="project", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"

    def assistant_names(self) -> str:
        return "、".join(str(a) for a in self.assistants)


class ProjectAssistant(TimestampMixin, Model):
    """A 帮办员 assigned to a project; at least one per project, one of them the lead."""

    __tablename__ = "project_assistant"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_assistant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False, index=True)
    is_lead: Mapped[bool] = mapped_column(default=True, nullable=False)
    assigned_on: Mapped[dt.date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="assistants")
    user: Mapped[AppUser] = relationship("AppUser")  # noqa: F821

    def __repr__(self) -> str:
        # The person's name as everywhere (AppUser's naming rule, app/services/people.py).
        return "" if self.user is None else str(self.user)


class ServiceTeamMember(TimestampMixin, Model):
    """A department, utility or agency on a project's service team (重大项目服务团队)."""

    __tablename__ = "service_team_member"
    __table_args__ = (UniqueConstraint("project_id", "org_unit_id", name="uq_team_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False, index=True)
    role: Mapped[TeamRole] = enum_column(TeamRole, nullable=False, default=TeamRole.MEMBER)
    contact: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))

    project: Mapped[Project] = relationship(back_populates="team")
    org_unit: Mapped[OrgUnit] = relationship(OrgUnit)

    def __repr__(self) -> str:
        return str(self.org_unit)
