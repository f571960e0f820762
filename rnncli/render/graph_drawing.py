"""Graph -> Drawing: the folded or unfolded computational graph, laid out by layers.

Inputs at the bottom and outputs at the top (each node one layer above the
highest node it reads within the step), time from left to right, as the Deep
Learning book draws its figures. A delay is a small black square on its edge.
Drawn without Graphviz, so that every machine draws the same picture.
"""
from __future__ import annotations

import math

from rnncli.render.drawing import Circle, Curve, Drawing, Line, Text
from rnncli.solve.graphs import Graph

RADIUS = 15.0
LAYER_GAP = 62.0
COLUMN_GAP = 74.0
MARGIN = 34.0


def layers(graph: Graph) -> dict:
    """Returns name -> layer: 0 for inputs, else one above the highest source read within a step."""
    kinds = {n.name: n.kind for n in graph.nodes if n.kind != "initial"}
    name_of = {n.id: n.name for n in graph.nodes}
    same_step = {}
    step_of = {n.id: n.step for n in graph.nodes}
    for edge in graph.edges:
        if edge.delay == 0 and step_of[edge.source] == step_of[edge.target]:
            same_step.setdefault(name_of[edge.target], set()).add(name_of[edge.source])
    level: dict[str, int] = {}

    def visit(name: str, seen: tuple) -> int:
        if name not in level:
            sources = [s for s in same_step.get(name, ()) if s not in seen]
            base = 0 if kinds.get(name) == "input" else 1
            level[name] = max([visit(s, seen + (name,)) + 1 for s in sources] + [base])
        return level[name]

    for name in kinds:
        visit(name, ())
    return level


def _text_id(node) -> str:
    return node.name if node.step is None else f"{node.name}({node.step})".replace("-", "−")


def positions(graph: Graph) -> dict:
    """Returns node id -> (x, y) centre."""
    level = layers(graph)
    top = max(level.values(), default=0)
    where = {}
    if not graph.unfolded:
        rows: dict[int, list] = {}
        for node in graph.nodes:
            rows.setdefault(level[node.name], []).append(node)
        widest = max(len(r) for r in rows.values())
        for layer, nodes in rows.items():
            offset = (widest - len(nodes)) * COLUMN_GAP * 1.4 / 2
            for i, node in enumerate(nodes):
                where[node.id] = (MARGIN + RADIUS * 4 + offset + i * COLUMN_GAP * 1.4,
                                  MARGIN + RADIUS + (top - layer) * LAYER_GAP)
        return where
    columns = {t: i + 1 for i, t in enumerate(graph.steps)}
    per_slot: dict[tuple, int] = {}
    width = 1
    for node in graph.nodes:
        column = columns.get(node.step, 0)
        slot = (column, level[node.name])
        per_slot[slot] = per_slot.get(slot, 0) + 1
        width = max(width, per_slot[slot])
    seen: dict[tuple, int] = {}
    for node in graph.nodes:
        column = columns.get(node.step, 0)
        slot = (column, level[node.name])
        index = seen[slot] = seen.get(slot, -1) + 1
        x = MARGIN + RADIUS + column * COLUMN_GAP * width + index * COLUMN_GAP * 0.8
        where[node.id] = (x, MARGIN + RADIUS + (top - level[node.name]) * LAYER_GAP)
    has_initial = any(n.kind == "initial" for n in graph.nodes)
    if not has_initial:
        where = {k: (x - COLUMN_GAP * width, y) for k, (x, y) in where.items()}
    return where


def _arrowhead(tip: tuple, towards_from: tuple) -> Line:
    (x, y), (fx, fy) = tip, towards_from
    angle = math.atan2(y - fy, x - fx)
    size = 7.0
    left = (x - size * math.cos(angle - 0.4), y - size * math.sin(angle - 0.4))
    right = (x - size * math.cos(angle + 0.4), y - size * math.sin(angle + 0.4))
    return Line((tip, left, right), 0.8, closed=True, fill=0.0)


def _on_circle(center: tuple, towards: tuple, radius: float = RADIUS) -> tuple:
    (x, y), (tx, ty) = center, towards
    d = math.hypot(tx - x, ty - y) or 1.0
    return (x + (tx - x) / d * radius, y + (ty - y) / d * radius)


def _square(center: tuple, size: float = 5.0) -> Line:
    x, y = center
    return Line(((x - size, y - size), (x + size, y - size), (x + size, y + size),
                 (x - size, y + size)), 0.5, closed=True, fill=0.0)


