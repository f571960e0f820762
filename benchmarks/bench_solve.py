"""Benchmark of `rnncli solve` against `rnncli trace` (not a test: machines are noisy).

    python benchmarks/bench_solve.py              # 21 paired rounds
    python benchmarks/bench_solve.py --rounds 5

Targets (issue 11), on the sheet-sized LSTM problem (problems/lstm-goodfellow-forward.yaml):

1. `rnncli solve P --format html -o F`, plots excluded (the problem without its
   plot question), within 2x of `rnncli trace P` (the anchor, same round);
2. with the plot question, within the cost of importing matplotlib plus 20%:
   t(solve with plot) <= 1.2 x (t(solve without plot) + t(import matplotlib.pyplot)),
   where the import is timed as `python -c "import matplotlib.pyplot"` minus
   `python -c "pass"` in the same round (skipped without matplotlib; solve
   itself draws its plots without matplotlib).

Every command is a whole process, as a user runs it; rounds are paired and
alternate the order, and medians are compared.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"


def script() -> str:
    candidate = Path(sys.executable).with_name("rnncli")
    return str(candidate) if candidate.exists() else "rnncli"


def timed(command: list) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def without_plot(directory: Path) -> Path:
    """Writes the problem without its plot question; returns the path."""
    text = PROBLEM.read_text()
    cut = text.index("  - id: b")
    path = directory / "lstm-no-plot.yaml"
    path.write_text(text[:cut])
    return path


def in_process(plain: Path, rounds: int) -> None:
    """Times the library: load + trace + the trace's Markdown against load + sheet + HTML."""
    from rnncli.files.problem import load_problem
    from rnncli.render.sheet_html import render_html
    from rnncli.render.trace import render_markdown
    from rnncli.solve.sheet import build_sheet
    from rnncli.solve.trace import run_trace

    def trace_once():
        render_markdown(run_trace(load_problem(str(PROBLEM))), 4)

    def sheet_once(path):
        render_html(build_sheet([str(path)]))

    jobs = {"trace (library)": trace_once, "sheet html, no plot (library)": lambda: sheet_once(plain),
            "sheet html, with plot (library)": lambda: sheet_once(PROBLEM)}
    for job in jobs.values():
        job()
    times: dict[str, list] = {name: [] for name in jobs}
    for round_ in range(rounds * 5):
        order = list(jobs) if round_ % 2 == 0 else list(jobs)[::-1]
        for name in order:
            start = time.perf_counter()
            jobs[name]()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:34s} {value * 1000:8.2f} ms (median of {rounds * 5})")
    print(f"library: sheet html / trace (plots excluded): "
          f"{median['sheet html, no plot (library)'] / median['trace (library)']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    rnncli = script()
    try:
        import importlib.util

        has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    except ImportError:
        has_matplotlib = False
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        plain = without_plot(directory)
        in_process(plain, args.rounds)
        print()
        commands = {
            "trace": [rnncli, "trace", str(PROBLEM)],
            "solve html, no plot": [rnncli, "solve", str(plain), "--format", "html",
                                    "-o", str(directory / "a.html")],
            "solve html, with plot": [rnncli, "solve", str(PROBLEM), "--format", "html",
                                      "-o", str(directory / "b.html")],
            "python": [sys.executable, "-c", "pass"],
        }
        if has_matplotlib:
            commands["import matplotlib.pyplot"] = [sys.executable, "-c", "import matplotlib.pyplot"]
        for command in commands.values():       # warm the file cache
            timed(command)
        times: dict[str, list] = {name: [] for name in commands}
        names = list(commands)
        for round_ in range(args.rounds):
            order = names if round_ % 2 == 0 else names[::-1]
            for name in order:
                times[name].append(timed(commands[name]))
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:28s} {value * 1000:8.1f} ms (median of {args.rounds})")
    ratio = median["solve html, no plot"] / median["trace"]
    print(f"\nsolve --format html / trace (plots excluded): {ratio:.2f}x  (target <= 2x)")
    if has_matplotlib:
        importing = median["import matplotlib.pyplot"] - median["python"]
        budget = 1.2 * (median["solve html, no plot"] + importing)
        print(f"import matplotlib.pyplot costs {importing * 1000:.1f} ms")
        print(f"solve with plot: {median['solve html, with plot'] * 1000:.1f} ms; budget "
              f"1.2 x (solve without plot + import) = {budget * 1000:.1f} ms "
              f"({median['solve html, with plot'] / budget:.2f} of the budget)")
    else:
        print("matplotlib is not installed: the with-plot budget is not measured")


if __name__ == "__main__":
    main()
