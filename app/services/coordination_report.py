"""重大项目服务专报 (seed 003 第十六条): a Word document for the city leader built from one or
more coordination requests — for each, the project, the problem, what was asked and of
whom, the history of its steps and what is asked of the leader. Written with python-docx
by the user job ``coordination_report`` (workers/kinds.py), in the job's user's scope."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy.orm import Session

from app import clock
from app.models import AppUser, CoordinationRequest
from app.security.scope import Scope, get_in_scope

from .coordination import step_label
from .errors import DomainValidationError
from .jobs import temp_path
from .people import names_of

TITLE = "重大项目服务专报"
FONT = "宋体"
TITLE_FONT = "黑体"


def _font(run, name: str = FONT, size: float = 12, bold: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold = name, Pt(size), bold
    # East-Asian text takes the eastAsia font, not the Latin one.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str, size: float = 12, bold: bool = False, font: str = FONT,
          align=None):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), font, size, bold)
    return p


def _heading(doc, text: str) -> None:
    _para(doc, text, 14, True, TITLE_FONT)


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_report(session: Session, requests: list[CoordinationRequest], out_path: str | Path,
                 as_of: dt.date | None = None) -> Path:
    """Write the 专报 of ``requests`` to ``out_path`` (.docx)."""
    as_of = as_of or clock.today()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    doc = Document()
    _para(doc, TITLE, 22, True, TITLE_FONT, WD_ALIGN_PARAGRAPH.CENTER)
    regions = "、".join(dict.fromkeys(r.region.name for r in requests))
    _para(doc, f"{regions}　{_chinese_date(as_of)}　共 {len(requests)} 项",
          12, align=WD_ALIGN_PARAGRAPH.CENTER)
    names = names_of(session, [s.user_id for r in requests for s in r.steps])
    for n, request in enumerate(requests, start=1):
        project = request.project
        _heading(doc, f"{_number(n)}、{project.name}：{request.title}")
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        owners = "、".join(str(o) for o in request.owners)
        for label, value in (
                ("项目名称", project.name), ("项目代码", project.code),
                ("所在地区", project.region.name),
                ("申报单位", project.applicant.name if project.applicant else ""),
                ("问题类别", str(request.category)), ("当前层级", str(request.level)),
                ("责任单位", owners), ("答复期限", request.due_on.isoformat()),
                ("发起时间", clock.display(request.created_at))):
            cells = table.add_row().cells
            _font(cells[0].paragraphs[0].add_run(label), bold=True)
            _font(cells[1].paragraphs[0].add_run(value or ""))
        _heading(doc, "（一）存在问题")
        _para(doc, request.problem)
        _heading(doc, "（二）期望结果")
        _para(doc, request.requested_outcome)
        _heading(doc, "（三）协调经过")
        for step in request.steps:
            who = names.get(step.user_id) or step.username or ""
            unit = f"（{step.org_unit.name}）" if step.org_unit is not None else ""
            line = f"{clock.display(step.at)}　{step_label(step.action)}　{who}{unit}"
            if step.comment:
                line += f"：{step.comment}"
            _para(doc, line, 11)
        _heading(doc, "（四）提请市领导协调事项")
        _para(doc, request.leader_ask or "（尚未提请市领导协调）")
    doc.save(out_path)
    return out_path


def _number(n: int) -> str:
    digits = "零一二三四五六七八九十"
    return digits[n] if n <= 10 else str(n)


def file_name(requests: list[CoordinationRequest], as_of: dt.date) -> str:
    return f"{TITLE}-{as_of:%Y%m%d}.docx"


def run_job(session: Session, ctx: object, request_ids: list[int]) -> Path:
    """The user job ``coordination_report``: every request must be in the user's scope."""
    user = session.get(AppUser, ctx.record.user_id)
    scope = Scope(user) if user is not None else None
    requests = [get_in_scope(session, CoordinationRequest, i, scope) if scope else None
                for i in request_ids or []]
    if not requests or any(r is None for r in requests):
        raise DomainValidationError({"requests": "没有这些协调事项。 No such coordination requests."})
    as_of = clock.today()
    final = ctx.output(file_name(requests, as_of))
    write_report(session, requests, temp_path(final), as_of)
    return final
