"""Questions with `set:` (spec §15): graded, checked and solved on the network changed as `--set` changes it.

Oracles: the expected value of every reference of a question with `set:` must
equal the `--set` trace of the same change (itself proven against problems
edited by hand in test_changes.py) and a plain numpy loop of the scalar LSTM
written here from its equations with f forced to a constant; follow-through
under a change is checked against the same numpy loop run from the student's
own earlier value.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.files.answers import parse_answers
from rnncli.files.changes import apply_changes, parse_set_option
from rnncli.files.problem import load_problem, parse_problem
from rnncli.grading.batch import grade_files
from rnncli.grading.grade import Marking
from rnncli.grading.questions import asked_items
from rnncli.solve.trace import run_trace

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "lstm-forget-gate-questions.yaml"
DI = ROOT / "problems" / "answers" / "lstm-forget-gate-di.yaml"
PARAMS = dict(W_f=0.5, U_f=0.1, W_i=0.6, U_i=0.2, W_g=0.7, U_g=0.3, W_o=0.8, U_o=0.4)
X = (1.0, 2.0, 3.0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numpy_lstm(forget=None, own=None) -> dict:
    """Returns {(name, t): value} of the scalar LSTM; `forget` a constant f, or None for σ;
    `own` {(name, t): value} replaces a value once computed (a student's own answer)."""
    p, own = PARAMS, own or {}
    h = c = 0.0
    out = {}
    for t, x in enumerate(X, 1):
        i = sigmoid(p["W_i"] * x + p["U_i"] * h)
        f = sigmoid(p["W_f"] * x + p["U_f"] * h) if forget is None else forget
        o = sigmoid(p["W_o"] * x + p["U_o"] * h)
        g = np.tanh(p["W_g"] * x + p["U_g"] * h)
        c = own.get(("c", t), f * c + i * g)
        h = own.get(("h", t), o * np.tanh(c))
        out.update({("c", t): c, ("h", t): h, ("f", t): f})
    return out


def cli_run(*args, cwd=None):
    import os

    runner = CliRunner(env={"NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": "200"})
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        return runner.invoke(cli, list(map(str, args)))
    finally:
        os.chdir(before)


# ---- expected values on the changed network ------------------------------------------------------

def test_values_under_set_are_the_set_option_trace_and_the_numpy_loop():
    problem = load_problem(str(PROBLEM))
    items = asked_items(problem)
    given = run_trace(problem)
    traces = {(): given,
              (("f", "0"),): run_trace(apply_changes(problem, [parse_set_option("f=0")])),
              (("f", "1"),): run_trace(apply_changes(problem, [parse_set_option("f=1")]))}
    loops = {(): numpy_lstm(), (("f", "0"),): numpy_lstm(0.0), (("f", "1"),): numpy_lstm(1.0)}
    assert {i.changes for i in items} == set(traces)
    for item in items:
        key = (item.ref.name, item.ref.step)
        assert item.expected == traces[item.changes].value(*key), item.label
        np.testing.assert_allclose(item.expected, loops[item.changes][key], rtol=1e-14,
                                   err_msg=item.label)
    # c[3] is asked three times, on three networks, with three different values
    c3 = [float(i.expected) for i in items if str(i.ref) == "c[3]"]
    assert len(set(c3)) == 3
    assert [i.label for i in items if str(i.ref) == "c[3]"] == ["c[3]", "shut: c[3]", "open: c[3]"]


def test_the_same_reference_under_the_same_change_is_still_asked_twice():
    text = PROBLEM.read_text().replace("ask: [\"c[3]\"]", "ask: [\"c[3]\"]\n  - id: again\n"
                                       "    set: {f: \"1\"}\n    ask: [\"c[3]\"]")
    with pytest.raises(Exception, match=r"`c\[3\]` is asked twice under the same `set:` "
                                        r"\(by question `open` and question `again`\)"):
        asked_items(parse_problem(text, "p.yaml"))


# ---- check ---------------------------------------------------------------------------------------

def test_check_accepts_a_problem_with_set_questions():
    result = cli_run("check", PROBLEM)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok ")


@pytest.mark.parametrize("entry, message", [
    ('f: "W_q * x"', "question `shut`, `set.f`: the changed network fails: parameter `W_q` of "
                     "equation `f` has no value"),
    ('f: "[1, 2] * x"', "question `shut`, `set.f`: the changed network fails:"),
    ('f: "sigmoid("', "question `shut`, `set.f`: cannot parse"),
])
def test_a_set_that_breaks_the_network_names_its_line(tmp_path, entry, message):
    text = PROBLEM.read_text().replace('set: {f: "0"}', "set:\n      i: \"1\"\n      " + entry)
    path = tmp_path / "p.yaml"
    path.write_text(text)
    line = text.splitlines().index("      " + entry) + 1
    result = cli_run("check", path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}:{line}: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


# ---- answers files: plain, nested, ambiguous, unknown ids ----------------------------------------

def right(forget=None) -> dict:
    values = numpy_lstm(forget)
    return {f"{n}[{t}]": round(float(values[n, t]), 4) for n in "ch" for t in (1, 2, 3)}


def answers_text(plain: dict, nested: dict | None = None, extra: str = "") -> str:
    lines = ["answers:"] + [f"  {k}: {v}" for k, v in plain.items()]
    for qid, values in (nested or {}).items():
        lines.append(f"  {qid}:")
        lines += [f"    {k}: {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n" + extra


def statuses(result) -> dict:
    return {i.label: i.status for i in result.items}


@pytest.fixture(scope="module")
def marking():
    return Marking(load_problem(str(PROBLEM)))


def test_plain_keys_are_the_network_as_given_and_nested_keys_the_changed_one(marking):
    text = answers_text(right(), {"shut": right(0.0), "open": {"c[3]": right(1.0)["c[3]"]}})
    result = marking.grade(parse_answers(text, "a.yaml"))
    assert result.score == result.max_score == 7
    assert set(statuses(result).values()) == {"correct"}
    # swapped: the values of the shut gate given as the network as given are wrong there
    swapped = answers_text(right(0.0), {"shut": right()})
    result = marking.grade(parse_answers(swapped, "a.yaml"))
    assert statuses(result)["c[2]"] == "wrong" and statuses(result)["shut: c[2]"] == "wrong"
    assert statuses(result)["c[1]"] == "correct"      # c(1) does not depend on f (c(0) = 0)


def test_an_unambiguous_plain_key_answers_the_one_change_that_asks_it():
    text = PROBLEM.read_text().split("questions:")[0] + (
        "questions:\n  - id: a\n    ask: [\"h[1]\"]\n  - id: shut\n    set: {f: \"0\"}\n"
        "    ask: [\"c[2]\"]\n")
    marking = Marking(parse_problem(text, "p.yaml"))
    plain = marking.grade(parse_answers(f"answers:\n  h[1]: 0.2564\n  c[2]: {right(0.0)['c[2]']}\n",
                                        "a.yaml"))
    nested = marking.grade(parse_answers(f"answers:\n  h[1]: 0.2564\n  shut:\n    c[2]: "
                                         f"{right(0.0)['c[2]']}\n", "a.yaml"))
    assert statuses(plain) == statuses(nested) == {"h[1]": "correct", "shut: c[2]": "correct"}
    both = marking.grade(parse_answers(f"answers:\n  c[2]: 0.7\n  shut:\n    c[2]: 0.7\n", "a.yaml"))
    item = next(i for i in both.items if i.label == "shut: c[2]")
    assert item.status == "invalid" and "is answered twice" in item.feedback


def test_a_plain_key_asked_only_under_different_changes_is_ambiguous():
    text = PROBLEM.read_text().replace("  - id: given\n", "  - id: given\n    set: {i: \"1\"}\n")
    marking = Marking(parse_problem(text, "p.yaml"))
    result = marking.grade(parse_answers("answers:\n  c[2]: 0.7\n  shut:\n    c[1]: 0.3902\n",
                                         "a.yaml"))
    invalid = [i for i in result.items if i.question is None]
    assert [(i.ref, i.status) for i in invalid] == [("c[2]", "invalid")]
    assert invalid[0].feedback.startswith(
        "`c[2]` is asked by questions `given` (i = 1) and `shut` (f = 0), each on a changed "
        "network: give it under the question's id, as `given: {c[2]: ...}`")
    assert "\n" not in invalid[0].feedback
    assert statuses(result)["shut: c[1]"] == "correct"
    assert statuses(result)["given: c[2]"] == statuses(result)["shut: c[2]"] == "missing"


def test_nested_mappings_under_unknown_ids_or_unchanged_questions_are_invalid(marking):
    text = answers_text({}, {"given": {"c[1]": 0.3902}, "shot": {"c[1]": 0.3902},
                             "c[1]": {"a": 1}, "f[2]": {"c[1]": 0.3902}})
    result = marking.grade(parse_answers(text, "a.yaml"))
    invalid = {i.ref: i.feedback for i in result.items if i.question is None}
    # never silently "not graded": f[2] is computed but not asked, and this is no answer to it
    assert "no question has the id `f[2]`" in invalid["f[2]"] and not result.not_graded
    assert invalid["given"].startswith("question `given` does not change the network (it has no "
                                       "`set:`): give its answers as plain lines")
    assert "no question has the id `shot`" in invalid["shot"]
    # a mapping under an asked reference is that answer, and not a number
    item = next(i for i in result.items if i.label == "c[1]")
    assert item.status == "invalid" and "not a mapping" in item.feedback
    assert all(i.status in ("missing", "invalid") for i in result.items)


def test_a_batch_with_every_case_is_graded_file_by_file(tmp_path):
    files = {
        "good.yaml": answers_text(right(), {"shut": right(0.0), "open": {"c[3]": 1.9471}}),
        "plain-only.yaml": answers_text(right()),
        "unknown-id.yaml": answers_text(right(), {"nope": right(0.0)}),
        "unchanged-id.yaml": answers_text({}, {"given": right()}),
        "broken.yaml": "answers: [1, 2\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    report = grade_files([str(tmp_path / n) for n in files], str(PROBLEM))
    scores = {r.student_id: (r.score, r.error) for r in report.results}
    assert scores["good"] == (7, None)
    assert scores["plain-only"] == (3, None)
    assert scores["unknown-id"] == (3, None)
    assert scores["unchanged-id"] == (0, None)
    assert scores["broken"][1] is not None and report.exit_code == 2


# ---- follow-through and diagnoses on the changed network -----------------------------------------

def test_follow_through_under_a_change_recomputes_on_the_changed_network(marking):
    # A wrong h(2) with the gate shut; c(3) and h(3) computed from it with f = 0.
    own = {("h", 2): -0.9}
    theirs = numpy_lstm(0.0, own)
    unchanged = numpy_lstm(None, own | {("c", 2): numpy_lstm(0.0)["c", 2]})
    shut = right(0.0) | {"h[2]": -0.9, "c[3]": round(float(theirs["c", 3]), 4),
                         "h[3]": round(float(theirs["h", 3]), 4)}
    # the two networks disagree on c(3) by far more than the tolerance: the test tells them apart
    assert abs(theirs["c", 3] - unchanged["c", 3]) > 0.2
    result = marking.grade(parse_answers(answers_text(right(), {"shut": shut}), "a.yaml"))
    items = {i.label: i for i in result.items}
    assert items["shut: h[2]"].status == "wrong"
    for ref in ("shut: c[3]", "shut: h[3]"):
        assert items[ref].status == "follow-through", items[ref].feedback
        assert "h[2]" in items[ref].follow_through_from
    assert "(-0.9" not in items["shut: c[3]"].feedback
    assert f"({round(float(theirs['c', 3]), 4):.4g})" in items["shut: c[3]"].feedback
    # the same numbers given for the network as given are simply wrong there
    as_given = right() | {"h[2]": -0.9, "c[3]": shut["c[3]"]}
    result = marking.grade(parse_answers(answers_text(as_given), "a.yaml"))
    assert statuses(result)["c[3]"] == "wrong"


def test_a_slip_under_a_change_is_diagnosed_on_the_changed_network(marking):
    # c(2) with the gate shut, its sign flipped: a value slip, read against the f = 0 value
    shut = right(0.0) | {"c[2]": -right(0.0)["c[2]"]}
    result = marking.grade(parse_answers(answers_text(right(), {"shut": shut}), "a.yaml"))
    item = next(i for i in result.items if i.label == "shut: c[2]")
    assert item.status == "wrong" and item.diagnosis is not None
    assert item.diagnosis.code == "sign"


# ---- reports -------------------------------------------------------------------------------------

def test_the_shipped_answers_file_grades_with_follow_through_under_the_change():
    result = cli_run("grade", DI)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["shut", "shut:"] and "follow-through" in line for line in lines)
    assert "Score 6.5 / 7 (93%): 11 correct, 1 follow-through, 1 wrong" in result.stdout


@pytest.mark.parametrize("fmt, needle", [
    ("text", "shut: c[2]"), ("markdown", "| shut | shut: c[2] |"), ("latex", "shut: c[2]"),
])
def test_reports_qualify_the_reference_with_the_question(fmt, needle):
    result = cli_run("grade", DI, "--format", fmt)
    assert needle in result.stdout
    assert "open: c[3]" in result.stdout


def test_json_report_names_the_question_and_the_change():
    document = json.loads(cli_run("grade", DI, "--format", "json").stdout)
    items = {i["ref"]: i for i in document["items"]}
    assert items["shut: c[2]"]["question"] == "shut" and items["shut: c[2]"]["set"] == {"f": "0"}
    assert items["open: c[3]"]["set"] == {"f": "1"}
    assert "set" not in items["c[2]"]
    assert items["shut: h[2]"]["status"] == "follow-through"


def test_gradebook_and_gradescope_name_the_qualified_reference(tmp_path):
    result = cli_run("grade", "--problem", PROBLEM, DI, "--csv", tmp_path / "g.csv",
                     "--gradescope", tmp_path / "results.json")
    assert result.exit_code == 1, result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text())))
    assert (rows[0]["given"], rows[0]["shut"], rows[0]["open"]) == ("3", "2.5", "1")
    tests = json.loads((tmp_path / "results.json").read_text())["tests"]
    assert "shut: c[2]" in [t["name"] for t in tests]


