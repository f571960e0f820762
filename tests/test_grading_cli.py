"""`rnncli grade` on the command line: batches with broken and hostile files, forged `problem:`
keys, exit codes, the CSV gradebook, Gradescope's results.json, golden outputs, idempotence.

Golden files live in tests/golden/grade/, one per case; regenerate them with
RNNCLI_REGENERATE_GOLDEN=1 and review the diff. Every number in them comes from
answers files built from tests/grade_oracle.py.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grade_oracle import answers_yaml, seed002, seed002_answers
from rnncli.cli import cli
from golden import assert_matches_golden

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "grade"
SEED002 = ROOT / "problems" / "lstm-goodfellow-forward.yaml"
ADA = ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml"

BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                  for p, c in zip("abcdefgh", "bcdefghi"))
        + "answers: {}\n")


def run(*args, cwd=None):
    runner = CliRunner(env={"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": None})
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        return runner.invoke(cli, ["grade", *map(str, args)])
    finally:
        os.chdir(before)


@pytest.fixture
def classroom(tmp_path):
    """A class directory: the instructor's problem, five good and seven broken or hostile files."""
    shutil.copy(SEED002, tmp_path / "problem.yaml")
    shutil.copy(ADA, tmp_path / "ada.yaml")
    (tmp_path / "ada.yaml").write_text(ADA.read_text().replace("problem: problems/lstm-goodfellow-forward.yaml",
                                                               "problem: problem.yaml"))
    oracle = seed002()
    perfect = seed002_answers(oracle)
    tanh = seed002_answers(seed002(cell_input=math.tanh))
    decimal = dict(perfect, **{"h[2]": round(10 * oracle[("h", 2)], 3)})
    files = {
        "perfect.yaml": answers_yaml(perfect, student="Grace Hopper", student_id="s0001"),
        "tanh.yaml": answers_yaml(tanh, student='"O\'Neil, \\"Pat\\""', student_id="s0002"),
        "decimal.yaml": answers_yaml(decimal, student='"=HYPERLINK(\\"http://x\\")"'),
        "strange.yaml": answers_yaml({"s[1]": "1e400", "h[1]": "1" + "0" * 400, "y[1]": "[1, 2]",
                                      "s[2]": ".nan", "hh[1]": "2", "f[1]": "0.5"}),
        "binary.yaml": None,
        "bomb.yaml": BOMB,
        "list.yaml": "answers: [1, 2, 3]\n",
        "unknown-key.yaml": "anwsers:\n  s[1]: 0.4225\n",
        "tag.yaml": 'answers: !!python/object/apply:os.system ["echo pwned"]\n',
        "empty.yaml": "",
        "deep.yaml": "answers: " + "[" * 200 + "]" * 200 + "\n",
    }
    for name, text in files.items():
        if text is None:
            (tmp_path / name).write_bytes(b"\x00\xff\xfe junk \x00" * 40)
        else:
            (tmp_path / name).write_text(text)
    return tmp_path


GOOD = ["ada.yaml", "perfect.yaml", "tanh.yaml", "decimal.yaml", "strange.yaml"]
BROKEN = ["binary.yaml", "bomb.yaml", "list.yaml", "unknown-key.yaml", "tag.yaml", "empty.yaml",
          "deep.yaml"]


# ---- one file, self-check -------------------------------------------------------------------------

def test_self_check_of_the_shipped_example():
    result = run(ADA.relative_to(ROOT))
    assert result.exit_code == 1, result.output
    assert result.stderr == ""
    assert "follow-through" in result.stdout
    assert "Score 8 / 9 (89%): 4 correct, 4 follow-through, 1 wrong" in result.stdout


def test_full_marks_exit_0(tmp_path):
    shutil.copy(SEED002, tmp_path / "problem.yaml")
    (tmp_path / "a.yaml").write_text(answers_yaml(seed002_answers(seed002()), problem="problem.yaml"))
    result = run(tmp_path / "a.yaml")
    assert result.exit_code == 0, result.output
    assert "Score 9 / 9 (100%)" in result.stdout


