"""Base classes every model screen and REST API derives from.

They carry the three things no view may forget: the data scope (base filter, related
choices, the objects a save points at), the read/write permission verbs, and business
rule errors shown next to their fields (screens) or as a 422 (API).
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, has_request_context, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fields import EnumField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Load, joinedload, selectinload
from wtforms.validators import DataRequired, Optional, ValidationError

from app import clock
from app.security.failures import ApiFailures, SafeInterface
from app.security.input import relation_errors
from app.security.scope import get_in_scope, is_in_scope, scope_condition
from app.services.errors import DomainValidationError
from app.services.saving import before_save, rules_for
from app.services.uniqueness import duplicate_errors

from .access import ScopedBaseView, get_in_scope_or_404
from .checks import unique_validators
from .labels import LABELS
from .lookup import KIND_OF_MODEL
from .rest_lists import CheckedListRoute
from .search import ContainsFirstConverter, OwnFilters
from .widgets import AjaxSelectField

VIEW_VERBS = {
    "list": "read", "show": "read", "download": "read",
    "add": "write", "edit": "write", "delete": "write",
    "action": "write", "action_post": "write",
}
API_VERBS = {
    "get": "read", "get_list": "read", "info": "read",
    "post": "write", "put": "write", "delete": "write",
}


class ScopeFilter(BaseFilter):
    """A base filter that applies the signed-in user's data scope to the filter's model."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        cond = scope_condition(self.model)
        return query if cond is None else query.filter(cond)


SCOPE_FILTERS = [["id", ScopeFilter, lambda: None]]


def _relation_names(datamodel) -> list[str]:
    return [name for name in datamodel.get_columns_list() if datamodel.is_relation(name)]


def scoped_rel_fields(datamodel) -> dict:
    """Form choices for every relation go through the same scope as the lists."""
    return {name: [["id", ScopeFilter, None]] for name in _relation_names(datamodel)}


def with_scope(datamodel, extra: dict | None) -> dict:
    """A view's own choice filters, each relation's list starting with the scope filter."""
    fields = scoped_rel_fields(datamodel)
    for name, filters in (extra or {}).items():
        fields[name] = fields.get(name, []) + list(filters)
    return fields


class LevelIn(BaseFilter):
    """Region choices of some levels only (a project's county, its town)."""

    name = "level in"
    arg_name = None

    def apply(self, query, value):
        return query.filter(self.model.level.in_(value))


def ensure_related_in_scope(datamodel, item, columns=None) -> None:
    """Refuse a save that points at a row outside the user's scope (forged ids).

    ``columns`` are the ones the form or request may set (the view's add or edit columns):
    relations the application fills itself (``created_by``, ``changed_by`` of a user, who
    may be an admin above the saving one) are not the saving user's choice."""
    session = datamodel.session
    errors = {}
    mapper = sa_inspect(type(item))
    for rel in mapper.relationships:
        if rel.uselist or rel.viewonly:
            continue
        if columns is not None and rel.key not in columns:
            continue
        target = getattr(item, rel.key, None)
        if target is not None and not is_in_scope(session, target):
            errors[rel.key] = str(_("Not a valid choice"))
    if errors:
        raise DomainValidationError(errors)


class RuleValidator:
    """Adapts a business rule to a WTForms field validator (message next to the field)."""

    def __init__(self, rule) -> None:
        self.rule = rule

    def __call__(self, form, field) -> None:
        def get(name):
            return form[name].data if name in form else None
        message = self.rule.check(get)
        if message:
            raise ValidationError(message)


def rule_validators(rules, extra: dict | None = None) -> dict:
    out: dict = {}
    for rule in rules:
        out.setdefault(rule.field, []).append(RuleValidator(rule))
    for name, validators in (extra or {}).items():
        out.setdefault(name, []).extend(validators)
    return out




