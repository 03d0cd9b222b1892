"""拿地即开工 (start on land acquisition): during the land-transfer period the design
scheme, planning and construction drawings are pre-reviewed in parallel on a 容缺 basis;
once the land is acquired the planning permits and the construction permit are issued
together in one step.

Workflow (key ``start_on_land``)::

    apply 提交预审申请 ──submit──▶ prereview 预审受理 ──dispatch 分派并联预审 (split)──▶
      design_review 设计方案预审 ──design_pass──▶ design_done
      planning_review 规划预审 ──planning_pass──▶ planning_done
      drawing_review 施工图预审 ──drawing_pass──▶ drawing_done
    all *_done ──join 预审完成 (auto join)──▶ await_land 等待取得土地
    await_land ──issue_together 取得土地，同步核发规划许可和施工许可──▶ issued (final)
    prereview ──return 退回补正──▶ apply

Guard ``start_on_land.land_acquired`` on ``issue_together`` (土地已取得): one of the
project's approval items named like 国有建设用地使用权出让合同 / 土地出让 / 不动产权 /
建设用地规划许可 is 已办结; or the context carries ``land_acquired=True`` (the action's
tick box); or the comment says “土地已取得”. A region may switch the check off (parameter
``require_land_confirmation``).

Effects record the dates (``params["prereview_done_on"]``, ``params["issued_on"]``, ISO
dates) and how the land was confirmed (``params["land_evidence"]``). :func:`ledger_cell`
gives the ledger column: “YYYY-MM-DD拿地即开工” once issued, else how far it got.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.plugins.builtin import BuiltinMeasure, say
from app.plugins.builtin import instance_params as _params
from app.plugins.builtin import step_day as _today
from app.plugins.types import ParamSpec, standard_parameters
from app.services import item_codes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "start_on_land"
NAME = "拿地即开工"
VERSION = "1.0"

BRANCHES = (("design", "设计方案预审"), ("planning", "规划预审"), ("drawing", "施工图预审"))

# Finished approval items that show the land is acquired: the transfer contract (国有建设用地
# 使用权出让合同), the land transfer itself, the property certificate, or the land-use
# planning permit (whose materials include the transfer contract).
LAND_ITEM_CODES = (item_codes.LAND_USE_RIGHT, item_codes.LAND_PLANNING_PERMIT)
LAND_PHRASE = "土地已取得"

DEFINITION = {
    "key": KEY, "name": NAME, "version": 1, "initial": "apply",
    "description": "土地出让期间容缺预审设计方案、规划和施工图；取得土地后同步核发"
                   "建设用地规划许可证、建设工程规划许可证和施工许可证。",
    "states": [
        {"name": "apply", "label": "提交预审申请", "time_limit_days": 2},
        {"name": "prereview", "label": "预审受理", "time_limit_days": 1},
        *[{"name": f"{b}_review", "label": label, "time_limit_days": 5} for b, label in BRANCHES],
        *[{"name": f"{b}_done", "label": f"{label}通过"} for b, label in BRANCHES],
        {"name": "await_land", "label": "等待取得土地"},
        {"name": "issued", "label": "规划许可和施工许可已同步核发", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交预审申请", "from": "apply", "to": "prereview",
         "roles": ["assistant", "clerk", "company"]},
        {"action": "return", "label": "退回补正", "from": "prereview", "to": "apply",
         "roles": ["clerk", "assistant"]},
        {"action": "dispatch", "label": "分派并联预审", "from": "prereview",
         "roles": ["clerk", "assistant"],
         "split": {b: f"{b}_review" for b, _ in BRANCHES},
         "branch_labels": dict(BRANCHES)},
        *[{"action": f"{b}_pass", "label": f"{label}通过", "from": f"{b}_review",
           "to": f"{b}_done", "roles": ["dept"]} for b, label in BRANCHES],
        {"action": "join", "label": "预审完成", "join": [f"{b}_done" for b, _ in BRANCHES],
         "to": "await_land", "auto": True, "effects": [f"{KEY}.record_prereview"]},
        {"action": "issue_together", "label": "取得土地，同步核发规划许可和施工许可",
         "from": "await_land", "to": "issued", "roles": ["dept"],
         "guards": [f"{KEY}.land_acquired"], "effects": [f"{KEY}.record_issue"],
         "fields": [{"name": "land_acquired", "type": "bool", "label": "土地已取得"}]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("require_land_confirmation", "bool", True, label="须确认土地已取得",
              help="同步核发前核验：国有建设用地使用权出让合同、不动产权证书或建设用地规划"
                   "许可证等用地事项已办结，或在意见中注明“土地已取得”。"),
)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text).
BRANCHES_EN = {"design": "Design scheme pre-review", "planning": "Planning pre-review",
               "drawing": "Construction drawing pre-review"}
EN = {
    NAME: "Start on land acquisition",
    DEFINITION["description"]:
        "While the land is being transferred, the design scheme, the planning and the "
        "construction drawings are pre-reviewed, accepting missing materials; once the land "
        "is acquired, the land-use planning permit, the construction-project planning permit "
        "and the construction permit are issued together.",
    "预审受理": "Pre-review intake",
    "分派并联预审": "Dispatch the parallel pre-reviews",
    "预审完成": "Pre-review completed",
    "等待取得土地": "Awaiting land acquisition",
    "取得土地，同步核发规划许可和施工许可":
        "Land acquired: issue the planning and construction permits together",
    "规划许可和施工许可已同步核发": "Planning and construction permits issued together",
    "土地已取得": "Land acquired",
    "须确认土地已取得": "Land acquisition must be confirmed",
    next(p.help for p in PARAMETERS if p.name == "require_land_confirmation"):
        "Checked before the permits are issued: a land item (the state-owned construction land "
        "use right transfer contract, the real-estate certificate, the land-use planning "
        "permit…) is finished, or the comment says “土地已取得” (land acquired).",
    **{label: BRANCHES_EN[b] for b, label in BRANCHES},
    **{f"{label}通过": f"{BRANCHES_EN[b]} passed" for b, label in BRANCHES},
    # The guard's refusal (app.plugins.builtin.say); what must be written in the comment
    # stays in Chinese, the phrase the guard looks for.
    "尚未取得土地：须国有建设用地使用权出让合同（土地出让）、不动产权证书或"
    "建设用地规划许可证等用地事项已办结，或勾选“土地已取得”（或在意见中注明“土地已取得”）":
        "The land has not been acquired: a land item (the state-owned construction land use "
        "right transfer contract, the real-estate certificate, the land-use planning "
        "permit…) must have been completed, or tick “Land acquired” (or state “土地已取得” "
        "in the comment)",
}


# -- helpers ---------------------------------------------------------------------------

def _finished_item_coded(session: Session, instance: WorkflowInstance, codes) -> str | None:
    """The name of a finished approval item of the instance's project carrying one of
    ``codes``, else None."""
    from app.workflow import links

    items = links.finished_items_coded(session, instance.project_id, codes)
    return items[0].name if items else None


def land_evidence(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    """How the land acquisition is confirmed (Chinese, for the record), or None."""
    if ctx.get("land_acquired") or _params(instance).get("land_acquired"):
        return "经办人确认土地已取得"
    if LAND_PHRASE in str(ctx.get("comment") or ""):
        return f"意见注明“{LAND_PHRASE}”"
    name = _finished_item_coded(session, instance, LAND_ITEM_CODES)
    return f"事项“{name}”已办结" if name else None


# -- guards ------------------------------------------------------------------------------
def land_acquired(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    if not _params(instance).get("require_land_confirmation", True):
        return None
    if land_evidence(session, instance, ctx):
        return None
    return say("尚未取得土地：须国有建设用地使用权出让合同（土地出让）、不动产权证书或"
               "建设用地规划许可证等用地事项已办结，或勾选“土地已取得”（或在意见中注明“土地已取得”）")


# -- effects -------------------------------------------------------------------------------
def record_prereview(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = _params(instance)
    params["prereview_done_on"] = _today(ctx).isoformat()
    instance.params = params


# The project's items issued together on land acquisition.
ISSUED_ITEM_CODES = (item_codes.WORKS_PLANNING_PERMIT, item_codes.LAND_PLANNING_PERMIT,
                     item_codes.CONSTRUCTION_PERMIT)


def record_issue(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    from app.workflow import links

    day = _today(ctx)
    params = _params(instance)
    params["issued_on"] = day.isoformat()
    evidence = land_evidence(session, instance, ctx)
    if evidence:
        params["land_evidence"] = evidence
    instance.params = params
    links.link_items(session, instance, links.finished_items_coded(
        session, instance.project_id, LAND_ITEM_CODES), links.PREREQUISITE)
    for item in links.open_items_coded(session, instance.project_id, ISSUED_ITEM_CODES):
        links.finish_item(session, instance, item, day, "拿地即开工：取得土地当日同步核发")


# -- reporting --------------------------------------------------------------------------------
def ledger_cell(instance: WorkflowInstance) -> str:
    """The 拿地即开工 ledger cell: the day the permits were issued together, or how far the
    pre-review got (reads the instance only)."""
    from app.models.enums import WorkflowInstanceStatus

    issued_on = _params(instance).get("issued_on")
    if issued_on:
        return f"{issued_on}拿地即开工"
    if instance.status == WorkflowInstanceStatus.CANCELLED:
        return "已取消"
    states = {t.get("state") for t in (instance.tokens or {}).values()}
    if "await_land" in states:
        return "预审完成，待取得土地"
    if states == {"apply"}:
        return "待提交预审"
    return "预审中"


class StartOnLandPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("拿地即开工", ledger_cell, 18)
    english_words = EN

    guards = {"land_acquired": land_acquired}

    effects = {"record_prereview": record_prereview, "record_issue": record_issue}


plugin = StartOnLandPlugin()
