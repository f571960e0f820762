"""Benchmark of issue 9's speed target (not a test: machines are noisy).

    python benchmarks/bench_stacked.py            # 1,000 steps, 3 paired rounds, as commands
    python benchmarks/bench_stacked.py --quick    # 100 steps, 1 round: a smoke run
    python benchmarks/bench_stacked.py --in-process   # the library, from numbers in memory

A trace of a 3-layer bidirectional LSTM (PyTorch's convention, hidden 256,
input 32, the weights as `state_dict()` gives them: 3.75 million numbers)
over 1,000 steps, written as the `--format json` document, must run within
1.5x of a hand-written numpy loop doing the same math and writing the same
JSON (bench_stacked_baseline.hand_document).

By default both sides are whole commands on the same files: a problem with
`params_file: weights.npz` (the `state_dict()` tensors under their own names)
and `inputs_file: inputs.npz` beside it (3.75 million numbers are far past
what a YAML file may hold), `rnncli trace P.yaml --format json > a.json`
against `python bench_stacked_baseline.py P.yaml > b.json`. With
`--in-process`, both start from the same numbers in memory and what is timed
is what the command runs after reading: `run_trace` (cutting the packed
tensors, building every layer and direction, the trace) and the JSON.
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
    from rnncli.render.json_stream import write_trace_json
    from rnncli.solve.trace import run_trace

    with out.open("w", encoding="utf-8") as handle:
        write_trace_json(run_trace(problem), handle.write)
        handle.write("\n")


def write_files(folder: Path, params: dict, xs: list, layers: int, title: str) -> Path:
    """Writes the network as a problem with its arrays in .npz files; returns the problem."""
    np.savez(folder / "weights.npz", **params)
    np.savez(folder / "inputs.npz", x=np.array(xs))
    problem = folder / "stacked.yaml"
    problem.write_text(f"title: \"{title}\"\ncell: lstm\nconvention: pytorch\nlayers: {layers}\n"
                       "bidirectional: true\nparams_file: weights.npz\ninputs_file: inputs.npz\n")
    return problem


def run_to(command: list, out: Path) -> float:
    """Returns the seconds of a command with its stdout written to `out`."""
    import subprocess

    with out.open("wb") as handle:
        start = time.perf_counter()
        subprocess.run(command, stdout=handle, check=True)
        return time.perf_counter() - start


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
    parser.add_argument("--in-process", action="store_true",
                        help="time the library from numbers in memory, not the commands")
    args = parser.parse_args()
    steps = 100 if args.quick else 1_000
    rounds = 1 if args.quick else 3
    layers, title = 3, "benchmark: 3-layer bidirectional LSTM, H=256, I=32"
    params, xs = make_network(steps, layers)
    problem = Problem(file="<benchmark>", title=title, cell="lstm", convention="pytorch",
                      layers=layers, bidirectional=True, params=params,
                      inputs={"x": tuple(xs)}, input_names=("x",))
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "ours.json", Path(tmp) / "hand.json"
        if args.in_process:
            run_ours, run_theirs = (lambda: timed(ours, problem, a),
                                    lambda: timed(theirs, params, xs, layers, title, b))
        else:
            path = write_files(Path(tmp), params, xs, layers, title)
            command = [sys.executable, "-m", "rnncli", "trace", str(path), "--format", "json"]
            anchor = [sys.executable, str(HERE / "bench_stacked_baseline.py"), str(path)]
            run_ours, run_theirs = lambda: run_to(command, a), lambda: run_to(anchor, b)
        run_ours()
        run_theirs()
        check_same(json.loads(a.read_text()), json.loads(b.read_text()))
        size = os.path.getsize(a)
        mine, hand = [], []
        for i in range(rounds):
            pair = [(mine, run_ours), (hand, run_theirs)]
            for times, run in (pair if i % 2 == 0 else pair[::-1]):
                times.append(run())
    m, h = statistics.median(mine), statistics.median(hand)
    count = sum(v.size for v in params.values())
    results = {"steps": steps, "parameters": count, "json_bytes": size, "rnncli_s": m,
               "hand_loop_s": h, "ratio": m / h, "rounds": rounds,
               "mode": "in process" if args.in_process else "commands"}
    print(f"[{results['mode']}] 3-layer bidirectional LSTM H=256 I=32 ({count} parameters), {steps} steps, JSON of "
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
