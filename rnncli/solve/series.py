"""Trace -> `Series`: plain (step, value) lines, one per component, for every plot and chart.

Plots take plain series rather than a trace so that other results (the norms
of gradients against t, of Jacobians against k) can be drawn by the same code.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable


@dataclass(frozen=True)
class Series:
    label: str          # `h` for a scalar, `h_2` for the second component of a vector
    steps: tuple        # x values (ints: steps)
    values: tuple       # y values (floats)


@dataclass(frozen=True)
class Chart(Displayable):
    """What one plot shows: its title, axis labels and lines."""

    title: str
    series: tuple       # Series
    xlabel: str = "step t"
    ylabel: str = "value"
    log: bool = False   # a log scale on the y axis


def trace_series(trace, quantities=None) -> tuple:
    """Returns a Series per component of each quantity (default: every equation's quantity)."""
    import numpy as np

    names = list(quantities) if quantities else list(trace.cell.quantities)
    steps = tuple(step.t for step in trace.steps)
    out = []
    for name in names:
        values = np.array([np.ravel(np.asarray(trace.value(name, t), dtype=float))
                           for t in steps])
        if values.shape[1] == 1:
            out.append(Series(name, steps, tuple(float(v) for v in values[:, 0])))
        else:
            out += [Series(f"{name}_{i + 1}", steps, tuple(float(v) for v in values[:, i]))
                    for i in range(values.shape[1])]
    return tuple(out)


def trace_chart(trace, quantities=None) -> Chart:
    """Returns the chart of a trace: the problem's title, a line per component."""
    title = " ".join((trace.problem.title or "Forward pass").split())
    return Chart(title, trace_series(trace, quantities))
