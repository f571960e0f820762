"""The anchor of bench_big.py: the bare math of a standard LSTM as a numpy loop, in one process.

    python benchmarks/bench_bare_math.py HIDDEN INPUTS STEPS

The same equations and the same generated numbers as the problems of
bench_big.py (bench_trace.write_big_problem's generator), and nothing else:
no file to read, no output but a checksum. Python's start-up and numpy's
import are included, as they are in every rnncli run it is compared with.
"""
import sys

import numpy as np


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def weights(hidden: int, inputs: int, steps: int):
    """Returns (params, inputs) as bench_trace.write_big_problem draws them."""
    rng = np.random.default_rng(0)
    scale_x, scale_h = 1 / np.sqrt(inputs), 1 / np.sqrt(hidden)
    params = {}
    for gate in "ifog":
        params[f"W_{gate}"] = rng.uniform(-scale_x, scale_x, (hidden, inputs)).round(6)
        params[f"U_{gate}"] = rng.uniform(-scale_h, scale_h, (hidden, hidden)).round(6)
        params[f"b_{gate}"] = rng.uniform(-0.1, 0.1, hidden).round(6)
    return params, rng.uniform(-1, 1, (steps, inputs)).round(6)


def main(hidden: int, inputs: int, steps: int) -> None:
    p, xs = weights(hidden, inputs, steps)
    h, c = np.zeros(hidden), np.zeros(hidden)
    for x in xs:
        i = sigmoid(p["W_i"] @ x + p["U_i"] @ h + p["b_i"])
        f = sigmoid(p["W_f"] @ x + p["U_f"] @ h + p["b_f"])
        o = sigmoid(p["W_o"] @ x + p["U_o"] @ h + p["b_o"])
        g = np.tanh(p["W_g"] @ x + p["U_g"] @ h + p["b_g"])
        c = f * c + i * g
        h = o * np.tanh(c)
    print(repr(float(h.sum())))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
