"""专班 meetings and their 议定事项 (seed 002 五·组织调度机制 and 六·及时落实专班会议议定事项;
seed 004 帮办服务联席会议): the commands.

A region keeps its task-force roster (组长, 副组长, 成员单位, 专班办公室). A meeting of the
region (推进会 monthly, 项目分析会 weekly, 联审会, 联席会议, 专题会) has a chair and attendees
from that roster, projects on its agenda — proposed from the data by the ``AGENDA_SOURCES``
— minutes, and decisions, each owned by a unit with a due date, followed to done or
cancelled (who, when). Each command checks its rules, flushes, never commits; a refusal is
a ``DomainValidationError`` with a message per field in the UI's language.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.clock import utcnow
from app.models import (
    AgendaItem,
    ApprovalItem,
    AppUser,
    CardLevel,
    CardSubject,
    Decision,
    DecisionStatus,
    ItemStatus,
    Meeting,
    MeetingAttendee,
    OrgUnit,
    Project,
    ProjectAssistant,
    ProjectStatus,
    Region,
    TaskForceMember,
    TaskForceRole,
    WarningCard,
)
from app.security import roles
from app.security.scope import Scope, role_names, scoped

from .card_notices import unit_officer_ids
from .errors import DomainValidationError
from .notifications import notify
from .people import person_name

DECISION_LINK = "/decisionview/show/"
MEETING_LINK = "/meetingview/show/"
# The horizon of the "items due soon" agenda source (seed 002: the weekly meeting looks two
# weeks ahead).
DUE_SOON_DAYS = 14
# Who closes any decision (done or cancelled); an officer of the owner unit may mark its
# own unit's decision done.
CLOSERS = (roles.DISPATCHER, roles.BUREAU_ADMIN, roles.SYSTEM_ADMIN)


def _id(obj, attr: str):
    """The id a relation points at, whether set as a row or as an id."""
    rel = getattr(obj, attr, None)
    return rel.id if rel is not None else getattr(obj, f"{attr}_id", None)


def _region_of(session: Session, obj) -> Region | None:
    region = getattr(obj, "region", None)
    if region is None and getattr(obj, "region_id", None):
        region = session.get(Region, obj.region_id)
    return region


def _unit_fits(session: Session, unit: OrgUnit, region: Region) -> bool:
    """A unit serves a region if it belongs to it, to a region inside it, or to one above
    it (a city bureau sits on a county's task force)."""
    unit_region = unit.region or session.get(Region, unit.region_id)
    return unit_region.path.startswith(region.path) or region.path.startswith(unit_region.path)


# -- the roster (专班) ----------------------------------------------------------------------
def member_errors(session: Session, member: TaskForceMember) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = (member.person_name or "").strip()
    unit = member.org_unit or (session.get(OrgUnit, member.org_unit_id)
                               if member.org_unit_id else None)
    if not name and unit is None:
        errors["person_name"] = _("Give the person's name, or choose a unit below.")
    if member.role in (TaskForceRole.LEADER, TaskForceRole.DEPUTY) and not name:
        errors["person_name"] = _("The leader and deputy leaders are people: give the name.")
    if member.role in (TaskForceRole.MEMBER_UNIT, TaskForceRole.OFFICE) and unit is None:
        errors["org_unit"] = _("Choose the unit (a member unit or the unit hosting the office).")
    region = _region_of(session, member)
    if region is None:
        errors["region"] = _("This field is required.")
    elif unit is not None and not _unit_fits(session, unit, region):
        errors["org_unit"] = _("%(unit)s does not serve %(region)s.", unit=unit.name,
                               region=region.name)
    return errors


def check_member(session: Session, member: TaskForceMember) -> None:
    with session.no_autoflush:
        errors = member_errors(session, member)
    if errors:
        raise DomainValidationError(errors)
    member.person_name = (member.person_name or "").strip() or None


def roster(session: Session, region_id: int) -> list[TaskForceMember]:
    """The region's task force in the order of 专班架构: leader, deputies, units, office."""
    order = {r: n for n, r in enumerate(TaskForceRole)}
    rows = session.scalars(select(TaskForceMember).where(TaskForceMember.region_id == region_id))
    return sorted(rows, key=lambda m: (order[m.role], m.seq, m.id))


# -- meetings -------------------------------------------------------------------------------
def meeting_errors(session: Session, meeting: Meeting) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (meeting.title or "").strip():
        errors["title"] = _("Give the meeting a title.")
    region_id = _id(meeting, "region")
    chair = meeting.chair or (session.get(TaskForceMember, meeting.chair_id)
                              if meeting.chair_id else None)
    if chair is not None and region_id is not None and chair.region_id != region_id:
        errors["chair"] = _("The chair must be on the task force of the meeting's region.")
    if chair is not None and not chair.person_name:
        errors["chair"] = _("The chair is a person: choose a leader or member with a name.")
    if meeting.id is not None and region_id is not None:
        state = sa_inspect(meeting)
        changed = state.attrs.region_id.history.has_changes() or state.attrs.region.history \
            .has_changes()
        if changed and (meeting.attendees or meeting.agenda):
            errors["region"] = _("The meeting already has attendees or an agenda of its "
                                 "region; it cannot move to another region.")
    return errors


def check_meeting(session: Session, meeting: Meeting) -> None:
    with session.no_autoflush:
        errors = meeting_errors(session, meeting)
    if errors:
        raise DomainValidationError(errors)
    meeting.title = meeting.title.strip()


def check_meeting_deletable(meeting: Meeting) -> None:
    """A meeting that decided something stays: its decisions are followed to done."""
    if meeting.decisions:
        raise DomainValidationError({"decisions": _(
            "This meeting has decisions; cancel them instead of deleting the meeting.")})


def set_attendees(session: Session, meeting: Meeting, members: Iterable[TaskForceMember]
                  ) -> list[MeetingAttendee]:
    """The meeting's attendees become ``members``, each from the region's roster."""
    members = list(dict.fromkeys(members))
    strangers = [str(m) for m in members if m.region_id != meeting.region_id]
    if strangers:
        raise DomainValidationError({"attendees": _(
            "Not on the task force of %(region)s: %(names)s. Attendees are picked from the "
            "meeting region's roster.", region=meeting.region.name, names="、".join(strangers))})
    wanted = {m.id for m in members}
    for row in list(meeting.attendees):
        if row.member_id not in wanted:
            meeting.attendees.remove(row)
    have = {row.member_id for row in meeting.attendees}
    for m in members:
        if m.id not in have:
            meeting.attendees.append(MeetingAttendee(member=m))
    session.flush()
    return list(meeting.attendees)


# -- the agenda and where it comes from -----------------------------------------------------
@dataclass
class Proposal:
    """A project proposed for the agenda, with every reason the sources found."""

    project: Project
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


# A source: (session, meeting, today) → {project id: reason}. Each looks at the projects in
# progress of the meeting's region (its subtree: a county meeting sees its towns' projects).
AgendaSource = Callable[[Session, Meeting, dt.date], dict[int, str]]


def projects_of(meeting: Meeting) -> ColumnElement[bool]:
    """The condition "a project in progress of the meeting's region"."""
    regions = select(Region.id).where(Region.path.like(meeting.region.path + "%"))
    return (or_(Project.region_id.in_(regions), Project.town_id.in_(regions))
            & (Project.status == ProjectStatus.ACTIVE))


def red_card_source(session: Session, meeting: Meeting, today: dt.date) -> dict[int, str]:
    """Projects with open red cards (红牌)."""
    rows = session.execute(
        select(WarningCard.project_id, func.count())
        .join(Project, Project.id == WarningCard.project_id)
        .where(projects_of(meeting), WarningCard.level == CardLevel.RED,
               WarningCard.cleared_at.is_(None))
        .group_by(WarningCard.project_id))
    return {pid: _("%(n)d open red card(s)", n=n) for pid, n in rows}


def items_due_source(session: Session, meeting: Meeting, today: dt.date) -> dict[int, str]:
    """Projects with approval items due in the next two weeks (still open)."""
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    rows = session.execute(
        select(ApprovalItem.project_id, func.count(), func.min(ApprovalItem.due_on))
        .join(Project, Project.id == ApprovalItem.project_id)
        .where(projects_of(meeting),
               ApprovalItem.status.in_((ItemStatus.ACCEPTED, ItemStatus.ACCEPTED_WITH_GAPS)),
               ApprovalItem.due_on >= today, ApprovalItem.due_on <= horizon)
        .group_by(ApprovalItem.project_id))
    return {pid: _("%(n)d item(s) due within two weeks (first %(day)s)", n=n,
                   day=first.isoformat()) for pid, n, first in rows}


def coordination_source(session: Session, meeting: Meeting, today: dt.date) -> dict[int, str]:
    """Projects with coordination requests open at the meeting's level: those the meeting's
    region handles now (app/services/coordination.py)."""
    from .coordination import open_requests_at_level

    found: dict[int, int] = {}
    for request in open_requests_at_level(session, meeting.region):
        found[request.project_id] = found.get(request.project_id, 0) + 1
    return {pid: _("%(n)d open coordination request(s) at this level", n=n)
            for pid, n in found.items()}


AGENDA_SOURCES: list[AgendaSource] = [red_card_source, items_due_source, coordination_source]


def propose_agenda(session: Session, meeting: Meeting, today: dt.date,
                   scope: Scope | None = None,
                   sources: Iterable[AgendaSource] | None = None) -> list[Proposal]:
    """The projects the sources propose that are not on the agenda yet, in project-code
    order; with ``scope``, only projects the user may see."""
    found: dict[int, list[str]] = {}
    for source in (AGENDA_SOURCES if sources is None else sources):
        for pid, reason in source(session, meeting, today).items():
            found.setdefault(pid, []).append(reason)
    on_agenda = {a.project_id for a in meeting.agenda}
    ids = [pid for pid in found if pid not in on_agenda]
    if not ids:
        return []
    stmt = select(Project).where(Project.id.in_(ids)).order_by(Project.code)
    if scope is not None:
        stmt = scoped(stmt, Project, scope)
    return [Proposal(p, found[p.id]) for p in session.scalars(stmt)]


def add_to_agenda(session: Session, meeting: Meeting, projects: Iterable[Project],
                  reasons: dict[int, str] | None = None) -> list[AgendaItem]:
    """Put projects of the meeting's region on its agenda (those already on it stay)."""
    projects = list(dict.fromkeys(projects))
    if not projects:
        raise DomainValidationError({"projects": _("Choose at least one project.")})
    inside = set(session.scalars(select(Project.id).where(
        Project.id.in_([p.id for p in projects]), projects_of(meeting))))
    strangers = [p.name for p in projects if p.id not in inside]
    if strangers:
        raise DomainValidationError({"projects": _(
            "Not a project in progress of %(region)s: %(names)s.", region=meeting.region.name,
            names="、".join(strangers))})
    have = {a.project_id for a in meeting.agenda}
    seq = max((a.seq for a in meeting.agenda), default=0)
    added = []
    for p in projects:
        if p.id in have:
            continue
        seq += 1
        row = AgendaItem(project=p, seq=seq, reason=((reasons or {}).get(p.id) or None))
        meeting.agenda.append(row)
        added.append(row)
    session.flush()
    return added


def agenda_errors(session: Session, item: AgendaItem) -> dict[str, str]:
    """An agenda row saved on its own screen: a project of the meeting's region, once."""
    meeting = item.meeting or session.get(Meeting, item.meeting_id)
    project = item.project or (session.get(Project, item.project_id) if item.project_id else None)
    if meeting is None:
        return {"meeting": _("This field is required.")}
    if project is None:
        return {"project": _("This field is required.")}
    inside = session.scalar(select(Project.id).where(Project.id == project.id,
                                                     projects_of(meeting)))
    if inside is None:
        return {"project": _("Not a project in progress of %(region)s: %(names)s.",
                             region=meeting.region.name, names=project.name)}
    twin = session.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.project_id == project.id,
        AgendaItem.id != (item.id or 0)))
    if twin is not None:
        return {"project": _("This project is already on the agenda.")}
    return {}


