"""rnncli jacobian against torch.autograd.functional.jacobian (float64) and published numbers.

Fixtures: tests/fixtures/torch_gradients.json `jacobians`, written by
tests/fixtures/generate_gradient_fixtures.py from the cells of
tests/reference_cells.py: dq(T)/dq(k) for every k with q(k) perturbed and
everything computed from it recomputed, and the one-step totals dq(t)/dq(t-1);
the direct term of the LSTM's c is diag(f(t)) (torch's own forward values).
Published: d2l's spectral-radius demonstration (‖J^40‖ = 0.014781 and 45.2593
for radius 0.9 and 1.1) and the scalar-LSTM dC/dC oracle of
shared/reference/gradients.md §1.7 (H1).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from problem_text import problem_yaml
from rnncli.cli import cli
from rnncli.files.problem import load_problem, parse_problem
from rnncli.language.printing.text import to_text
from rnncli.solve.jacobian import run_jacobian

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "torch_gradients.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["jacobians"]
TOLERANCE = dict(rtol=1e-10, atol=1e-13)


def jacobian_of(case):
    text = problem_yaml(cell=case["cell"], convention=case["convention"],
                        params={n: np.array(v) for n, v in case["params"].items()},
                        initial={n: np.array(v) for n, v in case["initial"].items()},
                        inputs={n: [np.array(v) for v in seq] for n, seq in case["inputs"].items()})
    return run_jacobian(parse_problem(text, "case.yaml"), case["of"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['cell']}-{c['convention']}-{c['of']}")
def test_jacobians_equal_autograd(case):
    result = jacobian_of(case)
    expected = case["expected"]
    assert [b.k for b in result.back] == [e["k"] for e in expected["from"]]
    for mine, theirs in zip(result.back, expected["from"]):
        np.testing.assert_allclose(mine.jacobian, np.array(theirs["jacobian"]), **TOLERANCE,
                                   err_msg=f"k={mine.k}")
        assert mine.norm == pytest.approx(np.linalg.norm(np.array(theirs["jacobian"]), 2), rel=1e-10)
    for mine, theirs in zip(result.steps, expected["steps"]):
        np.testing.assert_allclose(mine.total, np.array(theirs["total"]), **TOLERANCE,
                                   err_msg=f"t={mine.t}")
    if case["of"] == "c":
        for mine, f in zip(result.steps, expected["f"]):
            np.testing.assert_allclose(mine.direct, np.diag(f), rtol=1e-13, atol=0)


def test_d2l_spectral_radius_demonstration():
    # d2l.ai "Backpropagation Through Time": ‖J^40‖ for spectral radius 0.9 and 1.1 is
    # 0.014781 and 45.2593 ("shrunk below two percent", "amplified more than fortyfold").
    vanish = run_jacobian(load_problem(str(ROOT / "problems/rnn-vanishing-gradients.yaml")), "h", 40)
    explode = run_jacobian(load_problem(str(ROOT / "problems/rnn-exploding-gradients.yaml")), "h", 40)
    assert vanish.back[-1].k == 0 and vanish.back[-1].norm == pytest.approx(0.014781, abs=5e-7)
    assert explode.back[-1].norm == pytest.approx(45.2593, abs=5e-5)
    whole = run_jacobian(load_problem(str(ROOT / "problems/rnn-vanishing-gradients.yaml")), "h")
    # 0.9^66 < 1e-3 < 0.9^65: vanishing 66 steps back from step 80.
    assert whole.vanishing == 80 - 66 and whole.exploding is None
    exploding = run_jacobian(load_problem(str(ROOT / "problems/rnn-exploding-gradients.yaml")), "h")
    assert exploding.exploding == 80 - 73 and exploding.vanishing is None   # 1.1^73 > 1e3


def test_scalar_lstm_direct_and_total_and_forget_gate_shut():
    # gradients.md §1.7 H1: dC2/dC1 direct f2 = 0.736069, total 0.785249; dC3/dC2 0.826924 /
    # 0.843698; dC3/dC1 total 0.663601. Forget gate at 0: 0 / 0.044672, 0 / 0.017909, 0.001426.
    normal = run_jacobian(load_problem(str(ROOT / "problems/lstm-dcdc.yaml")), "c")
    shut = run_jacobian(load_problem(str(ROOT / "problems/lstm-dcdc-forget-closed.yaml")), "c")
    by_t = {s.t: s for s in normal.steps}
    assert by_t[2].direct == pytest.approx(0.736069, abs=5e-7)
    assert by_t[2].total == pytest.approx(0.785249, abs=5e-7)
    assert by_t[3].direct == pytest.approx(0.826924, abs=5e-7)
    assert by_t[3].total == pytest.approx(0.843698, abs=5e-7)
    assert {b.k: b.jacobian for b in normal.back}[1] == pytest.approx(0.663601, abs=5e-7)
    shut_by_t = {s.t: s for s in shut.steps}
    assert shut_by_t[2].direct == 0 and shut_by_t[2].total == pytest.approx(0.044672, abs=5e-7)
    assert shut_by_t[3].total == pytest.approx(0.017909, abs=5e-7)
    assert {b.k: b.jacobian for b in shut.back}[1] == pytest.approx(0.001426, abs=5e-7)


def test_lstm_expansion_in_symbols():
    result = run_jacobian(load_problem(str(ROOT / "problems/lstm-dcdc.yaml")), "c")
    text = to_text(result.expansion, scalar=lambda n: True)
    assert text == "f(t) + ∂f(t)/∂c(t−1)·c(t−1) + ∂i(t)/∂c(t−1)·g(t) + ∂g(t)/∂c(t−1)·i(t)"
    assert to_text(result.direct_term) == "f(t)"


@pytest.mark.parametrize("output_format", ["text", "markdown", "latex", "json"])
def test_cli_formats(output_format):
    result = CliRunner().invoke(cli, ["jacobian", str(ROOT / "problems/lstm-standard.yaml"),
                                      "--of", "c", "--format", output_format])
    assert result.exit_code == 0, result.output
    if output_format == "json":
        doc = json.loads(result.output)
        assert doc["schema"] == "rnncli/jacobian@1" and doc["of"] == "c"
        assert len(doc["steps"][0]["step"]) == 2 and "direct" in doc["steps"][0]
        assert doc["from"][-1]["k"] == 0


def test_scalar_state_gives_numbers_in_json():
    result = CliRunner().invoke(cli, ["jacobian", str(ROOT / "problems/lstm-dcdc.yaml"), "--of", "c",
                                      "--format", "json"])
    doc = json.loads(result.output)
    assert isinstance(doc["steps"][1]["step"], float) and isinstance(doc["from"][0]["jacobian"], float)


@pytest.mark.parametrize("args, message", [
    (["--of", "g"], "the states of this problem"),
    (["--of", "c", "--to", "9"], "--to 9"),
])
def test_bad_options_are_one_line_errors(args, message):
    result = CliRunner().invoke(cli, ["jacobian", str(ROOT / "problems/lstm-dcdc.yaml")] + args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("equations", [
    # a scalar quantity in a vector cell and a sum: adjoints go one row at a time
    {"s": "sum(h[t-1] * v)", "h": "tanh(W @ x + U @ h[t-1] + s * v)"},
    {"g": "sigmoid(W @ [h[t-1], x])", "h": "g * h[t-1] + (1 - g) * tanh(U @ h[t-1])"},
])
def test_jacobians_equal_central_differences(equations):
    rng = np.random.default_rng(5)
    params = {"W": rng.uniform(-1, 1, (3, 2 if "s" in equations else 5)),
              "U": rng.uniform(-1, 1, (3, 3))}
    if "s" in equations:
        params["v"] = rng.uniform(-1, 1, 3)
    text = problem_yaml(equations=equations, params=params,
                        initial={"h": rng.uniform(-0.5, 0.5, 3)},
                        inputs={"x": [rng.uniform(-1, 1, 2) for _ in range(4)]})
    problem = parse_problem(text, "fd.yaml")
    result = run_jacobian(problem, "h")
    from rnncli.solve.trace import run_trace

    eps = 1e-6
    for back in result.back:
        numeric = np.zeros((3, 3))
        for j in range(3):
            ends = []
            for sign in (1, -1):
                if back.k == 0:
                    h0 = problem.initial["h"].copy()
                    h0[j] += sign * eps
                    changed = problem.__class__(**{**problem.__dict__, "initial": {"h": h0}})
                    trace = run_trace(changed)
                else:
                    base = run_trace(problem).value("h", back.k).copy()
                    base[j] += sign * eps
                    trace = run_trace(problem, overrides={("h", back.k): base})
                ends.append(trace.value("h", result.to))
            numeric[:, j] = (ends[0] - ends[1]) / (2 * eps)
        np.testing.assert_allclose(back.jacobian, numeric, rtol=1e-6, atol=1e-8, err_msg=f"k={back.k}")


def test_rnn_expansion_through_a_matrix_is_diag_times_w():
    text = problem_yaml(cell="rnn", params={"W_xh": np.array([[0.5], [0.2]]),
                                            "W_hh": np.array([[0.3, 0.1], [0.0, 0.4]]),
                                            "b_h": np.array([0.0, 0.1])},
                        inputs={"x": [np.array(v) for v in (1.0, 2.0, 3.0)]})
    result = run_jacobian(parse_problem(text, "rnn.yaml"), "h")
    printed = to_text(result.expansion, scalar=lambda n: True, constants=frozenset(result.cell.params))
    assert printed == "diag(1 − h(t)^2)·W_hh"
    # and the numbers are that matrix: diag(1 − h(2)²) W_hh
    h2 = np.ravel(result.trace.value("h", 2))
    np.testing.assert_allclose(result.steps[1].total, np.diag(1 - h2 ** 2) @ np.array([[0.3, 0.1], [0.0, 0.4]]),
                               rtol=1e-14)
