"""`rnncli unroll`: golden outputs, and the unrolled formula evaluates to the trace's value.

The property: the JSON formula, read back with the equation parser and
evaluated with nothing but the problem's numbers (inputs, initial states,
parameters), gives exactly (bit for bit) the value the trace computes, and
agrees with the independent numpy oracle (tests/reference_cells.py) on random
problems of every built-in cell.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

import pytest
from click.testing import CliRunner

import rnncli.language.equations as equations
from problem_text import problem_yaml
from reference_cells import HIDDEN, INPUT, REFERENCE, STATE, random_params, run_reference
from rnncli.files.problem import problem_level
from rnncli.cli import cli
from rnncli.language.equations import parse_expression
from rnncli.errors import UsageError
from rnncli.language.expression import Step, Value, transform
from rnncli.files.problem import load_problem, parse_problem
from rnncli.render.unroll import FormulaSourcePrinter, unroll_document
from rnncli.solve.trace import compile_expression, run_trace
from rnncli.solve.unrolling import MAX_NODES, unroll
from golden import assert_matches_golden

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden" / "unroll"
SEED002 = "problems/rnn-unroll-five-steps.yaml"
SEED000 = "problems/two-layer-feedback-graph.yaml"
LSTM002 = "problems/lstm-goodfellow-forward.yaml"


@pytest.fixture(autouse=True)
def long_formulas(monkeypatch):
    # The parser's limits are for equations people type; unrolled formulas are longer.
    monkeypatch.setattr(equations, "MAX_EXPRESSION_CHARS", 10**7)
    monkeypatch.setattr(equations, "MAX_DEPTH", 10**4)


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --- golden outputs, one file per case ------------------------------------------------------

GOLDEN_CASES = {
    "seed002-h5": [SEED002, "--to", "5"],
    "seed002-h5-depth2": [SEED002, "--to", "5", "--depth", "2"],
    "seed000-y3": [SEED000, "--to", "3"],
    "seed000-y3-let": [SEED000, "--to", "3", "--let"],
    "lstm-seed002-y3-let": [LSTM002, "--to", "3", "--let"],
    "lstm-seed002-h2": [LSTM002, "--to", "2", "--quantity", "h"],
    "lstm-2layer-bidirectional-output2-let": ["problems/lstm-2layer-bidirectional-trace.yaml",
                                              "--to", "2", "--let"],
}
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "latex": "tex"}


@pytest.mark.parametrize("output_format", list(EXTENSIONS))
@pytest.mark.parametrize("case", list(GOLDEN_CASES))
def test_golden(case, output_format, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("unroll", *GOLDEN_CASES[case], "--format", output_format)
    assert code == 0, err
    assert err == ""
    path = GOLDEN / f"{case}.{EXTENSIONS[output_format]}"
    assert_matches_golden(path, out)


def test_seed002_is_the_sheets_formula(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("unroll", SEED002, "--to", "5")
    assert (code, err) == (0, "")
    assert out == ("h(5) = f(W·x(5) + U·f(W·x(4) + U·f(W·x(3) + U·f(W·x(2) + U·f(W·x(1) "
                   "+ U·h(0))))))\n")
    code, out, _ = run("unroll", SEED002, "--to", "5", "--format", "json")
    assert json.loads(out) == {
        "schema": "rnncli/unroll@1", "ref": "h[5]",
        "formula": "f(W @ x[5] + U @ f(W @ x[4] + U @ f(W @ x[3] + U @ f(W @ x[2] + "
                   "U @ f(W @ x[1] + U @ h[0])))))"}
    code, out, _ = run("unroll", SEED002, "--to", "5", "--format", "latex")
    assert r"h^{(5)} &= f\left(W x^{(5)} + U f\left(W x^{(4)}" in out


# --- evaluating the formula -----------------------------------------------------------------

def evaluate(document: dict, leaf, params: dict):
    """Returns the value of an unroll@1 document; `leaf(name, step)` gives inputs and states.

    Each `let` definition is read back and substituted as a tree wherever its
    reference appears, so the formula is evaluated exactly as written out.
    """
    lets = {}

    def substitute(node):
        if isinstance(node, Step):
            key = f"{node.name}[{node.step}]"
            return lets[key] if key in lets else Value(leaf(node.name, node.step))
        return None

    for item in document.get("let", []):
        lets[item["ref"]] = transform(parse_expression(item["formula"], allow_steps=True),
                                      substitute)
    tree = transform(parse_expression(document["formula"], allow_steps=True), substitute)
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        return compile_expression(tree, params)({}, [{}])


def data_leaf(problem, trace):
    """Returns leaf(name, step) from the problem's own numbers: inputs and initial values."""
    def leaf(name, step):
        first = problem.time_start
        # A backward direction's initial state sits after the last step.
        if first <= step < first + problem.n_steps:
            assert name in problem.inputs, f"{name}[{step}] should have been substituted"
            return problem.inputs[name][step - first]
        return trace.initial[name]   # the problem's `initial`, or zeros of the state's shape
    return leaf


