"""Chart -> a terminal chart in Unicode (`--chart`): no dependency, fits the terminal's width.

Each line has its own symbol at the steps (● ■ ▲ ◆ ▼ ✕ ○ □), joined by dots, so
it reads without colour; colour is added only on a terminal without NO_COLOR.
"""
from __future__ import annotations

import os
import shutil

from rnncli.render.chart_drawing import nice_ticks, tick_text
from rnncli.solve.series import Chart

SYMBOLS = "●■▲◆▼✕○□"
COLORS = ("34", "31", "32", "35", "36", "33")     # ANSI: blue, red, green, magenta, cyan, yellow
ROWS = 12
MIN_WIDTH, MAX_WIDTH = 40, 120


def chart_width() -> int:
    """Returns the width to draw in: the terminal's, within 40..120 columns."""
    columns = shutil.get_terminal_size((80, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


def use_color(stream) -> bool:
    """Returns whether to colour: a terminal, and NO_COLOR unset (https://no-color.org)."""
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def render_chart_text(chart: Chart, width: int = 80, color: bool = False, rows: int = ROWS) -> str:
    """Returns the chart as lines of text `width` columns wide (log10 of the values on a log scale)."""
    if chart.log:
        import dataclasses
        import math

        # A terminal has no log axis: the values are drawn as their log10, and the legend says so.
        chart = dataclasses.replace(chart, series=tuple(
            dataclasses.replace(s, label=f"log10 {s.label}", steps=tuple(
                x for x, y in zip(s.steps, s.values) if y > 0), values=tuple(
                math.log10(y) for y in s.values if y > 0)) for s in chart.series), log=False)
    series = [s for s in chart.series if s.values]
    ys = [y for s in series for y in s.values] or [0.0, 1.0]
    ticks = nice_ticks(min(ys), max(ys), 4)
    low, high = ticks[0], ticks[-1]
    labels = [tick_text(t) for t in ticks]
    margin = max(len(label) for label in labels) + 1
    columns = max(10, width - margin - 1)
    xs = [x for s in series for x in s.steps] or [0, 1]
    x_low, x_high = min(xs), max(xs)
    span = (x_high - x_low) or 1

    def col(x) -> int:
        return round((x - x_low) / span * (columns - 1)) if x_high != x_low else columns // 2

    def row(y) -> int:
        return round((high - y) / (high - low) * (rows - 1))

    grid = [[" "] * columns for _ in range(rows)]
    owner = [[None] * columns for _ in range(rows)]
    for index, line in enumerate(series):
        points = [(col(x), row(y)) for x, y in zip(line.steps, line.values)]
        for (c0, r0), (c1, r1) in zip(points, points[1:]):
            for c in range(c0 + 1, c1):
                r = round(r0 + (r1 - r0) * (c - c0) / (c1 - c0))
                if grid[r][c] == " ":
                    grid[r][c], owner[r][c] = "·", index
        for c, r in points:
            grid[r][c], owner[r][c] = SYMBOLS[index % len(SYMBOLS)], index

    def paint(r: int, c: int) -> str:
        char = grid[r][c]
        if not color or owner[r][c] is None:
            return char
        return f"\033[{COLORS[owner[r][c] % len(COLORS)]}m{char}\033[0m"

    tick_rows = {row(t): label for t, label in zip(ticks, labels)}
    out = [chart.title[:width]]
    for r in range(rows):
        label = tick_rows.get(r, "")
        out.append(f"{label:>{margin - 1}} ┤" if label else " " * margin + "│")
        out[-1] += "".join(paint(r, c) for c in range(columns)).rstrip()
    axis = [" "] * columns
    under = [" "] * (columns + 4)
    for step in sorted({x for s in series for x in s.steps}):
        c = col(step)
        axis[c] = "┬"
        text = str(step)
        start = max(0, c - len(text) // 2)
        if all(ch == " " for ch in under[max(0, start - 1):start + len(text)]):
            under[start:start + len(text)] = text
    out.append(" " * margin + "└" + "".join(axis).replace(" ", "─"))
    steps_line = (" " * (margin + 1) + "".join(under)).rstrip()[:width]
    if len(steps_line) + 3 + len(chart.xlabel) <= width:
        out.append(steps_line + f"   {chart.xlabel}")
    else:
        out += [steps_line, chart.xlabel.rjust(width)]
    entries = [(f"{SYMBOLS[i % len(SYMBOLS)]} {s.label}", i) for i, s in enumerate(series)]
    line, shown = "", 0
    for text, i in entries:          # the legend, wrapped to the width
        if line and shown + 3 + len(text) > width:
            out.append(line)
            line, shown = "", 0
        symbol = text[0]
        if color:
            symbol = f"\033[{COLORS[i % len(COLORS)]}m{symbol}\033[0m"
        line += ("   " if line else "") + symbol + text[1:]
        shown += (3 if shown else 0) + len(text)
    out.append(line)
    return "\n".join(out) + "\n"
