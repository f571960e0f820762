"""Property tests: whatever a user writes, rnncli gives a result or an RnncliError, never a crash.

Random expression text, random well-formed expression trees (parsed, printed
back and evaluated), random YAML documents, mutated problem files and random
bytes, in-process through the library and a few through the CLI. setup.cfg
makes every RuntimeWarning an error, so a warning found here fails too.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from problem_text import value_text
from reference_cells import INPUT, REFERENCE, random_params
from rnncli.grading.checking import check_problem
from rnncli.cli import cli
from rnncli.language.equations import parse_expression
from rnncli.errors import EquationError, RnncliError
from rnncli.language.printing.latex import to_latex
from rnncli.language.printing.source import to_source
from rnncli.language.printing.text import to_text
from rnncli.files.problem import TOP_LEVEL_KEYS, parse_problem
from rnncli.render.json_document import dumps, trace_document
from rnncli.render.trace import render_latex, render_markdown
from rnncli.solve.trace import evaluate_node, run_trace
from rnncli.files.text_source import decode
from rnncli.files.yaml_source import parse_yaml

SETTINGS = settings(max_examples=int(__import__("os").environ.get("RNNCLI_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROBLEMS = sorted((Path(__file__).resolve().parents[1] / "problems").glob("*.yaml"))


def result_or_rnncli_error(action):
    """Runs `action`; returns its result or the RnncliError it raised (anything else fails)."""
    try:
        return action()
    except RnncliError as error:
        assert str(error) and "\n" not in str(error), repr(str(error))
        return error


# --- expressions as text ---------------------------------------------------------------------

EXPRESSION_CHARS = "abhxWt_19[]()+-*/@,. e**"


@SETTINGS
@given(st.text(alphabet=EXPRESSION_CHARS, max_size=40))
def test_random_expression_text(text):
    result_or_rnncli_error(lambda: parse_expression(text))


@SETTINGS
@given(st.text(max_size=60))
def test_random_unicode_expression_text(text):
    try:
        parse_expression(text)
    except EquationError:
        pass


# --- expressions as trees ----------------------------------------------------------------------

NAMES = st.sampled_from(["x", "h[t-1]", "h[t-2]", "w", "v", "M", "a"])
NUMBERS = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).map(lambda v: repr(round(v, 3)))
FUNCTIONS = st.sampled_from(["sigmoid", "tanh", "relu", "softmax", "exp", "log", "identity",
                             "hard_sigmoid", "sign", "step", "round"])
OPERATORS = st.sampled_from(["+", "-", "*", "/", "@", "**"])


def expressions():
    leaves = st.one_of(NAMES, NUMBERS)
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, OPERATORS, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(FUNCTIONS, inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda e: f"-{e}"),
        st.lists(inner, min_size=1, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    ), max_leaves=12)


def value_of(tree):
    """Returns the tree's value with scalars for every name, as comparable text."""
    current = {"x": 0.7, "w": 0.5, "v": -1.3, "M": 2.0, "a": -0.4}
    lagged = [current, {"h": 0.3}, {"h": -0.6}]
    try:
        return np.asarray(evaluate_node(tree, current, lagged), dtype=float)
    except (FloatingPointError, ValueError) as error:   # no shape inference on this path
        return type(error).__name__


@SETTINGS
@given(expressions())
def test_well_formed_trees_parse_and_print_back(text):
    tree = result_or_rnncli_error(lambda: parse_expression(text))
    if isinstance(tree, RnncliError):
        assert "deeper" in tree.message or "out of range" in tree.message
        return
    # Printed and read back, it computes the same number (`a + -b` prints as `a - b`;
    # `a + (b + c)` prints as `a + b + c`, which may round differently in the last bit).
    again, first = value_of(parse_expression(to_source(tree))), value_of(tree)
    if isinstance(first, str):
        assert again == first
    else:
        np.testing.assert_allclose(again, first, rtol=1e-9, atol=1e-12)
    to_text(tree)
    to_latex(tree)


VALUES = {"x": "[[0.5, -1]], [[2, 0.25]], [[-3, 1e3]]", "w": "0.5", "v": "[1, -2]",
          "M": "[[1, 2], [3, -4]]", "a": "-7"}


@SETTINGS
@given(expressions(), st.sampled_from(["h", "a + h * 0"]))
def test_random_equations_trace_or_fail_cleanly(text, other):
    problem_text = (f"title: random\nequations:\n  h: \"{text}\"\n  y: \"{other}\"\n"
                    f"params: {{w: 0.5, v: [1, -2], M: [[1, 2], [3, -4]], a: -7}}\n"
                    "inputs: {x: [[0.5, -1], [2, 0.25], [-3, 1000]]}\n")

    def trace_and_render():
        trace = run_trace(parse_problem(problem_text, "random.yaml"))
        render_markdown(trace, 4)
        render_latex(trace, 3)
        dumps(trace_document(trace))
        return trace

    result = result_or_rnncli_error(trace_and_render)
    if isinstance(result, RnncliError):
        assert result.file == "random.yaml" and result.line is not None
    else:
        assert all(np.all(np.isfinite(v)) for s in result.steps for v in s.values.values())


