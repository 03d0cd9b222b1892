"""The command of a workflow action with fields and attachments: the instance page, the
REST API, the CLI and a worker call ``perform_action`` the same way.

It checks the action's fields (``app.workflow.fields``), stores the attachments
(``app.services.workflow_files``) and runs the transition (``app.workflow.engine``), inside
the caller's transaction: it flushes, never commits. Refusals are typed:

* ``ActionFieldsInvalid`` (a ``DomainValidationError``): ``errors`` maps each field to
  its message; nothing is stored;
* ``workflow_files.AttachmentRefused``: an upload broke a limit; nothing is stored;
* ``engine.TransitionRefused``: the engine refused (``reason``); the files are removed.

The caller commits on success; when its commit fails it calls ``discard_files(result)``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from app.models import WorkflowInstance, WorkflowStep
from app.services import workflow_files
from app.services.errors import DomainValidationError

from . import engine
from . import fields as action_fields
from .definition import Transition

if TYPE_CHECKING:
    import datetime as dt

    from app.models import AppUser

AttachmentRefused = workflow_files.AttachmentRefused
TransitionRefused = engine.TransitionRefused


class ActionFieldsInvalid(DomainValidationError):
    """Fields of the action are wrong; ``errors`` maps field name → message and
    ``transition`` is the action (its title names it in the screen's message)."""

    def __init__(self, errors: dict[str, str], transition: Transition | None) -> None:
        super().__init__(errors)
        self.transition = transition


@dataclass
class ActionResult:
    instance: WorkflowInstance
    step: WorkflowStep
    transition: Transition | None
    attachments: list[str] = field(default_factory=list)


def transition_of(instance: WorkflowInstance, action: str) -> Transition | None:
    return engine.definition_of(instance).transition(action)


def values_from_form(instance: WorkflowInstance, action: str, branch: str | None,
                     formdata: Mapping[str, Any]) -> dict | None:
    """The raw values of the action's own inputs in a posted form
    (``f:<action>[|<branch>]:<name>``); None for an unknown action."""
    t = transition_of(instance, action)
    if t is None:
        return None
    return action_fields.raw_from_form(formdata, t, action_fields.form_prefix(action, branch))


def perform_action(session: Session, instance: WorkflowInstance, user: AppUser | None, action: str, *,
                   branch: str | None = None, comment: str | None = None,
                   values: Mapping[str, Any] | None = None, files: Iterable = (),
                   today: dt.date | None=None) -> ActionResult:
    """Take ``action`` on ``instance`` as ``user`` with the raw field ``values`` and the
    uploaded ``files``; see the module's docstring for the refusals."""
    t = transition_of(instance, action)
    context: dict | None = None
    if t is not None:  # an unknown action is the engine's refusal
        context, errors = action_fields.parse(session, instance, t, values, user=user)
        if errors:
            raise ActionFieldsInvalid(errors, t)
    stored = workflow_files.save(instance.id, list(files or ()))
    try:
        step = engine.transition(session, instance.id, action, user,
                                 comment=str(comment or "").strip() or None, attachments=stored,
                                 branch=branch or None, context=context, today=today)
        session.flush()
    except Exception:
        workflow_files.discard(instance.id, stored)
        raise
    return ActionResult(instance=instance, step=step, transition=t, attachments=stored)


def discard_files(result: ActionResult) -> None:
    """Remove the files an action stored, when the caller's transaction did not commit."""
    workflow_files.discard(result.instance.id, result.attachments)


__all__ = ["ActionFieldsInvalid", "ActionResult", "AttachmentRefused", "TransitionRefused",
           "discard_files", "perform_action", "values_from_form"]
