"""Innovation measures as plugins (DOMAIN.md §7).

The contract (pluggy hook specifications) arrives with the workflow engine (issue #4);
until then the host only offers the loading point the factory calls.
"""
from __future__ import annotations


def load_plugins(app, appbuilder) -> None:
    """Discover and register measure plugins. None are shipped yet."""
    app.extensions["measure_plugins"] = {}
