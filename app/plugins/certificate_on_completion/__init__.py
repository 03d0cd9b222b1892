"""竣工即发证 (certificate on completion): one joint completion acceptance — 规划核实,
消防验收, 人防验收, 防雷验收, 档案验收 in parallel — then first registration at once.

Workflow (key ``certificate_on_completion``)::

    apply 申请联合验收 ──submit──▶ accept 联合验收受理 ──dispatch 启动联合验收 (split)──▶
      per branch b in planning/fire/civil_defence/lightning/archives:
      b_check <label> ──b_pass──▶ b_done
    all selected b_done ──join 联合验收通过 (auto join)──▶ registration 不动产首次登记
    registration ──register 核发不动产权证书──▶ registered (final)
    accept ──return 退回补正──▶ apply

The branches run are those in ``params["branches"]`` (region setting); every state's
time limit is configurable (``time_limits.<state>``). Guard
``certificate_on_completion.accepted`` on ``register``: the joint acceptance is done
(``params["accepted_on"]`` set by the join's effect). Effect ``record_registration``
writes ``params["registered_on"]``. :func:`ledger_cell` gives the ledger column:
“YYYY-MM-DD竣工即发证” once registered, “联合验收 3/5” while the acceptances run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.plugins.builtin import BuiltinMeasure, say
from app.plugins.builtin import instance_params as _params
from app.plugins.builtin import step_day as _today
from app.plugins.types import standard_parameters

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "certificate_on_completion"
NAME = "竣工即发证"
VERSION = "1.0"

BRANCHES = (("planning", "规划核实"), ("fire", "消防验收"), ("civil_defence", "人防验收"),
            ("lightning", "防雷验收"), ("archives", "档案验收"))

DEFINITION = {
    "key": KEY, "name": NAME, "version": 1, "initial": "apply",
    "description": "竣工后一次联合验收（规划核实、消防、人防、防雷、档案），"
                   "通过后即时办理不动产首次登记。",
    "states": [
        {"name": "apply", "label": "申请联合验收", "time_limit_days": 2},
        {"name": "accept", "label": "联合验收受理", "time_limit_days": 1},
        *[{"name": f"{b}_check", "label": label, "time_limit_days": 5} for b, label in BRANCHES],
        *[{"name": f"{b}_done", "label": f"{label}合格"} for b, label in BRANCHES],
        {"name": "registration", "label": "不动产首次登记", "time_limit_days": 1},
        {"name": "registered", "label": "不动产权证书已核发", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "申请联合验收", "from": "apply", "to": "accept",
         "roles": ["assistant", "clerk", "company"]},
        {"action": "return", "label": "退回补正", "from": "accept", "to": "apply",
         "roles": ["clerk", "assistant"]},
        {"action": "dispatch", "label": "启动联合验收", "from": "accept",
         "roles": ["clerk", "assistant"],
         "split": {b: f"{b}_check" for b, _ in BRANCHES},
         "select_param": "branches", "branch_labels": dict(BRANCHES)},
        *[{"action": f"{b}_pass", "label": f"{label}合格", "from": f"{b}_check",
           "to": f"{b}_done", "roles": ["dept"]} for b, label in BRANCHES],
        {"action": "join", "label": "联合验收通过", "join": [f"{b}_done" for b, _ in BRANCHES],
         "to": "registration", "auto": True, "effects": [f"{KEY}.record_acceptance"]},
        {"action": "register", "label": "核发不动产权证书", "from": "registration",
         "to": "registered", "roles": ["dept"], "guards": [f"{KEY}.accepted"],
         "effects": [f"{KEY}.record_registration"]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text).
BRANCHES_EN = {"planning": "Planning verification", "fire": "Fire protection acceptance",
               "civil_defence": "Civil air defence acceptance",
               "lightning": "Lightning protection acceptance",
               "archives": "Archives acceptance"}
EN = {
    NAME: "Certificate on completion",
    DEFINITION["description"]:
        "After completion, one joint completion acceptance (planning verification, fire "
        "protection, civil air defence, lightning protection, archives), then the first "
        "registration of the real estate at once.",
    "申请联合验收": "Apply for joint completion acceptance",
    "联合验收受理": "Joint completion acceptance intake",
    "启动联合验收": "Start the joint completion acceptance",
    "联合验收通过": "Joint completion acceptance passed",
    "不动产首次登记": "First registration of the real estate",
    "核发不动产权证书": "Issue the real-estate certificate",
    "不动产权证书已核发": "Real-estate certificate issued",
    **{label: BRANCHES_EN[b] for b, label in BRANCHES},
    **{f"{label}合格": f"{BRANCHES_EN[b]} passed" for b, label in BRANCHES},
    # The guard's refusal (app.plugins.builtin.say).
    "联合验收尚未全部通过，不能办理不动产首次登记":
        "The joint completion acceptance has not been passed in full: the first "
        "registration of the real estate cannot be made yet",
}


def accepted(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    if _params(instance).get("accepted_on"):
        return None
    return say("联合验收尚未全部通过，不能办理不动产首次登记")


def record_acceptance(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = _params(instance)
    params["accepted_on"] = _today(ctx).isoformat()
    instance.params = params


def record_registration(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = _params(instance)
    params["registered_on"] = _today(ctx).isoformat()
    instance.params = params


# -- reporting --------------------------------------------------------------------------------
def acceptance_progress(instance: WorkflowInstance) -> tuple[int, int] | None:
    """(acceptances passed, acceptances run) while the joint acceptance is in progress,
    read from the branch tokens; None before the dispatch and after the join."""
    branches = {k: t.get("state") for k, t in (instance.tokens or {}).items() if k != "main"}
    if not branches:
        return None
    done = sum(1 for b, state in branches.items() if state == f"{b}_done")
    return done, len(branches)


def ledger_cell(instance: WorkflowInstance) -> str:
    """The 竣工即发证 ledger cell: the day the certificate was issued, or how far the joint
    acceptance got (reads the instance only)."""
    from app.models.enums import WorkflowInstanceStatus

    params = _params(instance)
    if params.get("registered_on"):
        return f"{params['registered_on']}竣工即发证"
    if instance.status == WorkflowInstanceStatus.CANCELLED:
        return "已取消"
    if params.get("accepted_on"):
        return f"{params['accepted_on']}联合验收通过，待登记"
    progress = acceptance_progress(instance)
    if progress is not None:
        return f"联合验收 {progress[0]}/{progress[1]}"
    return "联合验收申请中"


class CertificateOnCompletionPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("竣工即发证", ledger_cell, 18)
    english_words = EN

    guards = {"accepted": accepted}

    effects = {"record_acceptance": record_acceptance,
               "record_registration": record_registration}


plugin = CertificateOnCompletionPlugin()
