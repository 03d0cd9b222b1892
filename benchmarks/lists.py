"""Benchmark: the list screens and REST lists at province scale vs the bare SQL they need.

    python -m benchmarks.lists [--database-url URL] [--repeat 5] [--only projects,items]

The database (default postgresql://postgres@127.0.0.1:5432/bench_lists, or
``BENCH_DATABASE_URL``; created when missing) gets the schema, the demo data and, once,
``demo.generate_bulk(session, 5000, 20, cards=True, work_order_every=5,
audit_rows=2_000_000)``: 5,000 projects, 100,000 approval items, the cards of the overdue
items, a work order per 5 cards and 2,000,000 audit rows (about half a minute), plus a
city-level dispatcher (``city_dispatcher``) next to the county one (``a_dispatcher``).

For every list (projects, approval items, cards, work orders, the REST project and item
lists), user (county, city), page (page 1, a deep page at 80 % of the rows, a filter, a
search) and page size (25, 100) it measures, warm and in this one process:

* ours  — the request through the Flask test client (``/…view/list/``, ``/api/v1/…/``),
          signed in as that user: the server's whole time (session, permissions, scope,
          count, page, formatting, template);
* bare  — the SQL the page needs, and nothing else: the count and one page (the list's
          columns and the names of its relations, same scope, filter, order and offset)
          as two Core statements on a pooled connection;
* plain — a plain Flask-AppBuilder ModelView / ModelRestApi over the same table, columns,
          order and page (registered only here, with the same scope as a base filter so it
          shows the same rows), with FAB's own permission checks and user loading.

It prints medians (``--repeat`` runs, the three sides alternating), the SQL statements
of one request (a ``before_cursor_execute`` listener) and the goals of issue 9:
ours ≤ 3 × bare + 20 ms, ≤ 8 statements whatever the page size, ours ≤ 0.7 × plain.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_lists"
PROJECTS, ITEMS_PER_PROJECT, WORK_ORDER_EVERY, AUDIT_ROWS = 5000, 20, 5, 2_000_000
CITY_USER = "city_dispatcher"
USERS = {"county": "a_dispatcher", "city": CITY_USER}
PAGE_SIZES = (25, 100)
GOAL_RATIO, GOAL_MS, GOAL_STATEMENTS, GOAL_PLAIN = 3.0, 20.0, 8, 0.7


# -- the lists ---------------------------------------------------------------------------

@dataclass
class ListSpec:
    key: str
    view: str  # our view's class name (registered by the app)
    api: bool  # a ModelRestApi (resource under /api/v1/) rather than a screen
    filter: tuple  # (column, FAB filter class name, value)
    search: tuple
    display: dict = field(default_factory=dict)  # relation -> columns of its label


def _specs():
    from app.models import ItemStatus, ProjectStatus, WorkOrderStatus

    item_display = {"project": ("code", "name"), "stage": ("name",), "department": ("name",)}
    return [
        ListSpec("projects", "ProjectView", False,
                 ("status", "FilterEqual", ProjectStatus.ACTIVE.name),
                 ("name", "FilterContains", "产业园"),
                 {"region": ("name",), "current_stage": ("name",)}),
        ListSpec("items", "ApprovalItemView", False,
                 ("status", "FilterEqual", ItemStatus.ACCEPTED.name),
                 ("name", "FilterContains", "施工"), item_display),
        ListSpec("cards", "WarningCardView", False, ("level", "FilterEqual", "RED"),
                 ("title", "FilterContains", "施工"),
                 {"project": ("code", "name"), "org_unit": ("name",)}),
        ListSpec("work_orders", "WorkOrderView", False,
                 ("status", "FilterEqual", WorkOrderStatus.OPEN.name),
                 ("title", "FilterContains", "施工"),
                 {"project": ("code", "name"), "org_unit": ("name",), "region": ("name",)}),
        ListSpec("api_projects", "ProjectApi", True,
                 ("status", "FilterEqual", ProjectStatus.ACTIVE.name),
                 ("name", "FilterContains", "产业园"),
                 {"region": ("id", "name"), "town": ("id", "name"),
                  "applicant": ("id", "name"), "current_stage": ("id", "name")}),
        ListSpec("api_items", "ApprovalItemApi", True,
                 ("status", "FilterEqual", ItemStatus.ACCEPTED.name),
                 ("name", "FilterContains", "施工"),
                 {"project": ("id", "code"), "stage": ("id", "name"),
                  "department": ("id", "name")}),
    ]


# -- set-up ------------------------------------------------------------------------------

def _app(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("APP_ENV", "embedded")
    os.environ["DEMO_MODE"] = "false"
    os.environ["WTF_CSRF_ENABLED"] = "false"
    os.environ.setdefault("INSTANCE_PATH", str(ROOT / "instance"))
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app()


def prepare(app) -> None:
    """Schema, roles, demo and the province-scale bulk data (once); no request is made,
    so views can still be added afterwards."""
    from sqlalchemy import func, select, text

    from app import demo
    from app.bootstrap import bootstrap
    from app.demo.data import BULK_PREFIX, CITY
    from app.extensions import appbuilder, db
    from app.models import AppUser, Project, Region
    from app.security import roles

    bootstrap(app)
    with app.app_context():
        demo.load_demo(db.session, app.config["DEMO_PASSWORD"])
        db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Project)
                                 .where(Project.code.like(BULK_PREFIX + "%")))
        if have < PROJECTS:
            if have:
                raise SystemExit(f"the database holds {have} bulk projects, not {PROJECTS}: "
                                 "drop it and run again")
            started = time.perf_counter()
            demo.generate_bulk(db.session, PROJECTS, ITEMS_PER_PROJECT, cards=True,
                               work_order_every=WORK_ORDER_EVERY, audit_rows=AUDIT_ROWS)
            db.session.commit()
            print(f"generated {PROJECTS} projects × {ITEMS_PER_PROJECT} items, cards, work "
                  f"orders and {AUDIT_ROWS} audit rows in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        if db.session.scalar(select(AppUser).where(AppUser.username == CITY_USER)) is None:
            city = db.session.scalar(select(Region).where(Region.code == CITY[0]))
            user = appbuilder.sm.add_user(
                CITY_USER, "调度员", "市", f"{CITY_USER}@demo.gov.cn",
                [appbuilder.sm.find_role(roles.DISPATCHER)],
                password=app.config["DEMO_PASSWORD"])
            user.region_id = city.id
            db.session.commit()
        db.session.commit()
        # Statistics and the visibility map, as autovacuum keeps them in production (it is
        # off on some test servers): without the map no count is an index-only scan.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


# -- plain Flask-AppBuilder, for comparison ------------------------------------------------

def register_plain_views(app, specs):
    """A plain ModelView / ModelRestApi per list, over the same table and columns."""
    from flask_appbuilder import ModelRestApi, ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.extensions import appbuilder, db
    from app.views.base import SCOPE_FILTERS

    ours = {type(v).__name__: v for v in appbuilder.baseviews}
    plain = {}
    with app.app_context():
        for spec in specs:
            view = ours[spec.view]
            model = view.datamodel.obj
            attrs = dict(datamodel=SQLAInterface(model), list_columns=list(view.list_columns),
                         search_columns=list(view.search_columns),
                         base_filters=SCOPE_FILTERS, page_size=25)
            if spec.api:
                attrs.update(resource_name=f"plain_{view.resource_name}",
                             allow_browser_login=True, base_order=view.base_order,
                             order_columns=list(view.order_columns))
                cls = type(f"Plain{spec.view}", (ModelRestApi,), attrs)
                appbuilder.add_api(cls)
            else:
                attrs.update(base_order=_plain_order(view),
                             label_columns=dict(view.label_columns),
                             order_columns=list(view.order_columns))
                cls = type(f"Plain{spec.view}", (ModelView,), attrs)
                appbuilder.add_view_no_menu(cls)
            plain[spec.key] = next(v for v in appbuilder.baseviews if type(v) is cls)
        appbuilder.add_permissions(update_perms=True)  # their can_list / can_get rows
        db.session.commit()
    return ours, plain


def grant_plain_views(app, plain, grant: bool) -> None:
    """Let the benchmark's role read the plain views (and take it back afterwards)."""
    from app.extensions import appbuilder, db
    from app.security import roles

    sm = appbuilder.sm
    with app.app_context():
        role = sm.find_role(roles.DISPATCHER)
        for view in plain.values():
            name = type(view).__name__
            for perm in ("can_get", "can_info") if hasattr(view, "resource_name") else (
                    "can_list", "can_show"):
                pv = sm.find_permission_view_menu(perm, name)
                if pv is None:
                    continue
                if grant and pv not in role.permissions:
                    role.permissions.append(pv)
                elif not grant and pv in role.permissions:
                    role.permissions.remove(pv)
        db.session.commit()


