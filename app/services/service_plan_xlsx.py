"""The 帮办服务方案 as an .xlsx in seed 004 附录A's layout: A4 portrait, one page wide, the
signature lines of both sides at the end.

The sheet is planned as a grid first (cells and merged areas), then written row by row:
the workbook streams rows (``xlsx.open_workbook``), so a row cannot be written after a
later one, and merged areas are recorded over cells already written (``xlsx._merge``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app import clock
from app.models import (
    ApplicantNature,
    AppUser,
    FundingSource,
    LandNature,
    ListLevel,
    PlanStage,
    ServicePlan,
)
from app.security.scope import Scope, get_in_scope

from . import xlsx
from .errors import DomainValidationError
from .jobs import temp_path
from .service_plans import SERVICES, plan_title, sections

# Seven columns: section, label, value, label, value, label, value (width in digits).
WIDTHS = (4.5, 13, 16, 10, 15, 10, 16)
PAPER_A4 = 9
MARGIN_IN = 0.5
A4_PORTRAIT_WIDTH_PT = 210 / 25.4 * 72
STAGE_TITLES = {PlanStage.LAND: "立项用地\n规划阶段", PlanStage.ENGINEERING: "工程建设\n许可阶段",
                PlanStage.CONSTRUCTION: "施工许可阶段", PlanStage.COMPLETION: "竣工验收阶段",
                PlanStage.OTHER: "其他阶段\n（若有）"}
LIST_LEVEL_BOXES = {ListLevel.NATIONAL: "国家级", ListLevel.PROVINCIAL: "省级",
                    ListLevel.CITY: "市级", ListLevel.COUNTY: "县（市、区）级",
                    ListLevel.OTHER: "其他"}
SIGN_COMPANY = "项目联系人（签字）："
SIGN_ASSISTANT = "帮办员（签字）："
SIGN_DATE = "日期：     年   月   日"


def boxes(options: list[tuple[object, str]], chosen: object) -> str:
    """附录A's tick boxes: ☑ for the chosen option, □ for the others."""
    return "  ".join(("☑" if member == chosen else "□") + label for member, label in options)


def _enum_boxes(enum_cls, chosen) -> str:
    return boxes([(m, str.__str__(m.value)) for m in enum_cls], chosen)


@dataclass
class Grid:
    """Cells and merged areas of the sheet, written in row order at the end."""

    cells: dict = field(default_factory=dict)  # (row, col) → (value, style)
    merges: list = field(default_factory=list)
    heights: dict = field(default_factory=dict)
    row: int = 0

    def put(self, row: int, col: int, value: object, style: str = "value",
            last_row: int | None = None, last_col: int | None = None) -> None:
        self.cells[(row, col)] = (value, style)
        last_row, last_col = last_row or row, last_col or col
        if (last_row, last_col) != (row, col):
            self.merges.append((row, col, last_row, last_col))

    def height(self, row: int, texts_widths: list[tuple[object, float]]) -> None:
        """A row as tall as its most wrapped text (text, width in digits)."""
        lines = max([xlsx.text_lines(t, w) for t, w in texts_widths if t] or [1])
        self.heights[row] = max(self.heights.get(row, 0), xlsx.row_height(lines))


def _span_width(first: int, last: int) -> float:
    return sum(WIDTHS[first:last + 1])


