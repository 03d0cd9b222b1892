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
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_range
from xlsxwriter.worksheet import Worksheet

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    # Arial 10 as the workbook's default font (not Calibri 11): column widths are counted
    # in the default font's digits, and LibreOffice has a metric twin of Arial (Liberation
    # Sans) but not of Calibri, whose stand-in is a third wider. With Arial, Excel, WPS and
    # LibreOffice lay the columns out alike (LibreOffice at most LAYOUT_SLACK wider), so a
    # sheet planned to print at 100 % does so everywhere.
    "excel2003_style": True,
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
FILL_TOTAL = "#EDEDED"  # the 合计 row

FONT = "宋体"
FONT_SIZE = 10  # every cell, header and footer; the title is larger
TITLE_SIZE = 16
PAPER_A3 = 8
EXCEL_MAX_ROWS = 1_048_576
SCRATCH_SUFFIX = ".rows"

# -- printing: A3 landscape, fit to one page wide -----------------------------------------
# Text must print at MIN_PRINTED_PT or larger, read at the meeting table. Fit-to-width
# shrinks a sheet wider than the paper, so the ledgers plan their columns (choose them,
# move groups to further sheets) to fit at 100 % instead: ``print_scale`` is the factor
# Excel applies, computed the way Excel counts column pixels.
MIN_PRINTED_PT = 9.0
A3_LANDSCAPE_WIDTH_PT = 420 / 25.4 * 72  # 1190.55
MARGIN_SIDE_IN = 0.4
MARGIN_TOP_IN = 0.6
PRINTABLE_WIDTH_PT = A3_LANDSCAPE_WIDTH_PT - 2 * MARGIN_SIDE_IN * 72
MAX_DIGIT_PX, CELL_PADDING_PX = 7, 5  # Arial 10 at 96 dpi (the default font above)
# LibreOffice draws a column up to ~6 % wider than Excel does (measured: width 20 is
# 145 px in Excel, 153 px in LibreOffice 7.4); plans keep that much room.
LAYOUT_SLACK = 1.06


def column_pixels(width: float) -> int:
    """A column's width in pixels, as Excel (and XlsxWriter) count it."""
    if width < 1:
        return int(width * (MAX_DIGIT_PX + CELL_PADDING_PX) + 0.5)
    return int(width * MAX_DIGIT_PX + 0.5) + CELL_PADDING_PX


def sheet_width_pt(widths: Sequence[float]) -> float:
    return sum(column_pixels(w) for w in widths) * 0.75


def print_scale(widths: Sequence[float]) -> float:
    """The factor fit-to-width prints a sheet of these column widths at (at most 1)."""
    total = sheet_width_pt(widths)
    return 1.0 if total <= 0 else min(1.0, PRINTABLE_WIDTH_PT / total)


# -- row heights of wrapped text ----------------------------------------------------------
# Neither LibreOffice nor every Excel re-measures rows on opening a file, so rows whose
# text wraps get their height here, from an estimate of the lines each cell needs.
LATIN_EM = 0.62  # a Latin letter or digit in the widest stand-in font (DejaVu Sans)
LINE_PT = 14.5  # one line of FONT_SIZE text (the CJK fonts' line height)
ROW_PAD_PT = 3.0
_BREAK_AFTER = "-/ "


NARROW = "-.,:;()/ |"  # about half a digit wide


def _text_width(text: str) -> float:
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.36 if ch in NARROW else LATIN_EM
               for ch in text)


def _tokens(paragraph: str):
    """Where a line may break: after any CJK character, after a dash, slash or space."""
    run = ""
    for ch in paragraph:
        if ord(ch) >= 0x2E80:
            if run:
                yield run
                run = ""
            yield ch
        else:
            run += ch
            if ch in _BREAK_AFTER:
                yield run
                run = ""
    if run:
        yield run


def text_lines(text: str | None, width: float) -> int:
    """How many lines ``text`` wraps to in a column of ``width`` (a greedy estimate that
    errs on the side of one line more)."""
    return text_lines_px(text, column_pixels(width))


