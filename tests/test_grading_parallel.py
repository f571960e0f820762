"""A class graded by several processes (grading/parallel.py) gets exactly the report one process
writes: the same grades, in the files' order, the same bytes; a worker that dies costs nothing."""
from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.grading import parallel
from rnncli.grading.batch import iter_grades
from rnncli.grading.parallel import MIN_FILES, iter_graded, job_count
from rnncli.render.grade import grade_document
from rnncli.render.grade_stream import result_text
from rnncli.render.json_document import dumps

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = str(ROOT / "problems" / "lstm-goodfellow-forward.yaml")
REFERENCE = {"s[1]": 0.2227, "h[1]": 0.1447, "s[2]": 0.6328, "h[2]": 0.3907, "s[3]": 0.7679,
             "h[3]": 0.4953}

pytestmark = pytest.mark.skipif(parallel._fork_context() is None,
                                reason="workers are forked; elsewhere one process grades")


@pytest.fixture(scope="module")
def class_paths(tmp_path_factory) -> list[str]:
    """Returns 40 answers files: right, slipped, noisy, repeated, broken and hostile."""
    tmp = tmp_path_factory.mktemp("parallel")
    rng = random.Random(14)
    paths = []
    for n in range(40):
        path = tmp / f"student{n:02d}.yaml"
        answers = dict(REFERENCE)
        kind = n % 8
        if kind == 1:
            answers["h[1]"] = 1.447                              # a decimal point
        elif kind in (2, 3):
            answers = {k: round(rng.uniform(-1, 2), 4) for k in answers}     # noise
        elif kind == 4:
            answers["y[1]"] = "about 0.7"
        if kind == 5 and n % 16 == 5:
            path.write_bytes(b"\x00\xffjunk" * 20)
        elif kind == 6 and n % 16 == 6:
            path.write_text("student: X\nanswers: [1, 2\n")
        else:
            path.write_text(f"student: Student {n}\nstudent_id: s{n:02d}\nanswers:\n"
                            + "".join(f"  {k}: {v}\n" for k, v in answers.items()))
        paths.append(str(path))
    paths.append(str(tmp / "missing.yaml"))
    return paths


def test_workers_grade_as_one_process_does(class_paths, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 3)          # many chunks in flight
    alone = list(iter_grades(class_paths, PROBLEM))
    import gc

    collecting = gc.get_threshold()
    graded = list(iter_graded(class_paths, PROBLEM, jobs=2))
    assert gc.get_threshold() == collecting           # the caller's setting, restored
    assert [r.file for r, _ in graded] == class_paths
    for (result, nothing), expected in zip(graded, alone):
        assert nothing is None
        assert dumps(grade_document(result)) == dumps(grade_document(expected))
    assert any(r.error for r, _ in graded) and any(not r.error for r, _ in graded)
    # With a finishing function, only what it makes comes back from the workers.
    finished = list(iter_graded(class_paths, PROBLEM, jobs=2, finish=_json_text))
    assert [text for _, text in finished] == [_json_text(r) for r in alone]
    assert all(result is None for result, _ in finished)


def test_a_worker_that_dies_leaves_its_files_to_this_process(class_paths, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 3)
    original = parallel._grade_chunk
    parent = os.getpid()

    def dying(paths):
        if os.getpid() != parent and any(p.endswith("student10.yaml") for p in paths):
            os._exit(1)                   # as the kernel's out-of-memory killer would
        return original(paths)

    monkeypatch.setattr(parallel, "_grade_chunk", dying)
    alone = list(iter_grades(class_paths, PROBLEM))
    here = []          # files graded by this process (a worker's calls stay in the worker)
    grade = parallel.Grader.grade
    monkeypatch.setattr(parallel.Grader, "grade",
                        lambda self, path: here.append(path) or grade(self, path))
    graded = list(iter_graded(class_paths, PROBLEM, jobs=2, finish=_json_text))
    assert any(p.endswith("student10.yaml") for p in here)
    assert [text for _, text in graded] == [_json_text(r) for r in alone]


def test_a_problem_that_cannot_be_read_raises_before_any_worker(class_paths):
    from rnncli.errors import RnncliError

    with pytest.raises(RnncliError):
        next(iter_graded(class_paths, str(ROOT / "no-such-problem.yaml"), jobs=2))


