"""Benchmark of `rnncli grade` (not a test: machines are noisy).

    python benchmarks/bench_grade.py              # 1,000 answers files, 5 runs
    python benchmarks/bench_grade.py --files 200 --runs 1

Target (issue 6): 1,000 answers files for the shipped LSTM problem
(problems/lstm-goodfellow-forward.yaml, 9 asked values) graded in one process
in at most 3 s on the two-core development machine.

The class is generated deterministically (seeded) and is deliberately harder
than a real one: besides correct answers it has arithmetic slips carried
forward, consistent slips of method (tanh for σ, a missing bias, tanh for
ReLU), decimal-point slips, values rounded early, random noise in every answer
(no cache can help there, every item is wrong), invalid entries, and unreadable
files (binary junk, an alias bomb). Measured:

Each is paired with an anchor measured in the same run, alternating which goes
first, and the ratio of the medians is printed: in process, reading and parsing
the same files with libyaml and nothing else; as a command, a Python process
importing rnncli's dependencies and parsing them.

1. library: `grade_files` + the CSV gradebook + the `rnncli/grades@1` JSON,
   in this process (median of --runs, each on fresh caches);
2. command: `rnncli grade --problem P FILES... --format json --csv FILE`, wall
   time of the whole process (Python start-up included);
3. command, text output (the tables of 1,000 students);
4. library again on a worst case: every answer of every file random noise, so
   every item is wrong and every follow-through and diagnosis is recomputed.
"""
from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
ASKED = ("s", "h", "y")

SLIPS = {   # equations a student might use instead of the sheet's
    "tanh for σ in s": {"s": "f * s[t-1] + g * tanh(b + U * x + W * h[t-1])"},
    "no bias in s": {"s": "f * s[t-1] + g * sigmoid(U * x + W * h[t-1]) + 0 * b"},
    "tanh for ReLU in h": {"h": "tanh(s) * q"},
}


def values(problem, equations=None, overrides=None) -> dict:
    from rnncli.solve.trace import run_trace

    if equations:
        problem = dataclasses.replace(problem, equations={**problem.equations, **equations})
    trace = run_trace(problem, overrides=overrides)
    return {(name, step.t): float(step.values[name]) for step in trace.steps for name in ASKED}


def make_class(directory: Path, count: int, seed: int = 2) -> list[str]:
    """Writes `count` answers files; returns their paths, in order."""
    from rnncli.files.problem import load_problem

    problem = load_problem(str(PROBLEM))
    rng = random.Random(seed)
    reference = values(problem)
    slipped = {label: values(problem, eq) for label, eq in SLIPS.items()}
    paths = []
    for n in range(count):
        kind = rng.random()
        answers = {k: round(v, 4) for k, v in reference.items()}
        extra = ""
        if kind < 0.45:
            pass                                                    # all correct
        elif kind < 0.60:                                           # a slip, carried forward
            t = rng.choice((1, 2))
            slip = round(reference[("s", t)] + rng.choice((-1, 1)) * rng.choice((0.01, 0.02, 0.1)), 4)
            import numpy as np

            carried = values(problem, overrides={("s", t): np.float64(slip)})
            answers = {k: round(v, 4) for k, v in carried.items()}
        elif kind < 0.72:                                           # a slip of method
            answers = {k: round(v, 4) for k, v in slipped[rng.choice(list(SLIPS))].items()}
        elif kind < 0.78:                                           # a decimal point
            key = rng.choice(list(answers))
            answers[key] = round(answers[key] * 10, 4)
        elif kind < 0.84:                                           # rounded early
            answers = {k: round(v, 2) for k, v in reference.items()}
        elif kind < 0.94:                                           # noise everywhere
            answers = {k: round(rng.uniform(-1, 2), 4) for k in answers}
        elif kind < 0.98:                                           # missing and invalid
            for key in rng.sample(list(answers), 3):
                del answers[key]
            answers[("y", 2)] = "about 0.7"
            extra = "  hh[1]: 3\n"
        path = directory / f"student{n:04d}.yaml"
        if kind >= 0.98:                                            # unreadable
            if n % 2:
                path.write_bytes(b"\x00\xffjunk" * 50)
            else:
                path.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                                + "".join(f'{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n'
                                          for p, c in zip("abcdefgh", "bcdefghi"))
                                + "answers: {}\n")
        else:
            lines = [f"student: Student {n}", f"student_id: s{n:04d}",
                     "problem: ../../etc/forged.yaml", "answers:"]
            lines += [f"  {name}[{t}]: {v}" for (name, t), v in sorted(answers.items())]
            path.write_text("\n".join(lines) + "\n" + extra)
        paths.append(str(path))
    return paths