def _plan_grid(plan: ServicePlan) -> Grid:
    g = Grid()
    g.put(0, 0, plan_title(plan), "title", last_col=6)
    g.heights[0] = 40
    g.put(1, 0, f"服务方案编码：{plan.code}　　第 {plan.version} 版　{plan.status}",
          "right", last_col=6)
    r = 2

    def line(label, value, section_rows=None):
        nonlocal r
        g.put(r, 1, label, "label")
        g.put(r, 2, value, "value", last_col=6)
        g.height(r, [(value, _span_width(2, 6)), (label, WIDTHS[1])])
        r += 1

    def section(title, first):
        g.put(first, 0, title, "section", last_row=r - 1)

    # 单位基本信息
    first = r
    line("单位名称", plan.applicant_name)
    line("单位地址", plan.applicant_address)
    line("单位性质", _enum_boxes(ApplicantNature, plan.applicant_nature))
    g.put(r, 1, "项目负责人", "label")
    g.put(r, 2, plan.leader)
    g.put(r, 3, "职务", "label")
    g.put(r, 4, plan.leader_title)
    g.put(r, 5, "联系方式", "label")
    g.put(r, 6, plan.leader_phone)
    r += 1
    section("单位\n基本信息", first)
    # 重点建设项目基本信息
    first = r
    line("项目名称", plan.project_name)
    line("项目地址", plan.project_address)
    line("项目代码", plan.project_code)
    for label, value, label2, value2 in (
            ("总投资额（万元）", plan.investment_wan, "资金来源",
             _enum_boxes(FundingSource, plan.funding_source)),
            ("总建筑面积\n（万平方米）", plan.floor_area_wan_m2, "土地性质",
             _enum_boxes(LandNature, plan.land_nature))):
        g.put(r, 1, label, "label")
        g.put(r, 2, value, "number")
        g.put(r, 3, label2, "label")
        g.put(r, 4, value2, "value", last_col=6)
        g.height(r, [(value2, _span_width(4, 6)), (label, WIDTHS[1])])
        r += 1
    line("是否为重点建设项目", boxes(list(LIST_LEVEL_BOXES.items()), plan.list_level))
    line("项目主要用途及规模", plan.main_use_scale)
    line("项目行政审批现状", plan.approval_status)
    section("重点建设项目基本信息", first)
    # 帮办服务事项
    first = r
    covered = [(plan.covers_land, "立项用地规划"), (plan.covers_engineering, "工程建设许可"),
               (plan.covers_construction, "施工许可"), (plan.covers_completion, "竣工验收"),
               (plan.covers_other, "其他" + (f"（{plan.other_stages}）" if plan.other_stages
                                           else ""))]
    line("帮办服务事项", "  ".join(("☑" if on else "□") + label for on, label in covered))
    content = "\n".join(("☑" if getattr(plan, ticked) else "□") + f"{label}："
                        + (getattr(plan, text) or "") for ticked, text, label, _d in SERVICES)
    line("具体的帮办服务内容", content)
    section("帮办服务事项", first)
    # 联系人信息
    first = r
    g.put(r, 1, "项目联系人", "label")
    g.put(r, 2, plan.contact_person, "value", last_col=4)
    g.put(r, 5, "联系方式", "label")
    g.put(r, 6, plan.contact_phone)
    r += 1
    assistants = plan.assistants or [None]
    g.put(r, 1, "帮办员", "label", last_row=r + 2 * len(assistants) - 1)
    for a in assistants:
        g.put(r, 2, "单位名称", "label")
        g.put(r, 3, a.unit if a else None, "value", last_col=4)
        g.put(r, 5, "所在部门", "label")
        g.put(r, 6, a.department if a else None)
        g.put(r + 1, 2, "姓    名", "label")
        g.put(r + 1, 3, a.name if a else None, "value", last_col=4)
        g.put(r + 1, 5, "联系方式", "label")
        g.put(r + 1, 6, a.phone if a else None)
        r += 2
    section("联系人信息", first)
    # 行政审批各阶段帮办服务内容
    first = r
    for stage, items in sections(plan):
        stage_first = r
        if not items:
            g.put(r, 2, "本方案不涉及本阶段的审批事项。", "value", last_col=6)
            g.height(r, [(STAGE_TITLES[stage], WIDTHS[1])])
            r += 1
        for item in items:
            materials = "\n".join(
                f"{n}. {m.name}" + (f"：{m.requirements}" if m.requirements else "")
                for n, m in enumerate(item.materials, start=1)) or "（无）"
            record = "完成情况记录（完成的时间、结果等）："
            if item.completed_on or item.completion_result:
                record += "\n" + " ".join(filter(None, (
                    item.completed_on.isoformat() if item.completed_on else None,
                    item.completion_result)))
            rows = (("审批事项", item.name),
                    ("需准备的材料清单及要求", materials),
                    ("行政审批部门", item.department.name if item.department else None),
                    ("办理时限要求", item.time_limit),
                    ("行政事业性收费及收费方式", item.fees),
                    ("帮办员与服务对象的分工情况", item.division_of_labour),
                    ("其他需要说明的情况", item.notes))
            item_first = r
            for label, value in rows:
                g.put(r, 2, label, "label")
                g.put(r, 3, value, "value", last_col=4)
                g.height(r, [(value, _span_width(3, 4)), (label, WIDTHS[2])])
                r += 1
            g.put(item_first, 5, record, "record", last_row=r - 1, last_col=6)
        g.put(stage_first, 1, STAGE_TITLES[stage], "label", last_row=r - 1)
    section("行政审批各阶段帮办服务内容", first)
    first = r
    line("其他需要\n说明的事项", plan.notes)
    section("其他", first)
    # The termination clause, then both signatures.
    g.put(r, 0, plan.termination_clause, "clause", last_col=6)
    g.height(r, [(plan.termination_clause, _span_width(0, 6))])
    r += 1
    company = f"{SIGN_COMPANY}\n\n\n{SIGN_DATE}"
    assistant = f"{SIGN_ASSISTANT}\n\n\n{SIGN_DATE}"
    if plan.company_signed_at:
        company += f"\n（已于 {clock.display(plan.company_signed_at)} 在线确认：{plan.company_signer}）"
    if plan.assistant_signed_at:
        assistant += (f"\n（已于 {clock.display(plan.assistant_signed_at)} 在线确认："
                      f"{plan.assistant_signer}）")
    g.put(r, 0, company, "sign", last_col=3)
    g.put(r, 4, assistant, "sign", last_col=6)
    g.heights[r] = 96
    r += 1
    g.put(r, 0, "备注：“服务方案编码”使用“项目代码”。", "note", last_col=6)
    g.row = r + 1
    return g


