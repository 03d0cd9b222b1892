"""Type-ahead lookups for large tables, returning only rows in the user's scope."""
from __future__ import annotations

from dataclasses import dataclass

from flask import jsonify, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import or_

from app.extensions import db
from app.models import Applicant, Project
from app.security import roles
from app.security.scope import get_in_scope, select_in_scope

from .access import ScopedBaseView


@dataclass(frozen=True)
class Lookup:
    model: type
    search: tuple
    order: object

    def get_in_scope(self, session, pk: int):
        return get_in_scope(session, self.model, pk)

    def matches(self, session, term: str, limit: int = 20):
        where = [or_(*[col.ilike(f"%{term}%") for col in self.search])] if term else []
        stmt = select_in_scope(self.model, *where).order_by(self.order).limit(limit)
        return list(session.scalars(stmt))


LOOKUPS = {
    "project": Lookup(Project, (Project.code, Project.name), Project.code),
    "applicant": Lookup(Applicant, (Applicant.name, Applicant.credit_code), Applicant.name),
}


class LookupView(ScopedBaseView):
    route_base = "/lookup"
    # Its own resource: sharing "Project" with fewer verbs would make FAB drop can_write.
    class_permission_name = roles.LOOKUP
    method_permission_name = {"lookup": "read"}

    @expose("/<kind>")
    @has_access
    def lookup(self, kind):
        lookup = LOOKUPS.get(kind)
        if lookup is None:
            return jsonify({"results": []}), 404
        term = request.args.get("q", "").strip()[:100]
        rows = lookup.matches(db.session, term)
        return jsonify({"results": [{"id": r.id, "text": str(r)} for r in rows]})
