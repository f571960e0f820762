"""Trace -> the worked solution: each equation at each step as a chain of forms.

    f(1) = σ(U_f·x(1) + W_f·h(0) + b_f)      the equation at the step
         = σ(0.25·0.7 + 0.3·0 + 0)            numbers substituted
         = σ(0.175)                           arguments of the functions worked out
         = 0.5436                             the value

The forms are expression trees; each output format prints them with its own
printer. Vectors and matrices are substituted while they are small; beyond
`MAX_SUBSTITUTED_ENTRIES` entries only the equation and the value are shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.language.expression import Call, Name, Node, Number, Value, transform, walk
from rnncli.solve.scalars import scalar_test  # noqa: F401 - where the printers found it
from rnncli.solve.trace import Trace, evaluate_node

MAX_SUBSTITUTED_ENTRIES = 9


@dataclass(frozen=True)
class WorkedEquation:
    name: str
    t: int
    symbolic: Node              # the equation's right-hand side (names read at t, t-1, ...)
    substituted: Node | None    # numbers in place of names, or None when too large
    reduced: Node | None        # function arguments worked out, or None when not different
    value: object


@dataclass(frozen=True)
class WorkedStep:
    t: int
    inputs: dict
    equations: tuple            # WorkedEquation, in evaluation order




def work_trace(trace: Trace) -> tuple:
    """Returns the WorkedStep of every step of a trace."""
    problem, cell = trace.problem, trace.cell
    params = problem.params
    max_lag = max(cell.states.values(), default=0)
    worked = []
    for index, record in enumerate(trace.steps):
        current = {**params, **record.inputs, **record.values}
        lagged = [current] + [
            {**params, **(trace.steps[index - k].inputs), **(trace.steps[index - k].values)}
            if index - k >= 0 else {**params, **trace.initial}
            for k in range(1, max_lag + 1)]
        equations = []
        for equation in cell.equations:
            equations.append(_work(equation.name, equation.expr, record.t, current, lagged,
                                   record.values[equation.name]))
        worked.append(WorkedStep(record.t, record.inputs, tuple(equations)))
    return tuple(worked)


def _leaf_value(node, current, lagged):
    if isinstance(node, Name):
        return lagged[node.lag][node.name] if node.lag else current[node.name]
    return None


def _work(name, expr, t, current, lagged, value) -> WorkedEquation:
    leaves = [n for n in walk(expr) if isinstance(n, Name)]
    small = all(np.size(_leaf_value(n, current, lagged)) <= MAX_SUBSTITUTED_ENTRIES for n in leaves)
    substituted = reduced = None
    if small and leaves:
        substituted = transform(expr, lambda n: Value(_leaf_value(n, current, lagged))
                                if isinstance(n, Name) else None)
    reduced = _reduce_calls(expr, current, lagged)
    if reduced is not None and not small and not _all_small(reduced):
        reduced = None
    # With a matrix too large to write out, σ([0.1, 0.2, 0.3, 0.4]) still shows the
    # pre-activation a student checks, when it and everything else is small.
    return WorkedEquation(name, t, expr, substituted, reduced, value)


def _all_small(node: Node) -> bool:
    return all(np.size(n.value) <= MAX_SUBSTITUTED_ENTRIES for n in walk(node)
               if isinstance(n, Value))


def _reduce_calls(expr: Node, current: dict, lagged: list) -> Node | None:
    """Returns `expr` with numbers substituted and every outermost call's argument worked out."""
    found = []

    def leaf(node):
        if isinstance(node, Call):
            found.append(node)
            args = tuple(Value(evaluate_node(a, current, lagged)) for a in node.args)
            return Call(node.function, args)
        if isinstance(node, Name):
            return Value(_leaf_value(node, current, lagged))
        return None

    reduced = transform(expr, leaf)
    # Nothing to work out when every call already had a bare number as its argument.
    if not found or all(isinstance(a, (Name, Number)) for c in found for a in c.args):
        return None
    return reduced

