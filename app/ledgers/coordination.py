"""协调事项台账: one row per coordination request — the project, the problem, its owner units
and their replies, the level handling it now, the deadline and how late it is."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from app.models import (
    CoordinationOwner,
    CoordinationRequest,
    CoordinationStatus,
    OrgUnit,
    Project,
    Region,
)
from app.security.scope import Scope, scoped
from app.services import xlsx

from .export import PROGRESS_EVERY, apply_filters, label, stream
from .registry import LedgerKind, Sheet

TITLE = "协调事项台账"

# The request list's search columns.
FILTERS = {
    "project": CoordinationRequest.project_id, "title": CoordinationRequest.title,
    "category": CoordinationRequest.category, "level": CoordinationRequest.level,
    "status": CoordinationRequest.status, "region": CoordinationRequest.region_id,
    "due_on": CoordinationRequest.due_on,
    "escalation_count": CoordinationRequest.escalation_count,
    "project_code": Project.code,
}


def in_regions(ids: object) -> ColumnElement[bool]:
    """A request is in a region's subtree by its project's county or town."""
    return or_(Project.region_id.in_(ids), Project.town_id.in_(ids))


def request_filtered(scope: Scope, filters: dict | None) -> Select:
    stmt = scoped(select(CoordinationRequest.id)
                  .join(Project, Project.id == CoordinationRequest.project_id),
                  CoordinationRequest, scope)
    return apply_filters(stmt, KIND, filters)


def request_ledger_select(scope: Scope, filters: dict | None) -> Select:
    handling = Region.__table__.alias("handling")
    stmt = (select(CoordinationRequest.id, Project.code, Project.name.label("project"),
                   Region.name.label("region"), CoordinationRequest.title,
                   CoordinationRequest.category, CoordinationRequest.problem,
                   CoordinationRequest.requested_outcome, CoordinationRequest.level,
                   handling.c.name.label("handling"), CoordinationRequest.status,
                   CoordinationRequest.created_at, CoordinationRequest.due_on,
                   CoordinationRequest.escalation_count, CoordinationRequest.enterprise_owner)
            .join(Project, Project.id == CoordinationRequest.project_id)
            .join(Region, Region.id == Project.region_id)
            .join(handling, handling.c.id == CoordinationRequest.region_id)
            .order_by(Project.code, CoordinationRequest.id))
    return apply_filters(scoped(stmt, CoordinationRequest, scope), KIND, filters)


C = xlsx.Column

COLUMNS = [
    C("seq", "序号", 7, "int"),
    C("code", "项目代码", 27, group="项目"),
    C("project", "项目名称", 22, "wrap", group="项目"),
    C("region", "所在地区", 10, "center", group="项目"),
    C("title", "协调事项", 22, "wrap", group="协调事项"),
    C("category", "问题类别", 11, "center", group="协调事项"),
    C("problem", "存在问题", 34, "wrap", group="协调事项"),
    C("outcome", "期望结果", 26, "wrap", group="协调事项"),
    C("owners", "责任单位及答复", 34, "wrap"),
    C("level", "当前层级", 11, "center", group="办理"),
    C("handling", "办理地区", 10, "center", group="办理"),
    C("status", "状态", 9, "center", group="办理"),
    C("raised", "发起日期", 11, "date", group="时限"),
    C("due_on", "答复期限", 11, "date", group="时限"),
    C("overdue", "超期工作日", 9, "int", group="时限"),
    C("escalations", "升级次数", 8, "int", group="时限"),
]
WRAPPED = {i: c.width for i, c in enumerate(COLUMNS) if c.kind == "wrap"}


def _owners(session: Session, ids_stmt) -> dict[int, str]:
    """request id → "unit：reply" lines of its owners (the company as 企业)."""
    rows = session.execute(
        select(CoordinationOwner.request_id, OrgUnit.name, CoordinationOwner.reply,
               CoordinationOwner.replied_at)
        .outerjoin(OrgUnit, OrgUnit.id == CoordinationOwner.org_unit_id)
        .where(CoordinationOwner.request_id.in_(ids_stmt))
        .order_by(CoordinationOwner.request_id, CoordinationOwner.id))
    out: dict[int, list[str]] = {}
    for request_id, unit, reply, replied_at in rows:
        text = unit or "企业"
        text += f"：{reply}" if replied_at else "：（待答复）"
        out.setdefault(request_id, []).append(text)
    return {k: "\n".join(v) for k, v in out.items()}


def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    from app.clock import to_beijing
    from app.services import calendar

    stmt = request_ledger_select(scope, filters)
    owners = _owners(session, request_filtered(scope, filters))

    def write_rows(ws, formats, r0, report):
        r = r0
        for (request_id, code, project, region, title, category, problem, outcome, level,
             handling, status, created_at, due_on, escalations, _company) in stream(
                session, stmt):
            overdue = (max(calendar.working_days_between(due_on, as_of), 0)
                       if status is CoordinationStatus.OPEN else 0)
            fill = "red" if overdue else None
            fmt = {k: formats.cell(k, fill) for k in ("int", "text", "wrap", "center", "date")}
            values = [r - r0 + 1, code, project, region, title, label(category), problem,
                      outcome, owners.get(request_id, ""), label(level), handling,
                      label(status), to_beijing(created_at).date(), due_on, overdue or None,
                      escalations]
            tall = max(xlsx.text_lines(str(values[i] or ""), w) for i, w in WRAPPED.items())
            if tall > 1:
                ws.set_row(r, xlsx.row_height(tall))
            for c, (column, value) in enumerate(zip(COLUMNS, values, strict=True)):
                kind = column.kind if column.kind in fmt else "text"
                if value is None or value == "":
                    ws.write_blank(r, c, None, fmt[kind])
                elif kind == "int":
                    ws.write_number(r, c, value, fmt[kind])
                elif kind == "date":
                    ws.write_datetime(r, c, value, fmt[kind])
                else:
                    ws.write_string(r, c, str(value), fmt[kind])
            r += 1
            if (r - r0) % PROGRESS_EVERY == 0:
                report(r - r0)
        return r

    return Sheet(COLUMNS, ["时限单位：工作日", "红色：超过答复期限"], write_rows)


KIND = LedgerKind(
    key="coordination", title=TITLE, label=lazy_gettext("Coordination request ledger"),
    filters=FILTERS, query=request_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("CoordinationRequestView",), freeze_cols=2)
