"""Text searches match with LIKE where case cannot matter and ILIKE where it can
(app/services/text_match.py): the rows found are the same either way."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Region
from app.services import text_match

from . import factories as f


@pytest.mark.parametrize("term, caseless", [("施工", True), ("2026-320685", True),
                                            ("（一期）", True), ("Abc", False), ("ß", False),
                                            ("产业园B区", False)])
def test_only_terms_without_case_use_like(term, caseless):
    assert text_match.caseless(term) is caseless


@pytest.fixture
def named_projects(app, world):
    with app.app_context():
        region = db.session.get(Region, world.a.region.id)
        applicant = f.applicant(region)
        for name in ("文本检索ABC厂房", "文本检索abc仓库", "文本检索无字母"):
            f.project(region, applicant, name=name)
        db.session.commit()


def _search(app, client, term):
    seen = []

    def keep(conn, cursor, statement, *args):
        if "project.name" in statement and "LIKE" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        resp = client.get("/projectview/list/", query_string={"_flt_0_name": term})
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert resp.status_code == 200
    return resp.get_data(as_text=True), seen


def test_the_list_search_finds_the_same_rows_with_either(app, named_projects, login):
    client = login("a_dispatcher")
    html, seen = _search(app, client, "文本检索")
    assert all(n in html for n in ("文本检索ABC厂房", "文本检索abc仓库", "文本检索无字母"))
    assert seen and not [s for s in seen if "ILIKE" in s]
    html, seen = _search(app, client, "aBc")
    assert "文本检索ABC厂房" in html and "文本检索abc仓库" in html
    assert "文本检索无字母" not in html
    assert seen and all("ILIKE" in s for s in seen)


def test_the_type_ahead_finds_either_case(app, named_projects, login):
    client = login("a_dispatcher")
    resp = client.get("/lookup/project", query_string={"q": "abc厂房"})
    assert resp.status_code == 200, resp.status_code
    assert [r["text"].split(" ", 1)[1] for r in resp.json["results"]] == ["文本检索ABC厂房"]


def test_a_rest_search_uses_its_own_filter_whatever_was_used_before(app, named_projects, login):
    """FAB resolves a REST filter's ``opr`` through a module-wide table that the filter
    instantiated last rewrites; the API's own filters answer instead (app/views/search.py
    OwnFilters): after FAB's ILIKE "contains" was instantiated elsewhere, a Chinese term is
    still matched with LIKE, and a Latin one still finds either case."""
    import prison
    from flask_appbuilder.models.sqla import filters as fab
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.models import Project

    fab.FilterContains("name", SQLAInterface(Project))  # what a plain FAB screen does
    client = login("a_dispatcher")
    seen = []

    def keep(conn, cursor, statement, *args):
        if "project.name" in statement and "LIKE" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        found = {}
        for term in ("文本检索", "abc"):
            q = prison.dumps({"filters": [{"col": "name", "opr": "ct", "value": term}]})
            resp = client.get("/api/v1/project/", query_string={"q": q})
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
            found[term] = sorted(r["name"] for r in resp.json["result"])
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert found["文本检索"] == ["文本检索ABC厂房", "文本检索abc仓库", "文本检索无字母"]
    assert found["abc"] == ["文本检索ABC厂房", "文本检索abc仓库"]
    assert any(" LIKE " in s and "ILIKE" not in s for s in seen)
    assert any("ILIKE" in s for s in seen)
