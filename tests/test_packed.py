"""Packed framework tensors: Keras's `kernel` / `recurrent_kernel` / `bias` against PyTorch itself.

The oracle is the committed PyTorch fixtures (tests/fixtures/torch/*.json):
their per-gate weights are packed here the way Keras stores them (transposed,
gate order i, f, c, o for the LSTM and z, r, h for the GRU, the GRU's biases as
a (2, 3H) array), following the Keras <-> PyTorch mapping, and the Keras cell
fed those packed tensors must give torch's h at every step. The PyTorch side
(`weight_ih_l0` as `state_dict()` gives it) is tested in test_stacked_fixtures.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.errors import ProblemError
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace

TORCH = Path(__file__).parent / "fixtures" / "torch"
TOLERANCE = dict(rtol=1e-12, atol=1e-12)


def case(name: str) -> dict:
    data = json.loads((TORCH / f"{name}.json").read_text(encoding="utf-8"))
    data["params"] = {k: np.array(v) for k, v in data["params"].items()}
    return data


def trace(cell, convention, params, data):
    text = problem_yaml(cell=cell, convention=convention, params=params,
                        initial={n: np.array(v) for n, v in data["initial"].items()},
                        inputs={"x": [np.array(v) for v in data["inputs"]["x"]]})
    return run_trace(parse_problem(text, "packed.yaml"))


def assert_torch_h(result, data):
    got = np.array([np.ravel(s.values["h"]) for s in result.steps])
    np.testing.assert_allclose(got, np.array(data["expected"]["h"]), **TOLERANCE)


@pytest.mark.parametrize("name", ["lstm_3x4", "lstm_1x1", "lstm_2x3_saturated"])
def test_keras_lstm_packed_equals_torch(name):
    data = case(name)
    P = data["params"]
    params = {"kernel": np.hstack([P[f"W_i{g}"].T for g in "ifgo"]),
              "recurrent_kernel": np.hstack([P[f"W_h{g}"].T for g in "ifgo"]),
              "bias": np.concatenate([P[f"b_i{g}"] + P[f"b_h{g}"] for g in "ifgo"])}
    result = trace("lstm", "keras", params, data)
    assert_torch_h(result, data)
    hidden = data["hidden_size"]
    assert [s.describe() for s in result.splits] == [
        f"kernel ({data['input_size']}×{4 * hidden}) → kernel_i, kernel_f, kernel_c, kernel_o "
        "(columns, gate order i, f, c, o)",
        f"recurrent_kernel ({hidden}×{4 * hidden}) → recurrent_kernel_i, recurrent_kernel_f, "
        "recurrent_kernel_c, recurrent_kernel_o (columns, gate order i, f, c, o)",
        f"bias ({4 * hidden}) → bias_i, bias_f, bias_c, bias_o (entries, gate order i, f, c, o)"]


@pytest.mark.parametrize("name", ["gru_3x4", "gru_2x2", "gru_2x3_saturated"])
def test_keras_gru_packed_equals_torch(name):
    data = case(name)
    P = data["params"]
    order = "zrn"      # Keras's z, r, h blocks are torch's z, r, n
    params = {"kernel": np.hstack([P[f"W_i{g}"].T for g in order]),
              "recurrent_kernel": np.hstack([P[f"W_h{g}"].T for g in order]),
              "bias": np.vstack([np.concatenate([P[f"b_i{g}"] for g in order]),
                                 np.concatenate([P[f"b_h{g}"] for g in order])])}
    result = trace("gru", "keras", params, data)
    assert_torch_h(result, data)
    assert set(result.parameters) == {f"{kind}_{g}" for g in "zrh" for kind in (
        "kernel", "recurrent_kernel", "bias", "recurrent_bias")}


def test_pytorch_single_layer_state_dict_takes_bare_names():
    data = case("gru_3x4")
    P = data["params"]
    packed = {"weight_ih_l0": np.vstack([P[f"W_i{g}"] for g in "rzn"]),
              "weight_hh_l0": np.vstack([P[f"W_h{g}"] for g in "rzn"]),
              "bias_ih_l0": np.concatenate([P[f"b_i{g}"] for g in "rzn"]),
              "bias_hh_l0": np.concatenate([P[f"b_h{g}"] for g in "rzn"])}
    result = trace("gru", "pytorch", packed, data)
    assert_torch_h(result, data)
    assert set(result.parameters) == set(P)
    rnn = case("rnn_tanh_3x4")
    renamed = {"weight_ih_l0": rnn["params"]["W_ih"], "weight_hh_l0": rnn["params"]["W_hh"],
               "bias_ih_l0": rnn["params"]["b_ih"], "bias_hh_l0": rnn["params"]["b_hh"]}
    assert_torch_h(trace("rnn", "pytorch", renamed, rnn), rnn)


@pytest.mark.parametrize("cell, convention, params, message", [
    ("lstm", "pytorch", {"weight_ih_l0": np.ones((6, 2))}, r"4 gate blocks along its rows, but has 6"),
    ("lstm", "pytorch", {"weight_ih_l1": np.ones((8, 2))}, r"a layer or direction that this one-layer"),
    ("lstm", "pytorch", {"weight_ih_l0": np.ones((8, 2)), "W_ii": np.ones((2, 2))},
     r"`params.W_ii` is given twice"),
    ("gru", "keras", {"bias": np.ones(6)}, r"\(2, 3H\): row 0 the input biases"),
    ("lstm", "keras", {"kernel": np.ones((2, 6))}, r"4 gate blocks along its columns, but has 6"),
])
def test_packed_mistakes_name_the_parameter(cell, convention, params, message):
    text = problem_yaml(cell=cell, convention=convention, params=params,
                        inputs={"x": [np.ones(2)]})
    with pytest.raises(ProblemError, match=message) as info:
        run_trace(parse_problem(text, "bad.yaml"))
    assert info.value.line is not None


def test_count_params_reads_packed_tensors():
    from rnncli.solve.counting import count_parameters

    data = case("lstm_3x4")
    P = data["params"]
    packed = {"weight_ih_l0": np.vstack([P[f"W_i{g}"] for g in "ifgo"]),
              "weight_hh_l0": np.vstack([P[f"W_h{g}"] for g in "ifgo"]),
              "bias_ih_l0": np.concatenate([P[f"b_i{g}"] for g in "ifgo"]),
              "bias_hh_l0": np.concatenate([P[f"b_h{g}"] for g in "ifgo"])}
    text = problem_yaml(cell="lstm", convention="pytorch", params=packed,
                        inputs={"x": [np.array(v) for v in data["inputs"]["x"]]})
    counted = count_parameters(parse_problem(text, "packed.yaml"))
    assert counted.total == 4 * 4 * (3 + 4 + 2)      # torch.nn.LSTM(3, 4): 144
    assert {row.name for row in counted.rows} == set(P)


def keras_lstm_numpy(kernel, recurrent, bias, xs, reverse=False):
    """Keras 3's LSTM written out: z = x K + h R + b, blocks i, f, c, o; one direction."""
    hidden = recurrent.shape[0]
    h, c = np.zeros(hidden), np.zeros(hidden)
    out = [None] * len(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    sig = lambda v: 1 / (1 + np.exp(-v))   # noqa: E731
    for t in order:
        z = xs[t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        out[t] = h
    return out


def test_a_stacked_bidirectional_keras_lstm_against_numpy():
    rng = np.random.default_rng(21)
    hidden, steps, width = 3, 4, 2
    xs = [rng.normal(size=width) for _ in range(steps)]
    params, below = {}, xs
    for layer in range(2):
        outs = []
        for direction in ("", "_reverse"):
            s = f"_l{layer}{direction}"
            K = rng.uniform(-1, 1, (len(below[0]), 4 * hidden))
            R = rng.uniform(-1, 1, (hidden, 4 * hidden))
            b = rng.uniform(-1, 1, 4 * hidden)
            params.update({"kernel" + s: K, "recurrent_kernel" + s: R, "bias" + s: b})
            outs.append(keras_lstm_numpy(K, R, b, below, reverse=bool(direction)))
        below = [np.concatenate(pair) for pair in zip(*outs)]
    text = problem_yaml(cell="lstm", convention="keras", params=params, inputs={"x": xs},
                        extra="layers: 2\nbidirectional: true\n")
    result = run_trace(parse_problem(text, "keras.yaml"))
    got = np.array([s.values["output"] for s in result.steps])
    np.testing.assert_allclose(got, np.array(below), rtol=1e-13, atol=1e-14)
    assert "kernel_c_l1_reverse" in result.parameters
