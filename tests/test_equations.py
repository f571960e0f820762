"""The equation language: parsing, shapes, evaluation order and the errors a user meets."""
from __future__ import annotations

import numpy as np
import pytest

from rnncli.cells.build import build_cell
from rnncli.grading.checking import check_problem
from rnncli.language.equations import MAX_LAG, parse_expression
from rnncli.errors import EquationError, ProblemError, RnncliError, ShapeError
from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Number, Step
from rnncli.language.printing.source import to_source
from rnncli.files.problem import parse_problem
from rnncli.solve.trace import run_trace


def trace(text: str):
    return run_trace(parse_problem(text, "p.yaml"))


def last(text: str, name: str):
    return trace(text).steps[-1].values[name]


def error(text: str, kind=RnncliError) -> RnncliError:
    with pytest.raises(kind) as info:
        run_trace(parse_problem(text, "p.yaml"))
    assert info.value.file == "p.yaml" and info.value.line is not None
    assert "\n" not in str(info.value)
    return info.value


# --- parsing -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, tree", [
    ("h", Name("h")),
    ("h[t]", Name("h")),
    ("h[t-1]", Name("h", 1)),
    ("h[t - 9]", Name("h", 9)),
    ("-x", Neg(Name("x"))),
    ("-2", Number(-2.0)),
    ("+x", Name("x")),
    ("1e-3", Number(0.001)),
    ("W @ x + b", BinOp("+", BinOp("@", Name("W"), Name("x")), Name("b"))),
    ("a * b ** 2", BinOp("*", Name("a"), BinOp("**", Name("b"), Number(2.0)))),
    ("a - b - c", BinOp("-", BinOp("-", Name("a"), Name("b")), Name("c"))),
    ("a / (b - c)", BinOp("/", Name("a"), BinOp("-", Name("b"), Name("c")))),
    ("[h[t-1], x]", Concat((Name("h", 1), Name("x")))),
    ("sigmoid(W @ [h[t-1], x])", Call("sigmoid", (BinOp("@", Name("W"),
                                                       Concat((Name("h", 1), Name("x")))),))),
    ("f(x)", Call("f", (Name("x"),))),
])
def test_parse(text, tree):
    assert parse_expression(text) == tree


def test_lags_up_to_nine():
    assert MAX_LAG == 9
    assert parse_expression("h[t-9]") == Name("h", 9)
    with pytest.raises(EquationError, match="k from 1 to 9"):
        parse_expression("h[t-10]")


def test_fixed_steps_only_when_allowed():
    assert parse_expression("h[0] + x[5]", allow_steps=True) == BinOp("+", Step("h", 0), Step("x", 5))
    with pytest.raises(EquationError):
        parse_expression("h[0]")


def test_a_multi_line_expression_is_one_expression():
    assert parse_expression("W @ x\n  + b") == parse_expression("W @ x + b")


@pytest.mark.parametrize("text", [
    "tanh(W_xh @ x + W_hh @ h[t-1] + b_h)", "f * c[t-1] + i * g", "(1 - z) * n + z * h[t-1]",
    "a - (b - c)", "a / (b / c)", "(a ** b) ** c", "a ** b ** c", "-(a + b)", "(-a) ** 2",
    "-a ** 2", "x @ W + h[t-1] @ U", "softmax(P @ x + Q @ h2 + d)", "[r * h[t-1], x]",
    "a - -b", "a * (-b)", "2 * -x", "1e-07 * x", "round(x / 0.5) * 0.5", "-0.0 * x",
    "a + --b",
])
def test_source_printer_round_trips(text):
    tree = parse_expression(text)
    assert parse_expression(to_source(tree)) == tree


@pytest.mark.parametrize("text, printed", [
    ("x + -y", "x - y"),            # the same number, as a student writes it
    ("x + --y", "x + --y"),         # found by hypothesis: was `x - -y`
    ("-0.0 * x", "-0.0 * x"),       # found by hypothesis: the sign of zero was lost
    ("x - (y - z)", "x - (y - z)"),
    ("x * (y * z)", "x * (y * z)"),
    ("(-x) ** 2", "(-x) ** 2"),
    ("-x ** 2", "-x ** 2"),
])
def test_source_printer_output(text, printed):
    assert to_source(parse_expression(text)) == printed


