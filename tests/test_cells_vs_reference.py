"""Every built-in cell, in every convention, against the independent numpy oracle.

tests/reference_cells.py is written from the published equations, not from
rnncli; tests/test_reference_cells.py checks it against published numbers.
Here each (cell, convention) gets random parameters, inputs and initial
states of several sizes (1x1 as matrices, 1x1 as bare scalars, and wider),
goes through the whole loader as YAML text, and every quantity at every step
must equal the oracle's. The read-outs (`output: linear|softmax|sigmoid`) and
`bias: false` are checked the same way.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from problem_text import problem_yaml
from reference_cells import INPUT, PARAMS, REFERENCE, STATE, random_params, readout, run_reference
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace

KEYS = sorted(REFERENCE)
SIZES = [(1, 1), (2, 3), (3, 2), (4, 4)]
STEPS = 4
RTOL, ATOL = 1e-12, 1e-14


def case_id(key):
    return f"{key[0]}-{key[1]}"


def random_case(key, input_size, hidden_size, seed, output_size=None, scale=1.0):
    """Returns (params, inputs, initial) drawn for one cell, convention and size."""
    rng = np.random.default_rng(seed)
    params = random_params(*key, input_size, hidden_size, rng, output_size=output_size,
                           scale=scale)
    inputs = [rng.uniform(-2, 2, size=input_size) for _ in range(STEPS)]
    initial = {name: rng.uniform(-1, 1, size=hidden_size) for name in STATE[key]}
    return params, inputs, initial


def is_bias(name: str, code: str) -> bool:
    """Biases by their shape code in the oracle: vectors that are not peepholes."""
    return code in ("H", "O") and not name.startswith("p_")


def trace_of(key, params, inputs, initial, **options):
    """Returns rnncli's trace of the problem, built as YAML text and loaded."""
    text = problem_yaml(cell=key[0], convention=key[1], params=params,
                        inputs={INPUT[key]: inputs}, initial=initial, **options)
    return run_trace(parse_problem(text, f"{case_id(key)}.yaml"))


def assert_same(trace, expected_steps, names=None):
    assert len(trace.steps) == len(expected_steps)
    for record, expected in zip(trace.steps, expected_steps):
        for name in names or expected:
            got = np.ravel(record.values[name])
            np.testing.assert_allclose(got, np.ravel(expected[name]), rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name} at step {record.t}")


@pytest.mark.parametrize("key", KEYS, ids=case_id)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"I{s[0]}H{s[1]}")
def test_every_quantity_matches_the_oracle(key, size):
    params, inputs, initial = random_case(key, *size, seed=zlib.crc32(repr((key, size)).encode()))
    trace = trace_of(key, params, inputs, initial)
    expected = run_reference(*key, params, inputs, initial)
    assert set(trace.steps[0].values) == set(expected[0])
    assert_same(trace, expected)


@pytest.mark.parametrize("key", KEYS, ids=case_id)
def test_scalar_numbers_for_size_one(key):
    """Size 1 written as bare numbers (a paper exercise), not as [[w]] and [b]."""
    params, inputs, initial = random_case(key, 1, 1, seed=7)
    # Olah's concatenated matrices stay (1, 2): they multiply [h[t-1], x].
    scalar_params = {n: (v if PARAMS[key][n] == "HC" else float(np.ravel(v)[0]))
                     for n, v in params.items()}
    trace = trace_of(key, scalar_params, [float(x[0]) for x in inputs],
                     {n: float(v[0]) for n, v in initial.items()})
    assert_same(trace, run_reference(*key, params, inputs, initial))


@pytest.mark.parametrize("key", KEYS, ids=case_id)
def test_zero_initial_state_is_the_default(key):
    params, inputs, _ = random_case(key, 2, 3, seed=11)
    trace = trace_of(key, params, inputs, None)
    assert_same(trace, run_reference(*key, params, inputs, None))


@pytest.mark.parametrize("key", KEYS, ids=case_id)
def test_saturating_weights_match(key):
    params, inputs, initial = random_case(key, 3, 2, seed=13, scale=30.0)
    trace = trace_of(key, params, inputs, initial)
    assert_same(trace, run_reference(*key, params, inputs, initial))


READOUTS = {
    "linear": lambda a: a,
    "softmax": lambda a: np.exp(a - a.max()) / np.exp(a - a.max()).sum(),
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
}


