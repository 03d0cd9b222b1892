"""Load test: signed-in users browsing the lists, against gunicorn, at province scale.

    python -m benchmarks.load [--users 20] [--seconds 60] [--workers 6] [--threads 1]
                              [--worker-class sync] [--port 8765] [--database-url URL]
                              [--base-url http://127.0.0.1:8765]

The database is the one of ``benchmarks/lists.py`` (default
postgresql://postgres@127.0.0.1:5432/bench_lists, or ``BENCH_DATABASE_URL``; filled with
5,000 projects, 100,000 items, their cards and work orders and 2,000,000 audit rows the
first time). ``--users`` accounts (``load_user_01``…, dispatchers and clerks of the demo's
two counties and the city) are added once.

This process starts gunicorn (``gunicorn -w W -k CLASS --threads T run:app``, production
settings, on 127.0.0.1) unless ``--base-url`` points at a server already running, waits for
it, signs every user in (the login form with its CSRF token), and then each user — a
thread of this process, so the load comes from a second process over loopback — requests
the lists one after the other, without pause, for ``--seconds``: the six lists of the
list benchmark (projects, approval items, cards, work orders, the REST project and item
lists), each at page 1, a later page, a filter and a search, every user starting at a
different place in that round. Bounded: a fixed number of users, a fixed duration, a 30 s
timeout per request.

It prints requests/s, the latency p50 and p95, the errors (anything but a 200, a timeout or
a redirect to the login page) and the same per list, and the goals of issue 9: ≥ 3 × the
old throughput (8.5–14 requests/s with gunicorn -w 2 before the work on the lists, so
≥ 42 requests/s), p95 ≤ 500 ms, 0 errors.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_THROUGHPUT = 14.0  # requests/s, the best of the old figures (8.5–14)
GOAL_FACTOR, GOAL_P95_MS = 3.0, 500.0
LOAD_USER = "load_user_{:02d}"
TIMEOUT = 30


# -- set-up (in this process: the database and the URLs) ----------------------------------

def prepare_users(app, count: int) -> list[str]:
    """``count`` load accounts (created once): dispatchers and clerks of county a, county b
    and the city, in turn."""
    from sqlalchemy import select

    from app.demo.data import CITY
    from app.extensions import appbuilder, db
    from app.models import AppUser, Region
    from app.security import roles

    sm = appbuilder.sm
    names = [LOAD_USER.format(n) for n in range(1, count + 1)]
    with app.app_context():
        demo = {u.username: u for u in db.session.scalars(
            select(AppUser).where(AppUser.username.in_(["a_dispatcher", "b_dispatcher"])))}
        city = db.session.scalar(select(Region).where(Region.code == CITY[0]))
        places = [demo["a_dispatcher"].region_id, demo["b_dispatcher"].region_id, city.id]
        role_names = [roles.DISPATCHER, roles.CLERK]
        for n, name in enumerate(names):
            if db.session.scalar(select(AppUser.id).where(AppUser.username == name)):
                continue
            user = sm.add_user(name, "压测", f"{n + 1:02d}", f"{name}@load.gov.cn",
                               [sm.find_role(role_names[n % 2])],
                               password=app.config["DEMO_PASSWORD"])
            user.region_id = places[n % 3]
            user.must_change_password = False
            db.session.commit()
        # The server runs with production settings, which refuse to start while `admin`
        # keeps the demo's well-known password (app/services/admin_account.py): give it a
        # random one in this benchmark database, as `ADMIN_PASSWORD=… flask init` would.
        import secrets

        from app.services import admin_account

        admin = db.session.scalar(select(AppUser).where(AppUser.username == "admin"))
        if admin is not None and admin_account.has_default_password(admin):
            admin_account.ensure_admin(db.session, "Bench#" + secrets.token_hex(12))
            db.session.commit()
    return names


def list_urls(app) -> list[tuple[str, str]]:
    """(list, URL): each list of benchmarks/lists.py at page 1, page 5, a filter, a search."""
    from app.extensions import appbuilder
    from benchmarks.lists import _specs, list_url

    ours = {type(v).__name__: v for v in appbuilder.baseviews}
    urls = []
    with app.app_context():
        for spec in _specs():
            view = ours[spec.view]
            for page, where in ((0, None), (4, None), (0, spec.filter), (0, spec.search)):
                urls.append((spec.key, list_url(view, spec, page, 25, where)))
    return urls


# -- the server ------------------------------------------------------------------------------

def start_gunicorn(args, database_url: str) -> subprocess.Popen:
    env = {**os.environ,
           "APP_ENV": "production", "DATABASE_URL": database_url,
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "SECRET_KEY": secrets.token_hex(32), "DEMO_MODE": "false",
           # plain HTTP on loopback: the session cookie must travel without TLS
           "SESSION_COOKIE_SECURE": "false",
           # the users sign in at once from one address: above the login rate limit
           "AUTH_RATE_LIMIT": "10000 per minute",
           "INSTANCE_PATH": os.environ.get("INSTANCE_PATH", str(ROOT / "instance"))}
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers),
           "-k", args.worker_class, "--threads", str(args.threads),
           "-b", f"127.0.0.1:{args.port}", "--timeout", "60", "--log-level", "warning",
           "run:app"]
    print("starting: " + " ".join(cmd), flush=True)
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def wait_for(base_url: str, server: subprocess.Popen | None, seconds: float = 120) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit code {server.returncode})")
        try:
            if requests.get(f"{base_url}/login/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base_url} did not answer within {seconds:.0f} s")


# -- the users -------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def sign_in(base_url: str, username: str, password: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/login/", timeout=TIMEOUT)
    match = CSRF.search(page.text)
    data = {"username": username, "password": password}
    if match:
        data["csrf_token"] = match.group(1) or match.group(2)
    resp = session.post(f"{base_url}/login/", data=data, allow_redirects=False,
                        timeout=TIMEOUT)
    if resp.status_code != 302 or "/login" in resp.headers.get("Location", ""):
        raise SystemExit(f"sign-in of {username} failed ({resp.status_code})")
    return session


@dataclass
class Tally:
    ms: list = field(default_factory=list)
    by_list: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, ms: float, error: str | None) -> None:
        with self.lock:
            if error:
                self.errors.append((name, error))
            else:
                self.ms.append(ms)
                self.by_list.setdefault(name, []).append(ms)


def browse(session, base_url: str, urls, start: int, stop_at: float, tally: Tally) -> None:
    import requests

    i = start
    while time.monotonic() < stop_at:
        name, url = urls[i % len(urls)]
        i += 1
        started = time.perf_counter()
        error = None
        try:
            resp = session.get(base_url + url, allow_redirects=False, timeout=TIMEOUT)
            if resp.status_code != 200:
                error = f"HTTP {resp.status_code} {resp.headers.get('Location', '')}".strip()
        except requests.RequestException as exc:
            error = type(exc).__name__
        tally.add(name, (time.perf_counter() - started) * 1000, error)


def _pct(values, q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def report(tally: Tally, seconds: float, args) -> None:
    done = len(tally.ms) + len(tally.errors)
    rps = len(tally.ms) / seconds
    p50, p95 = _pct(tally.ms, 0.50), _pct(tally.ms, 0.95)
    print()
    print(f"{args.users} users, {seconds:.0f} s, gunicorn -w {args.workers} -k "
          f"{args.worker_class} --threads {args.threads}")
    print(f"{'list':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for name, ms in tally.by_list.items():
        print(f"{name:<14}{len(ms):>9}{_pct(ms, .5):>9.0f}{_pct(ms, .95):>9.0f}")
    print(f"{'all':<14}{done:>9}{p50:>9.0f}{p95:>9.0f}")
    print(f"requests/s {rps:.1f} (goal ≥ {GOAL_FACTOR * OLD_THROUGHPUT:.0f}: "
          f"{'ok' if rps >= GOAL_FACTOR * OLD_THROUGHPUT else 'MISS'}), p50 {p50:.0f} ms, "
          f"p95 {p95:.0f} ms (goal ≤ {GOAL_P95_MS:.0f}: "
          f"{'ok' if p95 <= GOAL_P95_MS else 'MISS'}), errors {len(tally.errors)} "
          f"(goal 0: {'ok' if not tally.errors else 'MISS'})")
    if tally.errors:
        kinds = {}
        for name, error in tally.errors:
            kinds[(name, error)] = kinds.get((name, error), 0) + 1
        print("errors: " + "; ".join(f"{n} {e} ×{c}" for (n, e), c in kinds.items()))
    print(f"mean {statistics.fmean(tally.ms):.0f} ms" if tally.ms else "no request answered")


def main() -> None:
    from benchmarks.lists import DEFAULT_URL

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--base-url", default="", help="a server already running (then no "
                        "gunicorn is started)")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

    from benchmarks.export_items import _ensure_database
    from benchmarks.lists import _app, prepare

    _ensure_database(args.database_url)
    app = _app(args.database_url)
    prepare(app)
    names = prepare_users(app, args.users)
    urls = list_urls(app)
    password = app.config["DEMO_PASSWORD"]
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()  # this process only sends requests from here on

    server = None
    base_url = args.base_url.rstrip("/") or f"http://127.0.0.1:{args.port}"
    if not args.base_url:
        server = start_gunicorn(args, args.database_url)
    try:
        wait_for(base_url, server)
        sessions = [sign_in(base_url, name, password) for name in names]
        for session in sessions:  # warm every worker: templates, plans, pools
            session.get(base_url + urls[0][1], timeout=TIMEOUT)
        tally = Tally()
        started = time.monotonic()
        stop_at = started + args.seconds
        step = max(1, len(urls) // len(sessions))
        threads = [threading.Thread(target=browse, daemon=True,
                                    args=(s, base_url, urls, n * step, stop_at, tally))
                   for n, s in enumerate(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + TIMEOUT + 5)
        report(tally, time.monotonic() - started, args)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
