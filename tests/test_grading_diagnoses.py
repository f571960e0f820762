"""Each diagnosis of a wrong answer, found by recomputing under a common slip, and its false alarms.

The slipped numbers a student would write come from tests/grade_oracle.py and
tests/reference_cells.py (independent numpy), never from rnncli.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from grade_oracle import round_half_away, seed002, seed002_answers, sigmoid
from rnncli.files.answers import parse_answers
from rnncli.grading.grade import Marking
from rnncli.files.problem import parse_problem
from test_grading import by_ref, grade, seed002_marking


def diagnosis(marking, answers, ref):
    item = by_ref(grade(marking, answers))[ref]
    assert item.status == "wrong", (ref, item.status, item.feedback)
    return item.diagnosis, item.feedback


# ---- value slips ----------------------------------------------------------------------------------

def test_decimal_point():
    found, feedback = diagnosis(seed002_marking(), {"h[1]": 2.610}, "h[1]")
    assert found.code == "decimal-point"
    assert "10 times the answer" in feedback
    found, feedback = diagnosis(seed002_marking(), {"h[1]": 0.00261}, "h[1]")
    assert found.code == "decimal-point" and "100 times smaller" in feedback


def test_sign():
    found, feedback = diagnosis(seed002_marking(), {"s[2]": -0.6328}, "s[2]")
    assert found.code == "sign" and "wrong sign" in feedback


def test_neighbouring_step():
    oracle = seed002()
    found, feedback = diagnosis(seed002_marking(), {"s[2]": round(oracle[("s", 1)], 4)}, "s[2]")
    assert found.code == "neighbour-step" and "s[1], the value at the previous step" in feedback
    found, feedback = diagnosis(seed002_marking(), {"s[2]": round(oracle[("s", 3)], 4)}, "s[2]")
    assert found.code == "neighbour-step" and "s[3], the value at the next step" in feedback
    found, feedback = diagnosis(seed002_marking(), {"h[1]": 0}, "h[1]")
    assert found.code == "neighbour-step" and "h[0], the initial value" in feedback


def test_another_quantity_of_the_same_step():
    oracle = seed002()
    found, feedback = diagnosis(seed002_marking(), {"h[2]": round(oracle[("q", 2)], 4)}, "h[2]")
    assert found.code == "other-quantity" and "this is q[2], not h[2]" in feedback


# ---- slips of method, recomputed ------------------------------------------------------------------

def test_tanh_instead_of_sigmoid_on_the_cell_input():
    slipped = seed002(cell_input=math.tanh)
    found, feedback = diagnosis(seed002_marking(), {"s[1]": round(slipped[("s", 1)], 4)}, "s[1]")
    assert found.code == "activation-swap"
    assert found.label == "tanh instead of σ in s"


def test_tanh_instead_of_relu_in_h():
    """The book's h = tanh(s) q where the sheet says ReLU(s) q."""
    slipped = seed002(h_activation=math.tanh)
    answers = seed002_answers(slipped, names=("s", "h"))
    result = grade(seed002_marking('questions:\n  - id: a\n    ask: [s, h]\n'), answers)
    items = by_ref(result)
    assert items["s[1]"].status == "correct"
    assert items["h[1]"].diagnosis.label == "tanh instead of ReLU in h"


def test_a_slip_carried_through_the_students_own_answers():
    """tanh on the cell input at every step: s[1] wrong, h[1] follows, s[2] wrong again."""
    slipped = seed002(cell_input=math.tanh)
    items = by_ref(grade(seed002_marking(), seed002_answers(slipped)))
    assert items["s[1]"].diagnosis.label == "tanh instead of σ in s"
    assert items["h[1]"].status == "follow-through"
    assert items["s[2]"].status == "wrong"
    assert items["s[2]"].diagnosis.label == "tanh instead of σ in s"
    assert "from your own earlier answers" in items["s[2]"].diagnosis.message


def test_missing_bias():
    slipped = seed002(bias_b=False)
    found, feedback = diagnosis(seed002_marking(), {"s[1]": round(slipped[("s", 1)], 4)}, "s[1]")
    assert found.code == "missing-bias"
    assert found.label == "the bias b left out of s"


RNN = """\
cell: rnn
params: {W_xh: [[0.8]], W_hh: [[0.5]], b_h: [0.3]}
inputs:
  x: [1.0, -0.5]
questions:
  - id: a
    ask: [h]
"""


def test_sigmoid_instead_of_tanh_and_a_missing_activation():
    marking = Marking(parse_problem(RNN, "rnn.yaml"))
    pre = 0.8 * 1.0 + 0.3                               # h[1] = tanh(1.1) by hand
    found, _ = diagnosis(marking, {"h[1]": round(sigmoid(pre), 4)}, "h[1]")
    assert found.code == "activation-swap" and found.label == "σ instead of tanh in h"
    found, _ = diagnosis(marking, {"h[1]": round(pre, 4)}, "h[1]")
    assert found.code == "missing-activation" and found.label == "no tanh in h"
    assert by_ref(grade(marking, {"h[1]": round(math.tanh(pre), 4)}))["h[1]"].status == "correct"


