"""Chart -> Drawing: a line per series against the step, readable in black and white.

Each line has its own dash pattern and marker, so a photocopy still tells them
apart; the x axis has a tick at every step (integers only).
"""
from __future__ import annotations

import math

from rnncli.render.drawing import Circle, Drawing, Line, Text, text_width
from rnncli.solve.series import Chart

WIDTH, HEIGHT = 560.0, 340.0
LEFT, RIGHT, TOP, BOTTOM = 58.0, 16.0, 30.0, 44.0
DASHES = ((), (6, 3), (1.5, 2.5), (7, 3, 1.5, 3), (3, 2), (10, 3))
MARKERS = ("circle", "square", "triangle", "diamond", "down", "cross")
MARKER_SIZE = 3.2


def style(index: int) -> tuple:
    """Returns (dash pattern, marker) of the index-th line: distinct in black and white."""
    return DASHES[index % len(DASHES)], MARKERS[(index // len(DASHES) + index) % len(MARKERS)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Returns round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if high - low < 1e-12:
        low, high = low - 1, high + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 0.999:
        ticks.append(round(value, 12))
        value += step
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Returns powers of ten covering [low, high] (both positive)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if first == last:
        last += 1
    return [10.0 ** k for k in range(first, last + 1)]


def tick_text(value: float) -> str:
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-3):
        return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{value:.6g}"


def marker(shape: str, x: float, y: float, r: float = MARKER_SIZE) -> object:
    """Returns the marker shape centred on (x, y), filled white so that lines do not cross it."""
    if shape == "circle":
        return Circle((x, y), r, 1.0, fill=1.0)
    points = {"square": ((-1, -1), (1, -1), (1, 1), (-1, 1)),
              "triangle": ((0, -1.25), (1.15, 0.85), (-1.15, 0.85)),
              "down": ((0, 1.25), (1.15, -0.85), (-1.15, -0.85)),
              "diamond": ((0, -1.35), (1.35, 0), (0, 1.35), (-1.35, 0)),
              "cross": ((-1, -1), (1, 1), (0, 0), (1, -1), (-1, 1))}[shape]
    scaled = tuple((x + dx * r, y + dy * r) for dx, dy in points)
    if shape == "cross":
        return Line(scaled, 1.0)
    return Line(scaled, 1.0, closed=True, fill=1.0)


def draw_chart(chart: Chart, width: float = WIDTH, height: float = HEIGHT) -> Drawing:
    """Returns the chart as a Drawing: axes, ticks, a styled line per series, a legend."""
    series = [s for s in chart.series if s.values]
    legend_width = max((text_width(s.label, 9) for s in series), default=0) + 42
    right = RIGHT + legend_width
    xs = [x for s in series for x in s.steps] or [0, 1]
    ys = [y for s in series for y in s.values] or [0.0, 1.0]
    x_low, x_high = min(xs), max(xs)
    if x_low == x_high:
        x_low, x_high = x_low - 1, x_high + 1
    if chart.log:
        positive = [y for y in ys if y > 0] or [1.0]
        yticks = log_ticks(min(positive), max(positive))
        transform = lambda v: math.log10(max(v, yticks[0]))  # noqa: E731
    else:
        yticks = nice_ticks(min(ys), max(ys))
        transform = lambda v: v  # noqa: E731
    y_low, y_high = transform(yticks[0]), transform(yticks[-1])
    plot_w, plot_h = width - LEFT - right, height - TOP - BOTTOM

    def px(x):
        return LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def py(y):
        return TOP + plot_h - (transform(y) - y_low) / (y_high - y_low) * plot_h

    items = [Text((width / 2, 18), chart.title, 11, "middle", bold=True)]
    items.append(Line(((LEFT, TOP), (LEFT, TOP + plot_h), (LEFT + plot_w, TOP + plot_h)), 0.8))
    for tick in yticks:
        y = py(tick)
        items += [Line(((LEFT, y), (LEFT + plot_w, y)), 0.4, (1, 2), 0.7),
                  Line(((LEFT - 4, y), (LEFT, y)), 0.8),
                  Text((LEFT - 6, y + 3), tick_text(tick), 8, "end")]
    for step in range(math.ceil(x_low), math.floor(x_high) + 1):
        x = px(step)
        items += [Line(((x, TOP + plot_h), (x, TOP + plot_h + 4)), 0.8),
                  Text((x, TOP + plot_h + 14), str(step), 8, "middle")]
    items.append(Text((LEFT + plot_w / 2, height - 8), chart.xlabel, 9, "middle"))
    items.append(Text((12, TOP - 8), chart.ylabel, 9, "start"))
    for index, line in enumerate(series):
        dash, shape = style(index)
        points = tuple((px(x), py(y)) for x, y in zip(line.steps, line.values))
        items.append(Line(points, 1.4, dash))
        items += [marker(shape, x, y) for x, y in points]
        ly = TOP + 8 + 14 * index
        lx = width - right + 12
        items += [Line(((lx, ly), (lx + 24, ly)), 1.4, dash), marker(shape, lx + 12, ly),
                  Text((lx + 30, ly + 3), line.label, 9)]
    return Drawing(width, height, tuple(items), chart.title)
