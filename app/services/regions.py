"""The region tree: materialised paths built from administrative-division codes."""
from __future__ import annotations

from sqlalchemy import ScalarSelect, String, func, literal, select, update
from sqlalchemy.orm import Session

from app.models import Region


def path_for(region: Region) -> str:
    parent_path = region.parent.path if region.parent is not None else "/"
    return f"{parent_path}{region.code}/"


def ancestor_ids(path: str) -> ScalarSelect[int]:
    """Ids of the regions on ``path`` (the region itself and those above it)."""
    codes = [c for c in path.strip("/").split("/") if c]
    return select(Region.id).where(Region.code.in_(codes)).scalar_subquery()


def save_region(session: Session, region: Region) -> None:
    """Set the region's path and rewrite its descendants' when it moved or was renumbered."""
    if region.parent is not None and (region.parent is region or
                                      path_for(region.parent).startswith(
                                          region.path or "\0")):
        from flask_babel import lazy_gettext as _

        from .errors import DomainValidationError
        raise DomainValidationError({"parent": str(_("A region cannot be placed under itself."))})
    old_path, new_path = region.path, path_for(region)
    region.path = new_path
    if old_path and old_path != new_path:
        session.execute(
            update(Region)
            .where(Region.path.like(old_path + "%"), Region.id != region.id)
            .values(path=literal(new_path, String) + func.substr(Region.path, len(old_path) + 1))
            .execution_options(synchronize_session=False)
        )


def subtree(session: Session, region: Region) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.path.like(region.path + "%"))
                                .order_by(Region.path)))