def unrolled_or_let(problem, name, step, **options):
    """Returns the unroll@1 document, with --let when the full formula is refused as too large."""
    try:
        return unroll_document(unroll(problem, step, name, **options))
    except UsageError:
        return unroll_document(unroll(problem, step, name, let=True, **options))


def assert_exact(document, problem, trace, name, step, leaf=None):
    value = evaluate(document, leaf or data_leaf(problem, trace), trace.parameters)
    expected = trace.value(name, step)
    assert np.shape(value) == np.shape(expected)
    assert np.array_equal(value, expected), (document["ref"], value, expected)


@pytest.mark.parametrize("path", [p for p in PROBLEMS
                                  if problem_level(load_problem(str(p))) == "trace"],
                         ids=lambda p: p.name)
def test_every_shipped_problem_evaluates_to_its_trace(path):
    problem = load_problem(str(path))
    trace = run_trace(problem)
    # A stacked network has dozens of quantities whose let-formulas, substituted back
    # as trees by `evaluate`, grow large: a backward chain and the layer above suffice
    # (test_a_stacked_bidirectional_unroll_equals_its_trace checks `output`).
    names = trace.cell.quantities if not trace.cell.blocks else ("h_l0_reverse", "h_l1")
    for name in names:
        for step in range(problem.time_start, problem.time_start + problem.n_steps):
            assert_exact(unrolled_or_let(problem, name, step), problem, trace, name, step)
            assert_exact(unroll_document(unroll(problem, step, name, let=True)), problem, trace,
                         name, step)


def test_depth_leaves_the_states_of_step_t_minus_k():
    problem = load_problem(str(ROOT / LSTM002))
    trace = run_trace(problem)

    def from_trace(name, step):
        return trace.value(name, step)

    for depth in (1, 2):
        unrolled = unroll(problem, 3, "y", depth=depth)
        leaves = unrolled.leaves["states"]
        assert leaves == sorted({f"{n}[{3 - depth}]" for n in ("h", "s")})
        assert_exact(unroll_document(unrolled), problem, trace, "y", 3, from_trace)


CELL_KEYS = sorted(REFERENCE)


