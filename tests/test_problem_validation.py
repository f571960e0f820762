"""Problem files: every value is validated, and every mistake is named with its line."""
from __future__ import annotations

import numpy as np
import pytest

from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem, parse_problem

RNN = """cell: rnn
params:
  W_xh: {w}
  W_hh: 0.5
  b_h: 0
inputs:
  x: [1, 2]
"""


def error_of(text: str, name: str = "f.yaml") -> RnncliError:
    with pytest.raises(RnncliError) as info:
        parse_problem(text, name)
    error = info.value
    assert error.file == name and error.line is not None, str(error)
    assert "\n" not in str(error)
    assert str(error).startswith(f"{name}:{error.line}: ")
    return error


@pytest.mark.parametrize("text, value", [
    ("1e-3", 0.001), ("1.4e1", 14.0), ("-2.5E+2", -250.0), (".5", 0.5), ("-.5", -0.5),
    ("7", 7.0), ("0x10", 16.0), ("1e9", 1e9), ("-1e9", -1e9),
])
def test_yaml_1_2_numbers_are_numbers(text, value):
    problem = parse_problem(RNN.format(w=text))
    assert problem.params["W_xh"] == value
    assert problem.params["W_xh"].dtype == np.float64


@pytest.mark.parametrize("text, message", [
    ("yes", "must be a number, not the text 'yes'"),
    ("no", "not the text 'no'"),
    ("on", "not the text 'on'"),
    ("off", "not the text 'off'"),
    ("true", "not the boolean true"),
    ("'0.5'", "not the text '0.5'"),
    ("~", "not nothing"),
    (".nan", "finite number, not NaN"),
    (".inf", "not infinity"),
    ("-.inf", "not infinity"),
    ("1e400", "not infinity"),
    ("1e10", "too large"),
    ("12345678901234567890123456789", "too large"),
    ("{a: 1}", "not a mapping"),
    ("[1, [2]]", "mixes numbers and lists"),
    ("[[1, 2], [3]]", "ragged: row 2 has 1 entries, row 1 has 2"),
    ("[[1, 2], 3]", "mixes numbers and lists"),
    ("[]", "empty list"),
    ("[[]]", "empty row"),
    ("[[[1]]]", "nested too deeply"),
    ("[1, yes]", "`params.W_xh[2]` must be a number"),
    ("[[1, 2], [3, .nan]]", "`params.W_xh[2][2]` must be a finite number"),
])
def test_values_that_are_not_finite_numbers_are_errors(text, message):
    error = error_of(RNN.format(w=text))
    assert message in error.message
    assert error.line == 3


def test_error_lines_point_at_the_bad_entry():
    text = "cell: rnn\nparams:\n  W_xh:\n    - [1, 2]\n    - [3, no]\n  W_hh: 1\n"
    error = error_of(text)
    assert error.line == 5 and "`params.W_xh[2][2]`" in error.message


@pytest.mark.parametrize("key, suggestion", [
    ("titel", "title"), ("param", "params"), ("intial", "initial"), ("input", "inputs"),
    ("convension", "convention"), ("equation", "equations"), ("step", "steps"),
])
def test_unknown_keys_are_refused_with_did_you_mean(key, suggestion):
    error = error_of(f"cell: rnn\n{key}: 1\n")
    assert error.message.startswith(f"unknown key `{key}`")
    assert f"(did you mean `{suggestion}`?)" in error.message
    assert error.line == 2


def test_unknown_key_without_a_close_match():
    error = error_of("cell: rnn\nzzzzz: 1\n")
    assert error.message == "unknown key `zzzzz`"


