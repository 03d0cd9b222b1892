"""签约即颁照 / 交地即发证 (licence on signing): the land-use planning permit and the
real-estate certificate of the land are pre-reviewed before the land-transfer contract is
signed, then issued on the day of signing once the land price is paid in full.

Workflow (key ``licence_on_signing``)::

    apply 提交预审申请 ──submit──▶ prereview 联合预审 ──pass_prereview 预审通过──▶
    awaiting_signing 预审通过，待签约 ──sign_and_issue 签约并当场颁证──▶
    issued 已同日颁发 (final)
    prereview ──return 退回补正──▶ apply

Guard ``licence_on_signing.price_paid`` 土地出让价款已缴清: the signing's context carries
``land_price_paid=True`` (the signing's tick box; its other field, ``contract_no``, is
recorded), or the instance's params do, or the comment says “价款已缴清”. Effect
``licence_on_signing.record_issued`` writes
``params["issued_at"] = {"planning_permit": ISO datetime, "property_certificate": …}``
(the certificate only when the parameter ``issue_certificate`` 交地即发证 is on) and
``params["issued_on"]`` (the date), so the same-day issue can be reported; the project's
open items of those documents (建设用地规划许可 / 不动产权 …) are finished that day and
linked to the instance.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.plugins.builtin import BuiltinMeasure, say
from app.plugins.types import ParamSpec, standard_parameters
from app.services import item_codes

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.models import WorkflowInstance

KEY = "licence_on_signing"
NAME = "签约即颁照/交地即发证"
VERSION = "1.0"

DOCUMENTS = (("planning_permit", "建设用地规划许可证"), ("property_certificate", "不动产权证书"))

DEFINITION = {
    "key": KEY, "name": NAME, "version": 1, "initial": "apply",
    "description": "土地出让合同签订前完成预审，签约并缴清土地出让价款当日同步核发"
                   "建设用地规划许可证和不动产权证书。",
    "states": [
        {"name": "apply", "label": "提交预审申请", "time_limit_days": 2},
        {"name": "prereview", "label": "联合预审", "time_limit_days": 5},
        {"name": "awaiting_signing", "label": "预审通过，待签约"},
        {"name": "issued", "label": "已同日颁发", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交预审申请", "from": "apply", "to": "prereview",
         "roles": ["assistant", "clerk", "company"]},
        {"action": "return", "label": "退回补正", "from": "prereview", "to": "apply",
         "roles": ["dept"]},
        {"action": "pass_prereview", "label": "预审通过", "from": "prereview",
         "to": "awaiting_signing", "roles": ["dept"],
         "effects": [f"{KEY}.record_prereview"]},
        {"action": "sign_and_issue", "label": "签约并当场颁证", "from": "awaiting_signing",
         "to": "issued", "roles": ["dept"],
         "guards": [f"{KEY}.price_paid"], "effects": [f"{KEY}.record_issued"],
         "fields": [
             {"name": "land_price_paid", "type": "bool", "label": "土地出让价款已缴清"},
             {"name": "contract_no", "type": "text", "label": "土地出让合同编号"}]},
    ],
}

PARAMETERS = standard_parameters(DEFINITION) + (
    ParamSpec("issue_certificate", "bool", True, label="交地即发证（同日核发不动产权证书）",
              help="开启时签约当日同时核发不动产权证书；关闭时只核发建设用地规划许可证。"),
)


# The measure's English (the "en" catalogue; the generated parameter labels are translated
# by parts, see app.plugins.plugin_text).
EN = {
    NAME: "Licence on signing",
    DEFINITION["description"]:
        "The pre-review is done before the land-transfer contract is signed; on the day the "
        "contract is signed and the land price is paid in full, the land-use planning permit "
        "and the real-estate certificate are issued together.",
    "联合预审": "Joint pre-review",
    "预审通过，待签约": "Pre-review passed, awaiting signing",
    "已同日颁发": "Issued on the day of signing",
    "预审通过": "Pass the pre-review",
    "签约并当场颁证": "Sign the contract and issue on the spot",
    "土地出让价款已缴清": "Land price paid in full",
    "土地出让合同编号": "Land-transfer contract number",
    "交地即发证（同日核发不动产权证书）":
        "Certificate on land delivery (real-estate certificate issued the same day)",
    "开启时签约当日同时核发不动产权证书；关闭时只核发建设用地规划许可证。":
        "On: the real-estate certificate is also issued on the day of signing; off: only the "
        "land-use planning permit is issued.",
    "建设用地规划许可证": "Land-use planning permit",
    "不动产权证书": "Real-estate certificate",
    # The guard's refusal (app.plugins.builtin.say); what must be written in the comment
    # stays in Chinese, the phrase the guard looks for.
    "土地出让价款尚未缴清，不能签约颁证（缴清后请勾选“土地出让价款已缴清”，"
    "或在意见中注明“土地出让价款已缴清”）":
        "The land price has not been paid in full: the contract cannot be signed nor the "
        "licences issued (once it is paid, tick “Land price paid in full” or state "
        "“土地出让价款已缴清” in the comment)",
}


def price_paid(session: Session, instance: WorkflowInstance, ctx: dict) -> str | None:
    if ctx.get("land_price_paid") or (instance.params or {}).get("land_price_paid"):
        return None
    if "价款已缴清" in str(ctx.get("comment") or ""):
        return None
    return say("土地出让价款尚未缴清，不能签约颁证（缴清后请勾选“土地出让价款已缴清”，"
               "或在意见中注明“土地出让价款已缴清”）")


def _now_iso() -> str:
    from app.clock import utcnow

    return utcnow().replace(microsecond=0).isoformat()


def record_prereview(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = dict(instance.params or {})
    params["prereview_passed_on"] = str(ctx.get("today") or "")
    instance.params = params


def record_issued(session: Session, instance: WorkflowInstance, ctx: dict) -> None:
    params = dict(instance.params or {})
    at = _now_iso()
    issued = {"planning_permit": at}
    if params.get("issue_certificate", True):
        issued["property_certificate"] = at
    params["issued_at"] = issued
    params["issued_on"] = str(ctx.get("today") or at[:10])
    params["land_price_paid"] = True
    if ctx.get("contract_no"):
        params["contract_no"] = str(ctx["contract_no"])
    instance.params = params
    _finish_issued_items(session, instance, ctx, issued)


# The project's approval items this measure issues at signing, by document (item codes).
ITEM_CODES = {"planning_permit": (item_codes.LAND_PLANNING_PERMIT,),
              "property_certificate": (item_codes.LAND_USE_RIGHT,
                                       item_codes.PROPERTY_FIRST_REGISTRATION)}


def _finish_issued_items(session: Session, instance: WorkflowInstance, ctx: dict, issued: dict) -> None:
    """The project's open items of the documents issued are finished the same day."""
    from app.plugins.builtin import step_day
    from app.workflow import links

    day = step_day(ctx)
    labels = dict(DOCUMENTS)
    for doc in issued:
        for item in links.open_items_coded(session, instance.project_id, ITEM_CODES[doc]):
            links.finish_item(session, instance, item, day, f"{labels[doc]}签约当日核发")


def ledger_cell(instance: WorkflowInstance) -> str:
    """The 签约即颁照 ledger cell: the day issued, or still in pre-review."""
    issued_on = (instance.params or {}).get("issued_on")
    return f"{issued_on}签约即颁证" if issued_on else "预审中"


class LicenceOnSigningPlugin(BuiltinMeasure):
    key, name, version = KEY, NAME, VERSION
    definition, parameters = DEFINITION, PARAMETERS
    ledger_column = ("签约即颁照", ledger_cell, 16)
    english_words = EN

    guards = {"price_paid": price_paid}

    effects = {"record_prereview": record_prereview,
               "record_issued": record_issued}


plugin = LicenceOnSigningPlugin()
