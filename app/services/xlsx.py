"""Safe, meeting-ready XlsxWriter workbooks (docs/domain.md).

Every workbook is opened in ``constant_memory`` mode (rows are flushed as they are
written, so memory stays flat however many rows) and with XlsxWriter's guessing turned
off: no string ever becomes a formula, a URL or a number. Text goes through
``write_text``, which always calls ``write_string``, so a cell reading
``=HYPERLINK("http://x","y")``, ``+1``, ``-x`` or ``@x`` stays text.

In constant_memory mode a row cannot be written once a later row has been, and
XlsxWriter's ``merge_range`` writes the blanks of a tall merge at once, so two merges
sharing a header row cannot both be made. ``write_header`` therefore writes the title and
the grouped header cell by cell in row order and only records the merged areas.

Empty data cells are not written (a formatted blank costs as much as a value); one
conditional format draws their borders (``finish_sheet``).
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range
from xlsxwriter.worksheet import Worksheet

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd",
}

FORMAT_WAN = "#,##0.00"  # 万元, two decimals with thousands separators
FORMAT_DATE = "yyyy-mm-dd"
FORMAT_INT = "0"

# Fills of carded rows: red and yellow cards (红牌/黄牌).
FILL_RED = "#F8CBAD"
FILL_YELLOW = "#FFF2CC"
FILLS = {None: None, "red": FILL_RED, "yellow": FILL_YELLOW}

FONT = "宋体"
PAPER_A3 = 8
EXCEL_MAX_ROWS = 1_048_576


def open_workbook(path: str | os.PathLike[str]) -> xlsxwriter.Workbook:
    """A workbook that streams rows and never interprets text."""
    return xlsxwriter.Workbook(str(path), dict(WORKBOOK_OPTIONS))


def write_text(ws: Worksheet, row: int, col: int, value: object, fmt: Format | None = None
               ) -> None:
    """Write ``value`` as text, whatever it looks like (never a formula, URL or number)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    else:
        # XlsxWriter escapes control characters itself (as _xHHHH_).
        ws.write_string(row, col, str(value), fmt)


def write_number(ws: Worksheet, row: int, col: int, value: int | float | Decimal | None,
                 fmt: Format | None = None) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)


def write_date(ws: Worksheet, row: int, col: int, value: dt.date | None,
               fmt: Format | None = None) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_datetime(row, col, value, fmt)


@dataclass(frozen=True)
class Column:
    """One column of a ledger: its header, width and kind of value.

    ``group``: the merged header above this column, shared with the neighbouring columns
    of the same group; a column without a group has its header merged over both rows."""

    key: str
    title: str
    width: float = 12
    kind: str = "text"  # text, wrap, wan, date, int
    group: str | None = None


@dataclass
class Formats:
    """The cell formats of one workbook, made once and looked up by (kind, fill)."""

    workbook: xlsxwriter.Workbook
    _cells: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        wb = self.workbook
        base = {"font_name": FONT, "font_size": 10}
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "align": "center",
                                    "valign": "vcenter"})
        self.subtitle = wb.add_format({**base, "align": "right", "valign": "vcenter",
                                       "italic": True})
        self.header = wb.add_format({**base, "bold": True, "align": "center",
                                     "valign": "vcenter", "text_wrap": True, "border": 1,
                                     "bg_color": "#D9E1F2"})
        # The borders of the cells left empty (see finish_sheet).
        self.blank_grid = wb.add_format({"border": 1})

    def cell(self, kind: str = "text", fill: str | None = None) -> Format:
        key = (kind, fill)
        fmt = self._cells.get(key)
        if fmt is None:
            props = {"font_name": FONT, "font_size": 10, "border": 1, "valign": "vcenter"}
            if kind == "wan":
                props["num_format"] = FORMAT_WAN
            elif kind == "date":
                props.update(num_format=FORMAT_DATE, align="center")
            elif kind == "int":
                props.update(num_format=FORMAT_INT, align="center")
            elif kind == "center":
                props["align"] = "center"
            elif kind == "wrap":
                props["text_wrap"] = True
            if FILLS.get(fill):
                props.update(bg_color=FILLS[fill], pattern=1)
            fmt = self._cells[key] = self.workbook.add_format(props)
        return fmt


def header_rows(columns: Sequence[Column]) -> int:
    """How many header rows the columns need (two when any column has a group)."""
    return 2 if any(c.group for c in columns) else 1


