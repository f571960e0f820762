"""Cell + numbers -> `Trace`: every quantity at every step, in float64.

Each equation is compiled once into a tree of closures (no Python source is
generated or executed) whose names and parameters are read in place, not
called; a step then costs the numpy operations and little else (a Python call
per operation, where a first version made four: 45 calls a step of an LSTM
instead of 167).
Floating-point trouble (an overflow in `exp`, `log` of a negative number) is an
error naming the equation and the step, never a silent inf or NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
import numpy as np

from rnncli.cells.cell import Cell, equation_line
from rnncli.errors import EquationError
from rnncli.language.expression import (BinOp, Broadcast, Call, Concat, Grad, Name, Neg, Node,
                                        Number, Outer, Part, Step, Transpose, Value, names)
from rnncli.language.functions import FUNCTIONS
from rnncli.files.problem import Problem


# eq=False: holds numpy arrays, which field-wise == cannot compare (and hash
# always failed), so nothing compares steps; skipping the generated __eq__ and
# __hash__ makes the class cheaper to create at every start-up.
@dataclass(frozen=True, eq=False)
class StepRecord:
    """The inputs and the computed quantities of one step."""

    t: int
    inputs: dict        # input name -> value at this step
    values: dict        # quantity name -> value at this step


@dataclass(frozen=True, eq=False)      # holds arrays: as StepRecord
class Trace(Displayable):
    """A forward pass: the problem, its cell, the initial values and every step."""

    problem: Problem
    cell: Cell
    initial: dict       # name -> value before the first step (a backward direction's: after the last)
    steps: tuple        # StepRecord, in time order
    params: dict | None = None   # the numbers used, packed tensors cut; None: the problem's own
    splits: tuple = ()           # cells.packed.Split: how packed tensors were cut

    @property
    def parameters(self) -> dict:
        """Returns every parameter's value as the equations name it."""
        return self.problem.params if self.params is None else self.params

    def value(self, name: str, t: int):
        """Returns a quantity or input at step t (initial values before the first step)."""
        first = self.problem.time_start
        if t < first or t >= first + len(self.steps):
            return self.initial[name]
        record = self.steps[t - first]
        return record.values[name] if name in record.values else record.inputs[name]


def _matmul(a, b):
    # `@` with a scalar is scalar multiplication, so scalar exercises share the cells'
    # equations; against a matrix of inner size 1 the scalar is a vector of one entry
    # (shapes.Inference.matmul infers the same).
    if type(a) in _ARRAY_TYPES and type(b) in _ARRAY_TYPES:
        # The common cases, decided from two attributes (np.ndim costs a dispatch per call,
        # several per product, at every step): neither a scalar nor a stack of vectors;
        # two numbers (scalar exercises, and grading's recomputations of them).
        ndim_a, ndim_b = a.ndim, b.ndim
        if ndim_a and ndim_b and (ndim_a != 2 or ndim_b < 3):
            return a @ b
        if not ndim_a and not ndim_b:
            return a * b
    if np.ndim(b) == 0 and np.ndim(a) == 2 and np.shape(a)[1] == 1:
        return a[:, 0] * b
    if np.ndim(a) == 0 and np.ndim(b) == 2 and np.shape(b)[0] == 1:
        return a * b[0]
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    if np.ndim(a) == 2 and np.ndim(b) >= 3:
        # W @ v for a stack of row vectors v (L, 1, n), as `jacobian` evaluates every
        # step side by side: each v's product is v Wᵀ.
        return b @ np.transpose(a)
    return a @ b


_ARRAY_TYPES = (np.ndarray, np.float64)
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "@": _matmul,
           "**": np.power}


def compile_expression(node: Node, constants: dict | None = None):
    """Returns f(current, lagged) computing `node`.

    `constants` maps parameter names to their values, bound once at compile
    time; `current` maps names to values at step t; `lagged[k]` maps names to
    values at t-k.
    """
    return _function(_compile(node, constants or {}))


# A compiled node is a leaf, read where it is used without a call of its own, or a
# function: (CONSTANT, value), (CURRENT, name), (LAGGED, (lag, name)) or (FUNCTION, f).
# Every closure below makes the numpy calls of the plain tree `op(left, right)`,
# `function(argument)`, ... in the same order on the same values, so the numbers are
# the same bits; leaves only save a Python call per name or parameter per step.
CONSTANT, CURRENT, LAGGED, FUNCTION = range(4)