def check_agenda_item(session: Session, item: AgendaItem) -> None:
    with session.no_autoflush:
        errors = agenda_errors(session, item)
    if errors:
        raise DomainValidationError(errors)


# -- decisions (议定事项) -------------------------------------------------------------------
def decision_errors(session: Session, decision: Decision, today: dt.date,
                    stored_due_on: dt.date | None = None) -> dict[str, str]:
    """What is wrong with a decision as typed. ``stored_due_on``: the due date it had (an
    edit may keep a due date that has passed meanwhile, but not move it into the past)."""
    errors: dict[str, str] = {}
    if not (decision.content or "").strip():
        errors["content"] = _("Write what was decided.")
    meeting = decision.meeting or (session.get(Meeting, decision.meeting_id)
                                   if decision.meeting_id else None)
    if meeting is None:
        errors["meeting"] = _("This field is required.")
    unit = decision.owner_unit or (session.get(OrgUnit, decision.owner_unit_id)
                                   if decision.owner_unit_id else None)
    if unit is None:
        errors["owner_unit"] = _("A decision needs an owner unit: who carries it out?")
    elif meeting is not None and not _unit_fits(session, unit, meeting.region):
        errors["owner_unit"] = _("%(unit)s does not serve %(region)s.", unit=unit.name,
                                 region=meeting.region.name)
    if decision.due_on is None:
        errors["due_on"] = _("A decision needs a due date.")
    elif decision.due_on < today and decision.due_on != stored_due_on:
        errors["due_on"] = _("The due date %(day)s is in the past.",
                             day=decision.due_on.isoformat())
    project_id = _id(decision, "project")
    if project_id is not None and meeting is not None:
        on_agenda = {a.project_id for a in meeting.agenda}
        if project_id not in on_agenda:
            errors["project"] = _("The project is not on this meeting's agenda; add it to "
                                  "the agenda first.")
    if decision.id is not None and decision.status != DecisionStatus.OPEN:
        errors["content"] = _("This decision is closed (%(status)s); it is no longer edited.",
                              status=str(decision.status))
    return errors


