"""Demo data of the 专班 and its meetings: the first county's task force (seed 002 专班架构:
the 行政审批局's head as leader, the heads of 发改, 自然资源和规划, 住建 as deputies, the
departments as member units, the office at the 行政审批局), this week's 项目分析会 with its
agenda proposed from the data, minutes and two decisions (one open, one carried out)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    AppUser,
    Meeting,
    MeetingKind,
    OrgUnit,
    Project,
    Region,
    TaskForceMember,
    TaskForceRole,
)
from app.services import calendar, meetings

LEADER = ("行政审批局", "陈建华", "局长")
DEPUTIES = (("发展和改革委员会", "周立新", "副主任"), ("自然资源和规划局", "吴海燕", "副局长"),
            ("住房和城乡建设局", "徐明", "副局长"))
OFFICE = ("行政审批局", "孙丽", "政务服务管理科科长")


def load_demo_meetings(session: Session, region: Region, departments: dict[str, OrgUnit],
                       dispatcher: AppUser) -> int:
    """Add the county's roster and one held meeting, once; returns the rows added."""
    if session.scalar(select(TaskForceMember.id).where(
            TaskForceMember.region_id == region.id).limit(1)) is not None:
        return 0
    rows: list = []
    leader = TaskForceMember(region=region, role=TaskForceRole.LEADER, seq=1,
                             org_unit=departments[LEADER[0]], person_name=LEADER[1],
                             title=LEADER[2])
    rows.append(leader)
    for n, (unit, name, title) in enumerate(DEPUTIES, start=1):
        rows.append(TaskForceMember(region=region, role=TaskForceRole.DEPUTY, seq=n,
                                    org_unit=departments[unit], person_name=name, title=title))
    for n, unit in enumerate(departments.values(), start=1):
        rows.append(TaskForceMember(region=region, role=TaskForceRole.MEMBER_UNIT, seq=n,
                                    org_unit=unit))
    rows.append(TaskForceMember(region=region, role=TaskForceRole.OFFICE, seq=1,
                                org_unit=departments[OFFICE[0]], person_name=OFFICE[1],
                                title=OFFICE[2]))
    for row in rows:
        meetings.check_member(session, row)
    session.add_all(rows)
    today = clock.today()
    meeting = Meeting(region=region, kind=MeetingKind.ANALYSIS, held_on=today,
                      title=f"第{today.isocalendar().week}周重大项目分析会",
                      location="政务服务中心三楼会议室", chair=leader,
                      created_by_id=dispatcher.id,
                      minutes=("会议逐一听取了红牌项目和临期事项的情况汇报。会议要求各成员单位对照"
                               "议定事项，按时限落实，并于每周五前向专班办公室报送进展。"))
    session.add(meeting)
    session.flush()
    meetings.set_attendees(session, meeting, [m for m in rows if m.role != TaskForceRole.MEMBER_UNIT]
                           + [m for m in rows if m.role == TaskForceRole.MEMBER_UNIT][:4])
    proposals = meetings.propose_agenda(session, meeting, today)[:4]
    if not proposals:  # a quiet week: the county's first projects
        projects = list(session.scalars(select(Project).where(meetings.projects_of(meeting))
                                        .order_by(Project.code).limit(2)))
        reasons = {}
    else:
        projects = [p.project for p in proposals]
        reasons = {p.project.id: p.reason for p in proposals}
    added = 0
    if projects:
        meetings.add_to_agenda(session, meeting, projects, reasons)
        housing = departments["住房和城乡建设局"]
        open_one = meetings.record_decision(
            session, meeting, "加快施工图审查意见反馈，3个工作日内书面答复企业。", housing,
            calendar.add_working_days(today, 3), today, projects[0])
        done = meetings.record_decision(
            session, meeting, "组织供电公司现场踏勘，明确外线接入方案。",
            departments["发展和改革委员会"], calendar.add_working_days(today, 5), today,
            projects[-1])
        meetings.complete_decision(session, done, dispatcher, "已完成现场踏勘，接入方案已确定。")
        added = len(projects) + 2 + bool(open_one)
    return len(rows) + 1 + len(meeting.attendees) + added