def make_noise(directory: Path, count: int, seed: int = 1) -> list[str]:
    """Writes `count` answers files of random values; returns their paths."""
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        path = directory / f"noise{n:04d}.yaml"
        path.write_text("answers:\n" + "".join(f"  {name}[{t}]: {round(rng.uniform(-1, 2), 4)}\n"
                                               for name in ASKED for t in (1, 2, 3)))
        paths.append(str(path))
    return paths


def library_run(paths: list[str]) -> tuple[float, object]:
    from rnncli.render.gradebook import csv_text
    from rnncli.grading.batch import grade_files
    from rnncli.render.grade import grades_document
    from rnncli.render.json_document import dumps

    start = time.perf_counter()
    report = grade_files(paths, str(PROBLEM))
    csv_text(report)
    dumps(grades_document(report))
    return time.perf_counter() - start, report


def command_run(paths: list[str], out: Path, fmt: str) -> float:
    script = Path(sys.executable).parent / "rnncli"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "rnncli"]
    command += ["grade", "--problem", str(PROBLEM), *paths, "--format", fmt, "--csv", str(out)]
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


# The anchor: reading and parsing every answers file with libyaml, nothing else (the floor
# of any grader that reads YAML), in this process, or as a command with rnncli's imports.
FLOOR = """
import sys, numpy, yaml, click, rich.console
for path in open(sys.argv[1]).read().split():
    try:
        yaml.load(open(path, encoding="utf-8").read(), Loader=yaml.CSafeLoader)
    except Exception:
        pass
"""


def floor_run(paths: list[str]) -> float:
    import yaml

    start = time.perf_counter()
    for path in paths:
        try:
            yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except Exception:  # noqa: BLE001 - junk files: the floor reads them as far as it can
            pass
    return time.perf_counter() - start


def floor_command_run(listing: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR, str(listing)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def paired(measure, anchor, runs: int) -> tuple[float, float]:
    """Returns the medians of `measure()` and `anchor()` run in alternating pairs."""
    ours, theirs = [], []
    for i in range(runs):
        pair = (measure, anchor) if i % 2 == 0 else (anchor, measure)
        times = [f() for f in pair]
        ours.append(times[0] if i % 2 == 0 else times[1])
        theirs.append(times[1] if i % 2 == 0 else times[0])
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="rnncli-bench-grade-"))
    try:
        (directory / "class").mkdir()
        paths = make_class(directory / "class", args.files)
        listing = directory / "files.txt"
        listing.write_text("\n".join(paths))
        report = library_run(paths)[1]
        statuses: dict[str, int] = {}
        for result in report.results:
            for item in result.items:
                statuses[item.status] = statuses.get(item.status, 0) + 1
        unreadable = sum(1 for r in report.results if r.error)
        diagnosed = sum(1 for r in report.results for i in r.items if i.diagnosis)
        (directory / "noise").mkdir()
        noise = make_noise(directory / "noise", args.files)
        csv = directory / "grades.csv"
        rows = [
            ("library  grade + CSV + JSON", "floor: parse the files",
             paired(lambda: library_run(paths)[0], lambda: floor_run(paths), args.runs)),
            ("library  worst case: all noise", "floor: parse the files",
             paired(lambda: library_run(noise)[0], lambda: floor_run(noise), args.runs)),
            ("command  --format json --csv", "floor command: imports + parse",
             paired(lambda: command_run(paths, csv, "json"), lambda: floor_command_run(listing),
                    args.runs)),
            ("command  --format text --csv", "floor command: imports + parse",
             paired(lambda: command_run(paths, csv, "text"), lambda: floor_command_run(listing),
                    args.runs)),
        ]
        print(f"{args.files} answers files ({unreadable} unreadable); items: "
              + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) + f"; {diagnosed} diagnosed")
        for label, anchor, (ours, theirs) in rows:
            print(f"{label:32} median {ours:.3f} s; {anchor} {theirs:.3f} s; "
                  f"ratio {ours / theirs:.1f}")
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
