"""The 重大项目推进台账 printed on A3 is readable at the meeting table: no text under 9 pt
once fit-to-width has done its work, town names wrapped inside their cells, a 合计 row,
存在问题 and 下步计划, the screens' column names.

Two checks: the workbook itself (openpyxl: fonts × the scale fit-to-width must apply,
computed from the column widths the file holds), and the file printed by LibreOffice
(headless, to PDF; read back with poppler's pdfinfo and pdftotext). The render is skipped
only where LibreOffice is not installed (CI installs it: .ci/run)."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from app import ledgers
from app.extensions import db
from app.models import Applicant, AppUser, OrgUnit, Project, Region, RegionLevel
from app.security.scope import Scope
from app.services import xlsx
from app.views.labels import LABELS
from app.views.projects import ProjectView

from . import factories as f
from .printing import soffice_or_skip

AS_OF = dt.date(2026, 11, 23)
A3_LANDSCAPE_PT = (420 / 25.4 * 72, 297 / 25.4 * 72)
MIN_PT = 9.0
LONG_TOWN = "甲县高新技术产业开发区管理委员会"
PROBLEM = ("施工图审查意见涉及消防车道宽度和人防地下室面积，需设计单位修改后重新提交，"
           "并同步征求消防救援大队意见")
NEXT_STEP = "11月底前完成施工图修改并复审；同步准备施工许可申报材料，帮办员每周跟进"


@pytest.fixture(scope="module")
def printed(app, world):
    """County a: the world's project, and two more with a long town name and long notes."""
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        applicant = db.session.get(Applicant, world.a.applicant.id)
        town = f.region(LONG_TOWN, "990001099", RegionLevel.TOWN, region)
        first = f.project(region, applicant, name="智能数控装备产业园一期项目",
                          code="2026-990001-34-03-000118", town=town)
        first.investment_wan = Decimal("85000")
        first.problems, first.next_steps = PROBLEM, NEXT_STEP
        second = f.project(region, applicant, name="海安港物流中心仓储项目",
                           code="2026-990001-59-03-000256")
        second.investment_wan = Decimal("24000.5")
        db.session.commit()
        out = Path(app.config["FILES_DIR"]) / "print-test" / "projects.xlsx"
        clerk = db.session.get(AppUser, world.a.users["clerk"].id)
        rows = ledgers.build_project_ledger(db.session, Scope(clerk), {}, out, as_of=AS_OF)
        invested = sum(p.investment_wan for p in db.session.query(Project).filter(
            Project.region_id == region.id))
    assert rows == 3
    return SimpleNamespace(path=out, rows=rows, invested=float(invested))


# -- the workbook ---------------------------------------------------------------------------

def _printed_width_pt(ws) -> float:
    """The sheet's width as Excel prints it: each column's pixels (the file stores
    pixels / 7, Arial 10's digit) at 0.75 pt per pixel."""
    total = 0.0
    for dim in ws.column_dimensions.values():
        if dim.width:
            total += round(dim.width * 7) * (dim.max - dim.min + 1) * 0.75
    return total


def _fit_scale(ws) -> float:
    """The factor A3 landscape, fit to one page wide, prints this sheet at."""
    assert int(ws.page_setup.paperSize) == xlsx.PAPER_A3
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth in (None, 1) and int(ws.page_setup.fitToHeight) == 0
    printable = A3_LANDSCAPE_PT[0] - (ws.page_margins.left + ws.page_margins.right) * 72
    return min(1.0, printable / _printed_width_pt(ws))


def test_no_text_prints_under_9_pt(printed):
    book = openpyxl.load_workbook(printed.path)
    assert book.sheetnames == ["重大项目推进台账", "各阶段办理情况"]
    for ws in book.worksheets:
        scale = _fit_scale(ws)
        sizes = {c.font.sz for row in ws.iter_rows() for c in row if c.value not in (None, "")}
        footer = ws.oddFooter.center
        assert footer.text == "第 &P 页，共 &N 页" and footer.size
        smallest = min(sizes | {float(footer.size)})
        assert smallest * scale >= MIN_PT, (ws.title, smallest, scale)
        # It prints at 100 %: the columns were chosen to fit the width, not shrunk to it.
        assert scale == 1.0, (ws.title, scale)


