"""Pickers of people, labelled by the one naming rule (app/services/people.py)."""
from __future__ import annotations

from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import gettext, lazy_gettext
from wtforms.validators import ValidationError

from app.extensions import db
from app.security.roles import ASSISTING_ROLES
from app.services import people
from app.services.quoting import quoted


class AssistantField(QuerySelectField):
    """The 帮办员 of a project: only active staff in the user's scope who hold an assisting
    role (``ASSISTING_ROLES``), never company or department accounts. Anything else sent
    (a forged POST) is refused next to the field, saying who may be chosen."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label or lazy_gettext("User"), validators,
                         query_func=lambda: people.assisting_staff(db.session),
                         get_pk_func=lambda user: user.id, get_label=people.person_name,
                         allow_blank=False, widget=Select2Widget(), **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(gettext(
                "Choose a member of staff who can be an assistant (%(roles)s).",
                roles=gettext(", ").join(quoted(r) for r in ASSISTING_ROLES)))
        super().pre_validate(form)
