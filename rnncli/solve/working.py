"""Trace -> the worked solution: each equation at each step as a chain of forms.

    s(1) = f(1)·s(0) + g(1)·σ(b + U·x(1))    the equation at the step
         = 0.5436·0 + 0.5769·σ(1 + 0.01·0.7)   numbers substituted
         = 0.5436·0 + 0.5769·σ(1.007)          arguments of the functions worked out
         = 0.5436·0 + 0.5769·0.7324            the functions' values, when inside
         = 0.4225                              the value

Numbers of the problem file (parameters, inputs, initial states) are marked
`given`, so that printers write them as written and round only computed ones.

The forms are expression trees; each output format prints them with its own
printer. Vectors and matrices are substituted while they are small; beyond
`MAX_SUBSTITUTED_ENTRIES` entries only the equation and the value are shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.language.expression import Call, Name, Node, Number, Value, names, transform, walk
from rnncli.solve.scalars import scalar_test  # noqa: F401 - where the printers found it
from rnncli.solve.trace import Trace, evaluate_node

MAX_SUBSTITUTED_ENTRIES = 9


# eq=False: holds numpy arrays, which field-wise == cannot compare (and hash
# always failed), so nothing compares worked equations; skipping the generated __eq__ and
# __hash__ makes the class cheaper to create at every start-up.
@dataclass(frozen=True, eq=False)
class WorkedEquation:
    """One equation at one step, from its symbols to its value, as a student writes it."""

    name: str
    t: int
    symbolic: Node              # the equation's right-hand side (names read at t, t-1, ...)
    substituted: Node | None    # numbers in place of names, or None when too large
    reduced: Node | None        # function arguments worked out, or None when not different
    value: object
    called: Node | None = None  # inner functions' values worked out, or None without any
    constant: bool = False      # no names: the value is the problem's own number (k = 0.25)


@dataclass(frozen=True, eq=False)      # holds arrays: as WorkedEquation
class WorkedStep:
    """The worked equations of one step."""

    t: int
    inputs: dict
    equations: tuple            # WorkedEquation, in evaluation order




def constant_quantities(cell) -> set:
    """Returns the quantities whose equation is a number (k: 0.25): the problem's own numbers."""
    return {e.name for e in cell.equations if not any(isinstance(n, Name) for n in walk(e.expr))}


def work_trace(trace: Trace, indices=None) -> tuple:
    """Returns the WorkedStep of every step of a trace (of the steps at `indices` if given)."""
    cell = trace.cell
    params = trace.parameters
    constants = constant_quantities(cell)
    lags = sorted({n.lag for e in cell.equations for n in names(e.expr) if n.lag})
    count = len(trace.steps)
    before = {**params, **trace.initial}
    rows = [{**params, **record.inputs, **record.values} for record in trace.steps]
    worked = []
    for index in range(count) if indices is None else indices:
        record = trace.steps[index]
        current = rows[index]
        lagged = {0: current}
        for k in lags:   # a backward direction reads t+1: a negative lag
            lagged[k] = rows[index - k] if 0 <= index - k < count else before
        given_names = set(params) | set(record.inputs) | constants

        def given(node, index=index):
            # The problem's own numbers: parameters, inputs, constant equations, and the
            # initial states a lagged read reaches before the first step (or after the last,
            # for a backward direction).
            return node.name in given_names or (node.lag != 0 and not 0 <= index - node.lag < count)

        equations = []
        for equation in cell.equations:
            equations.append(_work(equation.name, equation.expr, record.t, current, lagged,
                                   record.values[equation.name], given))
        worked.append(WorkedStep(record.t, record.inputs, tuple(equations)))
    return tuple(worked)


def _leaf_value(node, current, lagged):
    if isinstance(node, Name):
        return lagged[node.lag][node.name] if node.lag else current[node.name]
    return None


def _work(name, expr, t, current, lagged, value, given) -> WorkedEquation:
    leaves = [n for n in walk(expr) if isinstance(n, Name)]
    small = all(np.size(_leaf_value(n, current, lagged)) <= MAX_SUBSTITUTED_ENTRIES for n in leaves)
    substituted = reduced = None
    if small and leaves:
        substituted = transform(expr, lambda n: Value(_leaf_value(n, current, lagged), given(n))
                                if isinstance(n, Name) else None)
    reduced = _reduce_calls(expr, current, lagged, given)
    if reduced is not None and not small and not _all_small(reduced):
        reduced = None
    # With a matrix too large to write out, σ([0.1, 0.2, 0.3, 0.4]) still shows the
    # pre-activation a student checks, when it and everything else is small.
    called = _evaluate_calls(expr, current, lagged, given)
    if called is not None and not (small or _all_small(called)):
        called = None
    constant = not leaves
    return WorkedEquation(name, t, expr, substituted, reduced, value, called, constant)


def _all_small(node: Node) -> bool:
    return all(np.size(n.value) <= MAX_SUBSTITUTED_ENTRIES for n in walk(node)
               if isinstance(n, Value))


def _evaluate_calls(expr: Node, current: dict, lagged: list, given) -> Node | None:
    """Returns `expr` with numbers substituted and every outermost call replaced by its value.

    This is the form where a student writes σ(1.007) = 0.7324 before multiplying
    it; None when there is no call, or when the whole expression is one call (its
    value is the equation's value).
    """
    if isinstance(expr, Call) or not any(isinstance(n, Call) for n in walk(expr)):
        return None

    def leaf(node):
        if isinstance(node, Call):
            return Value(evaluate_node(node, current, lagged))
        if isinstance(node, Name):
            return Value(_leaf_value(node, current, lagged), given(node))
        return None

    return transform(expr, leaf)


def _reduce_calls(expr: Node, current: dict, lagged: list, given) -> Node | None:
    """Returns `expr` with numbers substituted and every outermost call's argument worked out."""
    found = []

    def leaf(node):
        if isinstance(node, Call):
            found.append(node)
            args = tuple(a if isinstance(a, Number) else Value(evaluate_node(a, current, lagged),
                                                              _is_given(a, given))
                         for a in node.args)
            return Call(node.function, args)
        if isinstance(node, Name):
            return Value(_leaf_value(node, current, lagged), given(node))
        return None

    reduced = transform(expr, leaf)
    # Nothing to work out when every call already had a bare number as its argument.
    if not found or all(isinstance(a, (Name, Number)) for c in found for a in c.args):
        return None
    return reduced



def _is_given(node: Node, given) -> bool:
    """Returns whether a call's argument is a bare number of the problem file."""
    return isinstance(node, Name) and given(node)