@pytest.mark.parametrize("key", KEYS, ids=case_id)
@pytest.mark.parametrize("output", sorted(READOUTS))
def test_output_readouts(key, output):
    params, inputs, initial = random_case(key, 2, 3, seed=17, output_size=3)
    trace = trace_of(key, params, inputs, initial, output=output)
    expected = run_reference(*key, params, inputs, initial)
    for record, step in zip(trace.steps, expected):
        hidden = step["H" if "H" in step else "h"]
        want = READOUTS[output](readout(*key, params, hidden))
        np.testing.assert_allclose(record.values["y"], want, rtol=RTOL, atol=ATOL)
    assert_same(trace, expected)


@pytest.mark.parametrize("key", KEYS, ids=case_id)
def test_bias_false_equals_zero_biases(key):
    params, inputs, initial = random_case(key, 2, 3, seed=19, output_size=2)
    without = {n: v for n, v in params.items() if not is_bias(n, PARAMS[key][n])}
    zeroed = {n: (np.zeros_like(v) if is_bias(n, PARAMS[key][n]) else v)
              for n, v in params.items()}
    trace = trace_of(key, without, inputs, initial, bias=False, output="linear")
    expected = run_reference(*key, zeroed, inputs, initial)
    assert_same(trace, expected)
    for record, step in zip(trace.steps, expected):
        hidden = step["H" if "H" in step else "h"]
        np.testing.assert_allclose(record.values["y"], readout(*key, zeroed, hidden),
                                   rtol=RTOL, atol=ATOL)
    assert not set(trace.cell.params) & {n for n in params if is_bias(n, PARAMS[key][n])}


@pytest.mark.parametrize("key", KEYS, ids=case_id)
def test_a_bias_given_with_bias_false_is_refused(key):
    from rnncli.errors import ProblemError

    params, inputs, initial = random_case(key, 2, 2, seed=23)
    if not any(is_bias(n, PARAMS[key][n]) for n in params):
        pytest.skip("this convention has no biases (Olah's GRU)")
    with pytest.raises(ProblemError, match="not used by any equation"):
        trace_of(key, params, inputs, initial, bias=False)


def test_user_equation_replaces_a_builtin_one_by_name():
    """seed 002's h = ReLU(s) * q over the book's LSTM, with a sigmoid read-out added."""
    from reference_cells import relu, sigmoid

    key = ("lstm", "goodfellow")
    params, inputs, initial = random_case(key, 2, 3, seed=29)
    params["V"] = np.array([[0.5, -1.0, 2.0]])
    params["c"] = np.array([0.25])
    trace = trace_of(key, params, inputs, initial,
                     equations={"h": "relu(s) * q", "y": "sigmoid(V @ h + c)"})
    expected = run_reference(*key, {n: v for n, v in params.items() if n not in "Vc"},
                             inputs, initial, activation=relu)
    assert_same(trace, expected)
    for record, step in zip(trace.steps, expected):
        np.testing.assert_allclose(record.values["y"], sigmoid(params["V"] @ step["h"] + 0.25),
                                   rtol=RTOL, atol=ATOL)
    assert [e.name for e in trace.cell.equations] == ["f", "g", "q", "s", "h", "y"]
    assert not trace.cell.equation("h").builtin
    assert trace.cell.equation("f").builtin


def test_user_equation_with_an_activation_of_its_own():
    """An Elman RNN with ReLU, by replacing the one equation of rnn/pytorch."""
    from reference_cells import relu

    key = ("rnn", "pytorch")
    params, inputs, initial = random_case(key, 3, 2, seed=31)
    trace = trace_of(key, params, inputs, initial,
                     equations={"h": "relu(W_ih @ x + b_ih + W_hh @ h[t-1] + b_hh)"})
    assert_same(trace, run_reference(*key, params, inputs, initial, activation=relu))


def test_user_equations_can_add_an_intermediate_quantity():
    key = ("rnn", "standard")
    params, inputs, initial = random_case(key, 2, 2, seed=37)
    trace = trace_of(key, params, inputs, initial,
                     equations={"a": "W_xh @ x + W_hh @ h[t-1] + b_h", "h": "tanh(a)"})
    expected = run_reference(*key, params, inputs, initial)
    assert_same(trace, expected, names=["h"])
    assert [e.name for e in trace.cell.equations] == ["a", "h"]
