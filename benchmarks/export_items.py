"""Benchmark: the 审批事项台账 export job vs a bare SELECT → XlsxWriter script.

    python -m benchmarks.export_items [--database-url URL] [--repeat 3]

Creates (or reuses) 10,000 bulk projects × 10 items = 100,000 approval items with
``app.demo.generate_bulk`` in a database of its own (default
postgresql://postgres@127.0.0.1:5432/bench_ledger, created when missing), then, at 10k
and 100k rows, runs each side in a fresh subprocess so peak RSS is its own:

* job  — the whole user job: a JobRecord run by ``jobs.run`` (scope, row count, streamed
         SELECT, formats, working days, progress, rename), in an app context;
* bare — a script that runs the same SQL (compiled from ``item_ledger_select``) with a
         streamed cursor and ``write_row``s the raw rows with XlsxWriter constant_memory.

Time is the export alone (the job: ``jobs.run``; bare: query + write + close), wall and
CPU, the median of ``--repeat`` runs with the two sides alternating (so a busy machine
slows both alike); RSS is the process's peak (VmHWM). The job's RSS before the
export (interpreter + Flask app) is shown too, since the bare script loads no app.
Goals (issue 3): time ≤ 1.3 × bare; peak RSS ≤ bare + 50 MB; the same RSS at 10k and 100k.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_ledger"
PROJECTS, ITEMS_PER_PROJECT = 10_000, 10
# The first 1,000 / 10,000 bulk projects: exactly 10k / 100k items (codes are fixed-width).
SIZES = {10_000: "BULK-00001001", 100_000: "BULK-00010001"}


def _filters(rows: int) -> dict:
    return {"project_code__sw": "BULK-", "project_code__lt": SIZES[rows]}


def _peak_rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _app(url: str, web: bool = True):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("APP_ENV", "embedded")
    os.environ.setdefault("DEMO_MODE", "false")
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app(web=web)


# -- set-up ------------------------------------------------------------------------------

def _ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare(app) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from app import demo
    from app.extensions import appbuilder, db
    from app.models import ApprovalItem, Project
    from app.security.sync import sync_security
    from app.services.reference import ensure_standard_stages

    with app.app_context():
        upgrade()
        sync_security(appbuilder)
        ensure_standard_stages(db.session)
        db.session.commit()
        demo.load_demo(db.session, app.config["DEMO_PASSWORD"])
        db.session.commit()
        bulk = select(func.count()).select_from(ApprovalItem).join(Project).where(
            Project.code.like(demo.BULK_PREFIX + "%"))
        have = db.session.scalar(bulk)
        if have < PROJECTS * ITEMS_PER_PROJECT:
            if have:
                raise SystemExit(f"the database holds {have} bulk items, not "
                                 f"{PROJECTS * ITEMS_PER_PROJECT}: drop it and run again")
            started = time.perf_counter()
            demo.generate_bulk(db.session, PROJECTS, ITEMS_PER_PROJECT)
            db.session.commit()
            print(f"generated {PROJECTS} projects × {ITEMS_PER_PROJECT} items in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            have = db.session.scalar(bulk)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return have


def bare_sql(app, rows: int) -> str:
    """The job's SELECT, compiled to PostgreSQL SQL with its values inlined."""
    from sqlalchemy.dialects import postgresql

    from app import ledgers

    with app.app_context():
        stmt = ledgers.item_ledger_select(ledgers.system_scope(None), _filters(rows))
        return str(stmt.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))


# -- the two sides, each in its own process ----------------------------------------------

def child_job(url: str, rows: int, out_dir: str) -> dict:
    # The job runs as it does in production: in the lean worker app (`python -m workers`).
    app = _app(url, web=False)
    app.config["FILES_DIR"] = out_dir
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AppUser, JobRecord, JobStatus
    from app.services import jobs
    from workers.kinds import function_of

    with app.app_context():
        admin = db.session.scalar(select(AppUser).where(AppUser.username == "admin"))
        record = jobs.create(db.session, admin.id, "ledger_items", "benchmark",
                             {"filters": _filters(rows), "as_of": "2026-11-23"})
        db.session.commit()
        before = _peak_rss_kb()
        started, cpu = time.perf_counter(), time.process_time()
        jobs.run(db.session, record.id, function_of)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        record = db.session.get(JobRecord, record.id)
        assert record.status == JobStatus.FINISHED, record.error
        size = Path(record.result_path).stat().st_size
        Path(record.result_path).unlink()
        db.session.delete(record)
        db.session.commit()
    return {"seconds": seconds, "cpu": cpu, "peak_kb": _peak_rss_kb(), "before_kb": before,
            "bytes": size}


