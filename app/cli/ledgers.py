"""`flask --app run export <ledger> --region CODE --out FILE.xlsx` (the kinds of app.ledgers).

Builds the same ledger as the download centre, synchronously and without Redis, for a
region's whole subtree as the system (no user: the scope is the region's subtree).
"""
from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    app.cli.add_command(export_command)


class LedgerChoice(click.Choice):
    """The registered ledger kinds, read when the command runs (not when it is defined)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self):
        from app import ledgers

        return [kind.key for kind in ledgers.all_kinds()]

    @choices.setter
    def choices(self, _value) -> None:
        pass


@click.command("export")
@click.argument("kind", type=LedgerChoice())
@click.option("--region", "region_code", metavar="CODE",
              help="Division code of the region (its whole subtree); all regions if left out.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The .xlsx file to write.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The ledger's date (remaining/overdue days); today in Beijing if left out.")
@with_appcontext
def export_command(kind: str, region_code: str | None, out: str,
                   as_of: dt.datetime | None) -> None:
    """Export a ledger (重大项目推进台账 projects, 审批事项台账 items, …) to an Excel file."""
    from sqlalchemy import select

    from app import ledgers
    from app.extensions import db
    from app.models import Region

    region = None
    if region_code:
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise click.ClickException(f"没有区划代码为 {region_code} 的地区。 "
                                       f"No region has the code {region_code}.")
    try:
        rows = ledgers.export_to_file(db.session, kind, out, region,
                                      as_of=as_of.date() if as_of else None)
    except ledgers.LedgerError as err:
        raise click.ClickException(str(err)) from None
    finally:
        db.session.rollback()  # read-only: end the transaction
    # An export from the server's command line is audited like one started on a screen.
    from app.services import audit

    audit.record_event(db.session, "export", "Ledger", kind,
                       {"file": str(out), "rows": rows,
                        "region": region_code or None}, object_label=kind)
    db.session.commit()
    click.echo(f"{rows} rows → {out}")