# --- evaluation order and dependencies ----------------------------------------------------

def test_the_order_in_the_file_does_not_matter():
    t = trace("equations:\n  y: 2 * h\n  h: a + x\n  a: 10 * x\ninputs: {x: [1, 2]}\n")
    assert [e.name for e in t.cell.equations] == ["a", "h", "y"]
    assert [float(t.value("y", s)) for s in (1, 2)] == [22.0, 44.0]


def test_a_cycle_without_a_lag_names_the_equations_of_the_cycle():
    e = error("equations:\n  a: b + x\n  b: c * 2\n  c: a + 1\n  d: x\ninputs: {x: [1]}\n",
              EquationError)
    assert "`a` -> `b` -> `c` -> `a`" in e.message and "h[t-1]" in e.message
    assert e.line == 2
    assert "`d`" not in e.message


def test_a_self_reference_without_a_lag_is_a_cycle():
    e = error("equations:\n  h: tanh(h + x)\ninputs: {x: [1]}\n", EquationError)
    assert "`h` -> `h`" in e.message


def test_a_cycle_through_a_lag_is_fine():
    t = trace("equations:\n  a: b[t-1] + x\n  b: a * 2\ninputs: {x: [1, 1, 1]}\n")
    assert [float(t.value("b", s)) for s in (1, 2, 3)] == [2.0, 6.0, 14.0]


def test_initial_values_hold_at_every_step_before_the_first():
    t = trace("equations:\n  h: x[t-1] + 10 * x[t-2] + 100 * h[t-3]\n  a: h[t-9]\n"
              "inputs: {x: [1, 2, 3, 4]}\ninitial: {x: 5, h: 7}\n")
    assert [float(t.value("h", s)) for s in (1, 2, 3, 4)] == [755.0, 751.0, 712.0, 75523.0]
    assert [float(t.value("a", s)) for s in (1, 2, 3, 4)] == [7.0] * 4
    assert float(t.value("h", 0)) == 7.0 and float(t.value("h", -5)) == 7.0


def test_initial_values_default_to_zeros_of_the_right_shape():
    t = trace("cell: rnn\nparams: {W_xh: [[1], [2]], W_hh: [[0, 0], [0, 0]], b_h: [0, 0]}\n"
              "inputs: {x: [0.5]}\n")
    assert t.initial["h"].tolist() == [0.0, 0.0]


def test_time_start_zero():
    t = trace("equations:\n  h: h[t-1] + x\ninputs: {x: [1, 2]}\ntime_start: 0\n")
    assert [s.t for s in t.steps] == [0, 1] and float(t.value("h", 1)) == 3.0


def test_steps_without_inputs():
    t = trace("equations:\n  h: 0.5 * h[t-1] + 1\nsteps: 3\n")
    assert [float(t.value("h", s)) for s in (1, 2, 3)] == [1.0, 1.5, 1.75]


# --- names -------------------------------------------------------------------------------

def test_a_missing_parameter_is_named_with_its_equation_and_shape():
    e = error("cell: rnn\nparams:\n  W_xh: [[1, 2], [3, 4]]\n  W_hh: [[1, 0], [0, 1]]\n"
              "inputs: {x: [[1, 2]]}\n", ProblemError)
    assert e.message.startswith("parameter `b_h` of equation `h` has no value; "
                                "give it under `params` with shape (2,)")
    assert e.line == 2


def test_several_missing_parameters_are_counted():
    e = error("cell: lstm\nparams: {W_i: 1}\ninputs: {x: [1]}\ninitial: {h: 0, c: 0}\n",
              ProblemError)
    assert "has no value" in e.message and "more" in e.message


def test_a_missing_scalar_parameter_comes_before_an_unknown_size():
    e = error("cell: rnn\nparams: {W_xh: 1, W_hh: 1}\ninputs: {x: [1]}\n", ProblemError)
    assert e.message.startswith("parameter `b_h` of equation `h` has no value")


