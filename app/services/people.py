"""How a person is named where people read: 姓名 in Chinese order (姓 then 名, no space),
the login name only when the account has no name.

FAB keeps ``first_name`` (名, given name) and ``last_name`` (姓, family name); the demo
and the user form fill them that way. Ledgers, the audit trail and timelines all use
these two functions, so one person reads the same everywhere.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from app.models import AppUser


def person_name(user: Any) -> str:
    """``张丽`` for last_name 张 and first_name 丽; the account when both are empty."""
    if user is None:
        return ""
    name = f"{user.last_name or ''}{user.first_name or ''}".strip()
    return name or (user.username or "")


def person_name_sql(user: Any = AppUser) -> ColumnElement:
    """The same name as a SQL expression over ``user`` (AppUser or an alias of it)."""
    name = func.trim(func.coalesce(user.last_name, "") + func.coalesce(user.first_name, ""))
    return func.coalesce(func.nullif(name, ""), user.username)
