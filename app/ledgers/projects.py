"""重大项目推进台账: one row per project, with its stages, cards and open work.

The row's per-stage state comes from the project's approval items; innovation-measure
plugins add columns through their ``ledger_columns`` hook.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models import (
    Applicant,
    ApprovalItem,
    AppUser,
    CardLevel,
    ItemStatus,
    ListLevel,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    Stage,
    WarningCard,
    WorkflowInstance,
    WorkOrder,
    WorkOrderStatus,
)
from app.security.scope import Scope, scoped
from app.services import xlsx
from app.services.people import person_name_sql

from .export import PROGRESS_EVERY, apply_filters, build, label, stream
from .registry import LedgerKind, Part, Sheet

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy import ColumnElement, Select

TITLE = "重大项目推进台账"

# The list screen's search columns.
FILTERS = {
    "code": Project.code, "name": Project.name, "region": Project.region_id,
    "town": Project.town_id, "applicant": Project.applicant_id,
    "list_level": Project.list_level, "list_year": Project.list_year,
    "current_stage": Project.current_stage_id, "stage": Project.current_stage_id,
    "status": Project.status, "investment_wan": Project.investment_wan,
}


def in_regions(ids: object) -> ColumnElement[bool]:
    """A project is in a region's subtree by its county or its town."""
    return or_(Project.region_id.in_(ids), Project.town_id.in_(ids))


OPEN_ITEM = tuple(s for s in ItemStatus if s.is_open)
CLOSED_ITEM = (ItemStatus.FINISHED, ItemStatus.WITHDRAWN)


def standard_stages(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Stage.id, Stage.name).where(Stage.region_id.is_(None))
                                .order_by(Stage.seq, Stage.id)).tuples())


def project_filtered(scope: Scope, filters: dict | None) -> Select:
    """Ids of the projects of the ledger: scope and filters, nothing else."""
    stmt = scoped(select(Project.id), Project, scope)
    return apply_filters(stmt, KIND, filters)


def project_ledger_select(scope: Scope, filters: dict | None, stages: list[tuple[int, str]]) -> Select:
    """One row per project, with per-stage aggregates of its items."""
    ids = project_filtered(scope, filters)
    per_stage = []
    for i, (stage_id, _name) in enumerate(stages):
        in_stage = ApprovalItem.stage_id == stage_id
        per_stage += [
            func.sum(case((in_stage, 1), else_=0)).label(f"s{i}_n"),
            func.sum(case((and_(in_stage, ApprovalItem.status.in_(CLOSED_ITEM)), 1),
                          else_=0)).label(f"s{i}_closed"),
            func.sum(case((and_(in_stage, ApprovalItem.status.in_(OPEN_ITEM)), 1),
                          else_=0)).label(f"s{i}_open"),
            func.sum(case((and_(in_stage, ApprovalItem.status == ItemStatus.REFUSED), 1),
                          else_=0)).label(f"s{i}_refused"),
            func.max(case((in_stage, ApprovalItem.finished_on))).label(f"s{i}_done_on"),
        ]
    items = scoped(
        select(ApprovalItem.project_id.label("project_id"), *per_stage,
               func.sum(case((ApprovalItem.status.in_(OPEN_ITEM), 1), else_=0))
               .label("open_items"))
        .where(ApprovalItem.project_id.in_(ids))
        .group_by(ApprovalItem.project_id), ApprovalItem, scope).subquery("items")
    cards = scoped(
        select(WarningCard.project_id.label("project_id"),
               func.sum(case((WarningCard.level == CardLevel.RED, 1), else_=0)).label("red"),
               func.sum(case((WarningCard.level == CardLevel.YELLOW, 1), else_=0)).label("yellow"))
        .where(WarningCard.cleared_at.is_(None))
        .group_by(WarningCard.project_id), WarningCard, scope).subquery("cards")
    orders = scoped(
        select(WorkOrder.project_id.label("project_id"), func.count().label("open_orders"))
        .where(WorkOrder.status != WorkOrderStatus.CLOSED)
        .group_by(WorkOrder.project_id), WorkOrder, scope).subquery("orders")
    # 姓名 in Chinese order (姓 then 名), as every screen names a person.
    helpers = (select(ProjectAssistant.project_id.label("project_id"),
                      func.aggregate_strings(person_name_sql(), "、").label("names"))
               .join(AppUser, AppUser.id == ProjectAssistant.user_id)
               .where(ProjectAssistant.project_id.in_(ids))
               .group_by(ProjectAssistant.project_id).subquery("helpers"))
    town = aliased(Region, name="town")
    current = aliased(Stage, name="current_stage")
    stmt = (
        select(Project.code, Project.name, Applicant.name.label("applicant"),
               Region.name.label("region"), town.name.label("town"), Project.list_level,
               Project.list_year, Project.investment_wan, helpers.c.names.label("assistants"),
               current.name.label("current_stage"), Project.status,
               Project.problems, Project.next_steps,
               *[items.c[c.name] for c in per_stage],
               items.c.open_items, cards.c.red, cards.c.yellow, orders.c.open_orders,
               Project.id.label("project_id"))
        .join(Applicant, Applicant.id == Project.applicant_id)
        .join(Region, Region.id == Project.region_id)
        .outerjoin(town, town.id == Project.town_id)
        .outerjoin(current, current.id == Project.current_stage_id)
        .outerjoin(items, items.c.project_id == Project.id)
        .outerjoin(cards, cards.c.project_id == Project.id)
        .outerjoin(orders, orders.c.project_id == Project.id)
        .outerjoin(helpers, helpers.c.project_id == Project.id)
        .order_by(Project.code))
    stmt = scoped(stmt, Project, scope)
    return apply_filters(stmt, KIND, filters)