def test_a_parameter_no_equation_uses_is_refused_with_a_suggestion():
    e = error("cell: rnn\nparams: {W_xh: 1, W_hh: 1, b_h: 0, W_hx: 3}\ninputs: {x: [1]}\n",
              ProblemError)
    assert e.message == "`params.W_hx` is not used by any equation (did you mean `W_xh`?)"
    assert e.line == 2


def test_a_value_for_a_quantity_is_refused():
    e = error("equations:\n  h: 2 * x\nparams: {h: 1}\ninputs: {x: [1]}\n", ProblemError)
    assert "`params.h` is a quantity defined by an equation" in e.message


def test_an_unused_input_is_refused():
    e = error("equations:\n  h: 2 * x\ninputs: {x: [1], z: [2]}\n", ProblemError)
    assert "input `z` is not used by any equation" in e.message


def test_an_initial_value_nobody_reads_is_refused():
    e = error("equations:\n  h: 2 * x + h[t-1]\ninputs: {x: [1]}\ninitial: {hh: 1}\n",
              ProblemError)
    assert "no equation reads `hh[t-1]`" in e.message and "did you mean `h`" in e.message


def test_a_parameter_read_at_t_minus_1_is_an_error():
    e = error("equations:\n  h: x[t-1] + a[t-1]\ninputs: {x: [1]}\n", EquationError)
    assert "reads `a[t-1]`, but `a` is a parameter" in e.message


def test_unknown_functions_are_named_with_a_suggestion():
    e = error("equations:\n  h: sigmod(x)\ninputs: {x: [1]}\n", EquationError)
    assert "calls unknown function `sigmod` (did you mean `sigmoid`?)" in e.message
    assert "known: sigmoid, tanh" in e.message and e.line == 2


def test_functions_take_one_argument():
    e = error("equations:\n  h: tanh(x, x)\ninputs: {x: [1]}\n", EquationError)
    assert "takes one argument, not 2" in e.message


def test_a_symbolic_problem_keeps_unknown_functions():
    """unroll and graph work on symbols: `f(...)` is fine until something evaluates it."""
    problem = parse_problem("equations:\n  h: f(W @ x + U @ h[t-1])\ninputs: [x]\n")
    cell = build_cell(problem, shapes=False, evaluate=False)
    assert cell.params == ("W", "U") and cell.inputs == ("x",)
    check_problem(problem)


# --- shapes -------------------------------------------------------------------------------

def test_star_between_a_matrix_and_a_vector_suggests_matmul():
    e = error("equations:\n  h: tanh(W * x)\nparams: {W: [[1, 2], [3, 4], [5, 6]]}\n"
              "inputs: {x: [[1, 2]]}\n", ShapeError)
    assert e.message == ("equation `h`: `W * x`: shapes (3, 2) and (2,) do not fit for `*` "
                         "(did you mean `@`, the matrix product?)")
    assert e.line == 2


def test_a_shape_mismatch_names_the_equation_and_both_shapes():
    e = error("equations:\n  a: x\n  h: tanh(W @ x + b)\nparams: {W: [[1, 2], [3, 4]], "
              "b: [1, 2, 3]}\ninputs: {x: [[1, 2]]}\n", ShapeError)
    assert e.message == "equation `h`: `W @ x + b`: shapes (2,) and (3,) do not fit for `+`"
    assert e.line == 3


def test_a_matmul_mismatch():
    e = error("cell: rnn\nparams: {W_xh: [[1, 2], [1, 1]], W_hh: [[1, 2], [3, 4]], "
              "b_h: [0, 0]}\ninputs: {x: [[1, 2, 3]]}\n", ShapeError)
    assert "`W_xh @ x`: shapes (2, 2) and (3,) do not fit for `@`" in e.message
    assert e.line == 1      # a built-in equation is blamed on the `cell:` line


def test_a_matrix_in_a_concatenation_is_an_error():
    e = error("equations:\n  h: \"[W, x]\"\nparams: {W: [[1, 2], [3, 4]]}\ninputs: {x: [1]}\n",
              ShapeError)
    assert "concatenates vectors" in e.message


