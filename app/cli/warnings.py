"""CLI commands of the warning scan, work-order escalation and notification delivery.

`register(app)` adds them: `flask --app run scan [--date YYYY-MM-DD]`,
`flask --app run escalate [--date …]` and `flask --app run notify`.
"""
from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import with_appcontext


def _date(value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.command("scan")
@click.option("--date", "day", default=None, help="Scan as of this date (default: today, Beijing).")
@with_appcontext
def scan_command(day) -> None:
    """Run the warning scan now and print what it raised."""
    from app.extensions import db
    from app.services import warnings

    result = warnings.scan(db.session, _date(day))
    db.session.commit()
    for line in result.lines():
        click.echo(line)


@click.command("escalate")
@click.option("--date", "day", default=None, help="As of this date (default: today, Beijing).")
@with_appcontext
def escalate_command(day) -> None:
    """Escalate overdue work orders one level up now and print which."""
    from app.extensions import db
    from app.services import work_orders

    ids = work_orders.escalate_overdue(db.session, _date(day))
    db.session.commit()
    click.echo(f"escalated {len(ids)} work order(s)" + (f": {', '.join(map(str, ids))}"
                                                         if ids else ""))


@click.command("notify")
@with_appcontext
def notify_command() -> None:
    """Send the e-mail/webhook deliveries that are due now."""
    from app.extensions import db
    from app.services import notifications

    counts = notifications.deliver_due(db.session)
    db.session.commit()
    click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")


def register(app: Flask) -> None:
    for command in (scan_command, escalate_command, notify_command):
        app.cli.add_command(command)
