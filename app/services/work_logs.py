"""帮办代办日志: the commands that record and change an assistant's work log and its site
photos (seed 003 第八条), shared by the screens, the REST API and the demo.

Who writes: an assistant of the project (a ``ProjectAssistant`` row), on a project in
progress; only the author changes a log afterwards. The day is a Beijing date, not in the
future. Photos go through ``site_photos`` (checked by content, re-encoded, thumbnailed);
when any photo is refused nothing is saved and the message names it. A new log clears the
author's 日志未报送 card of the project (``daily_reports``). Flushes, never commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import (
    AppUser,
    Project,
    ProjectAssistant,
    ProjectStatus,
    WorkLog,
    WorkLogKind,
    WorkLogPhoto,
)
from app.security.scope import Scope, select_in_scope

from . import daily_reports, site_photos
from .errors import DomainValidationError
from .project_parties import settings_region

MAX_PHOTOS = 12  # per log
MAX_CONTENT = 5000
MAX_PEOPLE = 255


def is_assistant(session: Session, project: Project, user: AppUser | None) -> bool:
    if user is None or project is None:
        return False
    return session.scalar(select(ProjectAssistant.id).where(
        ProjectAssistant.project_id == project.id,
        ProjectAssistant.user_id == user.id)) is not None


def _kind(value: object) -> WorkLogKind | None:
    if isinstance(value, WorkLogKind):
        return value
    if isinstance(value, str) and value in WorkLogKind.__members__:
        return WorkLogKind[value]
    return None


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _check(session: Session, project: Project | None, user: AppUser | None, fields: dict,
           photos: list, kept: int) -> tuple[dict, dict]:
    """(clean values, errors) for the log's fields; photos are checked (and re-encoded) only
    when the fields are otherwise fine enough to be worth the work."""
    errors: dict = {}
    if project is None:
        errors["project"] = _("Choose the project.")
    elif project.status != ProjectStatus.ACTIVE:
        errors["project"] = _("The project is no longer in progress: no more work logs.")
    elif not is_assistant(session, project, user):
        errors["project"] = _("Only an assistant of this project may write its work log.")
    day = _day(fields.get("logged_on"))
    if day is None:
        errors["logged_on"] = _("Enter the date of the work (YYYY-MM-DD).")
    elif day > clock.today():
        errors["logged_on"] = _("The date of the work cannot be in the future.")
    kind = _kind(fields.get("kind"))
    if kind is None:
        errors["kind"] = _("Choose how the work was done.")
    content = _text(fields.get("content"))
    if not content:
        errors["content"] = _("Describe the work done.")
    elif len(content) > MAX_CONTENT:
        errors["content"] = _("At most %(n)s characters.", n=MAX_CONTENT)
    people = _text(fields.get("people_met"))
    if len(people) > MAX_PEOPLE:
        errors["people_met"] = _("At most %(n)s characters.", n=MAX_PEOPLE)
    follow_ups = _text(fields.get("follow_ups"))
    if len(follow_ups) > MAX_CONTENT:
        errors["follow_ups"] = _("At most %(n)s characters.", n=MAX_CONTENT)
    uploads = [p for p in photos or [] if p is not None and getattr(p, "filename", "")]
    if kept + len(uploads) > MAX_PHOTOS:
        errors["photos"] = _("At most %(n)s photos per work log.", n=MAX_PHOTOS)
    values = dict(logged_on=day, kind=kind, content=content, people_met=people or None,
                  follow_ups=follow_ups or None)
    return values, errors


def _prepared(photos, errors: dict) -> list[site_photos.PreparedPhoto]:
    try:
        return site_photos.prepare_all(photos)
    except site_photos.PhotoRefused as err:
        errors["photos"] = err.message
        return []


def _attach(session: Session, log: WorkLog, prepared: list, user: AppUser | None) -> list:
    written: list[str] = []
    try:
        for photo in prepared:
            stored, thumb = site_photos.write(log.project_id, photo)
            written += [stored, thumb]
            log.photos.append(WorkLogPhoto(
                stored_name=stored, thumb_name=thumb, filename=photo.filename,
                content_type="image/jpeg", size=len(photo.jpeg), width=photo.width,
                height=photo.height, taken_at=photo.taken_at, latitude=photo.latitude,
                longitude=photo.longitude, uploaded_by_id=user.id if user else None))
        session.flush()
    except BaseException:
        site_photos.remove(log.project_id, written)
        raise
    return written


def record_work_log(session: Session, project: Project | None, user: AppUser | None,
                    fields: dict, photos: Iterable = ()) -> WorkLog:
    """A new log of ``user`` on ``project`` with its photos. ``fields``: logged_on (date or
    ISO text), kind (WorkLogKind or its name), content, people_met, follow_ups. Raises
    DomainValidationError with a message per field (``photos`` for the photos)."""
    photos = list(photos or [])
    values, errors = _check(session, project, user, fields, photos, 0)
    prepared = _prepared(photos, errors) if not errors.get("photos") else []
    if errors:
        raise DomainValidationError(errors)
    log = WorkLog(project=project, author_id=user.id, **values)
    session.add(log)
    session.flush()
    _attach(session, log, prepared, user)
    daily_reports.clear_cards(session, project.id, user.id)
    return log


def update_work_log(session: Session, log: WorkLog, user: AppUser | None, fields: dict,
                    photos: Iterable = (), remove_photo_ids: Iterable = ()) -> WorkLog:
    """Change a log (its author only): fields as ``record_work_log``, photos to add, and the
    ids of its photos to remove."""
    photos = list(photos or [])
    remove = {int(i) for i in remove_photo_ids or [] if str(i).isdigit()}
    kept = [p for p in log.photos if p.id not in remove]
    values, errors = _check(session, log.project, user, fields, photos, len(kept))
    if user is None or log.author_id != user.id:
        errors["project"] = _("Only the author may change a work log.")
    prepared = _prepared(photos, errors) if not errors.get("photos") else []
    if errors:
        raise DomainValidationError(errors)
    for name, value in values.items():
        setattr(log, name, value)
    gone = [p for p in log.photos if p.id in remove]
    for photo in gone:
        log.photos.remove(photo)
    session.flush()
    _attach(session, log, prepared, user)
    # The files of removed photos go once the change is flushed (a rollback after this
    # leaves rows without files: they answer 404, never another photo).
    site_photos.remove(log.project_id, [n for p in gone for n in (p.stored_name, p.thumb_name)])
    return log


def loggable_projects(session: Session, user: AppUser | None) -> list[Project]:
    """The projects ``user`` may log: in their scope, in progress, and assisted by them."""
    if user is None:
        return []
    mine = select(ProjectAssistant.project_id).where(ProjectAssistant.user_id == user.id)
    return list(session.scalars(select_in_scope(
        Project, Project.status == ProjectStatus.ACTIVE, Project.id.in_(mine),
        scope=Scope(user)).order_by(Project.name)))


def logs_of(session: Session, project: Project, limit: int = 50) -> list[WorkLog]:
    """The project's latest logs (newest day first), for its page."""
    return list(session.scalars(select(WorkLog).where(WorkLog.project_id == project.id)
                                .order_by(WorkLog.logged_on.desc(), WorkLog.id.desc())
                                .limit(limit)))


def served_photo(photo: WorkLogPhoto) -> bytes | None:
    """The bytes a download sends: the stored JPEG, with its capture time and GPS position
    written back in unless the project's region strips them."""
    path = site_photos.path_of(photo.work_log.project_id, photo.stored_name)
    if path is None:
        return None
    data = path.read_bytes()
    if settings_region(photo.work_log.project).photo_strip_location:
        return data
    return site_photos.with_exif(data, site_photos.exif_block(
        photo.taken_at, photo.latitude, photo.longitude))


def thumbnail_of(photo: WorkLogPhoto) -> bytes | None:
    """The thumbnail's bytes (never any EXIF)."""
    path = site_photos.path_of(photo.work_log.project_id, photo.thumb_name)
    return path.read_bytes() if path is not None else None
