"""Gradients of stacked, bidirectional and projected networks against PyTorch autograd.

tests/fixtures/torch_stacked_gradients/*.json (written by
tests/fixtures/generate_stacked_gradient_fixtures.py from the networks of
tests/fixtures/torch_stacked/) hold torch's dL/dparameter and dL/dh0 (dL/dc0)
for L = sum over t of 0.5 * ||output[t] - target[t]||^2. rnncli works the same
network from the same YAML a user writes, with the loss in its own language,
its packed tensors as torch gives them or cut per gate. No test here imports torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from test_stacked_fixtures import case_yaml as stacked_case_yaml
from rnncli.cli import cli
from rnncli.files.problem import parse_problem
from rnncli.solve.gradients import GradientOptions, run_gradients

HERE = Path(__file__).parent / "fixtures"
FIXTURES = sorted((HERE / "torch_stacked_gradients").glob("*.json"))
TOLERANCE = dict(rtol=1e-10, atol=1e-12)
LOSS = "loss: 0.5 * sum((output - target) ** 2)\n"


def load(path: Path) -> tuple[dict, dict]:
    grads = json.loads(path.read_text(encoding="utf-8"))
    case = json.loads((HERE / grads["case"]).read_text(encoding="utf-8"))
    return case, grads


def case_yaml(case: dict, grads: dict, packed: bool) -> str:
    """Returns the fixture's network as a problem, with its targets and the loss torch used."""
    return stacked_case_yaml(case, packed, {"target": [np.array(v) for v in grads["targets"]]},
                             LOSS)


def test_the_gradient_cases_cover_every_cell_and_kind():
    cases = [load(p)[0] for p in FIXTURES]
    assert len(cases) >= 12
    assert {c["cell"] for c in cases} == {"rnn", "lstm", "gru"}
    assert any(c["layers"] == 3 and c["bidirectional"] for c in cases)
    assert any(c["bidirectional"] and c["proj_size"] for c in cases)
    assert any(not c["bias"] for c in cases)


@pytest.mark.parametrize("packed", [False, True], ids=["split", "state_dict"])
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_network_gradients_equal_torch_autograd(path, packed):
    case, grads = load(path)
    result = run_gradients(parse_problem(case_yaml(case, grads, packed), path.name))
    assert result.loss == pytest.approx(grads["loss"], rel=1e-12)
    # Every parameter, under its per-gate name (packed tensors are cut by gate order).
    assert set(result.params) == set(grads["params_grad"])
    for name, expected in grads["params_grad"].items():
        np.testing.assert_allclose(result.params[name], np.array(expected), **TOLERANCE,
                                   err_msg=name)
    # dL/dh0 and dL/dc0 of every layer and direction; a backward direction's state
    # before it starts sits after the last step.
    for name, expected in grads["initial_grad"].items():
        np.testing.assert_allclose(np.ravel(result.initial[name]), expected, **TOLERANCE,
                                   err_msg=name)


def test_a_one_step_network_gradient_agrees_with_central_differences():
    """A second oracle, independent of torch: central differences of rnncli's own loss."""
    from rnncli.solve.trace import run_trace

    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    text = case_yaml(case, grads, packed=False)
    problem = parse_problem(text, "p.yaml")
    result = run_gradients(problem)
    name = "W_hf_l1_reverse"
    base = np.array(case["params"][name], dtype=float)
    target = [np.array(v) for v in grads["targets"]]

    def loss_with(value) -> float:
        changed = dict(problem.params, **{name: value})
        trace = run_trace(problem.__class__(**{**problem.__dict__, "params": changed}))
        return sum(0.5 * float(np.sum((s.values["output"] - y) ** 2))
                   for s, y in zip(trace.steps, target))

    step = 1e-6
    numeric = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (loss_with(up) - loss_with(down)) / (2 * step)
    np.testing.assert_allclose(result.params[name], numeric, rtol=1e-6, atol=1e-8)


def test_truncation_is_refused_for_a_bidirectional_network(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "rnn_bidirectional.json")
    path = tmp_path / "bi.yaml"
    path.write_text(case_yaml(case, grads, packed=False))
    result = CliRunner().invoke(cli, ["gradients", str(path), "--truncate", "2"])
    assert result.exit_code == 2 and "bidirectional" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    with pytest.raises(Exception):
        run_gradients(parse_problem(path.read_text(), "bi.yaml"), GradientOptions(truncate=2))


