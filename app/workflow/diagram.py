"""A workflow definition drawn as a self-contained SVG (no script, no external font or CDN).

States are rounded boxes in layers from top to bottom: a breadth-first walk from the initial
state gives each state a first layer, then a state is pushed below every state that leads
forward to it (so a join's target sits under the longest branch). Within a layer the
states are ordered by where their predecessors are, so a split's branches stand side by
side in columns. Forward arrows go down with the action's label; arrows going back (a
return for corrections) run round the right-hand side. Current states are filled orange,
final states have a double border. Same input, same output.
"""
from __future__ import annotations

import hashlib
from collections import deque
from typing import Iterable, Union
from xml.sax.saxutils import escape, quoteattr

from .definition import Definition

FONT = "Noto Sans CJK SC, sans-serif"
BOX_H = 40
ROW_GAP = 70
COL_GAP = 40
MARGIN = 30
FONT_SIZE = 14
LABEL_SIZE = 12
CURRENT_FILL = "#fd7e14"
CURRENT_STROKE = "#c2410c"
FILL = "#eef4fb"
STROKE = "#2c5d8f"
FINAL_FILL = "#e8f5e9"
FINAL_STROKE = "#2e7d32"


def _text_width(text: str, size: int) -> int:
    w = 0
    for ch in text:
        w += size if ord(ch) > 0x2E80 else int(size * 0.6) + 1
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


def render_svg(definition: Union[dict, Definition], current_states: Iterable[str] = ()) -> str:
    """The SVG text for ``definition`` with ``current_states`` highlighted."""
    defn = definition if isinstance(definition, Definition) else Definition.from_dict(definition)
    current = set(current_states or ())
    names = [s.name for s in defn.states]
    layer = _layers(defn)

    # Order within layers: by the mean column of the predecessors already placed.
    preds: dict[str, list[str]] = {n: [] for n in names}
    for src, dst, _t in defn.edges():
        if src in preds and dst in preds and layer.get(src, 0) < layer.get(dst, 0):
            preds[dst].append(src)
    rows: dict[int, list[str]] = {}
    for n in names:
        rows.setdefault(layer[n], []).append(n)
    col: dict[str, float] = {}
    for r in sorted(rows):
        row = rows[r]
        keyed = []
        for i, n in enumerate(row):
            ps = [col[p] for p in preds[n] if p in col]
            keyed.append((sum(ps) / len(ps) if ps else float(i), i, n))
        keyed.sort()
        rows[r] = [n for _k, _i, n in keyed]
        for i, n in enumerate(rows[r]):
            col[n] = float(i)

    box_w = max([_text_width(defn.state_label(n), FONT_SIZE) + 32 for n in names] + [120])
    widest = max((len(r) for r in rows.values()), default=1)
    inner_w = widest * box_w + (widest - 1) * COL_GAP
    pos: dict[str, tuple[float, float]] = {}
    for r, row in rows.items():
        row_w = len(row) * box_w + (len(row) - 1) * COL_GAP
        x0 = MARGIN + (inner_w - row_w) / 2
        for i, n in enumerate(row):
            pos[n] = (x0 + i * (box_w + COL_GAP), MARGIN + 24 + r * (BOX_H + ROW_GAP))
    n_rows = max(rows, default=0) + 1
    back_edges = [(s, d, t) for s, d, t in defn.edges()
                  if s in pos and d in pos and layer[d] <= layer[s]]
    width = MARGIN * 2 + inner_w + (60 + 14 * min(len(back_edges), 8) if back_edges else 0)
    width = max(width, MARGIN * 2 + _text_width(defn.name or defn.key, FONT_SIZE + 2))
    height = MARGIN * 2 + 24 + n_rows * BOX_H + (n_rows - 1) * ROW_GAP

    uid = "wf" + hashlib.sha1((defn.key or defn.name).encode("utf-8")).hexdigest()[:8]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family={quoteattr(FONT)} '
        f'font-size="{FONT_SIZE}" role="img" aria-label={quoteattr(defn.name or defn.key)}>',
        f"<title>{escape(defn.name or defn.key)}</title>",
        "<defs>",
        f'<marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="#555"/></marker>',
        "</defs>",
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-size="{FONT_SIZE + 2}" font-weight="bold" '
        f'fill="#222">{escape(defn.name or defn.key)}</text>',
    ]

    # Edges first, boxes on top.
    labels_out: list[str] = []
    seen_join_label: set[str] = set()
    back_i = 0
    for src, dst, t in defn.edges():
        if src not in pos or dst not in pos:
            continue
        sx, sy = pos[src]
        dx, dy = pos[dst]
        label = t.title
        if t.join is not None:
            if t.action in seen_join_label:
                label = ""
            seen_join_label.add(t.action)
        if t.split:
            branch = next((b for b, s in t.split.items() if s == dst), "")
            label = f"{t.title}·{defn.branch_labels().get(branch, branch)}" if branch else label
        if t.auto and label:
            label += "（自动）"
        attrs = (f'fill="none" stroke="#555" stroke-width="1.4" '
                 f'marker-end="url(#{uid}-arrow)"' + (' stroke-dasharray="5,3"' if t.auto else ""))
        if layer[dst] > layer[src]:
            x1, y1 = sx + box_w / 2, sy + BOX_H
            x2, y2 = dx + box_w / 2, dy
            out.append(f'<path d="M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}" {attrs}/>')
            lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
        else:
            back_i += 1
            off = MARGIN + inner_w + 20 + 14 * ((back_i - 1) % 8)
            x1, y1 = sx + box_w, sy + BOX_H / 2
            x2, y2 = dx + box_w, dy + BOX_H / 2 + (6 if src == dst else 0)
            if src == dst:
                y1 -= 6
            out.append(f'<path d="M{x1:.1f},{y1:.1f} C{off:.1f},{y1:.1f} {off:.1f},{y2:.1f} '
                       f'{x2:.1f},{y2:.1f}" {attrs}/>')
            lx, ly = off - 4, (y1 + y2) / 2
        if label:
            tw = _text_width(label, LABEL_SIZE)
            labels_out.append(
                f'<rect x="{lx - tw / 2 - 3:.1f}" y="{ly - LABEL_SIZE / 2 - 3:.1f}" '
                f'width="{tw + 6:.1f}" height="{LABEL_SIZE + 6}" fill="#ffffff" '
                f'fill-opacity="0.9"/>'
                f'<text x="{lx:.1f}" y="{ly + LABEL_SIZE / 2 - 2:.1f}" text-anchor="middle" '
                f'font-size="{LABEL_SIZE}" fill="#333">{escape(label)}</text>')
    out.extend(labels_out)

    for s in defn.states:
        if s.name not in pos:
            continue
        x, y = pos[s.name]
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
            out.append(f'<title>{escape(s.title)}：{s.time_limit_days}个工作日</title>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def render_instance_svg(instance) -> str:
    """A running (or finished) instance's own definition snapshot, its current states
    highlighted."""
    return render_svg(instance.definition,
                      {t["state"] for t in (instance.tokens or {}).values()})