def test_self_check_without_a_problem_key(tmp_path):
    (tmp_path / "a.yaml").write_text("answers:\n  h[1]: 0.261\n")
    result = run(tmp_path / "a.yaml")
    assert result.exit_code == 2
    assert "names no `problem:`" in result.stderr
    assert "Traceback" not in result.output


def test_an_unreadable_problem_stops_a_batch_at_once(tmp_path):
    result = run("--problem", tmp_path / "missing.yaml", ADA)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"Error: {tmp_path / 'missing.yaml'}: no such file"


# ---- batches ---------------------------------------------------------------------------------------

def test_a_batch_with_broken_and_hostile_files(classroom):
    result = run("--problem", "problem.yaml", *GOOD, *BROKEN, "--format", "json", "--csv",
                 "grades.csv", cwd=classroom)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    errors = result.stderr.splitlines()
    assert len(errors) == len(BROKEN)
    assert all(line.startswith("Error: ") for line in errors)
    document = json.loads(result.stdout)
    assert document["schema"] == "rnncli/grades@1"
    by_file = {r["file"]: r for r in document["results"]}
    assert [r["file"] for r in document["results"]] == GOOD + BROKEN     # the order given
    for name in BROKEN:
        assert by_file[name]["status"] == "error" and by_file[name]["score"] == 0
        assert by_file[name]["max_score"] == 9
    reasons = {name: by_file[name]["error"] for name in BROKEN}
    assert "binary data" in reasons["binary.yaml"]
    assert "alias bomb" in reasons["bomb.yaml"]
    assert "`answers` must be a mapping" in reasons["list.yaml"]
    assert "did you mean `answers`" in reasons["unknown-key.yaml"]
    assert "tag" in reasons["tag.yaml"] and "not allowed" in reasons["tag.yaml"]
    assert "empty" in reasons["empty.yaml"]
    assert "nested deeper" in reasons["deep.yaml"]
    assert by_file["perfect.yaml"]["score"] == 9
    assert by_file["ada.yaml"]["score"] == 8
    strange = {i["ref"]: i for i in by_file["strange.yaml"]["items"]}
    assert strange["s[1]"]["status"] == "invalid" and strange["h[1]"]["status"] == "invalid"
    assert strange["y[1]"]["status"] == "invalid" and strange["s[2]"]["status"] == "invalid"
    assert strange["hh[1]"]["status"] == "invalid" and strange["hh[1]"]["max_points"] == 0
    assert by_file["strange.yaml"]["not_graded"] == ["f[1]"]
    summary = document["summary"]
    assert summary["files"] == 12 and summary["unreadable"] == 7
    assert summary["common_diagnosis"]["label"] == "tanh instead of σ in s"


def test_forged_problem_keys_are_ignored_with_an_instructors_problem(classroom):
    forged = SEED002.read_text().replace("points: 9", "points: 900\n    tolerance: {abs: 100}")
    (classroom / "forged.yaml").write_text(forged)
    wrong = answers_yaml({"s[1]": 5, "h[1]": 5, "y[1]": 5}, problem="forged.yaml")
    (classroom / "cheat.yaml").write_text(wrong)
    (classroom / "cheat2.yaml").write_text(wrong.replace("forged.yaml", "/etc/passwd"))
    # Self-check honours the student's own problem (that is what self-check is) ...
    own = run("cheat.yaml", "--format", "json", cwd=classroom)
    assert json.loads(own.stdout)["max_score"] == 900
    # ... the instructor's --problem never does.
    result = run("--problem", "problem.yaml", "cheat.yaml", "cheat2.yaml", "--format", "json",
                 cwd=classroom)
    assert result.exit_code == 1 and result.stderr == ""
    for graded in json.loads(result.stdout)["results"]:
        assert graded["score"] == 0 and graded["max_score"] == 9
        assert graded["problem"] == "problem.yaml"


