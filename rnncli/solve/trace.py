"""Cell + numbers -> `Trace`: every quantity at every step, in float64.

Each equation is compiled once into a tree of closures (no Python source is
generated or executed); a step then costs the numpy operations and little else.
Floating-point trouble (an overflow in `exp`, `log` of a negative number) is an
error naming the equation and the step, never a silent inf or NaN.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
import numpy as np

from rnncli.cells.cell import Cell, equation_line
from rnncli.cells.build import build_cell
from rnncli.errors import EquationError, ProblemError
from rnncli.language.expression import (BinOp, Broadcast, Call, Concat, Grad, Name, Neg, Node,
                                       Number, Outer, Part, Step, Transpose, Value)
from rnncli.language.functions import FUNCTIONS
from rnncli.files.problem import Problem


@dataclass(frozen=True)
class StepRecord:
    t: int
    inputs: dict        # input name -> value at this step
    values: dict        # quantity name -> value at this step


@dataclass(frozen=True)
class Trace(Displayable):
    problem: Problem
    cell: Cell
    initial: dict       # name -> value at every step before the first
    steps: tuple        # StepRecord, in time order

    def value(self, name: str, t: int):
        """Returns a quantity or input at step t (initial values before the first step)."""
        first = self.problem.time_start
        if t < first:
            return self.initial[name]
        record = self.steps[t - first]
        return record.values[name] if name in record.values else record.inputs[name]


def _matmul(a, b):
    # `@` with a scalar is scalar multiplication, so scalar exercises share the cells'
    # equations; against a matrix of inner size 1 the scalar is a vector of one entry
    # (shapes.Inference.matmul infers the same).
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


_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "@": _matmul,
           "**": np.power}


def compile_expression(node: Node, constants: dict | None = None):
    """Returns f(current, lagged) computing `node`.

    `constants` maps parameter names to their values, bound once at compile
    time; `current` maps names to values at step t; `lagged[k]` maps names to
    values at t-k.
    """
    constants = constants or {}
    compile_child = lambda child: compile_expression(child, constants)  # noqa: E731
    if isinstance(node, Number):
        constant = np.float64(node.value)
        return lambda current, lagged: constant
    if isinstance(node, Value):
        constant = np.asarray(node.value, dtype=float)
        return lambda current, lagged: constant
    if isinstance(node, Name):
        name, lag = node.name, node.lag
        if name in constants:
            constant = constants[name]
            return lambda current, lagged: constant
        if lag == 0:
            return lambda current, lagged: current[name]
        return lambda current, lagged: lagged[lag][name]
    if isinstance(node, BinOp):
        op = _BINARY[node.op]
        left, right = compile_child(node.left), compile_child(node.right)
        return lambda current, lagged: op(left(current, lagged), right(current, lagged))
    if isinstance(node, Neg):
        operand = compile_child(node.operand)
        return lambda current, lagged: -operand(current, lagged)
    if isinstance(node, Call):
        function = FUNCTIONS[node.function].evaluate
        argument = compile_child(node.args[0])
        return lambda current, lagged: function(argument(current, lagged))
    if isinstance(node, Concat):
        items = [compile_child(i) for i in node.items]
        return lambda current, lagged: np.concatenate(
            [np.atleast_1d(item(current, lagged)) for item in items])
    if isinstance(node, Grad):
        key, lag = GRAD_PREFIX + node.name, node.lag
        if lag == 0:
            return lambda current, lagged: current[key]
        return lambda current, lagged: lagged[lag][key]
    if isinstance(node, Transpose):
        operand = compile_child(node.operand)
        return lambda current, lagged: np.transpose(operand(current, lagged))
    if isinstance(node, Outer):
        left, right = compile_child(node.left), compile_child(node.right)
        return lambda current, lagged: np.outer(left(current, lagged), right(current, lagged))
    if isinstance(node, Part):
        operand, start, stop = compile_child(node.operand), node.start, node.stop
        if node.scalar:
            return lambda current, lagged: operand(current, lagged)[..., start]
        return lambda current, lagged: operand(current, lagged)[..., start:stop]
    if isinstance(node, Broadcast):
        operand, shape = compile_child(node.operand), node.shape
        return lambda current, lagged: np.broadcast_to(operand(current, lagged), shape)
    if isinstance(node, Step):
        raise EquationError(f"a fixed step `{node.name}[{node.step}]` cannot be evaluated inside "
                            "a cell", equation=None)
    raise TypeError(node)


# Where a backward pass keeps dL/dq among the values of a step: `∂h` cannot clash
# with a name of the language.
GRAD_PREFIX = "∂"


def evaluate_node(node: Node, current: dict, lagged: list | None = None):
    """Returns the value of one expression given the values it reads (for printers and grading)."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        return compile_expression(node)(current, lagged or [current])


def initial_values(problem: Problem, cell: Cell) -> dict:
    """Returns the value of every lagged quantity before the first step (default zeros)."""
    return {name: problem.initial.get(name, np.zeros(cell.shapes[name]))
            for name in cell.states}


def run_trace(problem: Problem, cell: Cell | None = None, overrides: dict | None = None) -> Trace:
    """Returns the forward pass of a problem: every quantity at every step.

    `overrides` maps (name, t) to a value that replaces the computed one (used
    by grading to recompute from a student's own earlier answers).
    """
    if problem.layers > 1 or problem.bidirectional or problem.proj_size:
        key = "layers" if problem.layers > 1 else "bidirectional" if problem.bidirectional else "proj_size"
        raise ProblemError(f"`{key}`: traces run one layer in one direction; stacked, "
                           "bidirectional and projected networks are counted by count-params",
                           file=problem.file, line=problem.line(key))
    cell = cell or build_cell(problem)
    compiled = [(e, compile_expression(e.expr, problem.params)) for e in cell.equations]
    initial = initial_values(problem, cell)
    max_lag = max(cell.states.values(), default=0)
    first = problem.time_start
    n_steps = problem.n_steps
    inputs = problem.inputs
    history: list[dict] = []
    steps = []
    overrides = overrides or {}
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for index in range(n_steps):
            t = first + index
            step_inputs = {name: inputs[name][index] for name in cell.inputs}
            current = dict(step_inputs)
            lagged = [current] + [history[index - k] if index - k >= 0 else initial
                                  for k in range(1, max_lag + 1)]
            for equation, function in compiled:
                key = (equation.name, t)
                if key in overrides:
                    current[equation.name] = overrides[key]
                    continue
                try:
                    current[equation.name] = function(current, lagged)
                except FloatingPointError as exc:
                    raise EquationError(
                        f"equation `{equation.name}` at step {t}: {_float_problem(exc)}",
                        file=problem.file, line=equation_line(problem, equation)) from None
            history.append(current)
            steps.append(StepRecord(t, step_inputs,
                                    {e.name: current[e.name] for e, _ in compiled}))
    return Trace(problem, cell, initial, tuple(steps))


def _float_problem(exc: FloatingPointError) -> str:
    text = str(exc)   # numpy's "<what> encountered in <function>"
    if "overflow" in text:
        return "the numbers overflow float64 (a value beyond 1.8e308)"
    if "divide by zero" in text:
        return "the log of 0" if text.endswith(" log") else "division by zero"
    return "an invalid operation (such as the log of a negative number, or 0/0)"
