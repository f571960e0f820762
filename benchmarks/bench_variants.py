"""Benchmark of exam variants (not a test: machines are noisy).

    python benchmarks/bench_variants.py             # 300 variants and 300 students, 5 runs
    python benchmarks/bench_variants.py --quick     # a smoke run: 1 run

Targets (issue: `rnncli variants`), each within 3 s on the two-core machine,
timed as whole processes (Python start-up included):

1. `rnncli variants problems/lstm-goodfellow-variants.yaml --count 300 -o DIR`;
2. `rnncli grade --problem P --variants 300 ANSWERS... --csv FILE`: 300
   answers files, each student answering their own variant (a few with slips,
   three copying a neighbour), graded against their variants.

The anchor measured in the same run is `python -c "import numpy, yaml, click,
rich.console"`: the import floor every command pays.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROBLEM = ROOT / "problems" / "lstm-goodfellow-variants.yaml"
RNNCLI = str(Path(sys.executable).with_name("rnncli"))


def timed(command: list) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def make_class(directory: Path, key: dict, count: int) -> list:
    """Writes one answers file per student: their own variant's key, rounded; some slips, three copies."""
    sys.path.insert(0, str(ROOT))
    from rnncli.variants.drawing import student_variant

    by_variant = {v["variant"]: v["items"] for v in key["variants"]}
    paths = []
    for n in range(count):
        sid = f"s{n:04d}"
        number = student_variant(key["seed"], sid, key["count"])
        if n < 3:     # copies from another variant
            number = number % key["count"] + 1
        lines = [f"student_id: {sid}", "answers:"]
        for i, item in enumerate(by_variant[number]):
            value = round(item["expected"], 4) + (0.05 if (n % 7 == 0 and i == 4) else 0)
            lines.append(f"  {item['ref']}: {value}")
        path = directory / f"{sid}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out = tmp / "handout"
        make = [RNNCLI, "variants", str(PROBLEM), "--count", str(args.count), "-o", str(out)]
        subprocess.run(make, check=True, stdout=subprocess.DEVNULL)
        key = json.loads((out / "key.json").read_text(encoding="utf-8"))
        answers = tmp / "answers"
        answers.mkdir()
        paths = make_class(answers, key, args.count)
        grade = [RNNCLI, "grade", "--problem", str(PROBLEM), "--variants", str(args.count),
                 *paths, "--csv", str(tmp / "grades.csv"), "--format", "json"]
        floor = [sys.executable, "-c", "import numpy, yaml, click, rich.console"]
        results = {"variants": [], "grade": [], "floor": []}
        for _ in range(runs):
            results["floor"].append(timed(floor))
            results["variants"].append(timed(make))
            results["grade"].append(timed(grade))
        report = json.loads(subprocess.run(grade, capture_output=True, text=True).stdout)
        print(f"{args.count} variants, {args.count} answers files; {len(report['suspected'])} "
              "flagged as copied")
        for name, values in results.items():
            print(f"{name:9} median {statistics.median(values):.2f} s "
                  f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)")


if __name__ == "__main__":
    main()
