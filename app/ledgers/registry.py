"""The ledger kinds: each one module of this package that declares a ``KIND``.

A kind says its key (URL, CLI argument, job kind), its title, the filters it accepts,
the query of its rows for a scope and filters, and how its sheet is written. The export
view, the list pages' button, the CLI, the job table and the download centre read this
registry; none of them names a ledger. Adding a ledger is one module here (and its test).
"""
from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.security.scope import Scope

from .errors import LedgerError

# Modules of the package that hold the machinery, not a ledger.
_MACHINERY = {"errors", "export", "filters", "registry"}


@dataclass(frozen=True)
class Part:
    """A further worksheet of a ledger too wide for one printed page: the same rows, row
    for row, with other columns (its first columns repeat the row's identity)."""

    name: str  # the worksheet's name, also added to the title: "……（截至……）各阶段办理情况"
    columns: list


@dataclass
class Sheet:
    """What a kind writes for one export: its columns, the subtitle's notes and the rows.

    ``write_rows(ws, formats, first_row, report)`` writes the data rows from
    ``first_row`` on, calls ``report(rows_done)`` now and then, and returns the row after
    the last data row (a 合计 row may follow it). With ``more`` parts it is called with
    ``more=[worksheet, ...]`` too, one per part, all starting their data on the same row."""

    columns: list
    notes: list[str]
    write_rows: Callable[..., int]
    more: tuple[Part, ...] = ()


@dataclass(frozen=True)
class LedgerKind:
    key: str  # "projects": the URL /ledgers/<key>, `flask export <key>`, job "ledger_<key>"
    title: str  # 重大项目推进台账: title, sheet and file name (always Chinese)
    label: Any  # the job's title in the download centre (a lazy gettext string)
    filters: Mapping[str, Any]  # filter field → column, in the list screen's field names
    # (scope, normalised filters) → a SELECT of the ledger's row ids (counted before export)
    query: Callable[[Scope, dict], Any]
    # (session, scope, normalised filters, as-of date) → the sheet to write
    sheet: Callable[[Session, Scope, dict, dt.date], Sheet]
    # ids of regions → the condition "row in those regions" (the region_code filter)
    in_regions: Callable[[Any], Any] | None = None
    # FAB list views that show the export button; the first one's search filters are read
    list_views: tuple[str, ...] = ()
    freeze_cols: int = 3

    @property
    def job_kind(self) -> str:
        return f"ledger_{self.key}"


class UnknownLedger(LedgerError, LookupError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"没有名为 {key} 的台账。 There is no ledger {key!r}.")


_KINDS: dict[str, LedgerKind] = {}
_discovered = False


def _discover() -> None:
    """Load the kinds this package declares (once, on first use, not at import)."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for info in sorted(pkgutil.iter_modules(_package_path()),
                       key=lambda i: i.name):
        if info.name in _MACHINERY or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, LedgerKind) and kind.key not in _KINDS:
            _KINDS[kind.key] = kind


def _package_path() -> list[str]:
    return list(importlib.import_module(__package__).__path__)


def register(kind: LedgerKind) -> LedgerKind:
    """Add a kind (a test's, or one from outside this package); keys are unique."""
    _discover()
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"a ledger {kind.key!r} is already registered")
    _KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    _KINDS.pop(key, None)


def get(key: str) -> LedgerKind:
    _discover()
    try:
        return _KINDS[key]
    except KeyError:
        raise UnknownLedger(key) from None


def all_kinds() -> list[LedgerKind]:
    _discover()
    return list(_KINDS.values())


def for_list_view(view_name: str) -> LedgerKind | None:
    """The ledger a FAB list view exports (its class name), if any."""
    return next((k for k in all_kinds() if view_name in k.list_views), None)
