"""Grading in the library: questions, tolerances at their boundaries, every status, follow-through.

Every expected, slipped and carried-forward number comes from tests/grade_oracle.py
(plain `math`, from the exercise sheet), never from rnncli's own trace alone.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from grade_oracle import SEED002, answers_yaml, seed002, seed002_answers
from rnncli.files.answers import parse_answers
from rnncli.errors import ProblemError
from rnncli.grading.grade import Marking
from rnncli.files.problem import parse_problem

ROOT = Path(__file__).resolve().parents[1]
SEED002_FILE = ROOT / "problems" / "lstm-goodfellow-forward.yaml"

SEED002_BODY = """\
cell: lstm
convention: goodfellow
equations:
  h: relu(s) * q
  y: sigmoid(h * V + c)
params: {%s}
initial: {h: 0, s: 0}
inputs:
  x: [0.7, 0.5, 0.7]
""" % ", ".join(f"{k}: {v!r}" for k, v in SEED002.items())


def seed002_marking(questions: str = None, extra: str = "") -> Marking:
    questions = questions or "questions:\n  - id: a\n    ask: [s, h, y]\n    points: 9\n"
    return Marking(parse_problem(SEED002_BODY + extra + questions, "seed002.yaml"))


def grade(marking: Marking, answers: dict):
    return marking.grade(parse_answers(answers_yaml(answers), "student.yaml"))


def by_ref(result) -> dict:
    return {item.ref: item for item in result.items}


# ---- the reference and the questions ---------------------------------------------------------

def test_the_shipped_seed002_questions_have_the_sheets_values():
    from rnncli.files.problem import load_problem

    marking = Marking(load_problem(str(SEED002_FILE)))
    oracle = seed002()
    assert [str(i.ref) for i in marking.items] == [f"{n}[{t}]" for n in "shy" for t in (1, 2, 3)]
    for item in marking.items:
        assert float(item.expected) == pytest.approx(oracle[(item.ref.name, item.ref.step)], abs=1e-12)
    assert marking.max_score == 9
    assert all(item.max_points == 1 for item in marking.items)


def test_points_spread_evenly_and_add_up_exactly():
    marking = seed002_marking("questions:\n  - id: a\n    ask: [y]\n    points: 10\n")
    assert [i.max_points for i in marking.items] == [10 / 3] * 3
    result = grade(marking, seed002_answers(seed002(), names="y"))
    assert result.score == 10 and result.max_score == 10


def test_points_per_reference():
    marking = seed002_marking('questions:\n  - id: a\n    ask: [h, "y[3]"]\n'
                              '    points: {h: 3, "y[3]": 2}\n')
    assert [(str(i.ref), i.max_points) for i in marking.items] == [
        ("h[1]", 1), ("h[2]", 1), ("h[3]", 1), ("y[3]", 2)]


def test_a_problem_without_questions_grades_every_answered_reference():
    """Self-check on a problem without `questions:`: each reference the student answers that
    names something the problem computes is one point; the rest are invalid or not graded."""
    marking = Marking(parse_problem(SEED002_BODY, "p.yaml"))
    oracle = seed002()
    carried = seed002(given={("s", 1): 0.45})
    answers = {"s[1]": 0.45,                                    # wrong
               "h[1]": round(carried[("h", 1)], 4),             # follow-through from s[1]
               "f": [round(oracle[("f", t)], 4) for t in (1, 2, 3)],   # three steps, correct
               "params.total": 14,                              # 14 scalar parameters: correct
               "y[2]": "~",                                     # blank (null): missing
               "hh[1]": 0.3}                                    # names nothing: invalid, 0 of 0
    result = grade(marking, answers)
    items = by_ref(result)
    assert [i.ref for i in result.items] == ["s[1]", "h[1]", "f[1]", "f[2]", "f[3]",
                                             "params.total", "y[2]", "hh[1]"]
    assert {i.question for i in result.items[:-1]} == {"answered"}
    assert items["s[1]"].status == "wrong"
    assert float(items["s[1]"].expected) == pytest.approx(oracle[("s", 1)], abs=1e-12)
    assert items["h[1]"].status == "follow-through"
    assert [items[f"f[{t}]"].status for t in (1, 2, 3)] == ["correct"] * 3
    assert items["params.total"].status == "correct" and items["params.total"].tolerance == "exact"
    assert items["y[2]"].status == "missing"
    assert items["hh[1]"].status == "invalid" and items["hh[1]"].max_points == 0
    assert result.questions == (("answered", 7.0),)
    assert (result.score, result.max_score) == (5, 7)
    # Nothing answered: nothing to grade.
    empty = marking.grade(parse_answers("answers:\n", "a.yaml"))
    assert (empty.items, empty.score, empty.max_score) == ((), 0, 0)


def test_all_correct_four_decimals_is_full_marks():
    result = grade(seed002_marking(), seed002_answers(seed002()))
    assert [i.status for i in result.items] == ["correct"] * 9
    assert result.score == result.max_score == 9


# ---- tolerances at their boundaries ----------------------------------------------------------
# h = W * x with W = 1 and x = 0.5: the expected value is exactly 0.5.

EXACT = """\
equations:
  h: W * x
