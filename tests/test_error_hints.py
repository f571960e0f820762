"""Errors that point at the fix: each is one line `Error: FILE:LINE: ...` naming what to write instead."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rnncli.cli import cli
from rnncli.errors import ProblemError
from rnncli.files.problem import parse_problem
from rnncli.grading.questions import asked_items
from rnncli.solve.references import parse_reference

ROOT = Path(__file__).resolve().parents[1]
ADA = ROOT / "problems" / "answers" / "lstm-goodfellow-ada.yaml"
LSTM = ROOT / "problems" / "lstm-goodfellow-forward.yaml"


def run(*args, input=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_text(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run("check", path)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}:")
    return lines[0][len(f"Error: {path}:"):]


# ---- another convention's names ---------------------------------------------------------------

def test_pytorch_names_under_the_standard_lstm_suggest_the_convention(tmp_path):
    line = check_text(tmp_path, "cell: lstm\nsizes: {input: 1, hidden: 1}\nparams:\n"
                                "  W_ii: 0.1\n  W_hi: 0.2\ninputs: {x: [1]}\n")
    assert line.startswith("4: `params.W_ii` is not used by any equation of cell `lstm` (standard)")
    assert line.endswith("W_ii, W_hi are the names of `convention: pytorch`")


def test_the_deep_learning_books_names_suggest_goodfellow(tmp_path):
    line = check_text(tmp_path, "cell: rnn\nparams:\n  U: 0.5\n  W: 0.1\n  b: 0\n"
                                "inputs: {x: [1]}\n")
    assert line.endswith("U, W, b are the names of `convention: goodfellow`")


def test_another_cells_names_are_named_with_their_cell(tmp_path):
    line = check_text(tmp_path, "cell: gru\nparams:\n  W_ii: 0.1\ninputs: {x: [1]}\n")
    assert line.endswith("are the names of `cell: lstm` with `convention: pytorch`")


def test_a_name_of_no_convention_keeps_the_plain_message(tmp_path):
    line = check_text(tmp_path, "cell: rnn\nparams:\n  W_xx: 0.5\ninputs: {x: [1]}\n")
    assert line == "3: `params.W_xx` is not used by any equation (did you mean `W_xh`?)"


# ---- sizes.output without a read-out ----------------------------------------------------------

def test_an_output_size_without_a_read_out_suggests_output_linear(tmp_path):
    line = check_text(tmp_path, "cell: rnn\nsizes: {input: 3, hidden: 4, output: 2}\n")
    assert line == ("2: `sizes.output`: this cell has no output quantity; add `output: linear` "
                    "(or softmax, sigmoid) for the built-in cell's read-out y")


def test_an_output_size_of_custom_equations_asks_for_an_equation(tmp_path):
    line = check_text(tmp_path, "equations:\n  h: tanh(W @ x)\ninputs: [x]\n"
                                "sizes: {x: 3, h: 4, output: 2}\n")
    assert line.endswith("define the read-out with an equation for `y`")


# ---- an answers file where a problem file belongs, and the reverse -----------------------------

def test_check_on_an_answers_file_says_so_and_suggests_grade():
    code, out, err = run("check", ADA)
    assert code == 2 and out == ""
    assert err.strip() == (f"Error: {ADA}:8: this is an answers file (it has `answers:`), not a "
                           f"problem file; grade it with `rnncli grade {ADA}`")


def test_grade_on_a_problem_file_says_so():
    code, out, err = run("grade", LSTM)
    assert code == 2
    assert f"Error: {LSTM}:1: this is a problem file" in err
    assert f"rnncli grade --problem {LSTM} ANSWERS..." in err


# ---- references in rnncli's printed notation --------------------------------------------------

@pytest.mark.parametrize("text, meant", [
    ("h(1)", "h[1]"), ("h(−1)", "h[-1]"), ("h1(2)", "h1[2]"), ("h^{(1)}", "h[1]"),
    ("h^(3)", "h[3]"), ("{h_{1}}^{(2)}", "h1[2]"), ("W_{xh}^{(2)}", "W_xh[2]"),
    ("{\\tilde{h}}^{(2)}", "h_tilde[2]"), ("h_{1}", "h[1]"), ("h₁", "h[1]"), ("s₂", "s[2]"),
])
def test_a_printed_step_reference_gets_a_did_you_mean(text, meant):
    with pytest.raises(ProblemError) as info:
        parse_reference(text)
    assert f"(did you mean `{meant}`? `{text}` is how the working prints it)" in info.value.message


@pytest.mark.parametrize("text", ["h(t)", "h^{(t)}", "h_{t}"])
def test_a_printed_reference_at_every_step_suggests_the_bare_name(text):
    with pytest.raises(ProblemError) as info:
        parse_reference(text)
    assert "(did you mean `h`, every step, or `h[1]`, one step?)" in info.value.message


@pytest.mark.parametrize("text, function", [("σ", "sigmoid"), ("σ(0.175)", "sigmoid"),
                                            ("hard_σ", "hard_sigmoid"), ("ReLU(0.4)", "relu")])
def test_a_printed_function_is_explained(text, function):
    with pytest.raises(ProblemError) as info:
        parse_reference(text)
    assert f"is the function `{function}` as the working prints it" in info.value.message


def test_h_1_in_an_ask_suggests_h_of_step_1(tmp_path):
    line = check_text(tmp_path, "cell: rnn\nparams: {W_xh: 1, W_hh: 0.5, b_h: 0}\n"
                                "inputs: {x: [1]}\nquestions:\n  - id: a\n    ask: [h_1]\n")
    assert line.startswith("6: question `a`: `h_1`: no quantity `h_1` in this problem "
                           "(did you mean `h[1]`? a step is written in brackets)")


def test_h_t_in_an_ask_suggests_every_step(tmp_path):
    line = check_text(tmp_path, "cell: rnn\nparams: {W_xh: 1, W_hh: 0.5, b_h: 0}\n"
                                "inputs: {x: [1]}\nquestions:\n  - id: a\n    ask: [h_t]\n")
    assert "no quantity `h_t` in this problem (did you mean `h`, every step?)" in line


def test_a_quantity_named_h_1_is_not_second_guessed():
    problem = parse_problem("equations:\n  h_1: tanh(w * x)\nparams: {w: 1}\ninputs: {x: [1]}\n"
                            "questions:\n  - id: a\n    ask: [h_1]\n")
    assert [str(item.ref) for item in asked_items(problem)] == ["h_1[1]"]


def test_printed_keys_in_an_answers_file_are_invalid_with_the_hint(tmp_path):
    answers = tmp_path / "a.yaml"
    shutil.copy(LSTM, tmp_path / "problem.yaml")     # self-check reads only a problem beside it
    answers.write_text("problem: problem.yaml\nanswers:\n  h(1): 0.2610\n  s_1: 0.4225\n")
    code, out, err = run("grade", answers, "--format", "json")
    assert code == 1 and err == ""
    items = {i["ref"]: i for i in json.loads(out)["items"]}
    assert items["h(1)"]["status"] == "invalid"
    assert "did you mean `h[1]`?" in items["h(1)"]["feedback"]
    assert "did you mean `s[1]`?" in items["s_1"]["feedback"]


# ---- symmetric: the values ---------------------------------------------------------------------

HOPFIELD = "equations:\n  h: sign(W @ h[t-1])\nsymmetric: [W]\nparams:\n  W:\n{rows}initial: {{h: [1, -1, 1]}}\nsteps: 2\n"


def hopfield(*rows):
    return HOPFIELD.format(rows="".join(f"    - {list(r)}\n" for r in rows))


def test_a_symmetric_matrix_passes(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(hopfield((0, 1, 2), (1, 0, -3), (2, -3, 0)))
    assert run("check", path) == (0, f"ok {path}\n", "")


def test_the_first_asymmetric_entry_is_named_with_its_line(tmp_path):
    line = check_text(tmp_path, hopfield((0, 1, 2), (1, 0, 3), (2, 0.5, 0)))
    assert line == ("7: `params.W[2][3]` is 3 but `params.W[3][2]` is 0.5; a `symmetric` matrix "
                    "has w_ij = w_ji")


def test_a_nonzero_diagonal_entry_is_named(tmp_path):
    line = check_text(tmp_path, hopfield((0, 1, 2), (1, 0.25, 3), (2, 7, 0)))
    # reading order: W[2][2] comes before the asymmetric W[2][3]
    assert line == ("7: `params.W[2][2]` is 0.25, but a `symmetric` matrix has no "
                    "self-connections: its diagonal is 0")


def test_a_symmetric_value_must_be_a_square_matrix(tmp_path):
    line = check_text(tmp_path, hopfield((0, 1), (1, 0), (2, 3)))
    assert line == "5: `params.W` has shape (3, 2), but `symmetric` makes `W` a square matrix"
