"""Screens fit for daily use, as the server renders them: coloured badges for states and
card levels (a red card is not the colour of a yellow one), the item list opening with what
needs action, text search starting with "contains" and the filter panel staying open, no
``None``/``True`` where a person reads, the favicon, the calendar warning for the staff
who count working days, and the start-up line of ``python run.py``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import threading
import urllib.request
from html import unescape

import pytest
from sqlalchemy import delete, event

from app import clock
from app.extensions import db
from app.models import (
    Applicant,
    CalendarDay,
    CalendarDayKind,
    CardLevel,
    CardSubject,
    ItemStatus,
    OrgUnit,
    ProjectStatus,
    Region,
    WarningCard,
)
from app.services import calendar
from app.views import badges

from . import factories as f

D = dt.date
TODAY = D(2026, 11, 16)  # a Monday
PREFIX = "排序测试"
# The item names in the order the list must show them (what needs action first).
ACTION_ORDER = [f"{PREFIX}-超期很久", f"{PREFIX}-超期", f"{PREFIX}-明天到期",
                f"{PREFIX}-下月到期", f"{PREFIX}-未开始", f"{PREFIX}-已办结"]
ROLES = ("a_clerk", "a_dispatcher", "a_dept")
MAIN_LISTS = ("/projectview/list/", "/approvalitemview/list/", "/warningcardview/list/")


@pytest.fixture(scope="module")
def screens(app, world):
    """County a: one project with items in every state of the action order (inserted out
    of order), a red and a yellow card; a project with empty optional fields."""
    with app.app_context():
        a = world.a
        region = db.session.get(Region, a.region.id)
        dept = db.session.get(OrgUnit, a.department.id)
        applicant = db.session.get(Applicant, a.applicant.id)
        project = f.project(region, applicant, name="屏幕测试项目", code="SCREENS-0001")
        ended = f.project(region, applicant, name="屏幕测试终止项目", code="SCREENS-0002")
        # Terminated once its rows exist: a terminated project's rows are read-only
        # (app/services/closed_projects.py).
        ended.status = ProjectStatus.TERMINATED
        db.session.flush()
        rows = {
            "已办结": dict(status=ItemStatus.FINISHED, accepted_on=D(2026, 10, 1),
                        due_on=D(2026, 10, 9), finished_on=D(2026, 10, 8)),
            "下月到期": dict(status=ItemStatus.ACCEPTED, accepted_on=D(2026, 11, 10),
                         due_on=D(2026, 12, 10)),
            "未开始": dict(status=ItemStatus.NOT_STARTED),
            "超期": dict(status=ItemStatus.ACCEPTED, accepted_on=D(2026, 11, 2),
                       due_on=D(2026, 11, 9)),
            "明天到期": dict(status=ItemStatus.CORRECTING, accepted_on=D(2026, 11, 9),
                         due_on=D(2026, 11, 17)),
            "超期很久": dict(status=ItemStatus.ACCEPTED, accepted_on=D(2026, 10, 9),
                         due_on=D(2026, 10, 16)),
        }
        items = {name: f.item(project, dept, name=f"{PREFIX}-{name}", **kw)
                 for name, kw in rows.items()}
        db.session.add_all([
            WarningCard(subject=CardSubject.ITEM, subject_id=items["超期"].id,
                        level=CardLevel.RED, project_id=project.id, org_unit_id=dept.id,
                        title="屏幕测试红牌", due_on=D(2026, 11, 9)),
            WarningCard(subject=CardSubject.ITEM, subject_id=items["明天到期"].id,
                        level=CardLevel.YELLOW, project_id=project.id, org_unit_id=dept.id,
                        title="屏幕测试黄牌", due_on=D(2026, 11, 17)),
        ])
        db.session.commit()
        return {"project": project.id}


@pytest.fixture()
def on_today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)


def _cells(html: str, column: str) -> list[str]:
    """The inner HTML of the list cells of ``column`` (the list widget's data-col)."""
    return re.findall(rf'<td data-col="{column}">(.*?)</td>', html, re.S)


def _text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _list(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


# -- badges -------------------------------------------------------------------------------

def test_states_and_card_levels_are_coloured_badges(screens, login, on_today):
    client = login("a_dispatcher")
    cards = _list(client, "/warningcardview/list/?_flt_0_title=屏幕测试")
    levels = {_text(c): c for c in _cells(cards, "level")}
    assert set(levels) == {"红牌", "黄牌"}
    assert 'class="app-badge app-badge-red"' in levels["红牌"]
    assert 'class="app-badge app-badge-yellow"' in levels["黄牌"]
    assert badges.TONES[CardLevel.RED] != badges.TONES[CardLevel.YELLOW]

    items = _list(client, f"/approvalitemview/list/?_flt_0_name={PREFIX}")
    status = {_text(c): c for c in _cells(items, "status")}
    assert "app-badge-green" in status["已办结"]  # done
    assert "app-badge-blue" in status["已受理"]  # in progress
    assert "app-badge-orange" in status["补正中"]  # waiting for the applicant
    assert "app-badge-grey" in status["未开始"]
    overdue = [c for c in _cells(items, "overdue_working_days") if _text(c)]
    assert overdue and all("app-badge-red" in c for c in overdue)

    projects = _list(client, "/projectview/list/?_flt_0_code=SCREENS-")
    status = {_text(c): c for c in _cells(projects, "status")}
    assert "app-badge-blue" in status["在办"] and "app-badge-grey" in status["已终止"]


def test_one_label_one_tone():
    """A label shared by several enums (已完成, 已办结, 进行中, 失败) has one tone, so a list
    formatter that gets only the label colours it right."""
    seen: dict[str, set] = {}
    for member, tone in badges.TONES.items():
        seen.setdefault(str.__str__(member.value), set()).add(tone)
    assert {label: tones for label, tones in seen.items() if len(tones) > 1} == {}
    assert badges.tone_of("红牌") == badges.RED and badges.tone_of(CardLevel.YELLOW) == "yellow"
    assert badges.state_badge(None) == "" and "app-badge-grey" in badges.state_badge("不认识")


def test_the_stylesheet_and_the_favicon_are_served_by_the_app(app, client, login):
    page = _list(login("a_clerk"), "/projectview/list/")
    assert "container-fluid" in page  # the whole width of the screen
    assert not re.search(r'(href|src)="(https?:)?//', page)  # nothing from a CDN
    for linked in ("/static/css/app.css", "/static/favicon.svg",
                   "/static/js/bootstrap-datepicker.zh-CN.js"):
        assert linked in page, linked
    for path in ("/static/css/app.css", "/static/favicon.svg", "/static/favicon.png",
                 "/static/js/bootstrap-datepicker.zh-CN.js", "/static/favicon.ico"):
        assert client.get(path).status_code == 200, path
    css = client.get("/static/css/app.css").get_data(as_text=True)
    red = re.search(r"\.app-badge-red \{ background-color: (#\w+)", css).group(1)
    yellow = re.search(r"\.app-badge-yellow \{ background-color: (#\w+)", css).group(1)
    assert red != yellow
    icon = client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.mimetype in ("image/vnd.microsoft.icon",
                                                         "image/x-icon")
    client.get("/logout/")
    assert 'rel="icon"' in client.get("/login/").get_data(as_text=True)


# -- the approval item list opens with what needs action ----------------------------------

def test_item_list_opens_with_what_needs_action(screens, login, on_today):
    html = _list(login("a_clerk"), f"/approvalitemview/list/?_flt_0_name={PREFIX}")
    assert [_text(c) for c in _cells(html, "name")] == ACTION_ORDER
    # The project's tab orders its items the same way.
    page = _list(login("a_clerk"), f"/projectview/show/{screens['project']}")
    names = [n for n in re.findall(rf">({PREFIX}-[^<]+)<", page)]
    assert names == ACTION_ORDER


def test_ordering_by_a_column_still_works(screens, login, on_today):
    html = _list(login("a_clerk"), f"/approvalitemview/list/?_flt_0_name={PREFIX}"
                                   "&_oc_ApprovalItemView=name&_od_ApprovalItemView=asc")
    names = [_text(c) for c in _cells(html, "name")]
    assert names == sorted(ACTION_ORDER) and names != ACTION_ORDER


def test_the_action_order_costs_no_extra_statement(app, screens, login, on_today):
    client = login("a_clerk")
    counts = {}
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    for size in (2, 6):
        client.get(f"/approvalitemview/list/?_flt_0_name={PREFIX}")  # warm caches
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            html = _list(client, f"/approvalitemview/list/?_flt_0_name={PREFIX}"
                                 f"&psize_ApprovalItemView={size}")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(_cells(html, "name")) == size
        counts[size] = len(statements)
    assert counts[2] == counts[6], counts
    page_query = next(s for s in statements if "ORDER BY CASE" in s)
    assert "LIMIT" in page_query  # ordered and paged in the database, not in Python


# -- search ------------------------------------------------------------------------------

def test_text_search_starts_with_contains_and_finds_part_of_a_name(app, screens, login):
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    for name, column in (("ApprovalItemView", "name"), ("ProjectView", "code"),
                         ("ProjectView", "name"), ("WarningCardView", "title")):
        first = views[name]._filters.get_search_filters()[column][0]
        assert first.arg_name == "ct", (name, column)
    html = _list(login("a_clerk"), "/approvalitemview/list/?_flt_0_name=明天")
    assert [_text(c) for c in _cells(html, "name")] == [f"{PREFIX}-明天到期"]
    # The search panel offers 包含 first for the name.
    labels, _form, operators, active = _filter_panel(html)
    assert operators["name"][0] == "包含"
    assert active == [["name", "包含", ["明天"]]]


def _filter_panel(html: str) -> list:
    """The arguments of FAB's filter panel script: labels, form fields, the operators of
    each column, the active filters."""
    args = re.search(r"new AdminFilters\(\s*'#filter_form',(.*?)\);", html, re.S).group(1)
    return json.loads(f"[{args}]")


def test_the_filter_panel_stays_open_after_a_search(screens, login):
    client = login("a_clerk")
    searched = _list(client, f"/approvalitemview/list/?_flt_0_name={PREFIX}")
    assert 'id="accordion1_href" class="panel-collapse collapse in"' in searched
    assert _filter_panel(searched)[3] == [["name", "包含", [PREFIX]]]  # shown in the panel
    plain = _list(client, "/approvalitemview/list/")
    assert 'id="accordion1_href" class="panel-collapse collapse"' in plain


# -- nothing a person cannot read ---------------------------------------------------------

@pytest.mark.parametrize("username", ROLES)
def test_main_lists_show_no_none_or_true(screens, login, on_today, username):
    client = login(username)
    for url in MAIN_LISTS:
        html = _list(client, url + "?psize_ProjectView=100&psize_ApprovalItemView=100"
                                   "&psize_WarningCardView=100")
        cells = [_text(c) for c in re.findall(r'<td data-col="[^"]+">(.*?)</td>', html, re.S)]
        assert cells, f"{username} sees no rows in {url}"
        bad = [c for c in cells if c in ("None", "True", "False") or re.fullmatch(r"[A-Z_]{4,}", c)]
        assert not bad, (username, url, bad)


@pytest.mark.parametrize("username,url", [("a_admin", "/users/list/"),
                                          ("secadmin", "/roles/list/"),
                                          ("a_admin", "/users/show/{a_clerk}")])
def test_user_and_role_screens_read_without_none_true_or_brackets(app, world, login,
                                                                   username, url):
    """Values without a formatter of their own read through app/views/cells.py: FAB's
    user and role screens too (no None, True, [角色] or a printed Python list)."""
    from app.security import roles as declared

    from . import factories as f

    with app.app_context():
        f.user("secadmin", [declared.SECURITY_ADMIN])
    html = login(username).get(url.format(a_clerk=world.a.users["clerk"].id)).get_data(
        as_text=True)
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]
    assert cells
    bad = [c for c in cells if c in ("None", "True", "False") or c.startswith("[")]
    assert not bad, bad
    if url == "/users/list/":
        assert "录入员" in cells and "是" in cells
    if url == "/roles/list/":
        assert any(re.fullmatch(r"\d+ 项权限", c) for c in cells)


# -- date pickers -------------------------------------------------------------------------

def test_date_pickers_speak_the_ui_language(client, login):
    client = login("a_clerk")
    zh = _list(client, "/approvalitemview/list/")
    assert "js/bootstrap-datepicker.zh-CN.js" in zh
    js = client.get("/static/js/bootstrap-datepicker.zh-CN.js").get_data(as_text=True)
    assert '"十一月"' in js and '"今天"' in js
    client.get("/lang/en")
    en = _list(client, "/approvalitemview/list/")
    assert "bootstrap-datepicker.zh-CN.js" not in en
    client.get("/lang/zh")


# -- the holiday calendar warning ---------------------------------------------------------

NEXT = 2033  # a year nothing else seeds


@pytest.fixture()
def next_year(app, monkeypatch):
    """December 2032: next year's schedule is due; rows of 2033 are removed afterwards."""
    monkeypatch.setattr(clock, "today", lambda: D(NEXT - 1, 12, 5))

    def clean():
        with app.app_context():
            db.session.execute(delete(CalendarDay).where(CalendarDay.day >= D(NEXT - 1, 1, 1),
                                                         CalendarDay.day <= D(NEXT, 12, 31)))
            db.session.commit()
            calendar.invalidate()

    clean()
    with app.app_context():  # this year's schedule is complete: only next year is due
        db.session.add_all([CalendarDay(day=d, kind=CalendarDayKind.HOLIDAY, name=n)
                            for d, n in _complete_year(NEXT - 1)])
        db.session.commit()
        calendar.invalidate()
    yield
    clean()


def _complete_year(year):
    names = ["元旦", "春节", "清明节", "劳动节", "端午节", "国庆节"]
    days = [D(year, 1, 2), D(year, 2, 10), D(year, 4, 5), D(year, 5, 1), D(year, 6, 2),
            D(year, 10, 1)]
    return [(d if d.weekday() < 5 else d + dt.timedelta(days=7 - d.weekday()), n)
            for d, n in zip(days, names, strict=True)]


def _add_days(app, days):
    with app.app_context():
        db.session.add_all([CalendarDay(day=d, kind=CalendarDayKind.HOLIDAY, name=n)
                            for d, n in days])
        db.session.commit()
        calendar.invalidate()


def _warning(login, username) -> str | None:
    html = login(username).get("/").get_data(as_text=True)
    match = re.search(rf'id="calendar-missing-{NEXT}"[^>]*>(.*?)</div>', html, re.S)
    return _text(match.group(1)) if match else None


def test_the_calendar_warning_reaches_dispatchers_and_clerks(app, world, login, next_year):
    for username in ("a_admin", "a_dispatcher", "a_clerk"):
        text = _warning(login, username)
        assert text and f"{NEXT}" in text and "尚未录入" in text, username
    assert _warning(login, "a_dept") is None
    assert _warning(login, "a_company") is None
    # Only who may enter days gets the link; the others are told who does.
    assert "录入" in _warning(login, "a_admin")
    home = login("a_clerk").get("/").get_data(as_text=True)
    assert "请联系县局管理员录入" in home and 'href="/calendardayview/list/"' not in \
        home.split(f'calendar-missing-{NEXT}')[1].split("</div>")[0]


def test_the_calendar_warning_stays_until_every_statutory_holiday_is_in(app, world, login,
                                                                          next_year):
    days = _complete_year(NEXT)
    _add_days(app, days[:1])  # one day entered: still incomplete, and it says what is missing
    text = _warning(login, "a_dispatcher")
    assert text and "不完整" in text and "春节" in text and "国庆节" in text and "元旦" not in text
    _add_days(app, days[1:-1])
    text = _warning(login, "a_clerk")
    assert text and "国庆节" in text and "春节" not in text
    _add_days(app, days[-1:])
    assert _warning(login, "a_clerk") is None
    assert _warning(login, "a_admin") is None


def test_a_holiday_is_recognised_by_its_name_in_either_language():
    assert calendar.holidays_missing(["春节", "国庆节、中秋节", "New Year's Day", "清明",
                                      "Labour Day", "端午节"]) == []
    assert calendar.holidays_missing(["中秋节", None, ""]) == list(calendar.STATUTORY_HOLIDAYS)


def test_every_seeded_year_counts_as_complete(app):
    """The chinesecalendar schedules since 2008 (the six holidays of today's rules) are
    complete by this definition; so seeding a year ends its warning."""
    years = {d.year for d, *_ in calendar.package_days(range(2008, 2027))}
    for year in sorted(years):
        names = [n for d, k, n in calendar.package_days([year]) if k == CalendarDayKind.HOLIDAY]
        assert calendar.holidays_missing(names) == [], year


# -- python run.py -------------------------------------------------------------------------

def test_run_py_prints_the_address_it_really_listens_on(app, monkeypatch):
    from app.embedded import listen, serving_line
    from config import ConfigError

    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "0")  # a free port: the line must give the real one
    server = listen(app)
    try:
        line = serving_line(server)
        port = server.server_address[1]
        assert port != 0 and line.startswith(f"Serving on http://127.0.0.1:{port} ")
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=10) as r:
            assert r.status == 200
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(ConfigError, match="PORT"):
        listen(app)


def test_each_row_buttons_point_at_their_own_row(app, world, login):
    """The row buttons are rendered once per page for a placeholder id and each row's id
    put in: every row's show / edit / delete link names that row, none the placeholder."""
    html = login("a_admin").get("/users/list/?psize_ScopedUserView=100").get_data(as_text=True)
    assert "__row_pk__" not in html
    rows = re.findall(r'<input id="(\d+)" class="action_check"[^>]*>(.*?)</tr>', html, re.S)
    assert len(rows) >= 3, "the users list shows its rows with their checkboxes"
    for pk, row in rows:
        links = set(re.findall(r'href="/users/(show|edit)/(\d+)', row))
        links |= set(re.findall(r'/users/(delete)/(\d+)', row))
        assert {kind for kind, _ in links} >= {"show", "edit"}, row[:300]
        assert {n for _, n in links} == {pk}, (pk, links)