params: {W: 1}
inputs:
  x: [0.5]
questions:
  - id: a
    ask: [h]
"""


def exact_marking(tolerance: str = "", top: str = "") -> Marking:
    text = top + EXACT + (f"    tolerance: {tolerance}\n" if tolerance else "")
    return Marking(parse_problem(text, "exact.yaml"))


@pytest.mark.parametrize("tolerance, inside, outside", [
    ("", 0.506, 0.5061),                    # default: 0.001 + 1% of 0.5
    ("{abs: 0.001}", 0.501, 0.5011),        # abs alone: rel 0
    ("{rel: 0.01}", 0.505, 0.5051),         # rel alone: abs 0
    ("{rel: 0.1, abs: 0.01}", 0.56, 0.5601),
    ("{sigfig: 3}", 0.50051, 0.50052),      # 0.51 units of the 3rd significant figure
    ("{decimals: 2}", 0.5051, 0.5052),      # 0.51 units of the 2nd decimal
])
def test_tolerance_boundaries_are_inclusive(tolerance, inside, outside):
    marking = exact_marking(tolerance)
    for given, status in ((inside, "correct"), (1 - inside, "correct"),
                          (outside, "wrong"), (1 - outside, "wrong")):
        result = grade(marking, {"h[1]": given})
        assert result.items[0].status == status, (tolerance, given)


def test_sigfig_scales_with_the_magnitude():
    marking = Marking(parse_problem(EXACT.replace("W: 1", "W: 246.8") + "    tolerance: {sigfig: 2}\n",
                                    "p.yaml"))
    # 123.4 to 2 significant figures: units of 10, accepted within 5.1.
    assert grade(marking, {"h[1]": 120}).items[0].status == "correct"
    assert grade(marking, {"h[1]": 128.5}).items[0].status == "correct"
    assert grade(marking, {"h[1]": 128.6}).items[0].status == "wrong"


def test_the_top_level_tolerance_is_the_default_and_a_question_overrides_it():
    top = exact_marking(top="tolerance: {abs: 0.1}\n")
    assert grade(top, {"h[1]": 0.6}).items[0].status == "correct"
    assert grade(top, {"h[1]": 0.61}).items[0].status == "wrong"
    both = exact_marking("{abs: 0.001}", top="tolerance: {abs: 0.1}\n")
    assert grade(both, {"h[1]": 0.6}).items[0].status == "wrong"


def test_yaml_1_2_numbers_are_numbers():
    marking = exact_marking()
    answers = parse_answers("answers:\n  h[1]: 5e-1\n", "a.yaml")
    assert marking.grade(answers).items[0].status == "correct"
    answers = parse_answers("answers:\n  h[1]: 5.0E-1\n", "a.yaml")
    assert marking.grade(answers).items[0].status == "correct"


# ---- statuses ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ('"one half"', "not the text 'one half'"),
    ("0,5", "has a decimal comma, which is not a number: write 0.5"),
    ("true", "not the boolean true"),
    ("[0.5, 0.5]", "must be a number, not a vector of 2 numbers"),
    (".nan", "finite number"),
    (".inf", "finite number"),
    ("1e400", "finite number"),
    ("1" + "0" * 400, "too large"),
    ("{a: 1}", "not a mapping"),
    ("yes", "not the text 'yes'"),
])
def test_invalid_values(text, message):
    result = exact_marking().grade(parse_answers(f"answers:\n  h[1]: {text}\n", "a.yaml"))
    item = result.items[0]
    assert item.status == "invalid" and item.points == 0
    assert message in item.feedback
    assert isinstance(item.given, str) and len(item.given) <= 60


def test_a_quoted_number_is_read_as_the_number_with_a_note():
    oracle = seed002()
    answers = seed002_answers(oracle)
    answers["h[3]"] = '"0.4953"'
    result = grade(seed002_marking(), answers)
    item = by_ref(result)["h[3]"]
    assert item.status == "correct" and float(item.given) == 0.4953
    assert abs(0.4953 - oracle[("h", 3)]) < 0.001                  # right by the oracle
    assert item.feedback.endswith('; "0.4953" is written as text (in quotes); it is read as '
                                  "the number 0.4953")
    assert result.score == 9
    # A quoted wrong value is an answer like any other: it is wrong, and carried forward.
    carried = seed002_answers(seed002(given={("s", 2): 0.6528}))
    carried["s[2]"] = "'0.6528'"
    items = by_ref(grade(seed002_marking(), carried))
    assert items["s[2]"].status == "wrong" and "written as text" in items["s[2]"].feedback
    assert items["h[2]"].status == "follow-through" and items["h[2]"].follow_through_from == (
        "s[2]",)


def test_quoted_entries_of_a_vector_are_read_as_numbers():
    marking = gru_olah_marking()
    oracle = gru_olah_oracle()
    answers = {f"h[{t}]": [round(float(v), 4) for v in h] for t, h in enumerate(oracle, 1)}
    answers["h[1]"] = "[" + ", ".join(f'"{v}"' for v in answers["h[1]"]) + "]"
    item = by_ref(grade(marking, answers))["h[1]"]
    assert item.status == "correct"
    assert "entries written as text (in quotes) are read as the numbers" in item.feedback


@pytest.mark.parametrize("text, hint", [
    ("0,39", "write 0.39"), ('"0,39"', "write 0.39"), ("-0,5", "write -0.5"),
    ('",5"', "write 0.5"), ('"-,5"', "write -0.5"), ('["0,5"]', "write 0.5")])
def test_a_decimal_comma_is_invalid_with_the_way_to_write_it(text, hint):
    result = exact_marking().grade(parse_answers(f"answers:\n  h[1]: {text}\n", "a.yaml"))
    item = result.items[0]
    assert item.status == "invalid" and item.points == 0
    assert "decimal comma" in item.feedback and item.feedback.endswith(hint)


def test_an_invalid_vector_answer_shows_the_list_given():
    marking = exact_marking()
    item = marking.grade(parse_answers("answers:\n  h[1]: [0.5, 0.25]\n", "a.yaml")).items[0]
    assert item.status == "invalid" and item.given == "[0.5, 0.25]"
    item = marking.grade(parse_answers("answers:\n  h[1]: [[1, 2], [3, 4]]\n", "a.yaml")).items[0]
    assert item.given == "[[1, 2], [3, 4]]"
    long = "[" + ", ".join(str(i / 7) for i in range(2000)) + "]"
    item = marking.grade(parse_answers(f"answers:\n  h[1]: {long}\n", "a.yaml")).items[0]
    assert item.given.startswith("[0.0, 0.14285714285714285, ") and item.given.endswith("...")
    assert len(item.given) == 60
    from rnncli.files.answers import shown

    assert shown([True, None, {"a": 1}, 10 ** 100]) == "[true, null, a mapping, a 101-digit number]"
    assert shown([[0.5] * 10 ** 6]).endswith("...") and len(shown([[0.5] * 10 ** 6])) == 60


def test_blank_answers_are_reported_one_way():
    """null, empty text, a list of blanks, a blank whole sequence, and no line at all: each is
    `missing`, "not answered", with nothing given, and counts as unanswered everywhere."""
    marking = seed002_marking()
    text = ('answers:\n  s[1]:\n  s[2]: ""\n  s[3]: "  "\n  h[1]: [null]\n  h[2]: []\n'
            '  y: [0.5757, ~, ""]\n  f[1]:\n')
    result = marking.grade(parse_answers(text, "a.yaml"))
    items = by_ref(result)
    blank = ["s[1]", "s[2]", "s[3]", "h[1]", "h[2]", "y[2]", "y[3]"]
    never_written = ["h[3]"]
    for ref in blank + never_written:
        item = items[ref]
        assert (item.status, item.feedback, item.given, item.points) == (
            "missing", "not answered", None, 0), ref
    assert items["y[1]"].status == "correct"
    assert result.not_graded == ()          # a blank f[1] is not an answer to report
    assert result.score == 1
    whole = marking.grade(parse_answers("answers:\n  h:\n  y: ''\n", "a.yaml"))
    assert {i.status for i in whole.items} == {"missing"}


def test_an_empty_answers_mapping_is_all_missing():
    result = seed002_marking().grade(parse_answers("answers:\n", "a.yaml"))
    assert {i.status for i in result.items} == {"missing"}


def test_every_status_in_one_file():
    oracle = seed002()
    answers = seed002_answers(oracle)
    answers["s[1]"] = 0.5                                   # wrong, and carried forward:
    carried = seed002(given={("s", 1): 0.5})
    answers["h[1]"] = round(carried[("h", 1)], 4)           # follow-through
    answers["y[1]"] = "about 0.6"                           # invalid
    del answers["y[3]"]                                     # missing
    result = grade(seed002_marking(), answers)
    items = by_ref(result)
    assert items["s[1]"].status == "wrong"
    assert items["h[1]"].status == "follow-through"
    assert items["y[1]"].status == "invalid"
    assert items["y[3]"].status == "missing"
    assert items["s[2]"].status == "correct"
    assert result.score == 6


def test_counts_are_exact():
    pytest.importorskip("rnncli.solve.counting")
    marking = Marking(parse_problem("cell: rnn\noutput: linear\nsizes: {input: 20, hidden: 128, "
                                    "output: 10}\nquestions:\n  - id: a\n    ask: [params.total]\n",
                                    "p.yaml"))
    assert marking.items[0].tolerance is None
    # 20 * 128 + 128 * 128 + 128 + 128 * 10 + 10 = 20362 (seed 001, by hand)
    for given, status in ((20362, "correct"), (20362.0, "correct"), (20361, "wrong"),
                          (20362.5, "wrong"), ('"20362"', "correct"), ('"20,362"', "invalid"),
                          ("20,362", "invalid"), ('"20362 params"', "invalid")):
        item = grade(marking, {"params.total": given}).items[0]
        assert item.status == status, given
    # A value at a step on a problem without numbers is invalid, and the rest is still graded.
    result = grade(marking, {"params.total": 20361, "h[1]": 0.5, "h[0]": 0.25})
    assert [i.status for i in result.items] == ["wrong", "invalid", "invalid"]
    assert result.sheet_diagnosis is None
    item = grade(marking, {"params.total": "20,362"}).items[0]
    assert "write 20362, without the comma" in item.feedback and item.given == "20,362"
    item = grade(marking, {"params.total": '"' + "1" * 5000 + '"'}).items[0]
    assert item.status == "invalid" and "finite number" in item.feedback   # never int() of it


# ---- answers the problem does not ask ----------------------------------------------------------

def test_answers_not_asked_are_reported_not_graded():
    answers = seed002_answers(seed002())
    answers["f[1]"] = 0.1
    answers["params.total"] = 14
    result = grade(seed002_marking(), answers)
    assert "f[1]" in result.not_graded
    assert result.score == 9 and len(result.items) == 9


def test_answers_for_unknown_references_are_invalid_and_worth_nothing():
    answers = seed002_answers(seed002())
    answers.update({"hh[1]": 0.2, "h[7]": 0.1, "grad.h": 1, "h[1][2]": 3})
    result = grade(seed002_marking(), answers)
    extra = {i.ref: i for i in result.items if i.question is None}
    assert set(extra) == {"hh[1]", "h[7]", "grad.h", "h[1][2]"}
    assert all(i.status == "invalid" and i.max_points == 0 for i in extra.values())
    assert "did you mean `h`" in extra["hh[1]"].feedback
    assert "outside the steps 1..3" in extra["h[7]"].feedback
    assert result.score == result.max_score == 9


def test_a_whole_sequence_as_a_list():
    values = seed002()
    answers = {"h": [round(values[("h", t)], 4) for t in (1, 2, 3)]}
    result = grade(seed002_marking('questions:\n  - id: a\n    ask: [h]\n'), answers)
    assert [i.status for i in result.items] == ["correct"] * 3
    result = grade(seed002_marking('questions:\n  - id: a\n    ask: [h]\n'), {"h": [0.26, 0.39]})
    assert result.items[-1].status == "invalid" and "list of 3 values" in result.items[-1].feedback


def test_a_reference_answered_twice_is_invalid():
    text = "answers:\n  h[1]: 0.261\n  h[ 1 ]: 0.3\n"
    result = seed002_marking().grade(parse_answers(text, "a.yaml"))
    item = by_ref(result)["h[1]"]
    assert item.status == "invalid" and "answered twice (lines 2 and 3)" in item.feedback


# ---- vectors ---------------------------------------------------------------------------------------

def gru_olah_marking() -> Marking:
    text = (ROOT / "problems" / "gru-olah-forward.yaml").read_text()
    return Marking(parse_problem(text + "questions:\n  - id: a\n    ask: [h]\n", "gru.yaml"))


def gru_olah_oracle() -> list:
    from reference_cells import run_reference

    params = {"W_z": [[0.5, -0.2, 0.3, 0.1], [0.1, 0.4, -0.3, 0.2]],
              "W_r": [[-0.3, 0.2, 0.4, 0.5], [0.2, -0.1, 0.1, -0.4]],
              "W": [[0.6, -0.5, 0.2, 0.3], [0.3, 0.2, -0.6, 0.4]]}
    steps = run_reference("gru", "olah", {k: np.array(v) for k, v in params.items()},
                          [np.array(x, dtype=float) for x in ([1, 0], [0.5, -1], [0, 1])])
    return [step["h"] for step in steps]


def test_vectors_are_graded_entry_by_entry():
    marking = gru_olah_marking()
    oracle = gru_olah_oracle()
    for item, h in zip(marking.items, oracle):
        np.testing.assert_allclose(item.expected, h, rtol=0, atol=1e-12)
    answers = {f"h[{t}]": [round(float(v), 4) for v in h] for t, h in enumerate(oracle, 1)}
    assert {i.status for i in grade(marking, answers).items} == {"correct"}
    answers["h[2]"] = [answers["h[2]"][0], answers["h[2]"][1] + 0.1]
    item = by_ref(grade(marking, answers))["h[2]"]
    assert item.status == "wrong" and "entry 2 off" in item.feedback
    answers["h[2]"] = 0.5
    item = by_ref(grade(marking, answers))["h[2]"]
    assert item.status == "invalid" and "a vector of 2 numbers, not a number" in item.feedback


# ---- follow-through -----------------------------------------------------------------------------

def test_follow_through_across_steps():
    """A slip in s[2]; everything after it right from the student's own values (Ada's file)."""
    carried = seed002(given={("s", 2): 0.6528})
    result = grade(seed002_marking(), seed002_answers(carried))
    items = by_ref(result)
    assert items["s[2]"].status == "wrong"
    for ref in ("h[2]", "y[2]", "s[3]", "h[3]"):
        assert items[ref].status == "follow-through", ref
        assert items[ref].points == 1
        assert "s[2]" in items[ref].follow_through_from
    assert items["y[3]"].status == "correct"       # within 1% of the reference anyway
    assert result.score == 8


def test_the_shipped_example_answers_file_earns_follow_through():
    from rnncli.grading.batch import grade_files

    report = grade_files([str(ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml")])
    result = report.results[0]
    assert result.error is None and result.score == 8 and report.exit_code == 1
    assert sum(i.status == "follow-through" for i in result.items) == 4
    # The file's values are the oracle's, carried from s[2] = 0.6528.
    carried = seed002_answers(seed002(given={("s", 2): 0.6528}))
    assert {i.ref: float(i.given) for i in result.items} == carried


def test_follow_through_within_one_step():
    """h[1] = ReLU(s[1]) q[1] from the student's wrong s[1]: same-step follow-through."""
    carried = seed002(given={("s", 1): 0.45})
    answers = {"s[1]": 0.45, "h[1]": round(carried[("h", 1)], 4)}
    items = by_ref(grade(seed002_marking(), answers))
    assert items["s[1]"].status == "wrong"
    assert items["h[1]"].status == "follow-through"
    assert items["h[1]"].follow_through_from == ("s[1]",)


