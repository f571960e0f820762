"""Benchmark of refusals and limits (not a test: machines are noisy).

    python benchmarks/bench_refusals.py            # every file of the hostile corpus (~10 min)
    python benchmarks/bench_refusals.py --quick    # a smoke run: a sample of it, fewer rounds

Targets (issue "a grader that never falls over"): every refused file in under
1 s and 200 MB; the largest accepted problem in under 10 s and 1 GB; a batch
of 200 answers files of which 20 are hostile finishes, at a cost close to
grading the 180 good ones alone. Measured, each as a whole `rnncli` process
under `/usr/bin/time` (wall time and peak RSS):

1. anchor: `rnncli check` of the shipped sheet-sized problem (start-up and a
   trace: what any command costs at least);
2. `rnncli check FILE` of every refused file of tests/hostile (the stored
   files, the big generated ones, and paths that are not regular files),
   paired with the anchor in the same round; the slowest and the largest;
3. the largest problems the limits accept, through check, trace --format json
   and trace (text): an LSTM at the step limit whose trace is at the
   trace-value limit (its inputs and weights in .npz files, past what a YAML
   file may hold), and a sizes-only quantity at the one-quantity limit;
4. `rnncli grade --problem P` of 200 files with 20 hostile ones, `--csv` and
   `--format json`, paired with the 180 good files alone.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
sys.path.insert(0, str(ROOT / "tests"))
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
TIME = "/usr/bin/time"


def rnncli() -> list[str]:
    script = Path(sys.executable).parent / "rnncli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rnncli"]


def measure(args: list[str], cwd: Path | None = None) -> dict:
    """Returns {seconds, mb, code} of one rnncli process (wall time, peak RSS)."""
    completed = subprocess.run([TIME, "-f", "@@ %e %M", *rnncli(), *args], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    last = [line for line in completed.stderr.splitlines() if line.startswith("@@ ")][-1]
    _, seconds, kb = last.split()
    return {"seconds": float(seconds), "mb": int(kb) / 1024, "code": completed.returncode,
            "stderr": completed.stderr.splitlines()[0][:160] if completed.stderr else ""}


def write_largest_lstm(path: Path) -> tuple[int, int, int]:
    """Writes a standard LSTM problem at the limits: its trace at the trace-value limit and the
    step limit, its weights inline while they fit the YAML file limit and in `params_file`
    beyond it, its inputs in `inputs_file` (.npz). Returns (hidden, inputs, steps)."""
    import numpy as np

    from rnncli.cells.shape_inference import MAX_TRACE_VALUES
    from rnncli.files.problem import MAX_STEPS
    from rnncli.files.text_source import MAX_BYTES

    rng = np.random.default_rng(1)
    inputs, steps = 16, MAX_STEPS
    hidden = (MAX_TRACE_VALUES // steps - inputs) // 6     # i, f, o, g, c, h and the input x
    params = {}
    for gate in "ifog":
        params[f"W_{gate}"] = rng.uniform(-0.3, 0.3, (hidden, inputs)).round(4)
        params[f"U_{gate}"] = rng.uniform(-0.3, 0.3, (hidden, hidden)).round(4)
        params[f"b_{gate}"] = rng.uniform(-0.3, 0.3, hidden).round(4)
    np.savez(path.parent / "inputs.npz", x=rng.uniform(-0.3, 0.3, (steps, inputs)).round(4))
    lines = [f"title: LSTM at the limits, H={hidden}, I={inputs}, {steps} steps", "cell: lstm",
             "inputs_file: inputs.npz", "params:"]
    lines += [f"  {name}: {json.dumps(value.tolist())}" for name, value in params.items()]
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > MAX_BYTES:
        np.savez(path.parent / "weights.npz", **params)
        text = "\n".join(lines[:3]) + "\nparams_file: weights.npz\n"
    path.write_text(text)
    return hidden, inputs, steps


def write_batch(directory: Path) -> tuple[list[str], list[str]]:
    """Writes 180 good answers files and 20 hostile ones; returns (all in order, good only)."""
    import make_corpus
    from grade_oracle import answers_yaml, seed002, seed002_answers

    rng = random.Random(13)
    oracle = seed002()
    good = []
    for i in range(180):
        answers = seed002_answers(oracle)
        for ref in list(answers):
            if rng.random() < 0.2:
                answers[ref] = round(answers[ref] + rng.uniform(-0.2, 0.2), 4)
        path = directory / f"student{i:03d}.yaml"
        path.write_text(answers_yaml(answers, student=f"Student {i}", student_id=f"s{i:04d}"))
        good.append(str(path))
    hostile_names = ["key-4301-digits.yaml", "key-escape.yaml", "alias-bomb.yaml", "deep.yaml",
                     "python-tag.yaml", "nul-byte.yaml", "invalid-utf8.yaml", "utf16.yaml",
                     "control-character.yaml", "answers-list.yaml", "unknown-key.yaml",
                     "empty.yaml", "student-escape.yaml", "value-4301-digits.yaml"]
    hostile = []
    for name in hostile_names:
        shutil.copy(ROOT / "tests" / "hostile" / "answers" / name, directory / name)
        hostile.append(str(directory / name))
    generated = make_corpus.generated_answers()
    for name in ("junk-answers-40k.yaml", "over-size-limit.yaml", "value-matrix-big.yaml",
                 "sequence-huge.yaml"):
        make_corpus.write(directory, {name: generated[name]})
        hostile.append(str(directory / name))
    os.mkfifo(directory / "fifo.yaml")
    (directory / "a-directory.yaml").mkdir()
    hostile += [str(directory / "fifo.yaml"), str(directory / "a-directory.yaml")]
    assert len(hostile) == 20
    paths = good[:]
    for k, path in enumerate(hostile):
        paths.insert(9 * k + 3, path)
    return paths, good


def refused_files(directory: Path, quick: bool) -> list[Path]:
    import make_corpus

    make_corpus.write(directory / "generated", make_corpus.generated_problems())
    make_corpus.write(directory / "generated-answers", make_corpus.generated_answers())
    special = directory / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.yaml")
    (special / "a-directory.yaml").mkdir()
    files = sorted((ROOT / "tests" / "hostile" / "problems").iterdir()) \
        + sorted((ROOT / "tests" / "hostile" / "answers").iterdir()) \
        + sorted((directory / "generated").iterdir()) \
        + sorted((directory / "generated-answers").iterdir()) \
        + [special / "fifo.yaml", special / "a-directory.yaml", Path("/dev/zero")]
    if quick:
        big = [f for f in files if f.is_file() and f.stat().st_size > 100_000]
        files = files[::12] + big + [special / "fifo.yaml", Path("/dev/zero")]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a sample of the corpus, 1 round")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3       # of the accepted problems and the batch
    refusal_rounds = 1                      # each refused file, paired with the anchor
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # 1 and 2: refusals, each paired with the anchor.
        refusals, anchors = [], []
        for path in refused_files(tmp, args.quick):
            runs, anchor_runs = [], []
            for r in range(refusal_rounds):
                pair = [lambda: measure(["check", str(path)]), lambda: measure(["check", str(PROBLEM)])]
                first, second = (pair if r % 2 == 0 else pair[::-1])
                a, b = first(), second()
                run, anchor = (a, b) if r % 2 == 0 else (b, a)
                runs.append(run)
                anchor_runs.append(anchor)
            if all(run["code"] == 0 for run in runs):
                continue                          # accepted (a valid corner case): not a refusal
            median = statistics.median(r["seconds"] for r in runs)
            anchor = statistics.median(a["seconds"] for a in anchor_runs)
            anchors.append(anchor)
            refusals.append({"file": path.name, "seconds": median, "ratio": median / anchor,
                             "mb": max(r["mb"] for r in runs), "error": runs[0]["stderr"]})
        slowest = max(refusals, key=lambda r: r["seconds"])
        largest = max(refusals, key=lambda r: r["mb"])
        worst_ratio = max(refusals, key=lambda r: r["ratio"])
        results["refusals"] = {"files": len(refusals), "anchor_s": statistics.median(anchors),
                               "slowest": slowest, "largest_memory": largest,
                               "worst_ratio": worst_ratio,
                               "median_ratio": statistics.median(r["ratio"] for r in refusals),
                               "all": refusals,
                               "over_1s": [r["file"] for r in refusals if r["seconds"] >= 1],
                               "over_200mb": [r["file"] for r in refusals if r["mb"] >= 200]}
        print(f"anchor `rnncli check {PROBLEM.name}`: {results['refusals']['anchor_s']:.2f} s")
        print(f"{len(refusals)} refused files; slowest {slowest['file']} {slowest['seconds']:.2f} s "
              f"({slowest['ratio']:.2f}x the anchor), largest {largest['file']} {largest['mb']:.0f} MB")
        print(f"  worst ratio to the paired anchor: {worst_ratio['file']} {worst_ratio['ratio']:.2f}x; "
              f"median ratio {results['refusals']['median_ratio']:.2f}x")
        print(f"  over 1 s: {len(results['refusals']['over_1s'])} files; over 200 MB: "
              f"{results['refusals']['over_200mb']}")

        # 3: the largest accepted problems.
        lstm = tmp / "largest-lstm.yaml"
        hidden, inputs, steps = write_largest_lstm(lstm)
        wide = tmp / "largest-quantity.yaml"
        from rnncli.cells.shape_inference import MAX_QUANTITY_ENTRIES, MAX_TRACE_VALUES

        wide.write_text(f"equations:\n  h: tanh(h[t-1] + 1)\nsizes: {{h: {MAX_QUANTITY_ENTRIES}}}\n"
                        f"steps: {MAX_TRACE_VALUES // MAX_QUANTITY_ENTRIES}\n")
        accepted = {}
        for label, path in ((f"LSTM H={hidden} I={inputs}, {steps} steps, "
                             f"{lstm.stat().st_size // 1024} KiB", lstm),
                            (f"one quantity of {MAX_QUANTITY_ENTRIES:,}, "
                             f"{MAX_TRACE_VALUES // MAX_QUANTITY_ENTRIES} steps", wide)):
            for command in (["check"], ["trace", "--format", "json"], ["trace"]):
                runs = [measure([*command, str(path)]) for _ in range(max(1, rounds - 1))]
                assert all(r["code"] == 0 for r in runs), runs[0]["stderr"]
                key = f"{label}: {' '.join(command)}"
                accepted[key] = {"seconds": statistics.median(r["seconds"] for r in runs),
                                 "mb": max(r["mb"] for r in runs)}
                print(f"{key}: {accepted[key]['seconds']:.2f} s, {accepted[key]['mb']:.0f} MB")
        results["largest_accepted"] = accepted

        # 4: a batch of 200 with 20 hostile files, paired with the 180 good ones alone.
        batch = tmp / "batch"
        batch.mkdir()
        paths, good = write_batch(batch)
        whole, alone = [], []
        for r in range(rounds):
            order = [(whole, paths), (alone, good)]
            for sink, files in (order if r % 2 == 0 else order[::-1]):
                sink.append(measure(["grade", "--problem", str(PROBLEM), *files, "--csv",
                                     str(tmp / "grades.csv"), "--format", "json"]))
        w = statistics.median(r["seconds"] for r in whole)
        a = statistics.median(r["seconds"] for r in alone)
        results["batch"] = {"seconds": w, "good_alone_s": a, "ratio": w / a,
                            "mb": max(r["mb"] for r in whole), "exit_code": whole[0]["code"]}
        print(f"batch of 200 (20 hostile): {w:.2f} s, {results['batch']['mb']:.0f} MB; the 180 good "
              f"alone {a:.2f} s; ratio {w / a:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
