"""Typed errors that the screens and the API turn into messages next to fields."""
from __future__ import annotations


class DomainValidationError(Exception):
    """One or more fields break a business rule; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