def test_follow_through_credit_is_configurable():
    carried = seed002_answers(seed002(given={("s", 2): 0.6528}))
    half = grade(seed002_marking(extra="follow_through: {credit: 0.5}\n"), carried)
    assert by_ref(half)["h[2]"].status == "follow-through"
    assert by_ref(half)["h[2]"].points == 0.5
    assert "50% credit" in by_ref(half)["h[2]"].feedback
    assert half.score == 4 + 4 * 0.5
    off = grade(seed002_marking(extra="follow_through: false\n"), carried)
    assert by_ref(off)["h[2]"].status == "wrong"
    assert off.score == 4


def test_a_wrong_value_that_does_not_follow_from_the_students_own_is_wrong():
    carried = seed002_answers(seed002(given={("s", 2): 0.6528}))
    carried["h[2]"] = 0.45
    assert by_ref(grade(seed002_marking(), carried))["h[2]"].status == "wrong"


def test_no_follow_through_from_a_zero_earlier_answer():
    """Numbas #368: s[1] = 0 makes h[1] = ReLU(0) q = 0 'right' for free."""
    items = by_ref(grade(seed002_marking(), {"s[1]": 0, "h[1]": 0}))
    assert items["h[1]"].status == "wrong"
    assert "no follow-through: your s[1] is 0 where the answer is not" in items["h[1]"].feedback


