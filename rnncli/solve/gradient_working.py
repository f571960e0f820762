"""Gradients -> the worked backward pass: each dL/dq(t) as a chain of forms.

    ∂L/∂s(1) = ∂L/∂h(1)·q(1)·(1 − tanh(s(1))^2) + ∂L/∂s(2)·f(2)     the chain rule, in symbols
             = 0.3·0.6·(1 − tanh(0.42)^2) + 0.1·0.5                  numbers substituted
             = 0.1512 + 0.05                                         each term's value
             = 0.2012                                                the value

The forms are expression trees (printed by each format's printer); vectors and
matrices are substituted only while small, as in the forward working.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.language.derivatives import add
from rnncli.language.expression import Grad, Name, Node, Value, transform, walk
from rnncli.solve.gradients import Gradients
from rnncli.solve.working import MAX_SUBSTITUTED_ENTRIES


@dataclass(frozen=True)
class WorkedGradient:
    name: str                   # the quantity or parameter
    t: int | None               # its step (None for a parameter)
    symbolic: Node | None       # the chain-rule sum (None: nothing reads it)
    substituted: Node | None    # numbers in place of names, when small
    terms: Node | None          # the value of each term, when more than one
    value: object


@dataclass(frozen=True)
class WorkedBackwardStep:
    t: int
    gradients: tuple            # WorkedGradient, from the last equation to the first


def _lookup(result: Gradients, name: str, t: int):
    problem = result.problem
    if name in problem.params:
        return problem.params[name]
    if t < problem.time_start:
        return result.trace.initial[name]
    return result.trace.value(name, t)


def _substitute(result: Gradients, node: Node, t: int) -> Node | None:
    """Returns `node` (written at step t) with every name's value in place, or None if large."""
    leaves = [n for n in walk(node) if isinstance(n, (Name, Grad))]

    def value(n):
        if isinstance(n, Grad):
            return result.grad(n.name, t - n.lag)
        return _lookup(result, n.name, t - n.lag)

    if any(np.size(value(n)) > MAX_SUBSTITUTED_ENTRIES for n in leaves):
        return None
    return transform(node, lambda n: Value(value(n)) if isinstance(n, (Name, Grad)) else None)


def _sum(nodes) -> Node | None:
    total = None
    for node in nodes:
        total = add(total, node)
    return total


def _small(value) -> bool:
    return np.size(value) <= MAX_SUBSTITUTED_ENTRIES


def work_parts(result: Gradients, name: str, t: int | None, parts, value) -> WorkedGradient:
    """Returns the forms of dL/dq(t) from its terms, each a (step, Part) written in q's frame."""
    if not parts:
        return WorkedGradient(name, t, None, None, None, value)
    symbolic = _sum(part.term.symbolic for _, part in parts)
    substituted = None
    if _small(value):
        pieces = [_substitute(result, part.term.symbolic, at) for at, part in parts]
        if all(p is not None for p in pieces):
            substituted = _sum(pieces)
    terms = _sum(Value(part.value) for _, part in parts) if len(parts) > 1 and _small(value) else None
    return WorkedGradient(name, t, symbolic, substituted, terms, value)


def work_param(result: Gradients, name: str) -> WorkedGradient:
    """Returns dL/dp as the sum over steps of its terms: symbols (at step t), then per step."""
    terms = result.plan.params.get(name, ())
    value = result.params[name]
    if not terms:
        return WorkedGradient(name, None, None, None, None, value)
    symbolic = _sum(term.symbolic for term in terms)
    contributions = result.param_parts.get(name, ())
    substituted = per_step = None
    if contributions and len(contributions) <= MAX_WORKED_STEPS:
        pieces = [_substitute(result, symbolic, t) for t, _ in contributions]
        if all(p is not None for p in pieces):
            substituted = _sum(pieces)
        if len(contributions) > 1:
            per_step = _sum(Value(v) for _, v in contributions)
    return WorkedGradient(name, None, symbolic, substituted, per_step, value)


# A parameter's sum over steps is written out term by term up to this many steps.
MAX_WORKED_STEPS = 6


def work_steps(result: Gradients) -> tuple:
    """Returns the WorkedBackwardStep of every step, from the last to the first."""
    worked = []
    order = [e.name for e in reversed(result.cell.equations)]
    for step in reversed(result.steps):
        gradients = tuple(work_parts(result, q, step.t, [(step.t, p) for p in step.parts.get(q, ())],
                                     step.grads[q]) for q in order)
        worked.append(WorkedBackwardStep(step.t, gradients))
    return tuple(worked)


def work_groups(result: Gradients) -> list:
    """Returns [(title or None, [WorkedBackwardStep])] in the order the backward pass runs.

    A lone cell is one group, from the last step to the first. A network goes
    block by block from the top down, each layer and direction alone: a forward
    one from its last step to its first, a backward one from its first step to
    its last (its gradients flow forward in time).
    """
    if not result.cell.blocks:
        return [(None, list(work_steps(result)))]
    order = [e.name for e in reversed(result.cell.equations)]
    groups = []
    for block in reversed(result.cell.schedule):
        names = [q for q in order if q in block.names]
        steps = list(reversed(result.steps)) if block.direction == "forward" else list(result.steps)
        worked = [WorkedBackwardStep(step.t, tuple(
            work_parts(result, q, step.t, [(step.t, p) for p in step.parts.get(q, ())],
                       step.grads[q]) for q in names)) for step in steps]
        title = block.title[:1].upper() + block.title[1:]
        title += (" (back from the first step to the last: it read t+1)"
                  if block.direction == "reverse" else " (back from the last step)")
        groups.append((title, worked))
    return groups


def initial_step(result: Gradients, q: str) -> int:
    """Returns the step a state's initial value sits at: before the first step, or after the
    last for a backward direction of a network (it reads t+1)."""
    first = result.problem.time_start
    for block in result.cell.blocks:
        if block.direction == "reverse" and q in block.names:
            return first + len(result.steps)
    return first - 1


def work_initial(result: Gradients) -> tuple:
    """Returns the worked gradients of the initial states (read at t-1 by the first step, or at
    t+1 by a backward direction's last)."""
    out = []
    for q, value in result.initial.items():
        parts = [(reader, part) for reader, part in result.initial_parts.get(q, ())]
        out.append(_initial(result, q, initial_step(result, q), parts, value))
    return tuple(out)


def _initial(result, q, t, parts, value) -> WorkedGradient:
    # Every term of an initial state is written at its reader's step, shifted to t.
    shifted = [(t, part) for reader, part in parts if reader - part.term.shift == t]
    if len(shifted) != len(parts):     # reads further back than t-1 (h[t-2]): values only
        return WorkedGradient(q, t, None, None, None, value)
    return work_parts(result, q, t, shifted, value)


def work_gradient(result: Gradients, name: str, t: int) -> WorkedGradient:
    """Returns the worked dL/dq(t) of one quantity at one step (an initial state before the first)."""
    first = result.problem.time_start
    if not first <= t < first + len(result.steps):
        return _initial(result, name, t, result.initial_parts.get(name, ()), result.initial[name])
    step = result.steps[t - first]
    return work_parts(result, name, t, [(t, p) for p in step.parts.get(name, ())],
                      step.grads[name])


def work_loss(result: Gradients) -> tuple:
    """Returns (t, the loss at t with the numbers substituted or None when large, L(t)) per
    counted step."""
    expr = result.plan.loss.expr
    return tuple((t, _substitute(result, expr, t), value) for t, value in result.losses)
