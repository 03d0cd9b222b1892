"""对接需求 and 帮办服务方案 (seed 004 §6.1–6.2, 附录A; seed 002 一项目一方案): the commands.

A plan is generated from the project, its applicant and its approval items, completed by
the assistant, sent to the departments of its items for their opinion, then explained and
signed by both sides: the enterprise's contact (an enterprise user of the project's
applicant) and the project's lead assistant. A signed plan is never edited: a change makes
the next version (a copy), which both sides sign again; the earlier versions stay as they
were signed. Each command checks the rules, flushes, never commits; a refusal is a
``DomainValidationError`` whose messages follow the UI's language (Chinese by default).
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app.clock import utcnow
from app.models import (
    ApprovalItem,
    AppUser,
    IntakeRecord,
    ItemStatus,
    PlanAssistant,
    PlanItem,
    PlanMaterial,
    PlanOpinion,
    PlanStage,
    PlanStatus,
    Project,
    ProjectAssistant,
    ServicePlan,
)
from app.security import roles
from app.security.scope import role_names

from . import workflow_files
from .card_notices import unit_officer_ids
from .errors import DomainValidationError
from .notifications import notify

# 附录A: the termination clause printed on every plan.
TERMINATION_CLAUSE = (
    "在项目帮办服务期间，因出现下列情况导致帮办服务无法进行的，帮办服务终止：\n"
    "（一）服务对象主动要求终止的；\n"
    "（二）申请材料不符合法定条件、标准，且不能补正的；\n"
    "（三）因法律、法规等修改、废止或者国家政策调整的原因不能继续审批的；\n"
    "（四）违反国家和省有关法律法规规定，在安全生产、企业经营、环境保护、社会信用等方面"
    "出现重大责任事故或重大问题，造成严重影响的。")

# The project's stages (app/models/stages.py) as 附录A's five.
STAGE_OF_CODE = {"land": PlanStage.LAND, "engineering": PlanStage.ENGINEERING,
                 "construction": PlanStage.CONSTRUCTION, "completion": PlanStage.COMPLETION}
COVERS = {PlanStage.LAND: "covers_land", PlanStage.ENGINEERING: "covers_engineering",
          PlanStage.CONSTRUCTION: "covers_construction",
          PlanStage.COMPLETION: "covers_completion", PlanStage.OTHER: "covers_other"}
# 具体的帮办服务内容: (ticked, text) column pairs and their default texts.
SERVICES = (
    ("does_coaching", "coaching", "申报辅导",
     "讲解审批政策和办理流程，指导准备申报材料、网上申报。"),
    ("does_coordination", "coordination", "协调推进",
     "跟进审批进度，协调相关审批部门并联审批、及时作出审批决定。"),
    ("does_handling", "handling", "协助办理",
     "受企业委托协助或代为办理相关审批事项。"),
    ("does_other_service", "other_service", "其他", None),
)

# The plan's own fields, in 附录A's order, with their labels (screens, diff, print).
FIELD_LABELS = {
    "code": _l("Plan code"),
    "applicant_name": _l("Unit name"),
    "applicant_address": _l("Unit address"),
    "applicant_nature": _l("Unit nature"),
    "leader": _l("Project leader"),
    "leader_title": _l("Leader's position"),
    "leader_phone": _l("Leader's phone"),
    "project_name": _l("Project name"),
    "project_address": _l("Project address"),
    "project_code": _l("Project code"),
    "investment_wan": _l("Total investment (10k yuan)"),
    "funding_source": _l("Funding source"),
    "floor_area_wan_m2": _l("Floor area (10k m²)"),
    "land_nature": _l("Land nature"),
    "list_level": _l("Key project level"),
    "main_use_scale": _l("Main use and scale of the project"),
    "approval_status": _l("Approval status of the project"),
    "covers_land": _l("Covers: project, land use and planning"),
    "covers_engineering": _l("Covers: construction engineering permit"),
    "covers_construction": _l("Covers: construction permit"),
    "covers_completion": _l("Covers: completion acceptance"),
    "covers_other": _l("Covers: other stages"),
    "other_stages": _l("Other stages covered"),
    "does_coaching": _l("Application coaching"),
    "coaching": _l("Application coaching: what"),
    "does_coordination": _l("Coordination"),
    "coordination": _l("Coordination: what"),
    "does_handling": _l("Handling on behalf"),
    "handling": _l("Handling on behalf: what"),
    "does_other_service": _l("Other service"),
    "other_service": _l("Other service: what"),
    "contact_person": _l("Project contact"),
    "contact_phone": _l("Contact phone"),
    "notes": _l("Other matters to note"),
    "termination_clause": _l("Termination clause"),
}
ASSISTANT_FIELDS = ("unit", "department", "name", "phone")
ITEM_FIELDS = ("stage", "name", "department", "time_limit", "fees", "division_of_labour",
               "notes", "completed_on", "completion_result")
MATERIAL_FIELDS = ("name", "requirements")
ROW_LABELS = {
    "unit": _l("Unit"), "department": _l("Department"), "name": _l("Name"),
    "phone": _l("Phone"), "stage": _l("Stage"), "time_limit": _l("Time limit"),
    "fees": _l("Fees and how paid"), "division_of_labour": _l("Division of labour"),
    "notes": _l("Other notes"), "completed_on": _l("Completed on"),
    "completion_result": _l("Completion result"), "requirements": _l("Requirements"),
}
_COPIED = [c for c in FIELD_LABELS]


def _refuse(field_name: str, message: str) -> DomainValidationError:
    return DomainValidationError({field_name: message})


def person_name(user: AppUser | None) -> str:
    """A user's name in Chinese order (姓 then 名), the account when it has none."""
    if user is None:
        return ""
    return f"{user.last_name or ''}{user.first_name or ''}".strip() or user.username


