"""Flask CLI commands: init, demo, worker, cron."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)
    from .cli_calendar import register as register_calendar
    from .cli_ledgers import register as register_ledgers
    from .cli_plugins import register as register_plugins
    from .cli_warnings import register as register_warnings

    register_warnings(app)
    register_ledgers(app)
    register_calendar(app)
    register_plugins(app)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or update the declared roles and their permissions (idempotent)."""
    from app.extensions import appbuilder, db
    from app.security.sync import sync_security
    from app.services.reference import ensure_standard_stages

    from app.services.calendar import ensure_calendar_seeded

    for line in sync_security(appbuilder):
        click.echo(line)
    ensure_standard_stages(db.session)
    seeded = ensure_calendar_seeded(db.session)
    db.session.commit()
    if seeded:
        click.echo(f"holiday calendar seeded for {len(seeded)} years")
    click.echo("roles and standard stages are up to date")


@click.command("demo")
@click.option("--projects", type=click.IntRange(min=0), default=None,
              help="Generate this many extra projects for benchmarks.")
@click.option("--items-per-project", type=click.IntRange(min=0), default=10, show_default=True)
@with_appcontext
def demo_command(projects, items_per_project) -> None:
    """Load the demo city, its two counties, users and projects (idempotent)."""
    from app.extensions import appbuilder, db
    from app.security.sync import sync_security
    from app.services import demo
    from app.services.reference import ensure_standard_stages

    from app.services.calendar import ensure_calendar_seeded

    sync_security(appbuilder)
    ensure_standard_stages(db.session)
    ensure_calendar_seeded(db.session)
    summary = demo.load_demo(db.session, current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    click.echo(summary)
    if projects:
        created = demo.generate_bulk(db.session, projects, items_per_project)
        db.session.commit()
        click.echo(f"generated {created} projects with {items_per_project} items each")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run one RQ worker on every named queue, inside the app context."""
    from rq import Worker

    from workers.queues import queue, redis_connection

    queues = [queue(name) for name in current_app.config["RQ_QUEUES"]]
    Worker(queues, connection=redis_connection()).work(burst=burst)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run RQ's cron scheduler with the periodic jobs of workers/cron.py."""
    from rq.cron import CronScheduler

    from workers.cron import PERIODIC_JOBS
    from workers.queues import redis_connection

    import importlib

    scheduler = CronScheduler(connection=redis_connection())
    for queue_name, dotted, cron in PERIODIC_JOBS:
        module, _, name = dotted.rpartition(".")
        func = getattr(importlib.import_module(module), name)
        scheduler.register(func, queue_name=queue_name, cron=cron)
    scheduler.start()
