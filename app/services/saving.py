"""What happens to a row just before it is saved, whoever saves it (screen, API, import)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import ApprovalItem, ItemTemplate, Model, Project, Region

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
    if isinstance(item, Region):
        save_region(session, item)
    elif isinstance(item, ApprovalItem):
        fill_due_on(item)
    elif isinstance(item, Project) and created:
        # A new project starts with its region's standard items (docs/domain.md), saved in
        # the same transaction as the project.
        instantiate_items(session, item)
