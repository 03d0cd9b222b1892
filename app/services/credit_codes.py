"""统一社会信用代码 (unified social credit code, GB 32100-2015): its form and check character.

Eighteen characters: 登记管理部门代码 (1), 机构类别代码 (1), 行政区划代码 (6), 主体标识码 (9)
and one check character, all from the 31 characters below (no I, O, S, V, Z). The check
character is the one whose value makes the weighted sum of all 18 a multiple of 31.
"""
from __future__ import annotations

from flask_babel import gettext as _

from .quoting import quoted

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}


def normalized(code: str | None) -> str | None:
    """The code as stored: trimmed, upper case; None when empty."""
    text = (code or "").strip().upper()
    return text or None


def check_character(body: str) -> str:
    """The 18th character for the first 17 (which must come from ``CHARSET``)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(body, WEIGHTS, strict=False))
    return CHARSET[(31 - total % 31) % 31]


def with_check_character(body: str) -> str:
    """A full code from its first 17 characters (demo data and test factories)."""
    if len(body) != LENGTH - 1 or any(ch not in _VALUE for ch in body):
        raise ValueError(f"not the first 17 characters of a credit code: {body!r}")
    return body + check_character(body)


def problem(code: str | None) -> str | None:
    """Why ``code`` is not a valid credit code, in the UI's language; None when it is (an
    empty code is left to the field's own required rule)."""
    text = normalized(code)
    if text is None:
        return None
    if len(text) != LENGTH:
        return _("A unified social credit code has 18 characters; this one has %(n)d.",
                 n=len(text))
    bad = sorted({ch for ch in text if ch not in _VALUE})
    if bad:
        return _("A unified social credit code uses only digits and the capital letters "
                 "A–H, J–N, P–R, T, U, W–Y; %(chars)s is not allowed.", chars=quoted("".join(bad)))
    if check_character(text[:-1]) != text[-1]:
        return _("The check character (the last one) of this unified social credit code "
                 "is wrong: check the code for a typing error.")
    return None


def is_valid(code: str | None) -> bool:
    """Whether ``code`` is a complete, well-formed credit code."""
    return normalized(code) is not None and problem(code) is None
