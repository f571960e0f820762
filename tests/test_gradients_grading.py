"""Grading `loss`, `loss[t]`, `grad.W` and `grad.h[t]` answers: tolerances, slips, follow-through.

The wrong answers are made the way students make them: the gradient of the
loss without its ½, with the sign flipped, or with no flow back through time
(each step's loss through its own step only — the old deeplearning.ai LSTM key
of shared/reference/gradients.md §1.1 D, a published key with exactly this slip).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnncli.files.answers import parse_answers
from rnncli.files.problem import parse_problem
from rnncli.grading.grade import Marking
from rnncli.solve.gradients import GradientOptions, run_gradients
from rnncli.solve.references import parse_reference

ROOT = Path(__file__).resolve().parents[1]
GOMEZ = (ROOT / "problems" / "lstm-gomez-backprop.yaml").read_text(encoding="utf-8")
QUESTIONS = """questions:
  - id: forward
    ask: [out]
    points: 2
  - id: backward
    ask: [loss, "loss[1]", grad.W_a, grad.U_a, grad.b_o, "grad.state[0]", "grad.out[0]"]
    points: 7
    tolerance: {rel: 0.001, abs: 1.0e-6}
"""


def problem():
    text = GOMEZ[:GOMEZ.index("questions:")] + QUESTIONS
    return parse_problem(text, "gomez.yaml")


def answers_text(values: dict) -> str:
    def show(v):
        v = np.asarray(v, dtype=float)
        return repr(float(v)) if v.ndim == 0 else "[" + ", ".join(repr(float(x)) for x in v) + "]"

    return "answers:\n" + "".join(f"  \"{k}\": {show(v)}\n" for k, v in values.items())


def grade(values: dict):
    marking = Marking(problem())
    answers = parse_answers(answers_text(values), "student.yaml")
    return {item.ref: item for item in marking.grade(answers).items}


def reference_values(prob=None, **options):
    result = run_gradients(prob or problem(), GradientOptions(**options))
    values = {f"out[{t}]": result.trace.value("out", t) for t in (0, 1)}
    values.update({"loss": result.loss, "loss[1]": dict(result.losses)[1],
                   "grad.W_a": result.params["W_a"], "grad.U_a": result.params["U_a"],
                   "grad.b_o": result.params["b_o"], "grad.state[0]": result.grad("state", 0),
                   "grad.out[0]": result.grad("out", 0)})
    return values


def test_references_parse():
    assert parse_reference("grad.W_f") == parse_reference(" grad.W_f ")
    assert str(parse_reference("grad.h[2]")) == "grad.h[2]"
    assert parse_reference("loss").kind == "loss" and str(parse_reference("loss[3]")) == "loss[3]"


def test_right_answers_get_full_marks():
    graded = grade(reference_values())
    assert all(item.status == "correct" for item in graded.values()), graded


def test_missing_half_sign_and_no_bptt_are_diagnosed():
    right = reference_values()
    truncated = reference_values(truncate=1)
    assert not np.allclose(truncated["grad.W_a"], right["grad.W_a"], rtol=1e-3)
    given = dict(right)
    given["grad.U_a"] = 2 * np.asarray(right["grad.U_a"])
    given["grad.b_o"] = -np.asarray(right["grad.b_o"])
    given["grad.W_a"] = truncated["grad.W_a"]
    given["grad.state[0]"] = truncated["grad.state[0]"]
    graded = grade(given)
    assert graded["grad.U_a"].diagnosis.code == "half"
    assert graded["grad.b_o"].diagnosis.code == "sign"
    assert graded["grad.W_a"].diagnosis.code == "no-bptt"
    assert graded["grad.state[0]"].diagnosis.code == "no-bptt"
    assert "flow back" in graded["grad.W_a"].feedback
    assert graded["grad.out[0]"].status == "correct"


def test_loss_without_half_is_diagnosed():
    right = reference_values()
    graded = grade({**right, "loss": 2 * right["loss"]})
    assert graded["loss"].status == "wrong" and graded["loss"].diagnosis.code == "half"


def test_gradient_from_the_students_own_forward_values_earns_follow_through():
    prob = problem()
    right = reference_values(prob)
    wrong_out = float(right["out[0]"]) + 0.05
    # The gradient a student gets when carrying their wrong out(0) into step 1 and the loss.
    theirs = run_gradients(prob, overrides={("out", 0): np.float64(wrong_out)})
    given = dict(right)
    given["out[0]"] = wrong_out
    given["grad.U_a"] = theirs.params["U_a"]
    given["loss"] = theirs.loss
    graded = grade(given)
    assert graded["out[0]"].status == "wrong"
    assert graded["grad.U_a"].status == "follow-through"
    assert graded["grad.U_a"].follow_through_from == ("out[0]",)
    assert graded["loss"].status == "follow-through"


def test_unknown_gradient_reference_is_an_error():
    text = GOMEZ[:GOMEZ.index("questions:")] + "questions:\n  - ask: [grad.W_z]\n"
    from rnncli.errors import ProblemError
    from rnncli.grading.questions import asked_items

    with pytest.raises(ProblemError, match="did you mean `W_a`|no quantity or parameter"):
        asked_items(parse_problem(text, "bad.yaml"))


def test_a_list_answers_every_step_of_a_gradient():
    text = GOMEZ[:GOMEZ.index("questions:")] + "questions:\n  - ask: [grad.state, grad.W_a]\n"
    marking = Marking(parse_problem(text, "gomez.yaml"))
    result = run_gradients(marking.problem)
    states = [float(result.grad("state", t)) for t in (0, 1)]
    answers = parse_answers(answers_text({"grad.state": states, "grad.W_a": result.params["W_a"]}),
                            "student.yaml")
    graded = {item.ref: item for item in marking.grade(answers).items}
    assert graded["grad.state[0]"].status == "correct" and graded["grad.state[1]"].status == "correct"
    assert graded["grad.W_a"].status == "correct"


def test_points_of_a_gradient_spread_over_its_steps():
    text = (GOMEZ[:GOMEZ.index("questions:")] + "questions:\n  - ask: [grad.state, grad.W_a]\n"
            "    points: {grad.state: 4, grad.W_a: 1}\n")
    marking = Marking(parse_problem(text, "gomez.yaml"))
    points = {str(item.ref): item.max_points for item in marking.items}
    assert points == {"grad.state[0]": 2, "grad.state[1]": 2, "grad.W_a": 1}
