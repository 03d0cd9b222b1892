"""Approval items (审批事项) of projects, and the per-region templates they come from."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    case,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import Case, Grouping

from .base import Model, TimestampMixin, enum_column
from .enums import DivisionOfLabour, FeeMode, ItemStatus
from .projects import Project
from .regions import OrgUnit, Region
from .stages import Stage


class ItemFieldsMixin:
    """The columns a template hands down to each project's item."""

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # A stable code (app/services/item_codes.py) that measures find the item by; the name
    # is for people and may be reworded by each region.
    code: Mapped[str | None] = mapped_column(String(50), index=True)
    time_limit_days: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    fees_yuan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    fee_mode: Mapped[FeeMode] = enum_column(FeeMode, nullable=False, default=FeeMode.FREE)
    materials: Mapped[str | None] = mapped_column(Text)
    division_of_labour: Mapped[DivisionOfLabour] = enum_column(
        DivisionOfLabour, nullable=False, default=DivisionOfLabour.ASSISTANT)


class ItemTemplate(ItemFieldsMixin, TimestampMixin, Model):
    __tablename__ = "item_template"
    __table_args__ = (
        CheckConstraint("time_limit_days >= 0", name="ck_item_template_limit_nonneg"),
        UniqueConstraint("region_id", "stage_id", "name", name="uq_item_template_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), nullable=False, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    region: Mapped[Region] = relationship(Region)
    stage: Mapped[Stage] = relationship(Stage)
    department: Mapped[OrgUnit] = relationship(OrgUnit)

    def __repr__(self) -> str:
        return self.name


class ApprovalItem(ItemFieldsMixin, TimestampMixin, Model):
    __tablename__ = "approval_item"
    __table_args__ = (
        CheckConstraint("time_limit_days >= 0", name="ck_approval_item_limit_nonneg"),
        CheckConstraint("due_on IS NULL OR accepted_on IS NULL OR due_on >= accepted_on",
                        name="ck_approval_item_due_after_accept"),
        # The list's order by due date (with the id FAB adds) and its status filter.
        Index("ix_approval_item_due_on_id", "due_on", "id"),
        Index("ix_approval_item_status_due_on", "status", "due_on", "id"),
        # A name search ("%施工%") cannot seek, but counting its matches reads this index
        # (6 MB at 100,000 items, index-only) instead of the whole table (35 MB).
        Index("ix_approval_item_name_project", "name", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), nullable=False, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), nullable=False, index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("item_template.id", ondelete="SET NULL"))
    status: Mapped[ItemStatus] = enum_column(ItemStatus, nullable=False,
                                             default=ItemStatus.NOT_STARTED, index=True)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    finished_on: Mapped[dt.date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(255))
    certificate_no: Mapped[str | None] = mapped_column(String(100))
    # 容缺受理: what is missing, and the date the applicant promised to supply it.
    gap_materials: Mapped[str | None] = mapped_column(Text)
    gap_promised_on: Mapped[dt.date | None] = mapped_column(Date)
    # Planned dates (from the service plan; the later 数轴图 draws them).
    planned_start_on: Mapped[dt.date | None] = mapped_column(Date)
    planned_finish_on: Mapped[dt.date | None] = mapped_column(Date)
    # The person in charge on the department's side.
    responsible_person: Mapped[str | None] = mapped_column(String(64))
    responsible_phone: Mapped[str | None] = mapped_column(String(32))
    # 不予许可: the department's reason; 告知承诺: the applicant's commitment.
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    commitment: Mapped[str | None] = mapped_column(Text)
    # 告知结果: when the enterprise was told the result, whom, and who told it.
    result_told_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    result_told_to: Mapped[str | None] = mapped_column(Text)
    result_told_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))

    project: Mapped[Project] = relationship(Project, back_populates="items")
    stage: Mapped[Stage] = relationship(Stage)
    department: Mapped[OrgUnit] = relationship(OrgUnit)
    template: Mapped[ItemTemplate | None] = relationship(ItemTemplate)
    corrections: Mapped[list[ItemCorrection]] = relationship(  # noqa: F821
        back_populates="item", cascade="all, delete-orphan", order_by="ItemCorrection.requested_on")
    material_rows: Mapped[list[ItemMaterial]] = relationship(  # noqa: F821
        back_populates="item", cascade="all, delete-orphan", order_by="ItemMaterial.id")

    def __repr__(self) -> str:
        return self.name

    # Computed, not stored: read from due_on and the working-day calendar (lists call
    # these per row; they issue no query once the calendar is cached).
    def remaining_working_days(self, today: dt.date | None = None) -> int | None:
        """Working days left until due_on for an open item not yet overdue, else None."""
        from app.services.deadlines import remaining_working_days

        return remaining_working_days(self, today)

    def overdue_working_days(self, today: dt.date | None = None) -> int | None:
        """Working days past due_on for an open overdue item, else None."""
        from app.services.deadlines import overdue_working_days

        return overdue_working_days(self, today)


# 办结, 不予许可, 撤回: an item that needs no more action (app.services.items.DONE).
ITEM_DONE_STATUSES = (ItemStatus.FINISHED, ItemStatus.REFUSED, ItemStatus.WITHDRAWN)


def action_needed_keys(table=None) -> list:
    """The item list's default order, what needs action first: open items by due date (the
    overdue ones have the earliest dates, so they lead, then the ones due soonest), then
    open items with no due date yet, then the items that are done. The id keeps pages
    stable. The same expressions make the index below: PostgreSQL serves an ORDER BY from an
    expression index only when the expressions match, so both are built here."""
    c = (table if table is not None else ApprovalItem.__table__).c
    done = c.status.in_([s.name for s in ITEM_DONE_STATUSES])
    return [case((done, 1), else_=0), case((c.due_on.is_(None), 1), else_=0), c.due_on, c.id]


# Without it page 1 of a county's 50,000 items sorts all of them (40 ms); with it the first
# rows of the index in scope are read (3 ms). The second serves the same order under the
# list's status filter (an equality on the leading column keeps the rest in order).
# (PostgreSQL wants an expression of an index in parentheses.)
_ACTION_KEYS = [Grouping(key) if isinstance(key, Case) else key for key in action_needed_keys()]
Index("ix_approval_item_action_order", *_ACTION_KEYS)
Index("ix_approval_item_status_action_order", ApprovalItem.__table__.c.status, *_ACTION_KEYS)
