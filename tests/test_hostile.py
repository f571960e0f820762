"""The hostile corpus through every command: no traceback, no hang, no memory blow-up, one line each.

tests/hostile/problems and tests/hostile/answers hold the stored files
(written by tests/hostile/make_corpus.py, which says what each one is); the
files too big to store, and the paths that are not regular files (a FIFO, a
socket, a directory, a device, a missing or unreadable file), are made here.
Every command runs in one subprocess (tests/hostile/run_commands.py) whose
address space is capped with resource.setrlimit, with a generous time budget
per file: a hang detector, never a timing assertion.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rnncli.files.text_source import MAX_BYTES

HERE = Path(__file__).resolve().parent
HOSTILE = HERE / "hostile"
ROOT = HERE.parent
sys.path.insert(0, str(HOSTILE))
import make_corpus  # noqa: E402

PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
ADA = ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml"
MEMORY_CAP = 1536 * 1024 * 1024     # address space of the worker: numpy and all, not RSS
BUDGET = 120                        # seconds per command: only a hang ends near it

# Errors about a file as a whole (not about a line in it) name the file only.
FILE_LEVEL = ("no such file", "permission denied", "is a directory", "named pipe", "a socket",
              "is a device", "not a regular file", "larger than", "cannot read",
              "standard input is closed",
              ": --of ")                    # about the command's option, not a line of the file
ONE_LINE = re.compile(r"^Error: (?P<where>.+?): (?P<message>.+)$")
WITH_LINE = re.compile(r"^Error: .+?:\d+: \S")
RAW_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _special_files(directory: Path) -> dict:
    """Returns {name: path} of paths that are not regular files, made for this run."""
    directory.mkdir()
    fifo = directory / "fifo.yaml"
    os.mkfifo(fifo)
    sock = directory / "socket.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    (directory / "a-directory.yaml").mkdir()
    unreadable = directory / "unreadable.yaml"
    unreadable.write_text("cell: lstm\n")
    unreadable.chmod(0)
    escape_name = directory / "esc\x1b]0;owned\x07\u202e.yaml"
    escape_name.write_text("cell: [\n")
    return {"fifo": fifo, "socket": sock, "directory": directory / "a-directory.yaml",
            "device": Path("/dev/null"), "missing": directory / "missing.yaml",
            "unreadable": unreadable, "escape-name": escape_name,
            "through-a-file": directory / "unreadable.yaml" / "x.yaml"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Returns (problem paths, answers paths, directory for outputs)."""
    base = tmp_path_factory.mktemp("hostile")
    generated = base / "generated"
    make_corpus.write(generated / "problems", make_corpus.generated_problems())
    make_corpus.write(generated / "answers", make_corpus.generated_answers())
    special = _special_files(base / "special")
    problems = sorted((HOSTILE / "problems").iterdir()) + sorted((generated / "problems").iterdir())
    answers = sorted((HOSTILE / "answers").iterdir()) + sorted((generated / "answers").iterdir())
    problems += list(special.values())
    answers += list(special.values())
    out = base / "out"
    out.mkdir()
    yield problems, answers, out
    special["unreadable"].chmod(0o600)


def test_the_corpus_is_big_enough(corpus):
    problems, answers, _ = corpus
    assert len(problems) >= 100 and len(answers) >= 50


def _problem_jobs(path: Path, out: Path) -> list:
    big = path.is_file() and path.stat().st_size > 100_000
    p = str(path)
    jobs = [["trace", p], ["check", p], ["grade", "--problem", p, str(ADA)]]
    if not big:   # the big files go through the reading commands; the rest through all
        jobs += [["trace", p, "--format", "json"], ["lstm-trace", p, "--format", "markdown"],
                 ["trace", p, "--format", "latex"], ["unroll", p, "--to", "2"],
                 ["graph", p, "--unfold", "2", "--format", "dot"], ["count-params", p],
                 ["solve", p, "--format", "markdown"], ["gradients", p],
                 ["jacobian", p, "--of", "h"]]
    return jobs


def _answers_jobs(path: Path, out: Path, index: int) -> list:
    a = str(path)
    return [["grade", "--problem", str(PROBLEM), a],
            ["grade", "--problem", str(PROBLEM), a, "--format", "json"],
            ["grade", "--problem", str(PROBLEM), a, "--format", "markdown",
             "--csv", str(out / f"grades-{index}.csv")],
            ["grade", "--problem", str(PROBLEM), a, "--gradescope",
             str(out / f"results-{index}.json")],
            ["grade", a]]


def run_jobs(jobs: list, out: Path) -> list:
    """Returns the worker's report of each job, run under the memory cap."""
    jobs_path, results_path = out / "jobs.json", out / "results.json"
    jobs_path.write_text(json.dumps([{"args": a, "budget": BUDGET} for a in jobs]))

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    completed = subprocess.run([sys.executable, str(HOSTILE / "run_commands.py"), str(jobs_path),
                                str(results_path)], preexec_fn=cap, env=env, cwd=out,
                               capture_output=True, text=True, timeout=BUDGET * 10 + 60 * len(jobs))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(results_path.read_text())