def stored_due_on(decision: Decision) -> dt.date | None:
    """The due date the row had in the database before this change (None if new)."""
    if decision.id is None:
        return None
    history = sa_inspect(decision).attrs.due_on.history
    if history.deleted:
        return history.deleted[0]
    return decision.due_on


def check_decision(session: Session, decision: Decision, today: dt.date) -> None:
    with session.no_autoflush:
        errors = decision_errors(session, decision, today, stored_due_on(decision))
    if errors:
        raise DomainValidationError(errors)
    decision.content = decision.content.strip()


def decision_recipients(session: Session, decision: Decision) -> list[int]:
    """The owner unit's officers and the project's assistants."""
    ids = unit_officer_ids(session, decision.owner_unit_id)
    if decision.project_id:
        ids += list(session.scalars(select(ProjectAssistant.user_id).where(
            ProjectAssistant.project_id == decision.project_id)))
    return ids


def announce_decision(session: Session, decision: Decision) -> None:
    """Tell the owner unit and the project's assistants of a new decision (once)."""
    session.flush()
    notify(session, decision_recipients(session, decision), f"decision:{decision.id}:new",
           _("New meeting decision for %(unit)s", unit=decision.owner_unit.name),
           _("%(content)s — due %(day)s", content=decision.content,
             day=decision.due_on.isoformat()),
           f"{DECISION_LINK}{decision.id}")


