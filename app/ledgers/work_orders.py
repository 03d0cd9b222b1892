"""工单台账: one row per work order in scope — a card's or a 催办 raised by hand — with its
project, unit, origin, category, dates, status, escalations and reply."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext
from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app import clock
from app.models import (
    ApprovalItem,
    CoordinationRequest,
    OrgUnit,
    Project,
    Region,
    UrgeCategory,
    WorkOrder,
    WorkOrderOrigin,
    WorkOrderStatus,
)
from app.security.scope import Scope, scoped
from app.services import xlsx

from .export import PROGRESS_EVERY, apply_filters, build, label, skip, stream, text_writer
from .registry import LedgerKind, Sheet

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy import ColumnElement, Select

TITLE = "工单台账"

# The work-order list's search columns (WorkOrderView) and a few of the project's.
FILTERS = {
    "title": WorkOrder.title, "project": WorkOrder.project_id,
    "org_unit": WorkOrder.org_unit_id, "region": WorkOrder.region_id,
    "origin": WorkOrder.origin, "category": WorkOrder.category, "status": WorkOrder.status,
    "reply_due_on": WorkOrder.reply_due_on, "escalation_count": WorkOrder.escalation_count,
    "project_code": Project.code, "town": Project.town_id,
}

OPEN = (WorkOrderStatus.OPEN, WorkOrderStatus.RETURNED)


def in_regions(ids: object) -> ColumnElement[bool]:
    """A work order is in a region's subtree by its project's county or town."""
    return or_(Project.region_id.in_(ids), Project.town_id.in_(ids))


def order_filtered(scope: Scope, filters: dict | None) -> Select:
    stmt = scoped(select(WorkOrder.id).join(Project, Project.id == WorkOrder.project_id),
                  WorkOrder, scope)
    return apply_filters(stmt, KIND, filters)


def order_ledger_select(scope: Scope, filters: dict | None) -> Select:
    county = aliased(Region, name="county")
    level = aliased(Region, name="level")
    stmt = (
        select(Project.code, Project.name.label("project"), county.name.label("county"),
               # The item it chases, or the coordination request (a 催办 on a request).
               func.coalesce(ApprovalItem.name, literal("协调事项：")
                             + CoordinationRequest.title).label("item"), WorkOrder.title, WorkOrder.origin,
               WorkOrder.category, OrgUnit.name.label("unit"), level.name.label("level"),
               WorkOrder.created_at, WorkOrder.reply_due_on, WorkOrder.replied_at,
               WorkOrder.closed_at, WorkOrder.status, WorkOrder.escalation_count,
               WorkOrder.request, WorkOrder.reply)
        .join(Project, Project.id == WorkOrder.project_id)
        .join(county, county.id == Project.region_id)
        .join(level, level.id == WorkOrder.region_id)
        .join(OrgUnit, OrgUnit.id == WorkOrder.org_unit_id)
        .outerjoin(ApprovalItem, ApprovalItem.id == WorkOrder.item_id)
        .outerjoin(CoordinationRequest,
                   CoordinationRequest.id == WorkOrder.coordination_request_id)
        .order_by(Project.code, WorkOrder.created_at, WorkOrder.id))
    stmt = scoped(stmt, WorkOrder, scope)
    return apply_filters(stmt, KIND, filters)


# -- layout ------------------------------------------------------------------------------

C = xlsx.Column

ORDER_COLUMNS = [
    C("seq", "序号", 7, "int"),
    C("code", "项目代码", 27, group="项目"),
    C("project", "项目名称", 22, "wrap", group="项目"),
    C("county", "所在地区", 10, "center", group="项目"),
    C("item", "审批/协调事项", 20, "wrap", group="项目"),
    C("title", "工单标题", 26, "wrap", group="工单"),
    C("origin", "来源", 11, "center", group="工单"),
    C("category", "问题分类", 10, "center", group="工单"),
    C("unit", "承办单位", 20, "wrap", group="工单"),
    C("level", "督办层级", 10, "center", group="工单"),
    C("created", "派单日期", 11, "date", group="办理时间"),
    C("due", "回复期限", 11, "date", group="办理时间"),
    C("replied", "回复日期", 11, "date", group="办理时间"),
    C("closed", "办结日期", 11, "date", group="办理时间"),
    C("status", "状态", 9, "center", group="办理情况"),
    C("escalations", "升级次数", 8, "int", group="办理情况"),
    C("overdue", "超期工作日", 9, "int", group="办理情况"),
    C("request", "督办要求", 30, "wrap", group="内容"),
    C("reply", "回复内容", 30, "wrap", group="内容"),
]

WIDTH = {c.key: c.width for c in ORDER_COLUMNS}


def _day(stored: dt.datetime | None) -> dt.date | None:
    """A stored UTC timestamp as the Beijing day it happened on."""
    return None if stored is None else clock.to_beijing(stored).date()


def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    from app.services import calendar

    stmt = order_ledger_select(scope, filters)
    statuses = {m: label(m) for m in WorkOrderStatus}
    origins = {m: label(m) for m in WorkOrderOrigin}
    categories = {m: label(m) for m in UrgeCategory}

    def write_rows(ws, formats, r0, report):
        fmts = {fill: tuple(formats.cell(k, fill) for k in ("int", "text", "wrap", "center",
                                                              "date"))
                + (ws.write_blank if fill else skip,)
                for fill in (None, "red")}
        put_s, put_n, put_d = ws.write_string, ws.write_number, ws.write_datetime
        r = r0
        for (code, project, county, item, title, origin, category, unit, level, created_at,
             due, replied_at, closed_at, status, escalations, request, reply) in stream(
                session, stmt):
            overdue = None
            if status in OPEN and due is not None:
                late = calendar.working_days_between(due, as_of)
                overdue = late if late > 0 else None
            f_int, f_text, f_wrap, f_center, f_date, blank = fmts["red" if overdue else None]
            text = text_writer(put_s, blank)
            date = text_writer(put_d, blank)  # a date, or the row's blank

            tall = max(xlsx.text_lines(v or "", WIDTH[k]) for k, v in (
                ("project", project), ("item", item), ("title", title), ("unit", unit),
                ("request", request), ("reply", reply)))
            if tall > 1:
                ws.set_row(r, xlsx.row_height(min(tall, 12)))
            put_n(r, 0, r - r0 + 1, f_int)
            put_s(r, 1, code, f_text)
            put_s(r, 2, project, f_wrap)
            put_s(r, 3, county, f_center)
            text(r, 4, item, f_wrap)
            put_s(r, 5, title, f_wrap)
            put_s(r, 6, origins[origin], f_center)
            text(r, 7, categories.get(category), f_center)
            put_s(r, 8, unit, f_wrap)
            put_s(r, 9, level, f_center)
            date(r, 10, _day(created_at), f_date)
            date(r, 11, due, f_date)
            date(r, 12, _day(replied_at), f_date)
            date(r, 13, _day(closed_at), f_date)
            put_s(r, 14, statuses[status], f_center)
            put_n(r, 15, escalations or 0, f_int)
            blank(r, 16, None, f_int) if overdue is None else put_n(r, 16, overdue, f_int)
            text(r, 17, request, f_wrap)
            text(r, 18, reply, f_wrap)
            r += 1
            if (r - r0) % PROGRESS_EVERY == 0:
                report(r - r0)
        return r

    return Sheet(ORDER_COLUMNS, ["时限单位：工作日", "红色：超过回复期限未回复"], write_rows)


KIND = LedgerKind(
    key="work_orders", title=TITLE, label=lazy_gettext("Work order ledger"), filters=FILTERS,
    query=order_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("WorkOrderView", "ProjectWorkOrdersView"))


def build_work_order_ledger(session: Session, scope: Scope, filters: dict | None,
                            out_path: str | Path, progress: Callable[[int], None] | None = None,
                            *, as_of: dt.date | None = None) -> int:
    """Write 工单台账 to ``out_path``; returns the number of work-order rows."""
    return build(session, KIND, scope, filters, out_path, progress, as_of=as_of)
