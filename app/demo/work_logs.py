"""帮办代办日志 in the demo data: county a's first projects get a site position and a few
work logs of their assistant over the last working days (one site visit with a photo whose
EXIF says when and where it was taken), so 今日报送 and the photo text have something to
show; the other projects have none, so the first daily scan reminds their assistants.

Idempotent like the rest of the demo: a project that already has a log is left alone.
Written through the work-log command, so the photos are checked and stored as uploads are.
"""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from app import clock
from app.models import AppUser, Project, ProjectAssistant, ProjectStatus, Region, WorkLog
from app.services import calendar, site_photos, work_logs

# Around the demo county's seat; each project a little apart.
BASE_POSITION = (32.0117, 120.8625)
LOGGED = 3  # projects with logs
ENTRIES = (
    ("VISIT", "到项目现场查看场地平整和临时围挡，核对规划许可公示牌", "项目经理",
     "提醒企业补齐施工图审查意见"),
    ("PHONE", "电话联系住建局窗口，确认施工许可材料已受理", "住建局窗口工作人员", None),
    ("MEETING", "参加项目周例会，协调供电外线接入方案", "供电公司客户经理、企业项目经理",
     "下周二前供电公司答复接入方案"),
)


def _photo(taken: dt.datetime, position: tuple[float, float]) -> FileStorage:
    from PIL import Image

    image = Image.new("RGB", (960, 720), (96, 132, 84))
    block = site_photos.exif_block(taken, *position)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=block or b"")
    out.seek(0)
    return FileStorage(out, filename=f"IMG_{taken:%Y%m%d_%H%M}.jpg", content_type="image/jpeg")


def _working_days_back(today: dt.date, n: int) -> list[dt.date]:
    days, day = [], today
    while len(days) < n:
        if calendar.is_working_day(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return days


def load_demo_work_logs(session: Session, county: Region) -> int:
    """Logs on the county's first projects; returns the number of logs added."""
    rows = session.execute(
        select(Project, AppUser).join(ProjectAssistant, ProjectAssistant.project_id == Project.id)
        .join(AppUser, AppUser.id == ProjectAssistant.user_id)
        .where(Project.region_id == county.id, Project.status == ProjectStatus.ACTIVE,
               ProjectAssistant.is_lead.is_(True))
        .order_by(Project.code).limit(LOGGED)).all()
    added = 0
    days = _working_days_back(clock.today(), len(ENTRIES))
    for index, (project, assistant) in enumerate(rows):
        if session.scalar(select(exists().where(WorkLog.project_id == project.id))):
            continue
        if project.latitude is None:
            project.latitude = round(BASE_POSITION[0] + 0.01 * index, 6)
            project.longitude = round(BASE_POSITION[1] + 0.012 * index, 6)
        for day, (kind, content, people, follow_ups) in zip(reversed(days), ENTRIES,
                                                            strict=False):
            photos = []
            if kind == "VISIT":
                near = (project.latitude + 0.0018, project.longitude + 0.0012)
                photos = [_photo(dt.datetime.combine(day, dt.time(9, 40)), near)]
            work_logs.record_work_log(session, project, assistant, {
                "logged_on": day, "kind": kind, "content": content, "people_met": people,
                "follow_ups": follow_ups}, photos)
            added += 1
    session.flush()
    return added
