"""并联审批，容缺后补 (parallel approval, missing materials later): the items of one stage
run in parallel under a lead department; an item may be accepted with gaps (容缺受理)
against a written commitment and a promised date; a broken promise raises a red card
(the warning scan's GAP_PROMISE source); an applicant on the bad-credit list cannot use 容缺.

Design choice: the items are *not* modelled as workflow branches. Starting the parallel
stage (action ``launch``) is an effect that sets every 未开始 item of the project in the
chosen stage to 已受理 with ``accepted_on`` today (through ``app.services.items``, whose
flush rule derives ``due_on`` from the time limit and any 补正 pause), so
the ordinary item ledger, deadlines and cards keep working. The workflow tracks the stage:

    apply 提交并联申请 ──launch 牵头部门启动并联审批──▶ parallel 并联审批中
    parallel ──accept_with_gaps 容缺受理（self-loop)──▶ parallel
    parallel ──supply_gaps 容缺材料已补齐（self-loop)──▶ parallel
    parallel ──complete 并联审批办结──▶ done (final)

``launch`` is guarded by ``parallel_gaps.lead_unit_set`` (the parameter is set) and
``parallel_gaps.lead_department``: a department officer (role ``dept``) may launch only
when their org unit is the instance's lead unit (``params["lead_unit"]``); a user holding
another role the region grants for ``launch`` (by default the assistant, 帮办员, who
organises the stage on the lead department's behalf) is not bound to a unit.

``accept_with_gaps`` takes ``context={"item_id": …, "gap_materials": "…",
"promised_on": date|"YYYY-MM-DD", "commitment_signed": True}`` (or the comment says
“承诺书已签署”), declared as the action's fields (the instance page's inputs, the API's
``context``: ``app.workflow.fields``); guards ``parallel_gaps.not_bad_credit`` (the
applicant's unified social credit code is not in the parameter ``bad_credit_codes``) and
``parallel_gaps.gap_commitment`` (item of this project and stage, open or not started;
materials, promised date and commitment given); effect ``parallel_gaps.accept_with_gaps``
writes ``status=容缺受理``, ``gap_materials``, ``gap_promised_on``.
``supply_gaps`` takes ``context={"item_id": …}`` (a field, optional when exactly one item
of the project still has missing materials); guard ``parallel_gaps.gap_outstanding``; effect
``parallel_gaps.record_gaps_supplied`` clears the item's ``gap_materials`` and
``gap_promised_on``, sets 容缺受理 back to 已受理 (its own deadline still runs) and writes
``params["gaps"][item_id]["supplied_on"]`` — so the next warning scan clears the item's
GAP_PROMISE card.
``complete`` is guarded by ``parallel_gaps.all_finished`` (no item of the stage still open).

The ledger column (:func:`ledger_cell`) reads ``params["item_ids"]`` (the items the launch
accepted) and ``params["gaps"]``: “并联办理 n 项，容缺 m 项”, with those still missing.

Parameters: ``lead_unit`` (type unit: the lead department, one OrgUnit id), ``stage_code``
(choice of the standard stages), ``bad_credit_codes`` (str, one credit code a line).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.plugins.builtin import BuiltinMeasure, say
from app.plugins.builtin import as_date as _as_date
from app.plugins.builtin import instance_params as _params
from app.plugins.builtin import step_day as _today
from app.plugins.types import ParamSpec, standard_parameters

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "parallel_gaps"
NAME = "并联审批，容缺后补"
VERSION = "1.1"

DEPT_ROLE = "dept"  # the 审批部门 role key

STAGES = (("planning", "前期策划生成"), ("land", "立项用地规划许可"),
          ("engineering", "工程建设许可"), ("construction", "施工许可"),
          ("completion", "竣工验收"), ("registration", "不动产登记"))

DEFINITION = {
    "key": KEY, "name": NAME, "version": 1, "initial": "apply",
    "description": "同一阶段的审批事项在牵头部门组织下并联办理；非主要材料容缺受理，"
                   "申请人书面承诺限期补正；失信主体不适用容缺受理。",
    "states": [
        {"name": "apply", "label": "提交并联申请", "time_limit_days": 2},
        {"name": "parallel", "label": "并联审批中", "time_limit_days": 10},
        {"name": "done", "label": "并联审批办结", "final": True},
    ],
    "transitions": [
        {"action": "launch", "label": "牵头部门启动并联审批", "from": "apply", "to": "parallel",
         "roles": ["dept", "assistant"],
         "guards": [f"{KEY}.lead_unit_set", f"{KEY}.lead_department"],
         "effects": [f"{KEY}.accept_stage_items"]},
        {"action": "accept_with_gaps", "label": "容缺受理", "from": "parallel",
         "to": "parallel", "roles": ["dept", "clerk"],
         "guards": [f"{KEY}.not_bad_credit", f"{KEY}.gap_commitment"],
         "effects": [f"{KEY}.accept_with_gaps"],
         "fields": [
             {"name": "item_id", "type": "item", "label": "容缺受理的事项", "required": True},
             {"name": "gap_materials", "type": "text", "label": "缺少的材料",
              "required": True},
             {"name": "promised_on", "type": "date", "label": "承诺补齐日期",
              "required": True},
             {"name": "commitment_signed", "type": "bool",
              "label": "申请人已签署书面承诺书"}]},
        {"action": "supply_gaps", "label": "容缺材料已补齐", "from": "parallel",
         "to": "parallel", "roles": ["dept", "clerk"],
         "guards": [f"{KEY}.gap_outstanding"], "effects": [f"{KEY}.record_gaps_supplied"],
         "fields": [{"name": "item_id", "type": "item", "label": "补齐材料的事项",
                     "help": "本项目只有一个事项待补材料时可不选"}]},
        {"action": "complete", "label": "并联审批办结", "from": "parallel", "to": "done",
         "roles": ["dept"], "guards": [f"{KEY}.all_finished"],
         "effects": [f"{KEY}.record_completion"]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("lead_unit", "unit", None, label="牵头部门",
              help="组织本阶段并联审批的牵头部门（一个审批部门）。", required=True,
              choices=("DEPARTMENT",)),
    ParamSpec("stage_code", "choice", "construction", label="并联办理的阶段",
              help="该阶段中未开始的审批事项将同时受理。", choices=STAGES),
    ParamSpec("bad_credit_codes", "str", "", label="失信主体名单（统一社会信用代码）",
              help="统一社会信用代码，多个用逗号、分号或空格分隔；名单内的申请人不适用容缺受理。"),
)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text).
EN = {
    NAME: "Parallel approval, missing materials later",
    DEFINITION["description"]:
        "The approval items of one stage are handled in parallel, organised by a lead "
        "department; an item may be accepted with non-essential materials missing against the "
        "applicant's written commitment to supply them by a set date; applicants on the "
        "bad-credit list cannot be accepted with missing materials.",
    "提交并联申请": "Submit the parallel application",
    "并联审批中": "Parallel approval in progress",
    "并联审批办结": "Parallel approval completed",
    "牵头部门启动并联审批": "Lead department starts the parallel approval",
    "容缺受理": "Accept with missing materials",
    "容缺材料已补齐": "Missing materials supplied",
    "容缺受理的事项": "Item accepted with missing materials",
    "缺少的材料": "Missing materials",
    "承诺补齐日期": "Promised date for the missing materials",
    "补齐材料的事项": "Item whose materials were supplied",
    "本项目只有一个事项待补材料时可不选":
        "May be left empty when only one item of the project is waiting for materials",
    "牵头部门": "Lead department",
    "组织本阶段并联审批的牵头部门（一个审批部门）。":
        "The approval department that organises the parallel approval of the stage.",
    "并联办理的阶段": "Stage handled in parallel",
    "该阶段中未开始的审批事项将同时受理。":
        "The items of this stage not started yet are all accepted at once.",
    "失信主体名单（统一社会信用代码）": "Bad-credit list (unified social credit codes)",
    "统一社会信用代码，多个用逗号、分号或空格分隔；名单内的申请人不适用容缺受理。":
        "Unified social credit codes, separated by commas, semicolons or spaces; applicants "
        "on the list cannot be accepted with missing materials.",
    # The guards' refusals (app.plugins.builtin.say; items and departments by their names).
    "尚未设置牵头部门（请管理员在举措参数中选择牵头部门）":
        "No lead department has been set (an administrator must choose the lead department "
        "in the measure's parameters)",
    "单位{id}": "unit {id}",
    "只有牵头部门（{lead}）可以启动并联审批，您的账号未归属任何单位":
        "Only the lead department ({lead}) may start the parallel approval; your account "
        "does not belong to any unit",
    "只有牵头部门（{lead}）可以启动并联审批，{unit}不是本次并联审批的牵头部门":
        "Only the lead department ({lead}) may start the parallel approval; {unit} is not "
        "the lead department of this parallel approval",
    "申请人（统一社会信用代码{code}）列入失信主体名单，不适用容缺受理":
        "The applicant (unified social credit code {code}) is on the bad-credit list and "
        "cannot be accepted with missing materials",
    "请选择本项目的一个审批事项": "Select an approval item of this project",
    "事项“{item}”不属于本次并联办理的阶段":
        "The item “{item}” does not belong to the stage handled in parallel",
    "事项“{item}”当前为“{status}”，不能容缺受理":
        "The item “{item}” is “{status}”: it cannot be accepted with missing materials",
    "请填写容缺的材料": "Enter the missing materials",
    "请填写承诺补齐材料的日期": "Enter the date by which the missing materials will be supplied",
    "承诺补齐日期不能早于今天": "The promised date cannot be earlier than today",
    "申请人尚未签署容缺受理书面承诺书":
        "The applicant has not signed the written commitment for acceptance with missing "
        "materials",
    "本项目没有待补齐材料的容缺受理事项":
        "No item of this project is waiting for missing materials",
    "请选择补齐材料的事项：{items}":
        "Select the item whose missing materials were supplied: {items}",
    "事项“{item}”当前为“{status}”，没有待补齐的容缺材料":
        "The item “{item}” is “{status}”: it has no missing materials to supply",
    "尚有事项未办结：{items}": "Items not finished yet: {items}",
}


# -- helpers --------------------------------------------------------------------------------


def bad_credit_codes(value: object) -> set[str]:
    """The parameter as a set of codes (a multi-line string, or a list)."""
    if isinstance(value, (list, tuple, set)):
        items = value
    else:
        items = re.split(r"[\s,，;；、]+", str(value or ""))
    return {str(c).strip().upper() for c in items if str(c).strip()}


def _lead_unit_id(instance: WorkflowInstance) -> int | None:
    value = _params(instance).get("lead_unit")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _stage_items(session: Session, instance: WorkflowInstance, statuses=None):
    from sqlalchemy import select

    from app.models import ApprovalItem
    from app.models.stages import Stage

    code = _params(instance).get("stage_code") or "construction"
    q = (select(ApprovalItem).join(Stage, ApprovalItem.stage_id == Stage.id)
         .where(ApprovalItem.project_id == instance.project_id, Stage.code == code))
    if statuses is not None:
        q = q.where(ApprovalItem.status.in_(list(statuses)))
    return session.scalars(q.order_by(ApprovalItem.id)).all()


def _has_gap(item) -> bool:
    """The item still waits for materials accepted with gaps (容缺受理, or 补正中 with the
    gap fields still filled in)."""
    from app.models.enums import ItemStatus

    if item.status == ItemStatus.ACCEPTED_WITH_GAPS:
        return True
    return item.status == ItemStatus.CORRECTING and bool(item.gap_materials
                                                          or item.gap_promised_on)


def _gap_items(session: Session, instance: WorkflowInstance) -> list:
    """The project's items still waiting for missing materials."""
    from sqlalchemy import select

    from app.models import ApprovalItem
    from app.models.enums import ItemStatus

    items = session.scalars(select(ApprovalItem).where(
        ApprovalItem.project_id == instance.project_id,
        ApprovalItem.status.in_([ItemStatus.ACCEPTED_WITH_GAPS, ItemStatus.CORRECTING]))
        .order_by(ApprovalItem.id)).all()
    return [i for i in items if _has_gap(i)]


