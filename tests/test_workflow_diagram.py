"""The workflow diagram: a self-contained, deterministic SVG."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.workflow.diagram import render_svg

from .test_workflow_engine import PILE, UNITS, utility_definition

NS = "{http://www.w3.org/2000/svg}"


def _states(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-state"): g for g in root.iter(NS + "g") if g.get("data-state")}


def test_every_state_label_is_drawn_and_the_svg_is_self_contained():
    for d in (PILE, utility_definition()):
        svg = render_svg(d)
        ET.fromstring(svg)  # well-formed
        for s in d["states"]:
            assert f">{s['label']}</text>" in svg
        for t in d["transitions"]:
            assert t["label"] in svg
        assert "Noto Sans CJK SC, sans-serif" in svg
        assert "<script" not in svg and "http://" not in svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in svg and "@import" not in svg


def test_current_states_are_highlighted_and_final_states_double_bordered():
    svg = render_svg(PILE, {"review"})
    states = _states(svg)
    assert "wf-current" in states["review"].get("class")
    assert "wf-current" not in states["apply"].get("class")
    rect = states["review"].find(NS + "rect")
    assert rect.get("fill") == "#fd7e14"
    assert len(states["done"].findall(NS + "rect")) == 2
    assert len(states["apply"].findall(NS + "rect")) == 1


def _position(g):
    rect = g.find(NS + "rect")
    return float(rect.get("x")), float(rect.get("y"))


def test_layers_and_side_by_side_branches():
    svg = render_svg(utility_definition(), {"water_accept", "gas_connected"})
    states = _states(svg)
    # Top to bottom along the flow.
    ys = [_position(states[n])[1] for n in ("apply", "accepted", "water_accept",
                                            "water_connected", "done")]
    assert ys == sorted(ys) and len(set(ys)) == 5
    # The branches stand side by side in one row, in the split's order, each branch's
    # second step under its first.
    row = [_position(states[f"{u}_accept"]) for u in UNITS]
    assert len({y for _x, y in row}) == 1
    assert [x for x, _y in row] == sorted(x for x, _y in row)
    for u in UNITS:
        assert _position(states[f"{u}_accept"])[0] == _position(states[f"{u}_connected"])[0]
    assert "wf-current" in states["water_accept"].get("class")
    assert "wf-current" in states["gas_connected"].get("class")


def test_output_is_deterministic_and_back_edges_drawn():
    a = render_svg(PILE, {"apply"})
    b = render_svg(PILE, ["apply"])
    assert a == b
    assert "退回补正" in a  # review → apply runs back up the side
    assert re.search(r'<path d="M[^"]* C', a)


def test_instance_diagram_highlights_every_branch():
    from types import SimpleNamespace

    from app.workflow.diagram import render_instance_svg

    inst = SimpleNamespace(definition=utility_definition(), tokens={
        "water": {"state": "water_connected"}, "power": {"state": "power_accept"}})
    states = _states(render_instance_svg(inst))
    current = {n for n, g in states.items() if "wf-current" in g.get("class")}
    assert current == {"water_connected", "power_accept"}
