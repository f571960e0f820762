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


def gradient_chart(result) -> Chart:
    """Returns the chart of back-propagation through time: ‖dL/dq(t)‖ against t, a line per quantity."""
    import numpy as np

    steps = tuple(step.t for step in result.steps)
    names = [q for q in result.cell.quantities if all(q in s.grads for s in result.steps)]
    series = tuple(Series(f"‖dL/d{q}‖", steps,
                          tuple(float(np.linalg.norm(np.ravel(s.grads[q]))) for s in result.steps))
                   for q in names)
    title = " ".join((result.problem.title or "Gradients").split())
    return Chart(title, series, ylabel="norm of dL/dq(t)")


def jacobian_chart(result) -> Chart:
    """Returns the chart of how a state carries gradients back: ‖dq(T)/dq(k)‖ against k, log scale."""
    back = sorted(result.back, key=lambda b: b.k)
    series = (Series(f"‖d{result.of}({result.to})/d{result.of}(k)‖", tuple(b.k for b in back),
                     tuple(float(b.norm) for b in back)),)
    title = " ".join((result.problem.title or "Jacobians").split())
    return Chart(title, series, xlabel="step k", ylabel="norm (spectral for matrices)", log=True)
