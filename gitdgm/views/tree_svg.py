"""The archive tree without Graphviz: igraph's Reingold–Tilford layout, written out as SVG by hand.

Graphviz is a system package that ``pip install gitdgm`` cannot bring; igraph is a wheel. ``tree`` is the top-down
layout of the DGM paper's figure; ``radial`` puts the same left-to-right order around rings, for trees far wider
than deep. Neither lets two nodes overlap: neighbours on a level are at least one box apart, and each ring is made
just wide enough for its nodes.

The SVG keeps the contract of Graphviz's output that ``templates/report.js`` and the tests read: per agent a
``<g id="a-<id>" class="node [rejected] [best]">`` holding a ``<title>``, the rounded box as a ``<path>`` and two
``<text>`` lines (short id, score); per edge a ``<g id="e-<child>" class="edge [best]">`` titled ``parent->child``;
width and height in pt with a viewBox, and every ``<g>`` with a class.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from gitdgm.views.plot import BEST_COLOR, TreeView, edge_style, legend_cells, node_style

NODE_W, NODE_H, CORNER = 48.0, 26.0, 4.0
X_STEP = NODE_W + 8.0  # one Reingold–Tilford unit: the least distance between neighbours on a level
Y_STEP = NODE_H + 20.0
Y_SEP = NODE_H + 6.0  # on a ring, neighbours must be X_STEP apart across or Y_SEP apart up and down
RING_GAP = math.hypot(NODE_W, NODE_H) + 6.0  # centres this far apart cannot overlap, whatever the angle
MARGIN = 8.0
FONT = 'font-family="Helvetica,sans-Serif"'
LEGEND_FONT, CELL_W, ROW_H = 12.0, 40.0, 20.0

Point = tuple[float, float]


def layout(view: TreeView, radial: bool = False) -> dict[str, Point]:
    """Node centres in pt by agent id: each child one level below (or one ring outside) its parent."""
    if not view.shown:
        return {}
    xs, depths = _reingold_tilford(view)
    if radial:
        points = _around_rings(xs, depths)
    else:
        points = [(x * X_STEP, depth * Y_STEP) for x, depth in zip(xs, depths)]
    return {agent.id: point for agent, point in zip(view.shown, points)}


def _reingold_tilford(view: TreeView) -> tuple[list[float], list[int]]:
    """igraph's top-down tree: x in units (neighbours on a level >= 1 apart) and the depth of each shown agent."""
    import igraph

    index = {agent.id: i for i, agent in enumerate(view.shown)}
    edges = [(index[a.parent], i) for i, a in enumerate(view.shown) if a.parent in index]
    roots = [i for i, a in enumerate(view.shown) if a.parent not in index]
    coords = igraph.Graph(n=len(index), edges=edges, directed=True).layout_reingold_tilford(mode="out", root=roots)
    return [x for x, _ in coords], [round(y) for _, y in coords]


def _around_rings(xs: Sequence[float], depths: Sequence[int]) -> list[Point]:
    """The top-down order as angles clockwise from 12 o'clock, depth as ring.

    Not igraph's ``layout_reingold_tilford_circular``: it sets radius = depth and leaves only 2π/n between the
    first and last node of the widest ring, so no single scale keeps every node apart.
    """
    low, span = min(xs), max(xs) - min(xs) + 1  # one unit of gap where the ring closes
    angles = [2 * math.pi * (x - low) / span for x in xs]
    rings: dict[int, list[float]] = {}
    for angle, depth in zip(angles, depths):
        rings.setdefault(depth, []).append(angle)
    radii: list[float] = []
    for depth in range(max(rings) + 1):
        inner = radii[-1] + RING_GAP if radii else 0.0
        radii.append(max(inner, _fit_radius(sorted(rings.get(depth, [])))))
    return [(radii[d] * math.sin(a), -radii[d] * math.cos(a)) for a, d in zip(angles, depths)]


def _fit_radius(ring: list[float]) -> float:
    """The least radius at which each pair of neighbours on a ring (sorted angles, the last and first included) is
    a box apart across or down.

    At radius r two angles are r·|Δsin| apart across and r·|Δcos| apart down, so each pair needs r >= the
    smaller of X_STEP/|Δsin| and Y_SEP/|Δcos|. (Checking neighbours only suffices: the tests check every pair.)
    """
    need = 0.0
    if len(ring) < 2:
        return need
    for a, b in zip(ring, ring[1:] + ring[:1]):
        across, down = abs(math.sin(a) - math.sin(b)), abs(math.cos(a) - math.cos(b))
        need = max(
            need, min(X_STEP / across if across > 1e-12 else math.inf, Y_SEP / down if down > 1e-12 else math.inf)
        )
    return need


