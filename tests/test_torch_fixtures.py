"""rnncli's pytorch conventions against traces computed by PyTorch 2.13 itself.

The fixtures (tests/fixtures/torch/*.json, see tests/fixtures/README.md) hold
torch's own weights, inputs, initial states and outputs. Every case goes
through the whole loader as YAML text; h (and the LSTM's c) must match at
every step to 1e-12. The saturated cases hold values as small as 1e-13, so
the tolerance is absolute as well as relative.

When torch happens to be installed, one more test runs torch live on fresh
random weights; the suite never needs it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "torch").glob("*.json"))
TOLERANCE = dict(rtol=1e-12, atol=1e-12)


def load_case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def trace_case(case: dict, name: str = "case.yaml"):
    text = problem_yaml(cell=case["cell"], convention=case["convention"],
                        bias=None if case["bias"] else False,
                        params={n: np.array(v) for n, v in case["params"].items()},
                        initial={n: np.array(v) for n, v in case["initial"].items()},
                        inputs={"x": [np.array(v) for v in case["inputs"]["x"]]})
    return run_trace(parse_problem(text, name))


def test_every_fixture_is_found():
    assert len(FIXTURES) == 13
    assert {load_case(p)["cell"] for p in FIXTURES} == {"rnn", "lstm", "gru"}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_matches_torch(path):
    case = load_case(path)
    assert case["convention"] == "pytorch"
    trace = trace_case(case, path.name)
    assert len(trace.steps) == case["steps"]
    for name, expected in case["expected"].items():
        got = np.array([np.ravel(step.values[name]) for step in trace.steps])
        np.testing.assert_allclose(got, np.array(expected), **TOLERANCE, err_msg=name)


@pytest.mark.parametrize("path", [p for p in FIXTURES if "nobias" in p.stem], ids=lambda p: p.stem)
def test_nobias_fixtures_use_bias_false(path):
    case = load_case(path)
    assert case["bias"] is False
    assert not any(name.startswith("b_") for name in case["params"])
    trace = trace_case(case)
    assert not any(name.startswith("b_") for name in trace.cell.params)


def test_saturated_fixture_really_saturates():
    """The saturated RNN case has hidden values that are exactly +-1.0 in float64."""
    case = load_case(next(p for p in FIXTURES if p.stem == "rnn_2x3_saturated"))
    trace = trace_case(case)
    h = np.array([step.values["h"] for step in trace.steps])
    assert np.sum(np.abs(h) == 1.0) >= 8


# Gate blocks of torch's stacked tensors, in stacking order (torch.nn.LSTM / GRU docs).
GATES = {"rnn": [""], "lstm": ["i", "f", "g", "o"], "gru": ["r", "z", "n"]}


def _split(cell: str, module) -> dict:
    """Returns rnncli's per-gate parameters from a torch module's stacked tensors."""
    params = {}
    hidden = module.hidden_size
    for side, tensor_name in (("i", "weight_ih_l0"), ("h", "weight_hh_l0"),
                              ("bi", "bias_ih_l0"), ("bh", "bias_hh_l0")):
        tensor = getattr(module, tensor_name).detach().numpy()
        for k, gate in enumerate(GATES[cell]):
            block = tensor[k * hidden:(k + 1) * hidden]
            if cell == "rnn":
                name = {"i": "W_ih", "h": "W_hh", "bi": "b_ih", "bh": "b_hh"}[side]
            else:
                name = {"i": f"W_i{gate}", "h": f"W_h{gate}", "bi": f"b_i{gate}",
                        "bh": f"b_h{gate}"}[side]
            params[name] = block
    return params


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_live_torch_when_installed(cell):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1234)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](3, 4).double()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.mul_(2.0)
    rng = np.random.default_rng(99)
    x = rng.uniform(-1, 1, size=(5, 3))
    h0 = rng.uniform(-1, 1, size=4)
    c0 = rng.normal(size=4)
    state = torch.tensor(h0).reshape(1, 1, 4)
    if cell == "lstm":
        state = (state, torch.tensor(c0).reshape(1, 1, 4))
    with torch.no_grad():
        output, _ = module(torch.tensor(x).reshape(5, 1, 3), state)
    initial = {"h": h0, "c": c0} if cell == "lstm" else {"h": h0}
    case = {"cell": cell, "convention": "pytorch", "bias": True, "initial": initial,
            "params": _split(cell, module), "inputs": {"x": x}}
    trace = trace_case(case)
    got = np.array([step.values["h"] for step in trace.steps])
    np.testing.assert_allclose(got, output.numpy().reshape(5, 4), **TOLERANCE)
