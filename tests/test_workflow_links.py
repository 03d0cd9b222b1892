"""Workflow instances and the approval items they create, change or rely on: the link
service, and the item's page naming the measures (in scope only)."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import ApprovalItem, OrgUnit, WorkflowInstance
from app.workflow import engine, links

from . import factories as f

DEFINITION = {
    "key": "links_test", "name": "关联测试举措", "initial": "s",
    "states": [{"name": "s", "label": "开始"}, {"name": "e", "label": "结束", "final": True}],
    "transitions": [{"action": "go", "label": "办结", "from": "s", "to": "e",
                     "roles": ["assistant"]}],
}


@pytest.fixture()
def linked(app, world):
    with app.app_context():
        project = f.assisted_project(world)
        unit = db.session.get(OrgUnit, world.a.department.id)
        item = f.item(project, unit, name="建设用地规划许可证核发")
        other_project = f.assisted_project(world)
        stranger = f.item(other_project, unit, name="别的项目的事项")
        inst = engine.start(db.session, project, "links_test", DEFINITION, {})
        links.link_item(db.session, inst, item, links.PREREQUISITE)
        links.link_item(db.session, inst, item, links.PREREQUISITE)  # once only
        db.session.commit()
        yield {"instance": inst.id, "item": item.id, "stranger": stranger.id}


def test_links_are_recorded_once_and_only_within_the_project(app, linked):
    with app.app_context():
        inst = db.session.get(WorkflowInstance, linked["instance"])
        item = db.session.get(ApprovalItem, linked["item"])
        assert [(x["item"].id, x["relation_label"]) for x in links.linked_items(inst)] == [
            (item.id, "前置条件")]
        assert [x["name"] for x in links.instances_of_item(db.session, item.id)] == ["关联测试举措"]
        assert [link.instance_id for link in item.workflow_links] == [inst.id]
        with pytest.raises(ValueError):
            links.link_item(db.session, inst, db.session.get(ApprovalItem, linked["stranger"]),
                            links.CHANGED)
        with pytest.raises(ValueError):
            links.link_item(db.session, inst, item, "whatever")
        db.session.rollback()


def test_the_item_page_names_its_measures(app, linked, login):
    client = login("a_clerk")
    page = client.get(f"/approvalitemview/show/{linked['item']}").get_data(as_text=True)
    assert "创新举措" in page and "关联测试举措" in page and "前置条件" in page
    assert f"/projectworkflowsview/show/{linked['instance']}" in page
    # Another county sees neither the item nor, through it, the measure.
    client = login("b_clerk")
    assert client.get(f"/approvalitemview/show/{linked['item']}").status_code == 404


def test_the_instance_page_lists_its_items(app, linked, login):
    client = login("a_assistant")
    page = client.get(f"/projectworkflowsview/show/{linked['instance']}").get_data(as_text=True)
    assert 'id="workflow-items"' in page and "关联审批事项" in page
    assert f'data-item="{linked["item"]}" data-relation="prerequisite"' in page
    assert f"/approvalitemview/show/{linked['item']}" in page
    assert "建设用地规划许可证核发" in page and "前置条件" in page
    assert login("b_assistant").get(
        f"/projectworkflowsview/show/{linked['instance']}").status_code == 404
