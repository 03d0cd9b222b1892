"""Coloured badges for the domain's states in lists and detail pages.

One table says which tone a value has (done green, in progress blue, overdue and red
cards red, yellow cards amber, waiting on someone orange, nothing happening grey), one
function renders it; views use the formatters below in ``formatters_columns`` and never
write badge HTML themselves. The tones are CSS classes of app/static/css/app.css.
"""
from __future__ import annotations

import enum

from flask import g, has_request_context
from markupsafe import Markup

from app import clock
from app.models import (
    CardLevel,
    CoordinationLevel,
    CoordinationStatus,
    DeliveryStatus,
    ItemStatus,
    JobStatus,
    ProjectStatus,
    UrgeCategory,
    UrgeProposalStatus,
    WorkflowInstanceStatus,
    WorkOrderOrigin,
    WorkOrderStatus,
)

RED, YELLOW, ORANGE, GREEN, BLUE, TEAL, GREY = (
    "red", "yellow", "orange", "green", "blue", "teal", "grey")
TONES_USED = (RED, YELLOW, ORANGE, GREEN, BLUE, TEAL, GREY)

TONES: dict[object, str] = {
    # A red card is red, a yellow card yellow: the colours the bureau's rules name them by.
    CardLevel.RED: RED,
    CardLevel.YELLOW: YELLOW,
    ItemStatus.NOT_STARTED: GREY,
    ItemStatus.ACCEPTED: BLUE,
    ItemStatus.CORRECTING: ORANGE,  # waiting for the applicant's corrections
    ItemStatus.ACCEPTED_WITH_GAPS: TEAL,
    ItemStatus.FINISHED: GREEN,
    ItemStatus.REFUSED: RED,
    ItemStatus.WITHDRAWN: GREY,
    ProjectStatus.ACTIVE: BLUE,
    ProjectStatus.COMPLETED: GREEN,
    ProjectStatus.TERMINATED: GREY,
    WorkOrderStatus.OPEN: BLUE,
    WorkOrderStatus.REPLIED: TEAL,
    WorkOrderStatus.RETURNED: ORANGE,
    WorkOrderStatus.CLOSED: GREEN,
    JobStatus.QUEUED: GREY,
    JobStatus.STARTED: BLUE,
    JobStatus.FINISHED: GREEN,
    JobStatus.FAILED: RED,
    DeliveryStatus.PENDING: GREY,
    DeliveryStatus.SENT: GREEN,
    DeliveryStatus.FAILED: RED,
    WorkflowInstanceStatus.RUNNING: BLUE,
    WorkflowInstanceStatus.COMPLETED: GREEN,
    WorkflowInstanceStatus.CANCELLED: GREY,
    # 催办 by hand (app/services/urges.py): where a work order came from, why, and an
    # assistant's proposal waiting for the dispatcher.
    WorkOrderOrigin.CARD: YELLOW,
    WorkOrderOrigin.MANUAL: TEAL,
    **{category: GREY for category in UrgeCategory},  # a tag, not a state
    UrgeProposalStatus.PENDING: ORANGE,
    UrgeProposalStatus.DISPATCHED: GREEN,
    UrgeProposalStatus.DECLINED: GREY,
    # 协调推进: waiting on the owners, answered (the raiser decides), solved; the higher
    # the level handling a request, the warmer its tone.
    CoordinationStatus.OPEN: ORANGE,
    CoordinationStatus.REPLIED: TEAL,
    CoordinationStatus.RESOLVED: GREEN,
    CoordinationLevel.TOWN: GREY,
    CoordinationLevel.COUNTY: BLUE,
    CoordinationLevel.CITY: YELLOW,
    CoordinationLevel.LEADER: RED,
}


# FAB hands list formatters an enum's value (its Chinese label), detail pages the member:
# both are found, by the label's own text (the same label means the same tone everywhere,
# a test checks).
_BY_LABEL = {str.__str__(member.value): tone for member, tone in TONES.items()}


def css_class(tone: str) -> str:
    return f"app-badge app-badge-{tone}"


def tone_of(value) -> str:
    tone = TONES.get(value) if isinstance(value, enum.Enum) else None
    if tone is None and isinstance(value, str):
        tone = _BY_LABEL.get(str.__str__(value))
    return tone or GREY


def badge(text, tone: str) -> Markup:
    """``text`` in a badge of ``tone`` (escaped). A list of 100 rows shows the same few
    states a few hundred times: each label (translated, escaped) is made once per request."""
    memo = _request_memo()
    key = (type(text), str.__str__(text) if isinstance(text, str) else text, tone)
    if memo is not None and key in memo:
        return memo[key]
    html = Markup('<span class="%s">%s</span>') % (css_class(tone), str(text))
    if memo is not None:
        memo[key] = html
    return html


def _request_memo() -> dict | None:
    """This request's badges, or None outside a request (the language may differ)."""
    if not has_request_context():
        return None
    memo = g.get("_badges")
    if memo is None:
        memo = g._badges = {}
    return memo


def state_badge(value) -> Markup:
    """A status or card level in its tone; empty for no value."""
    if value is None or value == "":
        return Markup("")
    return badge(value, tone_of(value))


def overdue_badge(days) -> Markup:
    """Working days overdue: a red badge when late, nothing otherwise."""
    if not days:
        return Markup("")
    return badge(days, RED)


def remaining_cell(days) -> Markup:
    """Working days left, a plain number (the yellow card is what warns)."""
    if days is None:
        return Markup("")
    return Markup('<span class="app-nowrap">%s</span>') % days


def pending_or_time(label, tone: str):
    """A formatter for a timestamp that marks a pending step: the badge ``label`` (a lazy
    translation) while the value is empty (not cleared, unread), else the time in Beijing
    time, muted."""
    def cell(value) -> Markup:
        if value is None:
            return badge(label, tone)
        return Markup('<span class="text-muted app-nowrap">%s</span>') % clock.display(value)

    return cell


__all__ = ["TONES", "badge", "state_badge", "overdue_badge", "remaining_cell",
           "pending_or_time"]