def test_no_follow_through_from_a_value_the_activation_cannot_produce():
    marking = seed002_marking("questions:\n  - id: a\n    ask: [f, s]\n    points: 6\n")
    oracle = seed002()
    answers = seed002_answers(oracle, names=("f", "s"))
    answers["f[2]"] = 1.7                                   # a sigmoid is never 1.7
    answers["s[2]"] = round(seed002(given={("f", 2): 1.7})[("s", 2)], 4)
    items = by_ref(grade(marking, answers))
    assert items["f[2]"].status == "wrong"
    assert items["s[2]"].status == "wrong"
    assert "outside [0, 1], the values σ can produce" in items["s[2]"].feedback
    # The same error with a value σ can produce earns follow-through.
    answers["f[2]"] = 0.7
    answers["s[2]"] = round(seed002(given={("f", 2): 0.7})[("s", 2)], 4)
    assert by_ref(grade(marking, answers))["s[2]"].status == "follow-through"


def test_unasked_intermediates_are_never_used_for_follow_through():
    """An ungraded f[2] could be chosen to fit any s[2]; only graded answers carry forward."""
    answers = seed002_answers(seed002())
    answers["f[2]"] = 0.9
    answers["s[2]"] = round(seed002(given={("f", 2): 0.9})[("s", 2)], 4)
    result = grade(seed002_marking(), answers)
    assert by_ref(result)["s[2]"].status == "wrong"
    assert "f[2]" in result.not_graded


def test_follow_through_credit_never_exceeds_the_points():
    carried = seed002_answers(seed002(given={("s", 1): 0.5}))
    result = grade(seed002_marking(), carried)
    assert all(0 <= i.points <= i.max_points for i in result.items)
    assert math.isclose(result.score, sum(i.points for i in result.items))