@pytest.mark.parametrize("key", CELL_KEYS, ids=lambda k: f"{k[0]}-{k[1]}")
def test_random_problems_against_the_oracle(key):
    """Every built-in cell: formula == trace exactly, and == the numpy oracle."""
    rng = np.random.default_rng(sum(map(ord, "-".join(key))))
    input_size, hidden_size, steps = 2, 3, 3
    params = random_params(*key, input_size, hidden_size, rng)
    inputs = [rng.uniform(-2, 2, size=input_size) for _ in range(steps)]
    initial = {name: rng.uniform(-1, 1, size=hidden_size) for name in STATE[key]}
    text = problem_yaml(cell=key[0], convention=key[1], params=params,
                        inputs={INPUT[key]: inputs}, initial=initial)
    problem = parse_problem(text, f"{key[0]}-{key[1]}.yaml")
    trace = run_trace(problem)
    expected = run_reference(*key, params, inputs, initial)
    hidden = HIDDEN[key]
    for step in range(1, steps + 1):
        document = unrolled_or_let(problem, hidden, step)
        assert_exact(document, problem, trace, hidden, step)
        value = evaluate(document, data_leaf(problem, trace), problem.params)
        np.testing.assert_allclose(value, expected[step - 1][hidden], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("two_back", ["", " + A @ h1[t-2]"])
def test_random_custom_equations_with_feedback(two_back):
    """Custom equations: softmax feedback (seed 000's shape), sums, and h1[t-2], with numbers."""
    rng = np.random.default_rng(7)
    shapes = {"U": (3, 2), "V": (3, 3), "W": (3, 3), "b": (3,), "R": (3, 3), "S": (3, 3),
              "T": (3, 3), "c": (3,), "P": (3, 2), "Q": (3, 3), "d": (3,), "A": (3, 3)}
    params = {k: rng.uniform(-1, 1, size=s) for k, s in shapes.items() if k != "A" or two_back}
    text = problem_yaml(
        equations={"h1": f"tanh(U @ x + V @ h1[t-1] + W @ h2[t-1] + b{two_back})",
                   "h2": "tanh(R @ h1 + S @ h2[t-1] + T @ y[t-1] + c)",
                   "y": "softmax(P @ x + Q @ h2 + d) - 0.5 + (h1 - h2 * 2)"},
        params=params, inputs={"x": [rng.uniform(-1, 1, size=2) for _ in range(4)]},
        initial={"h1": rng.uniform(-1, 1, size=3), "y": rng.uniform(0, 1, size=3)})
    problem = parse_problem(text, "custom.yaml")
    trace = run_trace(problem)
    read_back = 0
    for name in ("h1", "h2", "y"):
        for step in range(1, 5):
            for let in (False, True):
                try:
                    unrolled = unroll(problem, step, name, let=let)
                except UsageError:
                    continue
                value = evaluate_tree(unrolled, data_leaf(problem, trace), problem.params)
                assert np.array_equal(value, trace.value(name, step))
                # The parser reads no negative step (h1[-1], from h1[t-2] at t = 1).
                if not any("[-" in ref for ref in unrolled.leaves["states"]):
                    assert_exact(unroll_document(unrolled), problem, trace, name, step)
                    read_back += 1
    assert read_back == 0 if two_back else read_back >= 20   # y[4] in full is too large


def evaluate_tree(unrolled, leaf, params: dict):
    """Returns the value of an Unrolled's tree itself, its definitions substituted."""
    lets = {}

    def substitute(node):
        if isinstance(node, Step):
            key = (node.name, node.step)
            return lets[key] if key in lets else Value(leaf(node.name, node.step))
        return None

    for definition in unrolled.lets:
        lets[(definition.name, definition.step)] = transform(definition.formula, substitute)
    tree = transform(unrolled.formula, substitute)
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        return compile_expression(tree, params)({}, [{}])


def test_time_start_zero_reads_the_initial_state_at_step_minus_one():
    # The parser reads no negative step (h[-1]), so this one is evaluated as a tree.
    rng = np.random.default_rng(3)
    text = problem_yaml(equations={"h": "tanh(W @ x + U @ h[t-1])"},
                        params={"W": rng.uniform(-1, 1, (2, 2)), "U": rng.uniform(-1, 1, (2, 2))},
                        inputs={"x": [rng.uniform(-1, 1, 2) for _ in range(3)]},
                        initial={"h": [0.5, -0.25]}, extra="time_start: 0\n")
    problem = parse_problem(text, "t0.yaml")
    trace = run_trace(problem)
    unrolled = unroll(problem, 2, "h")
    assert unrolled.leaves == {"inputs": ["x[0]", "x[1]", "x[2]"], "states": ["h[-1]"],
                               "params": ["W", "U"]}
    value = evaluate_tree(unrolled, data_leaf(problem, trace), problem.params)
    assert np.array_equal(value, trace.value("h", 2))


def test_the_json_formula_reads_back_as_the_same_tree():
    # a + (b + c) keeps its brackets: read back as (a + b) + c it could differ in the last bit.
    problem = parse_problem(problem_yaml(equations={"s": "x + (s[t-1] + x * 2)", "y": "x - s"},
                                         extra="inputs: [x]\nsteps: 3\n"), "sum.yaml")
    for name in ("s", "y"):
        unrolled = unroll(problem, 3, name)
        text = FormulaSourcePrinter().doprint(unrolled.formula)
        assert parse_expression(text, allow_steps=True) == unrolled.formula
    assert unroll_document(unroll(problem, 2, "s"))["formula"] == \
        "x[2] + (x[1] + (s[0] + x[1] * 2) + x[2] * 2)"


# --- symbolic problems, limits and errors ----------------------------------------------------

def test_unknown_function_is_a_symbol_in_unroll_and_an_error_in_trace(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("unroll", SEED002, "--to", "2")
    assert (code, err) == (0, "") and out.startswith("h(2) = f(")
    code, out, err = run("trace", SEED002)
    assert code == 2 and out == ""
    assert err.startswith(f"Error: {SEED002}:") and "unknown function `f`" in err
    assert len(err.strip().splitlines()) == 1


def test_check_passes_on_the_symbolic_problems(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("check", SEED002, SEED000)
    assert (code, err) == (0, "")
    assert out == f"ok {SEED002}\nok {SEED000}\n"


def test_an_lstm_unrolled_fully_is_refused_early(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("cell: lstm\nconvention: goodfellow\ninputs: [x]\nsteps: 1000\n")
    code, out, err = run("unroll", str(path), "--to", "1000")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"more than {MAX_NODES} terms" in err and "--let" in err and "--depth" in err
    # With --let the size grows linearly, and is refused only past the limit; --depth fixes it.
    code, out, err = run("unroll", str(path), "--to", "1000", "--let")
    assert code == 2 and "--depth" in err and "--let" not in err
    code, out, err = run("unroll", str(path), "--to", "1000", "--let", "--depth", "3")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] and out.splitlines()[1] == "where"
    assert out.splitlines()[2].startswith("  s(998) = ")


def test_a_long_plain_rnn_is_refused_for_nesting(tmp_path):
    path = tmp_path / "rnn.yaml"
    path.write_text("equations:\n  h: tanh(W @ x + U @ h[t-1])\ninputs: [x]\nsteps: 400\n")
    code, out, err = run("unroll", str(path), "--to", "400")
    assert code == 2 and out == "" and "nested more than" in err


@pytest.mark.parametrize("args, message", [
    (["--to", "6"], "--to 6: the steps of this problem are 1..5"),
    (["--to", "0"], "--to 0: the steps of this problem are 1..5"),
    (["--to", "5", "--quantity", "x"], "`x` is an input"),
    (["--to", "5", "--quantity", "W"], "`W` is a parameter"),
    (["--to", "5", "--quantity", "hh"], "no quantity `hh` (did you mean `h`?)"),
])
def test_bad_options_are_one_line_errors(args, message, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run("unroll", SEED002, *args)
    assert code == 2 and out == ""
    # `--to` errors also name the line of `steps`, where the problem's steps are set.
    assert re.match(rf"Error: {re.escape(str(SEED002))}:(6:)? ", err) and message in err
    assert err.count("\n") == 1


def test_depth_must_be_positive_and_to_is_required(monkeypatch):
    monkeypatch.chdir(ROOT)
    code, _, err = run("unroll", SEED002, "--to", "5", "--depth", "0")
    assert code == 2 and "--depth" in err
    code, _, err = run("unroll", SEED002)
    assert code == 2 and "--to" in err


def test_stacked_networks_unroll_through_layers_and_directions(tmp_path):
    path = tmp_path / "stacked.yaml"
    path.write_text("cell: rnn\nlayers: 2\nbidirectional: true\ninputs: [x]\nsteps: 3\n")
    code, out, err = run("unroll", str(path), "--to", "1", "--quantity", "h_l1_reverse",
                         "--format", "json")
    assert code == 0, err
    formula = json.loads(out)["formula"]
    # Layer 1 backward at step 1 reads layer 0 at steps 1..3 of both directions and
    # starts from its own state after the last step.
    assert "h_l1_reverse[4]" in formula and "h_l0_reverse[4]" in formula
    assert "h_l0[0]" in formula and "x[3]" in formula
    assert "h_l1[" not in formula.replace("h_l1_reverse", "")


def test_a_backward_direction_needs_the_number_of_steps(tmp_path):
    path = tmp_path / "stacked.yaml"
    path.write_text("cell: rnn\nbidirectional: true\ninputs: [x]\n")
    code, out, err = run("unroll", str(path), "--to", "2")
    assert code == 2 and out == "" and "give `steps`" in err and f"{path}:2:" in err


def test_a_stacked_bidirectional_unroll_equals_its_trace():
    rng = np.random.default_rng(5)
    params = {}
    for layer, size in ((0, 2), (1, 4)):
        for suffix in (f"_l{layer}", f"_l{layer}_reverse"):
            params["W_ih" + suffix] = rng.uniform(-1, 1, (2, size))
            params["W_hh" + suffix] = rng.uniform(-1, 1, (2, 2))
    text = problem_yaml(cell="rnn", convention="pytorch", bias=False, params=params,
                        inputs={"x": [rng.uniform(-1, 1, 2) for _ in range(3)]},
                        extra="layers: 2\nbidirectional: true\n")
    problem = parse_problem(text, "bi.yaml")
    trace = run_trace(problem)
    for name in ("h_l0_reverse", "h_l1", "h_l1_reverse", "output"):
        for step in (1, 2, 3):
            assert_exact(unrolled_or_let(problem, name, step), problem, trace, name, step)


def test_an_input_read_at_t_minus_1_starts_from_its_initial_value():
    rng = np.random.default_rng(11)
    text = problem_yaml(equations={"h": "tanh(W @ x + U @ x[t-1] + V @ h[t-1])"},
                        params={k: rng.uniform(-1, 1, (2, 2)) for k in "WUV"},
                        inputs={"x": [rng.uniform(-1, 1, 2) for _ in range(4)]},
                        initial={"x": [0.25, -0.5]})
    problem = parse_problem(text, "input-lag.yaml")
    trace = run_trace(problem)
    for step in range(1, 5):
        unrolled = unroll(problem, step, "h")
        assert "x[0]" in unrolled.leaves["inputs"]
        assert_exact(unroll_document(unrolled), problem, trace, "h", step)
