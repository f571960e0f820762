"""Benchmarks of big problems (issue: loading, validating, writing and grading at numpy's speed).

    python benchmarks/bench_big.py            # every case at full size, 3 paired rounds
    python benchmarks/bench_big.py --quick    # a smoke run: smaller cases, 1 round
    python benchmarks/bench_big.py --only trace-h64 --rounds 5
    python benchmarks/bench_big.py --only trace-h64 --before OLD_CHECKOUT  # both, same rounds

Not a test (machines are noisy). Every problem is generated here, with the
same seeded weights as bench_trace.write_big_problem; none is stored.

Traces are compared with an anchor measured in the same run:
`bench_bare_math.py`, the same LSTM equations as a bare numpy loop in one
process (Python start-up and numpy's import included, no file, no output).
Runs are paired (each round runs both, alternating which goes first) and the
medians are compared, so load on the machine hits both. Peak memory is the
maximum resident set size of one run, from /usr/bin/time -v when present
(else the children's ru_maxrss, which is a maximum over all children so far).

Cases (a name for --only):
  trace-h16      LSTM H=16, 10,000 steps, --format json       vs bare math
  trace-h64      LSTM H=64, 10,000 steps, --format json       vs bare math
  trace-h256     LSTM H=256, 100 steps (300k weights) vs bare math
  trace-h1024    LSTM H=1024, 100 steps, weights in params_file (.npz) vs bare math;
                 and the load + validation alone, in process
  startup        trace of the shipped sheet-sized LSTM problem vs importing the dependencies;
                 modules that --help, unroll and graph import
  grade-sheet     10,000 answers files of the sheet-sized LSTM problem (bench_grade's class)
  grade-h64      1,000 answers files of an H=64, 50-step problem, h asked at every step
                 (--against OTHER_CHECKOUT: that rnncli graded on the same files, back to back;
                 --grade-jobs N: graded with `--jobs N`, e.g. 1 for one process)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_trace import (IMPORTS_ONLY, SHEET_PROBLEM, rnncli_command, wall_time,  # noqa: E402
                         write_big_problem)

BARE = [sys.executable, str(HERE / "bench_bare_math.py")]
TIME_V = Path("/usr/bin/time")


def paired(a: list[str], b: list[str], rounds: int) -> tuple[float, float]:
    """Returns the median wall times of two commands run in alternating pairs."""
    return tuple(alternated([a, b], rounds))


def alternated(commands: list[list[str]], rounds: int) -> list[float]:
    """Returns the median wall times of commands run in turn, the order reversed every round."""
    times = [[] for _ in commands]
    for i in range(rounds):
        order = list(range(len(commands)))
        for k in (order if i % 2 == 0 else order[::-1]):
            times[k].append(wall_time(commands[k]))
    return [statistics.median(t) for t in times]


def _source_command(tree: Path) -> list[str]:
    """Returns how to start the rnncli of a source tree (its package first on sys.path)."""
    # PYTHONPATH alone loses to the current folder's rnncli/ under `python -m`.
    start = (f"import sys; sys.path.insert(0, {str(tree.resolve())!r}); "
             "sys.argv[0] = 'rnncli'; from rnncli.cli import main; main()")
    return [sys.executable, "-c", start]


BEFORE: Path | None = None      # --before: another source tree timed beside this rnncli


def peak_memory_mib(command: list[str]) -> float:
    """Returns the maximum resident set size of one run of a command, in MiB."""
    if TIME_V.exists():
        result = subprocess.run([str(TIME_V), "-v", *command], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, check=False)
        if result.returncode:
            print(f"  (the run for peak memory failed: {result.stderr.splitlines()[-25:][:3]})")
            return float("nan")
        for line in result.stderr.splitlines():
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1]) / 1024
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def trace_case(tmp: Path, name: str, hidden: int, steps: int, rounds: int) -> dict:
    """Times `rnncli trace --format json` of a generated LSTM against the bare math.

    The problem is YAML when it fits the YAML file limit (512 KiB); beyond it, its
    weights and then its inputs move to .npz files beside it (`params_file`,
    `inputs_file`), as a problem from a training run would be written.
    """
    from rnncli.files.text_source import MAX_BYTES

    problem = tmp / f"{name}.yaml"
    write_big_problem(problem, steps, hidden=hidden, inputs=32)
    moved = _move_to_npz(problem, hidden, steps) if problem.stat().st_size > MAX_BYTES else ()
    ours = rnncli_command() + ["trace", str(problem), "--format", "json"]
    bare = BARE + [str(hidden), "32", str(steps)]
    _check_same_numbers(ours, bare)
    if BEFORE:
        # Three commands in turn: this rnncli, the other tree's, the anchor.
        theirs = _source_command(BEFORE) + ["trace", str(problem), "--format", "json"]
        mine, before, anchor = alternated([ours, theirs, bare], rounds)
    else:
        mine, anchor = paired(ours, bare, rounds)
    row = {"case": name, "rnncli_s": mine, "anchor_s": anchor, "ratio": mine / anchor,
           "peak_mib": peak_memory_mib(ours), "file_mib": problem.stat().st_size / 2**20,
           "command": f"rnncli trace {name}.yaml --format json", "rounds": rounds,
           "npz": list(moved)}
    if BEFORE:
        row.update(before_s=before, before_ratio=before / anchor, over_before=mine / before)
    if moved:
        row["load_s"] = _load_alone(problem)
    return row


def _move_to_npz(problem: Path, hidden: int, steps: int) -> tuple:
    """Rewrites a generated problem with its weights (and, if still too big, its inputs) in
    .npz files beside it; returns the keys used."""
    import numpy as np

    from bench_bare_math import weights
    from rnncli.files.text_source import MAX_BYTES

    text = problem.read_text()
    head, _, rest = text.partition("params:\n")
    inputs = rest[rest.index("inputs:"):]
    params, xs = weights(hidden, 32, steps)
    np.savez(problem.parent / "weights.npz", **params)
    moved = ("params_file",)
    if len(head) + len(inputs) > MAX_BYTES - 100:
        np.savez(problem.parent / "inputs.npz", x=xs)
        inputs, moved = "inputs_file: inputs.npz\n", moved + ("inputs_file",)
    problem.write_text(head + "params_file: weights.npz\n" + inputs)
    return moved


def _load_alone(problem: Path) -> float:
    """Returns the seconds of load_problem (read, parse, validate) in a fresh process."""
    code = ("import time, sys; import numpy; from rnncli.files.problem import load_problem; "
            "t = time.perf_counter(); load_problem(sys.argv[1]); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(problem)], check=True,
                         capture_output=True, text=True)
    return float(out.stdout)


def _check_same_numbers(ours: list[str], bare: list[str]) -> None:
    """Refuses to time an rnncli run whose last h is not the bare loop's (to 1e-9)."""
    document = json.loads(subprocess.run(ours, check=True, capture_output=True).stdout)
    mine = sum(document["steps"][-1]["values"]["h"])
    anchor = float(subprocess.run(bare, check=True, capture_output=True, text=True).stdout)
    if abs(mine - anchor) > 1e-9 * max(1.0, abs(anchor)):
        sys.exit(f"rnncli and the bare loop disagree: {mine!r} vs {anchor!r}")


