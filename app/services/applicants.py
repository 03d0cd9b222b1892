"""Applicants' rules that hold on every write path (screen, API, CLI, import, demo): a
``before_flush`` rule on the session, the way ``items.install`` attaches the item rules."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models import Applicant

from . import credit_codes
from .errors import DomainValidationError


def check_applicant(applicant: Applicant) -> None:
    """Store the credit code normalised and refuse a malformed one (GB 32100-2015)."""
    code = credit_codes.normalized(applicant.credit_code)
    if code != applicant.credit_code:
        applicant.credit_code = code
    message = credit_codes.problem(code)
    if message:
        raise DomainValidationError({"credit_code": message})


def _code_written(session: Session, obj: object) -> bool:
    if not isinstance(obj, Applicant):
        return False
    # Rows saved before the check existed stay editable as long as their code is untouched.
    return obj in session.new or inspect(obj).attrs.credit_code.history.has_changes()


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if _code_written(session, obj):
            check_applicant(obj)


def install(session_factory: Any) -> None:
    """Attach the rule to every session the factory makes (idempotent)."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
