"""The evaluator: stable sigmoid and softmax, and floating-point trouble as one-line errors.

setup.cfg turns every RuntimeWarning into an error, so a test here that
merely runs proves that nothing overflowed or warned on the way.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.errors import EquationError
from rnncli.language.functions import FUNCTIONS, hard_sigmoid, round_half_even, sigmoid, softmax, step
from rnncli.files.problem import parse_problem
from rnncli.render.json_document import dumps, trace_document
from rnncli.render.trace import render_latex, render_markdown
from rnncli.solve.trace import run_trace


def run(text: str):
    return run_trace(parse_problem(text, "p.yaml"))


@pytest.mark.parametrize("weight", [100.0, -100.0, 1e4, -1e4, 1e9, -1e9])
def test_sigmoid_and_softmax_of_huge_weights(weight):
    text = (f"equations:\n  s: sigmoid(w * x)\n  m: softmax(w * [x, -x, 2 * x])\n"
            f"  g: tanh(w * x)\n  hs: hard_sigmoid(w * x)\n"
            f"params: {{w: {weight!r}}}\ninputs: {{x: [1, -1, 0.5, 0]}}\n")
    trace = run(text)
    for record in trace.steps:
        values = record.values
        assert all(np.all(np.isfinite(v)) for v in values.values())
        assert 0.0 <= float(values["s"]) <= 1.0
        assert np.isclose(values["m"].sum(), 1.0, rtol=1e-15)
    if abs(weight) >= 1e4:
        assert float(trace.value("s", 1)) == (1.0 if weight > 0 else 0.0)
    assert float(trace.value("s", 4)) == 0.5
    # every output format renders without a warning either
    render_markdown(trace, 4)
    render_latex(trace, 4)
    dumps(trace_document(trace))


def test_builtin_cell_with_saturating_weights():
    text = ("cell: lstm\nparams: {W_i: 100, U_i: -100, b_i: 1e4, W_f: -1e4, U_f: 1e4, b_f: 0,"
            " W_o: 1e4, U_o: 1e4, b_o: -1e4, W_g: 100, U_g: 100, b_g: 100}\n"
            "inputs: {x: [1, -1, 1e3]}\n")
    trace = run(text)
    assert all(np.isfinite(float(v)) for s in trace.steps for v in s.values.values())


def test_sigmoid_function_directly():
    x = np.array([-1e308, -1e4, -745.2, -100.0, 0.0, 100.0, 745.2, 1e4, 1e308])
    y = sigmoid(x)
    assert np.all(np.isfinite(y)) and y[4] == 0.5 and y[0] == 0.0 and y[-1] == 1.0
    assert np.allclose(y[3], 1 / (1 + np.exp(100.0)), rtol=1e-14, atol=0)


def test_sigmoid_of_one_number_is_the_arrays_value_bit_for_bit():
    """sigmoid(np.float64) takes a shortcut without np.where: the same number, every sign."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 5, 5000), rng.normal(0, 400, 500),
                        [0.0, -0.0, 5e-324, -5e-324, 745.2, -745.2, 1e308, -1e308]])
    whole = sigmoid(x)
    one_by_one = np.array([sigmoid(np.float64(v)) for v in x])
    assert type(sigmoid(np.float64(0.5))) is np.float64
    assert whole.tobytes() == one_by_one.tobytes()


def test_softmax_function_directly():
    assert np.allclose(softmax(np.array([1e4, 1e4 - 1.0])), [1 / (1 + np.exp(-1)),
                                                             1 / (1 + np.exp(1))], rtol=1e-15)
    assert softmax(np.array([-1e308, 0.0])).tolist() == [0.0, 1.0]
    assert softmax(np.float64(3.0)) == 1.0


def test_hard_sigmoid_is_keras_3():
    x = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0])
    assert hard_sigmoid(x).tolist() == [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_step_and_round():
    assert step(np.array([-1.0, 0.0, 1e-300])).tolist() == [0.0, 0.0, 1.0]



# round: ties to even, as numpy and torch.round ("rounds half to even", PyTorch's docs);
# the expected values are written by hand, not computed with numpy.
ROUND_EDGES = [(0.5, 0.0), (1.5, 2.0), (2.5, 2.0), (-0.5, -0.0), (-1.5, -2.0), (-2.5, -2.0),
               (0.49999999999999994, 0.0), (-0.49999999999999994, -0.0),
               (0.5000000000000001, 1.0), (0.49999, 0.0), (3.7, 4.0), (-3.7, -4.0),
               (float(2**52 + 1), 4503599627370497.0), (float(2**53 + 1), 9007199254740992.0),
               (float(2**53 + 2), 9007199254740994.0), (-float(2**52 + 1), -4503599627370497.0),
               (1e300, 1e300), (0.0, 0.0)]


@pytest.mark.parametrize("value, expected", ROUND_EDGES)
def test_round_is_exact_and_ties_go_to_even(value, expected):
    got = float(round_half_even(value))
    assert got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)
    assert float(round_half_even(np.array([value]))[0]) == expected


def test_round_in_an_equation_traces_the_edges():
    edges = [(v, e) for v, e in ROUND_EDGES if abs(v) <= 1e9]   # a problem file's limit
    values = [v for v, _ in edges]
    problem = parse_problem("equations:\n  h: round(x)\ninputs:\n  x: ["
                            + ", ".join(repr(v) for v in values) + "]\n")
    trace = run_trace(problem)
    assert [float(s.values["h"]) for s in trace.steps] == [e for _, e in edges]


def test_function_ranges_for_grading():
    assert FUNCTIONS["sigmoid"].in_range(np.array([0.0, 0.5, 1.0]))
    assert not FUNCTIONS["tanh"].in_range(1.5)
    assert not FUNCTIONS["relu"].in_range(-0.1)


@pytest.mark.parametrize("equation, inputs, message", [
    ("exp(1000 * x)", "[0, 1]", "equation `h` at step 2: the numbers overflow float64"),
    ("exp(x) ** 1000", "[1]", "at step 1: the numbers overflow"),
    ("2 ** (10000 * x)", "[1]", "overflow"),
    ("1 / x", "[1, 0]", "equation `h` at step 2: division by zero"),
    ("log(x)", "[0]", "at step 1: the log of 0"),
    ("log(x)", "[-1]", "at step 1: an invalid operation"),
    ("x ** 0.5", "[-1]", "an invalid operation"),
    ("x / x", "[0]", "an invalid operation"),
    ("x ** 40", "[1e9]", "overflow"),
])
def test_floating_point_trouble_is_a_one_line_error(equation, inputs, message):
    with pytest.raises(EquationError) as info:
        run(f"title: t\nequations:\n  h: {equation}\ninputs: {{x: {inputs}}}\n")
    assert message in info.value.message
    assert info.value.line == 3 and "\n" not in str(info.value)


def test_overflow_through_the_cli_has_no_traceback(tmp_path):
    path = tmp_path / "boom.yaml"
    path.write_text("equations:\n  h: exp(w * x)\nparams: {w: 1000}\ninputs: {x: [0.5, 1]}\n")
    result = CliRunner().invoke(cli, ["trace", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"Error: {path}:2: equation `h` at step 2: the numbers overflow "
                             "float64 (a value beyond 1.8e308)\n")


def test_underflow_is_not_an_error():
    trace = run("equations:\n  h: exp(x) * 1e-300\ninputs: {x: [-700]}\n")
    assert float(trace.value("h", 1)) == 0.0
