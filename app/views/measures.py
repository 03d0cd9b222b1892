"""Admin screens of the innovation measures (创新举措): the per-region plugin screen
(enable/disable, parameters, diagram, broken plugins) and the low-code definitions.

Thin: reading and saving settings is ``app.services.measures``; definitions are checked by
``app.workflow.definition.validate`` and drawn by ``app.workflow.diagram.render_svg``.
"""
from __future__ import annotations

import json

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from markupsafe import Markup
from sqlalchemy import func
from wtforms import TextAreaField

from app.extensions import db
from app.models import OrgUnit, Region, WorkflowDefinition
from app.plugins import manager_of, plugin_text
from app.security import roles
from app.security.scope import get_in_scope
from app.services import lowcode_definitions as definitions
from app.services import measures as measure_service
from app.services.errors import DomainValidationError

from .access import ScopedBaseView, get_in_scope_or_404, scoped_rows
from .base import ScopedModelView
from .labels import LABELS

# -- helpers ----------------------------------------------------------------------------


def _svg(definition, current_states=()) -> Markup:
    """The diagram as inline SVG (render_svg escapes every label), its labels in the UI's
    language (the plugins' catalogues; a low-code measure's labels stay as typed)."""
    from app.workflow.diagram import render_svg

    try:
        return Markup(render_svg(definition, current_states, translate=plugin_text))
    except Exception:  # noqa: BLE001 - a broken definition has no diagram; say so
        return Markup('<p class="text-danger">%s</p>') % gettext(
            "The diagram cannot be drawn for this definition.")


def _can_write() -> bool:
    return bool(g.user and g.user.is_authenticated
                and _appbuilder().sm.has_access("can_write", roles.MEASURE))


def _appbuilder():
    from app.extensions import appbuilder

    return appbuilder


def _user_region():
    """The region the screen is about: the user's own; the system admin (no region) picks
    one with ?region=<id>, else the first city."""
    region_id = request.args.get("region", type=int)
    user = g.user
    if region_id is not None:
        return get_in_scope_or_404(Region, region_id)
    if getattr(user, "region", None) is not None:
        return get_in_scope_or_404(Region, user.region.id)
    rows = scoped_rows(Region, order_by=(func.length(Region.path), Region.code))
    return rows[0] if rows else None


ROLE_CHOICES = [(r.key, r.name) for r in roles.ROLES
                if r.name not in (roles.SYSTEM_ADMIN, roles.AUDITOR, roles.SECURITY_ADMIN)]


def _unit_choices(region: Region, kinds) -> list[tuple[int, str]]:
    """Units a region may involve: its own and its subtree's, and those of the regions
    above it, within the user's scope."""
    from app.models import OrgUnitKind
    from app.services.regions import ancestor_ids

    where = [OrgUnit.region.has(Region.path.like(region.path + "%"))
             | OrgUnit.region_id.in_(ancestor_ids(region.path))]
    if kinds:
        where.append(OrgUnit.kind.in_([OrgUnitKind[k] for k in kinds]))
    units = scoped_rows(OrgUnit, *where, order_by=(OrgUnit.name,))
    units.sort(key=lambda u: (u.region.path, u.name))
    return [(u.id, f"{u.region.name} · {u.name}") for u in units]


def param_fields(spec, params: dict, region: Region, errors: dict | None = None) -> list[dict]:
    """What the settings form shows, generated from the measure's ParamSpecs."""
    errors = errors or {}
    out = []
    for p in spec.parameters:
        value = params.get(p.name, p.default)
        if p.type in ("choice", "multichoice"):
            choices = [(c[0], c[1]) if isinstance(c, (tuple, list)) else (c, c) for c in p.choices]
        elif p.type == "roles":
            allowed = set(p.choice_values)
            choices = [c for c in ROLE_CHOICES if not allowed or c[0] in allowed]
        elif p.type in ("unit", "units"):
            choices = _unit_choices(region, p.choice_values)
        else:
            choices = []
        selected = {str(v) for v in (value if isinstance(value, list) else [value]) if v is not None}
        out.append({"name": p.name, "type": p.type, "label": p.label or p.name, "help": p.help,
                    "value": "" if value is None else value, "choices": choices,
                    "selected": selected, "error": errors.get(p.name)})
    return out


