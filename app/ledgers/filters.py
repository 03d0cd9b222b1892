"""A ledger's filters: the list screen's ``field → value`` dict, checked and applied.

Filters are a dict in the list screen's field names: ``"status": "ACCEPTED"`` (equal to),
or ``"name__ct": "园区"`` with one of FAB's operator names (eq, neq, sw, nsw, ew, new, ct,
nct, gt, lt, in, not_in, nrel_o_m; rel_o_m is eq), each applied as FAB's list applies it, so
the ledger holds the rows the list shows. ``region_code`` selects a region's whole subtree
by its division code. A list value applies each value in turn (as FAB does), except for
``in``/``not_in``. Which fields a ledger accepts is its kind's ``filters`` mapping.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import Date, Integer, Numeric, String, or_, select
from sqlalchemy import Enum as SAEnum

from app.models import Region
from app.services import text_match
from app.services.quoting import quoted

from .errors import LedgerFilterError

if TYPE_CHECKING:
    from sqlalchemy import ScalarSelect, Select

REGION_CODE = "region_code"

OPERATORS = ("eq", "neq", "sw", "nsw", "ew", "new", "ct", "nct", "gt", "lt", "in", "not_in",
             "nrel_o_m")
FAB_OPERATORS = {"rel_o_m": "eq"}
_TEXT_OPS = {"sw", "nsw", "ew", "new", "ct", "nct"}


def filter_key(field: str, op: str) -> str:
    op = FAB_OPERATORS.get(op, op)
    return field if op == "eq" else f"{field}__{op}"


def _split(key: str) -> tuple[str, str]:
    field, _, op = key.partition("__")
    return field, FAB_OPERATORS.get(op, op) or "eq"


def _convert(field: str, column, raw):
    """A filter value typed like its column (enum by member name or label)."""
    ctype = column.type
    text = str(raw)
    if not isinstance(ctype, String) or isinstance(ctype, SAEnum):
        text = text.strip()
    try:
        if isinstance(ctype, SAEnum) and ctype.enum_class is not None:
            enum_cls = ctype.enum_class
            if text in enum_cls.__members__:
                return enum_cls[text]
            for member in enum_cls:
                if text == str.__str__(member.value):
                    return member
            raise ValueError(text)
        if isinstance(ctype, Integer):
            return int(text)
        if isinstance(ctype, Numeric):
            return Decimal(text)
        if isinstance(ctype, Date):
            return dt.date.fromisoformat(text[:10])
    except (ValueError, InvalidOperation):
        raise LedgerFilterError(field, quoted(text)) from None
    return text


def normalise(columns: Mapping, filters: dict | None, *, regions: bool = True) -> dict:
    """Check a filter dict against a ledger's fields; returns it JSON-safe (for the job
    row). Raises LedgerFilterError for an unknown field, operator or value."""
    out: dict = {}
    for key, value in (filters or {}).items():
        field, op = _split(key)
        if value is None or value == "" or value == []:
            continue
        if field == REGION_CODE and regions:
            if op != "eq":
                raise LedgerFilterError(key, "only equal-to")
            out[REGION_CODE] = str(value).strip()
            continue
        if field not in columns:
            raise LedgerFilterError(key, "unknown field")
        if op not in OPERATORS:
            raise LedgerFilterError(key, f"unknown operator {op!r}")
        column = columns[field]
        plain_text = isinstance(column.type, String) and not isinstance(column.type, SAEnum)
        if op in _TEXT_OPS and not plain_text:
            raise LedgerFilterError(key, "text operator on a non-text field")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            _convert(key, column, v)  # raises on a bad value
        norm = [str(v) for v in values]
        out[filter_key(field, op)] = norm if len(norm) > 1 or op in ("in", "not_in") else norm[0]
    return out


def _condition(column, op: str, value):
    """One filter as FAB's list applies it (sqla/filters.py): the same SQL, the same
    handling of NULLs and of the LIKE wildcards a user types."""
    if op == "eq":
        return column == value
    if op == "neq":
        return column != value
    if op == "nrel_o_m":  # a relationship's != also keeps the rows without one
        return or_(column != value, column.is_(None))
    if op == "gt":
        return column > value
    if op == "lt":
        return column < value
    if op == "sw":
        return text_match.like(column, value + "%", value)
    if op == "nsw":
        return ~text_match.like(column, value + "%", value)
    if op == "ew":
        return text_match.like(column, "%" + value, value)
    if op == "new":
        return ~text_match.like(column, "%" + value, value)
    if op == "ct":
        return text_match.like(column, "%" + value + "%", value)
    if op == "nct":
        return ~text_match.like(column, "%" + value + "%", value)
    raise AssertionError(op)


def region_subtree(code: str) -> ScalarSelect:
    """Ids of the region with this code and all regions below it."""
    path = select(Region.path).where(Region.code == code).scalar_subquery()
    return select(Region.id).where(Region.path.like(path + "%")).scalar_subquery()


def apply(stmt: Select, columns: Mapping, filters: dict | None,
          in_regions: Callable | None = None) -> Select:
    """``stmt`` with the filters as WHERE clauses; ``in_regions(ids)`` is the ledger's
    condition for ``region_code`` (its rows in those regions)."""
    for key, value in normalise(columns, filters, regions=in_regions is not None).items():
        field, op = _split(key)
        if field == REGION_CODE and in_regions is not None:
            stmt = stmt.where(in_regions(region_subtree(value)))
            continue
        column = columns[field]
        values = value if isinstance(value, list) else [value]
        typed = [_convert(key, column, v) for v in values]
        if op == "in":
            stmt = stmt.where(column.in_(typed))
        elif op == "not_in":
            stmt = stmt.where(~column.in_(typed))
        else:
            for v in typed:
                stmt = stmt.where(_condition(column, op, v))
    return stmt