@pytest.mark.parametrize("extra, message", [
    ("sizes: {input: 0}", "positive whole number, not 0"),
    ("sizes: {input: -3}", "positive whole number, not -3"),
    ("sizes: {input: 2.5}", "positive whole number, not 2.5"),
    ("sizes: {input: true}", "not the boolean true"),
    ("sizes: {input: '3'}", "not the text '3'"),
    ("sizes: {input: 10000000}", "too large"),
    ("sizes: [1, 2]", "must be a mapping"),
    ("layers: 0", "positive whole number"),
    ("steps: 1.5", "positive whole number"),
    ("time_start: 2", "must be 0 or 1"),
    ("time_start: true", "must be 0 or 1"),
    ("bias: yes", "true or false, not the text 'yes'"),
    ("bidirectional: 1", "true or false"),
    ("output: tanh", "must be one of none, linear, softmax, sigmoid"),
    ("output: no", "must be one of"),
    ("title: [a, b]", "must be text"),
    ("cell: 3", "must be a cell name"),
    ("params: [1, 2]", "must be a mapping"),
    ("params: {W x: 1}", "not a valid name"),
    ("params: {__class__: 1}", "not a valid name"),
    ("initial: {h: yes}", "must be a number"),
    ("inputs: {x: 3}", "one entry per step"),
    ("inputs: {x: []}", "one entry per step"),
    ("inputs: {x: [1, [1, 2]]}", "every step must be a number or a vector of the same length"),
    ("inputs: {x: [[[1]]]}", "every step must be a number or a vector"),
    ("inputs: {x: [1, 2], z: [1]}", "different lengths"),
    ("inputs: [x, x]", "declared twice"),
    ("tolerance: {rel: -1}", "must not be negative"),
    ("tolerance: {rell: 1}", "did you mean `rel`"),
    ("tolerance: {sigfig: 3, rel: 1}", "not a mix"),
    ("follow_through: {credit: 2}", "from 0 to 1"),
    ("fixed: {a: 1}", "list of parameter names"),
    ("questions: {a: 1}", "must be a list"),
    ("questions: [{id: a, ask: [h], pionts: 1}]", "did you mean `points`"),
    ("questions: [{id: a, ask: []}]", "`ask` must be a list"),
    ("questions: [{id: a, ask: [h]}, {id: a, ask: [h]}]", "two questions have the id `a`"),
    ("questions: [{id: a, ask: [h], points: -1}]", "must not be negative"),
    ("equations: {h: [a, b]}", "quote a concatenation"),
    ("equations: {h: 3.5e1}", "__ok__"),
])
def test_values_are_validated(extra, message):
    text = f"{extra}\n" if extra.startswith("cell:") else f"cell: rnn\n{extra}\n"
    if message == "__ok__":
        parse_problem(text)
        return
    error = error_of(text)
    assert message in error.message, error.message
    assert error.line == text.count("\n")


def test_steps_must_agree_with_the_inputs():
    error = error_of("cell: rnn\ninputs: {x: [1, 2]}\nsteps: 3\n")
    assert error.line == 3 and "`steps` is 3 but the inputs have 2 entries" in error.message


def test_a_problem_needs_a_cell_or_equations():
    error = error_of("title: nothing\n")
    assert "no `cell`" in error.message


def test_a_valid_problem_is_read_into_arrays():
    problem = parse_problem("""
title: t
source: s
cell: lstm
convention: goodfellow
sizes: {input: 1}
params: {U: 0.5, W: [[1, 2], [3, 4]], b: [1, 2]}
initial: {h: [0, 1]}
inputs: {x: [0.7, 0.5]}
time_start: 0
tolerance: {sigfig: 3}
follow_through: {credit: 0.5}
questions:
  - {id: a, ask: h, points: 2}
  - ask: ["h[1]", "y[0]"]
    points: {"h[1]": 1, "y[0]": 2}
    tolerance: {decimals: 2}
""", "p.yaml")
    assert isinstance(problem, Problem)
    assert problem.params["W"].shape == (2, 2) and problem.params["U"].shape == ()
    assert [x.tolist() for x in problem.inputs["x"]] == [0.7, 0.5]
    assert problem.n_steps == 2 and problem.time_start == 0
    assert problem.tolerance.sigfig == 3
    assert problem.follow_through == {"credit": 0.5}
    assert [q.id for q in problem.questions] == ["a", "2"]
    assert problem.questions[0].ask == ("h",)
    assert problem.questions[1].points == {"h[1]": 1.0, "y[0]": 2.0}
    assert problem.line("params", "W") == 7


def test_inputs_as_a_list_of_names_declares_them():
    problem = parse_problem("equations:\n  h: tanh(w * x + u * h[t-1])\ninputs: [x]\nsteps: 3\n")
    assert problem.input_names == ("x",) and problem.inputs == {} and problem.n_steps == 3


def test_brackets_in_a_flow_list_get_a_hint():
    error = error_of("cell: rnn\nquestions:\n  - ask: [h[1], y[2]]\n")
    assert 'quote text with brackets: ["h[1]", "y[2]"]' in error.message


def test_title_may_be_a_number():
    assert parse_problem("title: 17\ncell: rnn\n").title == "17"


def test_a_key_with_a_line_break_still_gives_a_one_line_error():
    """Found by hypothesis: messages quote user text, and a key may hold a newline."""
    error = error_of('"a\\nb": 1\ncell: rnn\n')
    assert "unknown key `a\\nb`" in str(error)


def test_a_cell_name_with_a_control_character():
    from rnncli.grading.checking import check_problem

    with pytest.raises(ProblemError) as info:
        check_problem(parse_problem('cell: "ls\\u001b[31mtm"\n', "f.yaml"))
    assert "\x1b" not in str(info.value) and "`ls\\x1b[31mtm`" in str(info.value)


@pytest.mark.parametrize("text", ["1" * 5000, "1" * 999, "0x" + "f" * 3000])
def test_numbers_with_thousands_of_digits_are_too_large(text):
    error = error_of(RNN.format(w=text))
    assert "too large" in error.message or "not infinity" in error.message
    error = error_of(f"cell: rnn\nsteps: {text}\n")
    assert "positive whole number" in error.message or "too large" in error.message
