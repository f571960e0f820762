"""Parameters' gradient factors evaluated over all steps at once (solve/stacked_steps.py) give
the very bits of the step-by-step evaluation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from problem_text import problem_yaml
from rnncli.files.problem import load_problem, parse_problem
from rnncli.language.equations import parse_expression
from rnncli.solve import gradients as gradients_module
from rnncli.solve.gradients import run_gradients
from rnncli.solve.stacked_steps import StepStacks, stackable

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted(p for p in (ROOT / "problems").glob("*.yaml")
                  if "loss:" in p.read_text(encoding="utf-8"))


def step_by_step(problem):
    """run_gradients with stacking switched off."""
    original = StepStacks.evaluate
    StepStacks.evaluate = lambda self, node, indices: None
    try:
        return run_gradients(problem)
    finally:
        StepStacks.evaluate = original


def assert_same(a, b):
    assert a.params.keys() == b.params.keys()
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name]), name


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_shipped_gradient_problems_are_bit_for_bit_the_same(path, monkeypatch):
    # Every parameter summed (none kept per step), so that the stacked path is taken.
    monkeypatch.setattr(gradients_module, "MAX_KEPT_ENTRIES", 0)
    problem = load_problem(str(path))
    assert_same(run_gradients(problem), step_by_step(problem))


CELLS = ["rnn", "lstm", "gru"]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CELLS), st.integers(1, 6), st.integers(1, 4), st.integers(2, 9),
       st.integers(0, 2 ** 31 - 1), st.sampled_from(["standard", "pytorch", "keras"]))
def test_random_networks_are_bit_for_bit_the_same(cell, hidden, inputs, steps, seed, convention):
    if cell == "rnn" and convention == "keras":
        convention = "standard"
    rng = np.random.default_rng(seed)
    text = problem_yaml(cell=cell, convention=convention,
                        inputs={"x": [rng.uniform(-1, 1, inputs) for _ in range(steps)]},
                        extra=f"sizes: {{input: {inputs}, hidden: {hidden}}}\n")
    from rnncli.cells.network import network_cell

    sized = parse_problem(text, "p.yaml")
    cell_built, _ = network_cell(sized, evaluate=False)
    params = {name: rng.uniform(-0.8, 0.8, cell_built.shapes[name]) for name in cell_built.params}
    text = problem_yaml(cell=cell, convention=convention, params=params,
                        inputs={"x": [rng.uniform(-1, 1, inputs) for _ in range(steps)],
                                "target": [rng.uniform(-1, 1, hidden) for _ in range(steps)]},
                        extra="loss: 0.5 * sum((h - target) ** 2)\n")
    problem = parse_problem(text, "p.yaml")
    gradients_module.MAX_KEPT_ENTRIES, kept = 0, gradients_module.MAX_KEPT_ENTRIES
    try:
        assert_same(run_gradients(problem), step_by_step(problem))
    finally:
        gradients_module.MAX_KEPT_ENTRIES = kept


@pytest.mark.parametrize("text, shapes, expected", [
    ("g * i * (1 - i)", {"g": (3,), "i": (3,)}, True),
    ("sigmoid(a) + b", {"a": (3,), "b": (3,)}, True),
    ("a * s", {"a": (3,), "s": ()}, False),          # a per-step scalar beside a vector
    ("W @ a", {"a": (3,), "W": (3, 3)}, False),      # not entry by entry
    ("softmax(a)", {"a": (3,)}, False),
    ("2 * 3", {}, False),                            # the same at every step
])
def test_what_is_stacked(text, shapes, expected):
    assert stackable(parse_expression(text), shapes, {}) == expected


def test_an_lstm_takes_the_stacked_path(monkeypatch):
    monkeypatch.setattr(gradients_module, "MAX_KEPT_ENTRIES", 0)
    used = []
    original = StepStacks.evaluate

    def counting(self, node, indices):
        value = original(self, node, indices)
        used.append(value is not None)
        return value

    monkeypatch.setattr(StepStacks, "evaluate", counting)
    run_gradients(load_problem(str(ROOT / "problems" / "lstm-goodfellow-gradients.yaml")))
    assert sum(used) >= 8      # δ of each gate for W and U, and the biases