def _merge(ws, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    """Record a merged area whose cells were already written (see the module docstring)."""
    if first_row == last_row and first_col == last_col:
        return
    merges = getattr(ws, "merge", None)
    if not isinstance(merges, list):  # pragma: no cover - a different XlsxWriter
        raise RuntimeError("this XlsxWriter version keeps merged ranges elsewhere")
    cell_range = xl_range(first_row, first_col, last_row, last_col)
    for r in range(first_row, last_row + 1):
        for c in range(first_col, last_col + 1):
            if (r, c) in ws.merged_cells:
                raise ValueError(f"merge {cell_range} overlaps {ws.merged_cells[(r, c)]}")
            ws.merged_cells[(r, c)] = cell_range
    merges.append([first_row, first_col, last_row, last_col])


def write_header(ws: Worksheet, formats: Formats, columns: Sequence[Column], title: str,
                 subtitle: str = "", freeze_cols: int = 0) -> int:
    """Title row merged across, then the (grouped) header; returns the first data row.

    Also sets the widths, the frozen header, and the print set-up: A3 landscape, fit to
    one page wide, header rows repeated on every page, page numbers in the footer."""
    ncols = len(columns)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    row = 0
    ws.set_row(row, 30)
    write_text(ws, row, 0, title, formats.title)
    for c in range(1, ncols):
        ws.write_blank(row, c, None, formats.title)
    _merge(ws, row, 0, row, ncols - 1)
    row += 1
    if subtitle:
        write_text(ws, row, 0, subtitle, formats.subtitle)
        for c in range(1, ncols):
            ws.write_blank(row, c, None, formats.subtitle)
        _merge(ws, row, 0, row, ncols - 1)
        row += 1

    first_header = row
    depth = header_rows(columns)
    if depth == 1:
        ws.set_row(row, 30)
        for i, col in enumerate(columns):
            write_text(ws, row, i, col.title, formats.header)
    else:
        ws.set_row(row, 22)
        ws.set_row(row + 1, 30)
        spans = _group_spans(columns)
        # Upper row: group titles (merged across the group) or the column's own title.
        for start, end, group in spans:
            write_text(ws, row, start, group or columns[start].title, formats.header)
            for c in range(start + 1, end + 1):
                ws.write_blank(row, c, None, formats.header)
        # Lower row: sub-column titles; blanks under the ungrouped columns.
        for i, col in enumerate(columns):
            if col.group:
                write_text(ws, row + 1, i, col.title, formats.header)
            else:
                ws.write_blank(row + 1, i, None, formats.header)
        for start, end, group in spans:
            if group:
                _merge(ws, row, start, row, end)
            else:
                _merge(ws, row, start, row + 1, start)
    last_header = first_header + depth - 1
    data_row = last_header + 1

    ws.freeze_panes(data_row, freeze_cols)
    ws.set_paper(PAPER_A3)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(first_header, last_header)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    return data_row


def _group_spans(columns: Sequence[Column]) -> list[tuple[int, int, str | None]]:
    """(first, last, group) runs: neighbouring columns of one group form one span."""
    spans: list[tuple[int, int, str | None]] = []
    for i, col in enumerate(columns):
        if col.group and spans and spans[-1][2] == col.group and spans[-1][1] == i - 1:
            spans[-1] = (spans[-1][0], i, col.group)
        else:
            spans.append((i, i, col.group))
    return spans


def finish_sheet(ws: Worksheet, formats: Formats, header_row: int, last_row: int, ncols: int
                 ) -> None:
    """Autofilter over the header's last row and the data below it, and the grid on the
    data's empty cells.

    Cells without a value are not written at all (writing a formatted blank costs as
    much as writing a value, and ledgers have many); a conditional format draws their
    borders instead, on screen and in print. Rows that need a fill write their blanks."""
    last = max(header_row, last_row)
    ws.autofilter(header_row, 0, last, ncols - 1)
    if last_row > header_row:
        ws.conditional_format(header_row + 1, 0, last_row, ncols - 1,
                              {"type": "blanks", "format": formats.blank_grid})


def max_data_rows(header_rows_total: int) -> int:
    return EXCEL_MAX_ROWS - header_rows_total


__all__ = ["WORKBOOK_OPTIONS", "FORMAT_WAN", "FORMAT_DATE", "Column", "Formats",
           "open_workbook", "write_text", "write_number", "write_date", "write_header",
           "finish_sheet", "header_rows", "max_data_rows", "EXCEL_MAX_ROWS"]
