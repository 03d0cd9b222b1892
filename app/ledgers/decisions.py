"""议定事项台账: one row per meeting decision — the meeting, the project, what was decided, the
owner unit, the due date, its status and how far it is from (or past) its due date."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased

from app.models import Decision, DecisionStatus, Meeting, MeetingKind, OrgUnit, Project, Region
from app.security.scope import Scope, scoped
from app.services import xlsx

from .export import apply_filters, label, stream
from .registry import LedgerKind, Sheet

TITLE = "议定事项台账"

# The decision list's search columns and the meeting's.
FILTERS = {
    "meeting": Decision.meeting_id, "project": Decision.project_id,
    "owner_unit": Decision.owner_unit_id, "status": Decision.status,
    "due_on": Decision.due_on, "content": Decision.content,
    "kind": Meeting.kind, "held_on": Meeting.held_on,
}


def in_regions(ids: object) -> ColumnElement[bool]:
    """A decision is in a region's subtree by its meeting's region."""
    return Meeting.region_id.in_(ids)


def decision_filtered(scope: Scope, filters: dict | None) -> Select:
    stmt = scoped(select(Decision.id).join(Meeting, Meeting.id == Decision.meeting_id),
                  Decision, scope)
    return apply_filters(stmt, KIND, filters)


def decision_ledger_select(scope: Scope, filters: dict | None) -> Select:
    meeting_region = aliased(Region)
    stmt = (select(Meeting.held_on, Meeting.kind, Meeting.title, meeting_region.name,
                   Project.code, Project.name, Decision.content, OrgUnit.name,
                   Decision.due_on, Decision.status, Decision.closed_at, Decision.closed_by,
                   Decision.close_note)
            .join(Meeting, Meeting.id == Decision.meeting_id)
            .join(meeting_region, meeting_region.id == Meeting.region_id)
            .join(OrgUnit, OrgUnit.id == Decision.owner_unit_id)
            .outerjoin(Project, Project.id == Decision.project_id)
            .order_by(Meeting.held_on, Meeting.id, Decision.id))
    return apply_filters(scoped(stmt, Decision, scope), KIND, filters)


C = xlsx.Column
COLUMNS = [
    C("seq", "序号", 6, "int"),
    C("held_on", "会议日期", 11, "date", group="会议"),
    C("kind", "会议类型", 10, "center", group="会议"),
    C("meeting", "会议名称", 20, "wrap", group="会议"),
    C("region", "召开地区", 9, "center", group="会议"),
    C("code", "项目代码", 14, "wrap", group="项目"),
    C("project", "项目名称", 18, "wrap", group="项目"),
    C("content", "议定事项", 28, "wrap"),
    C("owner", "责任单位", 16, "wrap"),
    C("due_on", "完成时限", 11, "date", group="落实情况"),
    C("status", "落实状态", 9, "center", group="落实情况"),
    C("remaining", "剩余工作日", 8, "int", group="落实情况"),
    C("overdue", "超期工作日", 8, "int", group="落实情况"),
    C("outcome", "落实说明", 20, "wrap", group="落实情况"),
]


def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    from app import clock
    from app.services import calendar

    stmt = decision_ledger_select(scope, filters)
    kinds = {m: label(m) for m in MeetingKind}
    statuses = {m: label(m) for m in DecisionStatus}
    wrapped = [(i, c.width) for i, c in enumerate(COLUMNS) if c.kind == "wrap"]

    def write_rows(ws, formats, r0, report):
        r = r0
        for (held_on, kind, title, region, code, project, content, owner, due_on, status,
             closed_at, closed_by, note) in stream(session, stmt):
            remaining = overdue = None
            fill = None
            if status == DecisionStatus.OPEN:
                left = calendar.working_days_between(as_of, due_on)
                if left >= 0:
                    remaining = left
                    fill = "yellow" if left <= 2 else None
                else:
                    overdue, fill = -left, "red"
            outcome = " ".join(filter(None, (clock.display(closed_at) if closed_at else "",
                                             closed_by, note)))
            values = [r - r0 + 1, held_on, kinds[kind], title, region, code or "",
                      project or "（综合）", content, owner, due_on, statuses[status],
                      remaining, overdue, outcome]
            tall = max(xlsx.text_lines(values[i], w) for i, w in wrapped)
            if tall > 1:
                ws.set_row(r, xlsx.row_height(tall))
            for col, (column, value) in enumerate(zip(COLUMNS, values, strict=True)):
                fmt = formats.cell(column.kind, fill)
                if column.kind == "int":
                    xlsx.write_number(ws, r, col, value, fmt)
                elif column.kind == "date":
                    xlsx.write_date(ws, r, col, value, fmt)
                else:
                    xlsx.write_text(ws, r, col, value, fmt)
            r += 1
            report(r - r0)
        return r

    return Sheet(COLUMNS, ["时限单位：工作日；红色：已超期未落实；黄色：两个工作日内到期"],
                 write_rows)


KIND = LedgerKind(
    key="decisions", title=TITLE, label=lazy_gettext("Meeting decision ledger"),
    filters=FILTERS, query=decision_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("DecisionView",), freeze_cols=2)