# -- innovation-measure columns (plugins' ledger_columns hook) ---------------------------

MEASURE_GROUP = "创新举措"


def plugin_columns() -> list:
    """The LedgerColumns of the loaded measure plugins (none outside an app)."""
    from app.plugins import current_manager

    manager = current_manager()
    return list(manager.ledger_columns()) if manager is not None else []


def measure_cells(session: Session, scope: Scope, filters: dict | None, columns: list
                  ) -> tuple[list, dict]:
    """The plugin columns this ledger shows and their cells.

    A column shows only when a project of the ledger has an instance of its measure. The
    cells are computed here, from the latest instance per (project, measure), in one
    streamed query, so the row loop only looks values up: ``{(project id, column index):
    value}``. A value function that fails leaves its cells empty (logged): a plugin must
    not break the county's meeting ledger."""
    by_measure: dict[str, list] = {}
    for col in columns:
        by_measure.setdefault(col.measure_key, []).append(col)
    if not by_measure:
        return [], {}
    ids = project_filtered(scope, filters)
    stmt = (select(WorkflowInstance)
            .where(WorkflowInstance.project_id.in_(ids),
                   WorkflowInstance.measure_key.in_(list(by_measure)))
            .order_by(WorkflowInstance.id.desc())
            .execution_options(yield_per=500))
    shown: list = []
    index: dict[int, int] = {}  # id(column) → its position among the shown columns
    values: dict = {}
    seen: set = set()
    failed: set = set()
    for instance in session.scalars(stmt):
        key = (instance.project_id, instance.measure_key)
        if key not in seen:  # newest first: the latest instance decides
            seen.add(key)
            for col in by_measure[instance.measure_key]:
                if id(col) not in index:
                    index[id(col)] = len(shown)
                    shown.append(col)
                try:
                    value = col.value(instance)
                except Exception:  # noqa: BLE001 - logged once per column
                    if id(col) not in failed:
                        failed.add(id(col))
                        logging.getLogger(__name__).exception(
                            "ledger column %r of %s failed", col.header, col.measure_key)
                    continue
                if value is not None and value != "":
                    values[(instance.project_id, index[id(col)])] = value
        session.expunge(instance)
    # Shown in the plugins' order, whatever order the instances came in.
    order = [c for c in columns if id(c) in index]
    remap = {index[id(c)]: i for i, c in enumerate(order)}
    return order, {(pid, remap[i]): v for (pid, i), v in values.items()}


# -- layout ------------------------------------------------------------------------------
#
# Printed on A3 landscape and read at the meeting table: every text is printed at
# xlsx.FONT_SIZE (10 pt), never shrunk below xlsx.MIN_PRINTED_PT by fit-to-width. One
# page's width holds about 100 characters of 10 pt text, so the ledger is one workbook
# of several worksheets with the same rows in the same order, each fitting the page:
#   1. 重大项目推进台账 — who, where, how big, where it stands, cards and open work,
#      存在问题 and 下步计划 (what the meeting discusses);
#   2. 各阶段办理情况 — per stage the state and the completion date;
#   3. 创新举措 — the columns of the measures in use (only when there are some).
# Sheets 2 and 3 repeat 序号, 项目代码 and 项目名称 (and freeze them, like sheet 1), and
# continue on another worksheet ("（续）") whenever their groups would not fit the page.
# Column titles are the project screens' labels (tests/test_ledgers.py compares them).

