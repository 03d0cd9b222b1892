"""Excel ledgers for meetings (DOMAIN.md §9, issue 3): 重大项目推进台账 and 审批事项台账.

Each ledger is one Core SELECT, restricted to the user's data scope and the list
screen's filters, streamed from the database (``yield_per``) into an XlsxWriter
workbook in constant_memory mode: memory stays flat whatever the number of rows.

Filters are a dict ``field → value`` in the list screen's field names: ``"status":
"ACCEPTED"`` (equal to), or ``"name__ct": "园区"`` with one of FAB's operator names
(eq, neq, sw, nsw, ew, new, ct, nct, gt, lt, in, not_in, nrel_o_m; rel_o_m is eq), each
applied as FAB's list applies it, so the ledger holds the rows the list shows.
``region_code`` selects a region's whole subtree by its division code. A list value
applies each value in turn (as FAB does), except for ``in``/``not_in``.
"""
from __future__ import annotations

from app import clock
import datetime as dt
import os
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator, Optional

from sqlalchemy import Date, Enum as SAEnum, Integer, Numeric, String, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models import (Applicant, ApprovalItem, AppUser, CardLevel, CardSubject, ItemStatus,
                        ListLevel, OrgUnit, Project, ProjectAssistant, ProjectStatus,
                        Region, Stage, WarningCard, WorkOrder, WorkOrderStatus)
from app.security import roles
from app.security.scope import Scope, scoped

from . import xlsx
from .jobs import temp_path, user_job

YIELD_PER = 2000
PROGRESS_EVERY = 1000  # rows between looks at the clock
PROGRESS_SECONDS = 1.0

PROJECT_LEDGER = "projects"
ITEM_LEDGER = "items"
PROJECT_TITLE = "重大项目推进台账"
ITEM_TITLE = "审批事项台账"


# -- errors ------------------------------------------------------------------------------

class LedgerError(Exception):
    """A ledger cannot be made; the message is for the user (Chinese, then English)."""


class LedgerTooLarge(LedgerError):
    def __init__(self, rows: int, limit: int) -> None:
        self.rows, self.limit = rows, limit
        super().__init__(
            f"台账共 {rows:,} 行，超过 Excel 单表上限 {limit:,} 行，未导出；请缩小筛选范围后重试。 "
            f"The ledger has {rows:,} rows, more than the {limit:,} an Excel sheet can hold; "
            f"nothing was exported. Narrow the filters and try again.")


class LedgerFilterError(LedgerError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"筛选条件“{field}”无效：{detail}。 The filter {field!r} is not valid: "
                         f"{detail}.")


# -- filters -----------------------------------------------------------------------------

# The list screens' search columns (and a few project columns for the item ledger).
PROJECT_FILTERS = {
    "code": Project.code, "name": Project.name, "region": Project.region_id,
    "town": Project.town_id, "applicant": Project.applicant_id,
    "list_level": Project.list_level, "list_year": Project.list_year,
    "current_stage": Project.current_stage_id, "stage": Project.current_stage_id,
    "status": Project.status, "investment_wan": Project.investment_wan,
}
ITEM_FILTERS = {
    "project": ApprovalItem.project_id, "stage": ApprovalItem.stage_id,
    "name": ApprovalItem.name, "department": ApprovalItem.department_id,
    "status": ApprovalItem.status, "accepted_on": ApprovalItem.accepted_on,
    "due_on": ApprovalItem.due_on, "finished_on": ApprovalItem.finished_on,
    "time_limit_days": ApprovalItem.time_limit_days,
    "project_code": Project.code, "region": Project.region_id, "town": Project.town_id,
    "list_level": Project.list_level, "list_year": Project.list_year,
}
FILTERS = {PROJECT_LEDGER: PROJECT_FILTERS, ITEM_LEDGER: ITEM_FILTERS}
REGION_CODE = "region_code"

OPERATORS = ("eq", "neq", "sw", "nsw", "ew", "new", "ct", "nct", "gt", "lt", "in", "not_in",
             "nrel_o_m")
FAB_OPERATORS = {"rel_o_m": "eq"}
_TEXT_OPS = {"sw", "nsw", "ew", "new", "ct", "nct"}


def filter_key(field: str, op: str) -> str:
    op = FAB_OPERATORS.get(op, op)
    return field if op == "eq" else f"{field}__{op}"


def _split(key: str) -> tuple[str, str]:
    field, _, op = key.partition("__")
    return field, FAB_OPERATORS.get(op, op) or "eq"


