"""A batch always finishes: 200 files of which 20 are hostile, and random answers files.

The 180 good files must be graded exactly as they are alone; the 20 hostile
ones (every finding of the hostile-input campaign, and one that makes the
grader itself fail) are scored 0 with a one-line reason; the CSV and each
results.json are complete. A hypothesis property: random answers files never
raise out of `grade_files`, and never end in an internal error either.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grade_oracle import answers_yaml, seed002, seed002_answers
from rnncli.cli import cli
from rnncli.grading import grade as grade_module
from rnncli.grading.batch import grade_files
from rnncli.render.gradebook import csv_text, gradescope_results
from rnncli.render.grade import grade_document

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
# Questions with `set:` (shut, open) asking c[3] on three networks: answers nest under their ids.
SET_PROBLEM = ROOT / "problems" / "lstm-forget-gate-questions.yaml"
HOSTILE = Path(__file__).resolve().parent / "hostile"
sys.path.insert(0, str(HOSTILE))
import make_corpus  # noqa: E402

STORED_HOSTILE = ["key-4301-digits.yaml", "key-escape.yaml", "alias-bomb.yaml", "deep.yaml",
                  "python-tag.yaml", "nul-byte.yaml", "invalid-utf8.yaml", "utf16.yaml",
                  "control-character.yaml", "answers-list.yaml", "unknown-key.yaml", "empty.yaml",
                  "student-escape.yaml", "value-4301-digits.yaml"]
GENERATED_HOSTILE = ["junk-answers-40k.yaml", "over-size-limit.yaml"]
SPECIAL_HOSTILE = ["fifo.yaml", "a-directory.yaml", "missing.yaml", "crash.yaml"]


def _good_answers(rng: random.Random, oracle: dict) -> dict:
    """Returns one student's answers: right, slightly off, noisy or partly missing."""
    answers = seed002_answers(oracle)
    kind = rng.random()
    for ref in list(answers):
        if kind < 0.3 and rng.random() < 0.3:
            answers[ref] = round(answers[ref] + rng.uniform(-0.2, 0.2), 4)
        elif kind < 0.4 and rng.random() < 0.3:
            del answers[ref]
    return answers


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Returns (paths in order, names of the hostile ones): 180 good files, 20 hostile."""
    directory = tmp_path_factory.mktemp("batch")
    rng = random.Random(13)
    oracle = seed002()
    good = []
    for i in range(180):
        path = directory / f"student{i:03d}.yaml"
        path.write_text(answers_yaml(_good_answers(rng, oracle), student=f"Student {i}",
                                     student_id=f"s{i:04d}"))
        good.append(path)
    for name in STORED_HOSTILE:
        shutil.copy(HOSTILE / "answers" / name, directory / name)
    make_corpus.write(directory, {k: v for k, v in make_corpus.generated_answers().items()
                                  if k in GENERATED_HOSTILE})
    os.mkfifo(directory / "fifo.yaml")
    (directory / "a-directory.yaml").mkdir()
    (directory / "crash.yaml").write_text(answers_yaml(seed002_answers(oracle)))
    hostile = [directory / n for n in STORED_HOSTILE + GENERATED_HOSTILE + SPECIAL_HOSTILE]
    assert len(hostile) == 20
    paths = good[:]
    for k, path in enumerate(hostile):          # spread through the class, not at the end
        paths.insert(9 * k + 3, path)
    return [str(p) for p in paths], {str(p) for p in hostile}


@pytest.fixture
def crashing_grader(monkeypatch):
    """Makes grading crash.yaml fail the way an unknown bug would."""
    original = grade_module.Marking.grade

    def grade(self, answers):
        if answers.file.endswith("crash.yaml"):
            raise KeyError("an unforeseen bug")
        return original(self, answers)

    monkeypatch.setattr(grade_module.Marking, "grade", grade)


def _same(result) -> str:
    return json.dumps(grade_document(result), sort_keys=True)


def test_a_batch_with_20_hostile_files_grades_the_other_180_as_alone(batch, crashing_grader):
    paths, hostile = batch
    debug = io.StringIO()
    report = grade_files(paths, str(PROBLEM), debug=debug)
    assert len(report.results) == 200
    for path, result in zip(paths, report.results):
        if path in hostile:
            assert result.score == 0, path
            reason = result.error or "; ".join(i.feedback for i in result.items if i.points == 0)
            assert reason and "\n" not in reason, path
        else:
            alone = grade_files([path], str(PROBLEM)).results[0]
            assert _same(result) == _same(alone), path
    errors = {Path(r.file).name: r.error for r in report.results if r.error}
    assert "grading this file failed (KeyError, a bug in rnncli)" in errors["crash.yaml"]
    assert "Traceback" not in errors["crash.yaml"]
    assert "Traceback" in debug.getvalue() and "an unforeseen bug" in debug.getvalue()
    assert "no problem has that many steps" in " ".join(
        i.feedback for r in report.results if r.file.endswith("key-4301-digits.yaml") for i in r.items)
    assert "at most 1,000 answers" in errors["junk-answers-40k.yaml"]
    assert "named pipe" in errors["fifo.yaml"]

    # The gradebook has every row, in order, and the hostile ones are scored 0.
    rows = list(csv.reader(io.StringIO(csv_text(report))))
    assert len(rows) == 201 and all(len(row) == len(rows[0]) for row in rows)
    for path, row in zip(paths, rows[1:]):
        if path in hostile:
            assert row[rows[0].index("total")] == "0"
    # And every submission's results.json is complete: a score, and a reason when it is 0.
    for path, result in zip(paths, report.results):
        document = json.loads(json.dumps(gradescope_results(result)))
        assert {"score", "output", "tests"} <= set(document)
        if path in hostile:
            assert document["score"] == 0 and document["output"]


def test_the_batch_through_the_command_writes_the_whole_gradebook(batch, crashing_grader,
                                                                    tmp_path):
    paths, hostile = batch
    grades = tmp_path / "grades.csv"
    result = CliRunner().invoke(cli, ["grade", "--problem", str(PROBLEM), *paths, "--csv",
                                      str(grades), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    document = json.loads(result.stdout)
    assert len(document["results"]) == 200
    assert document["summary"]["unreadable"] == len(result.stderr.splitlines())
    assert all(line.startswith("Error: ") for line in result.stderr.splitlines())
    assert "Traceback" not in result.stderr
    rows = list(csv.reader(io.StringIO(grades.read_text(encoding="utf-8"))))
    assert len(rows) == 201
    # One results.json per hostile submission, as Gradescope runs them: scored 0, never a crash.
    for path in sorted(hostile):
        out = tmp_path / "results.json"
        single = CliRunner().invoke(cli, ["grade", "--problem", str(PROBLEM), path,
                                          "--gradescope", str(out)])
        assert single.exit_code in (1, 2) and "Traceback" not in single.output, path
        assert json.loads(out.read_text())["score"] == 0, path


def test_debug_prints_the_traceback_only_when_asked(batch, crashing_grader):
    paths, _ = batch
    crash = next(p for p in paths if p.endswith("crash.yaml"))
    quiet = CliRunner().invoke(cli, ["grade", "--problem", str(PROBLEM), crash])
    assert quiet.exit_code == 2 and "Traceback" not in quiet.output
    assert quiet.stderr.count("\n") == 1
    loud = CliRunner().invoke(cli, ["grade", "--problem", str(PROBLEM), crash, "--debug"])
    assert loud.exit_code == 2 and "Traceback" in loud.stderr and "KeyError" in loud.stderr


# ---- random answers files -----------------------------------------------------------------------

REFS = ["h[1]", "s[2]", "y[3]", "h", "y", "params.total", "h[0]", "h[99]", "q[1]", "zz[1]",
        "h[" + "9" * 30 + "]", "h[-1]", "h[1", "]", "h(1)", "params.W", "grad.h",
        "c[3]", "c", "given", "shut", "open", "shut: c[2]"]
scalars = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 40, 10 ** 40),
                    st.text(max_size=20), st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=5), inner,
                                                                        max_size=3)), max_leaves=12)
keys = st.one_of(st.sampled_from(REFS), st.text(max_size=30))
# A question's answers nested under its id (`shut: {c[2]: 0.7}`), and under any other key.
nested = st.dictionaries(keys, values, max_size=4)


def _yaml_text(document) -> str:
    # JSON is YAML 1.2 (NaN and infinities aside, which become YAML's own spellings).
    return json.dumps(document, ensure_ascii=False, allow_nan=True) \
        .replace("NaN", ".nan").replace("-Infinity", "-.inf").replace("Infinity", ".inf")


answers_documents = st.one_of(
    st.fixed_dictionaries({"answers": st.dictionaries(keys, st.one_of(values, nested),
                                                      max_size=10)},
                          optional={"student": scalars, "student_id": scalars,
                                    "problem": st.text(max_size=20)}).map(_yaml_text),
    st.dictionaries(st.text(max_size=10), values, max_size=4).map(_yaml_text),
    st.text(max_size=200),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("random")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(answers_documents.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 st.binary(max_size=300)))
def test_random_answers_files_never_raise_out_of_grade_files(scratch, data):
    path = scratch / "answers.yaml"
    path.write_bytes(data)
    for problem in (str(PROBLEM), str(SET_PROBLEM), None):
        report = grade_files([str(path)], problem)
        (result,) = report.results
        assert result.error is None or ("a bug in rnncli" not in result.error
                                        and "\n" not in result.error), result.error
        assert 0 <= result.score <= max(result.max_score, 0)