def test_the_layout_fits_the_page_however_many_stages_and_measures():
    """Sixteen stages and eight measure columns: further worksheets, each fitting A3, each
    starting with 序号, 项目代码 and 项目名称."""
    stages = [(i, f"第{i}阶段审批事项") for i in range(16)]
    measures = [SimpleNamespace(header=f"创新举措{i}", width=26) for i in range(8)]
    main, parts = ledgers.projects.layout(stages, measures)
    names = [p.name for p in parts]
    assert names[0] == "各阶段办理情况" and names[1].startswith("各阶段办理情况（续")
    assert "创新举措" in names and len(set(names)) == len(names)
    for columns in [main] + [p.columns for p in parts]:
        assert [c.title for c in columns[:3]] == ["序号", "项目代码", "项目名称"]
        widths = [c.width for c in columns]
        assert xlsx.fits_page(widths)
        assert xlsx.FONT_SIZE * xlsx.print_scale(widths) >= MIN_PT
    # Every stage and every measure is somewhere, once.
    keys = [c.key for p in parts for c in p.columns[3:]]
    assert keys == [f"s{i}{s}" for i in range(16) for s in ("", "_on")] + [
        f"m{i}" for i in range(8)]


def test_columns_carry_the_screens_names(app, printed):
    """Each column the project screens also show has the screen's label (in Chinese)."""
    from flask_babel import force_locale

    ws = openpyxl.load_workbook(printed.path).worksheets[0]
    columns = ledgers.projects.main_columns()
    checked = []
    with app.test_request_context(), force_locale("zh"):
        labels = {**LABELS, **ProjectView.label_columns}
        for i, col in enumerate(columns, start=1):
            header = ws.cell(3, i).value if col.group is None else ws.cell(4, i).value
            assert header == col.title
            if col.key in labels:
                assert col.title == str(labels[col.key]), col.key
                checked.append(col.key)
    assert {"code", "name", "applicant", "region", "town", "list_level", "list_year",
            "investment_wan", "assistants", "current_stage", "status", "problems",
            "next_steps"} <= set(checked)


def test_the_sum_row_and_the_notes(printed):
    ws = openpyxl.load_workbook(printed.path).worksheets[0]
    header_rows = 4
    total_row = header_rows + printed.rows + 1
    assert ws.max_row == total_row
    total = [c.value for c in ws[total_row]]
    assert total[0] == "合计" and total[2] == "共 3 个项目"
    assert total[8] == pytest.approx(printed.invested)
    assert all(c.font.b for c in ws[total_row] if c.value is not None)
    # The autofilter (sorting at the table) leaves the 合计 row out.
    assert ws.auto_filter.ref == f"A4:{get_column_letter(ws.max_column)}{total_row - 1}"
    rows = {r[1].value: r for r in ws.iter_rows(min_row=5, max_row=total_row - 1)}
    first = rows["2026-990001-34-03-000118"]
    assert (first[16].value, first[17].value) == (PROBLEM, NEXT_STEP)
    assert first[5].value == LONG_TOWN and first[5].alignment.wrap_text
    # Rows are as tall as their wrapped text: the long notes need four lines of 10 pt.
    assert ws.row_dimensions[first[0].row].height >= 4 * 13


# -- printed by LibreOffice -----------------------------------------------------------------

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                  r'([^<]*)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def _cjk(text: str) -> bool:
    return bool(text) and all(0x4E00 <= ord(ch) <= 0x9FFF for ch in text)


def _render(xlsx_path: Path, out: Path) -> SimpleNamespace:
    """The workbook printed by LibreOffice to PDF, read back word by word (with boxes)."""
    soffice = soffice_or_skip()
    # A profile of its own: another LibreOffice running on the machine cannot interfere.
    profile = (out / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(out), str(xlsx_path)],
                   check=True, capture_output=True, timeout=180)
    path = out / (xlsx_path.stem + ".pdf")
    assert path.exists()
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    pages = []
    for chunk in bbox.split("<page ")[1:]:
        width, height = map(float, PAGE.match("<page " + chunk).groups())
        words = [(float(a), float(b), float(c), float(d), w)
                 for a, b, c, d, w in WORD.findall(chunk)]
        pages.append(SimpleNamespace(width=width, height=height, words=words,
                                     text=" ".join(w[4] for w in words)))
    return SimpleNamespace(path=path, info=info, pages=pages)


@pytest.fixture(scope="module")
def pdf(printed, tmp_path_factory):
    return _render(printed.path, tmp_path_factory.mktemp("ledger-pdf"))


