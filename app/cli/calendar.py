"""Flask CLI commands of the holiday calendar: ``calendar-seed`` and ``calendar-status``.

``register(app)`` adds them to ``app.cli`` (called from ``app.cli.register_cli``).
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app import clock


def parse_years(text: str) -> list[int]:
    """``"2024-2026"``, ``"2025,2026"`` or ``"2026"`` → a sorted list of years."""
    years: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo or hi - lo > 200:
                    raise ValueError
                years.update(range(lo, hi + 1))
            else:
                years.add(int(part))
        except ValueError:
            raise click.BadParameter(f"{part!r} is not a year or a range like 2024-2026",
                                     param_hint="--years") from None
    if not years or min(years) < 1900 or max(years) > 2200:
        raise click.BadParameter("give years between 1900 and 2200", param_hint="--years")
    return sorted(years)


@click.command("calendar-seed")
@click.option("--years", "years_text", default=None, metavar="YYYY[-YYYY][,…]",
              help="Years to seed, e.g. 2024-2026 (default: every year the package knows "
                   "that the table lacks).")
@with_appcontext
def calendar_seed_command(years_text) -> None:
    """Load holidays and 调休 working days from the chinesecalendar package (idempotent:
    days already in the table, maybe edited by an admin, are kept)."""
    from app.extensions import db
    from app.services import calendar, calendar_seeding

    known = calendar.package_years()
    if years_text:
        years = parse_years(years_text)
        unknown = [y for y in years if y not in known]
        if unknown:
            click.echo("chinesecalendar has no schedule for "
                       + ", ".join(map(str, unknown))
                       + f" (it covers {min(known)}–{max(known)}); enter those years "
                       "in the calendar screen")
        years = [y for y in years if y in known]
    else:
        years = sorted(known - calendar.table_years(db.session))
    inserted = calendar_seeding.seed_years(db.session, years) if years else []
    db.session.commit()
    calendar.invalidate()
    click.echo(f"calendar: {len(inserted)} days added"
               + (f" for {', '.join(map(str, years))}" if years else " (nothing to do)"))


@click.command("calendar-status")
@click.option("--years", "years_text", default=None, metavar="YYYY[-YYYY][,…]",
              help="Years to check (default: this year and next).")
@with_appcontext
def calendar_status_command(years_text) -> None:
    """Say which years have a holiday schedule and which are counted Mon–Fri."""
    from app.extensions import db
    from app.services import calendar

    entered = calendar.table_years(db.session)
    this_year = clock.today().year
    years = parse_years(years_text) if years_text else [this_year, this_year + 1]
    for year in years:
        state = "entered" if year in entered else "MISSING (counted Monday to Friday)"
        click.echo(f"{year}: {state}")
    if entered:
        click.echo(f"years in the table: {', '.join(map(str, sorted(entered)))}")


def register(app: Flask) -> None:
    app.cli.add_command(calendar_seed_command)
    app.cli.add_command(calendar_status_command)
