"""`flask --app run plugins`: every measure plugin — key, name, version, regions enabled —
and the plugins that could not be loaded, with their error."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    app.cli.add_command(plugins_command)


def plugin_report(session, manager) -> list[str]:
    """The lines the command prints (also used by the tests)."""
    from sqlalchemy import select

    from app.models import MeasureSetting, Region

    rows = session.execute(select(MeasureSetting.measure_key, MeasureSetting.enabled, Region.name,
                                  Region.code).join(Region, Region.id == MeasureSetting.region_id)
                           .order_by(Region.path)).all()
    by_key: dict[str, list[str]] = {}
    for key, enabled, name, code in rows:
        by_key.setdefault(key, []).append(f"{name}({code}){'' if enabled else ' 停用'}")
    lines = []
    measures = manager.measures()
    for info in manager.plugins.values():
        if info.error or info.blocked:
            continue
        specs = [s for s in measures.values() if s.plugin == info.name]
        lines.append(f"[{info.name}] {info.title or ''} ({info.source}"
                     f"{', ' + info.version if info.version else ''})")
        for spec in specs:
            regions = "、".join(by_key.get(spec.key, [])) or "（未在任何地区设置 not set anywhere）"
            lines.append(f"  {spec.key}\t{spec.name}\tv{spec.version}\t启用地区 enabled: {regions}")
        if not specs:
            lines.append("  （未提供举措 no measures）")
    for info in manager.plugins.values():
        if info.blocked:
            lines.append(f"[{info.name}] 已停用 blocked by DISABLED_PLUGINS ({info.source})")
    for info in manager.broken:
        lines.append(f"[{info.name}] 加载失败 BROKEN ({info.source}"
                     f"{', ' + info.version if info.version else ''}): {info.error}")
    return lines


@click.command("plugins")
@with_appcontext
def plugins_command() -> None:
    """List the measure plugins: key, name, version, regions where enabled; broken ones
    with their error."""
    from app.extensions import db
    from app.plugins import manager_of

    try:
        for line in plugin_report(db.session, manager_of()):
            click.echo(line)
    finally:
        db.session.rollback()
