"""The home page: a short summary of the projects in the user's scope."""
from flask import current_app, g, redirect, send_from_directory, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from app import clock
from app.extensions import db
from app.models import ApprovalItem, ItemStatus, Project, ProjectStatus
from app.security import roles
from app.security.scope import role_names, scoped
from app.services import calendar


def project_summary() -> dict:
    session = db.session
    by_status = dict(session.execute(
        scoped(select(Project.status, func.count()).group_by(Project.status), Project)).all())
    open_statuses = [s for s in ItemStatus if s.is_open]
    open_items = session.scalar(scoped(
        select(func.count()).select_from(ApprovalItem)
        .where(ApprovalItem.status.in_(open_statuses)), ApprovalItem))
    return {
        "active": by_status.get(ProjectStatus.ACTIVE, 0),
        "completed": by_status.get(ProjectStatus.COMPLETED, 0),
        "terminated": by_status.get(ProjectStatus.TERMINATED, 0),
        "open_items": open_items or 0,
    }


def calendar_warnings(user) -> list[int]:
    """Years the bureau/system admin should enter in the holiday calendar: this year, and
    from December on next year too, when they have no rows (counted Mon–Fri meanwhile)."""
    if not role_names(user) & {roles.BUREAU_ADMIN, roles.SYSTEM_ADMIN}:
        return []
    now = clock.today()
    years = [now.year] + ([now.year + 1] if now.month == 12 else [])
    return calendar.missing_years(years)


def calendar_url() -> str | None:
    try:
        return url_for("CalendarDayView.list")
    except BuildError:  # the screen is not registered
        return None


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(url_for(self.appbuilder.sm.auth_view.__class__.__name__ + ".login"))
        summary = project_summary()
        self.update_redirect()
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    summary=summary, missing_years=calendar_warnings(user),
                                    calendar_url=calendar_url())

    @expose("/favicon.ico")
    def favicon(self):
        # Browsers ask for /favicon.ico on pages without the base template's link (JSON,
        # files); the icon itself is a static file.
        return send_from_directory(current_app.static_folder, "favicon.ico",
                                   mimetype="image/vnd.microsoft.icon", max_age=86400)
