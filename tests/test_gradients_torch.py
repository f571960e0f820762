"""rnncli gradients against PyTorch autograd (float64), every built-in cell and convention.

The fixtures (tests/fixtures/torch_gradients.json) were written by
tests/fixtures/generate_gradient_fixtures.py: torch differentiates the cells of
tests/reference_cells.py (the published equations, not rnncli's files), with
½-MSE, MSE and softmax cross-entropy losses, summed or averaged, at every step,
the last, or listed steps; and records what clip_grad_norm_, clip_grad_value_
and one SGD step leave. No test here imports torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.solve.gradients import GradientOptions, run_gradients

FIXTURE = Path(__file__).parent / "fixtures" / "torch_gradients.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
TOLERANCE = dict(rtol=1e-10, atol=1e-12)


def case_id(case):
    return (f"{case['cell']}-{case['convention']}-{case['loss_kind']}-{case['at']}"
            f"{'-mean' if case['mean'] else ''}")


def problem_of(case):
    at = case["at"]
    at_text = at if isinstance(at, str) else "[" + ", ".join(map(str, at)) + "]"
    loss = (f"loss:\n  each: \"{case['loss']}\"\n  at: {at_text}\n"
            f"  mean: {'true' if case['mean'] else 'false'}\n")
    text = problem_yaml(cell=case["cell"], convention=case["convention"], output=case["output"],
                        params={n: np.array(v) for n, v in case["params"].items()},
                        initial={n: np.array(v) for n, v in case["initial"].items()},
                        inputs={n: [np.array(v) for v in seq] for n, seq in case["inputs"].items()},
                        extra=loss)
    return parse_problem(text, "case.yaml")


def run(case, **options):
    return run_gradients(problem_of(case), GradientOptions(**options))


def test_fixtures_cover_every_cell_and_loss_form():
    cells = {(c["cell"], c["convention"]) for c in CASES}
    assert len(cells) == 20
    assert {c["loss_kind"] for c in CASES} == {"mse_half", "mse", "ce_softmax"}
    assert {str(c["at"]) for c in CASES} >= {"all", "last", "[2, 4]"}
    assert any(c["mean"] for c in CASES)
    assert sum("clip_norm" in c for c in CASES) >= 2 and sum("sgd" in c for c in CASES) >= 2


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_loss_and_parameter_gradients_equal_autograd(case):
    result = run(case)
    expected = case["expected"]
    assert result.loss == pytest.approx(expected["loss"], rel=1e-12)
    assert [v for _, v in result.losses] == pytest.approx(expected["losses"], rel=1e-12)
    assert set(result.params) == set(expected["params"])
    for name, grad in expected["params"].items():
        np.testing.assert_allclose(result.params[name], np.array(grad), **TOLERANCE, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_quantity_and_initial_state_gradient_equals_autograd(case):
    result = run(case)
    expected = case["expected"]
    for step, torch_step in zip(result.steps, expected["steps"]):
        for name, grad in torch_step.items():
            np.testing.assert_allclose(np.ravel(step.grads[name]), np.array(grad), **TOLERANCE,
                                       err_msg=f"dL/d{name}({step.t})")
    for name, grad in expected["initial"].items():
        np.testing.assert_allclose(result.initial[name], np.array(grad), **TOLERANCE,
                                   err_msg=f"dL/d{name}(0)")


@pytest.mark.parametrize("case", [c for c in CASES if "clip_norm" in c], ids=case_id)
def test_clip_norm_is_clip_grad_norm(case):
    clip = case["clip_norm"]
    result = run(case, clip_norm=clip["max"])
    # clip_grad_norm_ returns the norm BEFORE clipping; so does rnncli.
    assert result.clip.norm == pytest.approx(clip["norm"], rel=1e-12)
    assert result.norm == result.clip.norm
    assert result.clip.factor == pytest.approx(min(1.0, clip["max"] / (clip["norm"] + 1e-6)),
                                               rel=1e-14)
    for name, grad in clip["params"].items():
        np.testing.assert_allclose(result.clip.params[name], np.array(grad), **TOLERANCE)


@pytest.mark.parametrize("case", [c for c in CASES if "clip_value" in c], ids=case_id)
def test_clip_value_is_clip_grad_value(case):
    clip = case["clip_value"]
    result = run(case, clip_value=clip["max"])
    for name, grad in clip["params"].items():
        np.testing.assert_allclose(result.clip.params[name], np.array(grad), **TOLERANCE)


@pytest.mark.parametrize("case", [c for c in CASES if "sgd" in c], ids=case_id)
def test_lr_is_one_sgd_step(case):
    sgd = case["sgd"]
    result = run(case, lr=sgd["lr"])
    for name, value in sgd["params"].items():
        np.testing.assert_allclose(result.update[name], np.array(value), **TOLERANCE)


def test_clipping_before_the_update():
    case = next(c for c in CASES if "clip_norm" in c and "sgd" in c
                and c["clip_norm"]["norm"] > c["clip_norm"]["max"])
    result = run(case, clip_norm=case["clip_norm"]["max"], lr=0.1)
    for name, grad in case["clip_norm"]["params"].items():
        expected = np.array(case["params"][name]) - 0.1 * np.array(grad)
        np.testing.assert_allclose(result.update[name], expected, **TOLERANCE)
