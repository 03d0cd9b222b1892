"""The home page: a short summary of the projects in the user's scope."""
from babel.lists import format_list
from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import get_locale
from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from app import clock
from app.extensions import appbuilder, db
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


# Who is warned of a missing or incomplete holiday schedule: those who enter it and those
# whose deadlines and cards depend on it day to day.
CALENDAR_WARNED = {roles.SYSTEM_ADMIN, roles.BUREAU_ADMIN, roles.DISPATCHER, roles.CLERK}

# The statutory holidays (calendar.STATUTORY_HOLIDAYS) in the UI's language.
HOLIDAY_LABELS = {
    "元旦": _("New Year's Day"),
    "春节": _("Spring Festival"),
    "清明节": _("Tomb-sweeping Day"),
    "劳动节": _("Labour Day"),
    "端午节": _("Dragon Boat Festival"),
    "国庆节": _("National Day"),
}


def calendar_warnings(user) -> list[dict]:
    """The years whose holiday schedule is missing or incomplete (see
    ``calendar.incomplete_years``): this year, and from December on next year too. Each:
    year, whether it has any rows, the statutory holidays still missing."""
    if not role_names(user) & CALENDAR_WARNED:
        return []
    now = clock.today()
    years = [now.year] + ([now.year + 1] if now.month == 12 else [])
    known = calendar.known_years()
    return [{"year": year, "entered": year in known, "missing": missing,
             "missing_text": format_list([str(HOLIDAY_LABELS.get(n, n)) for n in missing],
                                         locale=get_locale() or "zh")}
            for year, missing in sorted(calendar.incomplete_years(years).items())]


def calendar_url() -> str | None:
    """The calendar screen, for those who may enter days (others are told who does)."""
    try:
        url = url_for("CalendarDayView.list")
    except BuildError:  # the screen is not registered
        return None
    return url if appbuilder.sm.has_access("can_write", roles.CALENDAR) else None


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
        # A redirect, not a file sent from here: every file a view sends is an audited
        # download (app/views/downloads.py), and the app's icon is not one.
        return redirect(url_for("static", filename="favicon.ico"), code=301)