# ---- solution sheet and key ----------------------------------------------------------------------

def test_the_sheet_works_a_changed_question_on_its_changed_network():
    result = cli_run("solve", PROBLEM)
    assert result.exit_code == 0, result.output
    sheet = result.stdout
    assert "## Question shut (3 points), with f = 0" in sheet
    assert "## Question open (1 point), with f = 1" in sheet
    shut = sheet.split("## Question shut")[1].split("## Question open")[0]
    assert "$f^{(2)} = 0$" in shut
    assert "0 \\cdot 0.3902 + 0.7775 \\cdot 0.9009 = 0.7005" in shut
    assert "`c[2]`: $\\boxed{0.7005}$" in shut


def test_the_key_rows_build_the_nested_answers_file(tmp_path):
    key = cli_run("solve", PROBLEM, "--key", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(key)))
    assert [r["reference"] for r in rows if r["question"] == "open"] == ["open: c[3]"]
    # the documented recipe: `ID: REF` rows go under the question's id
    answers: dict = {}
    for row in rows:
        qid, sep, ref = row["reference"].partition(": ")
        if sep:
            answers.setdefault(qid, {})[ref] = float(row["value"])
        else:
            answers[row["reference"]] = float(row["value"])
    import yaml

    (tmp_path / "key.yaml").write_text(yaml.safe_dump({"answers": answers}))
    report = grade_files([str(tmp_path / "key.yaml")], str(PROBLEM))
    assert report.results[0].score == 7 and report.exit_code == 0


