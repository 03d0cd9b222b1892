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


# -- labels: readable, apart, inside the picture ---------------------------------------------


def _label_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, (left, top, right, bottom)) of every edge label, from its position, anchor and
    the module's own text-width estimate (CJK characters count as wide)."""
    from app.workflow.diagram import LABEL_SIZE, _text_width

    out = []
    for el in ET.fromstring(svg).iter(NS + "text"):
        if el.get("font-size") != str(LABEL_SIZE):
            continue
        x, y, w = float(el.get("x")), float(el.get("y")), _text_width(el.text, LABEL_SIZE)
        left = {"middle": x - w / 2, "end": x - w}.get(el.get("text-anchor"), x)
        out.append((el.text, (left, y - LABEL_SIZE, left + w, y + 3)))
    return out


def _view_box(svg: str) -> tuple[float, float, float, float]:
    root = ET.fromstring(svg)
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    assert (w, h) == (float(root.get("width")), float(root.get("height")))
    return x, y, x + w, y + h


def _apart(a, b) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def _inside(a, frame) -> bool:
    return frame[0] <= a[0] and a[2] <= frame[2] and frame[1] <= a[1] and a[3] <= frame[3]


def test_self_loop_labels_stack_beside_their_state_apart_and_inside_the_picture():
    from app.plugins.parallel_gaps import DEFINITION

    svg = render_svg(DEFINITION, {"parallel"})
    frame = _view_box(svg)
    boxes = dict(_label_boxes(svg))
    loops = [t["label"] for t in DEFINITION["transitions"] if t["from"] == t["to"] == "parallel"]
    assert loops == ["容缺受理", "容缺材料已补齐"]
    a, b = boxes[loops[0]], boxes[loops[1]]
    assert _apart(a, b), (a, b)
    assert _inside(a, frame) and _inside(b, frame), (a, b, frame)
    # Beside the state, one above the other, clear of its box.
    x, y = _position(_states(svg)["parallel"])
    rect = _states(svg)["parallel"].find(NS + "rect")
    right = x + float(rect.get("width"))
    assert a[0] > right and b[0] > right
    assert a[3] <= b[1] and y - 20 < a[1] and b[3] < y + float(rect.get("height")) + 20
    # Each loop is drawn: a path leaving the state's right edge and coming back to it.
    ends = [re.findall(r"(-?[\d.]+),(-?[\d.]+)", p.get("d"))
            for p in ET.fromstring(svg).iter(NS + "path") if p.get("d", "").startswith("M")]
    loops_drawn = [e for e in ends if float(e[0][0]) == float(e[-1][0]) == round(right, 1)
                   and e[0][1] != e[-1][1]]
    assert len(loops_drawn) == 2


def test_no_built_in_diagram_has_overlapping_or_clipped_labels():
    import importlib

    from app.workflow.diagram import BOX_H

    for key in ("parallel_gaps", "pile_first", "joint_utility", "start_on_land",
                "certificate_on_completion", "licence_on_signing"):
        definition = importlib.import_module(f"app.plugins.{key}").DEFINITION
        svg = render_svg(definition)
        frame = _view_box(svg)
        labels = _label_boxes(svg)
        assert labels, key
        states = [(_position(g), float(g.find(NS + "rect").get("width")))
                  for g in _states(svg).values()]
        for i, (text, box) in enumerate(labels):
            assert _inside(box, frame), (key, text, box, frame)
            for other, box2 in labels[i + 1:]:
                assert _apart(box, box2), (key, text, other)
            for (x, y), w in states:
                assert _apart(box, (x, y, x + w, y + BOX_H)), (key, text)