@contextlib.contextmanager
def plain_security(app):
    """FAB's own user loading and permission checks (a query per check) while measuring
    the plain views: without this they would share our per-request permission set."""
    from flask_appbuilder.security.sqla.manager import SecurityManager

    from app.extensions import appbuilder

    sm = appbuilder.sm
    names = ("_has_view_access", "_get_user_permission_view_menus", "is_item_public",
             "get_public_role", "has_access")
    saved_loader = sm.lm._user_callback
    for name in names:
        setattr(sm, name, getattr(SecurityManager, name).__get__(sm))
    sm.lm._user_callback = SecurityManager.load_user.__get__(sm)
    try:
        yield
    finally:
        for name in names:
            delattr(sm, name)
        sm.lm._user_callback = saved_loader


# -- the requests --------------------------------------------------------------------------

def _plain_order(view) -> tuple[str, str]:
    """Plain FAB orders by one column: for a list ordered by expressions, the first plain
    column among them (the item list's due date)."""
    name, direction = view.base_order
    named = getattr(view.datamodel, "orders", {}).get(name)
    if named is None:
        return view.base_order
    columns = view.datamodel.obj.__table__.c
    for expr in named(direction):
        key = getattr(getattr(expr, "element", None), "key", None)
        if isinstance(key, str) and key in columns:
            return key, direction
    return "id", direction


