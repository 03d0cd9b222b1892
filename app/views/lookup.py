"""Type-ahead lookups, returning only rows in the user's scope: every relation of a search
form, and the relations to large tables (projects, applicants) of add and edit forms, pick
their row here instead of rendering a whole table as ``<option>``s (app/views/base.py)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import or_

from app.extensions import db
from app.models import Applicant, AppUser, OrgUnit, Project, Region, Stage
from app.security import roles
from app.security.scope import get_in_scope, select_in_scope
from app.services import text_match

from .access import ScopedBaseView

LIMIT = 20


@dataclass(frozen=True)
class Lookup:
    model: type
    search: tuple
    order: tuple

    def get_in_scope(self, session, pk):
        return get_in_scope(session, self.model, pk)

    def matches(self, session, term: str, limit: int = LIMIT):
        where = ([or_(*[text_match.like(col, f"%{term}%", term) for col in self.search])]
                 if term else [])
        stmt = select_in_scope(self.model, *where).order_by(*self.order).limit(limit)
        return list(session.scalars(stmt))


LOOKUPS = {
    "project": Lookup(Project, (Project.code, Project.name), (Project.code,)),
    "applicant": Lookup(Applicant, (Applicant.name, Applicant.credit_code), (Applicant.name,)),
    "region": Lookup(Region, (Region.name, Region.code), (Region.path,)),
    "org_unit": Lookup(OrgUnit, (OrgUnit.name, OrgUnit.short_name),
                       (OrgUnit.region_id, OrgUnit.name)),
    "stage": Lookup(Stage, (Stage.name, Stage.code), (Stage.seq, Stage.id)),
    "user": Lookup(AppUser, (AppUser.username, AppUser.first_name, AppUser.last_name),
                   (AppUser.username,)),
}
KIND_OF_MODEL = {lookup.model: kind for kind, lookup in LOOKUPS.items()}


class LookupView(ScopedBaseView):
    route_base = "/lookup"
    # Its own resource: sharing "Project" with fewer verbs would make FAB drop can_write.
    class_permission_name = roles.LOOKUP
    method_permission_name = {"lookup": "read"}

    @expose("/<kind>")
    @has_access
    def lookup(self, kind):
        """``?q=`` the first matches of a term; ``?id=`` the one row a filter already holds
        (its label, for a search form showing its active filters)."""
        lookup = LOOKUPS.get(kind)
        if lookup is None:
            return jsonify({"results": []}), 404
        if "id" in request.args:
            row = lookup.get_in_scope(db.session, request.args["id"])
            rows = [row] if row is not None else []
        else:
            term = request.args.get("q", "").strip()[:100]
            rows = lookup.matches(db.session, term)
        return jsonify({"results": [{"id": r.id, "text": str(r)} for r in rows]})
