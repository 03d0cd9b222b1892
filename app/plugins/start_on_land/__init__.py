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

Guard ``start_on_land.land_acquired`` on ``issue_together``: context
``land_acquired=True`` or the comment says “土地已取得”. Effect
``start_on_land.record_issue`` writes ``params["issued_on"]`` (ISO date).
"""
from __future__ import annotations

from typing import Optional

from app.plugins.builtin import instance_params as _params, step_day as _today
from app.plugins.builtin import BuiltinMeasure
from app.plugins.hookspecs import hookimpl
from app.plugins.types import ParamSpec, standard_parameters

KEY = "start_on_land"
NAME = "拿地即开工"
VERSION = "1.0"

BRANCHES = (("design", "设计方案预审"), ("planning", "规划预审"), ("drawing", "施工图预审"))

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
         "guards": [f"{KEY}.land_acquired"], "effects": [f"{KEY}.record_issue"]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("require_land_confirmation", "bool", True, label="须确认土地已取得",
              help="同步核发前核验：在意见中注明“土地已取得”（或接口传入 land_acquired）。"),
)


def land_acquired(session, instance, ctx) -> Optional[str]:
    if not _params(instance).get("require_land_confirmation", True):
        return None
    if ctx.get("land_acquired") or "土地已取得" in str(ctx.get("comment") or ""):
        return None
    return "尚未取得土地：须土地出让合同签订并缴清出让金，在意见中注明“土地已取得”"


def record_prereview(session, instance, ctx):
    params = _params(instance)
    params["prereview_done_on"] = _today(ctx).isoformat()
    instance.params = params


def record_issue(session, instance, ctx):
    params = _params(instance)
    params["issued_on"] = _today(ctx).isoformat()
    instance.params = params


class StartOnLandPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS

    guards = {"land_acquired": land_acquired}

    effects = {"record_prereview": record_prereview, "record_issue": record_issue}

    @hookimpl
    def translations(self):
        return {"en": {NAME: "Start on land acquisition"},
                "zh": {"Start on land acquisition": NAME}}


plugin = StartOnLandPlugin()
