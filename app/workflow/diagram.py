"""A workflow definition drawn as a self-contained SVG (no script, no external font or CDN).

States are rounded boxes in layers from top to bottom: a breadth-first walk from the initial
state gives each state a first layer, then a state is pushed below every state that leads
forward to it (so a join's target sits under the longest branch). Within a layer the
states are ordered by where their predecessors are, so a split's branches stand side by
side in columns. Forward arrows go down with the action's label (a split's labels near
their branches, side by side, the columns spread so that they do not overlap; a label
moves along its arrow to a free spot). Arrows going back (a return for corrections) run
up a lane right of every box in the rows they span, their label beside the lane; a
state's self-loops (from == to) stack on its right-hand side, each with its label in a
column beside them. Labels are measured with :func:`_text_width` and the picture grows to
hold them all. Current states are filled orange, final states have a double border.
Same input, same output.

Labels are drawn in the UI's language: ``translate`` (e.g. ``app.plugins.plugin_text``, a
plugin's catalogue) is applied to every label of the definition before anything is
measured; the diagram's own words (automatic, working days) come from the main catalogue.
"""
from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from .definition import Definition
from .messages import _

if TYPE_CHECKING:
    from app.models import WorkflowInstance

FONT = "Noto Sans CJK SC, sans-serif"
BOX_H = 40
ROW_GAP = 70
COL_GAP = 40
MARGIN = 30
FONT_SIZE = 14
LABEL_SIZE = 12
LABEL_PAD = 3  # white margin round a label
SPLIT_T = 0.7  # a split's labels sit this far down their edges, side by side
LOOP_OUT = 36  # how far a self-loop reaches right of its state
LOOP_PITCH = LABEL_SIZE + 12  # between the labels of stacked self-loops
LANE_GAP = 20  # between the boxes and the lane of a back edge
CURRENT_FILL = "#fd7e14"
CURRENT_STROKE = "#c2410c"
FILL = "#eef4fb"
STROKE = "#2c5d8f"
FINAL_FILL = "#e8f5e9"
FINAL_STROKE = "#2e7d32"
WIDE_PUNCT = "·‘’“”—…"  # drawn full width by the CJK font


def _text_width(text: str, size: int) -> int:
    """Estimated width of ``text``: CJK characters (and the punctuation the CJK font draws
    full width) count as ``size``, the rest as a bit over half of it."""
    w = 0
    for ch in text:
        w += size if ord(ch) > 0x2E80 or ch in WIDE_PUNCT else int(size * 0.6) + 1
    return w


def _layers(defn: Definition) -> dict[str, int]:
    names = [s.name for s in defn.states]
    fwd: dict[str, list[str]] = {n: [] for n in names}
    for src, dst, _t in defn.edges():
        if src in fwd and dst in fwd and dst not in fwd[src]:
            fwd[src].append(dst)
    depth: dict[str, int] = {}
    if defn.initial in fwd:
        depth[defn.initial] = 0
        todo = deque([defn.initial])
        while todo:
            s = todo.popleft()
            for n in fwd[s]:
                if n not in depth:
                    depth[n] = depth[s] + 1
                    todo.append(n)
    # Longest path over the forward edges (strictly deeper in the BFS: acyclic).
    order = sorted(depth, key=lambda n: (depth[n], names.index(n)))
    layer = {n: depth[n] for n in order}
    for s in order:
        for n in fwd[s]:
            if n in depth and depth[n] > depth[s]:
                layer[n] = max(layer[n], layer[s] + 1)
    last = max(layer.values(), default=-1)
    for n in names:  # unreachable states: in a row of their own at the bottom
        if n not in layer:
            layer[n] = last + 1
    return layer


def _ordered_rows(defn: Definition, layer: dict[str, int]) -> dict[int, list[str]]:
    """Layer → its states, left to right: by the mean column of the predecessors already
    placed (so a split's branches keep the split's order), else by definition order."""
    names = [s.name for s in defn.states]
    preds: dict[str, list[str]] = {n: [] for n in names}
    for src, dst, _t in defn.edges():
        if src in preds and dst in preds and layer.get(src, 0) < layer.get(dst, 0):
            preds[dst].append(src)
    rows: dict[int, list[str]] = {}
    for n in names:
        rows.setdefault(layer[n], []).append(n)
    col: dict[str, float] = {}
    for r in sorted(rows):
        keyed = []
        for i, n in enumerate(rows[r]):
            ps = [col[p] for p in preds[n] if p in col]
            keyed.append((sum(ps) / len(ps) if ps else float(i), i, n))
        keyed.sort()
        rows[r] = [n for _k, _i, n in keyed]
        for i, n in enumerate(rows[r]):
            col[n] = float(i)
    return rows


