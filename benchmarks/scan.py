"""Benchmark: the warning scan over 100k approval items vs a bare SELECT of the same rows.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_scan python benchmarks/scan.py

The database gets the schema, the demo data and ``--projects`` × ``--items`` bulk items
(``app.demo.generate_bulk``) on the first run. Then, each ``--repeat`` times:

- bare: one Core SELECT of every approval item with the columns the scan judges it by
  (status, deadlines, project status, region's warning days), all rows fetched;
- first scan: cards and their notifications deleted, then ``warnings.scan`` + commit
  (raises every card: the heaviest day);
- daily scan: ``warnings.scan`` + commit again (the usual day: little or nothing changes).

It prints the medians and the ratios to the bare SELECT (goal: ≤ 2×).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_scan"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--date", default=None, help="scan date (default: the demo's reference "
                                                     "date, 2026-11-02)")
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    from benchmarks.export_items import _ensure_database

    _ensure_database(os.environ["DATABASE_URL"])  # created when missing, as the README says
    os.environ.setdefault("APP_ENV", "embedded")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    import datetime as dt

    from flask_migrate import upgrade
    from sqlalchemy import delete, func, select

    from app import create_app, demo
    from app.extensions import appbuilder, db
    from app.models import ApprovalItem, Notification, Project, Region, WarningCard
    from app.security.sync import sync_security
    from app.services import warnings
    from app.services.reference import ensure_standard_stages
    from config import Config

    app = create_app(Config())
    with app.app_context():
        upgrade()
        session = db.session
        have = session.scalar(select(func.count()).select_from(Project)
                              .where(Project.code.like(demo.BULK_PREFIX + "%"))) or 0
        if have < args.projects:
            sync_security(appbuilder)
            ensure_standard_stages(session)
            session.commit()
            t = time.perf_counter()
            demo.generate_bulk(session, args.projects - have, args.items)
            session.commit()
            print(f"generated {args.projects - have} projects in {time.perf_counter() - t:.1f}s")
        session.execute(db.text("ANALYZE"))
        session.commit()
        items = session.scalar(select(func.count()).select_from(ApprovalItem))
        today = dt.date.fromisoformat(args.date) if args.date else demo.REFERENCE_DATE

        ai, p, r = ApprovalItem.__table__, Project.__table__, Region.__table__
        bare_stmt = (select(ai.c.id, ai.c.project_id, ai.c.department_id, ai.c.status,
                            ai.c.due_on, ai.c.gap_promised_on, p.c.status, r.c.warning_days)
                     .select_from(ai.join(p, p.c.id == ai.c.project_id)
                                  .join(r, r.c.id == p.c.region_id)))

        def bare() -> int:
            with db.engine.connect() as conn:
                return len(conn.execute(bare_stmt).fetchall())

        def reset() -> None:
            session.execute(delete(Notification).where(Notification.event_key.like("card:%")))
            session.execute(delete(WarningCard))
            session.commit()

        def run_scan():
            result = warnings.scan(session, today)
            session.commit()
            return result

        timings = {"bare": [], "first": [], "daily": []}
        summary = None
        bare()  # warm the cache
        for _ in range(args.repeat):
            t = time.perf_counter()
            rows = bare()
            timings["bare"].append(time.perf_counter() - t)
            reset()
            t = time.perf_counter()
            summary = run_scan()
            timings["first"].append(time.perf_counter() - t)
            t = time.perf_counter()
            again = run_scan()
            timings["daily"].append(time.perf_counter() - t)
            assert sum(again.raised.values()) == 0

        med = {k: statistics.median(v) for k, v in timings.items()}
        raised = summary.by_level(summary.raised)
        print(f"approval items: {items} (bare SELECT rows: {rows}), scan date {today}")
        print(f"first scan raised: red {raised['RED']}, yellow {raised['YELLOW']}, "
              f"notifications {summary.notifications}")
        print(f"bare SELECT:            {med['bare'] * 1000:8.1f} ms")
        print(f"scan, first (raise all): {med['first'] * 1000:8.1f} ms  "
              f"ratio {med['first'] / med['bare']:.2f}x")
        print(f"scan, daily (no change): {med['daily'] * 1000:8.1f} ms  "
              f"ratio {med['daily'] / med['bare']:.2f}x")
        print("goal: ratio <= 2x")


if __name__ == "__main__":
    main()
