"""The meeting's two workbooks, to the ledger standard (``app.services.xlsx``):

- **会议材料 (meeting pack)**, before the meeting: one row per agenda project with its
  status, why it is on the agenda, open items and those due within two weeks, open cards,
  open coordination requests (``REQUEST_SOURCES``) and open decisions; A3 landscape, fit
  to one page wide, header rows repeated on every page, a red/yellow fill for carded rows.
- **会议纪要 (minutes)**, after the meeting: the meeting's particulars, the minutes and the
  decisions (议定事项) with owner, due date and status; A4 landscape, fit to width.

Both are user jobs (``workers/kinds.py``) whose user must see the meeting; the rows they
list are those the user's scope shows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    ApprovalItem,
    AppUser,
    CardLevel,
    Decision,
    ItemStatus,
    Meeting,
    Project,
    TaskForceMember,
    WarningCard,
)
from app.security.scope import Scope, get_in_scope, scoped

from . import xlsx
from .errors import DomainValidationError
from .jobs import temp_path
from .meetings import DUE_SOON_DAYS, open_decisions

C = xlsx.Column
PAPER_A4 = 9

PACK_COLUMNS = [
    C("seq", "序号", 5, "int"),
    C("code", "项目代码", 14, "wrap", group="项目"),
    C("name", "项目名称", 18, "wrap", group="项目"),
    C("region", "所在地区", 8, "center", group="项目"),
    C("stage", "当前阶段", 10, "wrap", group="项目"),
    C("status", "项目状态", 7, "center", group="项目"),
    C("reason", "上会原因", 16, "wrap"),
    C("open_items", "在办事项", 6, "int", group="审批事项"),
    C("due_soon", "两周内到期事项", 18, "wrap", group="审批事项"),
    C("cards", "红黄牌预警", 16, "wrap", group="待解决问题"),
    C("requests", "待协调事项", 16, "wrap", group="待解决问题"),
    C("decisions", "待落实议定事项", 20, "wrap", group="待解决问题"),
    C("problems", "存在问题", 16, "wrap", group="项目推进"),
    C("next_steps", "下步计划", 16, "wrap", group="项目推进"),
]

# Open coordination requests per agenda project, for the 待协调事项 column: functions
# (session, meeting, project ids, scope) → {project id: text}.
RequestSource = Callable[[Session, Meeting, list[int], Scope], dict[int, str]]


def open_coordination_requests(session: Session, meeting: Meeting, project_ids: list[int],
                               scope: Scope) -> dict[int, str]:
    """Each agenda project's requests not yet resolved, as the user's scope shows them: one
    line each, "title（level · status，due date）"."""
    from app.models import CoordinationRequest, CoordinationStatus

    stmt = scoped(select(CoordinationRequest).where(
        CoordinationRequest.project_id.in_(project_ids),
        CoordinationRequest.status != CoordinationStatus.RESOLVED)
        .order_by(CoordinationRequest.due_on, CoordinationRequest.id), CoordinationRequest, scope)
    lines: dict[int, list[str]] = {}
    for r in session.scalars(stmt):
        lines.setdefault(r.project_id, []).append(
            f"{r.title}（{r.level} · {r.status}，{r.due_on.isoformat()}）")
    return {pid: "\n".join(texts) for pid, texts in lines.items()}


REQUEST_SOURCES: list[RequestSource] = [open_coordination_requests]


@dataclass
class PackRow:
    seq: int
    code: str
    name: str
    region: str
    stage: str
    status: str
    reason: str
    open_items: int
    due_soon: str
    cards: str
    requests: str
    decisions: str
    problems: str
    next_steps: str
    fill: str | None  # "red" / "yellow" when the project has open cards


def _label(member) -> str:
    return "" if member is None else str.__str__(member.value)


def meeting_heading(meeting: Meeting) -> str:
    return f"{meeting.region.name}{_label(meeting.kind)}：{meeting.title}"


def pack_rows(session: Session, meeting: Meeting, scope: Scope, today: dt.date
              ) -> list[PackRow]:
    """The pack's rows: the agenda projects the scope shows, in agenda order."""
    agenda = [a for a in meeting.agenda]
    visible = set(session.scalars(scoped(select(Project.id).where(
        Project.id.in_([a.project_id for a in agenda])), Project, scope)))
    agenda = [a for a in agenda if a.project_id in visible]
    ids = [a.project_id for a in agenda]
    open_items = dict(session.execute(
        select(ApprovalItem.project_id, func.count()).where(
            ApprovalItem.project_id.in_(ids),
            ApprovalItem.status.in_([s for s in ItemStatus if s.is_open]))
        .group_by(ApprovalItem.project_id)).all()) if ids else {}
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    due: dict[int, list[str]] = {}
    for pid, name, due_on in session.execute(
            select(ApprovalItem.project_id, ApprovalItem.name, ApprovalItem.due_on).where(
                ApprovalItem.project_id.in_(ids),
                ApprovalItem.status.in_((ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_WITH_GAPS)),
                ApprovalItem.due_on >= today, ApprovalItem.due_on <= horizon)
            .order_by(ApprovalItem.due_on, ApprovalItem.id)):
        due.setdefault(pid, []).append(f"{name}（{due_on.isoformat()}到期）")
    cards: dict[int, list[WarningCard]] = {}
    card_stmt = scoped(select(WarningCard).where(
        WarningCard.project_id.in_(ids), WarningCard.cleared_at.is_(None))
        .order_by(WarningCard.due_on, WarningCard.id),
        WarningCard, scope)
    for card in session.scalars(card_stmt):
        cards.setdefault(card.project_id, []).append(card)
    decisions = open_decisions(session, ids, scope)
    requests: dict[int, list[str]] = {}
    for source in REQUEST_SOURCES:
        for pid, text in source(session, meeting, ids, scope).items():
            requests.setdefault(pid, []).append(text)
    rows = []
    for n, a in enumerate(agenda, start=1):
        p = a.project
        own = sorted(cards.get(p.id, []), key=lambda c: c.level != CardLevel.RED)
        levels = {c.level for c in own}
        fill = "red" if CardLevel.RED in levels else "yellow" if levels else None
        rows.append(PackRow(
            seq=n, code=p.code, name=p.name, region=(p.town or p.region).name,
            stage=p.current_stage.name if p.current_stage else "",
            status=_label(p.status), reason=a.reason or "",
            open_items=open_items.get(p.id, 0), due_soon="\n".join(due.get(p.id, [])),
            cards="\n".join(f"{_label(c.level)}·{_label(c.subject)}：{c.title}"
                            + (f"（{c.due_on.isoformat()}）" if c.due_on else "")
                            for c in own),
            requests="\n".join(requests.get(p.id, [])),
            decisions="\n".join(f"{d.content}（{d.owner_unit.name}，{d.due_on.isoformat()}前）"
                                for d in decisions.get(p.id, [])),
            problems=p.problems or "", next_steps=p.next_steps or "", fill=fill))
    return rows


