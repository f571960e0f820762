"""Formula answers (`unroll.h[5]: "..."`): graded by evaluation, never by comparing strings.

The references are written here by hand from the sheet (seed 002, Q16a:
h(5) = f(W x5 + U f(W x4 + ...))), not taken from rnncli's unroller, and the
rewritings are made by a hypothesis strategy that applies commutativity and
distributivity to the formula's tree.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncli.cli import cli
from rnncli.files.problem import load_problem, parse_problem
from rnncli.grading.formulas import FormulaGrader
from rnncli.language.equations import parse_expression
from rnncli.language.expression import BinOp, Call, Neg
from rnncli.language.printing.source import to_source
from rnncli.solve.unrolling import unroll

ROOT = Path(__file__).resolve().parents[1]
RNN = ROOT / "problems/rnn-unroll-five-steps.yaml"


def _by_hand(steps: int, initial: bool = True) -> str:
    """Returns h(steps) = f(W x[t] + U h(t-1)) written out by string building (the test's oracle)."""
    inner = "U @ h[0]" if initial else None
    formula = None
    for t in range(1, steps + 1):
        formula = f"f(W @ x[{t}]" + (f" + {inner}" if inner else "") + ")"
        inner = f"U @ {formula}"
    return formula


REFERENCE = _by_hand(5)


@pytest.fixture(scope="module")
def grader():
    return FormulaGrader(unroll(load_problem(str(RNN)), 5, "h"))


def test_the_reference_is_the_sheet_formula(grader):
    assert grader.grade(REFERENCE).status == "correct"
    assert to_source(grader.reference) == REFERENCE


@pytest.mark.parametrize("answer", [
    REFERENCE,
    _by_hand(5, initial=False),                                    # h(0) = 0 drops U h(0)
    "f(U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))) + W @ x[5])",
    "f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ (x[1] + 0) + U @ h[0])))))",
    "f((W @ x[5]) + (U @ (f((W @ x[4]) + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))))",
    "f(W @ x[5] + 2 * (0.5 * U) @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
    "f(W @ x[5] - -U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
])
def test_equivalent_formulas_are_correct(grader, answer):
    verdict = grader.grade(answer)
    assert verdict.status == "correct", verdict.feedback


@pytest.mark.parametrize("answer,code,words", [
    ("f(U @ x[5] + W @ f(U @ x[4] + W @ f(U @ x[3] + W @ f(U @ x[2] + W @ f(U @ x[1] + W @ h[0])))))",
     "swapped", "`U` and `W` are swapped"),
    ("f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ f(W @ x[0] + U @ h[0])))))",
     "shifted", "shifted down by one"),
    ("f(W @ x[6] + U @ f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ h[0])))))",
     "shifted", "shifted up by one"),
    ("f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3])))", "missing-term",
     "the recurrent term `U @ h[2]` is missing"),
    ("f(W @ x[5])", "missing-term", "the recurrent term `U @ h[4]` is missing"),
    ("f(W @ x[5] + f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
     "missing-factor", "`U` is left out"),
    ("tanh(W @ x[5] + U @ tanh(W @ x[4] + U @ tanh(W @ x[3] + U @ tanh(W @ x[2] + U @ tanh(W @ x[1])))))",
     "function", "`tanh` is written where the problem's function `f` belongs"),
])
def test_a_slip_gets_its_diagnosis(grader, answer, code, words):
    verdict = grader.grade(answer)
    assert verdict.status == "wrong"
    assert verdict.code == code and words in verdict.feedback, verdict.feedback


@pytest.mark.parametrize("answer", [
    "f(x[5] @ W + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
    "f(W @ x[5] + f(W @ x[4]) @ U)",
    "f(W @ x[5] + U @ U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
    "W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0]))))",
    "f(W @ x[5] * U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))))",
    "f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0]))))) + 1e-4",
])
def test_non_equivalent_formulas_are_wrong(grader, answer):
    assert grader.grade(answer).status == "wrong"


@pytest.mark.parametrize("answer,status,words", [
    ("f(W @ x[5] + U @ h[4])", "wrong", "`h[4]` is left standing"),
    ("f(W @ x + U @ h[t-1])", "invalid", "needs a step number"),
    ("f(W @ x[5] + Z @ h[0])", "wrong", "`Z` is not a parameter"),
    ("g(W @ x[5])", "wrong", "`g` is not a function of this problem"),
    ("f(W @ x[5] + ...)", "invalid", "does not parse"),
    ("__import__('os').system('true')", "invalid", "does not parse"),
    ("f(W @ x[5]).__class__", "invalid", "does not parse"),
    ("open('/etc/passwd')", "invalid", "does not parse"),
    ("open(x[1])", "wrong", "`open` is not a function of this problem"),
    ("lambda: 0", "invalid", "does not parse"),
    ("f(" * 80 + "x[1]" + ")" * 80, "invalid", "does not parse"),
    ("f(W @ x[5]) + " * 300 + "0", "invalid", "longer than"),
    (0.5, "invalid", "must be text"),
    (["f(x[1])"], "invalid", "must be text"),
])
def test_hostile_and_malformed_answers_are_refused_without_running_them(grader, answer, status, words):
    verdict = grader.grade(answer)
    assert verdict.status == status and words in verdict.feedback, verdict.feedback


def test_nonzero_initial_state_makes_the_h0_term_count(tmp_path):
    text = RNN.read_text().replace("steps: 5", "steps: 5\nsizes: {x: 2, h: 2}\ninitial: {h: [1, 2]}")
    problem = parse_problem(text, str(tmp_path / "p.yaml"))
    grader = FormulaGrader(unroll(problem, 5, "h"))
    assert grader.grade(REFERENCE).status == "correct"
    verdict = grader.grade(_by_hand(5, initial=False))
    assert verdict.status == "wrong" and "`U @ h[0]` is missing" in verdict.feedback


# ---- hypothesis: rewritings by commutativity and distributivity stay correct --------------------

def _rewrite(node, choices):
    """Returns `node` rewritten by the next choices: swap the operands of + and elementwise *,
    distribute @ over +, or leave the node as it is."""
    if isinstance(node, BinOp):
        left, right = _rewrite(node.left, choices), _rewrite(node.right, choices)
        move = next(choices)
        if move == 1 and node.op in "+*":
            return BinOp(node.op, right, left)
        if move == 2 and node.op == "@" and isinstance(right, BinOp) and right.op == "+":
            return BinOp("+", BinOp("@", left, right.left), BinOp("@", left, right.right))
        if move == 2 and node.op in "*@" and isinstance(left, BinOp) and left.op == "+":
            return BinOp("+", BinOp(node.op, left.left, right), BinOp(node.op, left.right, right))
        if move == 3 and node.op == "+":
            return BinOp("-", left, Neg(right))
        return BinOp(node.op, left, right)
    if isinstance(node, Call):
        return Call(node.function, tuple(_rewrite(a, choices) for a in node.args))
    if isinstance(node, Neg):
        return Neg(_rewrite(node.operand, choices))
    return node


def _lstm_reference():
    problem = load_problem(str(ROOT / "problems/lstm-goodfellow-forward.yaml"))
    return FormulaGrader(unroll(problem, 2, "y"))


LSTM_GRADER = None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3), min_size=400, max_size=400), st.sampled_from(["rnn", "lstm"]))
def test_rewritings_by_commutativity_and_distributivity_stay_correct(moves, which):
    global LSTM_GRADER
    if which == "rnn":
        grader = FormulaGrader(unroll(load_problem(str(RNN)), 4, "h"))
        reference = parse_expression(_by_hand(4), allow_steps=True)
    else:
        LSTM_GRADER = LSTM_GRADER or _lstm_reference()
        grader = LSTM_GRADER
        reference = grader.reference
    rewritten = to_source(_rewrite(reference, iter(moves + [0] * 10_000)))
    if len(rewritten) > 2000:
        return              # the parser's length limit, not a grading question
    verdict = grader.grade(rewritten)
    assert verdict.status == "correct", (rewritten, verdict.feedback)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.sampled_from(["W", "U"]))