def record_decision(session: Session, meeting: Meeting, content: str,
                    owner_unit: OrgUnit | None, due_on: dt.date | None, today: dt.date,
                    project: Project | None = None) -> Decision:
    """议定事项 of a meeting: checked, saved and announced to its owner."""
    # Ids, not rows: a refused decision must not ride into the session on a relation.
    decision = Decision(meeting_id=meeting.id, content=content or "",
                        owner_unit_id=owner_unit.id if owner_unit is not None else None,
                        due_on=due_on, project_id=project.id if project is not None else None,
                        status=DecisionStatus.OPEN)
    check_decision(session, decision, today)
    session.add(decision)
    session.flush()
    session.refresh(meeting, ["decisions"])
    announce_decision(session, decision)
    return decision


def may_close(user: AppUser, decision: Decision, cancelling: bool = False) -> bool:
    names = role_names(user)
    if names & set(CLOSERS):
        return True
    return (not cancelling and roles.DEPARTMENT in names
            and user.org_unit_id is not None and user.org_unit_id == decision.owner_unit_id)


def _close(session: Session, decision: Decision, user: AppUser, status: DecisionStatus,
           note: str | None, now: dt.datetime | None) -> Decision:
    if decision.status != DecisionStatus.OPEN:
        raise DomainValidationError({"status": _(
            "This decision is already closed (%(status)s).", status=str(decision.status))})
    if not may_close(user, decision, cancelling=status == DecisionStatus.CANCELLED):
        raise DomainValidationError({"status": _(
            "Only the dispatch centre, or an officer of the owner unit for its own "
            "decision, may close it.")})
    now = now or utcnow()
    decision.status = status
    decision.closed_at = now
    decision.closed_by_id = user.id
    decision.closed_by = person_name(user)
    decision.close_note = (note or "").strip() or None
    # Its overdue card goes at once (the next scan would clear it too).
    session.execute(update(WarningCard).where(
        WarningCard.subject == CardSubject.DECISION, WarningCard.subject_id == decision.id,
        WarningCard.cleared_at.is_(None)).values(cleared_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    session.flush()
    return decision


def complete_decision(session: Session, decision: Decision, user: AppUser,
                      note: str | None = None, now: dt.datetime | None = None) -> Decision:
    """已落实: what was done (optional), who and when."""
    return _close(session, decision, user, DecisionStatus.DONE, note, now)


def cancel_decision(session: Session, decision: Decision, user: AppUser, reason: str | None,
                    now: dt.datetime | None = None) -> Decision:
    """已取消, with the reason (required)."""
    if not (reason or "").strip():
        raise DomainValidationError({"close_note": _("Give the reason for cancelling.")})
    return _close(session, decision, user, DecisionStatus.CANCELLED, reason, now)


def open_decisions(session: Session, project_ids: Iterable[int], scope: Scope | None = None
                   ) -> dict[int, list[Decision]]:
    """The open decisions of each project (any meeting the scope shows), by due date."""
    ids = list(project_ids)
    if not ids:
        return {}
    stmt = (select(Decision).where(Decision.project_id.in_(ids),
                                   Decision.status == DecisionStatus.OPEN)
            .order_by(Decision.due_on, Decision.id))
    if scope is not None:
        stmt = scoped(stmt, Decision, scope)
    out: dict[int, list[Decision]] = {}
    for d in session.scalars(stmt):
        out.setdefault(d.project_id, []).append(d)
    return out