def test_an_input_that_does_not_fit_the_parameters():
    e = error("cell: rnn\nparams: {W_xh: [[1, 2]], W_hh: [[1]], b_h: [0]}\n"
              "inputs: {x: [[1, 2]]}\ninitial: {h: [1, 2]}\n", ShapeError)
    assert "`W_hh @ h[t-1]`: shapes (1, 1) and (2,) do not fit for `@`" in e.message


def test_concatenation_joins_vectors_and_scalars():
    t = trace("equations:\n  y: \"[a, b, x, x[t-1]]\"\nparams: {a: [1, 2], b: 3}\n"
              "inputs: {x: [4, 5]}\n")
    assert t.cell.shapes["y"] == (5,)
    assert t.steps[1].values["y"].tolist() == [1.0, 2.0, 3.0, 5.0, 4.0]


def test_olah_concatenation_feeds_a_wide_matrix():
    t = trace("equations:\n  h: tanh(W @ [h[t-1], x])\nparams: {W: [[0.1, 0.2, 0.3], "
              "[0.4, 0.5, 0.6]]}\ninputs: {x: [1]}\ninitial: {h: [1, -1]}\n")
    assert t.cell.shapes["h"] == (2,)
    expected = np.tanh(np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]) @ [1.0, -1.0, 1.0])
    assert np.allclose(t.steps[0].values["h"], expected, rtol=1e-15, atol=0)


def test_row_vector_times_matrix_is_numpy_s_product():
    t = trace("equations:\n  h: v @ M\nparams: {v: [1, 2], M: [[1, 2, 3], [4, 5, 6]]}\nsteps: 1\n")
    assert t.steps[0].values["h"].tolist() == [9.0, 12.0, 15.0]
    assert t.cell.shapes["h"] == (3,)


def test_matmul_with_a_scalar_is_scalar_multiplication():
    t = trace("equations:\n  h: w @ x + x @ w\nparams: {w: 3}\ninputs: {x: [[1, 2]]}\n")
    assert t.steps[0].values["h"].tolist() == [6.0, 12.0]


def test_a_number_times_a_one_column_matrix_is_a_vector():
    """Input size 1 written as plain numbers, with W as the column [[1], [2]]."""
    t = trace("equations:\n  h: W @ x + x @ V\nparams: {W: [[1], [2]], V: [[3, 4]]}\n"
              "inputs: {x: [0.5]}\n")
    assert t.cell.shapes["h"] == (2,)
    assert t.steps[0].values["h"].tolist() == [2.0, 3.0]


def test_a_scalar_combines_with_anything():
    t = trace("equations:\n  h: 2 * x + 1 - x / 2\ninputs: {x: [[2, 4]]}\n")
    assert t.steps[0].values["h"].tolist() == [4.0, 7.0]


def test_a_scalar_is_a_vector_of_size_one():
    t = trace("equations:\n  h: tanh(W @ x + h[t-1])\nsizes: {h: 1}\nparams: {W: [[0.5]]}\n"
              "inputs: {x: [1, 2]}\ninitial: {h: 0}\n")
    assert np.allclose(np.ravel(t.value("h", 1)), [np.tanh(0.5)], rtol=1e-15)


def test_all_scalar_numbers_without_an_initial_value_give_a_scalar_state():
    t = trace("cell: rnn\nparams: {W_xh: 0.5, W_hh: -1, b_h: 0.1}\ninputs: {x: [1, 2]}\n")
    h1 = np.tanh(0.6)
    assert t.cell.shapes["h"] == ()
    assert np.isclose(float(t.value("h", 2)), np.tanh(1.0 - h1 + 0.1), rtol=1e-15)


def test_scalar_numbers_give_scalar_shapes_without_evaluating():
    """count-params builds the cell without evaluating; it must agree with trace."""
    problem = parse_problem("cell: rnn\nparams: {W_xh: 0.5, W_hh: -1, b_h: 0.1}\n"
                            "inputs: {x: [1, 2]}\n")
    cell = build_cell(problem, shapes=True, evaluate=False)
    assert cell.shapes == {"h": (), "x": (), "W_xh": (), "W_hh": (), "b_h": ()}


