"""资料归档: a project's archive files by category, the region's checklist, and closing.

Files are checked exactly as workflow attachments are (``workflow_files.check``: size,
type, content) and stored under FILES_DIR/archive/<project id>/ with a unique prefix; the
row keeps the stored and the uploaded name. A download is served only through the scoped
view, as an attachment (the app sends ``nosniff`` on every response).

A project is closed — as completed (在办 → 已完成) or, after termination, archived — only
when every category its region requires holds a file (``Region.archive_required``, default
``DEFAULT_REQUIRED``); the refusal names what is missing. Flushes, never commits.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import AppUser, ArchiveCategory, ArchiveFile, Project, ProjectStatus

from . import workflow_files
from .audit import record_event
from .errors import DomainValidationError
from .project_parties import settings_region

# Seed 004 「资料归档」: 服务方案、工作台账、评价资料.
DEFAULT_REQUIRED = (ArchiveCategory.PLAN, ArchiveCategory.LEDGER, ArchiveCategory.EVALUATION)


def required_categories(project: Project) -> list[ArchiveCategory]:
    names = settings_region(project).archive_required
    if not names:  # nothing chosen in the region's form: the categories of seed 004
        return list(DEFAULT_REQUIRED)
    return [ArchiveCategory[n] for n in names if n in ArchiveCategory.__members__]


def files_of(session: Session, project: Project) -> list[ArchiveFile]:
    return list(session.scalars(select(ArchiveFile).where(ArchiveFile.project_id == project.id)
                                .order_by(ArchiveFile.category, ArchiveFile.id)))


def checklist(session: Session, project: Project) -> list[tuple[ArchiveCategory, bool, int]]:
    """(category, required, number of files) for every category."""
    counts: dict[ArchiveCategory, int] = {}
    for f in files_of(session, project):
        counts[f.category] = counts.get(f.category, 0) + 1
    required = set(required_categories(project))
    return [(c, c in required, counts.get(c, 0)) for c in ArchiveCategory]


def missing(session: Session, project: Project) -> list[ArchiveCategory]:
    return [c for c, req, n in checklist(session, project) if req and n == 0]


def folder(project_id: int) -> Path:
    path = Path(current_app.config["FILES_DIR"]) / "archive" / str(int(project_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _category(value: object) -> ArchiveCategory | None:
    if isinstance(value, ArchiveCategory):
        return value
    if isinstance(value, str) and value in ArchiveCategory.__members__:
        return ArchiveCategory[value]
    return None


def upload(session: Session, project: Project, user: AppUser | None, category: object,
           files: Iterable, note: str | None = None) -> list[ArchiveFile]:
    """Store the files under ``category``; raises DomainValidationError (``category``,
    ``files``) with nothing stored."""
    errors = {}
    cat = _category(category)
    if cat is None:
        errors["category"] = _("Choose the category of the archive files.")
    if project.archived_on is not None:
        errors["project"] = _("The project is archived: nothing can be added.")
    try:
        kept = workflow_files.check(files)
    except workflow_files.AttachmentRefused as err:
        errors["files"] = err.message
        kept = []
    else:
        if not kept:
            errors["files"] = _("Choose at least one file.")
    if errors:
        raise DomainValidationError(errors)
    base = folder(project.id)
    rows, written = [], []
    try:
        for f in kept:
            name = workflow_files.clean_name(f.filename)
            stored = f"{uuid.uuid4().hex[:8]}-{name}"
            f.stream.seek(0)
            f.save(base / stored)
            written.append(base / stored)
            row = ArchiveFile(project=project, category=cat, stored_name=stored, filename=name,
                              size=(base / stored).stat().st_size, note=(note or None),
                              uploaded_by_id=user.id if user is not None else None)
            session.add(row)
            rows.append(row)
        session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    for row in rows:
        record_event(session, "archive_upload", "ArchiveFile", row.id,
                     {"project_id": project.id, "category": cat.name, "filename": row.filename})
    return rows


def path_of(row: ArchiveFile) -> Path | None:
    if workflow_files.clean_name(row.stored_name) != row.stored_name:
        return None
    path = folder(row.project_id) / row.stored_name
    return path if path.is_file() else None


def close_project(session: Session, project: Project, user: AppUser | None) -> Project:
    """Close the project: completed (from 在办) or archived (after termination)."""
    if project.archived_on is not None:
        raise DomainValidationError({"project": _("The project is archived already.")})
    lacking = missing(session, project)
    if lacking:
        raise DomainValidationError({"archive": _(
            "The archive is not complete; missing: %(categories)s.",
            categories="、".join(str(c.value) for c in lacking))})
    completed = project.status == ProjectStatus.ACTIVE
    if completed:
        project.status = ProjectStatus.COMPLETED
    project.archived_on = clock.today()
    project.archived_by_id = user.id if user is not None else None
    session.flush()
    record_event(session, "proj_archive", "Project", project.id,
                 {"completed": completed, "status": project.status.name})
    return project