C = xlsx.Column
WARNINGS = "预警与督办"
STAGES_PART = "各阶段办理情况"
MEASURE_MAX_WIDTH = 20  # a plugin's column, wrapped inside this width


def main_columns() -> list[xlsx.Column]:
    """The first worksheet's columns (widths in Excel's character units at 10 pt)."""
    return [
        C("seq", "序号", 4.5, "int"),
        C("code", "项目代码", 15, "wrap"),  # wraps at its dashes where a font is wider
        C("name", "项目名称", 20, "wrap"),
        C("applicant", "项目单位", 17, "wrap"),
        C("region", "行政区划", 8, "center"),
        C("town", "镇（街道、园区）", 10, "wrap"),
        C("list_level", "项目级别", 6, "center"),
        C("list_year", "列入年度", 6, "int"),
        C("investment_wan", "总投资（万元）", 14, "wan"),
        C("assistants", "帮办员", 8, "wrap"),
        C("current_stage", "当前阶段", 10, "wrap"),
        C("status", "状态", 6, "center"),
        C("red", "红牌", 5, "int", WARNINGS),
        C("yellow", "黄牌", 5, "int", WARNINGS),
        C("open_items", "在办事项", 5, "int", WARNINGS),
        C("open_orders", "未办结工单", 6, "int", WARNINGS),
        C("problems", "存在问题", 21, "wrap"),
        C("next_steps", "下步计划", 21, "wrap"),
    ]


IDENTITY = 3  # 序号, 项目代码, 项目名称: the first columns of every worksheet


def _widths(columns) -> list[float]:
    return [c.width for c in columns]


def layout(stages: list[tuple[int, str]], measures: list | None = None
           ) -> tuple[list[xlsx.Column], list[Part]]:
    """The first worksheet's columns and the further worksheets (see above)."""
    main = main_columns()
    identity = main[:IDENTITY]
    blocks = [(STAGES_PART, [C(f"s{i}", "办理状态", 8, "center", name),
                             C(f"s{i}_on", "完成日期", 12, "date", name)])
              for i, (_sid, name) in enumerate(stages)]
    blocks += [(MEASURE_GROUP, [C(f"m{i}", col.header, min(col.width, MEASURE_MAX_WIDTH),
                                  "wrap", MEASURE_GROUP)])
               for i, col in enumerate(measures or ())]
    planned: list[tuple[str, list]] = []
    for name, cols in blocks:
        last = planned[-1] if planned else None
        if (last is not None and last[0] == name
                and xlsx.fits_page(_widths(identity + last[1] + cols))):
            last[1].extend(cols)
        else:
            planned.append((name, list(cols)))
    parts, seen = [], {}
    for name, cols in planned:
        seen[name] = seen.get(name, 0) + 1
        label = name if seen[name] == 1 else f"{name}（续{'' if seen[name] == 2 else seen[name] - 1}）"
        parts.append(Part(label, identity + cols))
    return main, parts


def project_columns(stages: list[tuple[int, str]], measures: list | None = None
                    ) -> list[xlsx.Column]:
    """Every column of the ledger, worksheet after worksheet (identity columns once)."""
    main, parts = layout(stages, measures)
    return main + [c for p in parts for c in p.columns[IDENTITY:]]


STAGE_NONE = "—"
STAGE_DONE = "已完成"
STAGE_OPEN = "办理中"
STAGE_TODO = "未开始"
STAGE_REFUSED = "不予许可"

def _stage_state(n, closed, open_, refused) -> str:
    if not n:
        return STAGE_NONE
    if closed == n:
        return STAGE_DONE
    if open_:
        return STAGE_OPEN
    if refused:
        return STAGE_REFUSED
    return STAGE_OPEN if closed else STAGE_TODO


# -- the sheet -----------------------------------------------------------------------------

TOTAL = "合计"
_SUMMED = ("investment_wan", "red", "yellow", "open_items", "open_orders")