def _edge_labels(defn: Definition, known) -> list[tuple[str, str, object, str]]:
    """(from, to, transition, label) for every edge between drawn states; a join's label
    on its first edge only, a split's branch named on each of its edges."""
    out = []
    seen_join_label: set[str] = set()
    branch_labels = defn.branch_labels()
    for src, dst, t in defn.edges():
        if src not in known or dst not in known:
            continue
        label = t.title
        if t.join is not None:
            if t.action in seen_join_label:
                label = ""
            seen_join_label.add(t.action)
        if t.split:
            branch = next((b for b, s in t.split.items() if s == dst), "")
            label = f"{t.title}·{branch_labels.get(branch, branch)}" if branch else label
        if t.auto and label:
            # TRANSLATORS: an automatic transition's label on the diagram (zh: 提交（自动）)
            label = _("%(label)s (automatic)", label=label)
        out.append((src, dst, t, label))
    return out


def _label_box(x: float, y: float, text: str, anchor: str) -> tuple[float, float, float, float]:
    """The white box behind a label (left, top, right, bottom); ``y`` is its middle."""
    tw = _text_width(text, LABEL_SIZE)
    left = x - tw / 2 if anchor == "middle" else x
    return (left - LABEL_PAD, y - LABEL_SIZE / 2 - LABEL_PAD,
            left + tw + LABEL_PAD, y + LABEL_SIZE / 2 + LABEL_PAD)


def _overlaps(a, b, gap: float = 2) -> bool:
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1]
                or b[3] + gap <= a[1])


def _corner_path(points: list[tuple[float, float]], radius: float = 8) -> list:
    """Path commands through ``points`` with straight runs and rounded corners."""
    cmds: list = [("M", [points[0]])]
    k = 0.552  # a quarter circle as one cubic
    for i in range(1, len(points) - 1):
        (ax, ay), (px, py), (bx, by) = points[i - 1], points[i], points[i + 1]
        la, lb = abs(px - ax) + abs(py - ay), abs(bx - px) + abs(by - py)
        r = min(radius, la / 2, lb / 2)
        if r <= 0:
            cmds.append(("L", [(px, py)]))
            continue
        ux, uy = (px - ax) / la, (py - ay) / la
        vx, vy = (bx - px) / lb, (by - py) / lb
        s = (px - ux * r, py - uy * r)
        e = (px + vx * r, py + vy * r)
        cmds.append(("L", [s]))
        cmds.append(("C", [(s[0] + ux * r * k, s[1] + uy * r * k),
                           (e[0] - vx * r * k, e[1] - vy * r * k), e]))
    cmds.append(("L", [points[-1]]))
    return cmds


def _translated(defn: Definition, translate: Callable[[str], str] | None) -> Definition:
    """A copy of ``defn`` whose name and state, action and branch labels went through
    ``translate`` (``defn`` itself without one)."""
    if translate is None:
        return defn

    def tr(text: str) -> str:
        return str(translate(text)) if text else text

    transitions = []
    for t in defn.transitions:
        extra = t.extra
        if isinstance(extra.get("branch_labels"), dict):
            extra = {**extra, "branch_labels": {b: tr(label) if isinstance(label, str) else label
                                                for b, label in extra["branch_labels"].items()}}
        transitions.append(replace(t, label=tr(t.label), extra=extra))
    return replace(defn, name=tr(defn.name),
                   states=[replace(s, label=tr(s.label)) for s in defn.states],
                   transitions=transitions)


