"""审批事项台账: one row per approval item, its time limit and its open card."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.models import (
    ApprovalItem,
    CardLevel,
    CardSubject,
    ItemStatus,
    OrgUnit,
    Project,
    Region,
    Stage,
    WarningCard,
)
from app.security.scope import Scope, scoped
from app.services import xlsx

from .export import PROGRESS_EVERY, apply_filters, build, label, skip, stream
from .registry import LedgerKind, Sheet

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy import ColumnElement, Select

TITLE = "审批事项台账"

# The item list's search columns and a few of the project's.
FILTERS = {
    "project": ApprovalItem.project_id, "stage": ApprovalItem.stage_id,
    "name": ApprovalItem.name, "department": ApprovalItem.department_id,
    "status": ApprovalItem.status, "accepted_on": ApprovalItem.accepted_on,
    "due_on": ApprovalItem.due_on, "finished_on": ApprovalItem.finished_on,
    "time_limit_days": ApprovalItem.time_limit_days,
    "project_code": Project.code, "region": Project.region_id, "town": Project.town_id,
    "list_level": Project.list_level, "list_year": Project.list_year,
}


def in_regions(ids: object) -> ColumnElement[bool]:
    """An item is in a region's subtree by its project's county or town."""
    return or_(Project.region_id.in_(ids), Project.town_id.in_(ids))


OPEN_ITEM = tuple(s for s in ItemStatus if s.is_open)


def item_filtered(scope: Scope, filters: dict | None) -> Select:
    stmt = scoped(select(ApprovalItem.id).join(Project, Project.id == ApprovalItem.project_id),
                  ApprovalItem, scope)
    return apply_filters(stmt, KIND, filters)


def item_ledger_select(scope: Scope, filters: dict | None) -> Select:
    """One row per approval item, with its open card (the worse of red and yellow)."""
    # Cards are joined by item id, so they follow the items' scope.
    cards = (select(WarningCard.subject_id.label("item_id"),
                    func.max(case((WarningCard.level == CardLevel.RED, 2), else_=1)).label("card"))
             .where(WarningCard.subject.in_((CardSubject.ITEM, CardSubject.GAP_PROMISE)),
                    WarningCard.cleared_at.is_(None))
             .group_by(WarningCard.subject_id).subquery("cards"))
    stmt = (
        select(Project.code, Project.name.label("project"), Region.name.label("region"),
               Stage.name.label("stage"), ApprovalItem.name, OrgUnit.name.label("department"),
               ApprovalItem.accepted_on, ApprovalItem.time_limit_days, ApprovalItem.due_on,
               ApprovalItem.finished_on, ApprovalItem.status, cards.c.card)
        .join(Project, Project.id == ApprovalItem.project_id)
        .join(Region, Region.id == Project.region_id)
        .join(Stage, Stage.id == ApprovalItem.stage_id)
        .join(OrgUnit, OrgUnit.id == ApprovalItem.department_id)
        .outerjoin(cards, cards.c.item_id == ApprovalItem.id)
        .order_by(Project.code, Stage.seq, ApprovalItem.id))
    stmt = scoped(stmt, ApprovalItem, scope)
    return apply_filters(stmt, KIND, filters)


# -- layout ------------------------------------------------------------------------------

C = xlsx.Column

ITEM_COLUMNS = [
    C("seq", "序号", 7, "int"),
    C("code", "项目代码", 27, group="项目"),  # a whole 24-character code
    C("project", "项目名称", 24, "wrap", group="项目"),
    C("region", "所在地区", 10, "center", group="项目"),
    C("stage", "审批阶段", 16, "wrap"),
    C("name", "审批事项", 28, "wrap"),
    C("department", "审批部门", 23, "wrap"),
    C("accepted_on", "受理日期", 11, "date", group="办理时限"),
    C("limit", "承诺时限（工作日）", 10, "int", group="办理时限"),
    C("due_on", "到期日期", 11, "date", group="办理时限"),
    C("finished_on", "办结日期", 11, "date", group="办理时限"),
    C("status", "办理状态", 9, "center"),
    C("remaining", "剩余工作日", 9, "int", group="时限预警"),
    C("overdue", "超期工作日", 9, "int", group="时限预警"),
    C("card", "红黄牌", 8, "center", group="时限预警"),
]

# The wrapping columns (index, width): a row is as tall as its longest wrapped text.
WRAPPED = tuple((i, c.width) for i, c in enumerate(ITEM_COLUMNS) if c.kind == "wrap")

CARD_NAMES = {2: label(CardLevel.RED), 1: label(CardLevel.YELLOW)}
CARD_FILLS = {2: "red", 1: "yellow"}



class _Between:
    """working_days_between, memoised for one export (due dates repeat a lot)."""

    def __init__(self) -> None:
        from app.services import calendar

        self.fn = calendar.working_days_between  # working days after a up to b
        self.cache: dict = {}

    def __call__(self, a: dt.date, b: dt.date) -> int:
        key = (a, b)
        value = self.cache.get(key)
        if value is None:
            value = self.cache[key] = self.fn(a, b)
        return value


# -- the sheet ---------------------------------------------------------------------------

def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    stmt = item_ledger_select(scope, filters)
    between = _Between()
    statuses = {m: label(m) for m in ItemStatus}
    open_statuses = set(OPEN_ITEM)

    def write_rows(ws, formats, r0, report):
        # The hot loop: XlsxWriter's own calls, each cell's kind known (strings always
        # through write_string, so nothing becomes a formula or a link).
        # A carded row writes its empty cells too, so the whole row has its colour;
        # elsewhere they are left out (their grid comes from xlsx.finish_sheet).
        fmts = {fill: tuple(formats.cell(k, fill) for k in ("int", "text", "wrap", "center",
                                                              "date"))
                + (ws.write_blank if fill else skip,)
                for fill in (None, "red", "yellow")}
        put_s, put_n, put_d = ws.write_string, ws.write_number, ws.write_datetime
        # Neither LibreOffice nor every Excel re-measures rows on opening, so each row
        # gets the height of its longest wrapped text (names repeat: measured once).
        lines_of: dict[tuple[str, float], int] = {}

        def lines(text: str, width: float) -> int:
            n = lines_of.get((text, width))
            if n is None:
                n = lines_of[(text, width)] = xlsx.text_lines(text, width)
            return n

        (_, w_project), (_, w_stage), (_, w_name), (_, w_dept) = WRAPPED
        r = r0
        for (code, project, region, stage, name, department, accepted_on, limit, due_on,
             finished_on, status, card) in stream(session, stmt):
            remaining = overdue = None
            if due_on is not None and status in open_statuses:
                # As the item list shows them (app.services.deadlines): working days x
                # with today < x <= due_on left, or due_on < x <= today overdue.
                left = between(as_of, due_on)
                if left >= 0:
                    remaining = left
                else:
                    overdue = -left
            f_int, f_text, f_wrap, f_center, f_date, blank = fmts[CARD_FILLS.get(card)]
            tall = max(lines(project, w_project), lines(stage, w_stage), lines(name, w_name),
                       lines(department, w_dept))
            if tall > 1:
                ws.set_row(r, xlsx.row_height(tall))
            put_n(r, 0, r - r0 + 1, f_int)
            put_s(r, 1, code, f_text)
            put_s(r, 2, project, f_wrap)
            put_s(r, 3, region, f_center)
            put_s(r, 4, stage, f_wrap)
            put_s(r, 5, name, f_wrap)
            put_s(r, 6, department, f_wrap)
            blank(r, 7, None, f_date) if accepted_on is None else put_d(r, 7, accepted_on, f_date)
            put_n(r, 8, limit, f_int)
            blank(r, 9, None, f_date) if due_on is None else put_d(r, 9, due_on, f_date)
            blank(r, 10, None, f_date) if finished_on is None else put_d(r, 10, finished_on,
                                                                         f_date)
            put_s(r, 11, statuses[status], f_center)
            blank(r, 12, None, f_int) if remaining is None else put_n(r, 12, remaining, f_int)
            blank(r, 13, None, f_int) if overdue is None else put_n(r, 13, overdue, f_int)
            blank(r, 14, None, f_center) if card is None else put_s(r, 14, CARD_NAMES[card],
                                                                    f_center)
            r += 1
            if (r - r0) % PROGRESS_EVERY == 0:
                report(r - r0)
        return r

    return Sheet(ITEM_COLUMNS, ["时限单位：工作日"], write_rows)


KIND = LedgerKind(
    key="items", title=TITLE, label=lazy_gettext("Approval item ledger"), filters=FILTERS,
    query=item_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("ApprovalItemView", "ProjectItemsView"))


def build_item_ledger(session: Session, scope: Scope, filters: dict | None, out_path: str | Path,
                      progress: Callable[[int], None] | None=None, *, as_of: dt.date | None = None) -> int:
    """Write 审批事项台账 to ``out_path``; returns the number of item rows."""
    return build(session, KIND, scope, filters, out_path, progress, as_of=as_of)