def _edge_label(mid: tuple, normal: tuple, bend: float, label: str) -> Text:
    """Returns an edge's label beside its middle: on the outside of a curve, above a level
    edge, right of an upright one, so that it never sits on the line."""
    nx, ny = normal
    if bend:
        side = 1 if bend > 0 else -1
    else:
        side = -1 if (ny > 0.3 or (abs(ny) <= 0.3 and nx < 0)) else 1
        if abs(nx) > 0.95:         # an upright edge: the label to its right
            side = 1 if nx > 0 else -1
    nx, ny = nx * side, ny * side
    x, y = mid[0] + nx * 8, mid[1] + ny * 8
    anchor = "middle" if abs(nx) < 0.4 else ("start" if nx > 0 else "end")
    return Text((x, y + 3), label, 8, anchor)


def _self_loop(center: tuple, label: str) -> list:
    """Returns a delay loop from a node back to itself, on its left, with its square and label."""
    x, y = center
    a, b = (x - RADIUS * 0.7, y + RADIUS * 0.7), (x - RADIUS * 0.7, y - RADIUS * 0.7)
    items = [Curve(a, (x - RADIUS * 4.2, y), b, 1.0), _arrowhead(b, (x - RADIUS * 2, y - RADIUS))]
    mid = (x - RADIUS * 2.45, y)
    items.append(_square(mid))
    if label:
        items.append(Text((mid[0] - 8, mid[1] - 6), label, 8, "end"))
    return items


def draw_graph(graph: Graph) -> Drawing:
    """Returns the graph as a Drawing: circles for quantities, grey for inputs, dashed for initial values."""
    where = positions(graph)
    items = []
    pair_count: dict[frozenset, int] = {}
    for edge in graph.edges:
        key = frozenset((edge.source, edge.target))
        pair_count[key] = pair_count.get(key, 0) + 1
    drawn: dict[frozenset, int] = {}
    for edge in graph.edges:
        start, end = where[edge.source], where[edge.target]
        label = " ".join(edge.params)
        if edge.source == edge.target:
            items += _self_loop(start, label)
            continue
        key = frozenset((edge.source, edge.target))
        index = drawn[key] = drawn.get(key, -1) + 1
        dx, dy = end[0] - start[0], end[1] - start[1]
        length = math.hypot(dx, dy) or 1.0
        vertical = abs(dx) < 1
        skips = abs(dy) > LAYER_GAP * 1.2 and vertical
        bend = 0.0
        # Which way an edge bows, seen along its direction (positive: to its left).
        if vertical and edge.delay:
            bend = -0.45 * length           # down the column, on the right of it
        elif skips:
            # Up the column past a layer, on the left: beyond the delay loops when folded,
            # between the columns when unfolded.
            bend = -(0.3 if not graph.unfolded else 0.16) * length
        elif edge.delay or pair_count[key] > 1:
            bend = (0.22 if index % 2 == 0 else -0.22) * length
        normal = (-dy / length, dx / length)
        mid = ((start[0] + end[0]) / 2 + normal[0] * bend, (start[1] + end[1]) / 2 + normal[1] * bend)
        a, b = _on_circle(start, mid), _on_circle(end, mid)
        if bend:
            items.append(Curve(a, (2 * mid[0] - (a[0] + b[0]) / 2, 2 * mid[1] - (a[1] + b[1]) / 2),
                               b, 1.0))
            items.append(_arrowhead(b, mid))
        else:
            items += [Line((a, b), 1.0), _arrowhead(b, a)]
        if edge.delay:
            items.append(_square(mid))
        if label:
            items.append(_edge_label(mid, normal, bend, label))
    for node in graph.nodes:
        x, y = where[node.id]
        fill = {"input": 0.88}.get(node.kind, 1.0)
        dash = (3, 2) if node.kind == "initial" else ()
        items.append(Circle((x, y), RADIUS, 1.0, dash, fill))
        text = _text_id(node)
        items.append(Text((x, y + 3.5), text, 10 if len(text) < 4 else 8, "middle"))
    width = max(x for x, _ in where.values()) + RADIUS + MARGIN + 30
    height = max(y for _, y in where.values()) + RADIUS + MARGIN
    title = graph.title or ""
    kind = "Unfolded" if graph.unfolded else "Folded"
    return Drawing(width, height, tuple(items), f"{kind} graph" + (f": {title}" if title else ""))
