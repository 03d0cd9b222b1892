"""对接需求 and 帮办服务方案: the intake record of a project and its signed service plan
(seed 004 §6.1–6.2 and 附录A), with the plan's rows, versions and the departments' opinions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, TimestampMixin, enum_column
from .enums import ApplicantNature, FundingSource, LabelledEnum, LandNature, ListLevel
from .projects import Project
from .regions import OrgUnit


class PlanStatus(LabelledEnum):
    DRAFT = "草稿"
    CONSULTING = "征求部门意见中"
    SIGNING = "待双方签字"
    SIGNED = "已签订"
    SUPERSEDED = "已被新版本替代"


class PlanStage(LabelledEnum):
    """The stages of 附录A's 帮办服务事项 and of its 行政审批各阶段帮办服务内容."""

    LAND = "立项用地规划"
    ENGINEERING = "工程建设许可"
    CONSTRUCTION = "施工许可"
    COMPLETION = "竣工验收"
    OTHER = "其他"


class IntakeRecord(TimestampMixin, Model):
    """对接需求: the entrustment, the first contact, what the applicant needs and the agreed
    service intent (seed 004 §6.1). One per project."""

    __tablename__ = "intake_record"
    __table_args__ = (UniqueConstraint("project_id", name="uq_intake_record_project"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    # 委托代办: what is entrusted, when, and the signed letter (a stored file name).
    entrustment_scope: Mapped[str | None] = mapped_column(Text)
    entrusted_on: Mapped[dt.date | None] = mapped_column(Date)
    letter_file: Mapped[str | None] = mapped_column(String(160))
    # The first contact (帮办员主动与服务对象对接).
    first_contact_on: Mapped[dt.date | None] = mapped_column(Date)
    contacted_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    applicant_contact: Mapped[str | None] = mapped_column(String(64))
    told_laws: Mapped[str | None] = mapped_column(Text)
    told_procedure: Mapped[str | None] = mapped_column(Text)
    told_services: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    project_status: Mapped[str | None] = mapped_column(Text)
    material_readiness: Mapped[str | None] = mapped_column(Text)
    service_intent: Mapped[str | None] = mapped_column(Text)
    intent_agreed_on: Mapped[dt.date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(Project)
    contacted_by: Mapped[AppUser | None] = relationship("AppUser")  # noqa: F821

    def __repr__(self) -> str:
        return f"{self.project}"


class ServicePlan(TimestampMixin, Model):
    """One version of a project's 帮办服务方案 (附录A). A change after a signature makes the
    next version; earlier versions stay as they were signed."""

    __tablename__ = "service_plan"
    __table_args__ = (UniqueConstraint("project_id", "version", name="uq_service_plan_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[PlanStatus] = enum_column(PlanStatus, nullable=False,
                                             default=PlanStatus.DRAFT, index=True)
    # 服务方案编码 = 项目代码 (附录A 备注).
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    # 单位基本信息
    applicant_name: Mapped[str] = mapped_column(String(200), nullable=False)
    applicant_address: Mapped[str | None] = mapped_column(String(255))
    applicant_nature: Mapped[ApplicantNature | None] = enum_column(ApplicantNature)
    leader: Mapped[str | None] = mapped_column(String(64))
    leader_title: Mapped[str | None] = mapped_column(String(64))
    leader_phone: Mapped[str | None] = mapped_column(String(32))
    # 重点建设项目基本信息
    project_name: Mapped[str] = mapped_column(String(200), nullable=False)
    project_address: Mapped[str | None] = mapped_column(String(255))
    project_code: Mapped[str] = mapped_column(String(64), nullable=False)
    investment_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    funding_source: Mapped[FundingSource | None] = enum_column(FundingSource)
    floor_area_wan_m2: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    land_nature: Mapped[LandNature | None] = enum_column(LandNature)
    list_level: Mapped[ListLevel | None] = enum_column(ListLevel)
    main_use_scale: Mapped[str | None] = mapped_column(Text)
    approval_status: Mapped[str | None] = mapped_column(Text)  # 项目行政审批现状
    # 帮办服务事项: the stages covered.
    covers_land: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    covers_engineering: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    covers_construction: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    covers_completion: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    covers_other: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    other_stages: Mapped[str | None] = mapped_column(String(255))
    # 具体的帮办服务内容: each kind ticked with its text.
    does_coaching: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    coaching: Mapped[str | None] = mapped_column(Text)
    does_coordination: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    coordination: Mapped[str | None] = mapped_column(Text)
    does_handling: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    handling: Mapped[str | None] = mapped_column(Text)
    does_other_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    other_service: Mapped[str | None] = mapped_column(Text)
    # 联系人信息
    contact_person: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    # 其他需要说明的事项, and the termination clause printed on the plan.
    notes: Mapped[str | None] = mapped_column(Text)
    termination_clause: Mapped[str] = mapped_column(Text, nullable=False)
    # The round of opinions, the two signatures, the version that replaced this one.
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    company_signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    company_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    company_signer: Mapped[str | None] = mapped_column(String(128))
    assistant_signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    assistant_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    assistant_signer: Mapped[str | None] = mapped_column(String(128))
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_plan.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    project: Mapped[Project] = relationship(Project)
    previous: Mapped[ServicePlan | None] = relationship("ServicePlan", remote_side=[id])
    assistants: Mapped[list[PlanAssistant]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanAssistant.seq")
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanItem.seq")
    opinions: Mapped[list[PlanOpinion]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanOpinion.id")

    def __repr__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def fully_signed(self) -> bool:
        return self.company_signed_at is not None and self.assistant_signed_at is not None

    @property
    def any_signature(self) -> bool:
        return self.company_signed_at is not None or self.assistant_signed_at is not None


class PlanAssistant(Model):
    """帮办员 of the plan: unit, department, name and phone."""

    __tablename__ = "plan_assistant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plan.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unit: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))

    plan: Mapped[ServicePlan] = relationship(back_populates="assistants")

    def __repr__(self) -> str:
        return self.name


class PlanItem(Model):
    """One approval item of a stage of the plan, with what 附录A asks per stage: department,
    time limit, fees and how paid, division of labour, notes, and the completion record."""

    __tablename__ = "plan_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plan.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    stage: Mapped[PlanStage] = enum_column(PlanStage, nullable=False)
    # The project's item it was generated from (None for a row the assistant added).
    approval_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_item.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    time_limit: Mapped[str | None] = mapped_column(String(100))
    fees: Mapped[str | None] = mapped_column(String(255))
    division_of_labour: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    completion_result: Mapped[str | None] = mapped_column(String(255))

    plan: Mapped[ServicePlan] = relationship(back_populates="items")
    department: Mapped[OrgUnit | None] = relationship(OrgUnit)
    materials: Mapped[list[PlanMaterial]] = relationship(
        back_populates="plan_item", cascade="all, delete-orphan", order_by="PlanMaterial.seq")

    def __repr__(self) -> str:
        return self.name


class PlanMaterial(Model):
    """需准备的材料清单及要求: one material of an item, with its requirements."""

    __tablename__ = "plan_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id", ondelete="CASCADE"),
                                              nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    requirements: Mapped[str | None] = mapped_column(Text)

    plan_item: Mapped[PlanItem] = relationship(back_populates="materials")

    def __repr__(self) -> str:
        return self.name


class PlanOpinion(Model):
    """A department's opinion on a draft plan (征询相关审批部门意见): one task per department
    of the plan's items, answered in the department's screen."""

    __tablename__ = "plan_opinion"
    __table_args__ = (UniqueConstraint("plan_id", "org_unit_id", name="uq_plan_opinion_unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("service_plan.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False,
                                             index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    answered_by: Mapped[str | None] = mapped_column(String(128))

    plan: Mapped[ServicePlan] = relationship(back_populates="opinions")
    org_unit: Mapped[OrgUnit] = relationship(OrgUnit)

    def __repr__(self) -> str:
        return f"{self.org_unit}"
