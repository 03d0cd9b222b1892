"""A select that searches the server as the user types, for tables too large for a dropdown."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.validators import ValidationError

from app.extensions import db


class AjaxSelectWidget:
    def __call__(self, field, **kwargs):
        selected = ""
        if field.data is not None:
            selected = (f'<option value="{escape(field.data.id)}" selected>'
                        f"{escape(str(field.data))}</option>")
        url = url_for("LookupView.lookup", kind=field.kind)
        return Markup(
            f'<select id="{escape(field.id)}" name="{escape(field.name)}" '
            f'class="form-control js-ajax-select" data-url="{escape(url)}" '
            f'style="width:100%">{selected}</select>'
        )


class AjaxSelectField(Field):
    """Holds a model object; the browser offers matches from ``/lookup/<kind>``."""

    widget = AjaxSelectWidget()

    def __init__(self, label=None, kind: str = "", validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.kind = kind

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        from app.views.lookup import LOOKUPS

        self.data = None
        if valuelist and valuelist[0]:
            try:
                pk = int(valuelist[0])
            except ValueError:
                raise ValueError(gettext("Not a valid choice")) from None
            self.data = LOOKUPS[self.kind].get_in_scope(db.session, pk)
            if self.data is None:
                raise ValueError(gettext("Not a valid choice"))

    def pre_validate(self, form):
        if self.data is None and self.flags.required:
            raise ValidationError(gettext("This field is required."))

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)
