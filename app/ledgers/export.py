"""Writing any ledger kind: scope and filters in, one streamed .xlsx sheet out.

Each ledger is one Core SELECT, restricted to the user's data scope and the list
screen's filters, streamed from the database (``yield_per``) into an XlsxWriter
workbook in constant_memory mode: memory stays flat whatever the number of rows. The
same ``build`` serves the download centre's job (the row's user is the scope) and the
CLI (a region's subtree as the system).
"""
from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import AppUser, Region
from app.security import roles
from app.security.scope import Scope, scoped
from app.services import xlsx
from app.services.jobs import temp_path

from . import filters as ledger_filters
from .errors import LedgerError, LedgerTooLarge
from .registry import LedgerKind, get

if TYPE_CHECKING:
    from enum import Enum

    from sqlalchemy import Select

YIELD_PER = 2000
PROGRESS_EVERY = 1000  # rows between looks at the clock
PROGRESS_SECONDS = 1.0
# Title, subtitle and the two rows of a grouped header: the most rows above the data.
HEADER_ROWS = 4


def _kind(kind: LedgerKind | str) -> LedgerKind:
    return kind if isinstance(kind, LedgerKind) else get(kind)


def normalise_filters(kind: LedgerKind | str, filters: dict | None) -> dict:
    """The filters checked against the kind's fields, JSON-safe (LedgerFilterError)."""
    kind = _kind(kind)
    return ledger_filters.normalise(kind.filters, filters, regions=kind.in_regions is not None)


def apply_filters(stmt: Select, kind: LedgerKind | str, filters: dict | None) -> Select:
    kind = _kind(kind)
    return ledger_filters.apply(stmt, kind.filters, filters, kind.in_regions)


# -- scope helpers -----------------------------------------------------------------------

def system_scope(region: Region | None) -> Scope:
    """The scope of the system itself (CLI, benchmarks): a region's subtree, or all
    regions when ``region`` is None. Not a login: only what Scope reads."""
    role = roles.BUREAU_ADMIN if region is not None else roles.SYSTEM_ADMIN
    user = SimpleNamespace(id=0, roles=[SimpleNamespace(name=role)], region=region,
                           applicant_id=None, org_unit_id=None)
    return Scope(user)


# -- cell helpers the kinds share --------------------------------------------------------

def label(member: Enum | None) -> str:
    """An enum's Chinese label as plain text (no per-row gettext)."""
    return "" if member is None else str.__str__(member.value)


def skip(*_args: object) -> None:
    """Stands in for write_blank where an empty cell is not written (see finish_sheet)."""


def text_writer(put_string: Callable, blank: Callable) -> Callable:
    """Text that may be missing: the string (always as text), or the row's blank."""
    def write(row, col, value, fmt):
        if value is None or value == "":
            blank(row, col, None, fmt)
        else:
            put_string(row, col, value, fmt)
    return write


def stream(session: Session, stmt: Select) -> Iterator:
    return session.execute(stmt.execution_options(yield_per=YIELD_PER))


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _region_name(session: Session, scope: Scope, filters: dict | None) -> str:
    filters = filters or {}
    code = filters.get(ledger_filters.REGION_CODE)
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


def _subtitle(notes: list[str], filters: dict | None) -> str:
    parts = list(notes)
    if any(key != ledger_filters.REGION_CODE for key in (filters or {})):
        parts.append("已按列表筛选条件导出")
    parts.append("导出时间：" + clock.now().strftime(clock.DISPLAY_FORMAT))
    return "；".join(parts)


# -- building ----------------------------------------------------------------------------

def count_rows(session: Session, kind: LedgerKind | str, scope: Scope,
               filters: dict | None) -> int:
    kind = _kind(kind)
    base = kind.query(scope, normalise_filters(kind, filters))
    return session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0


def check_size(session: Session, kind: LedgerKind | str, scope: Scope,
               filters: dict | None) -> int:
    """The ledger's row count; LedgerTooLarge when it cannot fit on one sheet."""
    total = count_rows(session, kind, scope, filters)
    limit = xlsx.max_data_rows(HEADER_ROWS)
    if total > limit:
        raise LedgerTooLarge(total, limit)
    return total


