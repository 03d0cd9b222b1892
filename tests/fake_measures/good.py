"""A third-party measure: 夜间施工备案 (a county's own measure), written against the contract
only (pluggy's marker, not the host's imports), as an outside package would be."""
import pluggy

from app.plugins.types import LedgerColumn, MeasureSpec, ParamSpec, ReminderDue, standard_parameters

hookimpl = pluggy.HookimplMarker("hbdb")

KEY = "night_works"
EVENTS: list = []  # after_transition calls, for the tests

DEFINITION = {
    "key": KEY, "name": "夜间施工备案", "version": 1, "initial": "apply",
    "states": [
        {"name": "apply", "label": "提交备案", "time_limit_days": 2},
        {"name": "review", "label": "审核", "time_limit_days": 3},
        {"name": "done", "label": "备案完成", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交", "from": "apply", "to": "review",
         "roles": ["assistant"], "guards": ["night_works.noise_plan"]},
        {"action": "approve", "label": "通过", "from": "review", "to": "done",
         "roles": ["dept", "assistant"], "effects": ["night_works.stamp"]},
    ],
}


def noise_plan(session, instance, ctx):
    if not (instance.params or {}).get("noise_plan_required", True):
        return None
    if "噪声" in (ctx.get("comment") or ""):
        return None
    return "请先上传噪声防治方案"


def stamp(session, instance, ctx):
    instance.params = {**(instance.params or {}), "stamped": True}


@hookimpl
def provide_measures():
    return [MeasureSpec(
        key=KEY, name="夜间施工备案", version="1.2", definition=DEFINITION,
        description="县里自行开发的举措（测试插件）",
        parameters=standard_parameters(DEFINITION) + (
            ParamSpec("noise_plan_required", "bool", True, label="须附噪声防治方案"),
            ParamSpec("window", "choice", "22-6", label="夜间时段",
                      choices=(("22-6", "22时至次日6时"), ("23-5", "23时至次日5时"))),
            ParamSpec("units", "units", [], label="参与单位", choices=("DEPARTMENT",)),
        ))]


@hookimpl
def measure_guards():
    return {"night_works.noise_plan": noise_plan}


@hookimpl
def measure_effects():
    return {"night_works.stamp": stamp}


@hookimpl
def translations():
    return {"zh": {"Night works": "夜间施工"}, "en": {"Night works": "Night works"}}


@hookimpl
def ledger_columns():
    return [LedgerColumn("夜间施工", KEY, lambda instance: (instance.params or {}).get(
        "stamped_on") or "备案中")]


@hookimpl
def reminder_rules():
    def noise_permit_expires(session, instances):
        for instance in instances:
            expires = (instance.params or {}).get("noise_permit_expires")
            if instance.measure_key == KEY and expires:
                import datetime as dt

                yield ReminderDue(instance.id, f"{KEY}.noise_permit",
                                  dt.date.fromisoformat(expires), "夜间施工·噪声许可到期")
    return [noise_permit_expires, "not a rule"]


@hookimpl
def after_transition(session, instance, step):
    EVENTS.append((instance.measure_key, step.action))
