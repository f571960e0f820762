"""The printers: precedence round trips, numbers as written, scientific form, LaTeX powers.

The round trip reads the text notation back with a small reader written here
from the documented precedence table (docs/equations.md, "How formulas are
printed"), not with rnncli's code: ^ binds tightest (right to left), then a
leading minus, then · and / (left to right), and ⊙ at the same strength; a ⊙
never takes a · or / as an unbracketed operand, nor the other way round (the
reader refuses `a ⊙ b·c`); + and − bind loosest. A sum is compared as its
list of signed terms, since a − b and a + (−b) read the same on paper.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncli.language.equations import parse_expression
from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Number, Value
from rnncli.language.printing.base import format_given, format_number
from rnncli.language.printing.latex import to_latex
from rnncli.language.printing.source import to_source
from rnncli.language.printing.text import TextPrinter

SCALARS = {"a", "b"}                # names the printers are told are scalars
FUNCTION_TEXT = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "exp": "exp"}


def is_scalar(node) -> bool:
    if isinstance(node, Number):
        return True
    if isinstance(node, Name):
        return node.name in SCALARS
    if isinstance(node, Neg):
        return is_scalar(node.operand)
    if isinstance(node, Call):
        return is_scalar(node.args[0])
    if isinstance(node, BinOp):
        return is_scalar(node.left) and is_scalar(node.right)
    return False


def trees():
    leaves = st.one_of(
        st.builds(Name, st.sampled_from(["a", "b", "h", "x", "W", "R"]), st.integers(0, 2)),
        st.builds(Number, st.sampled_from([0.5, 2.0, 0.25, 3.0, -0.5, -2.0])))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/", "@", "**"]), inner, inner),
        st.builds(Neg, inner),
        st.builds(lambda f, a: Call(f, (a,)), st.sampled_from(sorted(FUNCTION_TEXT)), inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda items: Concat(tuple(items)))),
        max_leaves=12)


# ---- a reader of the text notation, from the documented table ----------------------------------

TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-zσ_]+)(?P<step>\(t(?:−\d+)?\))?"
                   r"|(?P<op>[+−·⊙/^(),\[\]]))")


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        assert match and match.end() > position, f"unreadable at {text[position:]!r} in {text!r}"
        kind = match.lastgroup if match.lastgroup != "step" else "name"
        tokens.append((kind, match.group(0).strip()))
        position = match.end()
    return tokens + [("end", "")]


class Reader:
    """A precedence-climbing reader of printed formulas; trees use the printed operators."""

    def __init__(self, text: str):
        self.tokens, self.index, self.text = tokenize(text), 0, text

    def peek(self):
        return self.tokens[self.index][1]

    def take(self, expected=None):
        kind, value = self.tokens[self.index]
        assert expected is None or value == expected, f"expected {expected} in {self.text!r}"
        self.index += 1
        return kind, value

    def read(self):
        tree = self.sum()
        assert self.peek() == "" and self.tokens[self.index][0] == "end", self.text
        return tree

    def sum(self):
        tree = self.product()
        while self.peek() in ("+", "−"):
            op = self.take()[1]
            tree = ("+" if op == "+" else "-", tree, self.product())
        return tree

    def product(self):
        tree = self.unary()
        family = None
        while self.peek() in ("·", "/", "⊙"):
            op = self.take()[1]
            kind = "hadamard" if op == "⊙" else "product"
            assert family in (None, kind), f"⊙ mixed with · without brackets in {self.text!r}"
            family = kind
            tree = (op, tree, self.unary())
        return tree

    def unary(self):
        if self.peek() == "−":
            self.take()
            return ("neg", self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return ("^", base, self.unary())     # right to left: a^b^c = a^(b^c)
        return base

    def atom(self):
        kind, value = self.take()
        if kind == "number":
            return ("num", float(value))
        if value == "(":
            tree = self.sum()
            self.take(")")
            return tree
        if value == "[":
            items = [self.sum()]
            while self.peek() == ",":
                self.take()
                items.append(self.sum())
            self.take("]")
            return ("concat", *items)
        assert kind == "name", f"unexpected {value!r} in {self.text!r}"
        if "(" in value:                  # h(t−1): a quantity read one step back
            name, _, step = value[:-1].partition("(")
            return ("name", name, int(step[2:]) if "−" in step else 0)
        function = {text: name for name, text in FUNCTION_TEXT.items()}[value]
        self.take("(")
        argument = self.sum()
        self.take(")")
        return ("call", function, argument)


def printed(tree, text_notation: bool):
    """Returns an rnncli tree in the reader's form: printed operators, signed sums."""
    if isinstance(tree, Number):
        return ("neg", ("num", -tree.value)) if tree.value < 0 else ("num", tree.value)
    if isinstance(tree, Name):
        return ("name", tree.name, tree.lag)
    if isinstance(tree, Neg):
        return ("neg", printed(tree.operand, text_notation))
    if isinstance(tree, Call):
        return ("call", tree.function, printed(tree.args[0], text_notation))
    if isinstance(tree, Concat):
        return ("concat", *(printed(i, text_notation) for i in tree.items))
    op = tree.op
    if text_notation:
        op = {"@": "·", "**": "^"}.get(op, op)
        if op == "*":
            op = "·" if is_scalar(tree.left) or is_scalar(tree.right) else "⊙"
    return (op, printed(tree.left, text_notation), printed(tree.right, text_notation))


