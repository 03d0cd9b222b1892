"""重大项目推进台账: one row per project, with its stages, cards and open work.

The row's per-stage state comes from the project's approval items; innovation-measure
plugins add columns through their ``ledger_columns`` hook.
"""
from __future__ import annotations

import datetime as dt
import logging

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

from .export import PROGRESS_EVERY, apply_filters, build, label, skip, stream, text_writer
from .registry import LedgerKind, Sheet

TITLE = "重大项目推进台账"

# The list screen's search columns.
FILTERS = {
    "code": Project.code, "name": Project.name, "region": Project.region_id,
    "town": Project.town_id, "applicant": Project.applicant_id,
    "list_level": Project.list_level, "list_year": Project.list_year,
    "current_stage": Project.current_stage_id, "stage": Project.current_stage_id,
    "status": Project.status, "investment_wan": Project.investment_wan,
}


def in_regions(ids):
    """A project is in a region's subtree by its county or its town."""
    return or_(Project.region_id.in_(ids), Project.town_id.in_(ids))


OPEN_ITEM = tuple(s for s in ItemStatus if s.is_open)
CLOSED_ITEM = (ItemStatus.FINISHED, ItemStatus.WITHDRAWN)


def standard_stages(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Stage.id, Stage.name).where(Stage.region_id.is_(None))
                                .order_by(Stage.seq, Stage.id)).tuples())


def project_filtered(scope: Scope, filters: dict | None):
    """Ids of the projects of the ledger: scope and filters, nothing else."""
    stmt = scoped(select(Project.id), Project, scope)
    return apply_filters(stmt, KIND, filters)


def project_ledger_select(scope: Scope, filters: dict | None, stages: list[tuple[int, str]]):
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
    person = func.coalesce(AppUser.last_name, "") + func.coalesce(AppUser.first_name, "")
    helpers = (select(ProjectAssistant.project_id.label("project_id"),
                      func.aggregate_strings(person, "、").label("names"))
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

C = xlsx.Column


def project_columns(stages: list[tuple[int, str]], measures: list | None = None
                    ) -> list[xlsx.Column]:
    cols = [
        C("seq", "序号", 6, "int"),
        C("code", "项目代码", 22),
        C("name", "项目名称", 30, "wrap"),
        C("applicant", "申报单位", 26, "wrap"),
        C("region", "所在地区", 10, "center"),
        C("town", "镇（街道、园区）", 14, "wrap"),
        C("list_level", "清单级别", 8, "center"),
        C("list_year", "清单年度", 8, "int"),
        C("investment", "总投资（万元）", 13, "wan"),
        C("assistants", "帮办员", 12, "wrap"),
        C("current_stage", "当前阶段", 14, "wrap"),
        C("status", "项目状态", 8, "center"),
    ]
    for i, (_sid, name) in enumerate(stages):
        cols += [C(f"s{i}", "办理状态", 8, "center", group=name),
                 C(f"s{i}_on", "完成日期", 11, "date", group=name)]
    group = "预警与问题"
    cols += [C("red", "红牌", 6, "int", group), C("yellow", "黄牌", 6, "int", group),
             C("open_items", "在办事项", 8, "int", group),
             C("open_orders", "未办结工单", 9, "int", group)]
    for i, col in enumerate(measures or ()):
        cols.append(C(f"m{i}", col.header, col.width, "wrap", MEASURE_GROUP))
    return cols


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

def sheet(session: Session, scope: Scope, filters: dict, as_of: dt.date) -> Sheet:
    stages = standard_stages(session)
    measures, measure_values = measure_cells(session, scope, filters, plugin_columns())
    columns = project_columns(stages, measures)
    stmt = project_ledger_select(scope, filters, stages)
    levels = {m: label(m) for m in ListLevel}
    statuses = {m: label(m) for m in ProjectStatus}
    nstages = len(stages)

    def write_rows(ws, formats, r0, report):
        # As in the item ledger: empty cells are written in carded rows only.
        fmt = {fill: {k: formats.cell(k, fill) for k in ("text", "wrap", "center", "int", "wan",
                                                           "date")}
               for fill in (None, "red", "yellow")}
        put_s, put_n, put_d = ws.write_string, ws.write_number, ws.write_datetime
        writers = {False: (skip, text_writer(put_s, skip)),
                   True: (ws.write_blank, text_writer(put_s, ws.write_blank))}
        r = r0
        for row in stream(session, stmt):
            red, yellow = row.red or 0, row.yellow or 0
            fill = "red" if red else "yellow" if yellow else None
            f = fmt[fill]
            blank, text = writers[fill is not None]
            put_n(r, 0, r - r0 + 1, f["int"])
            put_s(r, 1, row.code, f["text"])
            put_s(r, 2, row.name, f["wrap"])
            put_s(r, 3, row.applicant, f["wrap"])
            put_s(r, 4, row.region, f["center"])
            text(r, 5, row.town, f["wrap"])
            put_s(r, 6, levels[row.list_level], f["center"])
            put_n(r, 7, row.list_year, f["int"])
            put_n(r, 8, float(row.investment_wan), f["wan"])
            text(r, 9, row.assistants, f["wrap"])
            text(r, 10, row.current_stage, f["wrap"])
            put_s(r, 11, statuses[row.status], f["center"])
            c = 12
            base = 11  # index of the first per-stage column in the row
            for i in range(nstages):
                n, closed, open_, refused, done_on = row[base + 5 * i:base + 5 * i + 5]
                state = _stage_state(n, closed, open_, refused)
                put_s(r, c, state, f["center"])
                if state == STAGE_DONE and done_on is not None:
                    put_d(r, c + 1, done_on, f["date"])
                else:
                    blank(r, c + 1, None, f["date"])
                c += 2
            put_n(r, c, red, f["int"])
            put_n(r, c + 1, yellow, f["int"])
            put_n(r, c + 2, row.open_items or 0, f["int"])
            put_n(r, c + 3, row.open_orders or 0, f["int"])
            for m in range(len(measures)):
                value = measure_values.get((row.project_id, m))
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    put_n(r, c + 4 + m, value, f["int"])
                else:
                    text(r, c + 4 + m, None if value is None else str(value), f["wrap"])
            r += 1
            if (r - r0) % PROGRESS_EVERY == 0:
                report(r - r0)
        return r

    return Sheet(columns, ["金额单位：万元"], write_rows)


KIND = LedgerKind(
    key="projects", title=TITLE, label=lazy_gettext("Major project progress ledger"),
    filters=FILTERS, query=project_filtered, sheet=sheet, in_regions=in_regions,
    list_views=("ProjectView",))


def build_project_ledger(session: Session, scope: Scope, filters: dict | None, out_path,
                         progress=None, *, as_of: dt.date | None = None) -> int:
    """Write 重大项目推进台账 to ``out_path``; returns the number of project rows."""
    return build(session, KIND, scope, filters, out_path, progress, as_of=as_of)
