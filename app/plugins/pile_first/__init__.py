"""桩基先行许可 (pile foundation first): a separate pile-foundation construction permit lets
piling start before the full construction permit, which follows as its own step.

Workflow (key ``pile_first``)::

    apply 申请 ──submit 提交申请──▶ review 住建部门审查 ──approve 审查通过，核发桩基施工许可──▶
    pile_permit_issued 桩基施工许可已核发 ──issue_full_permit 核发施工许可证──▶
    full_permit_issued 施工许可证已核发 (final)
    review ──return 退回补正──▶ apply

Prerequisites, checked when the application is submitted (guards); the submission's three
tick boxes (the action's fields: ``land_right_obtained``, ``pile_drawing_passed``,
``commitment_signed``) confirm them, the phrases in the comment still do too:

* ``pile_first.land_right`` 土地使用权已取得 — one of the project's approval items named
  like 不动产权 / 建设用地规划许可 / 国有土地使用 is 已办结; or the submission's context
  carries ``land_right_obtained=True``; or the comment says “土地使用权已取得”.
* ``pile_first.drawing_review`` 桩基施工图审查合格 — an item named like 施工图 / 桩基 is
  已办结; or context ``pile_drawing_passed=True``; or the comment says “桩基施工图审查合格”.
* ``pile_first.commitment_signed`` 承诺书已签署 — context ``commitment_signed=True`` or the
  comment says “承诺书已签署” (or “已签署承诺书”).

A region may switch off the first two checks (parameters ``require_land_right`` /
``require_drawing_review``); the written commitment is always required.

Effects record the dates (``params["pile_permit_on"]``, ``params["full_permit_on"]``,
ISO dates, plus the submitted confirmations); :func:`days_saved` gives the working days
between the pile permit and the full permit — the time piling gained against the baseline
(piling only after the full permit) — shown as a ledger column. The finished items the
prerequisites rest on are linked to the instance; issuing the full permit finishes the
project's open 施工许可 item (linked as changed). The applicant's
commitment to obtain the full permit within ``commitment_days`` working days of the pile
permit is a reminder rule: the daily scan shows it as a yellow, then red card.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from app.plugins.builtin import BuiltinMeasure, say
from app.plugins.builtin import as_date as _as_date
from app.plugins.builtin import instance_params as _params
from app.plugins.builtin import step_day as _today
from app.plugins.hookspecs import hookimpl
from app.plugins.types import ParamSpec, ReminderDue, standard_parameters
from app.services import item_codes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "pile_first"
NAME = "桩基先行许可"
VERSION = "1.0"

LAND_ITEM_CODES = (item_codes.LAND_USE_RIGHT, item_codes.LAND_PLANNING_PERMIT)
DRAWING_ITEM_CODES = (item_codes.DRAWING_REVIEW,)
FULL_PERMIT_CODES = (item_codes.CONSTRUCTION_PERMIT,)

DEFINITION = {
    "key": KEY, "name": NAME, "version": 1, "initial": "apply",
    "description": "取得土地使用权、桩基施工图审查合格并签署承诺书后，先行核发桩基施工许可，"
                   "施工许可证随后单独核发。",
    "states": [
        {"name": "apply", "label": "申请", "time_limit_days": 2},
        {"name": "review", "label": "住建部门审查", "time_limit_days": 3},
        {"name": "pile_permit_issued", "label": "桩基施工许可已核发"},
        {"name": "full_permit_issued", "label": "施工许可证已核发", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交申请", "from": "apply", "to": "review",
         "roles": ["assistant", "clerk"],
         "guards": [f"{KEY}.land_right", f"{KEY}.drawing_review", f"{KEY}.commitment_signed"],
         "effects": [f"{KEY}.record_application"],
         "fields": [
             {"name": "land_right_obtained", "type": "bool", "label": "土地使用权已取得"},
             {"name": "pile_drawing_passed", "type": "bool", "label": "桩基施工图审查合格"},
             {"name": "commitment_signed", "type": "bool",
              "label": "申请人已签署书面承诺书"}]},
        {"action": "return", "label": "退回补正", "from": "review", "to": "apply",
         "roles": ["dept"]},
        {"action": "approve", "label": "审查通过，核发桩基施工许可", "from": "review",
         "to": "pile_permit_issued", "roles": ["dept"],
         "effects": [f"{KEY}.record_pile_permit"]},
        {"action": "issue_full_permit", "label": "核发施工许可证", "from": "pile_permit_issued",
         "to": "full_permit_issued", "roles": ["dept"],
         "effects": [f"{KEY}.record_full_permit"]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("require_land_right", "bool", True, label="须已取得土地使用权",
              help="提交申请时核验：建设用地规划许可证或不动产权证书已办结，"
                   "或在意见中注明“土地使用权已取得”。"),
    ParamSpec("require_drawing_review", "bool", True, label="须桩基施工图审查合格",
              help="提交申请时核验：桩基（施工图）审查事项已办结，"
                   "或在意见中注明“桩基施工图审查合格”。"),
    ParamSpec("commitment_days", "int", 40, label="承诺取得施工许可证期限（工作日）",
              help="申请人承诺在桩基施工许可核发后多少个工作日内取得施工许可证；"
                   "临近和超过期限时亮黄牌、红牌。"),
)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text).
HELP = {p.name: p.help for p in PARAMETERS}
EN = {
    NAME: "Pile foundation first",
    DEFINITION["description"]:
        "Once the land-use right is obtained, the pile-foundation construction drawings have "
        "passed review and a written commitment is signed, a pile-foundation construction "
        "permit is issued first; the construction permit follows separately.",
    "申请": "Application",
    "住建部门审查": "Review by the housing and construction department",
    "桩基施工许可已核发": "Pile-foundation construction permit issued",
    "施工许可证已核发": "Construction permit issued",
    "提交申请": "Submit the application",
    "审查通过，核发桩基施工许可": "Approve and issue the pile-foundation construction permit",
    "核发施工许可证": "Issue the construction permit",
    "土地使用权已取得": "Land-use right obtained",
    "桩基施工图审查合格": "Pile-foundation construction drawings passed review",
    "须已取得土地使用权": "Land-use right required",
    HELP["require_land_right"]:
        "Checked on submission: the land-use planning permit or the real-estate certificate "
        "item is finished, or the comment says “土地使用权已取得” (land-use right obtained).",
    "须桩基施工图审查合格": "Pile-foundation drawing review required",
    HELP["require_drawing_review"]:
        "Checked on submission: the pile-foundation (construction drawing) review item is "
        "finished, or the comment says “桩基施工图审查合格” (pile-foundation drawings passed "
        "review).",
    "承诺取得施工许可证期限（工作日）":
        "Deadline to obtain the construction permit (working days)",
    HELP["commitment_days"]:
        "Within how many working days of the pile-foundation permit the applicant undertakes "
        "to obtain the construction permit; yellow, then red cards as the deadline nears and "
        "passes.",
    "节省工作日": "Days saved",
    # The guards' refusals (app.plugins.builtin.say); what must be written in the comment
    # stays in Chinese, the phrase the guard looks for.
    "尚未取得土地使用权：须建设用地规划许可证或不动产权证书已办结，"
    "或勾选“土地使用权已取得”（或在意见中注明“土地使用权已取得”）":
        "The land-use right has not been obtained: the land-use planning permit or the "
        "real-estate certificate must have been issued, or tick “Land-use right obtained” "
        "(or state “土地使用权已取得” in the comment)",
    "桩基施工图尚未审查合格：须施工图审查事项已办结，或勾选“桩基施工图审查合格”"
    "（或在意见中注明“桩基施工图审查合格”）":
        "The pile-foundation construction drawings have not passed review: the construction "
        "drawing review must have been completed, or tick “Pile-foundation construction "
        "drawings passed review” (or state “桩基施工图审查合格” in the comment)",
    "申请人尚未签署书面承诺书（签署后请勾选“申请人已签署书面承诺书”或在意见中注明"
    "“承诺书已签署”，并上传承诺书）":
        "The applicant has not signed the written commitment (once it is signed, tick “The "
        "applicant has signed the written commitment” or state “承诺书已签署” in the "
        "comment, and upload the commitment)",
}


# -- helpers ---------------------------------------------------------------------------

def _comment(ctx: dict) -> str:
    return str(ctx.get("comment") or "")


def _finished_item_coded(session: Session, instance: WorkflowInstance, codes) -> str | None:
    """The name of a finished approval item of the instance's project carrying one of
    ``codes``, else None."""
    from app.services import items

    found = items.finished_with_codes(session, instance.project_id, codes)
    return found[0].name if found else None


# -- guards ------------------------------------------------------------------------------
def land_right(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    params = _params(instance)
    if not params.get("require_land_right", True):
        return None
    if ctx.get("land_right_obtained") or params.get("land_right_obtained"):
        return None
    if "土地使用权已取得" in _comment(ctx):
        return None
    if _finished_item_coded(session, instance, LAND_ITEM_CODES):
        return None
    return say("尚未取得土地使用权：须建设用地规划许可证或不动产权证书已办结，"
               "或勾选“土地使用权已取得”（或在意见中注明“土地使用权已取得”）")


def drawing_review(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    params = _params(instance)
    if not params.get("require_drawing_review", True):
        return None
    if ctx.get("pile_drawing_passed") or params.get("pile_drawing_passed"):
        return None
    if "桩基施工图审查合格" in _comment(ctx):
        return None
    if _finished_item_coded(session, instance, DRAWING_ITEM_CODES):
        return None
    return say("桩基施工图尚未审查合格：须施工图审查事项已办结，或勾选“桩基施工图审查合格”"
               "（或在意见中注明“桩基施工图审查合格”）")


def commitment_signed(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    if ctx.get("commitment_signed") or _params(instance).get("commitment_signed"):
        return None
    comment = _comment(ctx)
    if "承诺书已签署" in comment or "已签署承诺书" in comment:
        return None
    return say("申请人尚未签署书面承诺书（签署后请勾选“申请人已签署书面承诺书”或在意见中注明"
               "“承诺书已签署”，并上传承诺书）")


# -- effects -------------------------------------------------------------------------------
def record_application(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.workflow import links

    params = _params(instance)
    params["applied_on"] = _today(ctx).isoformat()
    params["commitment_signed"] = True
    instance.params = params
    # The finished items the prerequisites rest on show on the instance's page.
    links.link_items(session, instance, links.finished_items_coded(
        session, instance.project_id, LAND_ITEM_CODES + DRAWING_ITEM_CODES),
        links.PREREQUISITE)


def record_pile_permit(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = _params(instance)
    params["pile_permit_on"] = _today(ctx).isoformat()
    params.pop("full_permit_on", None)
    instance.params = params


def record_full_permit(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.workflow import links

    day = _today(ctx)
    params = _params(instance)
    params["full_permit_on"] = day.isoformat()
    instance.params = params
    # The project's own construction-permit item is issued by this step.
    for item in links.open_items_coded(session, instance.project_id, FULL_PERMIT_CODES):
        links.finish_item(session, instance, item, day, "施工许可证已核发（桩基先行）")


# -- reporting --------------------------------------------------------------------------------
def pile_permit_on(instance: WorkflowInstance) -> dt.date | None:
    return _as_date(_params(instance).get("pile_permit_on"))


def full_permit_on(instance: WorkflowInstance) -> dt.date | None:
    return _as_date(_params(instance).get("full_permit_on"))


def days_saved(instance: WorkflowInstance) -> int | None:
    """Working days piling started ahead of the full construction permit (the baseline:
    no piling before the full permit); None until both permits are issued."""
    from app.services import calendar

    pile, full = pile_permit_on(instance), full_permit_on(instance)
    if pile is None or full is None:
        return None
    return max(0, calendar.working_days_between(pile, full))


def ledger_cell(instance: WorkflowInstance) -> str:
    """The 桩基先行 ledger cell: working days saved, or how far it got."""
    saved = days_saved(instance)
    if saved is not None:
        return f"提前{saved}个工作日"
    if pile_permit_on(instance):
        return f"桩基已于{pile_permit_on(instance).isoformat()}先行"
    return "办理中"


# -- reminders --------------------------------------------------------------------------------
def commitment_due(instance: WorkflowInstance) -> dt.date | None:
    """The day the applicant promised to hold the full construction permit by: the pile
    permit day plus ``commitment_days`` working days; None once the full permit is issued
    (or before the pile permit)."""
    from app.services import calendar

    pile = pile_permit_on(instance)
    if pile is None or full_permit_on(instance) is not None:
        return None
    days = _params(instance).get("commitment_days", 40)
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 40
    return calendar.add_working_days(pile, max(0, days))


def commitment_rule(session: Session, instances: Iterable[WorkflowInstance]) -> Iterator[ReminderDue]:
    """Reminder rule: the written commitment's deadline for the full permit."""
    for instance in instances:
        if instance.measure_key != KEY:
            continue
        due = commitment_due(instance)
        if due is not None:
            yield ReminderDue(instance_id=instance.id, part=f"{KEY}.commitment", due_on=due,
                              title=f"{NAME}·承诺期限内取得施工许可证")


# -- the plugin ------------------------------------------------------------------------------
class PileFirstPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("桩基先行（节省工作日）", ledger_cell, 18)
    english_words = EN

    guards = {"land_right": land_right, "drawing_review": drawing_review,
              "commitment_signed": commitment_signed}

    effects = {"record_application": record_application,
               "record_pile_permit": record_pile_permit,
               "record_full_permit": record_full_permit}

    @hookimpl
    def reminder_rules(self) -> list[Callable]:
        return [commitment_rule]


plugin = PileFirstPlugin()
