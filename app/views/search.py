"""The search panel's filter choices: for text columns "contains" (包含) comes first, so a
filter added from "Add filter" finds a name typed in part, as users expect; and the text
filters match with ``LIKE`` where case cannot matter (``app.services.text_match``)."""
from __future__ import annotations

from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla import filters as fab
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter, get_field_setup_query

from app.services import text_match


def _text_filter(base, pattern: str, negate: bool = False):
    """FAB's text filter ``base`` (same name, label and URL argument) matching through
    ``text_match.like``."""

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        condition = text_match.like(field, pattern.format(value), value)
        return query.filter(~condition if negate else condition)

    return type(base.__name__, (base,), {"apply": apply, "__module__": __name__})


FilterContains = _text_filter(fab.FilterContains, "%{}%")
FilterNotContains = _text_filter(fab.FilterNotContains, "%{}%", negate=True)
FilterStartsWith = _text_filter(fab.FilterStartsWith, "{}%")
FilterNotStartsWith = _text_filter(fab.FilterNotStartsWith, "{}%", negate=True)
FilterEndsWith = _text_filter(fab.FilterEndsWith, "%{}")
FilterNotEndsWith = _text_filter(fab.FilterNotEndsWith, "%{}", negate=True)
_OURS = {base: ours for base, ours in (
    (fab.FilterContains, FilterContains), (fab.FilterNotContains, FilterNotContains),
    (fab.FilterStartsWith, FilterStartsWith), (fab.FilterNotStartsWith, FilterNotStartsWith),
    (fab.FilterEndsWith, FilterEndsWith), (fab.FilterNotEndsWith, FilterNotEndsWith))}


def _contains_first(filters: list) -> list:
    filters = [_OURS.get(f, f) for f in filters]
    if FilterContains not in filters:
        return filters
    return [FilterContains] + [f for f in filters if f is not FilterContains]


class ContainsFirstConverter(SQLAFilterConverter):
    """FAB's converter with "contains" moved to the front for strings and texts (the
    search form's first operator is the one a new filter starts with)."""

    conversion_table = tuple((test, _contains_first(list(filters)))
                             for test, filters in SQLAFilterConverter.conversion_table)


class OwnFilters(Filters):
    """FAB's filters of one view, with a REST filter (``{"col", "opr", "value"}``) resolved
    from that view's own filters of the column. FAB looks ``opr`` up in a module-wide table
    that the filter instantiated last rewrites, so which class (ours, or FAB's ``ILIKE``)
    a REST search got depended on which screen had been used before."""

    def rest_add_filters(self, data) -> None:
        for item in data:
            own = None
            if isinstance(item, dict) and {"col", "opr", "value"} <= item.keys():
                own = next((type(f) for f in self._search_filters.get(item["col"], ())
                            if f.arg_name == item["opr"]), None)
            if own is not None:
                self.add_filter(item["col"], own, item["value"])
            else:
                super().rest_add_filters([item])
