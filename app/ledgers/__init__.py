"""Excel ledgers for meetings (docs/domain.md): a registry of ledger kinds and their export.

Each kind is one module of this package that declares ``KIND`` (see registry.py);
``build`` writes any of them. The names below are the package's public face.
"""
from __future__ import annotations

from .errors import LedgerError, LedgerFilterError, LedgerTooLarge
from .export import (
                     HEADER_ROWS,
                     apply_filters,
                     build,
                     check_size,
                     count_rows,
                     export_to_file,
                     file_name,
                     normalise_filters,
                     run_job,
                     system_scope,
)
from .filters import REGION_CODE, filter_key
from .items import build_item_ledger, item_ledger_select
from .projects import build_project_ledger, project_ledger_select, standard_stages
from .registry import (
                     LedgerKind,
                     Part,
                     Sheet,
                     UnknownLedger,
                     all_kinds,
                     for_list_view,
                     get,
                     register,
                     unregister,
)

__all__ = ["LedgerError", "LedgerFilterError", "LedgerTooLarge", "HEADER_ROWS",
           "apply_filters", "build", "check_size", "count_rows", "export_to_file", "file_name",
           "normalise_filters", "run_job", "system_scope", "REGION_CODE", "filter_key",
           "build_item_ledger", "item_ledger_select", "build_project_ledger",
           "project_ledger_select", "standard_stages", "LedgerKind", "Part", "Sheet", "UnknownLedger",
           "all_kinds", "for_list_view", "get", "register", "unregister"]