def _filter_index(view, column: str, filter_name: str) -> int:
    names = [type(f).__name__ for f in view._filters.get_search_filters()[column]]
    return names.index(filter_name)


def _arg_name(view, column: str, filter_name: str) -> str:
    for flt in view._filters.get_search_filters()[column]:
        if type(flt).__name__ == filter_name:
            return flt.arg_name
    raise KeyError(filter_name)


def list_url(view, spec: ListSpec, page: int, size: int, where) -> str:
    from urllib.parse import quote, urlencode

    if spec.api:
        import prison

        q = {"page": page, "page_size": size}
        if where:
            col, flt, value = where
            q["filters"] = [{"col": col, "opr": _arg_name(view, col, flt), "value": value}]
        return f"/api/v1/{view.resource_name}/?q={quote(prison.dumps(q))}"
    name = type(view).__name__
    args = {f"psize_{name}": size, f"page_{name}": page}
    if where:
        col, flt, value = where
        args[f"_flt_{_filter_index(view, col, flt)}_{col}"] = value
    return f"{view.route_base}/list/?{urlencode(args)}"


# -- the bare SQL ----------------------------------------------------------------------------

def bare_statements(view, spec: ListSpec, user, page: int, size: int, where):
    """The count and the page a list needs, as Core statements."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from app.security.scope import Scope

    model = view.datamodel.obj
    table = model.__table__
    conds = []
    scope = Scope(user).condition(model)
    if scope is not None:
        conds.append(scope)
    if where:
        col, flt, value = where
        column = table.c[col]
        conds.append(column == value if flt == "FilterEqual" else column.ilike(f"%{value}%"))
    count = select(func.count()).select_from(table).where(*conds)
    own = [name.split(".")[0] for name in view.list_columns]
    columns = [table.c.id] + [table.c[c] for c in own if c in table.c and c != "id"]
    stmt = select(*columns)
    for relation, labels in spec.display.items():
        rel = model.__mapper__.relationships[relation]
        target = aliased(rel.mapper.class_, name=relation)
        stmt = stmt.add_columns(*[getattr(target, c) for c in labels])
        local = next(iter(rel.local_columns))
        stmt = stmt.outerjoin(target, target.id == table.c[local.key])
    order_col, direction = view.base_order
    named = getattr(view.datamodel, "orders", {}).get(order_col)
    if named is not None:  # an order by SQL expressions (the item list's "action first")
        return count, stmt.order_by(*named(direction)).where(*conds).offset(
            page * size).limit(size)
    order = table.c[order_col]
    if direction == "desc":
        stmt = stmt.order_by(order.desc(), table.c.id.desc())
    else:
        stmt = stmt.order_by(order.asc(), table.c.id.asc())
    stmt = stmt.where(*conds).offset(page * size).limit(size)
    return count, stmt


def run_bare(engine, count_stmt, page_stmt) -> tuple[int, list]:
    with engine.connect() as conn:
        total = conn.execute(count_stmt).scalar()
        rows = conn.execute(page_stmt).all()
    return total, rows


# -- measuring -------------------------------------------------------------------------------

class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.n += 1


def timed(fn, counter: StatementCounter | None = None):
    before = counter.n if counter else 0
    started = time.perf_counter()
    result = fn()
    ms = (time.perf_counter() - started) * 1000
    return ms, (counter.n - before if counter else 0), result


def login(app, username: str, password: str):
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    if resp.status_code != 302:
        raise SystemExit(f"login of {username} failed ({resp.status_code})")
    return client


def _check_page(spec, resp, total, rows) -> str:
    """The same rows as the bare page (a warning, not a stop: the figures still print)."""
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}"
    if spec.api:
        body = resp.get_json()
        got = [r["id"] for r in body["result"]]
        if body["count"] != total or got != [r[0] for r in rows]:
            return f"rows differ (count {body['count']} vs {total})"
        return ""
    html = resp.get_data(as_text=True)
    for row in (rows[:1] + rows[-1:]):
        if f"/show/{row[0]}" not in html:
            return f"row {row[0]} of the bare page not shown"
    return ""


def _cases(app, view, spec: ListSpec, username: str):
    """(case, size, our URL, plain URL, bare statements) for one list and user, built in
    an app context of their own (requests must not share it: each gets its own ``g``
    and session, as in production)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AppUser
    from app.security.permissions import load_signed_in_user

    out = []
    with app.app_context():
        user_id = db.session.scalar(select(AppUser.id).where(AppUser.username == username))
        user = load_signed_in_user(db.session, user_id)
        for size in PAGE_SIZES:
            total, _ = run_bare(db.engine, *bare_statements(view, spec, user, 0, size, None))
            deep = max(0, int(total * 0.8) // size)
            for case, page, where in (("page 1", 0, None), (f"page {deep + 1}", deep, None),
                                      ("filter", 0, spec.filter), ("search", 0, spec.search)):
                out.append((case, size, page, where,
                            bare_statements(view, spec, user, page, size, where)))
        db.session.remove()
    return out


def measure(app, specs, ours, plain, repeat: int, only: set[str] | None):
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counter = StatementCounter(engine)
    password = app.config["DEMO_PASSWORD"]
    clients = {who: login(app, name, password) for who, name in USERS.items()}
    results = []
    for spec in specs:
        if only and spec.key not in only:
            continue
        view, plain_view = ours[spec.view], plain[spec.key]
        for who, username in USERS.items():
            client = clients[who]
            for case, size, page, where, stmts in _cases(app, view, spec, username):
                ours_url = list_url(view, spec, page, size, where)
                plain_url = list_url(plain_view, spec, page, size, where)
                # warm-up: templates, caches, plans
                resp = client.get(ours_url)
                with plain_security(app):
                    client.get(plain_url)
                n_total, rows = run_bare(engine, *stmts)
                problem = _check_page(spec, resp, n_total, rows)
                t_ours, t_bare, t_plain = [], [], []
                for _ in range(repeat):
                    ms, n_ours, resp = timed(lambda u=ours_url, c=client: c.get(u), counter)
                    t_ours.append(ms)
                    ms, _, _ = timed(lambda s=stmts: run_bare(engine, *s))
                    t_bare.append(ms)
                    with plain_security(app):
                        ms, n_plain, presp = timed(lambda u=plain_url, c=client: c.get(u), counter)
                    t_plain.append(ms)
                if presp.status_code != 200:
                    problem += f" plain HTTP {presp.status_code}"
                results.append(dict(
                    list=spec.key, user=who, case=case, size=size, rows=n_total,
                    ours=statistics.median(t_ours), bare=statistics.median(t_bare),
                    plain=statistics.median(t_plain), statements=n_ours,
                    plain_statements=n_plain, problem=problem.strip()))
                _print_row(results[-1])
    return results


HEADER = (f"{'list':<13}{'user':<7}{'case':<11}{'size':>5}{'rows':>8}{'ours ms':>9}"
          f"{'bare ms':>9}{'ratio':>7}{'goal':>6}{'stmts':>6}{'plain ms':>10}{'stmts':>6}"
          f"{'ours/plain':>11}{'goal':>6}")


def _print_row(r) -> None:
    ok_time = r["ours"] <= GOAL_RATIO * r["bare"] + GOAL_MS and r["statements"] <= GOAL_STATEMENTS
    ok_plain = r["ours"] <= GOAL_PLAIN * r["plain"]
    print(f"{r['list']:<13}{r['user']:<7}{r['case']:<11}{r['size']:>5}{r['rows']:>8}"
          f"{r['ours']:>9.1f}{r['bare']:>9.1f}{r['ours'] / r['bare']:>7.1f}"
          f"{'ok' if ok_time else 'MISS':>6}{r['statements']:>6}{r['plain']:>10.1f}"
          f"{r['plain_statements']:>6}{r['ours'] / r['plain']:>11.2f}"
          f"{'ok' if ok_plain else 'MISS':>6}"
          + (f"  ! {r['problem']}" if r["problem"] else ""), flush=True)


def summary(results) -> None:
    misses = [r for r in results if not (r["ours"] <= GOAL_RATIO * r["bare"] + GOAL_MS
                                         and r["statements"] <= GOAL_STATEMENTS)]
    slower = [r for r in results if r["ours"] > GOAL_PLAIN * r["plain"]]
    by_size = {}
    for r in results:
        by_size.setdefault((r["list"], r["user"], r["case"].split()[0]), set()).add(
            r["statements"])
    growing = {k: v for k, v in by_size.items() if len(v) > 1}
    print()
    print(f"{len(results)} cases; ours ≤ {GOAL_RATIO:g}× bare + {GOAL_MS:g} ms and ≤ "
          f"{GOAL_STATEMENTS} statements: {len(results) - len(misses)} of {len(results)}; "
          f"ours ≤ {GOAL_PLAIN:g}× plain FAB: {len(results) - len(slower)} of {len(results)}")
    print("statements: " + ", ".join(
        f"{k}: {min(r['statements'] for r in results if r['list'] == k)}–"
        f"{max(r['statements'] for r in results if r['list'] == k)}"
        for k in dict.fromkeys(r["list"] for r in results))
        + ("; page size changes the count of " + str(sorted(growing)) if growing else
           "; the same for page sizes 25 and 100"))
    worst = max(results, key=lambda r: r["ours"] / r["bare"])
    print(f"worst ratio to bare: {worst['ours'] / worst['bare']:.1f}× ({worst['list']}, "
          f"{worst['user']}, {worst['case']}, {worst['size']}: {worst['ours']:.1f} vs "
          f"{worst['bare']:.1f} ms); slowest page: "
          f"{max(r['ours'] for r in results):.1f} ms")
    problems = [r for r in results if r["problem"]]
    if problems:
        print(f"{len(problems)} cases with a page problem (see '!' above)")
    if (ROOT / "benchmarks" / "audit.py").exists():
        print("audit list (2M rows): python -m benchmarks.audit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated lists: "
                        "projects,items,cards,work_orders,api_projects,api_items")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    from benchmarks.export_items import _ensure_database

    _ensure_database(args.database_url)
    app = _app(args.database_url)
    prepare(app)
    specs = _specs()
    ours, plain = register_plain_views(app, specs)
    grant_plain_views(app, plain, True)
    try:
        print(HEADER, flush=True)
        results = measure(app, specs, ours, plain, args.repeat,
                          set(filter(None, args.only.split(","))) or None)
    finally:
        grant_plain_views(app, plain, False)
    summary(results)


if __name__ == "__main__":
    main()