def test_dropping_a_factor_anywhere_is_wrong(level, name):
    text = _by_hand(4).replace(f"{name} @ ", "", 1) if level == 1 else None
    if text is None:
        parts = _by_hand(4).split(f"{name} @ ")
        if len(parts) <= level:
            return
        text = f"{name} @ ".join(parts[:level]) + "".join(parts[level:level + 1]) + (
            f"{name} @ " + f"{name} @ ".join(parts[level + 1:]) if parts[level + 1:] else "")
    if "+ h[0]" in text:
        return              # U @ h[0] is 0 with this problem's zero h(0): dropping U changes nothing
    grader = FormulaGrader(unroll(load_problem(str(RNN)), 4, "h"))
    assert grader.grade(text).status == "wrong", text


# ---- through `rnncli grade` ----------------------------------------------------------------------

def test_grade_command_marks_formula_answers(tmp_path):
    shutil.copy(RNN, tmp_path / "problem.yaml")       # self-check reads a problem beside the answers
    answers = tmp_path / "ada.yaml"
    answers.write_text(yaml.safe_dump({"problem": "problem.yaml", "student": "Ada", "answers": {
        "unroll.h[5]": "f(U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1])))) + W @ x[5])"}}))
    bo = tmp_path / "bo.yaml"
    bo.write_text(yaml.safe_dump({"problem": "problem.yaml", "answers": {"unroll.h[5]": _by_hand(5).replace("x[5]", "x[4]", 1)}}))
    result = CliRunner().invoke(cli, ["grade", str(answers), str(bo), "--format", "json"])
    assert result.exit_code == 1
    import json

    report = json.loads(result.stdout)["results"]
    assert report[0]["items"][0]["status"] == "correct" and report[0]["score"] == 2
    item = report[1]["items"][0]
    assert item["status"] == "wrong" and item["expected"] == REFERENCE
    assert item["tolerance"] == "equal at random points"


