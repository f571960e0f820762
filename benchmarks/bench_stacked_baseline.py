"""The hand-written anchor of bench_stacked.py: a stacked bidirectional LSTM as a plain numpy loop.

    python benchmarks/bench_stacked_baseline.py PROBLEM.yaml > out.json

`hand_document(params, xs, layers, title)` cuts PyTorch's packed tensors by
gate order (i, f, g, o), runs every layer and direction (the backward one from
the last step to the first, layer k+1 reading [h_lk, h_lk_reverse]) with the
equations of rnncli's pytorch LSTM, and returns the same JSON document as
`rnncli trace --format json`. As a script it reads a problem file with PyYAML
(libyaml), and its `params_file`/`inputs_file` (.npz beside it) with numpy.
Written for this benchmark only: the PyTorch LSTM, no projection, with biases.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import yaml

GATES = "ifgo"


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def main(path: str) -> None:
    from pathlib import Path

    with open(path, encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=yaml.CSafeLoader)
    folder = Path(path).parent
    if "params_file" in data:
        with np.load(folder / data["params_file"], allow_pickle=False) as arrays:
            params = {k: np.asarray(arrays[k], dtype=float) for k in arrays.files}
    else:
        params = {k: np.array(v, dtype=float) for k, v in data["params"].items()}
    if "inputs_file" in data:
        with np.load(folder / data["inputs_file"], allow_pickle=False) as arrays:
            xs = [row for row in np.asarray(arrays["x"], dtype=float)]
    else:
        xs = [np.array(x, dtype=float) for x in data["inputs"]["x"]]
    document = hand_document(params, xs, data["layers"], data.get("title"))
    sys.stdout.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n")


def hand_document(params: dict, xs: list, layers: int, title) -> dict:
    """Returns the trace@1 document of the network, computed by a plain loop."""
    steps = len(xs)
    hidden = params["weight_hh_l0"].shape[1]
    parts = {}
    packed = []
    for name, value in params.items():
        kind, _, suffix = name.partition("_l")
        suffix = "_l" + suffix
        base = {"weight_ih": "W_i", "weight_hh": "W_h", "bias_ih": "b_i", "bias_hh": "b_h"}[kind]
        names = [f"{base}{g}{suffix}" for g in GATES]
        for part, block in zip(names, np.split(value, 4, axis=0)):
            parts[part] = np.ascontiguousarray(block)
        packed.append({"name": name, "shape": list(value.shape), "parts": names})
    rows = [{} for _ in range(steps)]
    below = xs
    initial = {}
    for layer in range(layers):
        outs = []
        for direction in ("", "_reverse"):
            s = f"_l{layer}{direction}"
            W = {g: (parts[f"W_i{g}{s}"], parts[f"b_i{g}{s}"], parts[f"W_h{g}{s}"],
                     parts[f"b_h{g}{s}"]) for g in GATES}
            h = np.zeros(hidden)
            c = np.zeros(hidden)
            initial["h" + s], initial["c" + s] = h, c
            order = range(steps) if not direction else range(steps - 1, -1, -1)
            hs = [None] * steps
            for t in order:
                x = below[t]
                pre = {g: W[g][0] @ x + W[g][1] + W[g][2] @ h + W[g][3] for g in GATES}
                i, f = sigmoid(pre["i"]), sigmoid(pre["f"])
                g, o = np.tanh(pre["g"]), sigmoid(pre["o"])
                c = f * c + i * g
                h = o * np.tanh(c)
                row = rows[t]
                row["i" + s], row["f" + s], row["g" + s], row["o" + s] = i, f, g, o
                row["c" + s], row["h" + s] = c, h
                hs[t] = h
            outs.append(hs)
        below = [np.concatenate([a, b]) for a, b in zip(*outs)]
    for t in range(steps):
        rows[t]["output"] = below[t]
    return {
        "schema": "rnncli/trace@1", "title": title, "time_start": 1,
        "steps": [{"t": t + 1, "inputs": {"x": xs[t].tolist()},
                   "values": {k: v.tolist() for k, v in rows[t].items()}}
                  for t in range(steps)],
        "initial": {k: v.tolist() for k, v in initial.items()},
        "packed": packed,
    }


if __name__ == "__main__":
    main(sys.argv[1])