def canonical(tree):
    """Returns a read tree with every sum as its list of (sign, term), signs pulled out of terms."""
    if tree[0] in ("+", "-"):
        return ("sum", tuple(terms(tree, 1)))
    if tree[0] in ("num", "name"):
        return tree
    if tree[0] == "neg":       # −0.5 is a number, as the parser reads it
        inner = canonical(tree[1])
        return ("num", -inner[1]) if inner[0] == "num" else ("neg", inner)
    if tree[0] == "call":
        return ("call", tree[1], canonical(tree[2]))
    return (tree[0], *(canonical(t) for t in tree[1:]))


def terms(tree, sign):
    if tree[0] in ("+", "-"):
        return terms(tree[1], sign) + terms(tree[2], sign if tree[0] == "+" else -sign)
    flipped, term = strip_sign(canonical(tree))
    sign = -sign if flipped else sign
    if term[0] == "sum":               # a − (b + c) is a − b − c
        return [(sign * inner, item) for inner, item in term[1]]
    return [(sign, term)]


def strip_sign(tree):
    """Returns (whether an odd number of leading minus signs was taken off, the term without them)."""
    if tree[0] == "neg":
        flipped, term = strip_sign(tree[1])
        return not flipped, term
    if tree[0] == "num" and tree[1] < 0:
        return True, ("num", -tree[1])
    if tree[0] in ("·", "⊙", "/", "*", "@"):
        flipped, left = strip_sign(tree[1])
        return flipped, (tree[0], left, tree[2])
    return False, tree


@settings(max_examples=400, deadline=None)
@given(trees())
def test_text_printer_round_trips_through_a_human_reading(tree):
    text = TextPrinter(scalar=is_scalar).doprint(tree)
    assert canonical(Reader(text).read()) == canonical(printed(tree, True)), text


@settings(max_examples=400, deadline=None)
@given(trees())
def test_source_printer_round_trips_through_the_parser(tree):
    source = to_source(tree)
    again = parse_expression(source)
    assert canonical(printed(again, False)) == canonical(printed(tree, False)), source


def test_reader_refuses_a_mix_of_hadamard_and_matrix_product():
    with pytest.raises(AssertionError, match="mixed"):
        Reader("R(t) ⊙ H(t−1)·W").read()


@pytest.mark.parametrize("cell, convention", [("gru", "d2l"), ("gru", "keras-reset-before")])
def test_reset_before_gru_keeps_the_brackets_of_the_reset_product(cell, convention):
    from rnncli.cells.catalog import describe_cells

    (info,) = describe_cells(cell, convention)
    candidate = dict(info.equations)
    text = next(t for n, t in candidate.items() if "r" in t.lower() and "⊙" in t and "tanh" in t)
    assert re.search(r"\((R|r)\(t\) ⊙ (H|h)\(t−1\)\)·", text), text
    tree = parse_expression("tanh(x @ W + (R * H[t-1]) @ U)")
    assert "\\left(R^{(t)} \\odot H^{(t-1)}\\right) U" in to_latex(tree)


def test_hadamard_of_a_matrix_product_keeps_its_brackets():
    tree = parse_expression("r * (W @ h[t-1])")
    assert TextPrinter().doprint(tree) == "r(t) ⊙ (W(t)·h(t−1))"
    assert to_latex(tree) == r"r^{(t)} \odot \left(W^{(t)} h^{(t-1)}\right)"


def test_power_of_a_quantity_is_one_superscript_in_latex():
    assert to_latex(parse_expression("h ** 2"), step=1) == r"\left(h^{(1)}\right)^{2}"
    assert to_latex(parse_expression("W ** 2"), constants={"W"}) == "W^{2}"