def _people(meeting: Meeting) -> tuple[str, str]:
    """The attendees: people (name and 职务) and units, each joined in roster order."""
    members: list[TaskForceMember] = [a.member for a in meeting.attendees]
    people = [" ".join(filter(None, (m.person_name, m.title))) for m in members if m.person_name]
    units = [m.org_unit.name for m in members if m.org_unit is not None and not m.person_name]
    return "、".join(people), "、".join(units)


def write_pack(session: Session, meeting: Meeting, scope: Scope, out_path: str | Path,
               today: dt.date | None = None) -> int:
    """Write the meeting pack; returns the number of project rows."""
    today = today or clock.today()
    rows = pack_rows(session, meeting, scope, today)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    chair = str(meeting.chair) if meeting.chair else ""
    people, units = _people(meeting)
    subtitle = "；".join(filter(None, (
        f"会议时间：{meeting.held_on.isoformat()}",
        f"地点：{meeting.location}" if meeting.location else "",
        f"主持：{chair}" if chair else "",
        f"参会人员：{people}" if people else "", f"参会单位：{units}" if units else "",
        "导出时间：" + clock.now().strftime(clock.DISPLAY_FORMAT))))
    workbook = xlsx.open_workbook(out_path)
    try:
        formats = xlsx.Formats(workbook)
        ws = workbook.add_worksheet("会议材料")
        first = xlsx.write_header(ws, formats, PACK_COLUMNS,
                                  f"{meeting_heading(meeting)}会议材料", subtitle, 3)
        wrapped = [(c.key, c.width) for c in PACK_COLUMNS if c.kind == "wrap"]
        r = first
        for row in rows:
            tall = max(xlsx.text_lines(getattr(row, key), width) for key, width in wrapped)
            if tall > 1:
                ws.set_row(r, xlsx.row_height(tall))
            for col, column in enumerate(PACK_COLUMNS):
                value = getattr(row, column.key)
                fmt = formats.cell(column.kind, row.fill)
                if column.kind == "int":
                    xlsx.write_number(ws, r, col, value, fmt)
                else:
                    xlsx.write_text(ws, r, col, value, fmt)
            r += 1
        xlsx.finish_sheet(ws, formats, first - 1, r - 1, len(PACK_COLUMNS))
        workbook.close()
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    finally:
        xlsx.discard_scratch(out_path)
    return len(rows)


