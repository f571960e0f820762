"""Benchmark of issue 9's speed target (not a test: machines are noisy).

    python benchmarks/bench_stacked.py            # 1,000 steps, 5 paired rounds
    python benchmarks/bench_stacked.py --quick    # 100 steps, 1 round: a smoke run

A trace of a 3-layer bidirectional LSTM (PyTorch's convention, hidden 256,
input 32, the weights as `state_dict()` gives them: 3.75 million numbers)
over 1,000 steps, written as the `--format json` document, must run within
1.5x of a hand-written numpy loop doing the same math and writing the same
JSON (bench_stacked_baseline.hand_document).

Both sides start from the same numbers in memory and write to the same kind
of file. The command itself cannot read this network from a file: 3.75 million
numbers are past the YAML reader's safety limits (16 MiB, 2 million values),
which `rnncli trace` reports in one line. So what is timed is exactly what the
command runs after reading: `run_trace` (cutting the packed tensors, building
every layer and direction, the trace) and `trace_document` + `dumps` + write.
Rounds are paired (each runs both, alternating which goes first); the medians
are compared. Before timing, both documents are checked to agree.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from bench_stacked_baseline import hand_document  # noqa: E402


def make_network(steps: int, layers: int = 3, hidden: int = 256, inputs: int = 32):
    """Returns (packed params, inputs) with seeded random numbers."""
    rng = np.random.default_rng(9)
    scale = 1 / np.sqrt(hidden)
    params = {}
    for layer in range(layers):
        width = inputs if layer == 0 else 2 * hidden
        for suffix in (f"_l{layer}", f"_l{layer}_reverse"):
            for name, shape in (("weight_ih", (4 * hidden, width)),
                                ("weight_hh", (4 * hidden, hidden)),
                                ("bias_ih", (4 * hidden,)), ("bias_hh", (4 * hidden,))):
                params[name + suffix] = rng.uniform(-scale, scale, shape)
    xs = [row for row in rng.uniform(-1, 1, (steps, inputs))]
    return params, xs


def ours(problem, out: Path) -> None:
    from rnncli.render.json_document import dumps, trace_document
    from rnncli.solve.trace import run_trace

    out.write_text(dumps(trace_document(run_trace(problem))) + "\n", encoding="utf-8")


def theirs(params, xs, layers, title, out: Path) -> None:
    document = hand_document(params, xs, layers, title)
    out.write_text(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n",
                   encoding="utf-8")


def timed(function, *args) -> float:
    gc.collect()
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    from rnncli.files.problem import Problem

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 steps, one round")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    steps = 100 if args.quick else 1_000
    rounds = 1 if args.quick else 5
    layers, title = 3, "benchmark: 3-layer bidirectional LSTM, H=256, I=32"
    params, xs = make_network(steps, layers)
    problem = Problem(file="<benchmark>", title=title, cell="lstm", convention="pytorch",
                      layers=layers, bidirectional=True, params=params,
                      inputs={"x": tuple(xs)}, input_names=("x",))
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "ours.json", Path(tmp) / "hand.json"
        ours(problem, a)
        theirs(params, xs, layers, title, b)
        check_same(json.loads(a.read_text()), json.loads(b.read_text()))
        size = os.path.getsize(a)
        mine, hand = [], []
        for i in range(rounds):
            pair = [(mine, lambda: timed(ours, problem, a)),
                    (hand, lambda: timed(theirs, params, xs, layers, title, b))]
            for times, run in (pair if i % 2 == 0 else pair[::-1]):
                times.append(run())
    m, h = statistics.median(mine), statistics.median(hand)
    count = sum(v.size for v in params.values())
    results = {"steps": steps, "parameters": count, "json_bytes": size, "rnncli_s": m,
               "hand_loop_s": h, "ratio": m / h, "rounds": rounds}
    print(f"3-layer bidirectional LSTM H=256 I=32 ({count} parameters), {steps} steps, JSON of "
          f"{size / 1e6:.0f} MB: rnncli {m:.2f} s median, hand-written numpy loop {h:.2f} s; "
          f"ratio {m / h:.2f} (target <= 1.5)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def check_same(a: dict, b: dict) -> None:
    """Refuses to time two programs that do not produce the same document."""
    assert a.keys() == b.keys() and a["packed"] == b["packed"], "different documents"
    assert a["initial"].keys() == b["initial"].keys()
    assert len(a["steps"]) == len(b["steps"])
    for step_a, step_b in zip(a["steps"], b["steps"]):
        assert step_a["values"].keys() == step_b["values"].keys(), "different quantities"
        for name in step_b["values"]:
            if not np.allclose(step_a["values"][name], step_b["values"][name],
                               rtol=1e-12, atol=1e-12):
                sys.exit(f"rnncli and the hand-written loop disagree on {name}[{step_a['t']}]")


if __name__ == "__main__":
    main()
