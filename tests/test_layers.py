"""The layers import only downwards, and no module imports itself through others.

models ← services, security, workflow, plugins ← views, API, CLI, workers, demo, the
factory. The graph is read from the source, function-local imports included, so a circle
hidden inside a function still fails here. See docs/architecture.md.
"""
from __future__ import annotations

from .import_graph import cycles, import_graph

# Lowest first. A module may import its own layer and the layers below it.
LAYERS = [
    ("base", ("config", "app.clock", "app.extensions")),
    ("models", ("app.models",)),
    ("rules", ("app.services", "app.security", "app.workflow", "app.plugins", "app.ledgers")),
]
TOP = "entry points"  # everything else: app (factory), app.views, app.cli, app.demo, workers

# (importer, imported): why this upward import is accepted. Keep it short.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("app.models.approvals", "app.services.deadlines"):
        "FAB's list and detail columns read an item's remaining and overdue working days "
        "from model methods; they hand over to the working-day rules when called",
    ("app.models.users", "app.services.people"):
        "FAB shows a user as str(user) (pickers, relation columns, the navbar); the model "
        "hands over to the one naming rule when called",
}


def layer_of(module: str) -> int:
    for rank, (_name, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return len(LAYERS)


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((src, dst) for src, deps in graph.items() for dst in deps
                  if layer_of(dst) > layer_of(src) and (src, dst) not in ALLOWED_UPWARD)


def test_no_module_imports_a_layer_above_it():
    assert upward_imports(import_graph()) == []


def test_no_import_circles():
    """Allowed upward imports are left out: each is the one edge back of its circle."""
    graph = {src: {dst for dst in deps if (src, dst) not in ALLOWED_UPWARD}
             for src, deps in import_graph().items()}
    assert cycles(graph) == []


def test_the_check_sees_a_circle_and_an_upward_import():
    graph = {"app.models.x": {"app.services.y"}, "app.services.y": {"app.models.x"}}
    assert upward_imports(graph) == [("app.models.x", "app.services.y")]
    assert cycles(graph) == [["app.models.x", "app.services.y"]]


def test_allow_list_entries_are_still_needed():
    graph = import_graph()
    stale = [pair for pair in ALLOWED_UPWARD if pair[1] not in graph.get(pair[0], set())]
    assert stale == []