def test_the_gradients_command_works_a_network_in_every_format(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    path = tmp_path / "net.yaml"
    path.write_text(case_yaml(case, grads, packed=True))
    for fmt in ("text", "markdown", "latex", "json"):
        result = CliRunner().invoke(cli, ["gradients", str(path), "--format", fmt])
        assert result.exit_code == 0, (fmt, result.output[-500:])
    document = json.loads(result.stdout)
    for name, expected in grads["params_grad"].items():
        np.testing.assert_allclose(np.array(document["params"][name]), np.array(expected),
                                   **TOLERANCE, err_msg=name)


JACOBIAN_CASES = [p for p in FIXTURES if load(p)[1]["jacobian"]]


@pytest.mark.parametrize("path", JACOBIAN_CASES, ids=lambda p: p.stem)
def test_jacobian_of_a_stacked_network_equals_torch(path):
    """d state(T)/d state(0) of the top layer: every path through the unrolled network."""
    from rnncli.solve.jacobian import run_jacobian

    case, grads = load(path)
    expected = grads["jacobian"]
    result = run_jacobian(parse_problem(case_yaml(case, grads, packed=True), path.name),
                          of=expected["of"])
    assert result.to == expected["T"]
    (initial,) = [b for b in result.back if b.k == 0]
    np.testing.assert_allclose(np.atleast_2d(initial.jacobian), np.array(expected["dq(T)/dq(0)"]),
                               **TOLERANCE)


def test_jacobian_refuses_a_bidirectional_network_in_one_line(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_bidirectional.json")
    path = tmp_path / "bi.yaml"
    path.write_text(case_yaml(case, grads, packed=True))
    result = CliRunner().invoke(cli, ["jacobian", str(path), "--of", "c_l0"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "bidirectional" in result.output and "rnncli gradients" in result.output


def test_gradient_answers_on_a_bidirectional_network_are_graded_against_torch(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    questions = ("questions:\n  - id: a\n    text: gradients\n    points: 3\n"
                 "    ask: [loss, grad.W_hf_l1_reverse, grad.b_ii_l0]\n")
    (tmp_path / "net.yaml").write_text(case_yaml(case, grads, packed=True) + questions)

    def answers(scale: float) -> str:
        def row(value):
            return json.dumps((np.array(value) * scale).tolist())
        return ("problem: net.yaml\nanswers:\n"
                f"  loss: {grads['loss']}\n"
                f"  grad.W_hf_l1_reverse: {row(grads['params_grad']['W_hf_l1_reverse'])}\n"
                f"  grad.b_ii_l0: {row(grads['params_grad']['b_ii_l0'])}\n")

    (tmp_path / "right.yaml").write_text(answers(1.0))
    (tmp_path / "wrong.yaml").write_text(answers(-1.0))
    right = CliRunner().invoke(cli, ["grade", str(tmp_path / "right.yaml"), "--format", "json"])
    assert right.exit_code == 0, right.output[-800:]
    wrong = CliRunner().invoke(cli, ["grade", str(tmp_path / "wrong.yaml"), "--format", "json"])
    assert wrong.exit_code == 1, wrong.output[-800:]
    assert "sign" in wrong.output


def test_a_backward_directions_initial_state_is_worked_after_the_last_step(tmp_path):
    """dL/dh_l0_reverse sits at step T+1 (the backward direction starts there), with working."""
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    path = tmp_path / "net.yaml"
    path.write_text(case_yaml(case, grads, packed=True))
    result = CliRunner().invoke(cli, ["gradients", str(path)])
    assert result.exit_code == 0, result.output[-500:]
    initial = result.stdout.split("Initial states")[1].split("Parameters")[0]
    last = case["steps"]
    assert f"∂L/∂h_l0_reverse({last + 1}) = " in initial and f"i_l0_reverse({last})" in initial
    assert "∂L/∂h_l0(0) = " in initial and "(−1)" not in initial


def test_a_solution_sheet_of_a_network_with_a_loss_works_its_gradients(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    path = tmp_path / "net.yaml"
    questions = ("questions:\n  - id: a\n    text: back-propagate\n    points: 2\n"
                 "    ask: [\"grad.h_l0_reverse[2]\", grad.W_hf_l1_reverse]\n")
    path.write_text(case_yaml(case, grads, packed=True) + questions)
    result = CliRunner().invoke(cli, ["solve", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output[-500:]
    # The asked gradient is worked (a backward direction's dL/dh(2) reads step 1's gates).
    assert r"\frac{\partial L}{\partial {h_{l0\_reverse}}^{(2)}} = " in result.stdout
    assert r"\frac{\partial L}{\partial {i_{l0\_reverse}}^{(1)}}" in result.stdout
    key = CliRunner().invoke(cli, ["solve", str(path), "--key", "--format", "csv"])
    value = run_gradients(parse_problem(path.read_text(), "net.yaml")).grad("h_l0_reverse", 2)
    import csv
    import io

    (row,) = [r for r in csv.DictReader(io.StringIO(key.stdout))
              if r["reference"] == "grad.h_l0_reverse[2]"]
    np.testing.assert_array_equal(np.array(json.loads(row["value"])), value)


def test_a_networks_gradients_are_worked_layer_by_layer_in_the_order_they_run(tmp_path):
    case, grads = load(HERE / "torch_stacked_gradients" / "lstm_2layers_bidirectional.json")
    path = tmp_path / "net.yaml"
    path.write_text(case_yaml(case, grads, packed=True))
    result = CliRunner().invoke(cli, ["gradients", str(path), "--format", "markdown"])
    assert result.exit_code == 0, result.output[-500:]
    headings = [line[3:] for line in result.stdout.splitlines() if line.startswith("## ")]
    groups = [h for h in headings if "step t =" not in h and h not in ("Loss", "Initial states")]
    assert [g.split(" (")[0] for g in groups[:5]] == ["Output", "Layer 1 reverse", "Layer 1 forward",
                                                     "Layer 0 reverse", "Layer 0 forward"]
    last = case["steps"]
    reverse = [h for h in headings if h.startswith("Layer 0 reverse, step t = ")]
    forward = [h for h in headings if h.startswith("Layer 0 forward, step t = ")]
    assert reverse == [f"Layer 0 reverse, step t = {t}" for t in range(1, last + 1)]
    assert forward == [f"Layer 0 forward, step t = {t}" for t in range(last, 0, -1)]
    assert "Cell: lstm, pytorch convention" in result.stdout