def render_svg(definition: dict | Definition, current_states: Iterable[str] = (),
               translate: Callable[[str], str] | None = None) -> str:
    """The SVG text for ``definition`` with ``current_states`` highlighted; ``translate``
    (default: none, the labels as written) turns each label into the UI's language."""
    defn = definition if isinstance(definition, Definition) else Definition.from_dict(definition)
    defn = _translated(defn, translate)
    current = set(current_states or ())
    names = [s.name for s in defn.states]
    layer = _layers(defn)
    rows = _ordered_rows(defn, layer)
    edges = _edge_labels(defn, layer)

    box_w = max([_text_width(defn.state_label(n), FONT_SIZE) + 32 for n in names] + [120])

    # Self-loops: stacked on the right of their state, labels in a column beside them.
    loops: dict[str, list[str]] = {n: [] for n in names}
    for src, dst, _t, label in edges:
        if src == dst:
            loops[src].append(label)

    def loop_reach(n: str) -> float:
        """How far right of its box a state's self-loops and their labels reach."""
        if not loops[n]:
            return 0.0
        text_w = max(_text_width(lb, LABEL_SIZE) for lb in loops[n])
        return LOOP_OUT + (6 + text_w + LABEL_PAD if text_w else 0)

    # Room between columns: a split's labels sit side by side above its branches (at
    # SPLIT_T of the way down), a state with self-loops needs room before its neighbour.
    col_gap = float(COL_GAP)
    for t in defn.transitions:
        if t.split:
            widths = [_text_width(lb, LABEL_SIZE) for s, _d, tt, lb in edges
                      if tt is t and lb]
            if len(widths) > 1:
                col_gap = max(col_gap, (max(widths) + 2 * LABEL_PAD + 20) / SPLIT_T - box_w)
    for row in rows.values():
        for n in row[:-1]:
            if loops[n]:
                col_gap = max(col_gap, loop_reach(n) + 14)
    col_gap = float(math.ceil(col_gap))

    widest = max((len(r) for r in rows.values()), default=1)
    inner_w = widest * box_w + (widest - 1) * col_gap
    pos: dict[str, tuple[float, float]] = {}
    for r, row in rows.items():
        row_w = len(row) * box_w + (len(row) - 1) * col_gap
        x0 = (inner_w - row_w) / 2
        for i, n in enumerate(row):
            pos[n] = (x0 + i * (box_w + col_gap), r * (BOX_H + ROW_GAP))
    boxes = [(x, y, x + box_w, y + BOX_H) for x, y in pos.values()]

    paths: list[tuple[list, bool, str]] = []  # (commands, dashed, marker)
    labels: list[tuple[float, float, str, str]] = []  # (x, middle y, anchor, text)
    placed: list[tuple[float, float, float, float]] = []

    def add_label(x: float, y: float, text: str, anchor: str = "middle") -> None:
        labels.append((x, y, anchor, text))
        placed.append(_label_box(x, y, text, anchor))

    for n, loop_labels in loops.items():
        if not loop_labels:
            continue
        x, y = pos[n]
        xr, m = x + box_w, len(loop_labels)
        cy = y + BOX_H / 2
        band = (BOX_H - 12) / m  # the right edge, less the rounded corners, shared out
        gap = min(3.5, band / 4)
        for k, label in enumerate(loop_labels):
            tip = cy + (k - (m - 1) / 2) * LOOP_PITCH
            top, bottom = y + 6 + k * band + gap, y + 6 + (k + 1) * band - gap
            # The upper loops come back in at their top, the lower ones at their bottom,
            # so that the arrowheads stand apart.
            y_out, y_in = (bottom, top) if k < (m - 1) / 2 else (top, bottom)
            s = 1 if y_in > y_out else -1
            tx, hx = xr + LOOP_OUT, xr + LOOP_OUT * 0.55
            paths.append(([("M", [(xr, y_out)]),
                           ("C", [(hx, y_out), (tx, tip - s * 13), (tx, tip)]),
                           ("C", [(tx, tip + s * 13), (hx, y_in), (xr, y_in)])],
                          False, "loop"))
            if label:
                add_label(tx + 6, tip, label, "start")

    # Back edges (a return for corrections…): out to a lane right of every box (and
    # self-loop) in the rows they span, up, and back in; the label beside the lane.
    back = [e for e in edges if e[0] != e[1] and layer[e[1]] <= layer[e[0]]]
    back_order = sorted(range(len(back)),
                        key=lambda i: (layer[back[i][0]] - layer[back[i][1]], i))
    lanes: list[tuple[int, int, float]] = []
    outs: dict[str, int] = {}
    ins: dict[str, int] = {}
    n_out = {n: sum(1 for e in back if e[0] == n) for n in names}
    n_in = {n: sum(1 for e in back if e[1] == n) for n in names}

    def side_free(n: str) -> bool:
        return rows[layer[n]][-1] == n and not loops[n]

    def loops_span(n: str) -> float:
        """How far a state's stacked self-loop labels stand out above (and below) its box."""
        if not loops[n]:
            return 0.0
        return max(0.0, (len(loops[n]) - 1) / 2 * LOOP_PITCH + LABEL_SIZE / 2 + LABEL_PAD
                   - BOX_H / 2)

    lines: list[tuple[float, float, float, float]] = []  # back edges' runs, for the labels

    for i in back_order:
        src, dst, t, label = back[i]
        lo, hi = layer[dst], layer[src]
        lane = max(pos[n][0] + box_w + loop_reach(n)
                   for r in range(lo, hi + 1) for n in rows.get(r, [])) + LANE_GAP
        for l2, h2, right in lanes:
            if l2 <= hi and lo <= h2:
                lane = max(lane, right + LANE_GAP / 2)
        sx, sy = pos[src]
        dx, dy = pos[dst]
        k_out, k_in = outs.get(src, 0), ins.get(dst, 0)
        outs[src], ins[dst] = k_out + 1, k_in + 1
        if side_free(src):
            ey = sy + BOX_H / 2 + (k_out - (n_out[src] - 1) / 2) * 8
            start = [(sx + box_w, ey), (lane, ey)]
        else:
            ex = sx + box_w - 16 - 10 * k_out
            ey = sy - loops_span(src) - 12 - 6 * k_out
            start = [(ex, sy), (ex, ey), (lane, ey)]
        if side_free(dst):
            iy = dy + BOX_H / 2 + (k_in - (n_in[dst] - 1) / 2) * 8
            end = [(lane, iy), (dx + box_w, iy)]
        else:
            ix = dx + box_w - 16 - 10 * k_in
            yb = dy + BOX_H + loops_span(dst) + 12 + 6 * k_in
            end = [(lane, yb), (ix, yb), (ix, dy + BOX_H)]
        route = start + end
        paths.append((_corner_path(route), t.auto, "arrow"))
        for (ax, ay), (bx, by) in zip(route, route[1:], strict=False):
            lines.append((min(ax, bx) - 1, min(ay, by) - 1, max(ax, bx) + 1, max(ay, by) + 1))
        right = lane
        if label:
            add_label(lane + 6, (start[-1][1] + end[0][1]) / 2, label, "start")
            right = placed[-1][2]
        lanes.append((lo, hi, right))

    # Forward edges: straight down; the label at the first free spot along the edge.
    for src, dst, t, label in edges:
        if src == dst or layer[dst] <= layer[src]:
            continue
        sx, sy = pos[src]
        dx, dy = pos[dst]
        x1, y1, x2, y2 = sx + box_w / 2, sy + BOX_H, dx + box_w / 2, dy
        paths.append(([("M", [(x1, y1)]), ("L", [(x2, y2)])], t.auto, "arrow"))
        if not label:
            continue
        spots = (SPLIT_T, 0.55, 0.4, 0.8) if t.split else (0.5, 0.35, 0.65, 0.25, 0.75)

        # Called at once by min() below, inside this iteration: the loop values are current.
        def clashes(f: float) -> tuple[int, int]:
            box = _label_box(x1 + (x2 - x1) * f, y1 + (y2 - y1) * f, label, "middle")  # noqa: B023
            return (sum(_overlaps(box, b) for b in placed + boxes),
                    sum(_overlaps(box, b, 0) for b in lines))

        f = min(spots, key=lambda f: (clashes(f), spots.index(f)))
        add_label(x1 + (x2 - x1) * f, y1 + (y2 - y1) * f, label)

    # Everything drawn, shifted so that it all lies inside the picture.
    xs = [b[0] for b in boxes + placed] + [b[2] for b in boxes + placed]
    ys = [b[1] for b in boxes + placed] + [b[3] for b in boxes + placed]
    for cmds, _dashed, _marker in paths:
        for _c, pts in cmds:
            xs += [p[0] for p in pts]
            ys += [p[1] for p in pts]
    min_x, max_x = min(xs, default=0.0), max(xs, default=0.0)
    min_y, max_y = min(ys, default=0.0), max(ys, default=0.0)
    ox, oy = MARGIN - min_x, MARGIN + 24 - min_y
    title = defn.name or defn.key
    width = math.ceil(max(max_x - min_x + 2 * MARGIN,
                          2 * MARGIN + _text_width(title, FONT_SIZE + 2)))
    height = math.ceil(max_y - min_y + 2 * MARGIN + 24)

    def fmt(cmds) -> str:
        return " ".join(c + " ".join(f"{x + ox:.1f},{y + oy:.1f}" for x, y in pts)
                        for c, pts in cmds)

    uid = "wf" + hashlib.sha1((defn.key or defn.name).encode("utf-8")).hexdigest()[:8]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT)} '
        f'font-size="{FONT_SIZE}" role="img" aria-label={quoteattr(title)}>',
        f"<title>{escape(title)}</title>",
        "<defs>",
        f'<marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="#555"/></marker>',
        f'<marker id="{uid}-loop" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="#555"/></marker>',
        "</defs>",
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-size="{FONT_SIZE + 2}" font-weight="bold" '
        f'fill="#222">{escape(title)}</text>',
    ]

    # Edges first, then their labels, boxes on top.
    for cmds, dashed, marker in paths:
        out.append(f'<path d="{fmt(cmds)}" fill="none" stroke="#555" stroke-width="1.4" '
                   f'marker-end="url(#{uid}-{marker})"'
                   + (' stroke-dasharray="5,3"' if dashed else "") + "/>")
    for (x, y, anchor, text), (left, top, right, bottom) in zip(labels, placed, strict=False):
        out.append(
            f'<rect x="{left + ox:.1f}" y="{top + oy:.1f}" width="{right - left:.1f}" '
            f'height="{bottom - top:.1f}" fill="#ffffff" fill-opacity="0.9"/>'
            f'<text x="{x + ox:.1f}" y="{y + oy + LABEL_SIZE / 2 - 2:.1f}" '
            f'text-anchor="{anchor}" font-size="{LABEL_SIZE}" fill="#333">{escape(text)}</text>')

    for s in defn.states:
        if s.name not in pos:
            continue
        x, y = pos[s.name]
        x, y = x + ox, y + oy
        is_current = s.name in current
        fill = CURRENT_FILL if is_current else (FINAL_FILL if s.final else FILL)
        stroke = CURRENT_STROKE if is_current else (FINAL_STROKE if s.final else STROKE)
        klass = "wf-state" + (" wf-current" if is_current else "") + (" wf-final" if s.final
                                                                         else "")
        out.append(f'<g class="{klass}" data-state={quoteattr(s.name)}>')
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{BOX_H}" rx="10" '
                   f'ry="10" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="{2.5 if is_current else 1.5}"/>')
        if s.final:
            out.append(f'<rect x="{x + 4:.1f}" y="{y + 4:.1f}" width="{box_w - 8}" '
                       f'height="{BOX_H - 8}" rx="7" ry="7" fill="none" stroke="{stroke}" '
                       f'stroke-width="1.2"/>')
        text_fill = "#ffffff" if is_current else "#1a1a1a"
        out.append(f'<text x="{x + box_w / 2:.1f}" y="{y + BOX_H / 2 + FONT_SIZE / 2 - 2:.1f}" '
                   f'text-anchor="middle" fill="{text_fill}">{escape(s.title)}</text>')
        if s.time_limit_days is not None and not s.final:
            # TRANSLATORS: a state's tooltip on the diagram (zh: 审查：3个工作日)
            tip = _("%(state)s: %(days)s working days", state=s.title, days=s.time_limit_days)
            out.append(f'<title>{escape(tip)}</title>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def render_instance_svg(instance: WorkflowInstance, translate: Callable[[str], str] | None = None) -> str:
    """A running (or finished) instance's own definition snapshot, its current states
    highlighted (labels through ``translate``, see :func:`render_svg`)."""
    return render_svg(instance.definition,
                      {t["state"] for t in (instance.tokens or {}).values()}, translate)
