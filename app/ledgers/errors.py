"""Why a ledger cannot be made: messages for the user (Chinese, then English)."""
from __future__ import annotations


class LedgerError(Exception):
    """A ledger cannot be made; the message is for the user (Chinese, then English)."""


class LedgerTooLarge(LedgerError):
    def __init__(self, rows: int, limit: int) -> None:
        self.rows, self.limit = rows, limit
        super().__init__(
            f"台账共 {rows:,} 行，超过 Excel 单表上限 {limit:,} 行，未导出；请缩小筛选范围后重试。 "
            f"The ledger has {rows:,} rows, more than the {limit:,} an Excel sheet can hold; "
            f"nothing was exported. Narrow the filters and try again.")


class LedgerFilterError(LedgerError):
    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"筛选条件“{field}”无效：{detail}。 The filter {field!r} is not valid: "
                         f"{detail}.")