def test_self_check_batch_reads_each_problem_once_and_reports_a_bad_one(classroom):
    (classroom / "lost.yaml").write_text(answers_yaml({"h[1]": 0.26}, problem="nowhere.yaml"))
    result = run("ada.yaml", "lost.yaml", cwd=classroom)
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: nowhere.yaml: no such file"
    assert "Score 8 / 9" in result.stdout


def test_a_broken_file_is_scored_out_of_the_problems_points_in_both_modes(classroom):
    """`anwsers:` in a file that names its problem: 0 / 9 in self-check, as with --problem."""
    (classroom / "typo.yaml").write_text("problem: problem.yaml\nanwsers:\n  s[1]: 0.4225\n")
    lines = []
    for args in (["typo.yaml"], ["--problem", "problem.yaml", "typo.yaml"]):
        result = run(*args, cwd=classroom)
        assert result.exit_code == 2 and "did you mean `answers`" in result.stderr
        lines.append(result.stdout.splitlines()[-1])
        document = json.loads(run(*args, "--format", "json", cwd=classroom).stdout)
        assert (document["score"], document["max_score"], document["status"]) == (0, 9, "error")
        assert document["questions"] == [{"id": "a", "points": 0, "max_points": 9}]
    assert lines[0] == lines[1] and lines[0].endswith("(scored 0 / 9)")
    # Where the problem cannot be known (not YAML at all), there are no points to name.
    result = run("binary.yaml", cwd=classroom)
    assert result.stdout.splitlines()[-1].endswith("(scored 0 / 0)")


def test_the_report_shows_an_invalid_vector_as_given(classroom):
    result = run("--problem", "problem.yaml", "strange.yaml", cwd=classroom)
    row = next(line for line in result.stdout.splitlines() if line.startswith("a         y[1]"))
    assert "[1, 2]" in row and "a list" not in row
    (classroom / "long.yaml").write_text(answers_yaml({"h[1]": str(list(range(500)))}))
    document = json.loads(run("--problem", "problem.yaml", "long.yaml", "--format", "json",
                              cwd=classroom).stdout)
    given = {i["ref"]: i["given"] for i in document["items"]}["h[1]"]
    assert given.startswith("[0, 1, 2, 3") and given.endswith("...") and len(given) == 60


def test_the_report_says_a_quoted_number_was_read_as_the_number(classroom):
    answers = seed002_answers(seed002())
    answers["h[3]"] = '"0.4953"'
    (classroom / "quoted.yaml").write_text(answers_yaml(answers))
    result = run("--problem", "problem.yaml", "quoted.yaml", "--format", "markdown",
                 cwd=classroom)
    assert result.exit_code == 0, result.output
    assert '"0.4953" is written as text (in quotes); it is read as the number 0.4953' \
        in result.stdout
    assert "**Score 9 / 9 (100%): 9 correct**" in result.stdout


def test_a_shifted_sheet_is_noted_once_in_every_format(classroom):
    oracle = seed002()
    answers = {f"{n}[{t - 1}]": round(v, 4) for (n, t), v in oracle.items() if n in "shy"}
    (classroom / "zero.yaml").write_text(answers_yaml(answers))
    text = run("--problem", "problem.yaml", "zero.yaml", cwd=classroom).stdout
    assert text.count("Note for the whole sheet: Your steps are shifted by one") == 1
    assert "check the step index" not in text
    markdown = run("--problem", "problem.yaml", "zero.yaml", "--format", "markdown",
                   cwd=classroom).stdout
    assert markdown.count("Note for the whole sheet") == 1
    document = json.loads(run("--problem", "problem.yaml", "zero.yaml", "--format", "json",
                              cwd=classroom).stdout)
    assert document["sheet_diagnosis"]["code"] == "step-shift"
    assert "numbered them from t = 0" in document["sheet_diagnosis"]["message"]
    assert all(i["diagnosis"] is None for i in document["items"])
    run("--problem", "problem.yaml", "zero.yaml", "--gradescope", "results.json", cwd=classroom)
    output = json.loads((classroom / "results.json").read_text())["output"]
    assert "Note for the whole sheet" in output