def _function(compiled):
    """Returns f(current, lagged) of a compiled node."""
    kind, payload = compiled
    if kind == FUNCTION:
        return payload
    if kind == CONSTANT:
        return lambda current, lagged: payload
    if kind == CURRENT:
        return lambda current, lagged: current[payload]
    lag, name = payload
    return lambda current, lagged: lagged[lag][name]


def _compile(node: Node, constants: dict):
    """Returns a node compiled to a leaf or a function (see CONSTANT ... FUNCTION)."""
    if isinstance(node, Number):
        return CONSTANT, np.float64(node.value)
    if isinstance(node, Value):
        return CONSTANT, np.asarray(node.value, dtype=float)
    if isinstance(node, Name):
        if node.name in constants:
            return CONSTANT, constants[node.name]
        return (CURRENT, node.name) if node.lag == 0 else (LAGGED, (node.lag, node.name))
    if isinstance(node, Grad):
        key = GRAD_PREFIX + node.name
        return (CURRENT, key) if node.lag == 0 else (LAGGED, (node.lag, key))
    if isinstance(node, BinOp):
        return FUNCTION, _binary(_BINARY[node.op], _compile(node.left, constants),
                                 _compile(node.right, constants))
    if isinstance(node, Call):
        function = FUNCTIONS[node.function].evaluate
        kind, argument = _compile(node.args[0], constants)
        if kind == CURRENT:
            return FUNCTION, lambda current, lagged: function(current[argument])
        argument = _function((kind, argument))
        return FUNCTION, lambda current, lagged: function(argument(current, lagged))
    compile_child = lambda child: _function(_compile(child, constants))  # noqa: E731
    if isinstance(node, Neg):
        operand = compile_child(node.operand)
        return FUNCTION, lambda current, lagged: -operand(current, lagged)
    if isinstance(node, Concat):
        items = [compile_child(i) for i in node.items]
        return FUNCTION, lambda current, lagged: np.concatenate(
            [np.atleast_1d(item(current, lagged)) for item in items])
    if isinstance(node, Transpose):
        operand = compile_child(node.operand)
        return FUNCTION, lambda current, lagged: np.transpose(operand(current, lagged))
    if isinstance(node, Outer):
        left, right = compile_child(node.left), compile_child(node.right)
        return FUNCTION, lambda current, lagged: np.outer(left(current, lagged),
                                                          right(current, lagged))
    if isinstance(node, Part):
        operand, start, stop = compile_child(node.operand), node.start, node.stop
        if node.scalar:
            return FUNCTION, lambda current, lagged: operand(current, lagged)[..., start]
        return FUNCTION, lambda current, lagged: operand(current, lagged)[..., start:stop]
    if isinstance(node, Broadcast):
        operand, shape = compile_child(node.operand), node.shape
        return FUNCTION, lambda current, lagged: np.broadcast_to(operand(current, lagged), shape)
    if isinstance(node, Step):
        raise EquationError(f"a fixed step `{node.name}[{node.step}]` cannot be evaluated inside "
                            "a cell", equation=None)
    raise TypeError(node)


def _binary(op, left, right):
    """Returns f(current, lagged) = op(left, right), reading leaf operands in place."""
    (left_kind, a), (right_kind, b) = left, right
    if left_kind == CONSTANT:
        if right_kind == CURRENT:
            return lambda current, lagged: op(a, current[b])
        if right_kind == LAGGED:
            lag, name = b
            return lambda current, lagged: op(a, lagged[lag][name])
        if right_kind == FUNCTION:
            return lambda current, lagged: op(a, b(current, lagged))
    elif left_kind == CURRENT:
        if right_kind == CURRENT:
            return lambda current, lagged: op(current[a], current[b])
        if right_kind == LAGGED:
            lag, name = b
            return lambda current, lagged: op(current[a], lagged[lag][name])
        if right_kind == FUNCTION:
            return lambda current, lagged: op(current[a], b(current, lagged))
        return lambda current, lagged: op(current[a], b)
    elif left_kind == FUNCTION:
        if right_kind == CONSTANT:
            return lambda current, lagged: op(a(current, lagged), b)
        if right_kind == CURRENT:
            return lambda current, lagged: op(a(current, lagged), current[b])
        if right_kind == FUNCTION:
            return lambda current, lagged: op(a(current, lagged), b(current, lagged))
    left, right = _function(left), _function(right)
    return lambda current, lagged: op(left(current, lagged), right(current, lagged))