def check_result(result: dict, hostile_path: Path) -> list:
    """Returns what is wrong with how one command ended (empty: it ended well)."""
    args = " ".join(result["args"])[:200]
    if result.get("timeout"):
        return [f"{args}: timed out"]
    problems = []
    if result["traceback"]:
        problems.append(f"{args}: traceback\n{result['traceback'][-2000:]}")
    if result["exit_code"] not in (0, 1, 2):
        problems.append(f"{args}: exit code {result['exit_code']}")
    lines = [line for line in result["stderr"].splitlines() if line.strip()]
    if result["exit_code"] == 2 and not lines:
        problems.append(f"{args}: exit 2 with nothing on stderr")
    has_lines = hostile_path.is_file() and os.access(hostile_path, os.R_OK) \
        and 0 < hostile_path.stat().st_size <= MAX_BYTES
    for line in lines:
        match = ONE_LINE.match(line)
        if not match:
            problems.append(f"{args}: not an `Error: FILE: message` line: {line[:200]!r}")
        elif has_lines and not any(p in line for p in FILE_LEVEL) and not WITH_LINE.match(line):
            problems.append(f"{args}: no line number: {line[:200]!r}")
        if RAW_TERMINAL_CONTROL.search(line):
            problems.append(f"{args}: raw control or bidi character on stderr: {line[:200]!r}")
    if "json" not in result["args"] and RAW_TERMINAL_CONTROL.search(
            result["stdout"].replace("\n", "").replace("\t", "")):
        problems.append(f"{args}: raw control or bidi character on stdout")
    return problems


def _run_and_check(jobs_by_path: list, out: Path) -> None:
    jobs = [job for _, job in jobs_by_path]
    results = run_jobs(jobs, out)
    assert len(results) == len(jobs)
    failures = []
    for (path, _), result in zip(jobs_by_path, results):
        failures += check_result(result, path)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])


def test_every_problem_file_through_every_command(corpus):
    problems, _, out = corpus
    _run_and_check([(p, job) for p in problems for job in _problem_jobs(p, out)], out)


def test_every_answers_file_through_every_grading_output(corpus):
    _, answers, out = corpus
    _run_and_check([(a, job) for i, a in enumerate(answers) for job in _answers_jobs(a, out, i)],
                   out)
    for written in out.glob("grades-*.csv"):
        text = written.read_text(encoding="utf-8")
        assert not RAW_TERMINAL_CONTROL.search(text.replace("\n", "")), written
        assert text.count("\n") == 2, written     # the header and the file's one row
    for written in out.glob("results-*.json"):
        document = json.loads(written.read_text(encoding="utf-8"))
        assert set(document) >= {"score", "output"}


def test_a_closed_standard_input_is_one_line(tmp_path):
    for args in (["trace", "-"], ["grade", "--problem", str(PROBLEM), "-"], ["check", "-"]):
        completed = subprocess.run([sys.executable, "-m", "rnncli", *args], capture_output=True,
                                   text=True, preexec_fn=lambda: os.close(0), timeout=BUDGET)
        assert completed.returncode == 2, completed.stderr
        assert completed.stderr.splitlines() == ["Error: <stdin>: standard input is closed; give "
                                                 "a file name instead of -"], completed.stderr


def test_a_fifo_never_hangs_and_the_others_go_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (tmp_path / "a-dir").mkdir()
    shutil.copy(ADA, tmp_path / "ada.yaml")
    completed = subprocess.run([sys.executable, "-m", "rnncli", "grade", "--problem", str(PROBLEM),
                                str(fifo), "a-dir", "missing.yaml", "ada.yaml", "--format", "json"],
                               capture_output=True, text=True, cwd=tmp_path, timeout=BUDGET)
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [
        f"Error: {fifo}: is a named pipe (FIFO), not a regular file",
        "Error: a-dir: is a directory, not a YAML file",
        "Error: missing.yaml: no such file"]
    document = json.loads(completed.stdout)
    assert [r["status"] for r in document["results"]] == ["error", "error", "error", "graded"]
    assert document["results"][3]["score"] == 8


def test_check_goes_on_after_paths_that_are_not_files(tmp_path):
    (tmp_path / "d").mkdir()
    shutil.copy(PROBLEM, tmp_path / "good.yaml")
    completed = subprocess.run([sys.executable, "-m", "rnncli", "check", "d", "nope.yaml",
                                "good.yaml", "/dev/null"], capture_output=True, text=True,
                               cwd=tmp_path, timeout=BUDGET)
    assert completed.returncode == 2
    assert completed.stdout.splitlines() == ["ok good.yaml"]
    assert completed.stderr.splitlines() == ["Error: d: is a directory, not a YAML file",
                                             "Error: nope.yaml: no such file",
                                             "Error: /dev/null: is a device, not a regular file"]
