"""Presentation MathML for HTML solution sheets: <mi>σ</mi><mo>(</mo>...<mo>)</mo>, x^(t).

The third printer over the one expression tree, beside text and LaTeX, with
the same dispatch and the same brackets (`Printer.parenthesize`). A browser
draws MathML natively, so a sheet needs neither JavaScript nor a network. The
output is well-formed XML: every name is an identifier of the equation
language and every number is printed by `format_number`, so nothing needs
escaping except the titles around it (done by the sheet).
"""
from __future__ import annotations

import re

from rnncli.language.expression import Value
from rnncli.language.functions import FUNCTIONS
from rnncli.language.printing.base import Printer, split_name

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MINUS = "<mo>\u2212</mo>"
INVISIBLE_TIMES = "\u2062"
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
          "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ",
          "psi": "ψ", "omega": "ω", "rho": "ρ", "xi": "ξ", "zeta": "ζ", "kappa": "κ", "nu": "ν",
          "pi": "π", "chi": "χ"}
_ACCENTS = {"tilde": "~", "hat": "^", "bar": "\u00af"}


def mrow(*parts: str) -> str:
    """Returns the parts grouped as one element (needed as a sub- or superscript argument)."""
    return "<mrow>" + "".join(parts) + "</mrow>"


def mathml_name(name: str) -> str:
    """Returns a quantity name in MathML: W_xh -> W with subscript xh, h_tilde -> h̃, h1 -> h₁."""
    base, accent, rest = split_name(name)
    accent = _ACCENTS.get(accent)
    element = f"<mi>{_GREEK.get(base, base)}</mi>"
    if accent:
        element = f'<mover accent="true">{element}<mo>{accent}</mo></mover>'
    if rest:
        sub = "_".join(rest)
        inner = f"<mn>{sub}</mn>" if sub.isdigit() else f"<mi>{sub}</mi>"
        element = f"<msub>{element}{inner}</msub>"
    return element


def _index(text: str) -> str:
    """Returns a step index as MathML: t, t−1, 5, −1."""
    match = re.match(r"^(-?)([A-Za-z0-9]+)(?:-(\d+))?$", text)
    if not match:
        return f"<mi>{text}</mi>"
    sign, head, lag = match.groups()
    out = MINUS if sign else ""
    out += f"<mn>{head}</mn>" if head.isdigit() else f"<mi>{head}</mi>"
    if lag:
        out += MINUS + f"<mn>{lag}</mn>"
    return out