GRU = """\
cell: gru
params:
  W_r: [[0.4]]
  U_r: [[-0.3]]
  b_r: [0.1]
  W_z: [[0.6]]
  U_z: [[0.2]]
  b_z: [-0.4]
  W_h: [[0.9]]
  U_h: [[0.5]]
  b_h: [0.2]
inputs:
  x: [1.0, 0.5]
questions:
  - id: a
    ask: [h]
"""


def test_the_other_gru_update_direction():
    from reference_cells import run_reference, step_reference

    params = {"W_r": [[0.4]], "U_r": [[-0.3]], "b_r": [0.1], "W_z": [[0.6]], "U_z": [[0.2]],
              "b_z": [-0.4], "W_h": [[0.9]], "U_h": [[0.5]], "b_h": [0.2]}
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    marking = Marking(parse_problem(GRU, "gru.yaml"))
    right = run_reference("gru", "standard", params, [np.array([1.0]), np.array([0.5])])
    assert float(marking.items[0].expected[0]) == pytest.approx(float(right[0]["h"][0]), abs=1e-12)
    # The other convention (PyTorch, Olah): h = (1 - z) h[t-1] + z h_tilde, from h[0] = 0.
    step = step_reference("gru", "standard", params, np.array([1.0]), {"h": np.zeros(1)})
    swapped = float((step["z"] * step["h_tilde"])[0])
    found, feedback = diagnosis(marking, {"h[1]": round(swapped, 4)}, "h[1]")
    assert found.code == "update-direction"
    assert found.label == "z and 1 − z swapped in h"


def test_rounding_too_early():
    """Every intermediate rounded to 2 decimals, the answer to 4: wrong at 3 significant figures."""
    marking = seed002_marking("questions:\n  - id: a\n    ask: [y]\n    tolerance: {sigfig: 3}\n")
    rounded = seed002(round_to=2)
    y3 = sigmoid(rounded[("h", 3)] * 5 - 1)
    oracle = seed002()
    assert abs(y3 - oracle[("y", 3)]) > 0.00051           # really wrong at 3 significant figures
    found, feedback = diagnosis(marking, {"y[3]": round(y3, 4)}, "y[3]")
    assert found.code == "rounding"
    assert "rounded to 2 decimals" in feedback
    assert round_half_away(0.125, 2) == 0.13               # the oracle rounds as students do


# ---- slips of the whole sheet -------------------------------------------------------------------

def test_rounding_early_wins_over_a_coincidence_with_another_quantity():
    """Every value rounded to 1 decimal as it is computed: s[3] comes out 0.7, which is also x[3].
    Rounding explains the sheet; "this is x[3]" would be a coincidence."""
    from grade_oracle import SEED002_X

    rounded = seed002(round_to=1)
    answers = seed002_answers(rounded)
    assert answers["s[3]"] == 0.7 == SEED002_X[2] and answers["y[3]"] == 0.7   # the coincidence
    items = by_ref(grade(seed002_marking(), answers))
    for ref in ("s[3]", "y[3]"):
        assert items[ref].status == "wrong"
        assert items[ref].diagnosis.code == "rounding", items[ref].feedback
        assert "rounded to 1 decimal" in items[ref].feedback and "x[3]" not in items[ref].feedback
    wrong = [i for i in items.values() if i.status == "wrong"]
    assert len(wrong) >= 6 and all(i.diagnosis.code == "rounding" for i in wrong)


def test_a_lone_coincidence_is_still_named():
    """s[3] = 0.7 on an otherwise right sheet: no slip of method explains it, x[3] does."""
    answers = seed002_answers(seed002())
    answers["s[3]"] = 0.7
    item = by_ref(grade(seed002_marking(), answers))["s[3]"]
    assert item.diagnosis.code == "other-quantity" and "this is x[3], not s[3]" in item.feedback


def shifted(shift: int) -> dict:
    """Returns the oracle's right values written under the step `shift` earlier (t - shift)."""
    oracle = seed002()
    return {f"{name}[{t - shift}]": round(value, 4) for (name, t), value in oracle.items()
            if name in "shy"}


def test_a_sheet_counted_from_t_0_is_diagnosed_once():
    answers = shifted(1)                                       # s[0] = s[1], ..., y[2] = y[3]
    assert answers["h[0]"] == round(seed002()[("h", 1)], 4)
    result = grade(seed002_marking(), answers)
    sheet = result.sheet_diagnosis
    assert sheet.code == "step-shift"
    assert "9 of your answers are the values one step later" in sheet.message
    assert "(your s[0] is s[1], your h[0] is h[1], your y[0] is y[1], ...)" in sheet.message
    assert "numbered them from t = 0" in sheet.message
    # Not item by item: no item repeats it as its own slip.
    assert all(i.diagnosis is None for i in result.items)
    wrong = [i for i in result.items if i.status == "wrong"]
    note = "your steps are shifted by one (see the note for the whole sheet)"
    assert wrong and all(note in i.feedback
                         and "check the step index" not in i.feedback for i in wrong)
    assert {i.ref for i in result.items if i.status == "missing"} == {"s[3]", "h[3]", "y[3]"}