def child_bare(url: str, sql_file: str, out_dir: str) -> dict:
    import xlsxwriter
    from sqlalchemy import create_engine, text

    sql = Path(sql_file).read_text()
    out = Path(out_dir) / "bare.xlsx"
    engine = create_engine(url)
    before = _peak_rss_kb()
    started, cpu = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(text(sql))
        workbook = xlsxwriter.Workbook(str(out), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"})
        ws = workbook.add_worksheet()
        r = 0
        for row in result:
            ws.write_row(r, 0, row)
            r += 1
        workbook.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "cpu": cpu, "peak_kb": _peak_rss_kb(), "before_kb": before,
            "bytes": size, "rows": r}


def _run_child(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.export_items", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["job", "bare"])
    parser.add_argument("--rows", type=int)
    parser.add_argument("--sql-file")
    parser.add_argument("--out-dir")
    args = parser.parse_args()
    url = args.database_url

    if args.child == "job":
        print(json.dumps(child_job(url, args.rows, args.out_dir)))
        return
    if args.child == "bare":
        print(json.dumps(child_bare(url, args.sql_file, args.out_dir)))
        return

    _ensure_database(url)
    app = _app(url)
    items = prepare(app)
    print(f"database: {url} ({items} bulk approval items)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in SIZES:
            sql_file = Path(tmp) / f"items{rows}.sql"
            sql_file.write_text(bare_sql(app, rows))
            runs: dict = {"bare": [], "job": []}
            # Alternate the two sides, so a busy moment of the machine hits both alike.
            for _ in range(args.repeat):
                for side in ("bare", "job"):
                    extra = (["--sql-file", str(sql_file)] if side == "bare"
                             else ["--rows", str(rows)])
                    runs[side].append(_run_child(["--child", side, "--database-url", url,
                                                  "--out-dir", tmp, *extra]))
            assert runs["bare"][0]["rows"] == rows, (runs["bare"][0]["rows"], rows)
            for side, done in runs.items():
                results[(rows, side)] = {
                    "seconds": statistics.median(r["seconds"] for r in done),
                    "cpu": statistics.median(r["cpu"] for r in done),
                    "peak_mb": max(r["peak_kb"] for r in done) / 1024,
                    "before_mb": max(r["before_kb"] for r in done) / 1024,
                    "process_seconds": statistics.median(r["process_seconds"] for r in done),
                    "mb_file": done[0]["bytes"] / 1e6,
                }

    print()
    print(f"{'rows':>8} {'side':>5} {'export s':>9} {'CPU s':>7} {'process s':>10} "
          f"{'peak RSS MB':>12} {'RSS before MB':>14} {'file MB':>8}")
    for (rows, side), r in results.items():
        print(f"{rows:>8} {side:>5} {r['seconds']:>9.2f} {r['cpu']:>7.2f} "
              f"{r['process_seconds']:>10.2f} {r['peak_mb']:>12.1f} {r['before_mb']:>14.1f} "
              f"{r['mb_file']:>8.2f}")
    print()
    print(f"{'rows':>8} {'time job/bare':>14} {'CPU job/bare':>13} {'RSS job−bare MB':>16} "
          f"{'export RSS growth job MB':>25} {'bare MB':>8}")
    for rows in SIZES:
        job, bare = results[(rows, "job")], results[(rows, "bare")]
        print(f"{rows:>8} {job['seconds'] / bare['seconds']:>14.2f} "
              f"{job['cpu'] / bare['cpu']:>13.2f} "
              f"{job['peak_mb'] - bare['peak_mb']:>16.1f} "
              f"{job['peak_mb'] - job['before_mb']:>25.1f} "
              f"{bare['peak_mb'] - bare['before_mb']:>8.1f}")
    small, large = results[(10_000, "job")], results[(100_000, "job")]
    print()
    print(f"job peak RSS 10k → 100k: {small['peak_mb']:.1f} → {large['peak_mb']:.1f} MB "
          f"({large['peak_mb'] - small['peak_mb']:+.1f} MB)")
    print("goals: time ≤ 1.3 × bare; peak RSS ≤ bare + 50 MB; same RSS at 10k and 100k")


if __name__ == "__main__":
    main()
