"""The one start-up sequence: schema, roles, standard stages, holiday calendar.

`flask init`, `flask demo`, `python run.py` and the test session all call ``bootstrap``,
so a fresh database reaches the same state whichever way it is started.
"""
from __future__ import annotations

import os

from flask import Flask

from app.extensions import appbuilder, db
from app.security.sync import sync_security
from app.services.admin_account import ensure_admin
from app.services.calendar_seeding import ensure_calendar_seeded
from app.services.reference import ensure_standard_stages


def bootstrap(app: Flask, *, migrate: bool = True, seed_calendar: bool = True) -> list[str]:
    """Bring the database up to date (idempotent) and commit; returns what was done, line
    by line. The tests leave the calendar empty (``seed_calendar=False``): each calendar
    test seeds the days it needs."""
    lines: list[str] = []
    with app.app_context():
        if migrate:
            from flask_migrate import upgrade

            upgrade()
        lines += sync_security(appbuilder)
        ensure_standard_stages(db.session)
        if app.config.get("APP_ENV") == "production":
            lines += ensure_admin(db.session, os.environ.get("ADMIN_PASSWORD"))
        if seed_calendar:
            seeded = ensure_calendar_seeded(db.session)
            if seeded:
                lines.append(f"holiday calendar seeded for {len(seeded)} years")
        db.session.commit()
    lines.append("roles and standard stages are up to date")
    return lines