def startup_case(rounds: int) -> dict:
    """Times the sheet-sized trace against importing the dependencies; lists heavy imports."""
    mine, floor = paired(rnncli_command() + ["trace", str(SHEET_PROBLEM)], IMPORTS_ONLY, rounds)
    heavy = {}
    for label, argv in (("--help", ["--help"]),
                        ("unroll", ["unroll", str(ROOT / "problems" / "rnn-unroll-five-steps.yaml"),
                                    "--to", "3"]),
                        ("graph", ["graph", str(ROOT / "problems" / "two-layer-feedback-graph.yaml")])):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "rnncli", *argv],
                                capture_output=True, text=True, cwd=ROOT)
        loaded = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                  if line.startswith("import time:")}
        heavy[label] = sorted(loaded & {"numpy", "rich", "orjson", "matplotlib"})
    return {"case": "startup", "rnncli_s": mine, "anchor_s": floor, "ratio": mine / floor,
            "command": "rnncli trace problems/lstm-goodfellow-forward.yaml", "rounds": rounds,
            "heavy_imports": heavy}


AGAINST: list = []      # --against SRC: the rnncli command of that source tree
GRADE_JOBS: list = []   # --grade-jobs N: `rnncli grade --jobs N` (default: rnncli's own choice)
GRADE_ROUNDS: list = [3]   # runs of each grading command (median, fastest): --rounds