def test_a_sheet_shifted_the_other_way_is_diagnosed_once():
    result = grade(seed002_marking(), shifted(-1))             # s[2] = s[1], ..., y[4] = y[3]
    assert result.sheet_diagnosis.code == "step-shift"
    assert "one step earlier" in result.sheet_diagnosis.message
    assert "numbered them from t = 2" in result.sheet_diagnosis.message
    assert all(i.diagnosis is None for i in result.items)


def test_one_value_of_the_neighbouring_step_is_not_a_shifted_sheet():
    oracle = seed002()
    answers = seed002_answers(oracle)
    answers["s[2]"] = round(oracle[("s", 1)], 4)
    result = grade(seed002_marking(), answers)
    assert result.sheet_diagnosis is None
    assert by_ref(result)["s[2]"].diagnosis.code == "neighbour-step"
    ada = seed002_answers(seed002(given={("s", 2): 0.6528}))
    assert grade(seed002_marking(), ada).sheet_diagnosis is None
    assert grade(seed002_marking(), seed002_answers(oracle)).sheet_diagnosis is None


def test_a_shifted_sheet_counts_once_in_the_class_summary():
    from rnncli.grading.summary import class_summary
    from rnncli.grading.results import GradeReport

    marking = seed002_marking()
    results = tuple(marking.grade(parse_answers(_yaml(a), f"s{i}.yaml"))
                    for i, a in enumerate([shifted(1), shifted(1), {"h[1]": 2.61}]))
    assert class_summary(GradeReport(None, results)).common_diagnosis == ("steps shifted by one", 2)


# ---- no false alarms --------------------------------------------------------------------------------

def test_a_slip_of_method_contradicted_by_a_right_answer_is_not_diagnosed():
    """Ada's s[2] = 0.6528 happens to be near s[2] with tanh on the cell input (0.6531), but her
    s[1] is right, and tanh there would have made it 0.4411: she did not use tanh."""
    slipped = seed002(cell_input=math.tanh)
    assert abs(slipped[("s", 1)] - 0.4411) < 1e-4
    answers = seed002_answers(seed002(given={("s", 2): 0.6528}))
    item = by_ref(grade(seed002_marking(), answers))["s[2]"]
    assert item.status == "wrong" and item.diagnosis is None


def test_random_wrong_answers_are_not_explained_by_slips_of_method():
    """100 students answering at random in [2, 9]: no slip of method or rounding is claimed.

    Values in [2, 9] are ten times the seed's values, so a misplaced decimal point is
    a fair reading of some of them; those must really be within the (quarter) window.
    """
    rng = np.random.default_rng(7)
    marking = seed002_marking()
    oracle = seed002()
    for _ in range(100):
        answers = {f"{n}[{t}]": round(float(rng.uniform(2, 9)), 4) for n in "shy" for t in (1, 2, 3)}
        result = grade(marking, answers)
        assert result.sheet_diagnosis is None
        for item in result.items:
            assert item.status in ("wrong", "follow-through")
            if item.diagnosis:
                assert item.diagnosis.code == "decimal-point"
                expected = oracle[(item.ref.split("[")[0], int(item.ref[-2]))]
                assert abs(float(item.given) / 10 - expected) < 0.25 * (0.001 + 0.01 * expected)


def test_diagnoses_are_counted_in_the_class_summary():
    from rnncli.grading.summary import class_summary
    from rnncli.grading.results import GradeReport

    marking = seed002_marking()
    slipped = seed002_answers(seed002(cell_input=math.tanh))
    results = tuple(marking.grade(parse_answers(_yaml(a), f"s{i}.yaml"))
                    for i, a in enumerate([slipped, slipped, {"h[1]": 2.61}]))
    summary = class_summary(GradeReport(None, results))
    assert summary.common_diagnosis[0] == "tanh instead of σ in s"


def _yaml(answers: dict) -> str:
    from grade_oracle import answers_yaml

    return answers_yaml(answers)


def test_slips_skipped_without_recomputing_would_have_changed_nothing(monkeypatch):
    """A slip in an equation that an answer, computed at its step from the student's own
    values, does not compute is skipped unrecomputed (recompute.one_step_equations): every
    grade of a class of slips, carried slips and noise is what recomputing each slip gives."""
    import random

    from rnncli.grading import recompute
    from rnncli.render.grade import grade_document
    from rnncli.render.json_document import dumps

    rng = random.Random(7)
    reference = seed002_answers(seed002())
    classes = []
    for n in range(60):
        answers = dict(reference)
        if n % 3 == 0:
            answers = {k: round(rng.uniform(-1, 2), 4) for k in answers}
        elif n % 3 == 1:
            key = rng.choice(sorted(answers))
            answers[key] = round(answers[key] * rng.choice((10, -1, 1.05)), 4)
        classes.append(answers)

    def documents():
        marking = seed002_marking()
        return [dumps(grade_document(grade(marking, a))) for a in classes]

    skipped = documents()
    monkeypatch.setattr(recompute.Recomputer, "one_step_equations", lambda self, *a: None)
    assert skipped == documents()
    assert any('"diagnosis": {' in d for d in skipped)