# -- the minutes ---------------------------------------------------------------------------
MINUTES_WIDTHS = (10, 20, 38, 18, 11, 9, 24)  # the first column holds the labels too
MINUTES_HEADER = ("序号", "涉及项目", "议定事项", "责任单位", "完成时限", "落实状态", "落实情况")


def decision_rows(session: Session, meeting: Meeting, scope: Scope) -> list[Decision]:
    return list(session.scalars(scoped(select(Decision).where(
        Decision.meeting_id == meeting.id).order_by(Decision.id), Decision, scope)))


def write_minutes(session: Session, meeting: Meeting, scope: Scope, out_path: str | Path
                  ) -> int:
    """Write the minutes with the decisions; returns the number of decisions."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    decisions = decision_rows(session, meeting, scope)
    last = len(MINUTES_WIDTHS) - 1
    value_width = sum(MINUTES_WIDTHS[1:])
    people, units = _people(meeting)
    particulars = [
        ("会议类型", _label(meeting.kind)),
        ("会议时间", meeting.held_on.isoformat()),
        ("会议地点", meeting.location or ""),
        ("主持人", str(meeting.chair) if meeting.chair else ""),
        ("参会人员", people),
        ("参会单位", units),
        ("议题项目", "\n".join(f"{n}. {a.project.name}（{a.project.code}）"
                           for n, a in enumerate(meeting.agenda, start=1))),
        ("会议纪要", meeting.minutes or ""),
    ]
    workbook = xlsx.open_workbook(out_path)
    try:
        base = {"font_name": xlsx.FONT, "font_size": xlsx.FONT_SIZE, "valign": "vcenter",
                "text_wrap": True, "border": 1}
        f_title = workbook.add_format({**base, "border": 0, "bold": True,
                                       "font_size": xlsx.TITLE_SIZE, "align": "center"})
        f_label = workbook.add_format({**base, "bold": True, "align": "center"})
        f_value = workbook.add_format({**base, "valign": "top"})
        f_head = workbook.add_format({**base, "bold": True, "align": "center",
                                      "bg_color": "#D9E1F2"})
        f_cell = workbook.add_format(base)
        f_center = workbook.add_format({**base, "align": "center"})
        ws = workbook.add_worksheet("会议纪要")
        ws.set_paper(PAPER_A4)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=xlsx.MARGIN_SIDE_IN, right=xlsx.MARGIN_SIDE_IN,
                       top=xlsx.MARGIN_TOP_IN, bottom=xlsx.MARGIN_TOP_IN)
        ws.set_footer(f"&C&{xlsx.FONT_SIZE}第 &P 页，共 &N 页", {"scale_with_doc": False})
        for col, width in enumerate(MINUTES_WIDTHS):
            ws.set_column(col, col, width)
        merges = []
        ws.set_row(0, 36)
        xlsx.write_text(ws, 0, 0, f"{meeting_heading(meeting)}会议纪要", f_title)
        for c in range(1, last + 1):
            ws.write_blank(0, c, None, f_title)
        merges.append((0, 0, 0, last))
        r = 1
        for label, value in particulars:
            ws.set_row(r, xlsx.row_height(max(xlsx.text_lines(value, value_width),
                                              xlsx.text_lines(label, MINUTES_WIDTHS[0]))))
            xlsx.write_text(ws, r, 0, label, f_label)
            xlsx.write_text(ws, r, 1, value, f_value)
            for c in range(2, last + 1):
                ws.write_blank(r, c, None, f_value)
            merges.append((r, 1, r, last))
            r += 1
        ws.set_row(r, 24)
        xlsx.write_text(ws, r, 0, "议定事项", f_label)
        for c in range(1, last + 1):
            ws.write_blank(r, c, None, f_label)
        merges.append((r, 0, r, last))
        r += 1
        for c, title in enumerate(MINUTES_HEADER):
            xlsx.write_text(ws, r, c, title, f_head)
        header_row = r
        r += 1
        for n, d in enumerate(decisions, start=1):
            outcome = " ".join(filter(None, (
                clock.display(d.closed_at) if d.closed_at else "", d.closed_by or "",
                d.close_note or "")))
            values = (n, d.project.name if d.project else "（综合）", d.content,
                      d.owner_unit.name, d.due_on, _label(d.status), outcome)
            tall = max(xlsx.text_lines(str(v), w) for v, w in zip(values, MINUTES_WIDTHS,
                                                                   strict=True))
            ws.set_row(r, xlsx.row_height(tall))
            xlsx.write_number(ws, r, 0, n, f_center)
            xlsx.write_text(ws, r, 1, values[1], f_cell)
            xlsx.write_text(ws, r, 2, values[2], f_cell)
            xlsx.write_text(ws, r, 3, values[3], f_cell)
            xlsx.write_text(ws, r, 4, d.due_on.isoformat(), f_center)
            xlsx.write_text(ws, r, 5, values[5], f_center)
            xlsx.write_text(ws, r, 6, outcome, f_cell)
            r += 1
        if not decisions:
            xlsx.write_text(ws, r, 0, "本次会议未形成议定事项。", f_cell)
            for c in range(1, last + 1):
                ws.write_blank(r, c, None, f_cell)
            merges.append((r, 0, r, last))
            r += 1
        ws.repeat_rows(header_row, header_row)
        for m in merges:
            xlsx._merge(ws, *m)
        workbook.close()
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise
    finally:
        xlsx.discard_scratch(out_path)
    return len(decisions)


# -- the user jobs ------------------------------------------------------------------------
def _meeting_of_job(session: Session, ctx: object, meeting_id: int) -> tuple[Meeting, Scope]:
    user = session.get(AppUser, ctx.record.user_id)
    scope = Scope(user) if user else None
    meeting = get_in_scope(session, Meeting, meeting_id, scope) if user else None
    if meeting is None:
        raise DomainValidationError({"meeting": "没有这个会议。 No such meeting."})
    return meeting, scope


def pack_file_name(meeting: Meeting) -> str:
    return f"会议材料-{meeting.held_on:%Y%m%d}-{meeting.id}.xlsx"


def minutes_file_name(meeting: Meeting) -> str:
    return f"会议纪要-{meeting.held_on:%Y%m%d}-{meeting.id}.xlsx"


def run_pack_job(session: Session, ctx: object, meeting_id: int) -> Path:
    """The user job ``meeting_pack``."""
    meeting, scope = _meeting_of_job(session, ctx, meeting_id)
    final = ctx.output(pack_file_name(meeting))
    write_pack(session, meeting, scope, temp_path(final))
    return final


def run_minutes_job(session: Session, ctx: object, meeting_id: int) -> Path:
    """The user job ``meeting_minutes``."""
    meeting, scope = _meeting_of_job(session, ctx, meeting_id)
    final = ctx.output(minutes_file_name(meeting))
    write_minutes(session, meeting, scope, temp_path(final))
    return final