def _convert(field: str, column, raw):
    """A filter value typed like its column (enum by member name or label)."""
    ctype = column.type
    text = str(raw)
    if not isinstance(ctype, String) or isinstance(ctype, SAEnum):
        text = text.strip()
    try:
        if isinstance(ctype, SAEnum) and ctype.enum_class is not None:
            enum_cls = ctype.enum_class
            if text in enum_cls.__members__:
                return enum_cls[text]
            for member in enum_cls:
                if text == str.__str__(member.value):
                    return member
            raise ValueError(text)
        if isinstance(ctype, Integer):
            return int(text)
        if isinstance(ctype, Numeric):
            return Decimal(text)
        if isinstance(ctype, Date):
            return dt.date.fromisoformat(text[:10])
    except (ValueError, InvalidOperation):
        raise LedgerFilterError(field, f"“{text}”") from None
    return text


def normalise_filters(kind: str, filters: Optional[dict]) -> dict:
    """Check a filter dict against a ledger's fields; returns it JSON-safe (for the job
    row). Raises LedgerFilterError for an unknown field, operator or value."""
    columns = FILTERS[kind]
    out: dict = {}
    for key, value in (filters or {}).items():
        field, op = _split(key)
        if value is None or value == "" or value == []:
            continue
        if field == REGION_CODE:
            if op != "eq":
                raise LedgerFilterError(key, "only equal-to")
            out[REGION_CODE] = str(value).strip()
            continue
        if field not in columns:
            raise LedgerFilterError(key, "unknown field")
        if op not in OPERATORS:
            raise LedgerFilterError(key, f"unknown operator {op!r}")
        column = columns[field]
        plain_text = isinstance(column.type, String) and not isinstance(column.type, SAEnum)
        if op in _TEXT_OPS and not plain_text:
            raise LedgerFilterError(key, "text operator on a non-text field")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            _convert(key, column, v)  # raises on a bad value
        norm = [str(v) for v in values]
        out[filter_key(field, op)] = norm if len(norm) > 1 or op in ("in", "not_in") else norm[0]
    return out


def _condition(column, op: str, value):
    """One filter as FAB's list applies it (sqla/filters.py): the same SQL, the same
    handling of NULLs and of the LIKE wildcards a user types."""
    if op == "eq":
        return column == value
    if op == "neq":
        return column != value
    if op == "nrel_o_m":  # a relationship's != also keeps the rows without one
        return or_(column != value, column.is_(None))
    if op == "gt":
        return column > value
    if op == "lt":
        return column < value
    if op == "sw":
        return column.ilike(value + "%")
    if op == "nsw":
        return ~column.ilike(value + "%")
    if op == "ew":
        return column.ilike("%" + value)
    if op == "new":
        return ~column.ilike("%" + value)
    if op == "ct":
        return column.ilike("%" + value + "%")
    if op == "nct":
        return ~column.ilike("%" + value + "%")
    raise AssertionError(op)


def region_subtree(code: str):
    """Ids of the region with this code and all regions below it."""
    path = select(Region.path).where(Region.code == code).scalar_subquery()
    return select(Region.id).where(Region.path.like(path + "%")).scalar_subquery()


def apply_filters(stmt, kind: str, filters: Optional[dict]):
    columns = FILTERS[kind]
    for key, value in normalise_filters(kind, filters).items():
        field, op = _split(key)
        if field == REGION_CODE:
            ids = region_subtree(value)
            stmt = stmt.where(or_(Project.region_id.in_(ids), Project.town_id.in_(ids)))
            continue
        column = columns[field]
        values = value if isinstance(value, list) else [value]
        typed = [_convert(key, column, v) for v in values]
        if op == "in":
            stmt = stmt.where(column.in_(typed))
        elif op == "not_in":
            stmt = stmt.where(~column.in_(typed))
        else:
            for v in typed:
                stmt = stmt.where(_condition(column, op, v))
    return stmt


# -- scope helpers -----------------------------------------------------------------------

def system_scope(region: Optional[Region]) -> Scope:
    """The scope of the system itself (CLI, benchmarks): a region's subtree, or all
    regions when ``region`` is None. Not a login: only what Scope reads."""
    role = roles.BUREAU_ADMIN if region is not None else roles.SYSTEM_ADMIN
    user = SimpleNamespace(id=0, roles=[SimpleNamespace(name=role)], region=region,
                           applicant_id=None, org_unit_id=None)
    return Scope(user)




