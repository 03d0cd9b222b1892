"""`flask init` and `flask demo`: the start-up sequence, and the demo data on top of it."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.bootstrap import bootstrap


def register(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or update the declared roles, the standard stages and the calendar."""
    for line in bootstrap(current_app._get_current_object(), migrate=False):
        click.echo(line)


@click.command("demo")
@click.option("--projects", type=click.IntRange(min=0), default=None,
              help="Generate this many extra projects for benchmarks.")
@click.option("--items-per-project", type=click.IntRange(min=0), default=10, show_default=True)
@with_appcontext
def demo_command(projects: int | None, items_per_project: int) -> None:
    """Load the demo city, its two counties, users and projects (idempotent)."""
    from app import demo
    from app.extensions import db

    bootstrap(current_app._get_current_object(), migrate=False)
    click.echo(demo.load_demo(db.session, current_app.config["DEMO_PASSWORD"]))
    db.session.commit()
    if projects:
        created = demo.generate_bulk(db.session, projects, items_per_project)
        db.session.commit()
        click.echo(f"generated {created} projects with {items_per_project} items each")