def params_from_form(spec, form) -> dict:
    params = {}
    for p in spec.parameters:
        key = f"param:{p.name}"
        if p.type in ("multichoice", "units", "roles"):
            params[p.name] = form.getlist(key)
        elif p.type == "bool":
            params[p.name] = key in form
        else:
            params[p.name] = form.get(key, "")
    return params


# -- the plugin screen -------------------------------------------------------------------

class MeasureView(ScopedBaseView):
    """创新举措: the measures of the admin's region, their settings and diagrams."""

    route_base = "/measures"
    class_permission_name = roles.MEASURE
    method_permission_name = {"list": "read", "detail": "read", "diagram": "read",
                              "save": "write", "inherit": "write"}
    base_permissions = ["can_read", "can_write"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        region = _user_region()
        manager = manager_of()
        statuses = measure_service.measures_for_region(db.session, region) if region else []
        return self.render_template(
            "measures/list.html", title=gettext("Innovation measures"), region=region,
            statuses=statuses, broken=manager.broken,
            blocked=[p for p in manager.plugins.values() if p.blocked],
            can_write=_can_write() and region is not None
            and measure_service.can_configure(g.user, region))

    def _status(self, key: str, region: Region):
        status = next((s for s in measure_service.measures_for_region(db.session, region)
                       if s.spec.key == key), None)
        if status is None:
            abort(404)
        return status

    def _render_detail(self, key: str, region: Region, errors=None, form_params=None,
                       form_enabled=None):
        status = self._status(key, region)
        params = form_params if form_params is not None else status.setting.params
        return self.render_template(
            "measures/detail.html", title=plugin_text(status.spec.name), region=region,
            status=status,
            fields=param_fields(status.spec, params, region, errors), errors=errors or {},
            enabled=status.setting.enabled if form_enabled is None else form_enabled,
            diagram=_svg(status.spec.definition),
            can_write=_can_write() and measure_service.can_configure(g.user, region))

    @expose("/<key>/")
    @has_access
    def detail(self, key):
        region = _user_region()
        if region is None:
            abort(404)
        return self._render_detail(key, region)

    @expose("/<key>/diagram.svg")
    @has_access
    def diagram(self, key):
        region = _user_region()
        if region is None:
            abort(404)
        spec = self._status(key, region).spec  # a low-code measure only where it applies
        return Response(str(_svg(spec.definition)), mimetype="image/svg+xml")

    @expose("/<key>/save", methods=["POST"])
    @has_access
    def save(self, key):
        region = _user_region()
        if region is None:
            abort(404)
        status = self._status(key, region)
        enabled = "enabled" in request.form
        params = params_from_form(status.spec, request.form)
        try:
            measure_service.set_setting(db.session, key, region, enabled, params, g.user)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            flash(gettext("The setting was not saved; correct the fields marked below."), "danger")
            return self._render_detail(key, region, err.errors, params, enabled), 422
        flash(gettext("Setting saved for %(region)s.", region=region.name), "success")
        return redirect(url_for(".detail", key=key, **_region_arg()))

    @expose("/<key>/inherit", methods=["POST"])
    @has_access
    def inherit(self, key):
        region = _user_region()
        if region is None:
            abort(404)
        self._status(key, region)
        try:
            measure_service.clear_setting(db.session, key, region, g.user)
            db.session.commit()
        except DomainValidationError as err:
            db.session.rollback()
            flash("；".join(err.errors.values()), "danger")
        else:
            flash(gettext("%(region)s now follows the setting of the region above.",
                          region=region.name), "success")
        return redirect(url_for(".detail", key=key, **_region_arg()))


def _region_arg() -> dict:
    region_id = request.args.get("region", type=int)
    return {"region": region_id} if region_id else {}


# -- low-code definitions --------------------------------------------------------------------

DEFINITION_TEMPLATE = {
    "initial": "apply",
    "states": [
        {"name": "apply", "label": "申请", "time_limit_days": 3},
        {"name": "review", "label": "审查", "time_limit_days": 5},
        {"name": "done", "label": "办结", "final": True},
    ],
    "transitions": [
        {"action": "submit", "label": "提交", "from": "apply", "to": "review",
         "roles": ["assistant"]},
        {"action": "approve", "label": "通过", "from": "review", "to": "done",
         "roles": ["dept"],
         "fields": [{"name": "certificate_no", "type": "text", "label": "文书编号"}]},
        {"action": "return", "label": "退回", "from": "review", "to": "apply",
         "roles": ["dept"]},
    ],
}


class JSONTextAreaField(TextAreaField):
    """A JSON object edited as text; every problem of the definition is listed under it."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data in (None, ""):
            return json.dumps(DEFINITION_TEMPLATE, ensure_ascii=False, indent=2)
        return json.dumps(self.data, ensure_ascii=False, indent=2)

    def process_formdata(self, valuelist):
        self.json_error = None
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        try:
            self.data = json.loads(text) if text else None
        except ValueError as err:
            self.data = None
            self.json_error = gettext("Not valid JSON: %(error)s", error=str(err))

    def post_validate(self, form, validation_stopped):
        if getattr(self, "json_error", None):
            self.errors.append(self.json_error)
            return
        if not isinstance(self.data, dict):
            self.errors.append(gettext("The definition must be a JSON object."))
            return
        self.errors.extend(definition_problems(_with_header(self.data, form)))


def _field(form, name):
    """A field's value from a WTForm or a posted MultiDict."""
    if name not in form:
        return None
    value = form[name]
    return getattr(value, "data", value)


def _with_header(data: dict, form) -> dict:
    """The definition with the row's key, name and version (the form's fields win)."""
    out = dict(data)
    for name in ("key", "name", "version"):
        value = _field(form, name)
        if value not in (None, ""):
            out[name] = value
    return out


definition_problems = definitions.definition_problems


_JSON_AREA = {"rows": 24, "class": "form-control", "spellcheck": "false",
              "style": "font-family: monospace; font-size: 12px"}


class WorkflowDefinitionView(ScopedModelView):
    """低代码举措: local measures defined as data (states, transitions, roles, time limits,
    a parallel split), checked by the engine's validation and drawn as a diagram."""

    datamodel = SQLAInterface(WorkflowDefinition)
    class_permission_name = roles.MEASURE
    method_permission_name = {**ScopedModelView.method_permission_name,
                              "export": "read", "preview": "read", "diagram": "read",
                              "import_json": "write"}
    label_columns = {**LABELS, "key": _("Measure code"), "version": _("Version"),
                     "name": _("Measure name"), "region": _("Region"),
                     "definition": _("Workflow definition (JSON)"), "active": _("Active")}
    description_columns = {
        "key": _("Letters, digits and underscores; unique, and not the code of a built-in "
                 "measure."),
        "definition": _("States (name, label, time_limit_days, final), transitions (action, "
                        "label, from, to, roles, guards, fields: the inputs the action asks "
                        "for, of type text, textarea, date, bool, int, item, choice or "
                        "multichoice), the initial state, and a parallel split/join if "
                        "needed. Every problem is listed below the field."),
        "active": _("Only the newest active version of a code is offered to regions."),
    }
    list_title = _("Low-code measures")
    show_title = _("Low-code measure")
    add_title = _("New low-code measure")
    edit_title = _("Edit low-code measure")
    list_columns = ["key", "version", "name", "region", "active"]
    show_columns = ["key", "version", "name", "region", "active"]
    add_columns = edit_columns = ["key", "version", "name", "region", "active", "definition"]
    search_columns = ["key", "name", "region", "active"]
    order_columns = ["key", "version", "name", "active"]
    show_template = "measures/definition_show.html"
    add_template = "measures/definition_add.html"
    edit_template = "measures/definition_edit.html"
    add_form_extra_fields = {"definition": JSONTextAreaField(
        _("Workflow definition (JSON)"), description=description_columns["definition"],
        render_kw=_JSON_AREA)}
    edit_form_extra_fields = {"definition": JSONTextAreaField(
        _("Workflow definition (JSON)"), description=description_columns["definition"],
        render_kw=_JSON_AREA)}

    # The rules of a definition are the commands of app.services.lowcode_definitions.
    def pre_add(self, item):
        definitions.save_definition(self.datamodel.session, item, g.user, created=True)
        super().pre_add(item)

    def pre_update(self, item):
        definitions.save_definition(self.datamodel.session, item, g.user, created=False)
        super().pre_update(item)

    def pre_delete(self, item):
        definitions.check_delete(item, g.user)

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            item = get_in_scope(db.session, WorkflowDefinition, kwargs["pk"])
            if item is not None:
                kwargs["diagram"] = _svg(item.definition)
                kwargs["definition_json"] = json.dumps(item.definition, ensure_ascii=False,
                                                       indent=2)
        if template in (self.add_template, self.edit_template):
            kwargs["preview_url"] = url_for(f"{self.__class__.__name__}.preview")
        return super().render_template(template, **kwargs)

    @expose("/export/<int:pk>")
    @has_access
    def export(self, pk):
        item = self._scoped_get(pk)
        body = json.dumps(item.definition, ensure_ascii=False, indent=2)
        filename = f"{item.key}-v{item.version}.json"
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @expose("/diagram/<int:pk>.svg")
    @has_access
    def diagram(self, pk):
        item = self._scoped_get(pk)
        return Response(str(_svg(item.definition)), mimetype="image/svg+xml")

    @expose("/preview", methods=["POST"])
    @has_access
    def preview(self):
        """The diagram of the definition in the form, before it is saved."""
        text = request.form.get("definition", "")
        try:
            data = json.loads(text)
        except ValueError as err:
            data, problems = None, [gettext("Not valid JSON: %(error)s", error=str(err))]
        else:
            problems = (definition_problems(_with_header(data, request.form))
                        if isinstance(data, dict) else
                        [gettext("The definition must be a JSON object.")])
        return self.render_template("measures/definition_preview.html",
                                    title=gettext("Diagram preview"), problems=problems,
                                    diagram=_svg(data) if isinstance(data, dict) else None)

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_json(self):
        """Import a definition another region exported (a JSON file)."""
        problems = []
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                data = json.loads((upload.read() if upload else b"").decode("utf-8-sig"))
            except (ValueError, UnicodeDecodeError) as err:
                data, problems = None, [gettext("Not valid JSON: %(error)s", error=str(err))]
            if data is not None and not isinstance(data, dict):
                problems = [gettext("The definition must be a JSON object.")]
            if not problems:
                try:
                    item = definitions.import_definition(db.session, data, g.user)
                    db.session.commit()
                except DomainValidationError as err:
                    db.session.rollback()
                    problems = list(err.errors.values())
                else:
                    flash(gettext("Imported %(name)s as version %(version)s.", name=item.name,
                                  version=item.version), "success")
                    return redirect(url_for(f"{self.__class__.__name__}.show", pk=item.id))
        return self.render_template("measures/definition_import.html",
                                    title=gettext("Import a measure definition"),
                                    problems=problems), (422 if problems else 200)


import_definition = definitions.import_definition


__all__ = ["MeasureView", "WorkflowDefinitionView", "import_definition"]