def _supplied_item(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    """The item whose materials arrived: the context's ``item_id``, else the project's only
    item still waiting for materials; None when it cannot be told."""
    if ctx.get("item_id") not in (None, ""):
        return _context_item(session, instance, ctx)
    waiting = _gap_items(session, instance)
    return waiting[0] if len(waiting) == 1 else None


def _context_item(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    from app.models import ApprovalItem

    try:
        item_id = int(ctx.get("item_id"))
    except (TypeError, ValueError):
        return None
    item = session.get(ApprovalItem, item_id)
    if item is None or item.project_id != instance.project_id:
        return None
    return item


# -- guards --------------------------------------------------------------------------------
def lead_unit_set(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    if _lead_unit_id(instance) is None:
        return say("尚未设置牵头部门（请管理员在举措参数中选择牵头部门）")
    return None


def lead_department(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    """Only the lead department's own officers launch the parallel stage. A user with
    another role the region grants for the action (e.g. the assistant) acts without a
    unit; a missing lead unit is ``lead_unit_set``'s refusal."""
    from app.models import OrgUnit
    from app.workflow.engine import allowed_roles, definition_of, role_keys

    lead_id = _lead_unit_id(instance)
    user = ctx.get("user")
    if lead_id is None or user is None:
        return None
    held = role_keys(user)
    if DEPT_ROLE not in held:
        return None
    t = ctx.get("transition") or definition_of(instance).transition("launch")
    granted = set(allowed_roles(instance, t)) if t is not None else set()
    if (held & granted) - {DEPT_ROLE}:
        return None
    if getattr(user, "org_unit_id", None) == lead_id:
        return None
    lead = session.get(OrgUnit, lead_id)
    lead_name = lead.name if lead else say("单位{id}", id=lead_id)
    own = getattr(user, "org_unit", None)
    if own is None:
        return say("只有牵头部门（{lead}）可以启动并联审批，您的账号未归属任何单位",
                   lead=lead_name)
    return say("只有牵头部门（{lead}）可以启动并联审批，{unit}不是本次并联审批的牵头部门",
               lead=lead_name, unit=own.name)


def not_bad_credit(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    from app.models import Project

    project = session.get(Project, instance.project_id)
    code = (project.applicant.credit_code or "").strip().upper() if project else ""
    if code and code in bad_credit_codes(_params(instance).get("bad_credit_codes")):
        return say("申请人（统一社会信用代码{code}）列入失信主体名单，不适用容缺受理",
                   code=code)
    return None


def gap_commitment(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    from app.models.enums import ItemStatus
    from app.workflow.messages import join_reasons

    reasons = []
    item = _context_item(session, instance, ctx)
    if item is None:
        reasons.append(say("请选择本项目的一个审批事项"))
    else:
        stage = _params(instance).get("stage_code") or "construction"
        if item.stage.code != stage:
            reasons.append(say("事项“{item}”不属于本次并联办理的阶段", item=item.name))
        elif item.status not in (ItemStatus.NOT_STARTED, ItemStatus.ACCEPTED,
                                 ItemStatus.CORRECTING):
            reasons.append(say("事项“{item}”当前为“{status}”，不能容缺受理",
                               item=item.name, status=str(item.status)))
    if not str(ctx.get("gap_materials") or "").strip():
        reasons.append(say("请填写容缺的材料"))
    promised = _as_date(ctx.get("promised_on"))
    if promised is None:
        reasons.append(say("请填写承诺补齐材料的日期"))
    elif promised < _today(ctx):
        reasons.append(say("承诺补齐日期不能早于今天"))
    comment = str(ctx.get("comment") or "")
    if not (ctx.get("commitment_signed") or "承诺书已签署" in comment
            or "已签署承诺书" in comment):
        reasons.append(say("申请人尚未签署容缺受理书面承诺书"))
    return join_reasons(reasons) if reasons else None


def gap_outstanding(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    item = _supplied_item(session, instance, ctx)
    if item is None:
        if ctx.get("item_id") not in (None, ""):
            return say("请选择本项目的一个审批事项")
        waiting = _gap_items(session, instance)
        if not waiting:
            return say("本项目没有待补齐材料的容缺受理事项")
        return say("请选择补齐材料的事项：{items}", items=[i.name for i in waiting])
    if not _has_gap(item):
        return say("事项“{item}”当前为“{status}”，没有待补齐的容缺材料",
                   item=item.name, status=str(item.status))
    return None


def all_finished(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    open_items = [i.name for i in _stage_items(session, instance) if i.status.is_open]
    if open_items:
        return say("尚有事项未办结：{items}", items=open_items)
    return None


# -- effects -------------------------------------------------------------------------------
def accept_stage_items(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.models.enums import ItemStatus
    from app.services import items
    from app.workflow import links

    today = _today(ctx)
    ids = []
    for item in _stage_items(session, instance, [ItemStatus.NOT_STARTED]):
        items.accept(item, today)  # the due date follows the item rules (补正 pauses)
        ids.append(item.id)
        links.link_item(session, instance, item, links.CHANGED)
    params = _params(instance)
    params["launched_on"] = today.isoformat()
    params["item_ids"] = ids
    instance.params = params


def accept_with_gaps(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.services import items
    from app.workflow import links

    item = _context_item(session, instance, ctx)
    today = _today(ctx)
    items.accept(item, today, gap_materials=str(ctx.get("gap_materials")).strip(),
                 gap_promised_on=_as_date(ctx.get("promised_on")))
    links.link_item(session, instance, item, links.CHANGED)
    params = _params(instance)
    gaps = dict(params.get("gaps") or {})
    gaps[str(item.id)] = {"materials": item.gap_materials,
                          "promised_on": item.gap_promised_on.isoformat(),
                          "accepted_on": today.isoformat()}
    params["gaps"] = gaps
    instance.params = params


def record_gaps_supplied(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.services import items

    item = _supplied_item(session, instance, ctx)
    today = _today(ctx)
    params = _params(instance)
    gaps = dict(params.get("gaps") or {})
    entry = dict(gaps.get(str(item.id)) or {
        "materials": item.gap_materials,
        "promised_on": item.gap_promised_on.isoformat() if item.gap_promised_on else None})
    entry["supplied_on"] = today.isoformat()
    gaps[str(item.id)] = entry
    params["gaps"] = gaps
    instance.params = params
    # Materials in (late or not): the scan clears the GAP_PROMISE card; the item's own
    # deadline still runs.
    items.supply_gaps(item)


def record_completion(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = _params(instance)
    params["completed_on"] = _today(ctx).isoformat()
    instance.params = params


# -- reporting --------------------------------------------------------------------------------
def parallel_counts(instance: WorkflowInstance) -> tuple[int, int, int]:
    """(items handled in parallel, items accepted with gaps, of those still missing
    materials), from the instance's params."""
    params = _params(instance)
    gaps = params.get("gaps") or {}
    items = {str(i) for i in params.get("item_ids") or []} | set(gaps)
    waiting = sum(1 for g in gaps.values() if not (g or {}).get("supplied_on"))
    return len(items), len(gaps), waiting


def ledger_cell(instance: WorkflowInstance) -> str:
    """The 并联审批 ledger cell: how many items ran in parallel and how many with gaps
    (reads the instance only)."""
    from app.models.enums import WorkflowInstanceStatus

    params = _params(instance)
    if not params.get("launched_on"):
        return ("已取消" if instance.status == WorkflowInstanceStatus.CANCELLED
                else "待牵头部门启动")
    n, gaps, waiting = parallel_counts(instance)
    text = f"并联办理{n}项，容缺{gaps}项"
    if waiting:
        text += f"（待补{waiting}项）"
    if params.get("completed_on"):
        text = f"{params['completed_on']}办结：{text}"
    return text


class ParallelGapsPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("并联审批·容缺后补", ledger_cell, 26)
    english_words = EN

    guards = {"lead_unit_set": lead_unit_set, "lead_department": lead_department,
              "not_bad_credit": not_bad_credit, "gap_commitment": gap_commitment,
              "gap_outstanding": gap_outstanding, "all_finished": all_finished}

    effects = {"accept_stage_items": accept_stage_items,
               "accept_with_gaps": accept_with_gaps,
               "record_gaps_supplied": record_gaps_supplied,
               "record_completion": record_completion}


plugin = ParallelGapsPlugin()
