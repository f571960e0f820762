"""Stacked, bidirectional and projected networks against PyTorch 2.13 itself.

The fixtures (tests/fixtures/torch_stacked/*.json, written by
tests/fixtures/generate_stacked_fixtures.py) hold torch's `state_dict()`, the
same numbers cut into rnncli's per-gate names, the inputs and initial states,
torch's `output[t]` and every layer's and direction's h at every step (each
layer run alone in torch with the stacked module's weights). Every case goes
through the loader as YAML text twice, once with the packed tensors as torch
gives them and once split, and both must equal torch to 1e-12. No test here
imports torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace

DIRECTORY = Path(__file__).parent / "fixtures" / "torch_stacked"
FIXTURES = sorted(p for p in DIRECTORY.glob("*.json") if not p.stem.startswith("problem_"))
ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = dict(rtol=1e-12, atol=1e-12)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def case_yaml(case: dict, packed: bool, inputs: dict | None = None, extra: str = "") -> str:
    """Returns a fixture's network as a problem file (`inputs` and `extra` added to it)."""
    params = case["state_dict"] if packed else case["params"]
    network = f"layers: {case['layers']}\nbidirectional: {str(case['bidirectional']).lower()}\n"
    if case["proj_size"]:
        network += f"proj_size: {case['proj_size']}\n"
    return problem_yaml(cell=case["cell"], convention=case["convention"],
                        bias=None if case["bias"] else False,
                        params={n: np.array(v) for n, v in params.items()},
                        initial={n: np.array(v) for n, v in case["initial"].items()},
                        inputs={"x": [np.array(v) for v in case["inputs"]["x"]], **(inputs or {})},
                        extra=network + extra)


def test_the_configurations_cover_every_cell_and_kind():
    cases = [load(p) for p in FIXTURES]
    assert len(cases) >= 12
    assert {c["cell"] for c in cases} == {"rnn", "lstm", "gru"}
    assert any(c["layers"] == 3 for c in cases)
    assert any(c["bidirectional"] and c["proj_size"] for c in cases)
    assert any(not c["bias"] for c in cases)
    for cell in ("rnn", "lstm", "gru"):
        assert any(c["cell"] == cell and c["bidirectional"] and c["layers"] > 1 for c in cases)


@pytest.mark.parametrize("packed", [False, True], ids=["split", "state_dict"])
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_matches_torch(path, packed):
    case = load(path)
    trace = run_trace(parse_problem(case_yaml(case, packed), path.name))
    assert len(trace.steps) == case["steps"]
    for name, expected in case["expected"].items():
        got = np.array([np.ravel(step.values[name]) for step in trace.steps])
        np.testing.assert_allclose(got, np.array(expected), **TOLERANCE, err_msg=name)
    # torch's h_n and c_n: the forward direction's last step, the backward one's first.
    first, last = trace.steps[0], trace.steps[-1]
    for name, expected in case["final"].items():
        step = first if name.endswith("_reverse") else last
        np.testing.assert_allclose(np.ravel(step.values[name]), expected, **TOLERANCE,
                                   err_msg=name)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_packed_and_split_give_the_same_numbers_and_the_split_is_reported(path):
    case = load(path)
    split = run_trace(parse_problem(case_yaml(case, False), path.name))
    packed = run_trace(parse_problem(case_yaml(case, True), path.name))
    for a, b in zip(split.steps, packed.steps):
        assert a.values.keys() == b.values.keys()
        for name in a.values:
            assert np.array_equal(a.values[name], b.values[name]), name
    assert not split.splits
    assert {s.packed for s in packed.splits} == set(case["state_dict"])
    assert set(packed.parameters) == set(case["params"])


def test_names_are_those_of_count_params():
    from rnncli.solve.counting import count_parameters

    case = load(next(p for p in FIXTURES if p.stem == "lstm_2layers_bidirectional_projection"))
    problem = parse_problem(case_yaml(case, False), "case.yaml")
    trace = run_trace(problem)
    counted = {row.name for row in count_parameters(problem).rows}
    assert counted == set(trace.cell.params) == set(case["params"])
    assert "h_l1_reverse" in trace.steps[0].values and "c_l0" in trace.steps[0].values