def test_printed_pages(pdf):
    """Three projects: one A3 landscape page per worksheet, numbered in the footer."""
    assert re.search(r"^Pages:\s+2$", pdf.info, re.M)
    assert len(pdf.pages) == 2
    for n, page in enumerate(pdf.pages, start=1):
        assert (page.width, page.height) == pytest.approx(A3_LANDSCAPE_PT, abs=0.5)
        assert f"第 {n} 页，共 2 页" in page.text
        # Nothing runs past the side margins (a column cut off to a page of its own).
        margin = xlsx.MARGIN_SIDE_IN * 72
        assert all(margin - 1 <= w[0] and w[2] <= page.width - margin + 1 for w in page.words)
    main, stages = pdf.pages
    for text in ("重大项目推进台账", "存在问题", "下步计划", "预警与督办", "合计", "共 3 个项目",
                 "帮办员", "110,000.50"):
        assert text in main.text, text
    assert "各阶段办理情况" in stages.text and "前期策划生成" in stages.text


def test_printed_text_is_at_least_9_pt(pdf):
    """A CJK character is one em wide: each all-CJK word's width per character is the size
    it was printed at, headers, cells and footer alike."""
    sizes = [((x1 - x0) / len(w), w) for page in pdf.pages
             for x0, _y0, x1, _y1, w in page.words if _cjk(w)]
    assert len(sizes) > 50
    smallest = min(sizes)
    assert smallest[0] >= MIN_PT, smallest


def test_printed_town_name_wraps_inside_its_cell(pdf):
    """The long town name is on two lines, both inside the town column (between its
    header's neighbours), not running over the next cell."""
    main = pdf.pages[0]

    def header_x(title):  # a header's first line
        (word,) = [w for w in main.words if w[4] == title]
        return word

    region, level = header_x("行政区划"), header_x("项目级")
    # The pieces of the name right of the 行政区划 column, top to bottom.
    pieces = sorted((w for w in main.words if w[4] and w[4] in LONG_TOWN and w[0] > region[2]),
                    key=lambda w: w[1])
    assert "".join(w[4] for w in pieces) == LONG_TOWN
    assert len({round(w[1]) for w in pieces}) >= 2  # more than one line
    assert all(w[2] < level[0] for w in pieces)  # each ends before the next column


# -- 审批事项台账 -----------------------------------------------------------------------------
LONG_ITEM = "公众聚集场所投入使用、营业前消防安全检查"
ITEM_CODE = "2026-990001-34-03-000777"


@pytest.fixture(scope="module")
def items_pdf(app, world, tmp_path_factory):
    """County a's items, one with a name that wraps onto a second line, and the next row."""
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        applicant = db.session.get(Applicant, world.a.applicant.id)
        department = db.session.get(OrgUnit, world.a.department.id)
        project = f.project(region, applicant, name="智能数控装备产业园一期项目", code=ITEM_CODE)
        f.item(project, department, name=LONG_ITEM)
        f.item(project, department, name="施工图审查")
        db.session.commit()
        out = Path(app.config["FILES_DIR"]) / "print-test" / "items.xlsx"
        clerk = db.session.get(AppUser, world.a.users["clerk"].id)
        ledgers.build_item_ledger(db.session, Scope(clerk), {}, out, as_of=AS_OF)
        # The file holds what the tests read: the project goes again, so that the project
        # ledger of ``printed`` (set up before or after this, in random order) counts only
        # its own three.
        db.session.delete(project)
        db.session.commit()
    return _render(out, tmp_path_factory.mktemp("items-pdf"))


def test_printed_item_rows_hold_their_wrapped_text(items_pdf):
    """The whole project code prints (its column is wide enough), text is 9 pt or more, and
    a name that wraps stays inside its row: its second line ends above the next row's text
    (LibreOffice does not re-measure rows, so the file must give the height)."""
    words = [w for page in items_pdf.pages for w in page.words]
    assert ITEM_CODE in [w[4] for w in words]
    sizes = [(w[2] - w[0]) / len(w[4]) for w in words if _cjk(w[4])]
    assert min(sizes) >= MIN_PT
    pieces = sorted((w for w in words if w[4] and w[4] in LONG_ITEM and len(w[4]) > 1),
                    key=lambda w: w[1])
    assert "".join(w[4] for w in pieces) == LONG_ITEM
    assert len({round(w[1]) for w in pieces}) == 2  # two lines
    (next_name,) = [w for w in words if w[4] == "施工图审查"]
    assert next_name[1] > pieces[-1][3], "the next row starts below the wrapped name"
