"""The plugin contract: third-party measures from the `hbdb.measures` entry-point group,
broken and misspelt plugins, blocked plugins, built-in discovery and the CLI listing."""
from __future__ import annotations

import sys
import textwrap
from types import SimpleNamespace

import pluggy
import pytest

from app.extensions import db
from app.plugins import hookspecs
from app.plugins.manager import BUILTIN, ENTRYPOINT, MeasureManager, PluginContractError

from .fake_measures import (  # noqa: F401
    ENTRY_POINTS,
    fake_plugins,
    good,
    misspelt,
    write_distribution,
)


def test_the_contract_documents_every_hook():
    names = {n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "hbdb_spec")}
    assert names >= {"provide_measures", "measure_guards", "measure_effects", "register_views",
                     "reminder_rules", "ledger_columns", "translations", "after_transition"}
    for name in names:
        assert getattr(hookspecs, name).__doc__, f"hook {name} is not documented"


def test_a_pip_installed_plugin_appears_with_its_measure(app, tmp_path, monkeypatch):
    write_distribution(tmp_path, ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    with app.app_context():
        manager = MeasureManager().load()
        info = manager.plugins["night_works"]
        assert info.loaded and info.source == ENTRYPOINT and info.version == "1.2"
        spec = manager.measures()["night_works"]
        assert spec.name == "夜间施工备案" and spec.plugin == "night_works"
        assert "night_works.noise_plan" in manager.guards()
        assert "night_works.stamp" in manager.effects()
        assert manager.translate("Night works", "zh") == "夜间施工"
        column = next(c for c in manager.ledger_columns() if c.header == "夜间施工")
        assert column.measure_key == "night_works"
        assert column.value(SimpleNamespace(params={"stamped_on": "2026-11-20"})) == "2026-11-20"
        # Its reminder rule reaches the host; a malformed entry is left out.
        (rule,) = [r for r in manager.reminder_rules() if r.__name__ == "noise_permit_expires"]
        (due,) = rule(None, [SimpleNamespace(id=7, measure_key="night_works",
                                             params={"noise_permit_expires": "2026-12-01"})])
        assert (due.instance_id, due.part) == (7, "night_works.noise_permit")
        assert "not a rule" not in manager.reminder_rules()
        # The core low-code plugin is registered through the same contract.
        assert manager.plugins["lowcode"].source == "core"


def test_a_plugin_that_fails_to_import_is_reported_with_its_error(app, tmp_path, monkeypatch):
    write_distribution(tmp_path, ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    with app.app_context():
        manager = MeasureManager().load()
    broken = {p.name: p for p in manager.broken}
    assert "broken_measure" in broken
    assert "hbdb_dependency_that_is_not_installed" in broken["broken_measure"].error
    assert broken["broken_measure"].version == "1.2"
    assert "night_works" not in broken  # one broken plugin does not take the others down


def test_a_misspelt_hook_in_a_built_in_plugin_stops_the_start_up(app):
    manager = MeasureManager()
    manager.register("misspelt", misspelt, BUILTIN)
    with pytest.raises(PluginContractError) as err:
        manager.check()
    assert "provide_measure" in str(err.value)
    assert "provide_measures" in str(err.value)  # the message lists the real hook names


def test_a_misspelt_hook_in_a_third_party_plugin_marks_it_broken(app, tmp_path, monkeypatch):
    write_distribution(tmp_path, {"misspelt": "tests.fake_measures.misspelt"}, name="hbdb_typo")
    monkeypatch.syspath_prepend(str(tmp_path))
    with app.app_context():
        manager = MeasureManager().load()
    info = manager.plugins["misspelt"]
    assert info.error and "provide_measure" in info.error
    assert manager.pm.get_plugin("misspelt") is None


def test_check_pending_is_pluggys():
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(misspelt)
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_a_disabled_plugin_is_blocked_not_loaded(app, tmp_path, monkeypatch):
    write_distribution(tmp_path, ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("tests.fake_measures.broken", None)
    with app.app_context():
        manager = MeasureManager(disabled=["night_works", "broken_measure"]).load()
    assert manager.plugins["night_works"].blocked
    assert "night_works" not in manager.measures()
    # Blocked means not even imported: the broken one is not reported broken.
    assert not manager.plugins["broken_measure"].error
    assert manager.pm.is_blocked("night_works")


def test_built_in_plugins_are_the_sub_packages_with_a_plugin(app, tmp_path, monkeypatch):
    package = tmp_path / "hbdb_builtin_demo"
    (package / "pile_demo").mkdir(parents=True)
    (package / "not_a_plugin").mkdir()
    (package / "__init__.py").write_text("")
    (package / "not_a_plugin" / "__init__.py").write_text("VALUE = 1\n")
    (package / "pile_demo" / "__init__.py").write_text(textwrap.dedent('''\
        from app.plugins import hookimpl, MeasureSpec

        DEFINITION = {"key": "pile_demo", "name": "桩基演示", "initial": "a",
                      "states": [{"name": "a", "label": "甲"}, {"name": "b", "final": True}],
                      "transitions": [{"action": "go", "from": "a", "to": "b",
                                       "roles": ["assistant"]}]}

        class Plugin:
            title = "桩基演示"
            version = "0.1"

            @hookimpl
            def provide_measures(self):
                return [MeasureSpec("pile_demo", "桩基演示", "0.1", DEFINITION)]

        plugin = Plugin()
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    with app.app_context():
        manager = MeasureManager()
        manager.load_builtin("hbdb_builtin_demo")
        manager.check()
        assert manager.plugins["pile_demo"].source == BUILTIN
        assert manager.plugins["pile_demo"].version == "0.1"
        assert "pile_demo" in manager.measures()
        # A sub-package without a plugin object or hookimpls is a helper, not a plugin.
        assert "not_a_plugin" not in manager.plugins


def test_a_measure_with_an_invalid_definition_is_reported(app):
    from app.plugins import MeasureSpec, hookimpl

    class Bad:
        @hookimpl
        def provide_measures(self):
            return [MeasureSpec("bad_one", "坏举措", "1", {"key": "bad_one", "name": "坏",
                                                          "initial": "x", "states": []})]

    with app.app_context():
        manager = MeasureManager()
        manager.register("bad", Bad(), ENTRYPOINT)
        manager.check()
    assert "流程没有任何状态" in manager.plugins["bad"].error
    assert "bad_one" not in manager.measures()


def test_the_third_party_measure_runs_through_the_engine(app, world, fake_plugins):
    from app.models import AppUser, Project, Region
    from app.services import measures
    from app.workflow import engine

    with app.app_context():
        city = db.session.get(Region, world.city.id)
        sysadmin = db.session.get(AppUser, world.admin.id)
        measures.set_setting(db.session, "night_works", city, True,
                             {"time_limits.review": 1}, sysadmin)
        project = db.session.get(Project, world.a.project.id)
        assistant = db.session.get(AppUser, world.a.users["assistant"].id)
        instance = measures.start_measure(db.session, project, "night_works", assistant)
        assert instance.params["time_limits"]["review"] == 1
        with pytest.raises(engine.TransitionRefused) as refused:
            engine.transition(db.session, instance, "submit", assistant, comment="无")
        assert "噪声防治方案" in str(refused.value)
        engine.transition(db.session, instance, "submit", assistant, comment="已附噪声防治方案")
        engine.transition(db.session, instance, "approve", assistant)
        assert instance.params.get("stamped") is True
        db.session.commit()
        assert instance.status.name == "COMPLETED"
    assert ("night_works", "submit") in good.EVENTS and ("night_works", "approve") in good.EVENTS


def test_the_cli_lists_plugins_regions_and_broken_ones(app, world, fake_plugins):
    from app.models import AppUser, Region
    from app.services import measures

    with app.app_context():
        county = db.session.get(Region, world.a.region.id)
        measures.set_setting(db.session, "night_works", county, True, {},
                             db.session.get(AppUser, world.admin.id))
        db.session.commit()
    from app.cli.plugins import plugins_command

    result = app.test_cli_runner().invoke(plugins_command)
    assert result.exit_code == 0, result.output
    assert "[night_works]" in result.output and "1.2" in result.output
    assert "夜间施工备案" in result.output and "甲县(990001)" in result.output
    assert "[lowcode]" in result.output
    assert "broken_measure" in result.output and "BROKEN" in result.output
    assert "hbdb_dependency_that_is_not_installed" in result.output