def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    stages = standard_stages(session)
    measures, measure_values = measure_cells(session, scope, filters, plugin_columns())
    main, parts = layout(stages, measures)
    stmt = project_ledger_select(scope, filters, stages)
    levels = {m: label(m) for m in ListLevel}
    statuses = {m: label(m) for m in ProjectStatus}
    nstages = len(stages)
    base = 13  # index of the first per-stage column in the row

    def values(row, seq: int) -> dict:
        out = {
            "seq": seq, "code": row.code, "name": row.name, "applicant": row.applicant,
            "region": row.region, "town": row.town, "list_level": levels[row.list_level],
            "list_year": row.list_year, "investment_wan": row.investment_wan,
            "assistants": row.assistants, "current_stage": row.current_stage,
            "status": statuses[row.status], "red": row.red or 0, "yellow": row.yellow or 0,
            "open_items": row.open_items or 0, "open_orders": row.open_orders or 0,
            "problems": row.problems, "next_steps": row.next_steps,
        }
        for i in range(nstages):
            n, closed, open_, refused, done_on = row[base + 5 * i:base + 5 * i + 5]
            state = _stage_state(n, closed, open_, refused)
            out[f"s{i}"] = state
            out[f"s{i}_on"] = done_on if state == STAGE_DONE else None
        for m in range(len(measures)):
            out[f"m{m}"] = measure_values.get((row.project_id, m))
        return out

    def write_rows(ws, formats, r0, report, more=()):
        sheets = [(ws, main)] + [(w, p.columns) for w, p in zip(more, parts, strict=True)]
        fmt = {fill: {k: formats.cell(k, fill) for k in ("text", "wrap", "center", "int",
                                                           "wan", "date")}
               for fill in (None, "red", "yellow")}
        # As in the item ledger: empty cells are written in carded rows only.
        plans = [(w, [(i, c.key, c.kind) for i, c in enumerate(cols)],
                  [(c.key, c.width) for c in cols if c.kind == "wrap"]) for w, cols in sheets]
        totals = dict.fromkeys(_SUMMED, 0)
        done = [0] * nstages
        r = r0
        for row in stream(session, stmt):
            cells = values(row, r - r0 + 1)
            for key in _SUMMED:
                totals[key] += cells[key] or 0
            for i in range(nstages):
                done[i] += cells[f"s{i}"] == STAGE_DONE
            fill = "red" if cells["red"] else "yellow" if cells["yellow"] else None
            f = fmt[fill]
            for w, plan, wrapped in plans:
                _write_cells(w, r, plan, wrapped, cells, f, fill is not None)
            r += 1
            if (r - r0) % PROGRESS_EVERY == 0:
                report(r - r0)
        # 合计: the number of projects and the total investment (and the counts of cards,
        # open items and work orders; on the stages sheet how many finished each stage).
        count = r - r0
        total = {"seq": TOTAL, "name": f"共 {count} 个项目", **totals,
                 **{f"s{i}": f"{STAGE_DONE} {n}" for i, n in enumerate(done)}}
        f = {k: formats.total(k) for k in ("text", "wrap", "center", "int", "wan", "date")}
        f["int"] = formats.total("center")  # "合计" in the 序号 column
        for w, plan, wrapped in plans:
            _write_cells(w, r, plan, wrapped, total, f, True)
        return r

    return Sheet(main, ["金额单位：万元"], write_rows, tuple(parts))


def _write_cells(ws, r: int, plan, wrapped, cells: dict, formats: dict, blanks: bool
                 ) -> None:
    """One row's cells on one worksheet, each written as its column's kind: numbers as
    numbers, dates as dates, everything else always as text (never a formula). The row
    is as tall as its longest wrapped text (see xlsx.text_lines)."""
    lines = max((xlsx.text_lines(cells.get(key), width) for key, width in wrapped), default=1)
    ws.set_row(r, xlsx.row_height(lines))
    for col, key, kind in plan:
        value = cells.get(key)
        fmt = formats[kind]
        if value is None or value == "":
            if blanks:
                ws.write_blank(r, col, None, fmt)
        elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            ws.write_number(r, col, float(value), fmt)
        elif kind == "date" and isinstance(value, dt.date):
            ws.write_datetime(r, col, value, fmt)
        else:
            ws.write_string(r, col, str(value), fmt)


KIND = LedgerKind(
    key="projects", title=TITLE, label=lazy_gettext("Major project progress ledger"),
    filters=FILTERS, query=project_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("ProjectView",))


def build_project_ledger(session: Session, scope: Scope, filters: dict | None, out_path: str | Path,
                         progress: Callable[[int], None] | None=None, *, as_of: dt.date | None = None) -> int:
    """Write 重大项目推进台账 to ``out_path``; returns the number of project rows."""
    return build(session, KIND, scope, filters, out_path, progress, as_of=as_of)
