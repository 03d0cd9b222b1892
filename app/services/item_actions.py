"""What a department officer does to an approval item: commands, not free edits.

受理 (accept), 要求补正 (ask for corrections: the clock pauses), 补正到达 (corrections
arrived: the clock runs again), 办结 (finish: date, result, certificate no.), 不予许可
(refuse, with the reason) and 告知承诺 (approve on the applicant's written commitment,
where the project's region allows it). ``ACTIONS`` is the one table the screen, the API
and tests read; ``perform`` is the one command:

* the action must be allowed in the item's status (办结 before 受理 is refused) and the
  project must be in progress;
* the values are parsed and checked here (dates as YYYY-MM-DD, not in the future, never
  before the acceptance date); every problem is raised at once as a
  ``DomainValidationError`` keyed by field, in the UI's language, before anything changes;
* the item changes through ``app.services.items`` and the correction rows, so the flush
  rule keeps status, dates and due date consistent;
* the action is audited (``record_event``), the project's assistants are notified, and a
  decision (办结 / 不予许可 / 告知承诺) is told to the enterprise (``result_telling``).

Flushes, never commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session

from app import clock
from app.clock import utcnow
from app.models import ApprovalItem, AppUser, ItemCorrection, ItemStatus, ProjectStatus

from . import items as item_rules
from .audit import record_event
from .errors import DomainValidationError
from .notifications import notify
from .project_parties import assistant_ids, settings_region
from .result_telling import ITEM_LINK, tell_result

_ = lazy_gettext


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    kind: str = "text"  # text | textarea | date
    required: bool = False


@dataclass(frozen=True)
class ItemAction:
    key: str
    label: Any
    allowed: tuple[ItemStatus, ...]
    fields: tuple[Field, ...]
    run: Callable[[Session, ApprovalItem, dict], None]
    decides: bool = False  # a decision the enterprise is told (告知结果)
    style: str = "primary"
    region_flag: str | None = None  # a Region column that must be true
    audit: str = ""  # the audit trail's action (16 characters at most)
    extra_checks: tuple[Callable[[ApprovalItem, dict], dict], ...] = field(default=())


_ON = Field("on", _("Date"), "date", True)
_WORKING = (ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_WITH_GAPS)


# -- what each action does (values are parsed and checked already) --------------------------
def _accept(session: Session, item: ApprovalItem, v: dict) -> None:
    item_rules.accept(item, v["on"])
    if v.get("responsible_person"):
        item.responsible_person = v["responsible_person"][:64]
    if v.get("responsible_phone"):
        item.responsible_phone = v["responsible_phone"][:32]


def _request_correction(session: Session, item: ApprovalItem, v: dict) -> None:
    session.add(ItemCorrection(item=item, requested_on=v["on"], note=v["note"]))


def _open_correction(item: ApprovalItem) -> ItemCorrection | None:
    return next((c for c in item.corrections if c.received_on is None), None)


def _correction_arrived(session: Session, item: ApprovalItem, v: dict) -> None:
    correction = _open_correction(item)
    correction.received_on = v["on"]
    if v.get("note"):
        correction.note = "\n".join(p for p in (correction.note, v["note"]) if p)


def _finish(session: Session, item: ApprovalItem, v: dict) -> None:
    item.result = None
    item.certificate_no = None
    item_rules.finish(item, v["on"], result=v["result"], certificate_no=v.get("certificate_no"))


def _refuse(session: Session, item: ApprovalItem, v: dict) -> None:
    item.status = ItemStatus.REFUSED
    item.finished_on = v["on"]
    item.refusal_reason = v["reason"]
    item.result = str(ItemStatus.REFUSED.value)


def _commit(session: Session, item: ApprovalItem, v: dict) -> None:
    # 告知承诺制: the department decides on the applicant's written commitment; the item is
    # accepted (if it was not) and finished the same day.
    item.commitment = v["commitment"]
    item.result = None
    item.certificate_no = None
    item_rules.finish(item, v["on"], result=v.get("result") or gettext("Approved on commitment"),
                      certificate_no=v.get("certificate_no"))


# -- checks beyond one field -----------------------------------------------------------------
def _not_before_accepted(item: ApprovalItem, v: dict) -> dict:
    on = v.get("on")
    if on and item.accepted_on and on < item.accepted_on:
        return {"on": gettext("The date cannot be before the date the item was accepted "
                              "(%(day)s).", day=item.accepted_on.isoformat())}
    return {}


def _not_before_requested(item: ApprovalItem, v: dict) -> dict:
    correction = _open_correction(item)
    on = v.get("on")
    if correction is not None and on and on < correction.requested_on:
        return {"on": gettext("The corrections cannot arrive before they were asked for "
                              "(%(day)s).", day=correction.requested_on.isoformat())}
    return {}


def _after_last_correction(item: ApprovalItem, v: dict) -> dict:
    on = v.get("on")
    last = max((c.received_on for c in item.corrections if c.received_on), default=None)
    if on and last and on < last:
        return {"on": gettext("The date cannot be before the last corrections arrived "
                              "(%(day)s).", day=last.isoformat())}
    return {}


ACTIONS: dict[str, ItemAction] = {a.key: a for a in (
    ItemAction("accept", _("Accept (受理)"), (ItemStatus.NOT_STARTED,),
               (_ON, Field("responsible_person", _("Person in charge")),
                Field("responsible_phone", _("Phone of the person in charge"))), _accept, audit="item_accept"),
    ItemAction("request_correction", _("Ask for corrections (要求补正)"), _WORKING,
               (_ON, Field("note", _("What is to be corrected"), "textarea", True)),
               _request_correction, style="warning", audit="item_correct",
               extra_checks=(_not_before_accepted, _after_last_correction)),
    ItemAction("correction_arrived", _("Corrections arrived (补正到达)"),
               (ItemStatus.CORRECTING,),
               (_ON, Field("note", _("Note"), "textarea")), _correction_arrived, audit="item_corrected",
               extra_checks=(_not_before_requested,)),
    ItemAction("finish", _("Finish (办结)"), _WORKING,
               (_ON, Field("result", _("Result"), "text", True),
                Field("certificate_no", _("Certificate no."))), _finish, decides=True, audit="item_finish",
               style="success", extra_checks=(_not_before_accepted, _after_last_correction)),
    ItemAction("refuse", _("Refuse (不予许可)"), _WORKING + (ItemStatus.CORRECTING,),
               (_ON, Field("reason", _("Reason"), "textarea", True)), _refuse, decides=True, audit="item_refuse",
               style="danger", extra_checks=(_not_before_accepted,)),
    ItemAction("commit", _("Approve on commitment (告知承诺)"),
               (ItemStatus.NOT_STARTED, ItemStatus.ACCEPTED),
               (_ON, Field("commitment", _("The applicant's commitment"), "textarea", True),
                Field("result", _("Result")), Field("certificate_no", _("Certificate no."))),
               _commit, decides=True, audit="item_commit", style="info", region_flag="commitment_allowed",
               extra_checks=(_not_before_accepted,)),
)}


def offered(item: ApprovalItem) -> list[ItemAction]:
    """The actions shown for the item now (its status, its region's settings)."""
    if item.project.status != ProjectStatus.ACTIVE:
        return []
    region = settings_region(item.project)
    return [a for a in ACTIONS.values() if item.status in a.allowed
            and (a.region_flag is None or getattr(region, a.region_flag, False))]


def _parse(action: ItemAction, raw: Mapping[str, Any]) -> tuple[dict, dict]:
    values, errors = {}, {}
    today = clock.today()
    for f in action.fields:
        value = raw.get(f.name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if f.required:
                errors[f.name] = gettext("%(label)s is required.", label=f.label)
            continue
        if f.kind == "date":
            try:
                value = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except ValueError:
                errors[f.name] = gettext("%(label)s: not a date (YYYY-MM-DD).", label=f.label)
                continue
            if value > today:
                errors[f.name] = gettext("%(label)s cannot be in the future.", label=f.label)
                continue
        elif not isinstance(value, str):
            errors[f.name] = gettext("%(label)s: not a text.", label=f.label)
            continue
        values[f.name] = value
    return values, errors


def refusal(item: ApprovalItem, action: ItemAction) -> str | None:
    """Why ``action`` cannot be taken on the item now, or None."""
    if item.project.status != ProjectStatus.ACTIVE:
        return gettext("The project is %(status)s: its items can no longer change.",
                       status=item.project.status.value)
    if item.status not in action.allowed:
        return gettext("“%(action)s” is not possible while the item is %(status)s (only when "
                       "it is %(allowed)s).", action=action.label, status=item.status.value,
                       allowed="、".join(str(s.value) for s in action.allowed))
    if action.region_flag and not getattr(settings_region(item.project), action.region_flag,
                                          False):
        return gettext("The region of this project does not allow “%(action)s”.",
                       action=action.label)
    return None


@dataclass
class Outcome:
    item: ApprovalItem
    action: ItemAction
    told: list[AppUser]


def perform(session: Session, item: ApprovalItem, user: AppUser | None, key: str,
            raw: Mapping[str, Any]) -> Outcome:
    """Take the action ``key`` on ``item`` with the values ``raw`` (form or JSON)."""
    action = ACTIONS.get(key)
    if action is None:
        raise DomainValidationError({"action": gettext("Unknown action %(key)s.", key=key)})
    why = refusal(item, action)
    if why:
        raise DomainValidationError({"status": why})
    values, errors = _parse(action, raw)
    for check in action.extra_checks:
        for name, message in check(item, values).items():
            errors.setdefault(name, message)
    if errors:
        raise DomainValidationError(errors)
    before = item.status
    action.run(session, item, values)
    session.flush()  # the item rule derives status and due date (and may refuse)
    record_event(session, action.audit, "ApprovalItem", item.id, {
        "action": key, "project_id": item.project_id,
        "status": [before.name, item.status.name],
        **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}})
    _notify_assistants(session, item, action, user)
    told = tell_result(session, item, user) if action.decides else []
    session.flush()
    return Outcome(item, action, told)


def _notify_assistants(session: Session, item: ApprovalItem, action: ItemAction,
                       user: AppUser | None) -> None:
    ids = [i for i in assistant_ids(session, item.project) if user is None or i != user.id]
    due = item.due_on.isoformat() if item.due_on else "—"
    notify(session, ids, f"item-action:{item.id}:{action.key}:{utcnow().isoformat()}",
           gettext("%(item)s: %(action)s", item=item.name, action=action.label),
           gettext("%(project)s — %(item)s is now %(status)s (due %(due)s).",
                   project=item.project.name, item=item.name, status=item.status.value,
                   due=due),
           f"{ITEM_LINK}{item.id}")