# Where a backward pass keeps dL/dq among the values of a step: `∂h` cannot clash
# with a name of the language.
GRAD_PREFIX = "∂"


def evaluate_node(node: Node, current: dict, lagged: list | None = None):
    """Returns the value of one expression given the values it reads (for printers and grading)."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        return compile_expression(node)(current, lagged or {0: current})


def initial_values(problem: Problem, cell: Cell) -> dict:
    """Returns the value of every lagged quantity before the first step (default zeros).

    A teacher-forced quantity's input takes the quantity's own initial value.
    """
    forced = {target: name for name, target in problem.teacher_forcing.items()}
    values = {}
    for name in cell.states:
        own = forced.get(name, name)
        values[name] = problem.initial.get(own, np.zeros(cell.shapes[name]))
    return values


def run_trace(problem: Problem, cell: Cell | None = None, overrides: dict | None = None) -> Trace:
    """Returns the forward pass of a problem: every quantity at every step.

    A stacked or bidirectional network runs block by block (`Cell.schedule`):
    each layer and direction through all its steps, a backward direction from
    the last step to the first. `overrides` maps (name, t) to a value that
    replaces the computed one (used by grading to recompute from a student's
    own earlier answers).
    """
    from rnncli.cells.network import effective_problem, network_cell

    if cell is None:
        cell, effective = network_cell(problem)
    else:
        effective = effective_problem(problem)
    params = effective.problem.params
    initial = initial_values(effective.problem, cell)
    first = problem.time_start
    n_steps = problem.n_steps
    inputs = problem.inputs
    rows = [{name: inputs[name][index] for name in cell.inputs} for index in range(n_steps)]
    step_inputs = [dict(row) for row in rows]
    overrides = overrides or {}
    overridden = {name for name, _ in overrides}
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for block in cell.schedule:
            equations = [cell.equation(name) for name in block.names]
            compiled = [(e.name, compile_expression(e.expr, params)) for e in equations]
            lags = sorted({n.lag for e in equations for n in names(e.expr) if n.lag})
            order = range(n_steps) if block.direction == "forward" else range(n_steps - 1, -1, -1)
            # The same evaluation, with the override lookup only where grading replaces
            # something of this block: a step then costs its numpy calls and little else.
            replaced = overridden.intersection(block.names)
            index, name = 0, ""
            try:
                for index in order:
                    current = rows[index]
                    lagged = {0: current}
                    for k in lags:
                        j = index - k
                        lagged[k] = rows[j] if 0 <= j < n_steps else initial
                    if not replaced:
                        for name, function in compiled:
                            current[name] = function(current, lagged)
                        continue
                    for name, function in compiled:
                        key = (name, first + index)
                        current[name] = (overrides[key] if key in overrides
                                         else function(current, lagged))
            except FloatingPointError as exc:
                t = first + index
                raise EquationError(
                    f"equation `{name}` at step {t}: {_float_problem(exc)}",
                    file=problem.file, line=equation_line(problem, cell.equation(name))) from None
    quantities = cell.quantities
    steps = tuple(StepRecord(first + index, step_inputs[index],
                             {name: rows[index][name] for name in quantities})
                  for index in range(n_steps))
    return Trace(problem, cell, initial, steps,
                 None if effective.problem.params is problem.params else params, effective.splits)


def _float_problem(exc: FloatingPointError) -> str:
    text = str(exc)   # numpy's "<what> encountered in <function>"
    if "overflow" in text:
        return "the numbers overflow float64 (a value beyond 1.8e308)"
    if "divide by zero" in text:
        return "the log of 0" if text.endswith(" log") else "division by zero"
    return "an invalid operation (such as the log of a negative number, or 0/0)"
