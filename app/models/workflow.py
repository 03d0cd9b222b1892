"""Innovation measures as workflows: definitions, per-region plugin settings, running
instances attached to projects, and the history of every step."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, reconstructor, relationship

from .base import Model, TimestampMixin, enum_column, utcnow

if TYPE_CHECKING:
    from .approvals import ApprovalItem
from .enums import WorkflowInstanceStatus
from .projects import Project
from .regions import Region


class MeasureSetting(TimestampMixin, Model):
    """A measure switched on or off for a region, with its parameters. A region without a
    row inherits the nearest ancestor's row (docs/domain.md)."""

    __tablename__ = "measure_setting"
    __table_args__ = (UniqueConstraint("measure_key", "region_id", name="uq_measure_setting"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    params: Mapped[dict | None] = mapped_column(JSON)

    region: Mapped[Region] = relationship(Region)


class WorkflowDefinition(TimestampMixin, Model):
    """A measure defined without code (low-code) by a region; built-in measures ship
    their definitions in their plugin package instead."""

    __tablename__ = "workflow_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_workflow_definition_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    definition: Mapped[dict] = mapped_column(JSON, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    region: Mapped[Region] = relationship(Region)

    @reconstructor
    def _remember_loaded_region(self) -> None:
        # The region as read from the database: only that region may change the row, even
        # after an edit's new region has been flushed (app.services.lowcode_definitions).
        self.loaded_region_id = self.region_id

    def __repr__(self) -> str:
        return self.name


class WorkflowInstance(TimestampMixin, Model):
    __tablename__ = "workflow_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    # The definition as it was when the instance started: later edits don't change it.
    definition: Mapped[dict] = mapped_column(JSON, nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    # Current states: one per active branch of a parallel split, with the date entered.
    tokens: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    params: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[WorkflowInstanceStatus] = enum_column(
        WorkflowInstanceStatus, nullable=False, default=WorkflowInstanceStatus.RUNNING, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    project: Mapped[Project] = relationship(Project)
    steps: Mapped[list[WorkflowStep]] = relationship(
        back_populates="instance", cascade="all, delete-orphan", order_by="WorkflowStep.id")
    item_links: Mapped[list[WorkflowItemLink]] = relationship(
        back_populates="instance", cascade="all, delete-orphan", order_by="WorkflowItemLink.id")

    def __repr__(self) -> str:
        return f"{self.measure_key}#{self.id}"


class WorkflowStep(Model):
    __tablename__ = "workflow_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    branch: Mapped[str | None] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    username: Mapped[str | None] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list | None] = mapped_column(JSON)
    # The action's fields as given: [{"name", "label", "text"}, …] (app.workflow.fields).
    fields: Mapped[list | None] = mapped_column(JSON)

    instance: Mapped[WorkflowInstance] = relationship(back_populates="steps")


class WorkflowItemLink(Model):
    """An approval item a workflow instance created, changed or relied on (a prerequisite
    a guard checked), so each side shows the other."""

    __tablename__ = "workflow_item_link"
    __table_args__ = (UniqueConstraint("instance_id", "item_id", "relation",
                                       name="uq_workflow_item_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("approval_item.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    # created / changed / prerequisite (app.workflow.links.relation_label shows them)
    relation: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    instance: Mapped[WorkflowInstance] = relationship(back_populates="item_links")
    # The item's side (``item.workflow_links``): deleting an item drops its links.
    item: Mapped[ApprovalItem] = relationship(
        "ApprovalItem", backref=backref("workflow_links", cascade="all, delete-orphan",
                                        passive_deletes=True, order_by="WorkflowItemLink.id"))