def test_self_check_on_a_problem_without_questions(tmp_path):
    body = SEED002.read_text().split("questions:")[0]
    (tmp_path / "p.yaml").write_text(body)
    oracle = seed002()
    answers = {"h[1]": round(oracle[("h", 1)], 4), "f[2]": round(oracle[("f", 2)], 4),
               "y[3]": 0.9, "params.total": 14}
    (tmp_path / "a.yaml").write_text(answers_yaml(answers, problem="p.yaml"))
    result = run(tmp_path / "a.yaml")
    assert result.exit_code == 1 and result.stderr == "", result.output
    assert "Score 3 / 4 (75%): 3 correct, 1 wrong" in result.stdout
    for ref in answers:
        assert f"answered  {ref}" in result.stdout


# ---- the gradebook and results.json ---------------------------------------------------------------

def test_the_csv_gradebook(classroom):
    result = run("--problem", "problem.yaml", *GOOD, "bomb.yaml", "--csv", "grades.csv",
                 cwd=classroom)
    assert result.exit_code == 2
    text = (classroom / "grades.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student_id", "student", "a", "total", "max", "status", "error"]
    assert len(rows) == 1 + len(GOOD) + 1
    table = {row[0]: row for row in rows[1:]}
    assert table["s1815"] == ["s1815", "Ada Lovelace", "8", "8", "9", "graded", ""]
    assert table["s0001"][1:] == ["Grace Hopper", "9", "9", "9", "graded", ""]
    assert table["s0002"][1] == "O'Neil, \"Pat\""                # quoted, read back whole
    assert table["decimal"][1] == "'=HYPERLINK(\"http://x\")"    # never a live formula
    assert table["bomb"][2:6] == ["0", "0", "9", "error"]
    assert "alias bomb" in table["bomb"][6]
    assert not [p for p in classroom.iterdir() if p.name.startswith(".rnncli-")]   # no temp left


def test_the_gradescope_results_json(classroom):
    result = run("--problem", "problem.yaml", "ada.yaml", "--gradescope", "results.json",
                 cwd=classroom)
    assert result.exit_code == 1
    document = json.loads((classroom / "results.json").read_text())
    assert document["score"] == 8
    assert document["output_format"] == "text"
    tests = document["tests"]
    assert len(tests) == 9
    assert sum(t["max_score"] for t in tests) == 9
    assert sum(t["score"] for t in tests) == 8
    assert {t["status"] for t in tests} == {"passed", "failed"}
    first = tests[0]
    assert set(first) == {"name", "number", "score", "max_score", "status", "output"}
    assert first["name"] == "a: s[1]" and first["number"] == "a.1"
    failed = [t for t in tests if t["status"] == "failed"]
    assert [t["name"] for t in failed] == ["a: s[2]"]
    assert "expected: 0.6328" in failed[0]["output"] and "given:    0.6528" in failed[0]["output"]


def test_gradescope_scores_a_broken_submission_0_and_says_why(classroom):
    result = run("--problem", "problem.yaml", "binary.yaml", "--gradescope", "results.json",
                 cwd=classroom)
    assert result.exit_code == 2
    document = json.loads((classroom / "results.json").read_text())
    assert document["score"] == 0 and document["tests"] == []
    assert "binary data" in document["output"]


def test_gradescope_takes_one_submission(classroom):
    result = run("--problem", "problem.yaml", "ada.yaml", "perfect.yaml", "--gradescope",
                 "results.json", cwd=classroom)
    assert result.exit_code == 2
    assert "exactly one answers file" in result.stderr
    assert not (classroom / "results.json").exists()


def test_an_unwritable_gradebook_is_an_error_and_nothing_is_half_written(classroom):
    result = run("--problem", "problem.yaml", "ada.yaml", "--csv", "no/such/dir/grades.csv",
                 cwd=classroom)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no/such/dir/grades.csv: cannot write here")
    (classroom / "grades.csv").write_text("previous\n")
    run("--problem", "problem.yaml", "ada.yaml", "--csv", "grades.csv", cwd=classroom)
    assert (classroom / "grades.csv").read_text().startswith("student_id,")