def test_the_shipped_bidirectional_lstm_is_torch_s():
    fixture = load(DIRECTORY / "problem_lstm_2layer_bidirectional.json")
    from rnncli.files.problem import load_problem

    trace = run_trace(load_problem(str(ROOT / fixture["problem"])))
    for name, expected in fixture["expected"].items():
        got = np.array([np.ravel(step.values[name]) for step in trace.steps])
        np.testing.assert_allclose(got, np.array(expected), **TOLERANCE, err_msg=name)
    # h_n: layer-major, direction-minor; the backward direction ends at step 1
    h_n = [trace.steps[-1].values["h_l0"], trace.steps[0].values["h_l0_reverse"],
           trace.steps[-1].values["h_l1"], trace.steps[0].values["h_l1_reverse"]]
    np.testing.assert_allclose(np.ravel(h_n), np.ravel(fixture["final"]["h_n"]), **TOLERANCE)


def test_answers_about_a_bidirectional_network_are_graded(tmp_path):
    """A backward direction reads later steps: grading ends (no follow-through) and is right."""
    from rnncli.files.problem import load_problem
    from rnncli.grading.batch import grade_files

    problem_path = ROOT / "problems" / "lstm-2layer-bidirectional-trace.yaml"
    trace = run_trace(load_problem(str(problem_path)))
    lines = ["answers:"]
    for step in trace.steps:
        for name in ("output", "h_l0", "h_l0_reverse", "c_l1_reverse"):
            value = np.ravel(step.values[name]) + (0.3 if (name, step.t) == ("c_l1_reverse", 2) else 0)
            lines.append(f"  {name}[{step.t}]: {json.dumps(value.tolist())}")
    answers = tmp_path / "student.yaml"
    answers.write_text("\n".join(lines) + "\n")
    report = grade_files([str(answers)], str(problem_path))
    items = report.results[0].items
    statuses = {str(item.ref): item.status for item in items}
    assert statuses.pop("c_l1_reverse[2]") == "wrong"
    assert set(statuses.values()) == {"correct"} and len(statuses) == 11


@pytest.mark.parametrize("missing, where", [("W_hf_l1_reverse", "(layer 1, reverse direction)"),
                                            ("W_ii_l0", "(layer 0, forward direction)")])
def test_a_missing_parameter_names_its_layer(missing, where):
    from rnncli.errors import ProblemError

    case = load(next(p for p in FIXTURES if p.stem == "lstm_2layers_bidirectional"))
    del case["params"][missing]
    text = case_yaml(case, False)
    with pytest.raises(ProblemError) as info:
        run_trace(parse_problem(text, "net.yaml"))
    assert f"parameter `{missing}`" in info.value.message and info.value.message.endswith(where)
    assert info.value.line == text.splitlines().index("params:") + 1


def test_a_sizes_only_network_is_counted_not_traced():
    from rnncli.errors import ProblemError
    from rnncli.files.problem import load_problem
    from rnncli.solve.counting import count_parameters

    problem = load_problem(str(ROOT / "problems" / "lstm-2layer-bidirectional.yaml"))
    assert count_parameters(problem).total == 15040
    with pytest.raises(ProblemError, match=r"has no value.*\(layer 0, forward direction\)"):
        run_trace(problem)


def test_the_text_groups_the_working_by_layer_and_direction():
    from rnncli.render.trace import render_markdown

    one_way = load(next(p for p in FIXTURES if p.stem == "gru_2layers"))
    text = render_markdown(run_trace(parse_problem(case_yaml(one_way, False), "a.yaml")), 4)
    assert "Network: 2 layers. Names of layer k end in _lk; layer k+1 reads h_lk." in text
    assert "_reverse" not in text
    both = load(next(p for p in FIXTURES if p.stem == "gru_bidirectional"))
    text = render_markdown(run_trace(parse_problem(case_yaml(both, False), "b.yaml")), 4)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    backward = headings.index("## Layer 0 reverse (runs from the last step to the first)")
    assert headings[backward + 1:backward + 6] == [f"### Step t = {t}" for t in (5, 4, 3, 2, 1)]
    assert headings[1:3] == ["## Equations", "## Layer 0 forward"]
    assert "### Layer 0 reverse" in headings and "### Output" in headings   # the folded summary
