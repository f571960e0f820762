"""The lean evaluator of `run_trace` against the plain one it replaced: the same bits.

`rnncli.solve.trace` compiles an equation into closures that read names and
parameters in place (no call per leaf), decides `@` from two attributes in the
common case and skips the override lookup where nothing is overridden. The
plain evaluator below is the code it replaced, kept here as the oracle: a
closure per node, `np.ndim` for every product, an override lookup per
equation and step. Both must give every quantity at every step bit for bit,
or the same error, on random equations, built-in cells with random numbers,
every shipped problem (stacked, bidirectional, teacher-forced), `--set`
changes and grading's overrides.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problem_text import value_text
from reference_cells import INPUT, REFERENCE, random_params
from rnncli.cells.cell import equation_line
from rnncli.errors import EquationError, RnncliError
from rnncli.files.changes import apply_changes, parse_set_option, parse_teacher_forcing_option
from rnncli.files.problem import load_problem, parse_problem
from rnncli.language.expression import (BinOp, Broadcast, Call, Concat, Grad, Name, Neg, Number,
                                        Outer, Part, Step, Transpose, Value, names)
from rnncli.language.functions import FUNCTIONS
from rnncli.solve import trace as lean
from rnncli.solve.trace import GRAD_PREFIX, initial_values, run_trace
from test_properties import expressions

SETTINGS = settings(max_examples=int(__import__("os").environ.get("RNNCLI_EXAMPLES", "150")),
                    deadline=None)
PROBLEMS = sorted((Path(__file__).resolve().parents[1] / "problems").glob("*.yaml"))


# --- the plain evaluator (the code the lean one replaced) ----------------------------------

def plain_matmul(a, b):
    if np.ndim(b) == 0 and np.ndim(a) == 2 and np.shape(a)[1] == 1:
        return a[:, 0] * b
    if np.ndim(a) == 0 and np.ndim(b) == 2 and np.shape(b)[0] == 1:
        return a * b[0]
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    if np.ndim(a) == 2 and np.ndim(b) >= 3:
        return b @ np.transpose(a)
    return a @ b


PLAIN_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
                "@": plain_matmul, "**": np.power}


def plain_compile(node, constants):
    child = lambda c: plain_compile(c, constants)  # noqa: E731
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
        op, left, right = PLAIN_BINARY[node.op], child(node.left), child(node.right)
        return lambda current, lagged: op(left(current, lagged), right(current, lagged))
    if isinstance(node, Neg):
        operand = child(node.operand)
        return lambda current, lagged: -operand(current, lagged)
    if isinstance(node, Call):
        function, argument = FUNCTIONS[node.function].evaluate, child(node.args[0])
        return lambda current, lagged: function(argument(current, lagged))
    if isinstance(node, Concat):
        items = [child(i) for i in node.items]
        return lambda current, lagged: np.concatenate(
            [np.atleast_1d(item(current, lagged)) for item in items])
    if isinstance(node, Grad):
        key, lag = GRAD_PREFIX + node.name, node.lag
        if lag == 0:
            return lambda current, lagged: current[key]
        return lambda current, lagged: lagged[lag][key]
    if isinstance(node, Transpose):
        operand = child(node.operand)
        return lambda current, lagged: np.transpose(operand(current, lagged))
    if isinstance(node, Outer):
        left, right = child(node.left), child(node.right)
        return lambda current, lagged: np.outer(left(current, lagged), right(current, lagged))
    if isinstance(node, Part):
        operand, start, stop = child(node.operand), node.start, node.stop
        if node.scalar:
            return lambda current, lagged: operand(current, lagged)[..., start]
        return lambda current, lagged: operand(current, lagged)[..., start:stop]
    if isinstance(node, Broadcast):
        operand, shape = child(node.operand), node.shape
        return lambda current, lagged: np.broadcast_to(operand(current, lagged), shape)
    assert not isinstance(node, Step)
    raise TypeError(node)


def plain_run_trace(problem, overrides=None) -> list:
    """Returns [{name: value}] per step, as the plain loop computed them."""
    from rnncli.cells.network import network_cell

    cell, effective = network_cell(problem)
    params = effective.problem.params
    initial = initial_values(effective.problem, cell)
    first, n_steps, inputs = problem.time_start, problem.n_steps, problem.inputs
    rows = [{name: inputs[name][index] for name in cell.inputs} for index in range(n_steps)]
    overrides = overrides or {}
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        for block in cell.schedule:
            equations = [cell.equation(name) for name in block.names]
            compiled = [(e, plain_compile(e.expr, params)) for e in equations]
            lags = sorted({n.lag for e in equations for n in names(e.expr) if n.lag})
            order = range(n_steps) if block.direction == "forward" else range(n_steps - 1, -1, -1)
            for index in order:
                t = first + index
                current = rows[index]
                lagged = {0: current}
                for k in lags:
                    j = index - k
                    lagged[k] = rows[j] if 0 <= j < n_steps else initial
                for equation, function in compiled:
                    key = (equation.name, t)
                    if key in overrides:
                        current[equation.name] = overrides[key]
                        continue
                    try:
                        current[equation.name] = function(current, lagged)
                    except FloatingPointError as exc:
                        raise EquationError(
                            f"equation `{equation.name}` at step {t}: {lean._float_problem(exc)}",
                            file=problem.file, line=equation_line(problem, equation)) from None
    return [{name: row[name] for name in cell.quantities} for row in rows]


# --- the comparison ------------------------------------------------------------------------

def outcome(action):
    try:
        return action()
    except RnncliError as error:
        return ("error", str(error))
    except (ValueError, TypeError, IndexError) as error:    # no shape inference on some paths
        return ("crash", type(error).__name__)


def assert_same_bits(problem, overrides=None):
    plain = outcome(lambda: plain_run_trace(problem, overrides))
    mine = outcome(lambda: [s.values for s in run_trace(problem, overrides=overrides).steps])
    if isinstance(plain, tuple) or isinstance(mine, tuple):
        assert mine == plain
        return plain
    assert len(mine) == len(plain)
    for got, want in zip(mine, plain):
        assert list(got) == list(want)
        for name in want:
            a, b = got[name], want[name]
            assert type(a) is type(b), (name, type(a), type(b))
            assert np.shape(a) == np.shape(b)
            # Bit for bit: the float64 patterns, so -0.0 and 0.0 differ and NaN equals NaN.
            bits = np.asarray(a, dtype=float).tobytes(), np.asarray(b, dtype=float).tobytes()
            assert bits[0] == bits[1], name
    return plain


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_shipped_problem(path):
    try:
        problem = load_problem(str(path))
    except RnncliError:
        pytest.skip("not a problem with numbers")
    if not problem.inputs:
        pytest.skip("no inputs: nothing to trace")
    assert_same_bits(problem)


@SETTINGS
@given(expressions(), st.sampled_from(["h", "a + h * 0", "M @ v * h", "[w, a] @ v"]))
def test_random_equations(text, other):
    problem_text = (f"title: random\nequations:\n  h: \"{text}\"\n  y: \"{other}\"\n"
                    f"params: {{w: 0.5, v: [1, -2], M: [[1, 2], [3, -4]], a: -7}}\n"
                    "inputs: {x: [[0.5, -1], [2, 0.25], [-3, 1000]]}\n")
    problem = outcome(lambda: parse_problem(problem_text, "random.yaml"))
    if not isinstance(problem, tuple):
        assert_same_bits(problem)


@SETTINGS
@given(st.sampled_from(sorted(REFERENCE)), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2**32 - 1), st.integers(1, 4), st.data())
def test_builtin_cells_with_random_numbers_and_overrides(key, input_size, hidden_size, seed,
                                                          steps, data):
    rng = np.random.default_rng(seed)
    params = random_params(*key, input_size, hidden_size, rng)
    inputs = [value_text(rng.uniform(-2, 2, input_size)) for _ in range(steps)]
    text = "\n".join([f"cell: {key[0]}", f"convention: {key[1]}", "params:"]
                     + [f"  {n}: {value_text(v)}" for n, v in params.items()]
                     + [f"inputs: {{{INPUT[key]}: [{', '.join(inputs)}]}}"]) + "\n"
    problem = parse_problem(text, "cell.yaml")
    reference = assert_same_bits(problem)
    if isinstance(reference, tuple):
        return
    # Grading's overrides: some quantities at some steps replaced by other numbers.
    chosen = data.draw(st.lists(st.tuples(st.integers(0, steps - 1),
                                          st.sampled_from(sorted(reference[0]))), max_size=4))
    overrides = {(name, problem.time_start + index): reference[index][name] * rng.uniform(0.5, 1.5)
                 for index, name in chosen}
    assert_same_bits(problem, overrides)


SETS = {
    "lstm-goodfellow-forward.yaml": ["f=0", "i=1", "c=c[t-1] * 0.5 + g", "h=tanh(c) * o + 0.25"],
    "lstm-2layer-bidirectional-trace.yaml": ["f=0", "g=tanh(g) * 2"],
    "two-layer-feedback-numbers.yaml": [],
    "two-layer-feedback-teacher-forcing.yaml": [],
    "gru-olah-forward.yaml": ["z=0.5", "r=1"],
}


@SETTINGS
@given(st.sampled_from(sorted(SETS)), st.data())
def test_set_and_teacher_forcing(name, data):
    problem = load_problem(str(Path(__file__).resolve().parents[1] / "problems" / name))
    options = data.draw(st.lists(st.sampled_from(SETS[name]), unique=True, max_size=2)) \
        if SETS[name] else []
    changes = [parse_set_option(s) for s in options]
    if problem.teacher_forcing or data.draw(st.booleans()):
        forced = [f"{t}={i}" for t, i in problem.teacher_forcing.items()]
        changes += [parse_teacher_forcing_option(f) for f in forced]
    changed = outcome(lambda: apply_changes(problem, changes))
    if not isinstance(changed, tuple):
        assert_same_bits(changed)
