"""Benchmark: the audit trail list at 2,000,000 rows vs the bare SQL it needs.

    python -m benchmarks.audit [--database-url URL] [--repeat 7] [--rows 2000000]

The database (default postgresql://postgres@127.0.0.1:5432/bench_audit, or
``BENCH_DATABASE_URL``; created when missing) gets the schema, the demo data and, once,
``--rows`` synthetic audit records (one ``INSERT … SELECT generate_series``, about 30 s
for 2M), then ANALYZE.

For page 1, a deep page (the keyset cursor of the row at 80 %), and the filters by action,
by user (a name typed in the search), by time range (one Beijing day) and by object
(type + id) it measures, warm and in this one process:

* ours — the request through the Flask test client signed in as the auditor
         (``/auditrecordview/list/?…``): session, permissions, scope, the capped count,
         the page, the sentences, the template;
* bare — the SQL the page needs and nothing else: the capped count and the page (same
         WHERE, same keyset, with the actors' names joined) as two Core statements on a
         pooled connection.

It prints medians, the ratio, the SQL statements of one request (a
``before_cursor_execute`` listener) and the goal of issue 9: ≤ 100 ms server time.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from urllib.parse import urlencode

from benchmarks.lists import StatementCounter, _app, login, timed

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_audit"
GOAL_MS = 100.0
AUDITOR = "auditor"


def prepare(app, rows: int) -> None:
    from sqlalchemy import func, select, text

    from app import demo
    from app.bootstrap import bootstrap
    from app.demo.data import generate_audit_rows
    from app.extensions import db
    from app.models import AuditRecord

    bootstrap(app)
    with app.app_context():
        demo.load_demo(db.session, app.config["DEMO_PASSWORD"])
        db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(AuditRecord))
        if have < rows:
            started = time.perf_counter()
            generate_audit_rows(db.session, rows - have)
            db.session.commit()
            print(f"generated {rows - have} audit rows in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        db.session.execute(text("ANALYZE audit_record"))
        db.session.commit()


def cases(app) -> list[tuple[str, dict]]:
    """(case, query arguments) with the deep page's cursor and a real user and day."""
    from sqlalchemy import func, select

    from app import clock
    from app.extensions import db
    from app.models import AppUser, AuditRecord
    from app.services import audit_list

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(AuditRecord))
        deep = db.session.execute(select(AuditRecord).order_by(
            AuditRecord.at.desc(), AuditRecord.id.desc()).offset(int(total * 0.8)).limit(1)
        ).scalar_one()
        cursor = audit_list.cursor_of(deep)
        user = db.session.scalar(select(AppUser).where(AppUser.username == "a_clerk"))
        name = f"{user.last_name}{user.first_name}"
        day = clock.to_beijing(deep.at).date().isoformat()
        obj = db.session.execute(select(AuditRecord.model, AuditRecord.object_id)
                                 .where(AuditRecord.id == deep.id)).one()
        db.session.remove()
    return [("page 1", {}), ("deep page (80 %)", {"before": cursor}),
            ("action", {"action": "delete"}), ("user name", {"user": name}),
            ("account", {"user": "a_clerk"}), ("one day", {"since": day, "until": day}),
            ("object", {"model": obj[0], "object_id": obj[1]}),
            ("action+day", {"action": "login", "since": day, "until": day})]


def bare(app, args: dict):
    """The capped count and the page as the list runs them, on a pooled connection."""
    from sqlalchemy import func, select, tuple_

    from app.extensions import db
    from app.models import AppUser, AuditRecord
    from app.services import audit_list, people

    def run():
        with db.engine.connect() as conn:
            filters = audit_list.AuditFilter(
                action=args.get("action"), user=args.get("user"),
                since=_date(args.get("since")), until=_date(args.get("until")),
                model=args.get("model"), object_id=args.get("object_id"))
            where = _conditions(conn, filters)
            inner = select(AuditRecord.id).where(*where).limit(audit_list.COUNT_CAP + 1)
            conn.execute(select(func.count()).select_from(inner.subquery())).scalar()
            stmt = (select(AuditRecord.__table__, people.person_name_sql())
                    .outerjoin(AppUser, AppUser.id == AuditRecord.user_id).where(*where))
            cursor = audit_list.parse_cursor(args.get("before"))
            if cursor:
                stmt = stmt.where(tuple_(AuditRecord.at, AuditRecord.id) < tuple_(*cursor))
            return conn.execute(stmt.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
                                .limit(audit_list.PAGE_SIZE + 1)).all()
    return run


def _date(text):
    import datetime as dt

    return dt.date.fromisoformat(text) if text else None


def _conditions(conn, filters):
    """audit_list.conditions on a bare connection (the user lookup is one more statement
    there too)."""
    from sqlalchemy.orm import Session

    from app.services import audit_list

    with Session(bind=conn) as session:
        return audit_list.conditions(session, filters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    from benchmarks.export_items import _ensure_database

    _ensure_database(args.database_url)
    app = _app(args.database_url)
    prepare(app, args.rows)
    from app.extensions import db

    with app.app_context():
        counter = StatementCounter(db.engine)
    client = login(app, AUDITOR, app.config["DEMO_PASSWORD"])
    print(f"{'case':<18}{'ours ms':>9}{'bare ms':>9}{'ratio':>7}{'stmts':>7}{'goal':>6}  "
          "count shown", flush=True)
    worst = 0.0
    for case, query in cases(app):
        url = "/auditrecordview/list/?" + urlencode(query)
        resp = client.get(url)  # warm-up
        if resp.status_code != 200:
            raise SystemExit(f"{case}: HTTP {resp.status_code}")
        html = resp.get_data(as_text=True)
        shown = html.split('id="audit-count"')[1].split("<strong>")[1].split("</strong>")[0]
        run_bare = bare(app, query)
        with app.app_context():
            run_bare()
            t_ours, t_bare = [], []
            for _ in range(args.repeat):
                ms, n, _resp = timed(lambda u=url: client.get(u), counter)
                t_ours.append(ms)
                ms, _n, _rows = timed(run_bare)
                t_bare.append(ms)
        ours, base = statistics.median(t_ours), statistics.median(t_bare)
        worst = max(worst, ours)
        print(f"{case:<18}{ours:>9.1f}{base:>9.1f}{ours / base:>7.1f}{n:>7}"
              f"{'ok' if ours <= GOAL_MS else 'MISS':>6}  {shown}", flush=True)
    print(f"\nslowest page: {worst:.1f} ms (goal ≤ {GOAL_MS:g} ms)")


if __name__ == "__main__":
    main()
