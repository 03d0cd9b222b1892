"""水电气讯视联合报装 (joint utility connection): one application, dispatched by the
comprehensive window, fans out in parallel to the selected units; each unit's branch runs
受理踏勘 → 方案答复 → 外线施工 → 接通, each step with its own time limit; the measure
completes (automatic join) when every selected branch has connected.

Workflow (key ``joint_utility``)::

    apply 提交联合报装申请 ──submit──▶ window 综合窗口受理 ──dispatch 分派各单位 (split)──▶
      per unit b in water/power/gas/telecom/cable:
      b_accept 受理踏勘 ──b_survey 踏勘完成──▶ b_plan 方案答复 ──b_reply 答复方案──▶
      b_works 外线施工 ──b_connect 接通──▶ b_connected 已接通
    all selected b_connected ──finish 全部接通 (auto join)──▶ done 联合报装完成 (final)
    window ──return 退回补正──▶ apply

The branches run are those in ``params["units"]`` (the region's setting “参与的分支”;
the submission may narrow them with ``context={"units": [...]}``, the action's field). The
application can be submitted from the stage in the parameter ``earliest_stage`` on
(default 工程建设许可):
guard ``joint_utility.stage_reached`` compares the project's current stage order.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.plugins import plugin_text
from app.plugins.builtin import COMMON_EN, BuiltinMeasure, say
from app.plugins.types import ParamSpec, standard_parameters

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "joint_utility"
NAME = "水电气讯视联合报装"
VERSION = "1.0"

BRANCHES = (("water", "供水"), ("power", "供电"), ("gas", "供气"), ("telecom", "通信"),
            ("cable", "广电"))
BRANCH_LABELS = dict(BRANCHES)
# (suffix, state label, days, action to leave it, action label)
STEPS = (("accept", "受理踏勘", 3, "survey", "踏勘完成"),
         ("plan", "方案答复", 3, "reply", "答复方案"),
         ("works", "外线施工", 10, "connect", "接通"),
         ("connected", "已接通", None, None, None))
UNIT_ROLES = ["dept", "assistant"]  # the unit's staff, or the assistant recording for them
STAGES = (("land", "立项用地规划许可"), ("engineering", "工程建设许可"),
          ("construction", "施工许可"))


def branch_state(branch: str, suffix: str) -> str:
    return f"{branch}_{suffix}"


def _definition() -> dict:
    states = [{"name": "apply", "label": "提交联合报装申请", "time_limit_days": 2},
              {"name": "window", "label": "综合窗口受理", "time_limit_days": 1}]
    transitions = [
        {"action": "submit", "label": "提交联合报装申请", "from": "apply", "to": "window",
         "roles": ["assistant", "clerk", "company"],
         "guards": [f"{KEY}.stage_reached", f"{KEY}.units_valid"],
         "effects": [f"{KEY}.choose_units"],
         "fields": [{"name": "units", "type": "multichoice", "label": "报装单位",
                     "choices": [list(b) for b in BRANCHES],
                     "help": "不选即为本地区参与联合报装的全部单位"}]},
        {"action": "return", "label": "退回补正", "from": "window", "to": "apply",
         "roles": ["clerk", "assistant"]},
        {"action": "dispatch", "label": "分派各单位", "from": "window",
         "roles": ["clerk", "assistant"],
         "split": {b: branch_state(b, "accept") for b, _ in BRANCHES},
         "select_param": "units", "branch_labels": dict(BRANCHES)},
    ]
    for b, label in BRANCHES:
        for i, (suffix, state_label, days, action, action_label) in enumerate(STEPS):
            state = {"name": branch_state(b, suffix), "label": f"{label}{state_label}"}
            if days is not None:
                state["time_limit_days"] = days
            states.append(state)
            if action:
                transitions.append({
                    "action": f"{b}_{action}", "label": f"{label}{action_label}",
                    "from": branch_state(b, suffix), "to": branch_state(b, STEPS[i + 1][0]),
                    "roles": list(UNIT_ROLES)})
    states.append({"name": "done", "label": "联合报装完成", "final": True})
    transitions.append({"action": "finish", "label": "全部接通",
                        "join": [branch_state(b, "connected") for b, _ in BRANCHES],
                        "to": "done", "auto": True,
                        "effects": [f"{KEY}.record_completion"]})
    return {"key": KEY, "name": NAME, "version": 1, "initial": "apply",
            "description": "一次申请，供水、供电、供气、通信、广电各单位并行办理，"
                           "全部接通后办结。",
            "states": states, "transitions": transitions}


DEFINITION = _definition()

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("earliest_stage", "choice", "engineering", label="最早可申请的阶段",
              help="项目进入该阶段（或之后）即可提交联合报装申请。", choices=STAGES),
)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text). A branch's labels are “<unit>: <step>”.
BRANCHES_EN = {"water": "Water", "power": "Power", "gas": "Gas", "telecom": "Telecom",
               "cable": "Cable TV"}
STEPS_EN = {"受理踏勘": "acceptance and site survey", "方案答复": "connection plan reply",
            "外线施工": "external works", "已接通": "connected", "踏勘完成": "survey done",
            "答复方案": "reply with the plan", "接通": "connect"}
EN = {
    NAME: "Joint utility connection",
    DEFINITION["description"]:
        "One application: the water, power, gas, telecom and cable TV providers handle it in "
        "parallel; the measure is completed once every selected service is connected.",
    "提交联合报装申请": "Submit the joint connection application",
    "综合窗口受理": "Acceptance at the one-stop window",
    "分派各单位": "Dispatch to the providers",
    "联合报装完成": "Joint connection completed",
    "全部接通": "All connected",
    "报装单位": "Providers",
    "不选即为本地区参与联合报装的全部单位":
        "Leave empty for every provider taking part in this region",
    "最早可申请的阶段": "Earliest stage to apply",
    "项目进入该阶段（或之后）即可提交联合报装申请。":
        "The application may be submitted once the project has reached this stage.",
    **{label: BRANCHES_EN[b] for b, label in BRANCHES},
    **{f"{label}{zh}": f"{BRANCHES_EN[b]}: {en}" for b, label in BRANCHES
       for zh, en in STEPS_EN.items()},
    # The guards' refusals (app.plugins.builtin.say); they name the project's current stage
    # (a standard stage before the earliest one: the stages above, or these).
    "前期策划生成": COMMON_EN["前期策划生成"],
    "企业开办": "Business start-up",
    "项目尚未进入“{stage}”阶段（当前阶段：{current}），暂不能申请联合报装":
        "The project has not yet reached the “{stage}” stage (current stage: {current}); "
        "the joint utility connection cannot be applied for yet",
    "未设定": "not set",
    "请至少选择一个报装单位（供水、供电、供气、通信、广电）":
        "Select at least one provider (water, power, gas, telecom, cable TV)",
    "报装单位“{units}”未在本地区参与联合报装（可选：{allowed}）":
        "Providers not taking part in the joint utility connection in this region: "
        "“{units}” (available: {allowed})",
}


# -- guards -------------------------------------------------------------------------------
def _stage_seq(session: Session, code: str):
    from sqlalchemy import select

    from app.models import Stage

    return session.scalar(select(Stage.seq).where(Stage.code == code,
                                                  Stage.region_id.is_(None)))


def stage_reached(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    from app.models import Project

    code = (instance.params or {}).get("earliest_stage") or "engineering"
    needed = _stage_seq(session, code)
    if needed is None:
        return None
    project = session.get(Project, instance.project_id)
    stage = project.current_stage if project is not None else None
    if stage is None or (stage.seq or 0) < needed:
        return say("项目尚未进入“{stage}”阶段（当前阶段：{current}），暂不能申请联合报装",
                   stage=plugin_text(dict(STAGES).get(code, code)),
                   current=plugin_text(stage.name) if stage is not None else say("未设定"))
    return None


def _chosen(ctx: dict):
    units = ctx.get("units")
    if units is None:
        return None
    if isinstance(units, str):
        units = [u for u in units.replace("，", ",").split(",") if u.strip()]
    return [str(u).strip() for u in units]


def _unit_label(unit: str) -> str:
    """A unit's label in the current language; what no unit is called, as it was given."""
    return plugin_text(BRANCH_LABELS[unit]) if unit in BRANCH_LABELS else unit


