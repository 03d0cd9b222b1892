"""How a person is named where people read, and who may serve as a project's 帮办员.

Names: 姓名 in Chinese order for Chinese names (姓 then 名, no space: 张丽), "First Last" for
names in Latin letters (Anna Schmidt), the login name only when the account has no name.
FAB keeps ``first_name`` (名, given name) and ``last_name`` (姓, family name); the demo
and the user form fill them that way. The users list, the people pickers, ledgers, the
audit trail and timelines all use these functions, so one person reads the same everywhere.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import Boolean, String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.models import AppUser
from app.security.roles import ASSISTING_ROLES
from app.security.scope import select_in_scope

# CJK ideographs (and the compatibility block): a name written in them reads 姓名 unspaced.
_CJK_CLASS = "[\u3400-\u9fff\uf900-\ufaff]"  # the same class for Python and PostgreSQL
_CJK = re.compile(_CJK_CLASS)


def full_name(first_name: str | None, last_name: str | None) -> str:
    """张丽 for 姓 张 and 名 丽; "Anna Schmidt" for first Anna, last Schmidt."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def person_name(user: Any) -> str:
    """The person's full name; the account when both parts are empty."""
    if user is None:
        return ""
    return full_name(user.first_name, user.last_name) or (user.username or "")


class _HasCJK(ColumnElement):
    """Whether a text holds a CJK ideograph, in the database's own pattern language:
    PostgreSQL's regular expression, SQLite's GLOB (the embedded default; its character
    ranges are read as Unicode code points)."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, text: ColumnElement) -> None:
        self.text = text


@compiles(_HasCJK)
def _has_cjk_default(element: _HasCJK, compiler: Any, **kw: Any) -> str:
    return "(%s ~ '%s')" % (compiler.process(element.text, **kw), _CJK_CLASS)


@compiles(_HasCJK, "sqlite")
def _has_cjk_sqlite(element: _HasCJK, compiler: Any, **kw: Any) -> str:
    return "(%s GLOB '*%s*')" % (compiler.process(element.text, **kw), _CJK_CLASS)


def person_name_sql(user: Any = AppUser) -> ColumnElement:
    """The same name as a SQL expression over ``user`` (AppUser or an alias of it), on
    PostgreSQL and SQLite alike."""
    first = func.trim(func.coalesce(user.first_name, ""), type_=String)
    last = func.trim(func.coalesce(user.last_name, ""), type_=String)
    name = case(
        (_HasCJK(last + first), last + first),
        else_=func.trim(first + " " + last),
    )
    return func.coalesce(func.nullif(name, ""), user.username)


# -- who may be a project's 帮办员 ------------------------------------------------------------
def assisting_condition(user: Any = AppUser) -> ColumnElement:
    """Active accounts holding one of ``ASSISTING_ROLES``."""
    return user.active.is_(True) & user.roles.any(Role.name.in_(ASSISTING_ROLES))


def can_assist(user: Any) -> bool:
    """Whether ``user`` may be chosen as a project's 帮办员."""
    return bool(user is not None and user.active
                and {r.name for r in user.roles or []} & set(ASSISTING_ROLES))


def assisting_staff(session: Session) -> list[AppUser]:
    """The staff the signed-in user may assign as 帮办员 (in their scope), by name."""
    stmt = select_in_scope(AppUser, assisting_condition()).order_by(AppUser.last_name,
                                                                    AppUser.first_name,
                                                                    AppUser.username)
    return list(session.scalars(stmt))


def names_of(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Each user's name by id, in one query (timelines keep the id and the login name of
    whoever took a step; people read the name)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(AppUser.id, AppUser.first_name, AppUser.last_name,
                                  AppUser.username).where(AppUser.id.in_(ids)))
    return {uid: full_name(first, last) or username for uid, first, last, username in rows}
