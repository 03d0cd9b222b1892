"""The search panel's filter choices: for text columns "contains" (包含) comes first, so a
filter added from "Add filter" finds a name typed in part, as users expect."""
from __future__ import annotations

from flask_appbuilder.models.sqla.filters import FilterContains, SQLAFilterConverter


def _contains_first(filters: list) -> list:
    if FilterContains not in filters:
        return filters
    return [FilterContains] + [f for f in filters if f is not FilterContains]


class ContainsFirstConverter(SQLAFilterConverter):
    """FAB's converter with "contains" moved to the front for strings and texts (the
    search form's first operator is the one a new filter starts with)."""

    conversion_table = tuple((test, _contains_first(list(filters)))
                             for test, filters in SQLAFilterConverter.conversion_table)