@pytest.mark.parametrize("value, precision, expected", [
    (1e-300, 4, "1e-300"), (-1.5e-7, 4, "-1.5e-7"), (1.23456e-5, 4, "1.235e-5"),
    (0.00004, 4, "4e-5"), (0.00005, 4, "0.0001"), (0.26104, 4, "0.2610"), (0.7, 4, "0.7"),
    (0.0, 4, "0"), (-0.0, 4, "0"), (2.5e20, 2, "2.5e20"), (0.3, 0, "3e-1"), (12.0, 1, "12")])
def test_format_number_never_prints_a_nonzero_value_as_zero(value, precision, expected):
    assert format_number(value, precision) == expected
    if value:
        assert float(format_number(value, precision)) != 0


@pytest.mark.parametrize("value, expected", [(0.25, "0.25"), (1.0, "1"), (-0.3, "-0.3"),
                                             (1e-300, "1e-300"), (0.1 + 0.2, "0.30000000000000004")])
def test_given_numbers_print_as_written(value, expected):
    assert format_given(value) == expected
    assert float(expected) == value


def test_tiny_values_in_every_printer():
    tree = BinOp("*", Value(1e-300, True), Value(1.0))
    text = TextPrinter(scalar=lambda n: True).doprint(tree)
    assert text == "1e−300·1"
    assert to_latex(tree, scalar=lambda n: True) == r"1 \cdot 10^{-300} \cdot 1"
    assert float(to_source(tree).split(" * ")[0]) == 1e-300
    computed = BinOp("*", Value(3e-9), Value(2.0))
    assert TextPrinter(scalar=lambda n: True, precision=4).doprint(computed) == "3e−9·2"


def test_rounding_diagnosis_says_one_decimal_in_the_singular():
    from grade_oracle import seed002, sigmoid
    from test_grading_diagnoses import diagnosis
    from test_grading import seed002_marking

    marking = seed002_marking("questions:\n  - id: a\n    ask: [y]\n    tolerance: {sigfig: 3}\n")
    rounded = seed002(round_to=1)
    y3 = sigmoid(rounded[("h", 3)] * 5 - 1)
    found, feedback = diagnosis(marking, {"y[3]": round(y3, 4)}, "y[3]")
    assert found.code == "rounding"
    assert found.label == "rounded to 1 decimal too early"
    assert "rounded to 1 decimal:" in feedback and "decimals" not in feedback


def test_graph_render_refuses_a_format_and_dot_comments_only_real_delays(tmp_path):
    from click.testing import CliRunner

    from rnncli.cli import cli

    problem = "problems/two-layer-feedback-graph.yaml"
    result = CliRunner().invoke(cli, ["graph", problem, "--format", "dot", "--render",
                                      str(tmp_path / "g.svg")])
    assert result.exit_code == 2 and "extension" in result.output
    assert not (tmp_path / "g.svg").exists()
    unfolded = CliRunner().invoke(cli, ["graph", problem, "--unfold", "2", "--format", "dot"])
    assert "■" not in unfolded.stdout
    folded = CliRunner().invoke(cli, ["graph", problem, "--format", "dot"])
    assert "is a delay of one step" in folded.stdout and "■" in folded.stdout


# ---- a narrow terminal ----------------------------------------------------------------------------

NUMBER = re.compile(r"−?\d+(?:\.\d+)?(?:e−?\d+)?")


def _terminal_output(render, width: int) -> str:
    import io

    from rich.console import Console

    buffer = io.StringIO()
    render(Console(file=buffer, width=width, force_terminal=True, no_color=True,
                   highlight=False, emoji=False, markup=False))
    return re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())


@pytest.mark.parametrize("problem", ["lstm-standard", "gru-olah-forward",
                                     "two-layer-feedback-numbers", "lstm-goodfellow-forward"])
def test_a_narrow_terminal_never_splits_a_number(problem):
    from rnncli.files.problem import load_problem
    from rnncli.render.text import render_trace_text
    from rnncli.solve.trace import run_trace

    trace = run_trace(load_problem(f"problems/{problem}.yaml"))
    wide = _terminal_output(lambda c: render_trace_text(trace, 4, c), 400)
    narrow = _terminal_output(lambda c: render_trace_text(trace, 4, c), 60)
    from rich.cells import cell_len

    # Columns on the screen, not code points: the source's h̃ is h and a combining tilde.
    assert all(cell_len(line) <= 60 for line in narrow.splitlines())
    # Every number of the working is whole in the narrow output, as often as in the wide one.
    working, _, summary = narrow.partition("Summary")
    assert sorted(NUMBER.findall(working)) == sorted(NUMBER.findall(wide.partition("Summary")[0]))
    # Every entry of the summary table is whole, on one line.
    from rnncli.render.trace import summary_rows

    _, rows = summary_rows(trace, 4)
    lines = summary.splitlines()
    for row in rows:
        for cell in row[1:]:
            assert any(cell in line for line in lines), cell
    if problem == "lstm-standard":            # seven vector columns: folded, whole columns
        assert summary.startswith(" (1 of 3)")
        assert "│ 1 │ [0.2526, 0.1973]  │ [0.1329, 0.1235]  │" in summary


