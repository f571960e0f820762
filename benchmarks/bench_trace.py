"""Benchmarks of issue 2's speed targets (not a test: machines are noisy).

    python benchmarks/bench_trace.py            # all three targets, full size
    python benchmarks/bench_trace.py --quick    # fewer runs, 300 steps: a smoke run

1. `rnncli --help` imports neither numpy nor rich (checked with -X importtime).
2. `rnncli trace` of an exercise-sized problem costs at most 1.5x the bare
   `python -c "import numpy, yaml, click, rich.console, rich.table"`
   (median wall time of paired runs: each round runs both, in alternating order).
3. `rnncli trace --format json` of 1,000 steps of a 64-unit LSTM with 16
   inputs (issue 2 measured 10,000 steps of a 256-unit LSTM; since the limits of
   docs/problem-files.md that problem is refused, and this is the largest LSTM
   of the kind they accept) runs within 1.5x of a hand-written numpy loop doing the same job in
   one process: read the same problem file, compute the same six quantities
   per step, write the same JSON document (`bench_trace_baseline.py`).

Prints a table of medians and ratios; `--json FILE` also writes them.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHEET_PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
IMPORTS_ONLY = [sys.executable, "-c", "import numpy, yaml, click, rich.console, rich.table"]


def rnncli_command() -> list[str]:
    """Returns how to start rnncli as a user does: the console script, else -m.

    The script installed beside this Python is used, not a version manager's
    shim found on PATH (pyenv's costs a bash start and more per run).
    """
    script = Path(sys.executable).parent / "rnncli"
    if script.exists():
        return [str(script)]
    found = shutil.which("rnncli")
    return [found] if found else [sys.executable, "-m", "rnncli"]


def wall_time(command: list[str], stdout=subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=stdout, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def paired(command_a: list[str], command_b: list[str], rounds: int) -> tuple[float, float]:
    """Returns the median wall times of two commands run in alternating pairs."""
    times_a, times_b = [], []
    wall_time(command_a), wall_time(command_b)          # warm the file cache
    for i in range(rounds):
        if i % 2:
            times_b.append(wall_time(command_b))
            times_a.append(wall_time(command_a))
        else:
            times_a.append(wall_time(command_a))
            times_b.append(wall_time(command_b))
    return statistics.median(times_a), statistics.median(times_b)


def help_imports() -> list[str]:
    """Returns the heavy modules that `import rnncli.cli` pulls in (should be none)."""
    probe = ("import sys, rnncli.cli; "
             "print(' '.join(m for m in ('numpy', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return out.stdout.split()


HIDDEN, INPUTS = 64, 16


def write_big_problem(path: Path, steps: int, hidden: int = HIDDEN, inputs: int = INPUTS) -> None:
    """Writes a standard-LSTM problem with random weights and `steps` random inputs."""
    import numpy as np

    rng = np.random.default_rng(0)
    scale_x, scale_h = 1 / np.sqrt(inputs), 1 / np.sqrt(hidden)
    params = {}
    for gate in "ifog":
        params[f"W_{gate}"] = rng.uniform(-scale_x, scale_x, (hidden, inputs)).round(6).tolist()
        params[f"U_{gate}"] = rng.uniform(-scale_h, scale_h, (hidden, hidden)).round(6).tolist()
        params[f"b_{gate}"] = rng.uniform(-0.1, 0.1, hidden).round(6).tolist()
    x = rng.uniform(-1, 1, (steps, inputs)).round(6).tolist()
    with path.open("w") as handle:
        handle.write(f"title: benchmark LSTM, {steps} steps, H={hidden}, I={inputs}\n")
        handle.write("cell: lstm\nconvention: standard\nparams:\n")
        for name, value in params.items():
            handle.write(f"  {name}: {json.dumps(value)}\n")
        handle.write("inputs:\n  x:\n")
        for row in x:
            handle.write(f"    - {json.dumps(row)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 300 steps")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rounds = 5 if args.quick else 21
    big_rounds = 1 if args.quick else 5
    steps = 300 if args.quick else 1_000
    rnncli = rnncli_command()
    results = {}

    heavy = help_imports()
    results["help_imports_heavy"] = heavy
    print(f"1. import rnncli.cli pulls in: {', '.join(heavy) if heavy else 'neither numpy nor rich'}")

    sheet_trace, imports = paired(rnncli + ["trace", str(SHEET_PROBLEM)], IMPORTS_ONLY, rounds)
    results["sheet_trace_s"], results["imports_only_s"] = sheet_trace, imports
    results["sheet_trace_ratio"] = sheet_trace / imports
    print(f"2. trace of problems/lstm-goodfellow-forward.yaml: {sheet_trace * 1000:.0f} ms median; bare imports "
          f"{imports * 1000:.0f} ms; ratio {sheet_trace / imports:.2f} (target <= 1.5)")

    with tempfile.TemporaryDirectory() as tmp:
        problem = Path(tmp) / "big-lstm.yaml"
        write_big_problem(problem, steps)
        baseline = [sys.executable, str(HERE / "bench_trace_baseline.py"), str(problem)]
        ours = rnncli + ["trace", str(problem), "--format", "json"]
        _check_same_output(ours, baseline, Path(tmp))
        big, hand = paired(ours, baseline, big_rounds)
    results.update(big_trace_s=big, hand_loop_s=hand, big_trace_ratio=big / hand, steps=steps)
    print(f"3. trace --format json of {steps} steps, LSTM H={HIDDEN} I={INPUTS}: {big:.2f} s median; "
          f"hand-written numpy loop {hand:.2f} s; ratio {big / hand:.2f} (target <= 1.5)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _check_same_output(ours: list[str], baseline: list[str], tmp: Path) -> None:
    """Refuses to time two programs that do not produce the same numbers."""
    import numpy as np

    a, b = tmp / "ours.json", tmp / "hand.json"
    with a.open("w") as out:
        subprocess.run(ours, check=True, stdout=out)
    with b.open("w") as out:
        subprocess.run(baseline, check=True, stdout=out)
    doc_a, doc_b = json.loads(a.read_text()), json.loads(b.read_text())
    last_a, last_b = doc_a["steps"][-1]["values"], doc_b["steps"][-1]["values"]
    for name in last_b:
        if not np.allclose(last_a[name], last_b[name], rtol=1e-12, atol=1e-12):
            sys.exit(f"rnncli and the hand-written loop disagree on {name}")
    os.remove(a), os.remove(b)


if __name__ == "__main__":
    main()