@pytest.mark.parametrize("requested, files, expected", [
    (None, MIN_FILES - 1, 1), (3, 10, 3), (8, 2, 2), (1, 10_000, 1)])
def test_job_count(requested, files, expected):
    assert job_count(requested, files) == expected


def test_job_count_of_a_class_is_one_per_cpu(monkeypatch):
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    assert job_count(None, 10_000) == 2
    monkeypatch.setattr(parallel, "available_cpus", lambda: 64)
    assert job_count(None, 10_000) == parallel.MAX_JOBS


@pytest.mark.parametrize("output_format", ["json", "markdown", "text"])
def test_the_command_writes_the_same_report_and_gradebook_with_any_jobs(class_paths, tmp_path,
                                                                       output_format):
    outputs = []
    for jobs in ("1", "2"):
        csv = tmp_path / f"grades-{jobs}.csv"
        result = CliRunner().invoke(cli, ["grade", "--problem", PROBLEM, *class_paths, "--jobs", jobs,
                                          "--format", output_format, "--csv", str(csv)])
        assert result.exit_code == 2, result.output      # unreadable files among them
        outputs.append((result.stdout, csv.read_text()))
    assert outputs[0] == outputs[1]


def _json_text(result) -> str:
    return result_text("json", 4, result)


def test_self_check_files_graded_by_workers_as_by_one_process():
    """Without --problem each file names its own problem: each worker reads those it meets."""
    shipped = sorted(str(p) for p in (ROOT / "problems" / "answers").glob("*.yaml"))
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(cli, ["grade", *shipped, "--jobs", jobs, "--format", "json"])
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    assert '"status": "graded"' in outputs[0][1]


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds the workers through /proc")
def test_workers_leave_when_the_main_process_is_killed(class_paths, tmp_path):
    """A TA's `kill -9` of rnncli must not leave workers waiting for work for ever."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "run.py"
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(class_paths * 20))
    script.write_text(
        "import sys, time\n"
        "from rnncli.grading import parallel\n"
        "paths = open(sys.argv[1]).read().split()\n"
        "graded = parallel.iter_graded(paths, sys.argv[2], jobs=2)\n"
        "next(graded)\n"
        "print('graded one', flush=True)\n"
        "time.sleep(60)\n")
    main = subprocess.Popen([sys.executable, str(script), str(listing), PROBLEM],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert main.stdout.readline().strip() == "graded one"
        workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                   and _parent(p) == main.pid]
        assert len(workers) == 2, workers
    finally:
        main.send_signal(signal.SIGKILL)
        main.wait()
    deadline = time.monotonic() + 30          # a bound on waiting, not a timing test
    while any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its main process"
        time.sleep(0.1)


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_task_holds_about_chunk_bytes_of_answers(tmp_path):
    small, big = tmp_path / "small.yaml", tmp_path / "big.yaml"
    small.write_text("answers:\n  h[1]: 0.5\n")
    big.write_bytes(b"#" * (parallel.CHUNK_BYTES // 10))
    assert parallel.chunk_size([str(small)] * 100) == parallel.CHUNK_FILES
    assert parallel.chunk_size([str(big)] * 100) == 10
    assert parallel.chunk_size([str(tmp_path / "missing.yaml")]) == parallel.CHUNK_FILES


def test_a_digest_comes_back_from_a_worker_as_it_went():
    import pickle

    from rnncli.grading.batch import Grader
    from rnncli.render.grade_stream import digest

    grader = Grader()                   # each file against its own problem
    paths = sorted(str(p) for p in (ROOT / "problems" / "answers").glob("*.yaml"))
    made = [digest(fmt, 4, grader.grade(path)) for path in paths + [str(ROOT / "no-such.yaml")]
            for fmt in ("json", "markdown")]
    assert len(made) == 2 * len(paths) + 2 and any(d.tallied.error for d in made)
    assert pickle.loads(pickle.dumps(made)) == made


def test_workers_are_forked_on_linux_only(monkeypatch):
    import sys

    monkeypatch.setattr(sys, "platform", "darwin")
    assert parallel._fork_context() is None
    graded = list(iter_graded([str(ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml")] * 3,
                              PROBLEM, jobs=2))
    assert len(graded) == 3 and all(r is not None for r, _ in graded)