def render(view: TreeView) -> bytes:
    """The tree as a standalone SVG document (``report`` inlines it as it is)."""
    radial = view.engine == "radial"
    points = layout(view, radial)
    legend, legend_w, legend_h = _legend(view)
    xs, ys = [x for x, _ in points.values()] or [0.0], [y for _, y in points.values()] or [0.0]
    dx, dy = MARGIN + NODE_W / 2 - min(xs), legend_h + MARGIN + NODE_H / 2 - min(ys)
    placed = {i: (x + dx, y + dy) for i, (x, y) in points.items()}
    width = max(max(xs) - min(xs) + NODE_W, legend_w) + 2 * MARGIN
    height = legend_h + max(ys) - min(ys) + NODE_H + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">',
        '<g id="graph0" class="graph">',
        "<title>archive</title>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="white"/>',
        *legend,
        *_edges(view, placed, radial),
        *_nodes(view, placed),
        "</g>",
        "</svg>",
    ]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + "\n".join(parts) + "\n").encode("utf-8")


def _edges(view: TreeView, placed: dict[str, Point], radial: bool) -> list[str]:
    """Straight lines parent → child (centre to centre on rings, box to box top-down), the best lineage last."""
    on_best = set(view.best)
    children = [(a, a.parent) for a in view.shown if a.parent is not None and a.parent in placed]
    out = []
    for agent, parent in sorted(children, key=lambda c: c[0].id in on_best):
        (x1, y1), (x2, y2) = placed[parent], placed[agent.id]
        if not radial:
            y1, y2 = y1 + NODE_H / 2, y2 - NODE_H / 2
        color, width = edge_style(agent.id in on_best)
        out.append(
            f'<g id="e-{escape(agent.id)}" class="edge{" best" if agent.id in on_best else ""}">'
            f"<title>{escape(parent)}-&gt;{escape(agent.id)}</title>"
            f'<path fill="none" stroke="{color}" stroke-width="{width:g}" '
            f'd="M{x1:.1f},{y1:.1f}L{x2:.1f},{y2:.1f}"/></g>'
        )
    return out


def _nodes(view: TreeView, placed: dict[str, Point]) -> list[str]:
    """A rounded box per agent with its short id and score, styled like Graphviz's nodes."""
    on_best = set(view.best)
    straight_w, straight_h = NODE_W - 2 * CORNER, NODE_H - 2 * CORNER
    arc = f"a{CORNER:g},{CORNER:g} 0 0 1"
    outline = (
        f"h{straight_w:g}{arc} {CORNER:g},{CORNER:g}v{straight_h:g}{arc} -{CORNER:g},{CORNER:g}"
        f"h-{straight_w:g}{arc} -{CORNER:g},-{CORNER:g}v-{straight_h:g}{arc} {CORNER:g},-{CORNER:g}z"
    )
    out = []
    for agent in view.shown:
        style = node_style(agent, agent.id in on_best)
        x, y = placed[agent.id]
        dash = ' stroke-dasharray="5,2"' if style.dashed else ""
        classes = f"node {style.classes}".strip()
        texts = "".join(
            f'<text text-anchor="middle" x="{x:.1f}" y="{y + offset:.1f}" {FONT} font-size="9.00" '
            f'fill="{style.font}">{escape(line)}</text>'
            for line, offset in zip(style.lines, (-2.0, 9.0))
        )
        out.append(
            f'<g id="a-{escape(agent.id)}" class="{classes}"><title>{escape(agent.id)}</title>'
            f'<path fill="{style.fill}" stroke="{style.stroke}" stroke-width="{style.width:g}"{dash} '
            f'd="M{x - NODE_W / 2 + CORNER:.1f},{y - NODE_H / 2:.1f}{outline}"/>{texts}</g>'
        )
    return out


def _legend(view: TreeView) -> tuple[list[str], float, float]:
    """The colour scale, the best-lineage key and the pruning note, top left; with their width and height."""

    def text(x: float, y: float, body: str, extra: str = "") -> str:
        return f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{LEGEND_FONT:g}"{extra}>{escape(body)}</text>'

    baseline = MARGIN + ROW_H - 6
    out = [text(MARGIN, baseline, "score")]
    x = MARGIN + 40
    for label, fill, font in legend_cells():
        out += [
            f'<rect x="{x:.1f}" y="{MARGIN:.1f}" width="{CELL_W - 2:g}" height="{ROW_H:g}" fill="{fill}"/>',
            text(x + 5, baseline, label, f' fill="{font}"'),
        ]
        x += CELL_W
    out.append(text(x + 6, baseline, "━ best lineage", f' font-weight="bold" fill="{BEST_COLOR}"'))
    width, height = x + 6 + 100 - MARGIN, ROW_H + 6
    if view.note:
        out.append(text(MARGIN, baseline + ROW_H, view.note, ' font-style="italic"'))
        width, height = max(width, 0.55 * LEGEND_FONT * len(view.note)), height + ROW_H
    return out, width, height
