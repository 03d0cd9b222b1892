"""The workflow engine of the innovation measures (docs/domain.md).

- ``definition``: the definition format (dataclasses, JSON round-trip, ``validate``/``parse``);
- ``engine``: ``start``, ``available_actions``, ``transition``, guards and effects asked of the app's plugin manager;
- ``cards``: yellow/red cards for the states' time limits;
- ``diagram``: the SVG drawing of a definition.
"""
from .definition import Definition, DefinitionError, State, Transition, parse, validate
from .engine import (
                     ActionView,
                     StartRefused,
                     TransitionRefused,
                     WorkflowError,
                     available_actions,
                     cancel,
                     start,
                     timeline,
                     transition,
)

__all__ = [
    "ActionView", "Definition", "DefinitionError", "StartRefused", "State", "Transition",
    "TransitionRefused", "WorkflowError", "available_actions", "cancel", "parse", "start",
    "timeline", "transition", "validate",
]