def _graded(case: str, arguments: list[str], files: int, command_text: str) -> dict:
    """Times `rnncli grade ARGUMENTS`; with --against, that tree's rnncli too on the same
    files, the two run back to back (which goes first alternating with the case)."""
    mine = rnncli_command() + arguments + (["--jobs", str(GRADE_JOBS[0])] if GRADE_JOBS else [])
    runs = [("now", mine)] + ([("against", AGAINST[0] + arguments)] if AGAINST else [])
    if case == "grade-h64":
        runs.reverse()
    row = {"case": case, "files": files, "command": command_text, "rounds": GRADE_ROUNDS[0]}
    measured: dict[str, list] = {label: [] for label, _ in runs}
    for round_ in range(GRADE_ROUNDS[0]):
        for label, command in (runs if round_ % 2 == 0 else runs[::-1]):
            seconds, peak = _timed_allowing_failures(command)
            measured[label].append((seconds, peak, CPU_SECONDS["last"], TREE_MIB["last"]))
    for label, results in measured.items():
        prefix = "" if label == "now" else "against_"
        seconds = statistics.median(r[0] for r in results)
        row |= {f"{prefix}rnncli_s": seconds, f"{prefix}ms_per_file": 1000 * seconds / files,
                f"{prefix}fastest_s": min(r[0] for r in results),
                f"{prefix}peak_mib": max(r[1] for r in results),
                f"{prefix}all_processes_mib": max(r[3] for r in results),
                f"{prefix}cpu_ms_per_file": 1000 * statistics.median(r[2] for r in results) / files}
    return row


def grade_sheet_case(tmp: Path, files: int) -> dict:
    """Times `rnncli grade` of a generated class of the sheet-sized LSTM problem."""
    from bench_grade import PROBLEM, make_class

    directory = tmp / "sheet-class"
    directory.mkdir()
    paths = make_class(directory, files)
    arguments = ["grade", "--problem", str(PROBLEM), *paths, "--format", "json",
                 "--csv", str(tmp / "sheet-grades.csv")]
    return _graded("grade-sheet", arguments, files,
                   f"rnncli grade --problem {PROBLEM.relative_to(ROOT)} {files} files "
                   "--format json --csv grades.csv")


def grade_h64_case(tmp: Path, files: int, steps: int = 50, hidden: int = 64) -> dict:
    """Times `rnncli grade` of a class answering h (64 entries) at every one of 50 steps."""
    problem = tmp / "h64-graded.yaml"
    write_big_problem(problem, steps, hidden=hidden, inputs=32)
    with problem.open("a") as handle:
        handle.write("questions:\n  - id: a\n    text: h at every step\n    ask: [h]\n"
                     f"    points: {steps}\n    tolerance: {{rel: 0.01, abs: 0.001}}\n")
    paths = _h64_class(problem, tmp / "h64-class", files)
    arguments = ["grade", "--problem", str(problem), *paths, "--format", "json",
                 "--csv", str(tmp / "h64-grades.csv")]
    return _graded("grade-h64", arguments, files,
                   f"rnncli grade --problem h64-graded.yaml {files} files --format json "
                   "--csv grades.csv")


def _h64_class(problem: Path, directory: Path, count: int, seed: int = 64) -> list[str]:
    """Writes answers files: 60% right to 4 decimals, 20% a slip at one step, 20% noise."""
    import numpy as np

    from rnncli.files.problem import load_problem
    from rnncli.solve.trace import run_trace

    directory.mkdir()
    reference = [s.values["h"] for s in run_trace(load_problem(str(problem))).steps]
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        kind = rng.random()
        rows = [np.round(h, 4) for h in reference]
        if 0.6 <= kind < 0.8:
            t = rng.randrange(len(rows))
            rows[t] = np.round(rows[t] + 0.05, 4)
        elif kind >= 0.8:
            rows = [np.round(np.array([rng.uniform(-1, 1) for _ in h]), 4) for h in reference]
        path = directory / f"student{n:04d}.yaml"
        path.write_text(f"student: Student {n}\nstudent_id: s{n:04d}\nanswers:\n"
                        + "".join(f"  h[{t + 1}]: {json.dumps(r.tolist())}\n"
                                  for t, r in enumerate(rows)))
        paths.append(str(path))
    return paths