def test_graph_and_plot_answers_are_not_scored(tmp_path):
    shutil.copy(ROOT / "problems/lstm-goodfellow-forward.yaml", tmp_path / "problem.yaml")
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"problem": "problem.yaml",
                                       "answers": {"s[1]": 0.4225}}))
    result = CliRunner().invoke(cli, ["grade", str(answers), "--format", "json"])
    import json

    document = json.loads(result.stdout)
    assert document["max_score"] == 9                   # the plot (1 point) is graded by hand
    assert all(i["ref"] != "plot" for i in document["items"])


def test_shipped_formula_answers_file():
    result = CliRunner().invoke(cli, ["grade", str(ROOT / "problems/answers/rnn-unroll-cy.yaml")])
    assert result.exit_code == 1
    assert "`U` and `W` are swapped" in " ".join(result.stdout.split())


def test_self_check_without_questions_grades_an_answered_formula(tmp_path):
    text = RNN.read_text()
    problem = tmp_path / "rnn.yaml"
    problem.write_text(text[:text.index("questions:")])
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump({"problem": "rnn.yaml", "answers": {
        "unroll.h[5]": _by_hand(5, initial=False), "graph": "drawn"}}))
    result = CliRunner().invoke(cli, ["grade", str(answers), "--format", "json"])
    import json

    document = json.loads(result.stdout)
    assert result.exit_code == 0, result.stdout
    assert [i["status"] for i in document["items"]] == ["correct"]
    assert document["not_graded"] == ["graph"]


def test_grading_formulas_never_evaluates_python(grader, monkeypatch):
    import ast
    import builtins

    grader.grade(REFERENCE)          # warm up: imports happen before the trap is set
    real_compile = builtins.compile

    def boom(*args, **kwargs):
        raise AssertionError("Python code was evaluated")

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("Python code was compiled")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    for answer in [REFERENCE, "__import__('os').system('touch /tmp/pwned')", "exec('1')",
                   "eval(x[1])", "f(W @ x[5])"]:
        assert grader.grade(answer).status in ("correct", "wrong", "invalid")
