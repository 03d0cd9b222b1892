"""The workflow engine of the innovation measures (docs/domain.md).

- ``definition``: the definition format (dataclasses, JSON round-trip, ``validate``/``parse``);
- ``engine``: ``start``, ``available_actions``, ``transition``, guard/effect registry;
- ``cards``: yellow/red cards for the states' time limits;
- ``diagram``: the SVG drawing of a definition.
"""
from .definition import Definition, DefinitionError, State, Transition, parse, validate
from .engine import (
                     ActionView,
                     StartRefused,
                     TransitionRefused,
                     WorkflowError,
                     after_start_callbacks,
                     after_transition_callbacks,
                     available_actions,
                     cancel,
                     register_effect,
                     register_guard,
                     start,
                     timeline,
                     transition,
)

__all__ = [
    "ActionView", "Definition", "DefinitionError", "StartRefused", "State", "Transition",
    "TransitionRefused", "WorkflowError", "after_start_callbacks", "after_transition_callbacks",
    "available_actions", "cancel", "parse", "register_effect", "register_guard", "start",
    "timeline", "transition", "validate",
]
