"""The hand-written baseline of bench_trace.py: the same job as `rnncli trace --format json`
on a standard LSTM problem, written directly with PyYAML (libyaml) and numpy.

    python benchmarks/bench_trace_baseline.py PROBLEM.yaml > out.json
"""
import json
import sys

import numpy as np
import yaml


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def main(path: str) -> None:
    with open(path) as handle:
        problem = yaml.load(handle, Loader=yaml.CSafeLoader)
    p = {k: np.array(v, dtype=float) for k, v in problem["params"].items()}
    xs = [np.array(x, dtype=float) for x in problem["inputs"]["x"]]
    hidden = p["b_i"].shape[0]
    h, c = np.zeros(hidden), np.zeros(hidden)
    steps = []
    for t, x in enumerate(xs, start=1):
        i = sigmoid(p["W_i"] @ x + p["U_i"] @ h + p["b_i"])
        f = sigmoid(p["W_f"] @ x + p["U_f"] @ h + p["b_f"])
        o = sigmoid(p["W_o"] @ x + p["U_o"] @ h + p["b_o"])
        g = np.tanh(p["W_g"] @ x + p["U_g"] @ h + p["b_g"])
        c = f * c + i * g
        h = o * np.tanh(c)
        steps.append({"t": t, "inputs": {"x": x.tolist()},
                      "values": {"i": i.tolist(), "f": f.tolist(), "o": o.tolist(),
                                 "g": g.tolist(), "c": c.tolist(), "h": h.tolist()}})
    document = {"schema": "rnncli/trace@1", "title": problem.get("title"), "time_start": 1,
                "steps": steps}
    sys.stdout.write(json.dumps(document, ensure_ascii=False, allow_nan=False))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
