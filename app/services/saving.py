"""What happens to a row just before it is saved, whoever saves it (screen, API, import)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApprovalItem, ItemTemplate, Model, Project, Region

from . import item_codes
from .errors import DomainValidationError
from .projects import fill_due_on, instantiate_items
from .regions import save_region
from .rules import ITEM_RULES, PROJECT_RULES, TEMPLATE_RULES, check_object

RULES_BY_MODEL = {
    Project: PROJECT_RULES,
    ApprovalItem: ITEM_RULES,
    ItemTemplate: TEMPLATE_RULES,
}


def rules_for(model: type[Model]) -> tuple:
    return RULES_BY_MODEL.get(model, ())


def before_save(session: Session, item: Model, created: bool) -> None:
    """Check the business rules, then derive what the row's type derives."""
    check_object(rules_for(type(item)), item)
    if isinstance(item, ItemTemplate):
        check_template_code(session, item)
    if isinstance(item, Region):
        save_region(session, item)
    elif isinstance(item, ApprovalItem):
        fill_due_on(item)
    elif isinstance(item, Project) and created:
        # A new project starts with its region's standard items (docs/domain.md), saved in
        # the same transaction as the project.
        instantiate_items(session, item)


def check_template_code(session: Session, template: ItemTemplate) -> None:
    """A template's code is a known one and names one template per region: a measure that
    looks an item up by code must find exactly one."""
    if template.code is None:
        return
    if template.code not in item_codes.ALL:
        raise DomainValidationError({"code": _("Unknown standard item code %(code)s.",
                                               code=template.code)})
    region_id = template.region_id if template.region_id is not None else (
        template.region.id if template.region is not None else None)
    stmt = select(ItemTemplate.name).where(ItemTemplate.region_id == region_id,
                                           ItemTemplate.code == template.code)
    if template.id is not None:
        stmt = stmt.where(ItemTemplate.id != template.id)
    with session.no_autoflush:
        other = session.scalar(stmt.limit(1))
    if other is not None:
        raise DomainValidationError({"code": _(
            "The template %(name)s of this region already carries this code.", name=other)})