def display_value(value):
    """How a value reads in lists and detail pages: empty for None, 是/否 for booleans,
    timestamps (stored in UTC) in Beijing time to the minute."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return clock.display(value)
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return value


def display_formatters(datamodel, existing: dict | None) -> dict:
    return {**{name: display_value for name in datamodel.get_columns_list()}, **(existing or {})}


class FormEnumField(EnumField):
    """FAB's enum select that answers bad input with a message next to the field: FAB's own
    field raises a bare KeyError/ValueError (a 500) for an empty or unknown value. Nullable
    columns get an empty first choice."""

    def __init__(self, enum_class, label=None, validators=None, nullable=True, **kwargs):
        super().__init__(enum_class, list(enum_class.__members__), label=label,
                         validators=list(validators or []), widget=Select2Widget(), **kwargs)
        self.nullable = nullable
        if nullable:
            self.choices = [("", "—")] + list(self.choices)
        base_coerce = self.coerce

        def coerce(value):
            if value in ("", None, "None"):
                return None
            try:
                return base_coerce(value)
            except KeyError as exc:  # WTForms turns a ValueError into the field's message
                raise ValueError(str(_("Not a valid choice."))) from exc

        self.coerce = coerce

    def pre_validate(self, form):
        if self.data is None:
            if not self.nullable:
                raise ValidationError(str(_("This field is required.")))
            return
        super().pre_validate(form)


def form_enum_fields(datamodel, columns, labels, validators) -> dict:
    """Replacement fields for the enum columns among ``columns``."""
    fields = {}
    for name in columns or []:
        if not datamodel.is_enum(name):
            continue
        col_type = datamodel.list_columns[name].type
        fields[name] = FormEnumField(col_type.enum_class, label=labels.get(name, name),
                                     validators=validators.get(name),
                                     nullable=datamodel.is_nullable(name))
    return fields


def ensure_unique(datamodel, item, labels: dict | None = None) -> None:
    """Refuse a save that would duplicate a unique column (the API's twin of the forms'
    ``UniqueValue``), naming the value, instead of letting the database raise."""
    errors = duplicate_errors(datamodel.session, item, labels or LABELS)
    if errors:
        raise DomainValidationError(errors)


# -- lists and forms that stay fast at any size ----------------------------------------------
# Relations to these tables are picked by typing in add and edit forms too (thousands of
# rows); the other relations of a form (stages, a county's units) stay dropdowns.
LARGE_TABLE_KINDS = ("project", "applicant")


class ListInterface(SafeInterface):
    """FAB's interface with a list query whose cost does not grow with the table, the page
    number or the page size:

    * the count runs over the filtered table alone (no joins);
    * a deferred join: the page's ids are selected first, with the filters, the order and
      the offset, in a subquery that touches only the list's own table; the rows are then
      read by those ids together with the relations the list shows (many-to-one joined,
      collections in one more SELECT for the whole page). FAB joins every relation before
      the offset, so a deep page joins (and sorts) every row in front of it;
    * a REST list reads only the columns it returns (``select_columns``);
    * without a page size (a form's choices) the rows are read in one statement and
      counted in Python.

    Text filters offer "contains" first; ``orders`` are a view's named orders (``base_order``
    may name one): name -> function(direction) giving the ORDER BY expressions."""

    filter_converter_class = ContainsFirstConverter

    def __init__(self, obj, session=None, list_columns=(), orders=None):
        super().__init__(obj, session)
        self.list_loads = self._loads(list_columns)
        self._select_loads_cache: dict[tuple, list] = {}
        self.orders = dict(orders or {})

    def get_filters(self, search_columns=None, search_filters=None):
        return OwnFilters(self.filter_converter_class, self, search_columns=search_columns or [],
                          search_filters=search_filters)

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        order = self.orders.get(order_column)
        if order is None:
            return super().apply_order_by(query, order_column, order_direction,
                                          aliases_mapping, bypass_many_to_many, add_pk)
        return query.order_by(*order(order_direction))

    def _loads(self, columns) -> list:
        loads = []
        for name in columns:
            if not self.is_relation(name):
                continue
            attr = getattr(self.obj, name)
            if self.is_relation_many_to_one(name) or self.is_relation_one_to_one(name):
                loads.append(joinedload(attr))
            else:
                loads.append(selectinload(attr))
        return loads

    def _select_loads(self, select_columns) -> list:
        """Load options reading only ``select_columns`` (dotted for a relation's columns)."""
        key = tuple(select_columns)
        if key not in self._select_loads_cache:
            own, related = [], {}
            for column in select_columns:
                if "." in column:
                    root, leaf = column.split(".", 1)
                    related.setdefault(root, []).append(leaf)
                elif not self.is_relation(column) and not self.is_property_or_function(column):
                    own.append(getattr(self.obj, column))
            loads = [Load(self.obj).load_only(*own)] if own else []
            for root, leaves in related.items():
                attr = getattr(self.obj, root)
                target = self.get_related_model(root)
                cols = [getattr(target, leaf) for leaf in leaves if leaf in
                        sa_inspect(target).column_attrs]
                eager = (joinedload(attr) if self.is_relation_many_to_one(root)
                         or self.is_relation_one_to_one(root) else selectinload(attr))
                loads.append(eager.load_only(*cols) if cols else eager)
            self._select_loads_cache[key] = loads
        return self._select_loads_cache[key]

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        if self.is_pk_composite():
            return super().query(filters, order_column, order_direction, page, page_size,
                                 select_columns, outer_default_load)
        query = self.session.query(self.obj)
        loads = self._select_loads(select_columns) if select_columns else self.list_loads
        if not page_size:
            # All the rows (a form's choices, an export): their number is the count.
            rows = self.apply_all(query.options(*loads), filters, order_column,
                                  order_direction).all()
            return len(rows), rows
        count = self.query_count(query, filters)
        if not count or (page and page_size and page * page_size >= count):
            return count, []  # nothing on this page: no second statement
        # The page's ids: filters, order and offset on the list's own table only.
        page_ids = self._apply_inner_all(query, filters, order_column, order_direction,
                                         page, page_size, aliases_mapping={})
        rows = self.get_outer_query_from_inner_query(query, page_ids)
        rows = self.apply_order_by(rows.options(*loads), order_column, order_direction,
                                   aliases_mapping={}, add_pk=True)
        return count, rows.all()


def _label(labels: dict, name: str) -> str:
    return labels.get(name) or name.replace("_", " ").capitalize()


def type_ahead_fields(datamodel, columns, labels: dict, kinds=None, required=False) -> dict:
    """An ``AjaxSelectField`` for each relation among ``columns`` whose table has a lookup
    (``kinds`` limits which); ``required`` follows the column's nullability."""
    fields = {}
    for name in columns or []:
        if not datamodel.is_relation(name) or not (datamodel.is_relation_many_to_one(name)
                                                   or datamodel.is_relation_one_to_one(name)):
            continue
        kind = KIND_OF_MODEL.get(datamodel.get_related_model(name))
        if kind is None or (kinds is not None and kind not in kinds):
            continue
        validators = []
        if required:
            validators = [Optional()] if datamodel.is_nullable(name) else [DataRequired()]
        fields[name] = AjaxSelectField(_label(labels, name), kind, validators=validators)
    return fields


class ScopedRowAccess:
    """The routes of FAB's model screens that would reach a row without the base filters
    (actions, FAB's file download), kept to the scoped accessor."""

    def _scoped_get(self, pk):
        return get_in_scope_or_404(self.datamodel.obj, pk)

    get_or_404 = staticmethod(get_in_scope_or_404)

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        # FAB serves any file of UPLOAD_FOLDER here, unscoped; our models keep no file
        # columns, and attachments get their own scoped download (see the archive issue).
        abort(404)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    @has_access
    def action(self, name, pk):
        if not self.is_get_mutation_allowed() and request.method == "GET":
            abort(405)
        action = self.actions.get(name)
        if action is None:
            abort(404)
        return action.func(self._scoped_get(pk))

    @expose("/action_post", methods=["POST"])
    @has_access
    def action_post(self):
        action = self.actions.get(request.form.get("action", ""))
        if action is None:
            abort(404)
        items = [self._scoped_get(pk) for pk in request.form.getlist("rowid")]
        return action.func(items)


class ScopedModelView(ScopedRowAccess, ModelView):
    """A CRUD screen restricted to the user's data scope."""

    base_filters = SCOPE_FILTERS
    method_permission_name = VIEW_VERBS
    page_size = 25
    # Orders by SQL expression, by name (e.g. "what needs action first"): ``base_order``
    # may name one; see ListInterface.
    list_orders: dict = {}

    def __init__(self, **kwargs):
        self.add_form_query_rel_fields = with_scope(self.datamodel, self.add_form_query_rel_fields)
        self.edit_form_query_rel_fields = with_scope(self.datamodel, self.edit_form_query_rel_fields)
        self.search_form_query_rel_fields = with_scope(self.datamodel,
                                                       self.search_form_query_rel_fields)
        rules = rules_for(self.datamodel.obj)
        if rules:
            self.validators_columns = rule_validators(rules, self.validators_columns)
        self.validators_columns = unique_validators(self.datamodel, self.validators_columns,
                                                    self.label_columns or {})
        self.formatters_columns = display_formatters(self.datamodel, self.formatters_columns)
        labels, checks = self.label_columns or {}, self.validators_columns or {}
        self.add_form_extra_fields = {
            **form_enum_fields(self.datamodel, self.add_columns, labels, checks),
            **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {
            **form_enum_fields(self.datamodel, self.edit_columns, labels, checks),
            **(self.edit_form_extra_fields or {})}
        if type(self.datamodel) is SQLAInterface:
            self.datamodel = ListInterface(self.datamodel.obj, self.datamodel._session,
                                           self.list_columns or (), self.list_orders)
        super().__init__(**kwargs)

    def _init_forms(self):
        # Here FAB has settled the search, add and edit columns and their labels.
        # No form or filter renders a table as <option>s: the relations of the search
        # form, and those to large tables in add/edit forms, are type-ahead selects.
        labels = self.label_columns or {}
        self.search_form_extra_fields = {
            **type_ahead_fields(self.datamodel, self.search_columns, labels),
            **(self.search_form_extra_fields or {})}
        self.add_form_extra_fields = {
            **type_ahead_fields(self.datamodel, self.add_columns, labels, LARGE_TABLE_KINDS,
                                required=True),
            **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {
            **type_ahead_fields(self.datamodel, self.edit_columns, labels, LARGE_TABLE_KINDS,
                                required=True),
            **(self.edit_form_extra_fields or {})}
        super()._init_forms()

    def pre_add(self, item):
        ensure_related_in_scope(self.datamodel, item, self.add_columns)
        before_save(self.datamodel.session, item, created=True)

    def pre_update(self, item):
        ensure_related_in_scope(self.datamodel, item, self.edit_columns)
        before_save(self.datamodel.session, item, created=False)

    # Tabs (related views) the user may not read are not shown: FAB renders every related
    # view of a page, whatever the user's permissions (e.g. the cards on a project's page).
    @property
    def _related_views(self):
        views = self.__dict__.get("_all_related_views") or []
        if not has_request_context() or getattr(g, "user", None) is None:
            return views
        return [v for v in views if may_list(v)]

    @_related_views.setter
    def _related_views(self, views):
        self.__dict__["_all_related_views"] = views

    def get_init_inner_views(self):
        # FAB appends the initialised related views to this list at registration.
        return self.__dict__.setdefault("_all_related_views", [])


def may_list(view) -> bool:
    """Whether the signed-in user holds the permission of ``view``'s list."""
    verb = (view.method_permission_name or {}).get("list", "list")
    permission = f"can_{verb}"
    return (permission in (view.base_permissions or [permission])
            and view.appbuilder.sm.has_access(permission, view.class_permission_name))


class ScopedModelRestApi(ApiFailures, CheckedListRoute, ModelRestApi):
    """A REST API restricted to the user's data scope, with rule errors as 422, and lists
    read with ``ListInterface`` (see there)."""

    base_filters = SCOPE_FILTERS
    method_permission_name = API_VERBS
    allow_browser_login = True
    page_size = 25
    # Lists have a stable order, so paging neither skips nor repeats rows.
    base_order = ("id", "asc")
    # The names a refusal gives the fields ("项目代码“…”已存在").
    field_labels = LABELS

    def __init__(self):
        self.add_query_rel_fields = with_scope(self.datamodel, self.add_query_rel_fields)
        self.edit_query_rel_fields = with_scope(self.datamodel, self.edit_query_rel_fields)
        if type(self.datamodel) is SQLAInterface:  # no database detail in its errors
            self.datamodel = ListInterface(self.datamodel.obj, self.datamodel._session)
        super().__init__()

    def pre_add(self, item):
        ensure_related_in_scope(self.datamodel, item, self.add_columns)
        ensure_unique(self.datamodel, item, self.field_labels)
        before_save(self.datamodel.session, item, created=True)

    def pre_update(self, item):
        ensure_related_in_scope(self.datamodel, item, self.edit_columns)
        ensure_unique(self.datamodel, item, self.field_labels)
        before_save(self.datamodel.session, item, created=False)

    def post_headless(self):
        errors = relation_errors(self.datamodel, request.get_json(silent=True), self.add_columns)
        if errors:
            return self.response_422(message=errors)
        try:
            return super().post_headless()
        except DomainValidationError as err:
            self.datamodel.session.rollback()
            return self.response_422(message=err.errors)

    def put_headless(self, pk):
        """PUT changes only the fields sent (FAB fills the others in from a dump of the row,
        which its own schema then refuses, e.g. an empty enum), on a row in scope."""
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        item = get_in_scope(self.datamodel.session, self.datamodel.obj, pk)
        if item is None:
            return self.response_404()
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.response_400(message="Request is not a JSON object")
        errors = relation_errors(self.datamodel, data, self.edit_columns)
        if errors:
            return self.response_422(message=errors)
        try:
            item = self.edit_model_schema.load(data, instance=item, partial=True)
        except SchemaValidationError as err:
            self.datamodel.session.rollback()
            return self.response_422(message=err.messages)
        try:
            self.pre_update(item)
        except DomainValidationError as err:
            self.datamodel.session.rollback()
            return self.response_422(message=err.errors)
        try:
            self.datamodel.edit(item)
        except DatabaseException as err:  # SafeInterface: a generic message, no SQL
            return self.response_422(message=str(err))
        self.post_update(item)
        return self.response(200, result=self.edit_model_schema.dump(item, many=False))


# What a plugin's views must derive from (app.plugins.manager.ScopedViewsOnly).
SCOPED_VIEW_BASES = (ScopedModelView, ScopedModelRestApi, ScopedBaseView)

__all__ = ["ScopedModelView", "ScopedModelRestApi", "ScopedRowAccess", "ScopeFilter", "expose",
           "protect", "safe", "flash", "redirect"]
