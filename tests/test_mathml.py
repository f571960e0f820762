"""The MathML printer: well-formed XML, the same tree and brackets as the text and LaTeX printers."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncli.language.equations import parse_expression
from rnncli.language.expression import Value
from rnncli.language.printing.latex import to_latex
from rnncli.language.printing.mathml import mathml_name, to_mathml
from rnncli.language.printing.text import to_text

M = "{http://www.w3.org/1998/Math/MathML}"


def tree(text, **options):
    return ET.fromstring(to_mathml(parse_expression(text, allow_steps=True), **options))


def flat(element) -> str:
    """Returns the characters a reader sees, in order."""
    return "".join(element.itertext())


@pytest.mark.parametrize("source,shown", [
    ("sigmoid(W_f @ x + b_f)", "σ(Wf(t)\u2062x(t)+bf(t))"),
    ("a - (b - c)", "a(t)−(b(t)−c(t))"),
    ("(a + b) * c", "(a(t)+b(t))⊙c(t)"),
    ("-x ** 2", "−(x(t))2"),      # the step in brackets before the power, as in LaTeX
    ("(-x) ** 2", "(−x(t))2"),
    ("a + -0.5", "a(t)−0.5"),
    ("h[t-1]", "h(t−1)"),
    ("x[5] + h[-1]", "x(5)+h(−1)"),
    ("[h[t-1], x]", "[h(t−1),x(t)]"),
    ("f(W @ x[2])", "f(W(t)\u2062x(2))"),
])
def test_text_read_off_the_mathml(source, shown):
    assert flat(tree(source)) == shown


def test_brackets_match_the_latex_and_text_printers():
    for source in ["a - (b - c)", "a / (b * c)", "(a + b) @ (c - d)", "-(a + b)", "a ** (b + c)",
                   "(a - b) - c", "a * (b / c)", "tanh(a) * (1 - z) + z * h[t-1]"]:
        node = parse_expression(source)
        opened = flat(ET.fromstring(to_mathml(node))).count("(")
        latex = to_latex(node).count(r"\left(") + to_latex(node).count("^{(")
        assert opened == latex, source
        if "/" not in source and "**" not in source:   # a fraction bar or a raised exponent needs none
            assert opened == to_text(node).count("("), source


def test_names_as_the_latex_printer_writes_them():
    assert mathml_name("W_xh") == "<msub><mi>W</mi><mi>xh</mi></msub>"
    assert mathml_name("h1") == "<msub><mi>h</mi><mn>1</mn></msub>"
    assert mathml_name("sigma") == "<mi>σ</mi>"
    assert "<mover" in mathml_name("h_tilde") and "~" in mathml_name("h_tilde")


def test_constants_have_no_step_and_products_follow_shapes():
    node = parse_expression("W @ x + b * h")
    scalar = lambda n: getattr(n, "name", "") in ("b",)  # noqa: E731
    element = ET.fromstring(to_mathml(node, step=3, constants=frozenset({"W", "b"}), scalar=scalar))
    assert flat(element) == "W\u2062x(3)+b·h(3)"


def test_values_are_numbers_and_bracketed_columns():
    node = parse_expression("W @ x")
    from rnncli.language.expression import transform

    filled = transform(node, lambda n: Value(np.array([[1.0, -2.5], [0.25, 3]])) if getattr(n, "name", "") == "W"
                       else Value(np.array([0.7, -0.1])) if getattr(n, "name", "") == "x" else None)
    element = ET.fromstring(to_mathml(filled))
    tables = list(element.iter(f"{M}mtable"))
    assert [len(list(t.iter(f"{M}mtr"))) for t in tables] == [2, 2]
    assert flat(tables[0]) == "1−2.50.253"


def test_division_and_powers_use_mfrac_and_msup():
    element = tree("a / (b + 1) ** 2")
    assert element.find(f".//{M}mfrac") is not None and element.find(f".//{M}msup") is not None


def test_display_modes():
    assert 'display="block"' in to_mathml(parse_expression("a"), display=True)


NAMES = st.sampled_from(["a", "b", "W_f", "h1", "x", "h_tilde"])


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        kind = draw(st.integers(0, 2))
        if kind == 0:
            return draw(NAMES)
        if kind == 1:
            return f"{draw(NAMES)}[t-1]"
        return repr(draw(st.floats(-9, 9, allow_nan=False).map(lambda v: round(v, 2))))
    op = draw(st.sampled_from(["+", "-", "*", "/", "@", "**"]))
    left, right = draw(expressions(depth=depth - 1)), draw(expressions(depth=depth - 1))
    form = draw(st.integers(0, 3))
    if form == 0:
        return f"({left}) {op} ({right})"
    if form == 1:
        return f"tanh({left})"
    if form == 2:
        return f"-({left})"
    return f"[{left}, {right}]"


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_every_expression_prints_as_well_formed_mathml_with_balanced_brackets(source):
    node = parse_expression(source)
    element = ET.fromstring(to_mathml(node))
    seen = flat(element)
    assert seen.count("(") == seen.count(")") and seen.count("[") == seen.count("]")
    numbers = [float(n.text) for n in element.iter(f"{M}mn") if re.fullmatch(r"[\d.]+", n.text or "")]
    assert all(n >= 0 for n in numbers)        # signs are operators, never inside a number


def test_the_nodes_of_the_chain_rule_print_as_the_text_printer_reads_them():
    from rnncli.language.expression import (Broadcast, Derivative, Grad, Name, Outer, Part,
                                            Transpose)

    def shown(node, **options):
        return flat(ET.fromstring(to_mathml(node, **options)))

    grad = Grad("h", 1)
    assert shown(grad, step=3) == "∂L∂h(2)"
    assert ET.fromstring(to_mathml(grad, step=3)).find(f"{M}mfrac") is not None
    assert shown(Grad("W"), constants=frozenset(["W"])) == "∂L∂W"
    w, x = Name("W"), Name("x")
    assert shown(Transpose(w), constants=frozenset(["W"])) == "W⊤"
    assert shown(Outer(Grad("s"), x), step=1) == "∂L∂s(1)⊗x(1)"
    assert shown(Part(Grad("z"), 0, 2), step=1) == "(∂L∂z(1))1..2"
    assert shown(Part(x, 1, 2, scalar=True), step=1) == "(x(1))2"
    assert shown(Broadcast(Grad("y"), (2,)), step=1) == "∂L∂y(1)·1"
    assert shown(Derivative(Name("c"), Name("c", 1)), step=4) == "∂c(4)∂c(3)"
    # the same text as the text printer, less its operators' spacing and its fraction slash
    assert to_text(Outer(Grad("s"), x), step=1).replace(" ", "").replace("/", "") == \
        "∂L∂s(1)⊗x(1)"
