"""Lists that stay fast at any size: the SQL statements of a list page do not grow with
the page size or the number of rows, and stay within the budget of issue 9; no search
form lists a table as <option>s.

Each list is requested (as the user who reads it) at page sizes 25 and 100, once with a
few rows (3 new projects, each with its items, a card and a work order; 3 new users) and
once with more (30 of each); the statements of each request are counted with a
``before_cursor_execute`` listener. The REST lists are every ``ModelRestApi`` the
application registers, so a new area's API is covered without touching this file.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import prison
import pytest
from flask_appbuilder import ModelRestApi
from sqlalchemy import event

from app.extensions import appbuilder, db
from app.models import (
    AppUser,
    CardLevel,
    CardSubject,
    OrgUnit,
    Project,
    Region,
    WarningCard,
    WorkLog,
    WorkLogKind,
    WorkOrder,
)

from . import factories as f

FEW, MORE = 3, 30
SIZES = (25, 100)
BUDGET = 8  # statements per list page, whatever its size (issue 9)
NAME = "性能测试项目"

# (list, view class whose page arguments the URL carries, URL, user key in county a)
SCREENS = [
    ("projects", "ProjectView", "/projectview/list/", "dispatcher"),
    ("approval items", "ApprovalItemView", "/approvalitemview/list/", "dispatcher"),
    ("cards", "WarningCardView", "/warningcardview/list/", "dispatcher"),
    ("work orders", "WorkOrderView", "/workorderview/list/", "dispatcher"),
    ("users", "ScopedUserView", "/users/list/", "admin"),
    ("audit", "AuditRecordView", "/auditrecordview/list/", "auditor"),
    ("work logs", "WorkLogView", "/worklogview/list/", "dispatcher"),
]
REST_LISTS = ["approval_item", "approval_item_action", "applicant", "archive_file",
              "coordination_request", "decision", "intake_record", "item_template", "meeting",
              "org_unit", "project", "region", "service_plan", "task_force_member", "urge",
              "work_log", "workflow_instance"]

# Who reads each REST list (the dispatcher unless the resource is another role's).
REST_ACTORS = {"approval_item_action": "a_dept"}


def _rest_lists() -> list[str]:
    """The resource names of every REST list of the application (not FAB's own)."""
    return sorted(v.resource_name for v in appbuilder.baseviews
                  if isinstance(v, ModelRestApi) and v.resource_name
                  and type(v).__module__.startswith("app."))


class _Statements:
    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def _add_rows(world, start: int, stop: int) -> None:
    """Projects ``start``..``stop``-1 of county a, each with its template's item, one more
    item, a card and a work order; and as many county users (the users list)."""
    c = world.a
    region = db.session.get(Region, c.region.id)
    town = db.session.get(Region, c.town.id)
    dept = db.session.get(OrgUnit, c.department.id)
    applicant = f.applicant(region)
    template_user = db.session.get(AppUser, c.users["clerk"].id)
    for n in range(start, stop):
        project = f.project(region, applicant, name=f"{NAME}{n:03d}", code=f"PERF-{n:04d}",
                            town=town)
        item = f.item(project, dept, name=f"性能测试事项{n}", due_on=dt.date(2026, 11, 2))
        card = WarningCard(subject=CardSubject.ITEM, subject_id=item.id,
                           level=CardLevel.RED if n % 2 else CardLevel.YELLOW,
                           project_id=project.id, org_unit_id=dept.id, title=f"超期{n}",
                           due_on=item.due_on)
        db.session.add(card)
        db.session.flush()
        db.session.add(WorkOrder(project_id=project.id, org_unit_id=dept.id,
                                 region_id=region.id, card_id=card.id, title=f"工单{n}",
                                 reply_due_on=dt.date(2026, 12, 1)))
        db.session.add(WorkLog(project_id=project.id, author_id=c.users["assistant"].id,
                               logged_on=dt.date(2026, 11, 2), kind=WorkLogKind.VISIT,
                               content=f"性能测试日志{n}"))
        # A user per project, with the clerk's roles (the password hash is copied: hashing
        # 30 passwords would be most of this module's time).
        db.session.add(AppUser(username=f"perf_user_{n}", first_name=f"用户{n}",
                               last_name="性能", email=f"perf{n}@test.gov.cn", active=True,
                               password=template_user.password,
                               roles=list(template_user.roles), region=region))
    db.session.commit()


def _url(view: str, path: str, size: int) -> str:
    return f"{path}?psize_{view}={size}&page_{view}=0"


def _api_url(resource: str, size: int) -> str:
    return f"/api/v1/{resource}/?q={quote(prison.dumps({'page': 0, 'page_size': size}))}"


def _login(client, username: str) -> None:
    client.get("/logout/")
    resp = client.post("/login/", data={"username": username, "password": f.PASSWORD})
    assert resp.status_code == 302, f"login failed for {username}"


def _measure(app, world, pages: dict) -> dict:
    """Statements per (list, size) of one request each (after a warm-up request)."""
    counts = {}
    with app.app_context():
        engine = db.engine
    for key, (username, urls) in pages.items():
        client = app.test_client()
        _login(client, username)
        for size, url in urls.items():
            resp = client.get(url)
            assert resp.status_code == 200, (key, size, resp.status_code)
            with _Statements(engine) as seen:
                resp = client.get(url)
            assert resp.status_code == 200, (key, size, resp.status_code)
            counts[key, size] = (seen.n, resp)
    return counts


def _pages(app, world) -> dict:
    users = {k: f"a_{k}" for k in ("dispatcher", "admin")} | {"auditor": "auditor"}
    pages = {name: (users[who], {size: _url(view, path, size) for size in SIZES})
             for name, view, path, who in SCREENS}
    for resource in REST_LISTS:
        pages[f"api {resource}"] = (REST_ACTORS.get(resource, "a_dispatcher"),
                                    {size: _api_url(resource, size) for size in SIZES})
    return pages


@pytest.fixture(scope="module")
def measured(app, world):
    """Statement counts with a few rows, then with more (rows committed for the module)."""
    pages = _pages(app, world)
    with app.app_context():
        _add_rows(world, 0, FEW)
    few = _measure(app, world, pages)
    with app.app_context():
        _add_rows(world, FEW, MORE)
    more = _measure(app, world, pages)
    return pages, few, more


def test_every_rest_list_is_covered(app, measured):
    """REST_LISTS is every REST list the application registers (a new API must be added)."""
    with app.app_context():
        assert sorted(REST_LISTS) == _rest_lists()


@pytest.mark.parametrize("list_name", [name for name, *_ in SCREENS]
                         + [f"api {r}" for r in REST_LISTS])
def test_statements_do_not_grow_with_page_size_or_rows(list_name, measured):
    _pages_, few, more = measured
    counts = {(rows, size): table[list_name, size][0]
              for rows, table in (("few", few), ("more", more)) for size in SIZES}
    assert len(set(counts.values())) == 1, f"{list_name}: statements per request {counts}"
    assert max(counts.values()) <= BUDGET, f"{list_name}: {counts} > {BUDGET} statements"


def test_the_pages_show_the_new_rows(measured):
    """The counts above are of pages that list the rows (not of empty or error pages)."""
    _pages_, few, more = measured
    html = more["projects", 100][1].get_data(as_text=True)
    assert f"{NAME}029" in html and f"{NAME}000" in html
    assert more["api project", 100][1].json["count"] >= MORE
    assert more["api approval_item", 100][1].json["count"] >= 2 * MORE
    assert len(more["api approval_item", 25][1].json["result"]) == 25
    assert few["api project", 25][1].json["count"] < more["api project", 25][1].json["count"]
    for name, needle in (("cards", "超期29"), ("work orders", "工单29"),
                         ("users", "perf_user_29"), ("approval items", "性能测试事项29")):
        assert needle in more[name, 100][1].get_data(as_text=True), name


@pytest.mark.parametrize("path", ["/approvalitemview/list/", "/warningcardview/list/",
                                  "/workorderview/list/", "/projectview/list/"])
def test_search_forms_list_no_project_as_an_option(app, world, measured, login, path):
    """With 30 more projects, no search form renders a project per <option>: relations
    are type-ahead selects that ask the server as the user types."""
    client = login("a_dispatcher")
    html = client.get(path).get_data(as_text=True)
    options = re.findall(r"<option[^>]*>(.*?)</option>", html, re.S)
    assert not [o for o in options if NAME in o or "PERF-" in o], path
    with app.app_context():
        ids = {p.id for p in db.session.query(Project).filter(Project.code.like("PERF-%"))}
    assert len(ids) == MORE
    values = {int(v) for v in re.findall(r'<option[^>]*value="(\d+)"', html)}
    assert not values & ids, path


def test_the_item_list_order_is_read_from_its_index(app, world, measured):
    """The item list's default order (what needs action first) is served by
    ix_approval_item_action_order: the page's id query of a real request, explained with
    sorting discouraged, reads that index instead of sorting. If the view's ORDER BY and
    the index's expressions drift apart, PostgreSQL can only sort, and this fails."""
    with app.app_context():
        engine = db.engine
    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "ORDER BY CASE WHEN" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    client = app.test_client()
    _login(client, "a_dispatcher")
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get("/approvalitemview/list/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert seen, "the item list did not order by its default order"
    statement, parameters = seen[0]
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    assert "ix_approval_item_action_order" in plan, plan