def test_sizes_only_problem_infers_every_parameter_shape():
    problem = parse_problem("equations:\n  h: tanh(W @ x + U @ h[t-1] + b)\n  y: V @ h\n"
                            "inputs: [x]\nsizes: {x: 3, h: 4, y: 2}\n")
    cell = build_cell(problem, shapes=True, evaluate=False)
    assert {p: cell.shapes[p] for p in cell.params} == {"W": (4, 3), "U": (4, 4), "b": (4,),
                                                        "V": (2, 4)}
    check_problem(problem)


def test_sizes_only_row_vector_problem():
    problem = parse_problem("equations:\n  h: tanh(x @ W + h[t-1] @ U + b)\n  y: h @ V\n"
                            "inputs: [x]\nsizes: {x: 3, h: 4, y: 2}\n")
    cell = build_cell(problem, shapes=True, evaluate=False)
    assert {p: cell.shapes[p] for p in cell.params} == {"W": (3, 4), "U": (4, 4), "b": (4,),
                                                        "V": (4, 2)}


def test_sizes_only_builtin_cell_with_aliases():
    problem = parse_problem("cell: lstm\nconvention: olah\nsizes: {input: 3, hidden: 4}\n")
    cell = build_cell(problem, shapes=True, evaluate=False)
    assert cell.shapes["W_f"] == (4, 7) and cell.shapes["b_f"] == (4,)


def test_a_size_that_cannot_be_inferred_is_asked_for():
    problem = parse_problem("equations:\n  h: tanh(W @ x + U @ h[t-1] + b)\ninputs: [x]\n"
                            "sizes: {x: 3}\n", "s.yaml")
    with pytest.raises(ShapeError, match=r"cannot infer the size of `h`.*sizes: \{h: 4\}"):
        build_cell(problem, shapes=True, evaluate=False)


def test_a_size_for_something_unknown():
    problem = parse_problem("cell: rnn\nsizes: {input: 3, hiden: 2}\n", "s.yaml")
    with pytest.raises(ProblemError, match="did you mean `hidden`") as info:
        build_cell(problem, shapes=True, evaluate=False)
    assert info.value.line == 2


def test_a_size_that_contradicts_a_value():
    e = error("cell: rnn\nsizes: {hidden: 3}\nparams: {W_xh: [[1], [2]], W_hh: [[1, 0], [0, 1]],"
              " b_h: [0, 0]}\ninputs: {x: [1]}\n", ShapeError)
    assert "(3,)" in e.message and "(2,)" in e.message or "(2, 2)" in e.message


# --- functions ------------------------------------------------------------------------------

FUNCTIONS_PROBLEM = """equations:
  hs: hard_sigmoid(x)
  st: step(x)
  ro: round(x)
  sg: sign(x)
  id: identity(x)
  re: relu(x)
  ex: exp(x)
inputs: {x: [[-3.5, -2.5, -0.5, 0, 0.5, 1.5, 2.5, 3, 4]]}
"""


def test_functions():
    values = trace(FUNCTIONS_PROBLEM).steps[0].values
    x = np.array([-3.5, -2.5, -0.5, 0, 0.5, 1.5, 2.5, 3, 4])
    # Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6
    assert values["hs"].tolist() == (np.minimum(np.maximum(x + 3, 0), 6) / 6).tolist()
    assert values["st"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]          # step(0) = 0
    assert values["ro"].tolist() == [-4, -2, -0.0, 0, 0, 2, 2, 3, 4]      # ties to even
    assert values["sg"].tolist() == [-1, -1, -1, 0, 1, 1, 1, 1, 1]
    assert values["id"].tolist() == x.tolist()
    assert values["re"].tolist() == np.maximum(x, 0).tolist()
    assert np.allclose(values["ex"], np.exp(x), rtol=1e-15, atol=0)


def test_log_and_power():
    values = trace("equations:\n  a: log(x)\n  b: x ** 2\n  c: 2 ** x\n"
                   "inputs: {x: [[1, 2]]}\n").steps[0].values
    assert values["a"].tolist() == [0.0, np.log(2.0)]
    assert values["b"].tolist() == [1.0, 4.0] and values["c"].tolist() == [2.0, 4.0]