# --- YAML documents ------------------------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["rnn", "lstm", "gru", "pytorch", "olah", "h", "x", "yes",
                                     "tanh(W @ x + U @ h[t-1])", "1e-3", ".5", "[a, b]"]))
KEYS = st.one_of(st.sampled_from(TOP_LEVEL_KEYS), st.text(min_size=1, max_size=8))


def documents():
    values = st.recursive(SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=20)
    return st.dictionaries(KEYS, values, max_size=8)


@SETTINGS
@given(documents())
def test_random_yaml_documents(document):
    text = yaml.safe_dump(document, allow_unicode=True)

    def load_and_check():
        problem = parse_problem(text, "doc.yaml")
        check_problem(problem)
        return problem

    result = result_or_rnncli_error(load_and_check)
    if isinstance(result, RnncliError):
        assert result.file == "doc.yaml"


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(raw):
    def load():
        return parse_problem(decode(raw, "junk.yaml"), "junk.yaml")

    result_or_rnncli_error(load)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_as_yaml(text):
    result_or_rnncli_error(lambda: parse_yaml(text, "t.yaml"))


@SETTINGS
@given(st.sampled_from(PROBLEMS), st.data())
def test_mutated_shipped_problems(path, data):
    text = path.read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 8)))
    junk = data.draw(st.text(alphabet="-: [],{}\n#&*!.0123456789eyasnoh_", max_size=6))
    mutated = text[:start] + junk + text[end:]
    assume(mutated != text)

    def load_and_check():
        problem = parse_problem(mutated, path.name)
        check_problem(problem)
        return problem

    result_or_rnncli_error(load_and_check)


# --- through the command line ----------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(documents())
def test_cli_never_shows_a_traceback(document):
    text = yaml.safe_dump(document, allow_unicode=True)
    for command in ("check", "trace"):
        result = CliRunner().invoke(cli, [command, "-"], input=text)
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            repr(result.exception)
        if result.exit_code == 2:
            assert result.stderr.startswith("Error: <stdin>")


@settings(max_examples=40, deadline=None)
@given(expressions())
def test_cli_trace_of_random_equations(text):
    problem_text = (f"equations:\n  h: \"{text}\"\nparams: {{w: 0.5, v: [1, -2], "
                    "M: [[1, 2], [3, -4]], a: -7}\ninputs: {x: [[0.5, -1], [2, 0.25]]}\n")
    result = CliRunner().invoke(cli, ["trace", "-", "--format", "json"], input=problem_text)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: <stdin>:") and result.stderr.count("\n") == 1


# --- plausible problems with mistakes ---------------------------------------------------------------

def shaped_values():
    """A number, vector or matrix of small random size, as YAML text."""
    number = st.floats(-5, 5, allow_nan=False).map(lambda v: repr(round(v, 2)))
    return st.one_of(
        number,
        st.lists(number, min_size=1, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
        st.integers(1, 3).flatmap(lambda cols: st.lists(
            st.lists(number, min_size=cols, max_size=cols).map(lambda v: "[" + ", ".join(v) + "]"),
            min_size=1, max_size=3)).map(lambda rows: "[" + ", ".join(rows) + "]"))


OPTIONS = ["output: softmax", "output: sigmoid", "bias: false", "time_start: 0",
           "initial: {h: [0.5, -0.5]}", "sizes: {hidden: 2}", "sizes: {input: 1}",
           "equations:\n  h: relu(h[t-1]) + 1", "equations:\n  y: softmax(h)",
           "equations:\n  extra: h * 2"]


@SETTINGS
@given(st.sampled_from(sorted(REFERENCE)), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2**32 - 1), st.data())
def test_plausible_problems_with_mistakes(key, input_size, hidden_size, seed, data):
    """A right problem of a built-in cell, then a few random mistakes and options."""
    rng = np.random.default_rng(seed)
    options = data.draw(st.lists(st.sampled_from(OPTIONS), unique_by=lambda o: o.split(":")[0],
                                 max_size=3))
    readout = 2 if any(o.startswith("output") for o in options) else None
    params = {n: np.round(v, 2) for n, v in
              random_params(*key, input_size, hidden_size, rng, output_size=readout).items()}
    params = {n: value_text(v) for n, v in params.items()}
    for _ in range(data.draw(st.integers(0, 2))):
        name = data.draw(st.sampled_from(sorted(params)))
        if data.draw(st.booleans()):
            del params[name]
        else:
            params[name] = data.draw(shaped_values())
        if not params:
            break
    steps = data.draw(st.integers(1, 3))
    inputs = [value_text(np.round(rng.uniform(-1, 1, input_size), 2)) for _ in range(steps)]
    text = "\n".join([f"cell: {key[0]}", f"convention: {key[1]}", "params:"]
                     + [f"  {n}: {v}" for n, v in params.items()]
                     + [f"inputs: {{{INPUT[key]}: [{', '.join(inputs)}]}}"] + options) + "\n"

    def trace_and_render():
        trace = run_trace(parse_problem(text, "plausible.yaml"))
        render_markdown(trace, 4)
        render_latex(trace, 4)
        dumps(trace_document(trace))
        return trace

    result = result_or_rnncli_error(trace_and_render)
    if isinstance(result, RnncliError):
        assert result.file == "plausible.yaml" and result.line is not None, str(result)