def _formats(workbook) -> dict:
    base = {"font_name": xlsx.FONT, "font_size": xlsx.FONT_SIZE, "valign": "vcenter",
            "text_wrap": True}
    boxed = {**base, "border": 1}
    return {
        "title": workbook.add_format({**base, "bold": True, "font_size": xlsx.TITLE_SIZE,
                                      "align": "center"}),
        "right": workbook.add_format({**base, "align": "right"}),
        "section": workbook.add_format({**boxed, "bold": True, "align": "center"}),
        "label": workbook.add_format({**boxed, "align": "center"}),
        "value": workbook.add_format(boxed),
        "number": workbook.add_format({**boxed, "num_format": "#,##0.00##"}),
        "record": workbook.add_format({**boxed, "valign": "top"}),
        "clause": workbook.add_format(boxed),
        "sign": workbook.add_format({**boxed, "valign": "top"}),
        "note": workbook.add_format(base),
    }


def write_plan(plan: ServicePlan, out_path: str | Path) -> Path:
    """Write ``plan`` to ``out_path`` (A4 portrait, one page wide)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    grid = _plan_grid(plan)
    covered = {}
    for r0, c0, r1, c1 in grid.merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered[(r, c)] = grid.cells[(r0, c0)][1]
    workbook = xlsx.open_workbook(out_path)
    try:
        fmt = _formats(workbook)
        ws = workbook.add_worksheet("帮办服务方案")
        ws.set_paper(PAPER_A4)
        ws.set_portrait()
        ws.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C&\"宋体\"&10第 &P 页，共 &N 页")
        for col, width in enumerate(WIDTHS):
            ws.set_column(col, col, width)
        for r in range(grid.row):
            if r in grid.heights:
                ws.set_row(r, grid.heights[r])
            for c in range(len(WIDTHS)):
                if (r, c) in grid.cells:
                    value, style = grid.cells[(r, c)]
                    if style == "number" and value is not None:
                        ws.write_number(r, c, float(value), fmt[style])
                    else:
                        xlsx.write_text(ws, r, c, value, fmt[style])
                elif (r, c) in covered:
                    ws.write_blank(r, c, None, fmt[covered[(r, c)]])
        for r0, c0, r1, c1 in grid.merges:
            xlsx._merge(ws, r0, c0, r1, c1)
        workbook.close()
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    finally:
        xlsx.discard_scratch(out_path)
    return out_path


def file_name(plan: ServicePlan) -> str:
    return f"帮办服务方案-{plan.code}-v{plan.version}.xlsx"


def run_job(session: Session, ctx: object, plan_id: int) -> Path:
    """The user job ``service_plan_xlsx``: the row's user must see the plan (scope)."""
    user = session.get(AppUser, ctx.record.user_id)
    plan = get_in_scope(session, ServicePlan, plan_id, Scope(user)) if user else None
    if plan is None:
        raise DomainValidationError({"plan": "没有这个服务方案。 No such service plan."})
    final = ctx.output(file_name(plan))
    write_plan(plan, temp_path(final))
    return final
