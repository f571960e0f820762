"""Gradient questions (`grad.*`, `loss`) -> the backward working a solution sheet shows.

A student answering "give dL/ds(1) and dL/dW_f" writes the loss, then the
chain rule back from the last step only as far as those answers need: every
dL/dq(t) that the asked ones read (through the terms of the chain rule), and
for a parameter every dL/dq(t) its sum over the steps reads. The working
itself (symbols, numbers substituted, the value of each term) is
solve/gradient_working.py's, the same the `gradients` command prints.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.language.expression import Grad, walk
from rnncli.solve.gradient_working import (WorkedBackwardStep, initial_step, work_gradient, work_loss,
                                           work_param)
from rnncli.solve.gradients import Gradients


@dataclass(frozen=True)
class GradientWorking:
    result: Gradients
    losses: tuple       # (t, L(t) with the numbers substituted or None, L(t)) per counted step
    steps: tuple        # WorkedBackwardStep of the steps shown, last first; the initial states last
    params: tuple       # WorkedGradient of each parameter asked


def _reads(result: Gradients, name: str, t: int) -> set:
    """Returns the (quantity, step) pairs whose gradient the working of dL/dname(t) reads."""
    first = result.problem.time_start
    if not first <= t < first + len(result.steps):
        terms = [(t, part.term.symbolic) for reader, part in result.initial_parts.get(name, ())]
    else:
        terms = [(t, part.term.symbolic) for part in result.steps[t - first].parts.get(name, ())]
    return {(n.name, at - n.lag) for at, node in terms for n in walk(node) if isinstance(n, Grad)}


def needed_gradients(result: Gradients, asked: list, params: list) -> set:
    """Returns every (quantity, step) the asked dL/dq(t) and dL/dp read, and the asked ones."""
    stack = list(asked)
    steps = [s.t for s in result.steps]
    for p in params:
        for term in result.plan.params.get(p, ()):
            stack += [(n.name, t - n.lag) for t in steps for n in walk(term.symbolic)
                      if isinstance(n, Grad)]
    first, last = result.problem.time_start, result.problem.time_start + len(steps) - 1
    needed: set = set()
    while stack:
        item = stack.pop()
        name, t = item
        # Outside the steps only initial states, each at its own step (before the first, or
        # after the last for a backward direction), are worked: nothing reads further.
        outside = not first <= t <= last
        if item in needed or (outside and (name not in result.initial
                                           or t != initial_step(result, name))):
            continue
        needed.add(item)
        stack += _reads(result, name, t)
    return needed


def gradient_working(result: Gradients, refs) -> GradientWorking:
    """Returns the working of the asked `grad.*` and `loss` references, and what they read."""
    params = [r.name for r in refs if r.kind == "grad" and r.step is None]
    asked = [(r.name, r.step) for r in refs if r.kind == "grad" and r.step is not None]
    needed = needed_gradients(result, asked, params)
    order = [e.name for e in reversed(result.cell.equations)]
    first = result.problem.time_start
    times = sorted({t for _, t in needed}, reverse=True)
    steps = []
    for t in times:
        names = order if first <= t <= first + len(result.steps) - 1 else list(result.initial)
        steps.append(WorkedBackwardStep(t, tuple(work_gradient(result, q, t) for q in names
                                                 if (q, t) in needed)))
    return GradientWorking(result, work_loss(result), tuple(steps),
                           tuple(work_param(result, p) for p in params))


def every_gradient(result: Gradients) -> list:
    """Returns the references of everything back-propagation computes: the loss, dL/dq(t) of
    every quantity at every step and of the initial states, and every parameter's gradient."""
    from rnncli.solve.references import Reference

    refs = [Reference("loss", "loss")]
    refs += [Reference("grad", q, s.t) for s in result.steps for q in result.cell.quantities]
    refs += [Reference("grad", q, result.problem.time_start - 1) for q in result.initial]
    return refs + [Reference("grad", p) for p in result.plan.trainable]