def text_lines_px(text: str | None, pixels: float, size: float = FONT_SIZE) -> int:
    """The same for a cell ``pixels`` wide and text of ``size`` points."""
    if not text:
        return 1
    usable = max(1.0, (pixels - 6) / (size * 96 / 72) * 0.97)
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        used = 0.0
        for token in _tokens(paragraph):
            w = _text_width(token)
            if used + w <= usable:
                used += w
            elif w <= usable:
                lines += 1
                used = w
            else:  # a run longer than a line breaks anywhere
                spill = used + w
                extra = int(spill // usable)
                lines += extra
                used = spill - extra * usable
    return lines


def row_height(lines: int) -> float:
    return lines * LINE_PT + ROW_PAD_PT


def fits_page(widths: Sequence[float]) -> bool:
    """Whether the columns print at 100 % on A3 landscape in Excel and LibreOffice alike."""
    return sheet_width_pt(widths) * LAYOUT_SLACK <= PRINTABLE_WIDTH_PT


def scratch_dir(path: str | os.PathLike[str]) -> Path:
    """Where the workbook at ``path`` keeps its streamed rows until it is closed: a folder
    beside it that the app owns (not the system's /tmp, shared with every other program
    and never swept by us). A killed job's folder goes with its half file (the stalled-job
    reaper, app/services/jobs.py)."""
    return Path(f"{os.fspath(path)}{SCRATCH_SUFFIX}")


def open_workbook(path: str | os.PathLike[str]) -> xlsxwriter.Workbook:
    """A workbook that streams rows and never interprets text. Close it, then call
    ``discard_scratch(path)`` whatever happened."""
    scratch = scratch_dir(path)
    scratch.mkdir(parents=True, exist_ok=True)
    return xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": str(scratch)})


def discard_scratch(path: str | os.PathLike[str]) -> None:
    """Remove the rows a workbook streamed to disk (closed or abandoned)."""
    shutil.rmtree(scratch_dir(path), ignore_errors=True)


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
        base = {"font_name": FONT, "font_size": FONT_SIZE}
        self.title = wb.add_format({**base, "bold": True, "font_size": TITLE_SIZE,
                                    "align": "center", "text_wrap": True,
                                    "valign": "vcenter"})
        self.subtitle = wb.add_format({**base, "align": "right", "valign": "vcenter",
                                       "italic": True, "text_wrap": True})
        self.header = wb.add_format({**base, "bold": True, "align": "center",
                                     "valign": "vcenter", "text_wrap": True, "border": 1,
                                     "bg_color": "#D9E1F2"})
        # The borders of the cells left empty (see finish_sheet).
        self.blank_grid = wb.add_format({"border": 1})

    def cell(self, kind: str = "text", fill: str | None = None) -> Format:
        key = (kind, fill)
        fmt = self._cells.get(key)
        if fmt is None:
            props = {"font_name": FONT, "font_size": FONT_SIZE, "border": 1,
                     "valign": "vcenter"}
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
            elif fill == "total":
                props.update(bold=True, bg_color=FILL_TOTAL, pattern=1)
            fmt = self._cells[key] = self.workbook.add_format(props)
        return fmt

    def total(self, kind: str = "text") -> Format:
        """A cell of a 合计 row: bold on grey."""
        return self.cell(kind, "total")


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
                 subtitle: str = "", freeze_cols: int = 0, depth: int | None = None) -> int:
    """Title row merged across, then the (grouped) header; returns the first data row.

    ``depth``: header rows to use (default: as the columns need), so that the worksheets
    of one ledger start their data on the same row.

    Also sets the widths, the frozen header, and the print set-up: A3 landscape, fit to
    one page wide, header rows repeated on every page, page numbers in the footer."""
    ncols = len(columns)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    row = 0
    # Title and subtitle wrap on a sheet narrower than they are (rows grown to match).
    sheet_px = sum(column_pixels(c.width) for c in columns)
    ws.set_row(row, max(30, text_lines_px(title, sheet_px, TITLE_SIZE) * TITLE_SIZE * 1.45 + 8))
    write_text(ws, row, 0, title, formats.title)
    for c in range(1, ncols):
        ws.write_blank(row, c, None, formats.title)
    _merge(ws, row, 0, row, ncols - 1)
    row += 1
    if subtitle:
        ws.set_row(row, row_height(text_lines_px(subtitle, sheet_px)))
        write_text(ws, row, 0, subtitle, formats.subtitle)
        for c in range(1, ncols):
            ws.write_blank(row, c, None, formats.subtitle)
        _merge(ws, row, 0, row, ncols - 1)
        row += 1

    first_header = row
    depth = depth or header_rows(columns)
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
    ws.set_margins(left=MARGIN_SIDE_IN, right=MARGIN_SIDE_IN, top=MARGIN_TOP_IN,
                   bottom=MARGIN_TOP_IN)
    # The footer's own size (page numbers at the table's size, never shrunk with it).
    ws.set_footer(f"&C&{FONT_SIZE}第 &P 页，共 &N 页", {"scale_with_doc": False})
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
           "FONT_SIZE", "MIN_PRINTED_PT", "PRINTABLE_WIDTH_PT", "column_pixels",
           "sheet_width_pt", "print_scale", "fits_page", "text_lines", "row_height",
           "open_workbook", "scratch_dir", "discard_scratch", "write_text", "write_number", "write_date", "write_header",
           "finish_sheet", "header_rows", "max_data_rows", "EXCEL_MAX_ROWS"]
