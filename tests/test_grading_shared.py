"""Grading a class shares the reference, the recomputations and the students' passes, and
streams its report: every grade must be exactly what the file gets graded alone.

A random class (right answers, one slip, a slip carried forward through the
student's own later answers, early rounding, noise, gaps, text answers) of
problems whose students answer h but not c (so that follow-through and the
diagnoses need forward passes) is graded twice: as one batch (one Marking,
its caches and the pass shared by a student's items, `grade_files`) and each
file alone with a fresh Marking. Every status, score, feedback, diagnosis
and value must agree; and `rnncli grade` streaming its JSON, Markdown and
CSV must write the very bytes rendered from the whole report.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.files.problem import load_problem
from rnncli.grading.batch import grade_files
from rnncli.render.grade import grade_document, grades_document, render_markdown
from rnncli.render.grade_stream import result_json
from rnncli.render.gradebook import csv_text
from rnncli.render.json_document import dumps
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    # The sheet-sized scalar LSTM: h asked, s (its cell state) not.
    "lstm-goodfellow-forward.yaml": "  - id: a\n    ask: [h]\n    points: 5\n",
    # A vector LSTM: h asked with a tolerance, c not.
    "lstm-standard.yaml": ("  - id: a\n    ask: [h]\n    points: 4\n"
                           "    tolerance: {rel: 0.01, abs: 0.001}\n"),
}


def _problem(tmp: Path, name: str) -> Path:
    text = (ROOT / "problems" / name).read_text()
    text = text.split("\nquestions:")[0].rstrip("\n") + "\n"
    path = tmp / name
    path.write_text(text + "questions:\n" + QUESTIONS[name])
    return path


def _value(v) -> object:
    v = np.asarray(v, dtype=float)
    return float(v) if v.ndim == 0 else v.tolist()


def _student(rng: random.Random, problem, asked: list) -> dict:
    """Returns {ref: answer} of one student of a random kind."""
    trace = run_trace(problem)
    first = problem.time_start
    steps = range(first, first + len(trace.steps))
    kind = rng.choice(["right", "slip", "carried", "rounded", "noise", "gaps", "text"])
    overrides = {}
    if kind == "carried":     # a wrong h at one step, the later steps right from it
        t = rng.choice(list(steps)[:-1])
        overrides[("h", t)] = np.asarray(trace.value("h", t), dtype=float) + 0.3
        trace = run_trace(problem, overrides=overrides)
    answers = {}
    for name in asked:
        for t in steps:
            value = np.asarray(overrides.get((name, t), trace.value(name, t)), dtype=float)
            decimals = 2 if kind == "rounded" else 6
            if kind == "noise" and rng.random() < 0.7:
                value = np.array([rng.uniform(-1, 1) for _ in range(value.size)]).reshape(value.shape)
            elif kind == "slip" and rng.random() < 0.2:
                value = value * 10 if rng.random() < 0.5 else -value
            elif kind == "gaps" and rng.random() < 0.4:
                continue
            answer = _value(np.round(value, decimals))
            if kind == "text" and rng.random() < 0.3:
                answer = str(answer) if not isinstance(answer, list) else [str(a) for a in answer]
            answers[f"{name}[{t}]"] = answer
    return answers


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """Returns [(problem path, answers paths)]: 30 random students of each problem."""
    tmp = tmp_path_factory.mktemp("shared")
    rng = random.Random(20261130)
    out = []
    for name, questions in QUESTIONS.items():
        path = _problem(tmp, name)
        problem = load_problem(str(path))
        asked = sorted({a for line in questions.splitlines() if "ask:" in line
                        for a in line.split("[")[1].rstrip("]").split(", ")})
        paths = []
        for n in range(30):
            answers = _student(rng, problem, asked)
            file = tmp / f"{path.stem}-{n:02d}.yaml"
            file.write_text(f"student: S{n}\nstudent_id: s{n:02d}\nanswers:\n" + "".join(
                f"  {ref}: {json.dumps(value)}\n" for ref, value in answers.items()))
            paths.append(str(file))
        broken = tmp / f"{path.stem}-broken.yaml"
        broken.write_text("student: B\nanswers: [1, 2\n")
        paths.insert(7, str(broken))
        out.append((str(path), paths))
    return out


def test_a_class_is_graded_as_each_file_alone(classes, monkeypatch):
    from rnncli.grading import student_pass

    shared_passes = []
    original = student_pass.StudentPass.value
    monkeypatch.setattr(student_pass.StudentPass, "value",
                        lambda self, *a: shared_passes.append(1) or original(self, *a))
    diagnosed = 0
    for problem, paths in classes:
        shared_passes.clear()
        batch = grade_files(paths, problem)
        assert shared_passes, "the students' own passes were never used"
        statuses = set()
        for path, shared in zip(paths, batch.results):
            alone = grade_files([path], problem).results[0]
            assert dumps(grade_document(shared)) == dumps(grade_document(alone)), path
            statuses.update(item.status for item in shared.items)
            assert result_json(shared) == dumps(grade_document(shared))
        # The class exercises what sharing could get wrong.
        assert {"correct", "follow-through", "wrong", "missing"} <= statuses, statuses
        diagnosed += sum(1 for r in batch.results for i in r.items if i.diagnosis)
    assert diagnosed


@pytest.mark.parametrize("output_format", ["json", "markdown"])
@pytest.mark.parametrize("small_buffers", [False, True])
def test_the_streamed_report_and_gradebook_are_those_of_the_whole_report(classes, tmp_path,
                                                                          output_format,
                                                                          small_buffers,
                                                                          monkeypatch):
    if small_buffers:       # results written a few at a time, the spool spilled to its file
        from rnncli.render import grade_stream

        monkeypatch.setattr(grade_stream, "WRITE_BYTES", 3000)
        monkeypatch.setattr(grade_stream, "SPOOL_BYTES", 5000)
    for problem, paths in classes:
        report = grade_files(paths, problem)
        gradebook = tmp_path / "grades.csv"
        result = CliRunner().invoke(cli, ["grade", "--problem", problem, *paths, "--format",
                                          output_format, "--csv", str(gradebook)])
        assert result.exit_code == report.exit_code == 2
        whole = (dumps(grades_document(report)) + "\n" if output_format == "json"
                 else render_markdown(report))
        assert result.stdout == whole + ("" if whole.endswith("\n") else "\n")
        assert gradebook.read_text() == csv_text(report)
        assert "Error: " in result.stderr


def test_result_json_is_dumps_for_every_magnitude_and_shape():
    from rnncli.grading.results import GradedItem, StudentGrade

    rng = np.random.default_rng(3)
    values = [np.array([1e16, -2e-320, 1e-5, 0.1, 5e-324, -0.0, 1e22, 123456789012345678.0]),
              rng.normal(size=(3, 4)) * 10.0 ** rng.integers(-12, 12, size=(3, 4)),
              np.float64(0.25), np.array(2.5), 7, None, "text \x00 with a NUL, a \"quote\": and ,"]
    items = tuple(GradedItem("a", f"h[{n}]", v, v, "wrong", 0.0, 1.0, f"\x00{n}:0\x00", "",
                             v if not isinstance(v, str) else None) for n, v in enumerate(values))
    result = StudentGrade("f.yaml", "S", "s1", "p.yaml", (("a", 7.0),), items, 0.0, 7.0)
    assert result_json(result) == dumps(grade_document(result))
    json.loads(result_json(result))