def test_exam_variants_key_and_grade_set_questions_on_each_variants_changed_network(tmp_path):
    from rnncli.files.changes import apply_changes, parse_set_option
    from rnncli.variants.drawing import draw_variants

    text = PROBLEM.read_text().replace("questions:", "vary:\n  params: {W_i: [0.4, 0.8, 0.1]}\n"
                                       "  seed: 7\nquestions:")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    variants = draw_variants(load_problem(str(path)), 3)
    for variant in variants.variants:
        shut = run_trace(apply_changes(variant.problem, [parse_set_option("f=0")]))
        items = {i.label: i for i in variant.items}
        assert items["shut: c[2]"].expected == shut.value("c", 2)
        assert items["shut: c[2]"].expected != items["c[2]"].expected
    key = cli_run("solve", path, "--key", "--variants", "3", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(key)))
    assert {r["ref"] for r in rows if r["question"] == "open"} == {"open: c[3]"}


def test_gradients_and_counts_under_set_are_those_of_the_problem_edited_by_hand():
    from rnncli.solve.references import Solution

    text = (ROOT / "problems" / "lstm-dcdc.yaml").read_text() + (
        "  - id: shut\n    set: {f: \"0\"}\n"
        "    ask: [\"grad.c[1]\", \"grad.W_i\", loss, params.total]\n")
    problem = parse_problem(text, "p.yaml")
    # the same network with f: 0 under `equations:` and W_f, U_f deleted (a file of its own)
    edited = Solution(load_problem(str(ROOT / "problems" / "lstm-dcdc-forget-closed.yaml")))
    items = {i.label: i for i in asked_items(problem)}
    for label in ("shut: grad.c[1]", "shut: grad.W_i", "shut: loss", "shut: params.total"):
        item = items[label]
        assert np.array_equal(np.asarray(item.expected), np.asarray(edited.value(item.ref))), label
    assert items["grad.c[1]"].expected != items["shut: grad.c[1]"].expected
    marking = Marking(problem)
    given = float(items["shut: grad.c[1]"].expected)
    result = marking.grade(parse_answers(f"answers:\n  shut:\n    grad.c[1]: {given:.6g}\n"
                                         f"    params.total: 6\n", "a.yaml"))
    assert statuses(result)["shut: grad.c[1]"] == "correct"
    assert statuses(result)["shut: params.total"] == "correct"