def test_a_narrow_terminal_wraps_count_roles_and_never_cuts_them():
    from rnncli.render.counts_text import render_count_text
    from rnncli.solve.count_options import count_request

    count = count_request("problems/lstm-2layer-bidirectional.yaml")
    narrow = _terminal_output(lambda c: render_count_text(count, c), 60)
    assert all(len(line) <= 60 for line in narrow.splitlines())
    assert "…" not in narrow
    words = " ".join(narrow.split())
    for row in count.rows:
        assert row.name in narrow and f"({', '.join(map(str, row.shape))}" in narrow
        assert all(word in words for word in row.role.split())
    lines = narrow.splitlines()
    for row in count.rows:             # a row's first line has its name and its whole count
        assert any(line.startswith(row.name + " ") and line.rstrip().endswith(f" {row.count}")
                   for line in lines), row.name


# ---- a read-out the source names --------------------------------------------------------------------

@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_the_books_read_out_o_is_a_quantity_with_a_summary_column(output):
    """The Deep Learning book writes o(t) = c + V h(t), ŷ(t) = softmax(o(t)) (eqs 10.8-10.11)."""
    import numpy as np
    from reference_cells import readout

    from rnncli.files.problem import parse_problem
    from rnncli.render.trace import summary_rows
    from rnncli.solve.trace import run_trace

    params = {"U": [[0.5], [0.2]], "W": [[0.1, 0.2], [0.3, 0.4]], "b": [0, 0.1],
              "V": [[1, -1], [0.5, 0.5]], "c": [0, 0.2]}
    text = (f"cell: rnn\nconvention: goodfellow\noutput: {output}\nparams: {params}\n"
            "inputs: {x: [1, 2]}\n")
    trace = run_trace(parse_problem(text, "p.yaml"))
    header, _ = summary_rows(trace, 4)
    assert header == ["t", "x", "a", "h", "o", "y"]
    squash = {"softmax": lambda a: np.exp(a) / np.exp(a).sum(),
              "sigmoid": lambda a: 1 / (1 + np.exp(-a))}[output]
    for step in trace.steps:
        o = readout("rnn", "goodfellow", params, step.values["h"])
        np.testing.assert_allclose(step.values["o"], o, rtol=1e-12)
        np.testing.assert_allclose(step.values["y"], squash(o), rtol=1e-12)
    linear = run_trace(parse_problem(text.replace(output, "linear"), "p.yaml"))
    assert "o" not in linear.steps[0].values       # o would only repeat y


def test_a_constant_equation_prints_once_and_given_numbers_as_written():
    from click.testing import CliRunner

    from rnncli.cli import cli

    problem = "equations:\n  f: 0\n  k: 0.25\n  h: f + k * x\ninputs: {x: [0.123456]}\n"
    out = CliRunner().invoke(cli, ["trace", "-", "--precision", "1"], input=problem).stdout
    assert "  f(1) = 0\n" in out and "  k(1) = 0.25\n" in out
    assert "  x(1) = 0.123456\n" in out                       # an input, as written
    assert "h(1) = f(1) + k(1)·x(1) = 0 + 0.25·0.123456 = 3e−2\n" in out
    assert "│ 1 │ 0.123456 │ 0 │ 0.25 │ 3e−2 │" in out            # the summary too
    markdown = CliRunner().invoke(cli, ["trace", "-", "--format", "markdown"], input=problem).stdout
    assert "- $f^{(1)} = 0$\n" in markdown


def test_latex_text_keeps_accents_and_never_drops_a_letter():
    from rnncli.render.latex import latex_text

    # A source line of the GRU sheet (h̃ is h and a combining tilde) and a course name.
    assert latex_text("h̃ = tanh(W·[r*h, x])") == r"\~{h} = tanh(W$\cdot$[r*h, x])"
    assert latex_text("Luleå, Méndez, Gödel") == r"Lule\r{a}, M\'{e}ndez, G\"{o}del"
    assert latex_text("a ≠ b ± 1") == r"a $\neq$ b $\pm$ 1"