class _Progress:
    """Reports the percentage done, at most every PROGRESS_SECONDS (each report is a
    short transaction of its own)."""

    def __init__(self, progress: Callable[[int], None] | None, total: int) -> None:
        self.progress, self.total = progress, max(total, 1)
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.progress is None or done % PROGRESS_EVERY:
            return
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            # Up to 99: the runner sets 100 once the file has its final name.
            self.progress(min(99, done * 100 // self.total))


def build(session: Session, kind: LedgerKind | str, scope: Scope, filters: dict | None,
          out_path: str | Path, progress: Callable[[int], None] | None = None, *,
          as_of: dt.date | None = None) -> int:
    """Write the ledger to ``out_path``; returns the number of data rows."""
    kind = _kind(kind)
    as_of = as_of or clock.today()
    filters = normalise_filters(kind, filters)
    total = check_size(session, kind, scope, filters)
    sheet = kind.sheet(session, scope, filters, as_of)
    title = f"{_region_name(session, scope, filters)}{kind.title}（截至{_chinese_date(as_of)}）"
    subtitle = _subtitle(sheet.notes, filters)
    report = _Progress(progress, total)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsx.open_workbook(out_path)
    try:
        formats = xlsx.Formats(workbook)
        parts = [(kind.title, sheet.columns, "")] + [
            (p.name, p.columns, "——" + p.name) for p in sheet.more]
        # One header depth for all worksheets: their rows line up.
        depth = max(xlsx.header_rows(cols) for _, cols, _ in parts)
        sheets = []
        for name, columns, suffix in parts:
            ws = workbook.add_worksheet(name)
            data_row = xlsx.write_header(ws, formats, columns, title + suffix, subtitle,
                                         kind.freeze_cols, depth)
            sheets.append(ws)
        more = {"more": sheets[1:]} if sheet.more else {}
        end = sheet.write_rows(sheets[0], formats, data_row, report, **more)
        for ws, (_, columns, _) in zip(sheets, parts, strict=True):
            xlsx.finish_sheet(ws, formats, data_row - 1, end - 1, len(columns))
        workbook.close()
    except BaseException:
        # Nothing half-written stays behind (XlsxWriter writes the file only on close).
        out_path.unlink(missing_ok=True)
        raise
    finally:
        xlsx.discard_scratch(out_path)
    return end - data_row


def file_name(kind: LedgerKind | str, as_of: dt.date) -> str:
    return f"{_kind(kind).title}-{as_of:%Y%m%d}.xlsx"


def run_job(key: str, session: Session, ctx: object, filters: dict | None = None,
            as_of: str | None = None) -> Path:
    """A user job's body (the worker's job table points here): the row's user is the
    scope; returns the final file name (written under its temporary name)."""
    user = session.get(AppUser, ctx.record.user_id)
    if user is None:
        raise LedgerError("导出任务的用户不存在。 The job's user no longer exists.")
    day = dt.date.fromisoformat(as_of) if as_of else clock.today()
    final = ctx.output(file_name(key, day))
    build(session, key, Scope(user), filters or {}, temp_path(final), ctx.progress, as_of=day)
    return final


def export_to_file(session: Session, kind: LedgerKind | str, out: os.PathLike | str,
                   region: Region | None, filters: dict | None = None,
                   as_of: dt.date | None = None) -> int:
    """The CLI's export: the region's subtree as the system, written to ``out`` via a
    temporary name so a failed export leaves no half file."""
    kind = _kind(kind)
    filters = dict(filters or {})
    if region is not None and kind.in_regions is not None:
        filters[ledger_filters.REGION_CODE] = region.code
    out = Path(out)
    part = out.with_name(out.name + ".part")
    rows = build(session, kind, system_scope(region), filters, part, as_of=as_of)
    os.replace(part, out)
    return rows