# ---- golden outputs and idempotence ------------------------------------------------------------------

CASES = {
    "lstm-goodfellow-ada.txt": ["problems/answers/lstm-goodfellow-ada.yaml"],
    "lstm-goodfellow-ada.md": ["problems/answers/lstm-goodfellow-ada.yaml", "--format", "markdown"],
    "lstm-goodfellow-ada.json": ["problems/answers/lstm-goodfellow-ada.yaml", "--format", "json"],
    "rnn-params-bo.txt": ["problems/answers/rnn-params-bo.yaml"],
    # questions with `set:`: references shown as `shut: c[2]`
    "lstm-forget-gate-di.txt": ["problems/answers/lstm-forget-gate-di.yaml"],
    "lstm-forget-gate-di.json": ["problems/answers/lstm-forget-gate-di.yaml", "--format", "json"],
}
CLASS_CASES = {
    "class.txt": [],
    "class.md": ["--format", "markdown"],
    "class.json": ["--format", "json"],
}


def check_golden(name: str, text: str) -> None:
    assert_matches_golden(GOLDEN / name, text)


@pytest.mark.parametrize("case", CASES)
def test_golden_output(case):
    if "seed001" in case:
        pytest.importorskip("rnncli.solve.counting")
    result = run(*CASES[case])
    assert result.exit_code == 1, result.output
    check_golden(case, result.stdout)


@pytest.mark.parametrize("case", CLASS_CASES)
def test_golden_class_output(classroom, case):
    result = run("--problem", "problem.yaml", *GOOD, "bomb.yaml", *CLASS_CASES[case],
                 "--csv", "grades.csv", cwd=classroom)
    assert result.exit_code == 2
    check_golden(case, result.stdout)
    check_golden("class.csv", (classroom / "grades.csv").read_text(encoding="utf-8"))


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_the_same_inputs_give_byte_identical_outputs(classroom, output_format):
    outputs = []
    for run_number in range(2):
        result = run("--problem", "problem.yaml", *GOOD, *BROKEN, "--format", output_format,
                     "--csv", f"grades{run_number}.csv", cwd=classroom)
        outputs.append((result.stdout, result.stderr, result.exit_code,
                        (classroom / f"grades{run_number}.csv").read_bytes()))
        result = run("--problem", "problem.yaml", "ada.yaml", "--gradescope",
                     f"results{run_number}.json", cwd=classroom)
        outputs[-1] += ((classroom / f"results{run_number}.json").read_bytes(),)
    assert outputs[0] == outputs[1]


# ---- check validates questions -----------------------------------------------------------------------

@pytest.mark.parametrize("ask, message", [
    ('[h, "hh[1]"]', "question `a`: `hh[1]`: no quantity `hh` in this problem (did you mean `h`?)"),
    ('["h[9]"]', "question `a`: `h[9]`: step 9 is outside the steps 1..3"),
    ("[grads.h]", "unknown reference kind `grads.`"),
    ("[grad.h]", "question `a`: `grad.h`: the problem has no `loss`"),
    ("[params.W_z]", "question `a`: `params.W_z`: no parameter `W_z`"),
])
def test_check_validates_the_references_questions_ask(tmp_path, ask, message):
    if "params" in ask:
        pytest.importorskip("rnncli.solve.counting")
    text = SEED002.read_text().replace("ask: [s, h, y]", f"ask: {ask}")
    (tmp_path / "p.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "p.yaml")])
    assert result.exit_code == 2
    line = text.splitlines().index(f"    ask: {ask}") + 1
    assert result.stderr.strip().startswith(f"Error: {tmp_path / 'p.yaml'}:{line}: ")
    assert message in result.stderr


def test_grade_help_has_an_example():
    result = CliRunner().invoke(cli, ["grade", "--help"])
    assert result.exit_code == 0
    assert "rnncli grade --problem" in result.stdout and "--gradescope" in result.stdout
