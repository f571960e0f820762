"""Gradients against central finite differences on random custom-equation problems.

A second oracle beside the PyTorch fixtures: hypothesis draws a cell from a
small grammar (scalar or vector states, lags 1 and 2, elementwise functions,
products, quotients, powers, `@` with matrices, concatenation, sum and mean,
softmax), random numbers and a loss form, and every parameter's and initial
state's gradient must match (L(p + ε) − L(p − ε)) / 2ε computed from forward
traces alone.
"""
from __future__ import annotations

import dataclasses
import os

import numpy as np
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from problem_text import problem_yaml
from rnncli.errors import EquationError
from rnncli.files.problem import parse_problem
from rnncli.solve.gradients import GradientOptions, run_gradients
from rnncli.solve.trace import run_trace

EXAMPLES = int(os.environ.get("RNNCLI_EXAMPLES", 60))
EPS = 1e-6

SMOOTH = ["sigmoid", "tanh", "identity", "exp"]

# Cells: (equations, params by shape code, states); H hidden size, I input size.
CELLS = [
    ({"h": "{f}(W @ x + U @ h[t-1] + b)", "y": "V @ h + c"},
     {"W": "HI", "U": "HH", "b": "H", "V": "OH", "c": "O"}),
    ({"g": "{f}(W @ [h[t-1], x] + b)", "h": "g * h[t-1] + (1 - g) * {f2}(U @ x)", "y": "V @ h"},
     {"W": "HC", "b": "H", "U": "HI", "V": "OH"}),
    ({"a": "W @ x + U @ h[t-2] + u * h[t-1]", "h": "{f}(a) / (1 + a ** 2)", "y": "V @ h + c"},
     {"W": "HI", "U": "HH", "u": "", "V": "OH", "c": "O"}),
    ({"s": "sum({f}(W @ x)) * k + m * s[t-1]", "h": "{f2}(s * v + U @ h[t-1])",
      "y": "V @ h + mean(h) * c"},
     {"W": "HI", "k": "", "m": "", "v": "H", "U": "HH", "V": "OH", "c": "O"}),
    ({"h": "{f}(h[t-1] @ W + x @ U)", "y": "softmax(h @ V)"},
     {"W": "HH", "U": "IH", "V": "HO"}),
]
LOSSES = ["0.5 * sum((y - target) ** 2)", "sum((y - target) ** 2) / 2 + mean(y * y)",
          "-sum(target * log(1 + y * y))"]


def shape(code, H, I, O):
    return {"": (), "H": (H,), "O": (O,), "HI": (H, I), "HH": (H, H), "HC": (H, H + I),
            "OH": (O, H), "IH": (I, H), "HO": (H, O)}[code]


@st.composite
def problems(draw):
    equations, codes = draw(st.sampled_from(CELLS))
    H, I, O = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    T = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    f, f2 = draw(st.sampled_from(SMOOTH)), draw(st.sampled_from(SMOOTH))
    eqs = {n: e.format(f=f, f2=f2) for n, e in equations.items()}
    params = {n: rng.uniform(-0.6, 0.6, size=shape(c, H, I, O)) for n, c in codes.items()}
    inputs = {"x": [rng.uniform(-1, 1, size=I) for _ in range(T)],
              "target": [rng.uniform(0, 1, size=O) for _ in range(T)]}
    states = [n for n in ("h", "s") if any(f"{n}[t-" in e for e in eqs.values())]
    initial = {n: rng.uniform(-0.5, 0.5, size=(() if n == "s" else (H,))) for n in states}
    loss = draw(st.sampled_from(LOSSES))
    at = draw(st.sampled_from(["all", "last"]))
    mean = draw(st.booleans())
    text = problem_yaml(equations=eqs, params=params, inputs=inputs, initial=initial,
                        extra=f"loss:\n  each: \"{loss}\"\n  at: {at}\n  mean: {str(mean).lower()}\n")
    return parse_problem(text, "random.yaml")


def total_loss(problem) -> float:
    trace = run_trace(problem)
    steps = trace.steps if problem.loss.at == "all" else trace.steps[-1:]
    values = []
    for step in steps:
        y, target = step.values["y"], step.inputs["target"]
        text = problem.loss.each
        if text.startswith("0.5"):
            values.append(0.5 * np.sum((y - target) ** 2))
        elif text.startswith("sum"):
            values.append(np.sum((y - target) ** 2) / 2 + np.mean(y * y))
        else:
            values.append(-np.sum(target * np.log(1 + y * y)))
    return float(np.mean(values) if problem.loss.mean else np.sum(values))


def well_scaled(problem) -> bool:
    """Returns whether central differences can check this problem to 1e-5 (no overflow, no huge L).

    exp of exp grows fast; where L is beyond 1e4 the differences lose the digits.
    """
    try:
        return abs(total_loss(problem)) < 1e4
    except EquationError:
        return False


def central_difference(problem, group: str, name: str) -> np.ndarray:
    values = getattr(problem, group)
    base = np.asarray(values[name], dtype=float)
    grad = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        moved = []
        for sign in (1, -1):
            changed = base.copy()
            changed[index] += sign * EPS
            moved.append(total_loss(dataclasses.replace(problem, **{group: {**values, name: changed}})))
        grad[index] = (moved[0] - moved[1]) / (2 * EPS)
    return grad


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_gradients_equal_central_differences(problem):
    assume(well_scaled(problem))
    result = run_gradients(problem)
    assert np.isclose(result.loss, total_loss(problem), rtol=1e-12, atol=1e-14)
    for name in problem.params:
        np.testing.assert_allclose(result.params[name], central_difference(problem, "params", name),
                                   rtol=1e-5, atol=1e-7, err_msg=name)
    for name in problem.initial:
        np.testing.assert_allclose(result.initial[name], central_difference(problem, "initial", name),
                                   rtol=1e-5, atol=1e-7, err_msg=f"initial {name}")
    # Every derivative tree these cells make prints in every format.
    from rnncli.render.gradients import gradients_document, render_latex, render_markdown

    assert render_markdown(result, 4) and render_latex(result, 4)
    assert gradients_document(result)["schema"] == "rnncli/gradients@1"


# data_too_large: hypothesis 6.0 (the oldest allowed) can trip it while shrinking the
# random problems' byte stream, which says nothing about rnncli.
@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_truncate_one_is_each_step_alone(problem):
    """--truncate 1: the loss of step s reaches only step s's parameters (the state it read held)."""
    assume(well_scaled(problem))
    result = run_gradients(problem, GradientOptions(truncate=1))
    trace = run_trace(problem)
    first = problem.time_start
    counted = result.counted
    expected = {n: np.zeros(np.shape(v)) for n, v in problem.params.items()}
    # One problem per counted step: its one step, with the states it read fixed as initial values.
    for t in counted:
        index = t - first
        lagged = [n for n in problem.initial]
        initial = {}
        for n in lagged:
            initial[n] = trace.value(n, t - 1)
        one = dataclasses.replace(problem, inputs={k: (v[index],) for k, v in problem.inputs.items()},
                                  initial=initial, loss=dataclasses.replace(problem.loss, at="all", mean=False))
        if any("[t-2]" in e for e in problem.equations.values()):
            return   # a lag of 2 reads two different earlier steps: not one initial value
        scale = 1 / len(counted) if problem.loss.mean else 1
        for name in problem.params:
            expected[name] += scale * central_difference(one, "params", name)
    for name in problem.params:
        np.testing.assert_allclose(result.params[name], expected[name], rtol=1e-5, atol=1e-7,
                                   err_msg=name)
