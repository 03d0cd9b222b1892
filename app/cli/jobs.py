"""`flask worker` and `flask cron`: an RQ worker with the full app, and the scheduler."""
from __future__ import annotations

import importlib

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(cron_command)


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

    scheduler = CronScheduler(connection=redis_connection())
    for queue_name, dotted, cron in PERIODIC_JOBS:
        module, _, name = dotted.rpartition(".")
        func = getattr(importlib.import_module(module), name)
        scheduler.register(func, queue_name=queue_name, cron=cron)
    scheduler.start()
