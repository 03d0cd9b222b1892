"""The 帮办服务方案 printed in seed 004 附录A's layout: the workbook (openpyxl: its sections,
merged cells, A4 portrait one page wide, the signature lines of both sides) and the file
printed by LibreOffice (headless, to PDF, read back with poppler). The render is skipped
only where LibreOffice is not installed (CI installs it: .ci/run)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest

from app.extensions import db
from app.models import ServicePlan
from app.services import service_plan_xlsx as plan_xlsx
from app.services import xlsx

from .printing import soffice_or_skip
from .test_service_plan import _signed, story  # noqa: F401  (the fixture)

A4_PORTRAIT_PT = (210 / 25.4 * 72, 297 / 25.4 * 72)
SECTIONS = ("单位\n基本信息", "重点建设项目基本信息", "帮办服务事项", "联系人信息",
            "行政审批各阶段帮办服务内容", "其他")
STAGES = ("立项用地\n规划阶段", "工程建设\n许可阶段", "施工许可阶段", "竣工验收阶段", "其他阶段\n（若有）")
# The story's plan: three items of seven rows each, two stages without items; with the
# basic information, contacts, clause and signatures it prints on two A4 pages.
PAGES = 2


@pytest.fixture()
def printed(app, world, story, tmp_path):  # noqa: F811
    plan_id = _signed(app, world, story)
    with app.app_context():
        plan = db.session.get(ServicePlan, plan_id)
        path = plan_xlsx.write_plan(plan, tmp_path / "plan.xlsx")
        return SimpleNamespace(path=path, code=plan.code, company=plan.company_signer,
                               assistant=plan.assistant_signer,
                               items=[i.name for i in plan.items])


def _values(ws) -> dict:
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
            if c.value not in (None, "")}


def test_the_workbook_has_appendix_a_sections_merged_cells_and_signature_lines(printed):
    book = openpyxl.load_workbook(printed.path)
    assert book.sheetnames == ["帮办服务方案"]
    ws = book.active
    values = _values(ws)
    texts = list(values.values())
    assert ws["A1"].value == "智能装备产业园项目行政审批帮办服务方案"
    assert f"服务方案编码：{printed.code}" in ws["A2"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:G1" in merged and "A2:G2" in merged
    # Each section's name in column A, merged down over its rows.
    for title in SECTIONS:
        (cell,) = [k for k, v in values.items() if v == title and k[1] == 1]
        spans = [r for r in ws.merged_cells.ranges if r.min_row == cell[0] and r.min_col == 1]
        if title != "其他":
            assert spans and spans[0].max_row > cell[0], title
    # Every stage of 附录A, with its rows; the items' rows and the completion record.
    for stage in STAGES:
        assert stage in texts, stage
    for label in ("单位名称", "单位地址", "单位性质", "项目负责人", "职务", "联系方式", "项目名称",
                  "项目地址", "项目代码", "总投资额（万元）", "资金来源", "总建筑面积\n（万平方米）",
                  "土地性质", "是否为重点建设项目", "项目主要用途及规模", "项目行政审批现状",
                  "具体的帮办服务内容", "项目联系人", "帮办员", "所在部门", "姓    名",
                  "需准备的材料清单及要求", "行政审批部门", "办理时限要求",
                  "行政事业性收费及收费方式", "帮办员与服务对象的分工情况", "其他需要说明的情况",
                  "其他需要\n说明的事项"):
        assert label in texts, label
    assert "☑民资" in " ".join(str(t) for t in texts) and "☑出让" in " ".join(map(str, texts))
    assert any(str(t).startswith("1. 建设用地规划许可申请表\n2. 土地出让合同\n3. 宗地图") for t in texts)
    records = [k for k, v in values.items() if str(v).startswith("完成情况记录")]
    assert len(records) == len(printed.items)
    first = min(records)
    span = next(r for r in ws.merged_cells.ranges if (r.min_row, r.min_col) == first)
    assert (span.max_row - span.min_row + 1, span.min_col, span.max_col) == (7, 6, 7)
    assert any("2026-03-10" in str(values[k]) for k in records)
    assert any("本方案不涉及本阶段" in str(t) for t in texts)
    # The termination clause and both signature lines, with the signatures given online.
    assert any(str(t).startswith("在项目帮办服务期间") for t in texts)
    (company,) = [k for k, v in values.items() if str(v).startswith("项目联系人（签字）：")]
    (assistant,) = [k for k, v in values.items() if str(v).startswith("帮办员（签字）：")]
    assert company[0] == assistant[0] and company[1] == 1 and assistant[1] == 5
    assert f"A{company[0]}:D{company[0]}" in merged and f"E{company[0]}:G{company[0]}" in merged
    assert "日期：     年   月   日" in values[company] and printed.company in values[company]
    assert printed.assistant in values[assistant]
    assert ws.max_row == company[0] + 1 and "服务方案编码" in values[(ws.max_row, 1)]
    # A4 portrait, one page wide, printed at 100 %.
    assert int(ws.page_setup.paperSize) == plan_xlsx.PAPER_A4
    assert ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToHeight) == 0
    width_pt = sum(round(d.width * 7) * 0.75 for d in ws.column_dimensions.values() if d.width)
    printable = plan_xlsx.A4_PORTRAIT_WIDTH_PT - 2 * plan_xlsx.MARGIN_IN * 72
    assert width_pt * xlsx.LAYOUT_SLACK <= printable
    # Borders on the merged cells' covered parts too (the grid prints whole).
    assert ws.cell(company[0], 2).border.top.style == "thin"


# -- printed by LibreOffice -----------------------------------------------------------------
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def test_printed_by_libreoffice_on_a4_portrait_with_the_signature_lines(printed, tmp_path):
    soffice = soffice_or_skip()
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(printed.path)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "plan.pdf"
    assert pdf.exists()
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(rf"^Pages:\s+{PAGES}$", info, re.M), info
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = bbox.split("<page ")[1:]
    for chunk in pages:
        size = tuple(map(float, PAGE.match("<page " + chunk).groups()))
        assert size == pytest.approx(A4_PORTRAIT_PT, abs=0.5)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    first, last = text.split("\f")[0], text.split("\f")[PAGES - 1]
    assert "行政审批帮办服务方案" in first and "单位名称" in first and "服务方案编码" in first
    assert "项目联系人（签字）" in last and "帮办员（签字）" in last and "年" in last
    assert "第 1 页，共 2 页" in first
    # A picture to look at (kept beside the test's files; copied for people when asked).
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "plan")],
                       check=True, timeout=60)
        shots = os.environ.get("PLAN_PRINT_SHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            for png in tmp_path.glob("plan*.png"):
                shutil.copy(png, Path(shots) / png.name)