# -- reading ------------------------------------------------------------------------------
def current_plan(session: Session, project: Project) -> ServicePlan | None:
    """The project's latest version (the one in force once signed)."""
    return session.scalars(select(ServicePlan).where(ServicePlan.project_id == project.id)
                           .order_by(ServicePlan.version.desc()).limit(1)).first()


def versions(session: Session, plan: ServicePlan) -> list[ServicePlan]:
    return list(session.scalars(select(ServicePlan).where(
        ServicePlan.project_id == plan.project_id).order_by(ServicePlan.version)))


def sections(plan: ServicePlan) -> list[tuple[PlanStage, list[PlanItem]]]:
    """附录A's five stage sections, each with its items in order."""
    return [(stage, [i for i in plan.items if i.stage == stage]) for stage in PlanStage]


def plan_title(plan: ServicePlan) -> str:
    """附录A's "XXXX项目行政审批帮办服务方案", for a name that may itself end in 项目."""
    name = plan.project_name[:-2] if plan.project_name.endswith("项目") else plan.project_name
    return f"{name}项目行政审批帮办服务方案"


def approval_status_text(project: Project) -> str:
    """项目行政审批现状, derived from the project's items (the assistant may reword it)."""
    items = sorted(project.items, key=lambda i: (i.stage.seq if i.stage else 0, i.id or 0))
    if not items:
        return "尚未确定审批事项。"
    counts: dict[ItemStatus, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    parts = "，".join(f"{str.__str__(s.value)} {n} 项" for s, n in counts.items())
    done = [f"{i.name}（{i.finished_on.isoformat()}办结）" for i in items
            if i.status == ItemStatus.FINISHED and i.finished_on]
    busy = [i.name for i in items if i.status.is_open]
    text = f"共 {len(items)} 项审批事项：{parts}。"
    if done:
        text += "已办结：" + "、".join(done) + "。"
    if busy:
        text += "在办：" + "、".join(busy) + "。"
    return text


# -- generating -----------------------------------------------------------------------------
def _materials(text: str | None) -> list[str]:
    """A template's materials text as one name per row (lines, or ；-separated)."""
    return [m.strip(" 　\t.、0123456789）)") for m in re.split(r"[\n;；]+", text or "")
            if m.strip(" 　\t.、0123456789）)")]


def _fees(item: ApprovalItem) -> str:
    if not item.fees_yuan:
        return "不收费"
    return f"{item.fees_yuan:,.2f} 元，{str.__str__(item.fee_mode.value)}"


def _plan_item(item: ApprovalItem, seq: int) -> PlanItem:
    stage = STAGE_OF_CODE.get(item.stage.code if item.stage else "", PlanStage.OTHER)
    row = PlanItem(seq=seq, stage=stage, approval_item_id=item.id, name=item.name,
                   department_id=item.department_id,
                   time_limit=f"{item.time_limit_days} 个工作日",
                   fees=_fees(item),
                   division_of_labour=str.__str__(item.division_of_labour.value))
    if item.status in (ItemStatus.FINISHED, ItemStatus.REFUSED):
        row.completed_on = item.finished_on
        row.completion_result = " ".join(filter(None, (
            str.__str__(item.status.value), item.result, item.certificate_no)))[:255]
    row.materials = [PlanMaterial(seq=n, name=name[:200])
                     for n, name in enumerate(_materials(item.materials), start=1)]
    return row


def _plan_assistant(pa: ProjectAssistant, seq: int) -> PlanAssistant:
    user = pa.user
    unit = user.org_unit.name if user.org_unit is not None else (
        f"{user.region.name}政务服务管理机构" if user.region is not None else None)
    return PlanAssistant(seq=seq, unit=unit, department="帮办代办服务窗口",
                         name=person_name(user), phone=user.phone)


def generate_plan(session: Session, project: Project, user: AppUser) -> ServicePlan:
    """Version 1 of the project's plan, filled from the project, the applicant and the
    items (one plan per project: a second generation is refused)."""
    if current_plan(session, project) is not None:
        raise _refuse("project", _("This project already has a service plan; open it to "
                                   "change it, or make a new version."))
    applicant = project.applicant
    plan = ServicePlan(
        project=project, version=1, status=PlanStatus.DRAFT, code=project.code,
        applicant_name=applicant.name, applicant_address=applicant.address,
        applicant_nature=applicant.nature, leader=project.leader or applicant.legal_representative,
        project_name=project.name, project_address=project.address, project_code=project.code,
        investment_wan=project.investment_wan, funding_source=project.funding_source,
        floor_area_wan_m2=project.floor_area_wan_m2, land_nature=project.land_nature,
        list_level=project.list_level, main_use_scale=project.main_use_scale,
        approval_status=approval_status_text(project),
        contact_person=project.contact_person, contact_phone=project.contact_phone,
        termination_clause=TERMINATION_CLAUSE, created_by_id=user.id)
    items = sorted(project.items, key=lambda i: (i.stage.seq if i.stage else 0, i.id))
    plan.items = [_plan_item(item, n) for n, item in enumerate(items, start=1)]
    for row in plan.items:
        setattr(plan, COVERS[row.stage], True)
    for ticked, text_col, _label, default in SERVICES:
        if default is not None:
            setattr(plan, ticked, True)
            setattr(plan, text_col, default)
    leads = sorted(project.assistants, key=lambda a: (not a.is_lead, a.id or 0))
    plan.assistants = [_plan_assistant(pa, n) for n, pa in enumerate(leads, start=1)]
    session.add(plan)
    session.flush()
    return plan


# -- editing ---------------------------------------------------------------------------------
def check_editable(plan: ServicePlan | None) -> None:
    """A plan is changed only before anyone signed it (and never once replaced)."""
    if plan is None:
        return
    if plan.status == PlanStatus.SUPERSEDED:
        raise _refuse("plan", _("This version has been replaced by a newer one and can no "
                                "longer be changed."))
    if plan.any_signature:
        raise _refuse("plan", _("This version has been signed; make a new version to "
                                "change it."))


# The completion record is filled in as the items finish, after the plan was signed.
COMPLETION_FIELDS = frozenset({"completed_on", "completion_result"})


def check_row_editable(plan: ServicePlan, item: PlanItem | PlanAssistant | PlanMaterial
                       ) -> None:
    """A change of a plan's row: refused on a signed version, except an item's completion
    record (date, result), which is kept up to date on the version in force."""
    if plan.status == PlanStatus.SUPERSEDED or not plan.any_signature:
        check_editable(plan)
        return
    state = sa_inspect(item)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if not isinstance(item, PlanItem) or not changed <= COMPLETION_FIELDS:
        check_editable(plan)


# -- the departments' opinions ------------------------------------------------------------------
def _plan_link(plan: ServicePlan) -> str:
    return f"/serviceplanview/show/{plan.id}"


def _company_user_ids(session: Session, plan: ServicePlan) -> list[int]:
    ids = session.scalars(select(AppUser.id).where(
        AppUser.applicant_id == plan.project.applicant_id, AppUser.active.is_(True)))
    return [u.id for u in session.scalars(select(AppUser).where(AppUser.id.in_(list(ids))))
            if roles.ENTERPRISE in role_names(u)]


def _assistant_ids(plan: ServicePlan) -> list[int]:
    return [a.user_id for a in plan.project.assistants]


def send_for_opinions(session: Session, plan: ServicePlan, user: AppUser) -> list[PlanOpinion]:
    """Send the draft to the departments of its items: one opinion task per department.
    A plan without departments goes straight to signing."""
    if plan.status != PlanStatus.DRAFT:
        raise _refuse("plan", _("Only a draft can be sent to the departments."))
    if not plan.items:
        raise _refuse("items", _("The plan has no approval items yet."))
    now = utcnow()
    units = sorted({i.department_id for i in plan.items if i.department_id is not None})
    opinions = [PlanOpinion(plan=plan, org_unit_id=u, requested_at=now) for u in units]
    session.add_all(opinions)
    plan.sent_at = now
    plan.status = PlanStatus.CONSULTING if opinions else PlanStatus.SIGNING
    session.flush()
    title = f"【征求意见】{plan.project_name} 帮办服务方案（第{plan.version}版）"[:255]
    for op in opinions:
        notify(session, unit_officer_ids(session, op.org_unit_id), f"plan-opinion:{op.id}",
               title, "请对本项目帮办服务方案草案提出意见。",
               f"/planopinionview/answer/{op.id}")
    if not opinions:
        _ask_to_sign(session, plan)
    return opinions


def _ask_to_sign(session: Session, plan: ServicePlan) -> None:
    notify(session, _company_user_ids(session, plan) + _assistant_ids(plan),
           f"plan-sign:{plan.id}",
           f"【待签字】{plan.project_name} 帮办服务方案（第{plan.version}版）"[:255],
           "帮办服务方案已征求部门意见，请双方确认并签字。", _plan_link(plan))


def answer_opinion(session: Session, opinion: PlanOpinion, user: AppUser, answer: str
                   ) -> PlanOpinion:
    """A department officer of the opinion's unit answers; the last answer opens signing."""
    answer = (answer or "").strip()
    if not answer:
        raise _refuse("answer", _("Please write the department's opinion."))
    if user.org_unit_id != opinion.org_unit_id or roles.DEPARTMENT not in role_names(user):
        raise _refuse("answer", _("Only an officer of the department asked can answer."))
    plan = opinion.plan
    if opinion.answered_at is not None:
        raise _refuse("answer", _("This opinion has already been given."))
    if plan.status != PlanStatus.CONSULTING:
        raise _refuse("answer", _("This plan is no longer waiting for opinions."))
    opinion.answer, opinion.answered_at = answer, utcnow()
    opinion.answered_by_id, opinion.answered_by = user.id, person_name(user)
    session.flush()
    notify(session, _assistant_ids(plan), f"plan-opinion-answer:{opinion.id}",
           f"【部门意见】{opinion.org_unit.name}：{plan.project_name}"[:255], answer,
           _plan_link(plan))
    if all(o.answered_at is not None for o in plan.opinions):
        plan.status = PlanStatus.SIGNING
        session.flush()
        _ask_to_sign(session, plan)
    return opinion


# -- signing -------------------------------------------------------------------------------------
COMPANY, ASSISTANT = "company", "assistant"


def signing_side(plan: ServicePlan, user: AppUser) -> str | None:
    """Which side ``user`` signs for: the enterprise's contact (an enterprise user of the
    project's applicant) or a lead assistant of the project; None for anyone else."""
    names = role_names(user)
    if roles.ENTERPRISE in names and user.applicant_id is not None \
            and user.applicant_id == plan.project.applicant_id:
        return COMPANY
    if roles.ASSISTANT in names and any(a.user_id == user.id and a.is_lead
                                        for a in plan.project.assistants):
        return ASSISTANT
    return None


def sign_plan(session: Session, plan: ServicePlan, user: AppUser) -> str:
    """Sign ``plan`` for the user's side; both signatures make it 已签订. Returns the side."""
    if plan.status == PlanStatus.SUPERSEDED:
        raise _refuse("plan", _("This version has been replaced by a newer one; sign the "
                                "current version."))
    names = role_names(user)
    side = signing_side(plan, user)
    if side is None:
        if roles.ENTERPRISE in names:
            raise _refuse("plan", _("Only a user of this project's applicant can sign for "
                                    "the enterprise."))
        raise _refuse("plan", _("Only the project's lead assistant or the enterprise can "
                                "sign the plan."))
    if plan.status in (PlanStatus.DRAFT, PlanStatus.CONSULTING):
        raise _refuse("plan", _("The plan can be signed once every department asked has "
                                "given its opinion."))
    signed_at = plan.company_signed_at if side == COMPANY else plan.assistant_signed_at
    if signed_at is not None:
        raise _refuse("plan", _("You have already signed this version."))
    now = utcnow()
    if side == COMPANY:
        plan.company_signed_at, plan.company_signed_by_id = now, user.id
        plan.company_signer = person_name(user)
    else:
        plan.assistant_signed_at, plan.assistant_signed_by_id = now, user.id
        plan.assistant_signer = person_name(user)
    if plan.fully_signed:
        plan.status = PlanStatus.SIGNED
    session.flush()
    others = _assistant_ids(plan) if side == COMPANY else _company_user_ids(session, plan)
    notify(session, others, f"plan-signed:{plan.id}:{side}",
           f"【方案签字】{plan.project_name} 帮办服务方案（第{plan.version}版）"[:255],
           f"{person_name(user)} 已签字。" + ("双方均已签字，方案生效。" if plan.fully_signed
                                             else "请另一方确认签字。"), _plan_link(plan))
    return side


# -- versions ------------------------------------------------------------------------------------
def revise_plan(session: Session, plan: ServicePlan, user: AppUser) -> ServicePlan:
    """The next version: a copy of ``plan`` (fields, assistants, items, materials) as a
    draft; ``plan`` is replaced and stays readable as it was signed."""
    if plan.status == PlanStatus.SUPERSEDED:
        raise _refuse("plan", _("This version has already been replaced by a newer one."))
    if not plan.any_signature:
        raise _refuse("plan", _("This version is not signed yet; change it directly."))
    new = ServicePlan(project_id=plan.project_id, version=plan.version + 1,
                      status=PlanStatus.DRAFT, previous_id=plan.id, created_by_id=user.id,
                      **{c: getattr(plan, c) for c in _COPIED})
    new.assistants = [PlanAssistant(seq=a.seq, **{c: getattr(a, c) for c in ASSISTANT_FIELDS})
                      for a in plan.assistants]
    new.items = [PlanItem(seq=i.seq, approval_item_id=i.approval_item_id,
                          department_id=i.department_id,
                          **{c: getattr(i, c) for c in ITEM_FIELDS if c != "department"},
                          materials=[PlanMaterial(seq=m.seq, name=m.name,
                                                  requirements=m.requirements)
                                     for m in i.materials])
                 for i in plan.items]
    plan.status = PlanStatus.SUPERSEDED
    session.add(new)
    session.flush()
    return new


@dataclass
class RowChange:
    key: str
    fields: list[tuple[str, str, str]]  # (label, old, new)


@dataclass
class RowsDiff:
    title: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class PlanDiff:
    old: ServicePlan
    new: ServicePlan
    fields: list[tuple[str, str, str]]
    rows: list[RowsDiff]

    @property
    def empty(self) -> bool:
        return not self.fields and all(r.empty for r in self.rows)


def text_of(value: object) -> str:
    """A value as the plan shows it (enums by their label, booleans as ☑/□)."""
    if value is None:
        return ""
    if value is True:
        return "☑"
    if value is False:
        return "□"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _rows_diff(title: str, old: dict, new: dict, columns) -> RowsDiff:
    out = RowsDiff(title)
    out.added = [k for k in new if k not in old]
    out.removed = [k for k in old if k not in new]
    for key in (k for k in new if k in old):
        changes = [(str(ROW_LABELS.get(c) or FIELD_LABELS.get(c) or c), text_of(old[key].get(c)),
                    text_of(new[key].get(c))) for c in columns
                   if text_of(old[key].get(c)) != text_of(new[key].get(c))]
        if changes:
            out.changed.append(RowChange(key, changes))
    return out


def _rows(plan: ServicePlan) -> tuple[dict, dict, dict]:
    assistants = {f"{a.name}（{a.unit or ''}）": {c: getattr(a, c) for c in ASSISTANT_FIELDS}
                  for a in plan.assistants}
    items, materials = {}, {}
    for i in plan.items:
        key = f"{i.stage}·{i.name}"
        items[key] = {**{c: getattr(i, c) for c in ITEM_FIELDS if c != "department"},
                      "department": i.department.name if i.department else None}
        for m in i.materials:
            materials[f"{i.name}·{m.name}"] = {c: getattr(m, c) for c in MATERIAL_FIELDS}
    return assistants, items, materials


def diff_plans(old: ServicePlan, new: ServicePlan) -> PlanDiff:
    """What changed from ``old`` to ``new``: each field, and the rows added, removed and
    changed (assistants, items, materials)."""
    fields = [(str(label), text_of(getattr(old, c)), text_of(getattr(new, c)))
              for c, label in FIELD_LABELS.items()
              if text_of(getattr(old, c)) != text_of(getattr(new, c))]
    (oa, oi, om), (na, ni, nm) = _rows(old), _rows(new)
    rows = [_rows_diff(_("Assistants"), oa, na, ASSISTANT_FIELDS),
            _rows_diff(_("Approval items"), oi, ni, ITEM_FIELDS),
            _rows_diff(_("Materials"), om, nm, MATERIAL_FIELDS)]
    return PlanDiff(old, new, fields, rows)


# -- the intake record ------------------------------------------------------------------------
def check_intake(intake: IntakeRecord, today: dt.date) -> None:
    """Dates that cannot be: a contact or an entrustment in the future, an intent agreed
    before the first contact."""
    errors = {}
    for name in ("first_contact_on", "entrusted_on", "intent_agreed_on"):
        value = getattr(intake, name)
        if value is not None and value > today:
            errors[name] = _("This date is in the future.")
    if intake.intent_agreed_on and intake.first_contact_on \
            and intake.intent_agreed_on < intake.first_contact_on:
        errors["intent_agreed_on"] = _("The service intent cannot be agreed before the first "
                                       "contact.")
    if errors:
        raise DomainValidationError(errors)


def _letters(intake_id: int) -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "intake" / str(int(intake_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def attach_letter(session: Session, intake: IntakeRecord, upload: FileStorage | None) -> str:
    """Store the signed entrustment letter (委托书) with the workflow attachments' checks
    (type, size, content); replaces an earlier one. Raises AttachmentRefused."""
    kept = workflow_files.check([upload] if upload is not None else [])
    if not kept:
        raise _refuse("letter", _("Please choose the signed letter of entrustment."))
    name = f"{uuid.uuid4().hex[:8]}-{workflow_files.clean_name(kept[0].filename)}"
    kept[0].stream.seek(0)
    kept[0].save(_letters(intake.id) / name)
    old = intake.letter_file
    intake.letter_file = name
    session.flush()
    if old and old != name:
        (_letters(intake.id) / workflow_files.clean_name(old)).unlink(missing_ok=True)
    return name


def letter_path(intake: IntakeRecord) -> Path | None:
    if not intake.letter_file:
        return None
    path = _letters(intake.id) / workflow_files.clean_name(intake.letter_file)
    return path if path.is_file() else None


# -- the process timeline ------------------------------------------------------------------------
def plan_milestones(session: Session, project: Project
                    ) -> dict[str, tuple[dt.datetime | dt.date, str]]:
    """The timeline's 对接需求 and 制定方案 (docs/domain.md): when each was reached and by
    whom, derived from the records. "intake": the first contact (else the record's
    creation) and the assistant; "plan": when the first version was signed by both sides,
    and the two signers."""
    out: dict[str, tuple[dt.datetime | dt.date, str]] = {}
    intake = session.scalars(select(IntakeRecord).where(
        IntakeRecord.project_id == project.id)).first()
    if intake is not None:
        out["intake"] = (intake.first_contact_on or intake.created_at,
                         person_name(intake.contacted_by))
    signed = session.scalars(select(ServicePlan).where(
        ServicePlan.project_id == project.id, ServicePlan.company_signed_at.is_not(None),
        ServicePlan.assistant_signed_at.is_not(None)).order_by(ServicePlan.version)
        .limit(1)).first()
    if signed is not None:
        out["plan"] = (max(signed.company_signed_at, signed.assistant_signed_at),
                       "、".join(filter(None, (signed.assistant_signer, signed.company_signer))))
    return out


def open_opinion_count(session: Session, org_unit_id: int) -> int:
    return session.scalar(select(func.count(PlanOpinion.id)).where(
        PlanOpinion.org_unit_id == org_unit_id, PlanOpinion.answered_at.is_(None))) or 0


__all__ = ["generate_plan", "check_editable", "send_for_opinions", "answer_opinion",
           "sign_plan", "revise_plan", "diff_plans", "plan_milestones", "attach_letter",
           "letter_path", "check_intake", "current_plan", "sections", "TERMINATION_CLAUSE"]