def _label(member) -> str:
    """An enum's Chinese label as plain text (no per-row gettext)."""
    return "" if member is None else str.__str__(member.value)


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


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


# -- SELECTs -----------------------------------------------------------------------------

OPEN_ITEM = tuple(s for s in ItemStatus if s.is_open)
CLOSED_ITEM = (ItemStatus.FINISHED, ItemStatus.WITHDRAWN)


def standard_stages(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(select(Stage.id, Stage.name).where(Stage.region_id.is_(None))
                                .order_by(Stage.seq, Stage.id)).tuples())


def project_filtered(scope: Scope, filters: Optional[dict]):
    """Ids of the projects of the ledger: scope and filters, nothing else."""
    stmt = scoped(select(Project.id), Project, scope)
    return apply_filters(stmt, PROJECT_LEDGER, filters)


def project_ledger_select(scope: Scope, filters: Optional[dict], stages: list[tuple[int, str]]):
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
    return apply_filters(stmt, PROJECT_LEDGER, filters)


def item_filtered(scope: Scope, filters: Optional[dict]):
    stmt = scoped(select(ApprovalItem.id).join(Project, Project.id == ApprovalItem.project_id),
                  ApprovalItem, scope)
    return apply_filters(stmt, ITEM_LEDGER, filters)


def item_ledger_select(scope: Scope, filters: Optional[dict]):
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
    return apply_filters(stmt, ITEM_LEDGER, filters)


def count_rows(session: Session, kind: str, scope: Scope, filters: Optional[dict]) -> int:
    base = (project_filtered if kind == PROJECT_LEDGER else item_filtered)(scope, filters)
    return session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0


# -- innovation-measure columns (plugins' ledger_columns hook) ---------------------------

MEASURE_GROUP = "创新举措"


def plugin_columns() -> list:
    """The LedgerColumns of the loaded measure plugins (none outside an app)."""
    from app.plugins import current_manager

    manager = current_manager()
    return list(manager.ledger_columns()) if manager is not None else []


def measure_cells(session: Session, scope: Scope, filters: Optional[dict], columns: list
                  ) -> tuple[list, dict]:
    """The plugin columns this ledger shows and their cells.

    A column shows only when a project of the ledger has an instance of its measure. The
    cells are computed here, from the latest instance per (project, measure), in one
    streamed query, so the row loop only looks values up: ``{(project id, column index):
    value}``. A value function that fails leaves its cells empty (logged): a plugin must
    not break the county's meeting ledger."""
    import logging

    from app.models import WorkflowInstance

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


