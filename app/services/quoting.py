"""Values quoted inside a message: one way, so a value never ends up in two pairs of quotes."""
from __future__ import annotations

# Quotation marks a value may already carry (a label such as “容缺受理”时限, a user's text).
_OPENING = ("“", "‘", "「", "『", '"', "'", "《")


def quoted(value: object) -> str:
    """``value`` in Chinese quotation marks (“…”), or as it is when it already starts with
    quotation marks of its own (a second pair around them reads as a typing error)."""
    text = "" if value is None else str(value).strip()
    if text.startswith(_OPENING):
        return text
    return f"“{text}”"