class MathmlPrinter(Printer):
    def brackets(self, text):
        return mrow("<mo>(</mo>", text, "<mo>)</mo>")

    def number(self, value: float, given: bool = False) -> str:
        text = super().number(value, given)
        return MINUS + f"<mn>{text[1:]}</mn>" if text.startswith("-") else f"<mn>{text}</mn>"

    def _print_Number(self, node):
        return self.number(node.value, given=True)

    def _print_Value(self, node):
        import numpy as np

        value = np.asarray(node.value, dtype=float)
        if value.ndim == 0:
            return self.number(value, node.given)
        rows = value.reshape(-1, 1) if value.ndim == 1 else value
        return self.matrix([[self.number(v, node.given) for v in row] for row in rows])

    def matrix(self, rows) -> str:
        """Returns a bracketed table of already printed entries."""
        body = "".join("<mtr>" + "".join(f"<mtd>{e}</mtd>" for e in row) + "</mtr>" for row in rows)
        return mrow("<mo>[</mo>", f"<mtable>{body}</mtable>", "<mo>]</mo>")

    def _superscript(self, name: str, index: str) -> str:
        return f"<msup>{mathml_name(name)}{mrow('<mo>(</mo>', _index(index), '<mo>)</mo>')}</msup>"

    def _print_Name(self, node):
        if node.name in self.constants:
            return mathml_name(node.name)
        return self._superscript(node.name, self.step_index(node.lag))

    def _print_Step(self, node):
        return self._superscript(node.name, str(node.step))

    def _print_Call(self, node):
        known = FUNCTIONS.get(node.function)
        name = f"<mi>{known.text}</mi>" if known else mathml_name(node.function)
        args = "<mo>,</mo>".join(self._print(a) for a in node.args)
        return name + mrow("<mo>(</mo>", args, "<mo>)</mo>")

    def _print_BinOp(self, node):
        if node.op == "/":
            return f"<mfrac>{mrow(self._print(node.left))}{mrow(self._print(node.right))}</mfrac>"
        left, right = self.operands(node)
        if node.op == "**":
            if left.startswith("<msup>"):
                # h(t) squared: the step's superscript in brackets first, as LaTeX does, so
                # that two raised parts never stack into one ambiguous exponent.
                left = self.brackets(left)
            return f"<msup>{mrow(left)}{mrow(self._print(node.right))}</msup>"
        if node.op in "@*":
            scalar = self.scalar(node.left) or self.scalar(node.right)
            sign = "·" if scalar else (INVISIBLE_TIMES if node.op == "@" else "⊙")
            return f"{left}<mo>{sign}</mo>{right}"
        if node.op == "+" and right.startswith(MINUS):
            return f"{left}{MINUS}{right[len(MINUS):]}"
        return f"{left}<mo>{'+' if node.op == '+' else chr(0x2212)}</mo>{right}"

    def _print_Neg(self, node):
        return MINUS + self.parenthesize(node.operand, "neg")

    def _print_Concat(self, node):
        if not any(isinstance(i, Value) for i in node.items):
            return mrow("<mo>[</mo>", "<mo>,</mo>".join(self._print(i) for i in node.items),
                        "<mo>]</mo>")
        # With numbers substituted, the concatenation is one column vector, block by block.
        rows = []
        for item in node.items:
            if isinstance(item, Value) and getattr(item.value, "ndim", 0) == 1:
                rows += [[self.number(v, item.given)] for v in item.value]
            else:
                rows.append([self._print(item)])
        return self.matrix(rows)

    # The nodes of the chain rule (rnncli.language.derivatives): dL/dq(t), Wᵀ, δ ⊗ x, ...

    def _print_Grad(self, node):
        if node.name in self.constants:
            target = mathml_name(node.name)
        else:
            target = self._superscript(node.name, self.step_index(node.lag))
        return f"<mfrac>{mrow('<mi>∂</mi>', '<mi>L</mi>')}{mrow('<mi>∂</mi>', target)}</mfrac>"

    def _print_Derivative(self, node):
        return (f"<mfrac>{mrow('<mi>∂</mi>', self._print(node.of))}"
                f"{mrow('<mi>∂</mi>', self._print(node.wrt))}</mfrac>")

    def _print_Transpose(self, node):
        return f"<msup>{mrow(self.parenthesize(node.operand, 'atom'))}<mi>⊤</mi></msup>"

    def _print_Outer(self, node):
        return (self.parenthesize(node.left, "⊗", strict=True) + "<mo>⊗</mo>"
                + self.parenthesize(node.right, "⊗", strict=True))

    def _print_Part(self, node):
        entries = (f"<mn>{node.start + 1}</mn>" if node.scalar else
                   f"<mn>{node.start + 1}</mn><mo>..</mo><mn>{node.stop}</mn>")
        return f"<msub>{self.brackets(self._print(node.operand))}{mrow(entries)}</msub>"

    def _print_Broadcast(self, node):
        return self.parenthesize(node.operand, "·") + "<mo>·</mo><mn mathvariant=\"bold\">1</mn>"


def math(content: str, display: bool = False, displaystyle: bool = False) -> str:
    """Returns MathML content wrapped in its <math> element (block when `display`).

    `displaystyle` sets a formula in display style but inline, so that it starts at
    the left margin (block formulas are centred by browsers).
    """
    mode = ' display="block"' if display else ' displaystyle="true"' if displaystyle else ""
    return f'<math xmlns="{MATHML_NS}"{mode}>{content}</math>'


def to_mathml(node, step: int | None = None, precision: int = 4, scalar=None,
              constants=frozenset(), display: bool = False) -> str:
    """Returns `node` as a complete <math> element."""
    printer = MathmlPrinter(step=step, precision=precision, scalar=scalar, constants=constants)
    return math(printer.doprint(node), display)