def project_columns(stages: list[tuple[int, str]], measures: Optional[list] = None
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


ITEM_COLUMNS = [
    C("seq", "序号", 7, "int"),
    C("code", "项目代码", 22, group="项目"),
    C("project", "项目名称", 28, "wrap", group="项目"),
    C("region", "所在地区", 10, "center", group="项目"),
    C("stage", "审批阶段", 14, "wrap"),
    C("name", "审批事项", 30, "wrap"),
    C("department", "审批部门", 22, "wrap"),
    C("accepted_on", "受理日期", 11, "date", group="办理时限"),
    C("limit", "承诺时限（工作日）", 10, "int", group="办理时限"),
    C("due_on", "到期日期", 11, "date", group="办理时限"),
    C("finished_on", "办结日期", 11, "date", group="办理时限"),
    C("status", "办理状态", 9, "center"),
    C("remaining", "剩余工作日", 9, "int", group="时限预警"),
    C("overdue", "超期工作日", 9, "int", group="时限预警"),
    C("card", "红黄牌", 8, "center", group="时限预警"),
]

STAGE_NONE = "—"
STAGE_DONE = "已完成"
STAGE_OPEN = "办理中"
STAGE_TODO = "未开始"
STAGE_REFUSED = "不予许可"

CARD_NAMES = {2: _label(CardLevel.RED), 1: _label(CardLevel.YELLOW)}
CARD_FILLS = {2: "red", 1: "yellow"}


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


# -- building ----------------------------------------------------------------------------

def _skip(*_args) -> None:
    """Stands in for write_blank where an empty cell is not written (see finish_sheet)."""


def _text_writer(put_string, blank):
    """Text that may be missing: the string (always as text), or the row's blank."""
    def write(row, col, value, fmt):
        if value is None or value == "":
            blank(row, col, None, fmt)
        else:
            put_string(row, col, value, fmt)
    return write


def _region_name(session: Session, scope: Scope, filters: Optional[dict]) -> str:
    filters = filters or {}
    code = filters.get(REGION_CODE)
    if code:
        name = session.scalar(select(Region.name).where(Region.code == code))
        if name:
            return name
    region_id = filters.get("region")
    if region_id and not isinstance(region_id, list):
        try:
            stmt = scoped(select(Region.name).where(Region.id == int(region_id)), Region, scope)
            name = session.scalar(stmt)
        except ValueError:
            name = None
        if name:
            return name
    region = getattr(scope.user, "region", None) if scope.user is not None else None
    return region.name if region is not None else "全部地区"


def _subtitle(units: list[str], filters: Optional[dict]) -> str:
    parts = list(units)
    if any(key != REGION_CODE for key in (filters or {})):
        parts.append("已按列表筛选条件导出")
    parts.append("导出时间：" + clock.now().strftime(clock.DISPLAY_FORMAT))
    return "；".join(parts)


# Title, subtitle and the two rows of the grouped header, above the data of both ledgers.
HEADER_ROWS = 4


def check_size(session: Session, kind: str, scope: Scope, filters: Optional[dict]) -> int:
    """The ledger's row count; LedgerTooLarge when it cannot fit on one sheet."""
    total = count_rows(session, kind, scope, filters)
    limit = xlsx.max_data_rows(HEADER_ROWS)
    if total > limit:
        raise LedgerTooLarge(total, limit)
    return total


def _stream(session: Session, stmt) -> Iterator:
    return session.execute(stmt.execution_options(yield_per=YIELD_PER))


class _Progress:
    """Reports the percentage done, at most every PROGRESS_SECONDS (each report is a
    short transaction of its own)."""

    def __init__(self, progress: Optional[Callable[[int], None]], total: int) -> None:
        self.progress, self.total = progress, max(total, 1)
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            # Up to 99: the runner sets 100 once the file has its final name.
            self.progress(min(99, done * 100 // self.total))


def _build(out_path, sheet_name: str, title: str, subtitle: str, columns, rows_writer,
           freeze_cols: int) -> int:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsx.open_workbook(out_path)
    try:
        ws = workbook.add_worksheet(sheet_name)
        formats = xlsx.Formats(workbook)
        data_row = xlsx.write_header(ws, formats, columns, title, subtitle, freeze_cols)
        assert data_row == HEADER_ROWS, data_row
        end = rows_writer(ws, formats, data_row)
        xlsx.finish_sheet(ws, formats, data_row - 1, end - 1, len(columns))
        workbook.close()
    except BaseException:
        # Nothing half-written stays behind (XlsxWriter writes the file only on close).
        out_path.unlink(missing_ok=True)
        raise
    return end - data_row


def build_project_ledger(session: Session, scope: Scope, filters: Optional[dict], out_path,
                         progress: Optional[Callable[[int], None]] = None, *,
                         as_of: Optional[dt.date] = None) -> int:
    """Write 重大项目推进台账 to ``out_path``; returns the number of project rows."""
    as_of = as_of or clock.today()
    filters = normalise_filters(PROJECT_LEDGER, filters)
    stages = standard_stages(session)
    total = check_size(session, PROJECT_LEDGER, scope, filters)
    measures, measure_values = measure_cells(session, scope, filters, plugin_columns())
    columns = project_columns(stages, measures)
    subtitle = _subtitle(["金额单位：万元"], filters)
    title = f"{_region_name(session, scope, filters)}{PROJECT_TITLE}（截至{_chinese_date(as_of)}）"
    stmt = project_ledger_select(scope, filters, stages)
    report = _Progress(progress, total)
    levels = {m: _label(m) for m in ListLevel}
    statuses = {m: _label(m) for m in ProjectStatus}
    nstages = len(stages)

    def rows_writer(ws, formats, r0):
        # As in the item ledger: empty cells are written in carded rows only.
        fmt = {fill: {k: formats.cell(k, fill) for k in ("text", "wrap", "center", "int", "wan",
                                                           "date")}
               for fill in (None, "red", "yellow")}
        put_s, put_n, put_d = ws.write_string, ws.write_number, ws.write_datetime
        writers = {False: (_skip, _text_writer(put_s, _skip)),
                   True: (ws.write_blank, _text_writer(put_s, ws.write_blank))}
        r = r0
        for row in _stream(session, stmt):
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

    return _build(out_path, PROJECT_TITLE, title, subtitle, columns, rows_writer, 3)


def build_item_ledger(session: Session, scope: Scope, filters: Optional[dict], out_path,
                      progress: Optional[Callable[[int], None]] = None, *,
                      as_of: Optional[dt.date] = None) -> int:
    """Write 审批事项台账 to ``out_path``; returns the number of item rows."""
    as_of = as_of or clock.today()
    filters = normalise_filters(ITEM_LEDGER, filters)
    columns = ITEM_COLUMNS
    subtitle = _subtitle(["时限单位：工作日"], filters)
    total = check_size(session, ITEM_LEDGER, scope, filters)
    title = f"{_region_name(session, scope, filters)}{ITEM_TITLE}（截至{_chinese_date(as_of)}）"
    stmt = item_ledger_select(scope, filters)
    report = _Progress(progress, total)
    between = _Between()
    statuses = {m: _label(m) for m in ItemStatus}
    open_statuses = set(OPEN_ITEM)

    def rows_writer(ws, formats, r0):
        # The hot loop: XlsxWriter's own calls, each cell's kind known (strings always
        # through write_string, so nothing becomes a formula or a link).
        # A carded row writes its empty cells too, so the whole row has its colour;
        # elsewhere they are left out (their grid comes from xlsx.finish_sheet).
        fmts = {fill: tuple(formats.cell(k, fill) for k in ("int", "text", "wrap", "center",
                                                              "date"))
                + (ws.write_blank if fill else _skip,)
                for fill in (None, "red", "yellow")}
        put_s, put_n, put_d = ws.write_string, ws.write_number, ws.write_datetime
        r = r0
        for (code, project, region, stage, name, department, accepted_on, limit, due_on,
             finished_on, status, card) in _stream(session, stmt):
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

    return _build(out_path, ITEM_TITLE, title, subtitle, columns, rows_writer, 3)


BUILDERS = {PROJECT_LEDGER: build_project_ledger, ITEM_LEDGER: build_item_ledger}
TITLES = {PROJECT_LEDGER: PROJECT_TITLE, ITEM_LEDGER: ITEM_TITLE}
JOB_KINDS = {PROJECT_LEDGER: "ledger_projects", ITEM_LEDGER: "ledger_items"}


def file_name(kind: str, as_of: dt.date) -> str:
    return f"{TITLES[kind]}-{as_of:%Y%m%d}.xlsx"


# -- user jobs (run by the worker; the row's user is the scope) --------------------------

def _run_job(kind: str, session: Session, ctx, filters: Optional[dict], as_of: Optional[str]):
    user = session.get(AppUser, ctx.record.user_id)
    if user is None:
        raise LedgerError("导出任务的用户不存在。 The job's user no longer exists.")
    day = dt.date.fromisoformat(as_of) if as_of else clock.today()
    final = ctx.output(file_name(kind, day))
    BUILDERS[kind](session, Scope(user), filters or {}, temp_path(final), ctx.progress,
                   as_of=day)
    return final


@user_job(JOB_KINDS[PROJECT_LEDGER])
def ledger_projects_job(session: Session, ctx, filters: Optional[dict] = None,
                        as_of: Optional[str] = None):
    return _run_job(PROJECT_LEDGER, session, ctx, filters, as_of)


@user_job(JOB_KINDS[ITEM_LEDGER])
def ledger_items_job(session: Session, ctx, filters: Optional[dict] = None,
                     as_of: Optional[str] = None):
    return _run_job(ITEM_LEDGER, session, ctx, filters, as_of)


def export_to_file(session: Session, kind: str, out: os.PathLike | str,
                   region: Optional[Region], filters: Optional[dict] = None,
                   as_of: Optional[dt.date] = None) -> int:
    """The CLI's export: the region's subtree as the system, written to ``out`` via a
    temporary name so a failed export leaves no half file."""
    filters = dict(filters or {})
    if region is not None:
        filters[REGION_CODE] = region.code
    out = Path(out)
    part = out.with_name(out.name + ".part")
    rows = BUILDERS[kind](session, system_scope(region), filters, part, as_of=as_of)
    os.replace(part, out)
    return rows


__all__ = ["LedgerError", "LedgerTooLarge", "LedgerFilterError", "build_project_ledger",
           "build_item_ledger", "project_ledger_select", "item_ledger_select",
           "normalise_filters", "system_scope", "export_to_file", "JOB_KINDS", "BUILDERS"]
