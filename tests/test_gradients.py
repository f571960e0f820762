"""rnncli gradients: published worked examples, the working shown, the CLI and its errors.

Published numbers (cited per test): Aidan Gomez, "Backpropogating an LSTM: A
Numerical Example" (2016); Trask, *Grokking Deep Learning* ch. 14 notebook
"Exploding Gradients Examples"; the scalar-LSTM dC/dC oracle of
shared/reference/gradients.md §1.7 (H1, torch autograd float64).
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
from rnncli.solve.gradients import GradientOptions, run_gradients

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems"


def gradients_of(name, **options):
    return run_gradients(load_problem(str(PROBLEMS / name)), GradientOptions(**options))


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_gomez_lstm_published_numbers():
    # Gomez's post: after one SGD step with lambda = 0.1 the new weights begin
    # W_a[0] = 0.4526716 and U_a = 0.1510396 (his published numbers, which
    # shared/reference/gradients.md reproduces in float64 autograd).
    result = gradients_of("lstm-gomez-backprop.yaml", lr=0.1)
    assert result.update["W_a"][0] == pytest.approx(0.4526716, abs=5e-8)
    assert float(result.update["U_a"]) == pytest.approx(0.1510396, abs=5e-8)
    # His first backward step: dL/dout(1) is the output difference out(1) − label(1).
    assert float(result.grad("out", 1)) == pytest.approx(float(result.trace.value("out", 1)) - 1.25,
                                                         abs=1e-15)


def test_grokking_vanishing_sigmoid_gradients():
    # Grokking Deep Learning ch. 14 notebook: h_t = sigmoid(h_{t-1} W), W = [[1, 4], [4, 1]],
    # h_0 = sigmoid([1, 0.01]), loss = sum(h_10); printed gradients from [0.03439552, 0.03439552]
    # (dL/dh_9) down to [1.45938177e-14, 2.16938983e-14] (dL/dh_0); numpy prints 8 digits,
    # so half a unit of the last one.
    h0 = 1 / (1 + np.exp(-np.array([1.0, 0.01])))
    text = problem_yaml(equations={"h": "sigmoid(h[t-1] @ W)"},
                        params={"W": np.array([[1.0, 4.0], [4.0, 1.0]])}, initial={"h": h0},
                        steps=10, extra="loss:\n  each: sum(h)\n  at: last\n")
    result = run_gradients(parse_problem(text, "grokking.yaml"))
    np.testing.assert_allclose(result.grad("h", 9), [0.03439552, 0.03439552], rtol=0, atol=5e-9)
    np.testing.assert_allclose(result.initial["h"], [1.45938177e-14, 2.16938983e-14], rtol=0, atol=5e-23)


def test_scalar_lstm_dy_dc1_and_forget_gate_shut():
    # gradients.md §1.7 H1: y = 4 h(3) = 3.482711; dy/dC1 = 0.354757; with f = 0,
    # y = 2.576229 and dy/dC1 = 0.005801 (61 times smaller).
    normal = gradients_of("lstm-dcdc.yaml")
    shut = gradients_of("lstm-dcdc-forget-closed.yaml")
    assert normal.loss == pytest.approx(3.482711, abs=5e-7)
    assert float(normal.grad("c", 1)) == pytest.approx(0.354757, abs=5e-7)
    assert shut.loss == pytest.approx(2.576229, abs=5e-7)
    assert float(shut.grad("c", 1)) == pytest.approx(0.005801, abs=5e-7)


def test_scalar_sheet_shows_every_term_substituted():
    out = invoke("gradients", PROBLEMS / "lstm-gomez-backprop.yaml").output
    assert "∂L/∂out(1) = out(1) − label(1) = 0.7720 − 1.25 = −0.4780" in out
    # dL/dstate(0): the carousel term from step 1 plus the term through out(0).
    line = next(l for l in out.splitlines() if l.strip().startswith("∂L/∂state(0)"))
    assert "∂L/∂state(1)·f(1) + ∂L/∂out(0)·o(0)·(1 − tanh(state(0))^2)" in line
    assert line.rstrip().endswith("= −0.0535")
    assert "∂L/∂W_a = Σ_t" in out and "Norm" in out


def test_json_document_is_the_spec_schema():
    result = invoke("gradients", PROBLEMS / "lstm-gomez-backprop.yaml", "--format", "json",
                    "--clip-norm", "0.1", "--lr", "0.1")
    doc = json.loads(result.output)
    assert doc["schema"] == "rnncli/gradients@1"
    assert list(doc)[:2] == ["schema", "title"]
    assert {"loss", "losses", "steps", "initial", "params", "norm", "clip", "update"} <= set(doc)
    assert [s["t"] for s in doc["steps"]] == [0, 1]
    assert set(doc["steps"][0]["grads"]) == {"a", "i", "f", "o", "state", "out"}
    assert doc["clip"]["kind"] == "norm" and doc["clip"]["norm"] == doc["norm"]
    assert doc["clip"]["factor"] == pytest.approx(0.1 / (doc["norm"] + 1e-6))
    assert doc["update"]["lr"] == 0.1
    assert doc["params"]["W_a"] == pytest.approx([-0.02671622, -0.09220113], abs=1e-8)


@pytest.mark.parametrize("output_format", ["text", "markdown", "latex", "json"])
@pytest.mark.parametrize("name", ["lstm-gomez-backprop.yaml", "lstm-dcdc.yaml"])
def test_every_format_renders(name, output_format):
    result = invoke("gradients", PROBLEMS / name, "--format", output_format, "--clip-value", "0.01",
                    "--lr", "0.5")
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_options_at_mean_and_loss_replace_the_problems():
    base = gradients_of("lstm-gomez-backprop.yaml")
    last = gradients_of("lstm-gomez-backprop.yaml", at="last")
    mean = gradients_of("lstm-gomez-backprop.yaml", mean=True)
    assert last.counted == (1,) and last.loss == pytest.approx(base.losses[1][1])
    assert mean.loss == pytest.approx(base.loss / 2)
    for name in base.params:
        np.testing.assert_allclose(mean.params[name], base.params[name] / 2, rtol=1e-13)
    out = invoke("gradients", PROBLEMS / "lstm-gomez-backprop.yaml", "--loss",
                 "(out - label) ** 2", "--format", "json").output
    doubled = json.loads(out)
    np.testing.assert_allclose(doubled["params"]["U_a"], 2 * base.params["U_a"], rtol=1e-13)


def test_fixed_parameters_get_no_gradient_and_no_update():
    path = PROBLEMS / "lstm-gomez-backprop.yaml"
    text = path.read_text(encoding="utf-8") + "fixed: [W_a, U_a]\n"
    result = run_gradients(parse_problem(text, "fixed.yaml"), GradientOptions(lr=0.1))
    assert "W_a" not in result.params and "U_a" not in result.update
    assert "b_a" in result.params


def test_truncated_heading_says_so():
    out = invoke("gradients", PROBLEMS / "lstm-gomez-backprop.yaml", "--truncate", "1").output
    assert "truncated BPTT" in out


@pytest.mark.parametrize("extra, message", [
    ("loss: 0.5 * (out - label\n", "`loss`"),
    ("loss: (out - label) * W_a\n", "sum it: sum("),
    ("loss: (out - lable) ** 2 + label\n", "did you mean `label`"),
    ("loss:\n  each: out\n  at: first\n", "`loss.at`"),
    ("loss:\n  each: (out - label) ** 2\n  at: [7]\n", "outside the steps"),
    ("loss:\n  at: last\n", "needs `each`"),
    ("loss:\n  each: out\n  mean: 2\n", "`loss.mean`"),
    ("loss:\n  each: out\n  sum: true\n", "unknown loss key"),
])
def test_bad_loss_is_one_line_error_with_its_line(tmp_path, extra, message):
    text = (PROBLEMS / "lstm-gomez-backprop.yaml").read_text(encoding="utf-8")
    text = text.replace("loss: 0.5 * (out - label) ** 2   # the L2 loss of the post, summed over "
                        "both steps\n", extra)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[:text.index("loss:")].count("\n") + 1
    result = CliRunner().invoke(cli, ["gradients", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {path}:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f":{line}:" in result.stderr or f":{line + 1}:" in result.stderr or f":{line + 2}:" in result.stderr


def test_problem_without_loss_says_how_to_add_one():
    result = CliRunner().invoke(cli, ["gradients", str(PROBLEMS / "lstm-goodfellow-forward.yaml")])
    assert result.exit_code == 2 and "--loss" in result.stderr
    ok = invoke("gradients", PROBLEMS / "lstm-goodfellow-forward.yaml", "--loss", "y", "--at", "last")
    assert ok.exit_code == 0


def test_both_clippings_refused():
    result = CliRunner().invoke(cli, ["gradients", str(PROBLEMS / "lstm-dcdc.yaml"),
                                      "--clip-norm", "1", "--clip-value", "1"])
    assert result.exit_code == 2 and "not both" in result.stderr


def test_check_validates_the_loss(tmp_path):
    text = (PROBLEMS / "lstm-gomez-backprop.yaml").read_text(encoding="utf-8")
    path = tmp_path / "vector-loss.yaml"
    path.write_text(text.replace("loss: 0.5 * (out - label) ** 2", "loss: (out - label) * W_a"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and "sum it" in result.stderr