def units_valid(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    chosen = _chosen(ctx)
    allowed = (instance.params or {}).get("units")
    allowed = list(BRANCH_LABELS) if allowed is None else list(allowed)
    if chosen is None:
        chosen = allowed
    if not chosen:
        return say("请至少选择一个报装单位（供水、供电、供气、通信、广电）")
    bad = [u for u in chosen if u not in allowed]
    if bad:
        return say("报装单位“{units}”未在本地区参与联合报装（可选：{allowed}）",
                   units=[_unit_label(u) for u in bad],
                   allowed=[_unit_label(u) for u in allowed])
    return None


# -- effects -------------------------------------------------------------------------------
def choose_units(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    chosen = _chosen(ctx)
    params = dict(instance.params or {})
    if chosen is not None:
        params["units"] = [b for b, _ in BRANCHES if b in set(chosen)]
    params["applied_on"] = str(ctx.get("today") or "")
    instance.params = params


def record_completion(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = dict(instance.params or {})
    params["completed_on"] = str(ctx.get("today") or "")
    instance.params = params


def selected_units(instance: WorkflowInstance) -> list[str]:
    units = (instance.params or {}).get("units")
    return list(BRANCH_LABELS) if units is None else list(units)


def connected_units(instance: WorkflowInstance) -> list[str]:
    """Selected branches that have connected (their token sits in ``<b>_connected``), or
    all selected once the measure completed."""
    tokens = instance.tokens or {}
    if "main" in tokens and tokens["main"]["state"] == "done":
        return selected_units(instance)
    return [b for b, tok in tokens.items() if tok.get("state") == branch_state(b, "connected")]


def ledger_cell(instance: WorkflowInstance) -> str:
    """The 联合报装 ledger cell: connected branches of the selected ones."""
    tokens = instance.tokens or {}
    if "main" in tokens and tokens["main"]["state"] != "done":
        return "申请中"
    return f"已接通 {len(connected_units(instance))}/{len(selected_units(instance))}"


class JointUtilityPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("联合报装", ledger_cell, 14)
    english_words = EN

    guards = {"stage_reached": stage_reached, "units_valid": units_valid}

    effects = {"choose_units": choose_units,
               "record_completion": record_completion}


plugin = JointUtilityPlugin()