CPU_SECONDS: dict[str, float] = {}     # the last run's user + system seconds (time -v)
TREE_MIB: dict[str, float] = {}        # the last run's peak resident memory, all its processes


def _proportional_bytes(directory: Path, page: int) -> int:
    """Returns a process's proportional set size (its resident pages, a page shared by n
    processes counting 1/n: forked workers share their parent's), else its resident size."""
    try:
        for line in (directory / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int((directory / "statm").read_text().split()[1]) * page
    except OSError:
        return 0


def _sample_tree(process) -> float:
    """Returns the largest sum of memory (MiB) of a process and its descendants seen while it
    runs (Linux /proc; nan elsewhere). Sampled every SAMPLE_SECONDS, the tree found through
    /proc/PID/task/*/children: cheap enough not to slow the two-core machine it measures."""
    proc = Path("/proc")
    if not proc.exists():
        process.wait()
        return float("nan")
    page = os.sysconf("SC_PAGE_SIZE")
    peak = 0
    while process.poll() is None:
        tree, todo = set(), [process.pid]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            try:
                for task in (proc / str(pid) / "task").iterdir():
                    todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
        peak = max(peak, sum(_proportional_bytes(proc / str(pid), page) for pid in tree))
        time.sleep(SAMPLE_SECONDS)
    return peak / 2 ** 20


SAMPLE_SECONDS = 0.2


def _timed_allowing_failures(command: list[str]) -> tuple[float, float]:
    """Returns (wall seconds, peak MiB) of one run; grade exits 1 when a student lost points.

    The run's CPU time (user + system, from time -v, its worker processes included) is
    left in CPU_SECONDS["last"]: on a loaded machine it moves far less than the wall
    time. time -v's peak is the largest single process's; the peak of all of them
    together (`rnncli grade` forks a worker per CPU) is sampled from /proc (_sample_tree)
    (proportional set sizes, so that pages the workers share with the parent count once)
    and left in TREE_MIB["last"]."""
    prefix = [str(TIME_V), "-v"] if TIME_V.exists() else []
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:      # (a pipe could fill while we sample)
        process = subprocess.Popen(prefix + command, stdout=subprocess.DEVNULL, stderr=errors,
                                   text=True)
        TREE_MIB["last"] = _sample_tree(process)
        process.wait()
        seconds = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read()
    result = subprocess.CompletedProcess(command, process.returncode, None, stderr)
    peak = cpu = float("nan")
    for line in result.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.rsplit(":", 1)[1]) / 1024
        elif "User time (seconds)" in line or "System time (seconds)" in line:
            cpu = (0.0 if cpu != cpu else cpu) + float(line.rsplit(":", 1)[1])
    CPU_SECONDS["last"] = cpu
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases, one round: a smoke run")
    parser.add_argument("--rounds", type=int, help="paired rounds per trace case, runs per grading case (default 3; startup: 11)")
    parser.add_argument("--only", action="append", help="run only this case (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--files", type=int, help="answers files of the grading cases")
    parser.add_argument("--source", type=Path,
                        help="time the rnncli of this source tree (python -m rnncli with it on "
                             "PYTHONPATH), e.g. an older checkout, against the same anchor")
    parser.add_argument("--against", type=Path,
                        help="grading cases: also time the rnncli of this source tree on the same "
                             "files, back to back (e.g. a checkout of the code before a change)")
    parser.add_argument("--before", type=Path,
                        help="also time the rnncli of this source tree (an older checkout) in "
                             "the same rounds of the trace cases: rnncli, it, the anchor in turn")
    parser.add_argument("--grade-jobs", type=int,
                        help="grading cases: `rnncli grade --jobs N` (default: one per CPU)")
    args = parser.parse_args()
    if args.grade_jobs:
        GRADE_JOBS.append(args.grade_jobs)
    if args.against:
        AGAINST.append(_source_command(args.against))
    if args.source:
        global rnncli_command
        rnncli_command = lambda: _source_command(args.source)  # noqa: E731
    _compile_bytecode(args.source / "rnncli" if args.source else None)
    if args.before:
        global BEFORE
        BEFORE = args.before
        _compile_bytecode(args.before / "rnncli")
    quick = args.quick
    rounds = args.rounds or (1 if quick else 3)
    GRADE_ROUNDS[0] = rounds
    long_steps = 1_000 if quick else 10_000
    cases = {
        "trace-h16": lambda tmp: trace_case(tmp, "trace-h16", 16, long_steps, rounds),
        "trace-h64": lambda tmp: trace_case(tmp, "trace-h64", 64, long_steps, rounds),
        "trace-h256": lambda tmp: trace_case(tmp, "trace-h256", 256, 100, rounds),
        "trace-h1024": lambda tmp: trace_case(tmp, "trace-h1024", 1024, 10 if quick else 100,
                                              rounds),
        "startup": lambda tmp: startup_case(args.rounds or (5 if quick else 11)),
        "grade-sheet": lambda tmp: grade_sheet_case(tmp, args.files or (500 if quick else 10_000)),
        "grade-h64": lambda tmp: grade_h64_case(tmp, args.files or (50 if quick else 1_000)),
    }
    chosen = args.only or list(cases)
    results = []
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix="rnncli-bench-big-") as tmp:
            row = cases[name](Path(tmp))
        results.append(row)
        print(_describe(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _compile_bytecode(package: Path | None) -> None:
    """Writes the .pyc files of the rnncli package that is timed, as `pip install` does.

    A source checkout run with PYTHONDONTWRITEBYTECODE set (as on some shared
    machines) would otherwise compile its 50-odd modules from source at every
    start, which an installed rnncli never does, and which the import floor's
    packages (compiled when installed) never pay.
    """
    import compileall

    if package is None:
        import rnncli

        package = Path(rnncli.__file__).parent
    compileall.compile_dir(str(package), quiet=1)


def _describe(row: dict) -> str:
    parts = [f"{row['case']:12}", f"rnncli {row['rnncli_s']:.2f} s"]
    if "anchor_s" in row:
        parts.append(f"anchor {row['anchor_s']:.2f} s  ratio {row['ratio']:.2f}")
    if "before_s" in row:
        parts.append(f"before {row['before_s']:.2f} s (ratio {row['before_ratio']:.2f}; "
                     f"now / before {row['over_before']:.2f})")
    if "ms_per_file" in row:
        parts.append(f"{row['files']} files, {row['ms_per_file']:.1f} ms/file")
    if "fastest_s" in row:
        parts.append(f"(median of {row['rounds']}; fastest {row['fastest_s']:.2f} s)")
    if "cpu_ms_per_file" in row:
        parts.append(f"(CPU {row['cpu_ms_per_file']:.1f} ms/file)")
    if "against_ms_per_file" in row:
        parts.append(f"against: {row['against_ms_per_file']:.1f} ms/file (CPU "
                     f"{row['against_cpu_ms_per_file']:.1f}), peak {row['against_peak_mib']:.0f} MiB;"
                     f" ratio {row['ms_per_file'] / row['against_ms_per_file']:.2f} "
                     f"(CPU {row['cpu_ms_per_file'] / row['against_cpu_ms_per_file']:.2f})")
    if "peak_mib" in row:
        parts.append(f"peak {row['peak_mib']:.0f} MiB")
    if "all_processes_mib" in row:
        parts.append(f"(all processes {row['all_processes_mib']:.0f} MiB)")
    if row.get("npz"):
        parts.append("from " + " and ".join(row["npz"]))
    if "load_s" in row:
        parts.append(f"load+validate {row['load_s']:.2f} s")
    if "heavy_imports" in row:
        parts.append("imports " + "; ".join(f"{k}: {', '.join(v) or 'none'}"
                                            for k, v in row["heavy_imports"].items()))
    return "  ".join(parts)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
