"""帮办代办日志 and 每日报送: an assistant logs a site visit with photos from the phone (screen)
or an app (API); photos are judged by their bytes, re-encoded and served only in scope,
with the capture time and distance from the site read from their EXIF; the other county,
the company and the departments see no log; an assistant who stops logging is reminded,
then the dispatchers get a red card, cleared by the next log."""
from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Applicant,
    AppUser,
    CardSubject,
    Notification,
    Project,
    ProjectAssistant,
    Region,
    WarningCard,
    WorkLog,
    WorkLogKind,
    WorkLogPhoto,
)
from app.security import roles
from app.security.scope import Scope, select_in_scope
from app.services import calendar, site_photos, warnings, work_logs
from app.services.errors import DomainValidationError

from . import factories as f
from .test_calendar import seeded_calendar  # noqa: F401  (the 2025–2026 schedule)

D = dt.date
SITE = (31.98, 119.58)  # the project's position
NEAR = (31.98 + 0.0027, 119.58)  # about 300 m north of it
TAKEN = dt.datetime(2026, 12, 1, 10, 12, 5)


# -- fixtures made here ------------------------------------------------------------------------
def jpeg(taken: dt.datetime | None = TAKEN, position=NEAR, size=(800, 600)) -> bytes:
    """A real JPEG as a phone writes it: EXIF capture time and a GPS IFD."""
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # the maker: must not survive the re-encoding
    if taken is not None:
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if position is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = "N", site_photos._dms(position[0])
        gps[3], gps[4] = "E", site_photos._dms(position[1])
    out = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` (a decompression bomb of bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


PHP_AS_JPG = b"<?php system($_GET['c']); ?>\n"
SVG_WITH_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                   b"<script>alert(document.cookie)</script></svg>")


def _project(app, world, county="a", position=SITE, assigned=D(2026, 11, 2)) -> int:
    """A project of the county with its assistant as the lead (and a site position)."""
    with app.app_context():
        c = getattr(world, county)
        project = f.project(db.session.get(Region, c.region.id),
                            db.session.get(Applicant, c.applicant.id))
        if position:
            project.latitude, project.longitude = position
        db.session.add(ProjectAssistant(project=project, user_id=c.users["assistant"].id,
                                        is_lead=True, assigned_on=assigned))
        db.session.commit()
        return project.id


def _post(client, pid, photos=(), url="/worklogview/add", **fields):
    data = {"project": str(pid), "logged_on": "2026-12-01", "kind": "VISIT",
            "content": "现场踏勘，核对用地红线", "people_met": "项目经理王工",
            "follow_ups": "督促设计单位周五前提交施工图", **fields}
    data["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    return client.post(url, data=data, content_type="multipart/form-data")


def _logs(app, pid) -> list[WorkLog]:
    with app.app_context():
        return list(db.session.scalars(select(WorkLog).where(WorkLog.project_id == pid)))


def _photos_dir(app, pid) -> Path:
    return Path(app.config["FILES_DIR"]) / "worklogs" / str(pid)


# -- the story ----------------------------------------------------------------------------------
def test_an_assistant_logs_a_site_visit_with_photos_from_the_screen(app, world, login):
    pid = _project(app, world)
    client = login("a_assistant")
    form = client.get(f"/worklogview/add?project={pid}").get_data(as_text=True)
    assert 'capture="environment"' in form and 'accept="image/*"' in form
    assert f'<option value="{pid}" selected>' in form
    resp = _post(client, pid, photos=[(jpeg(), "IMG_0001.JPG"), (f.png_bytes(40, 30), "板.png")])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    [log] = _logs(app, pid)
    with app.app_context():
        log = db.session.get(WorkLog, log.id)
        assert (log.logged_on, log.kind, log.author_id) == (
            D(2026, 12, 1), WorkLogKind.VISIT, world.a.users["assistant"].id)
        assert log.people_met == "项目经理王工" and log.follow_ups.startswith("督促")
        first, second = log.photos
        assert (first.filename, first.width, first.height) == ("IMG_0001.JPG", 800, 600)
        assert first.taken_at == TAKEN.replace(microsecond=0)
        assert first.latitude == pytest.approx(NEAR[0], abs=1e-6)
        assert first.longitude == pytest.approx(NEAR[1], abs=1e-6)
        assert second.taken_at is None and second.latitude is None
        # Stored under generated names, re-encoded as JPEG without any EXIF.
        stored = _photos_dir(app, pid) / first.stored_name
        assert first.stored_name != "IMG_0001.JPG" and stored.is_file()
        with Image.open(stored) as image:
            assert image.format == "JPEG" and len(image.getexif()) == 0
        with Image.open(_photos_dir(app, pid) / first.thumb_name) as thumb:
            assert max(thumb.size) <= site_photos.THUMB_EDGE
        with Image.open(_photos_dir(app, pid) / second.stored_name) as image:
            assert image.format == "JPEG"  # the PNG is stored as a JPEG too
        photo_id = first.id
    page = client.get(f"/worklogview/show/{log.id}").get_data(as_text=True)
    assert "拍摄于 2026-12-01 10:12，距项目地址约 300 米" in page
    assert "现场踏勘，核对用地红线" in page
    # The project page has the 日志 tab with the log.
    project_page = client.get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert 'href="#ProjectWorkLogsView"' in project_page
    assert "现场踏勘" in project_page
    download = client.get(f"/worklogview/photo/{photo_id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "image/jpeg"


def test_the_api_records_a_log_with_the_same_command(app, world, client, api_token):
    pid = _project(app, world)
    headers = api_token("a_assistant")
    resp = client.post("/api/v1/work_log/record", headers=headers, json={
        "project_id": pid, "logged_on": "2026-12-02", "kind": "PHONE",
        "content": "电话督促住建局受理"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    log_id = resp.json["result"]["id"]
    resp = client.post("/api/v1/work_log/record", headers=headers, data={
        "project_id": str(pid), "logged_on": "2026-12-03", "kind": "VISIT",
        "content": "现场", "photos": [(io.BytesIO(jpeg()), "a.jpg")]},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    [photo] = resp.json["result"]["photos"]
    assert photo["taken_at"] == "2026-12-01T10:12:05"
    assert photo["url"] == f"/worklogview/photo/{photo['id']}"  # the screens' route
    download = client.get(photo["api_url"], headers=headers)
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/api/v1/work_log/thumbnail/{photo['id']}",
                      headers=headers).status_code == 200
    other = api_token("b_dispatcher")
    assert client.get(f"/api/v1/work_log/photo/{photo['id']}", headers=other).status_code == 404
    # Refusals name their fields; nothing is saved.
    resp = client.post("/api/v1/work_log/record", headers=headers, json={
        "project_id": pid, "logged_on": "2099-01-01", "kind": "WALK", "content": " "})
    assert resp.status_code == 422
    assert set(resp.json["message"]) == {"logged_on", "kind", "content"}
    resp = client.post("/api/v1/work_log/record", headers=headers, json={
        "project_id": world.b.project.id, "logged_on": "2026-12-02", "kind": "PHONE",
        "content": "乙县的项目"})
    assert resp.status_code == 422 and "project_id" in resp.json["message"]
    # The author changes it; the list and detail are scoped reads.
    resp = client.post(f"/api/v1/work_log/{log_id}/update", headers=headers,
                       json={"content": "电话督促住建局受理，已约定周三受理"})
    assert resp.status_code == 200 and resp.json["result"]["content"].endswith("周三受理")
    assert client.get(f"/api/v1/work_log/{log_id}", headers=headers).status_code == 200
    assert len(_logs(app, pid)) == 2


def test_only_the_projects_assistants_write_and_only_the_author_edits(app, world, login):
    pid = _project(app, world)
    with app.app_context():
        f.user("a_assistant_other", [roles.ASSISTANT],
               region_=db.session.get(Region, world.a.region.id))
    client = login("a_assistant_other")
    resp = _post(client, pid)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="error-project"' in page
    assert "只有本项目的帮办员可以填写日志" in page
    assert "督促设计单位周五前提交施工图" in page  # what was typed is still there
    assert _logs(app, pid) == []
    # Dispatchers and clerks read; they do not write.
    assert login("a_dispatcher").post("/worklogview/add", data={}).status_code == 403
    _post(login("a_assistant"), pid)
    [log] = _logs(app, pid)
    assert login("a_clerk").get(f"/worklogview/show/{log.id}").status_code == 200
    with app.app_context():
        with pytest.raises(DomainValidationError) as refused:
            work_logs.update_work_log(db.session, db.session.get(WorkLog, log.id),
                                      db.session.get(AppUser, world.a.users["dispatcher"].id),
                                      {"logged_on": "2026-12-01", "kind": "VISIT",
                                       "content": "改写"})
        assert "project" in refused.value.errors
        db.session.rollback()


def test_the_other_county_the_company_and_departments_see_no_log(app, world, login):
    pid = _project(app, world)
    _post(login("a_assistant"), pid, photos=[(jpeg(), "a.jpg")])
    [log] = _logs(app, pid)
    with app.app_context():
        photo_id = db.session.scalar(select(WorkLogPhoto.id).where(
            WorkLogPhoto.work_log_id == log.id))
    other = login("b_dispatcher")
    for url in (f"/worklogview/show/{log.id}", f"/worklogview/photo/{photo_id}",
                f"/worklogview/thumbnail/{photo_id}", f"/api/v1/work_log/{log.id}"):
        assert other.get(url).status_code == 404, url
    assert "现场踏勘" not in other.get("/worklogview/list/").get_data(as_text=True)
    # The company and the departments hold no permission on logs, and their scope has none.
    for key in ("company", "dept"):
        client = login(f"a_{key}")
        assert client.get("/worklogview/list/").status_code == 403
        assert client.get(f"/worklogview/photo/{photo_id}").status_code == 403
        assert client.get("/dailyreport/").status_code == 403
        with app.app_context():
            user = db.session.get(AppUser, world.a.users[key].id)
            assert db.session.scalars(select_in_scope(WorkLog, scope=Scope(user))).all() == []
            assert db.session.scalars(select_in_scope(WorkLogPhoto,
                                                      scope=Scope(user))).all() == []
    page = login("a_company").get(f"/projectview/show/{pid}").get_data(as_text=True)
    assert "ProjectWorkLogsView" not in page


# -- photos judged by their bytes -----------------------------------------------------------------
@pytest.mark.parametrize("content, name, words", [
    (PHP_AS_JPG, "shell.jpg", "含有脚本或网页代码"),
    (b"GIF89a" + b"\x00" * 32, "anim.jpg", "不是照片"),
    (SVG_WITH_SCRIPT, "logo.png", "含有脚本或网页代码"),
    (SVG_WITH_SCRIPT, "logo.svg", "含有脚本或网页代码"),
    (png_header(30000, 30000), "bomb.png", "百万像素"),
    (jpeg()[:400], "broken.jpg", "已损坏"),
])
def test_a_photo_that_is_not_a_photo_is_refused_next_to_the_field(app, world, login, content,
                                                                  name, words):
    pid = _project(app, world)
    resp = _post(login("a_assistant"), pid, photos=[(jpeg(), "good.jpg"), (content, name)])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    error = page.split('id="error-photos"', 1)[1].split("</span>", 1)[0]
    assert words in error and name in error and "good.jpg" not in error
    assert "现场踏勘，核对用地红线" in page and "项目经理王工" in page  # nothing typed is lost
    assert _logs(app, pid) == []
    assert not _photos_dir(app, pid).exists() or not any(_photos_dir(app, pid).iterdir())


def test_a_photo_over_the_size_cap_is_refused(app, world, login):
    pid = _project(app, world)
    app.config["WORK_LOG_PHOTO_MAX_MB"] = 1
    try:
        big = jpeg() + b"\x00" * (1024 * 1024)
        resp = _post(login("a_assistant"), pid, photos=[(big, "big.jpg")])
    finally:
        app.config.pop("WORK_LOG_PHOTO_MAX_MB")
    page = resp.get_data(as_text=True)
    assert "超过每张照片 1 MB 的上限" in page.split('id="error-photos"', 1)[1]
    assert _logs(app, pid) == []


def test_a_hostile_file_name_is_only_a_label(app, world, login):
    pid = _project(app, world)
    client = login("a_assistant")
    assert _post(client, pid, photos=[(jpeg(), "../../x.jpg")]).status_code == 302
    [log] = _logs(app, pid)
    with app.app_context():
        [photo] = db.session.get(WorkLog, log.id).photos
        assert photo.filename == "x.jpg"
        assert "/" not in photo.stored_name and photo.stored_name.endswith(".jpg")
        assert (_photos_dir(app, pid) / photo.stored_name).is_file()
        assert not (Path(app.config["FILES_DIR"]) / "worklogs" / "x.jpg").exists()
        photo_id = photo.id
    resp = client.get(f"/worklogview/photo/{photo_id}")
    assert 'filename=x.jpg' in resp.headers["Content-Disposition"]


# -- EXIF, distance and the strip setting -------------------------------------------------------
def test_capture_time_and_position_are_read_from_exif(app):
    class Upload:
        def __init__(self, data, name):
            self.stream, self.filename = io.BytesIO(data), name

    with app.app_context():
        photo = site_photos.prepare(Upload(jpeg(), "p.jpg"))
        assert photo.taken_at == dt.datetime(2026, 12, 1, 10, 12, 5)
        assert (photo.latitude, photo.longitude) == (pytest.approx(NEAR[0], abs=1e-6),
                                                     pytest.approx(NEAR[1], abs=1e-6))
        bare = site_photos.prepare(Upload(jpeg(taken=None, position=None), "p.jpg"))
        assert (bare.taken_at, bare.latitude) == (None, None)
        with Image.open(io.BytesIO(photo.jpeg)) as image:
            assert len(image.getexif()) == 0  # the maker and the rest are gone


def test_the_distance_reads_as_people_say_it(app):
    assert site_photos.distance_m(*SITE, *NEAR) == pytest.approx(300, abs=1)
    with app.test_request_context("/"):
        assert site_photos.distance_text(3) == "10 米"
        assert site_photos.distance_text(304) == "300 米"
        assert site_photos.distance_text(1234) == "1.2 公里"
        assert site_photos.distance_text(15400) == "15 公里"
        project = Project(latitude=None, longitude=None)
        photo = WorkLogPhoto(taken_at=TAKEN, latitude=NEAR[0], longitude=NEAR[1])
        assert site_photos.where_and_when(photo, project) == \
            "拍摄于 2026-12-01 10:12，位置 31.98270, 119.58000"
        project.latitude, project.longitude = SITE
        assert site_photos.where_and_when(photo, project) == \
            "拍摄于 2026-12-01 10:12，距项目地址约 300 米"


def test_the_region_decides_whether_served_photos_carry_time_and_position(app, world, login):
    pid = _project(app, world)
    client = login("a_assistant")
    _post(client, pid, photos=[(jpeg(), "a.jpg")])
    [log] = _logs(app, pid)
    with app.app_context():
        photo_id = db.session.get(WorkLog, log.id).photos[0].id

    def served_exif():
        resp = client.get(f"/worklogview/photo/{photo_id}")
        assert resp.status_code == 200
        with Image.open(io.BytesIO(resp.data)) as image:
            image.load()
            exif = image.getexif()
            return exif.get_ifd(0x8769).get(36867), dict(exif.get_ifd(0x8825))

    taken, gps = served_exif()
    assert taken == "2026:12:01 10:12:05" and gps[1] == "N" and gps[3] == "E"
    with app.app_context():
        db.session.get(Region, world.a.region.id).photo_strip_location = True
        db.session.commit()
    assert served_exif() == (None, {})
    assert 'id="strip-note"' in client.get(f"/worklogview/show/{log.id}").get_data(
        as_text=True)
    with app.app_context():  # the record keeps both
        photo = db.session.get(WorkLogPhoto, photo_id)
        assert photo.taken_at is not None and photo.latitude is not None
    # Thumbnails never carry any.
    with Image.open(io.BytesIO(client.get(f"/worklogview/thumbnail/{photo_id}").data)) as t:
        assert len(t.getexif()) == 0


# -- 每日报送 --------------------------------------------------------------------------------
def _daily(app, pid, user_id):
    """(reminder notifications of the assistant, open cards, all cards) for the project."""
    with app.app_context():
        db.session.expire_all()
        pa_id = db.session.scalar(select(ProjectAssistant.id).where(
            ProjectAssistant.project_id == pid, ProjectAssistant.user_id == user_id))
        reminders = db.session.scalars(select(Notification.event_key).where(
            Notification.user_id == user_id,
            Notification.event_key.like(f"daily_report:{pa_id}:%"))).all()
        cards = db.session.scalars(select(WarningCard).where(
            WarningCard.subject == CardSubject.DAILY_REPORT,
            WarningCard.subject_id == pa_id)).all()
        return reminders, [c for c in cards if c.cleared_at is None], cards


def _daily_reports_on(app, world, county="a", days=1):
    with app.app_context():
        db.session.get(Region, getattr(world, county).region.id).daily_report_days = days
        db.session.commit()


def _scan(app, day):
    with app.app_context():
        calendar.invalidate()
        warnings.scan(db.session, today=day)
        db.session.commit()


def test_daily_report_reminds_then_cards_over_the_national_day_week(app, world,
                                                                    seeded_calendar):  # noqa: F811
    # The last log on Wed 2026-09-30; 10-01 … 10-07 are holidays, Sat 10-10 is worked.
    pid = _project(app, world, assigned=D(2026, 9, 30))
    _daily_reports_on(app, world)
    uid = world.a.users["assistant"].id
    for day in (D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 8)):
        _scan(app, day)
        assert _daily(app, pid, uid)[:2] == ([], []), day  # holidays and the first day back
    _scan(app, D(2026, 10, 9))  # Thu 10-08 passed without a log
    reminders, open_cards, _ = _daily(app, pid, uid)
    assert reminders == [f"daily_report:{reminders[0].split(':')[1]}:2026-09-30"]
    assert open_cards == []
    _scan(app, D(2026, 10, 10))  # still nothing on Fri 10-09: the dispatchers get a card
    reminders, [card], _ = _daily(app, pid, uid)
    assert len(reminders) == 1 and card.due_on == D(2026, 10, 8)
    assert card.project_id == pid and card.title.startswith("a_assistant") or "·" in card.title
    with app.app_context():
        told = db.session.scalars(select(Notification.user_id).where(
            Notification.event_key.like(f"card:{card.id}:%"))).all()
    assert world.a.users["dispatcher"].id in told
    _scan(app, D(2026, 10, 11))  # Sunday: nothing new, nothing twice
    assert len(_daily(app, pid, uid)[0]) == 1 and len(_daily(app, pid, uid)[1]) == 1
    # A log clears the card at once, and the next scans leave it cleared.
    with app.app_context():
        work_logs.record_work_log(db.session, db.session.get(Project, pid),
                                  db.session.get(AppUser, uid),
                                  {"logged_on": "2026-10-10", "kind": "MEETING",
                                   "content": "参加项目推进会"})
        db.session.commit()
    assert _daily(app, pid, uid)[1] == []
    _scan(app, D(2026, 10, 12))
    reminders, open_cards, cards = _daily(app, pid, uid)
    assert open_cards == [] and len(cards) == 1 and len(reminders) == 1


def test_a_county_with_zero_days_sends_no_daily_reminders(app, world, seeded_calendar):  # noqa: F811
    off = _project(app, world, county="b", assigned=D(2026, 11, 2))
    on = _project(app, world, county="a", assigned=D(2026, 11, 2))
    _daily_reports_on(app, world, "a", 2)
    _daily_reports_on(app, world, "b", 0)
    _scan(app, D(2026, 11, 20))
    assert _daily(app, off, world.b.users["assistant"].id)[:2] == ([], [])
    reminders, [card], _ = _daily(app, on, world.a.users["assistant"].id)
    assert len(reminders) == 1 and card.due_on == D(2026, 11, 4)  # two working days


def test_the_dispatcher_sees_who_reported_today(app, world, login):
    from app import clock

    reported = _project(app, world)
    silent = _project(app, world)
    with app.app_context():
        work_logs.record_work_log(db.session, db.session.get(Project, reported),
                                  db.session.get(AppUser, world.a.users["assistant"].id),
                                  {"logged_on": clock.today(), "kind": "ONLINE",
                                   "content": "网上预审材料"})
        db.session.commit()
    page = login("a_dispatcher").get("/dailyreport/").get_data(as_text=True)
    row = page.split(f'data-project="{reported}"', 1)[1].split("</tr>", 1)[0]
    assert "已报送" in row
    row = page.split(f'data-project="{silent}"', 1)[1].split("</tr>", 1)[0]
    assert "未报送" in row
    # Another county's projects are not listed; a bad date is said next to the field.
    other = login("b_dispatcher").get("/dailyreport/?day=2026-13-01").get_data(as_text=True)
    assert f'data-project="{reported}"' not in other and "YYYY-MM-DD" in other


def test_the_author_edits_a_log_removes_a_photo_and_adds_one(app, world, login):
    pid = _project(app, world)
    client = login("a_assistant")
    _post(client, pid, photos=[(jpeg(), "old.jpg")])
    [log] = _logs(app, pid)
    with app.app_context():
        old = db.session.get(WorkLog, log.id).photos[0]
        old_id, old_file = old.id, _photos_dir(app, pid) / old.stored_name
    form = client.get(f"/worklogview/edit/{log.id}").get_data(as_text=True)
    assert "现场踏勘，核对用地红线" in form and f'value="{old_id}"' in form
    resp = client.post(f"/worklogview/edit/{log.id}", data={
        "logged_on": "2026-12-01", "kind": "MEETING", "content": "改为会议协调",
        "remove_photo": [str(old_id)], "photos": [(io.BytesIO(jpeg()), "new.jpg")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        log = db.session.get(WorkLog, log.id)
        assert (log.kind, log.content) == (WorkLogKind.MEETING, "改为会议协调")
        assert [p.filename for p in log.photos] == ["new.jpg"]
    assert not old_file.exists()
    # A bad edit keeps what was typed and changes nothing.
    resp = client.post(f"/worklogview/edit/{log.id}", data={
        "logged_on": "2026-12-01", "kind": "MEETING", "content": "再改",
        "photos": [(io.BytesIO(PHP_AS_JPG), "x.jpg")]}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "再改" in resp.get_data(as_text=True)
    assert _logs(app, pid)[0].content == "改为会议协调"
    # Another assistant of the project is sent back to the log; a dispatcher may not edit.
    with app.app_context():
        other = f.user("a_assistant_second", [roles.ASSISTANT],
                       region_=db.session.get(Region, world.a.region.id))
        db.session.add(ProjectAssistant(project_id=pid, user_id=other.id, is_lead=False))
        db.session.commit()
    resp = login("a_assistant_second").get(f"/worklogview/edit/{log.id}")
    assert resp.status_code == 302 and f"/worklogview/show/{log.id}" in resp.location
    assert login("a_dispatcher").get(f"/worklogview/edit/{log.id}").status_code == 403


def test_the_region_form_sets_the_daily_days_and_the_photo_stripping(app, world, login):
    client = login("sysadmin")
    form = client.get(f"/regionview/edit/{world.a.region.id}").get_data(as_text=True)
    assert 'name="daily_report_days"' in form and 'name="photo_strip_location"' in form
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        data = {"code": region.code, "name": region.name, "level": region.level.name,
                "parent": region.parent_id, "warning_days": region.warning_days,
                "intake_days": region.intake_days}
    for days, strip in ((2, True), (0, False)):
        posted = {**data, "daily_report_days": days}
        if strip:
            posted["photo_strip_location"] = "y"
        resp = client.post(f"/regionview/edit/{world.a.region.id}", data=posted)
        assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
        with app.app_context():
            region = db.session.get(Region, world.a.region.id)
            assert (region.daily_report_days, region.photo_strip_location) == (days, strip)


def test_the_project_takes_its_site_position(app, world, client, api_token):
    pid = _project(app, world, position=None)
    headers = api_token("a_clerk")
    resp = client.put(f"/api/v1/project/{pid}", headers=headers,
                      json={"latitude": 95.0, "longitude": 119.58})
    assert resp.status_code == 422 and "latitude" in resp.json["message"]
    resp = client.put(f"/api/v1/project/{pid}", headers=headers,
                      json={"latitude": SITE[0], "longitude": SITE[1]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, pid)
        assert (project.latitude, project.longitude) == SITE


def test_the_project_form_has_the_site_position(app, world, login):
    page = login("a_clerk").get(f"/projectview/edit/{world.a.project.id}").get_data(
        as_text=True)
    assert 'name="latitude"' in page and 'name="longitude"' in page
