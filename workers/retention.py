"""Retention jobs: the audit trail's older records move to archive files (nightly)."""
from __future__ import annotations

from .base import job


@job("default", timeout=3600)
def archive_audit_trail() -> dict:
    """Archive and remove audit records older than AUDIT_RETENTION_DAYS (≥ 184)."""
    from flask import current_app

    from app.extensions import db
    from app.services import audit_archive

    result = audit_archive.archive_old_records(
        db.session, current_app.config["AUDIT_ARCHIVE_DIR"],
        int(current_app.config.get("AUDIT_RETENTION_DAYS", audit_archive.MIN_RETENTION_DAYS)))
    return {"archived": result.count, "file": str(result.path) if result.path else None}
