"""The shipped problems (problems/*.yaml): valid, titled, sourced, and their numbers proven.

The numbers of each problem with numbers are recomputed here by the
independent oracle (tests/reference_cells.py) or by plain numpy written from
the seed sheet's equations, reading the file with PyYAML, not with rnncli.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from reference_cells import relu, run_reference, sigmoid
from rnncli.grading.checking import check_problem_file
from rnncli.files.problem import load_problem
from rnncli.solve.trace import run_trace

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"
ALL = sorted(PROBLEMS.glob("*.yaml"))


def raw(name: str) -> dict:
    """Returns a problem file as PyYAML reads it (plain decimals read the same in YAML 1.1)."""
    return yaml.safe_load((PROBLEMS / name).read_text(encoding="utf-8"))


def arrays(mapping: dict) -> dict:
    return {k: np.array(v, dtype=float) for k, v in mapping.items()}


def rnncli_trace(name: str):
    return run_trace(load_problem(str(PROBLEMS / name)))


def assert_steps(trace, expected: list[dict]):
    assert len(trace.steps) == len(expected)
    for record, want in zip(trace.steps, expected):
        for name, value in want.items():
            np.testing.assert_allclose(np.ravel(record.values[name]), np.ravel(value),
                                       rtol=1e-13, atol=1e-15, err_msg=f"{name}[{record.t}]")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_shipped_problem_checks_and_has_title_and_source(path):
    problem = check_problem_file(str(path))
    assert problem.title and problem.source


def test_the_four_trace_problems_are_shipped():
    names = {p.name for p in ALL}
    assert {"lstm-goodfellow-forward.yaml", "two-layer-feedback-numbers.yaml",
            "gru-olah-forward.yaml", "lstm-standard.yaml"} <= names


def test_seed_002_is_the_sheet_exactly():
    data = raw("lstm-goodfellow-forward.yaml")
    assert data["params"] == {"U_g": 0.3, "W_g": -0.3, "b_g": 0.1, "U_f": 0.25, "W_f": 0.3,
                              "b_f": 0, "U_q": 0.4, "W_q": 0.3, "b_q": 0.2, "U": 0.01, "W": 0.1,
                              "b": 1, "V": 5, "c": -1}
    assert data["inputs"] == {"x": [0.7, 0.5, 0.7]}
    assert data["initial"] == {"h": 0, "s": 0}


def test_seed_002_numbers():
    data = raw("lstm-goodfellow-forward.yaml")
    params = {k: v for k, v in data["params"].items() if k not in ("V", "c")}
    expected = run_reference("lstm", "goodfellow", params, data["inputs"]["x"], data["initial"],
                             activation=relu)
    for step in expected:
        step["y"] = sigmoid(step["h"] * 5 - 1)
    trace = rnncli_trace("lstm-goodfellow-forward.yaml")
    assert_steps(trace, expected)
    # the worked solution's rounded numbers (README)
    assert [round(float(trace.value("h", t)), 4) for t in (1, 2, 3)] == [0.2610, 0.3907, 0.4953]
    assert [round(float(trace.value("y", t)), 4) for t in (1, 2, 3)] == [0.5757, 0.7218, 0.8140]


def test_seed_002_first_step_by_hand():
    """Step 1 with plain floats, as a student computes it (h(0) = s(0) = 0)."""
    import math

    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    f = sig(0 + 0.25 * 0.7)
    g = sig(0.1 + 0.3 * 0.7)
    q = sig(0.2 + 0.4 * 0.7)
    s = g * sig(1 + 0.01 * 0.7)
    h = max(s, 0) * q
    trace = rnncli_trace("lstm-goodfellow-forward.yaml")
    got = trace.steps[0].values
    for name, value in {"f": f, "g": g, "q": q, "s": s, "h": h, "y": sig(5 * h - 1)}.items():
        assert math.isclose(float(got[name]), value, rel_tol=1e-14)


def test_seed_000_two_layer_network_with_output_feedback():
    """h1, h2 and the softmax output y, which layer 2 reads back at t-1 (seed 000, exercise 1)."""
    data = raw("two-layer-feedback-numbers.yaml")
    p = arrays(data["params"])
    state = arrays(data["initial"])
    h1, h2, y = state["h1"], state["h2"], state["y"]
    expected = []
    for x in np.array(data["inputs"]["x"], dtype=float):
        h1 = np.tanh(p["U"] @ x + p["V"] @ h1 + p["W"] @ h2 + p["b"])
        h2 = np.tanh(p["R"] @ h1 + p["S"] @ h2 + p["T"] @ y + p["c"])
        a = p["P"] @ x + p["Q"] @ h2 + p["d"]
        y = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
        expected.append({"h1": h1, "h2": h2, "y": y})
    trace = rnncli_trace("two-layer-feedback-numbers.yaml")
    assert trace.cell.shapes == {**trace.cell.shapes, "x": (2,), "h1": (2,), "h2": (2,), "y": (2,)}
    assert len(trace.steps) == 3
    assert_steps(trace, expected)


def test_seed_000_equations_are_the_sheet_s():
    equations = raw("two-layer-feedback-numbers.yaml")["equations"]
    assert equations == {"h1": "tanh(U @ x + V @ h1[t-1] + W @ h2[t-1] + b)",
                         "h2": "tanh(R @ h1 + S @ h2[t-1] + T @ y[t-1] + c)",
                         "y": "softmax(P @ x + Q @ h2 + d)"}


def test_seed_003_gru_in_olah_s_notation():
    data = raw("gru-olah-forward.yaml")
    assert (data["cell"], data["convention"]) == ("gru", "olah")
    expected = run_reference("gru", "olah", arrays(data["params"]), data["inputs"]["x"],
                             data["initial"])
    trace = rnncli_trace("gru-olah-forward.yaml")
    assert trace.cell.shapes["h"] == (2,) and len(trace.steps) == 3
    assert_steps(trace, expected)


def test_seed_003_gru_by_hand():
    """z = σ(W_z [h, x]), r = σ(W_r [h, x]), h̃ = tanh(W [r*h, x]), h = (1 - z) h + z h̃."""
    data = raw("gru-olah-forward.yaml")
    p = arrays(data["params"])
    h = np.zeros(2)
    trace = rnncli_trace("gru-olah-forward.yaml")
    for x, record in zip(np.array(data["inputs"]["x"], dtype=float), trace.steps):
        z = 1 / (1 + np.exp(-(p["W_z"] @ np.concatenate([h, x]))))
        r = 1 / (1 + np.exp(-(p["W_r"] @ np.concatenate([h, x]))))
        h_tilde = np.tanh(p["W"] @ np.concatenate([r * h, x]))
        h = (1 - z) * h + z * h_tilde
        np.testing.assert_allclose(record.values["h"], h, rtol=1e-14)


def test_standard_lstm():
    data = raw("lstm-standard.yaml")
    assert data.get("convention", "standard") == "standard" and data["cell"] == "lstm"
    expected = run_reference("lstm", "standard", arrays(data["params"]), data["inputs"]["x"],
                             data["initial"])
    trace = rnncli_trace("lstm-standard.yaml")
    assert trace.cell.shapes["h"] == (2,) and trace.cell.shapes["x"] == (2,)
    assert len(trace.steps) == 3
    assert_steps(trace, expected)
