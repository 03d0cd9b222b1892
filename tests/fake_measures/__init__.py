"""Plugin packages the tests install as if a county had `pip install`ed them, and helpers
that put them in front of the running app."""
from __future__ import annotations

import textwrap

import pytest

ENTRY_POINTS = {
    "night_works": "tests.fake_measures.good",
    "broken_measure": "tests.fake_measures.broken",
}


def write_distribution(root, entry_points: dict, name: str = "hbdb_fake", version: str = "1.2"):
    """An installed distribution (a .dist-info folder) declaring ``hbdb.measures`` entry
    points, as `pip install` would leave it; put ``root`` on sys.path to install it."""
    dist = root / f"{name}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(textwrap.dedent(f"""\
        Metadata-Version: 2.1
        Name: {name}
        Version: {version}
        """), encoding="utf-8")
    lines = ["[hbdb.measures]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dist


def ensure_measure_views(app) -> None:
    """The measure screens are part of the app (app/views/__init__.py)."""
    assert "MeasureView.list" in app.view_functions, "MeasureView must be registered"


@pytest.fixture()
def fake_plugins(app, tmp_path, monkeypatch):
    """The app's plugin manager rebuilt with the test distribution installed; the app's
    own manager is put back afterwards."""
    from app.plugins.manager import MeasureManager

    from . import good

    write_distribution(tmp_path, ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    with app.app_context():
        manager = MeasureManager(disabled=app.config.get("DISABLED_PLUGINS") or ()).load()
    monkeypatch.setitem(app.extensions, "measures", manager)
    good.EVENTS.clear()
    yield manager
    with app.app_context():
        _cleanup()


def _cleanup() -> None:
    from sqlalchemy import delete

    from app.extensions import db
    from app.models import MeasureSetting, WorkflowDefinition, WorkflowInstance

    db.session.rollback()
    db.session.execute(delete(WorkflowInstance).where(WorkflowInstance.measure_key.in_(
        ["night_works", "local_permit"])))
    db.session.execute(delete(MeasureSetting).where(MeasureSetting.measure_key.in_(
        ["night_works", "local_permit"])))
    db.session.execute(delete(WorkflowDefinition).where(WorkflowDefinition.key.in_(
        ["local_permit"])))
    db.session.commit()
