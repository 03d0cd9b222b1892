"""Application factory for the major-project approval assistance back office."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.middleware.proxy_fix import ProxyFix

from app import clock
from config import Config

from .extensions import appbuilder, csrf, db

log = logging.getLogger(__name__)


def create_app(config: Config | None = None, web: bool = True) -> Flask:
    """The application. ``web=False`` builds the lean app an RQ worker needs (settings,
    database, audit hook, CLI) without Flask-AppBuilder's screens, APIs and permission
    bookkeeping, which cost a worker process about 25 MB and are never used by jobs."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config())
    app.config.setdefault("FAB_BASE_TEMPLATE", "base.html")
    if app.config.get("APP_ENV") == "production":
        # gunicorn sits behind a reverse proxy: take the client IP from it for the audit.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    from . import models  # noqa: F401  (register every table with the metadata)
    from .security import duties
    from .services import applicants, audit, closed_projects, items

    db.init_app(app)
    with app.app_context():
        audit.install(db.session)
        items.install(db.session)
        closed_projects.install(db.session)
        duties.install(db.session)
        applicants.install(db.session)
    if not web:
        from .plugins import load_plugins

        load_plugins(app)  # guards, effects, reminder rules, ledger columns; no screens
        return app
    # Alembic (and its templates) is loaded only where `flask db` can be run.
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    csrf.init_app(app)  # before FAB, so its APIs can exempt themselves
    with app.app_context():
        # FAB writes its permission rows at start-up; on an empty database (before
        # `db upgrade`) there is nothing to write to yet.
        app.config["FAB_UPDATE_PERMS"] = app.config.get("FAB_UPDATE_PERMS", True) and _schema_ready(
            app.config["AUTH_ROLE_ADMIN"])
        appbuilder.init_app(app, db.session)
        from .views import register_views

        register_views(appbuilder)
        _install_security(app)
        from .plugins import load_plugins
        from .views.base import SCOPED_VIEW_BASES

        load_plugins(app, appbuilder, SCOPED_VIEW_BASES)
        if app.config.get("APP_ENV") == "production" and _serving():
            from sqlalchemy import inspect

            from .services.admin_account import refuse_default_admin

            if inspect(db.engine).has_table("ab_user"):  # before `db upgrade`: nothing to ask
                refuse_default_admin(db.session)
            db.session.remove()

    # One display format for stored (UTC) timestamps in every template.
    app.jinja_env.filters["beijing"] = clock.display
    from .views import cells

    cells.install(app)
    _register_error_pages(app)
    from .cli import register_cli

    register_cli(app)
    return app


def _install_security(app: Flask) -> None:
    """Sessions that end on the server, the API's CSRF rule, the login rate limit on the
    JWT login too, security headers, hostile input refused with a 400, failures shown
    with a reference and no detail, and a Chinese 429 page (docs/architecture.md)."""
    from flask import jsonify, request
    from flask_babel import gettext

    from .security import duties, failures, headers, sessions
    from .security import input as hostile_input
    from .security.sync import menu_index

    sessions.install(app, appbuilder.sm.jwt_manager)
    duties.reserve_menus(menu_index(appbuilder))
    appbuilder.sm.limit_api_login(app)
    headers.install(app)
    hostile_input.install(app, appbuilder)
    failures.install(app, appbuilder)

    @app.errorhandler(429)
    def _too_many(_err):
        message = gettext("Too many sign-in attempts; please wait a minute and try again.")
        if request.path.startswith("/api/"):
            return jsonify(message=message), 429
        return render_template("error.html", code=429, message=message, appbuilder=appbuilder,
                               base_template=appbuilder.base_template), 429


def _serving() -> bool:
    """Whether this process serves requests (gunicorn, `python run.py`) rather than runs
    a `flask` command: `flask init` must start in order to replace the admin password."""
    import click

    return click.get_current_context(silent=True) is None


def _migrations_dir():
    from config import BASE_DIR

    return BASE_DIR / "migrations"


def _schema_ready(admin_role: str) -> bool:
    """Whether FAB may write permissions at start-up: the schema is migrated and `flask
    init` has created the admin role (before that FAB would fail on every view)."""
    from sqlalchemy import inspect, text

    try:
        if not inspect(db.engine).has_table("ab_role"):
            return False
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM ab_role WHERE name = :n"),
                                {"n": admin_role}).first() is not None
    except Exception:  # database not reachable yet: FAB must not try either
        log.warning("database not reachable; permissions not updated at start-up")
        return False


def _register_error_pages(app: Flask) -> None:
    def page(code):
        def handler(_err):
            return render_template("error.html", code=code, appbuilder=appbuilder,
                                   base_template=appbuilder.base_template), code
        return handler

    for code in (403, 404):  # 500: app/security/failures.py
        app.register_error_handler(code, page(code))
