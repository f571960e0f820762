"""LaTeX for solution sheets: \\sigma\\left(W_{f} x^{(t)} + b_{f}\\right), \\odot, x^{(5)}."""
from __future__ import annotations


from rnncli.language.expression import Name, Step, Value
from rnncli.language.functions import FUNCTIONS
from rnncli.language.printing.base import Printer, split_name

# Where a renderer may break a long formula: before a sum's + or -, before a
# product's \odot, after a concatenation's comma.
BREAK = "\x00"

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "sigma",
          "tau", "phi", "psi", "omega", "rho", "xi", "zeta", "kappa", "nu", "pi", "chi"}
_ACCENTS = {"tilde": r"\tilde", "hat": r"\hat", "bar": r"\bar"}


def latex_name(name: str) -> str:
    """Returns a quantity name in LaTeX: W_xh -> W_{xh}, h_tilde -> \\tilde{h}, h1 -> h_{1}."""
    base, accent, rest = split_name(name)
    accent = _ACCENTS.get(accent)
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
        base = r"\mathrm{" + base + "}"
    if accent:
        base = f"{accent}{{{base}}}"
    if rest:
        base += "_{" + r"\_".join(rest) + "}"
    return base


def latex_number(text: str) -> str:
    """Returns a printed number in LaTeX: 1e-300 -> 1 \\cdot 10^{-300}."""
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa} \\cdot 10^{{{exponent}}}" if e else text


class LatexPrinter(Printer):
    """LaTeX math; with `breakable`, BREAK marks where a line may break (for renderers)."""

    def __init__(self, *args, breakable: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.breakable = breakable

    def brackets(self, text):
        return rf"\left({text}\right)"

    def number(self, value, given=False):
        """Returns a number in LaTeX: 0.2610, and 1.5 \\cdot 10^{-300} for scientific form."""
        return latex_number(super().number(value, given))

    def _print_Number(self, node):
        return self.number(node.value, given=True)

    def _print_Value(self, node):
        import numpy as np

        value = np.asarray(node.value, dtype=float)
        if value.ndim == 0:
            return self.number(value, node.given)
        rows = value.reshape(-1, 1) if value.ndim == 1 else value
        body = r" \\ ".join(" & ".join(self.number(v, node.given) for v in row) for row in rows)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"

    def _superscript(self, name: str, index: str) -> str:
        base = latex_name(name)
        return f"{{{base}}}^{{({index})}}" if "_" in base else f"{base}^{{({index})}}"

    def _print_Name(self, node):
        if node.name in self.constants:
            return latex_name(node.name)
        return self._superscript(node.name, self.step_index(node.lag))

    def _print_Step(self, node):
        return self._superscript(node.name, str(node.step))

    def _print_Call(self, node):
        known = FUNCTIONS.get(node.function)
        name = known.latex if known else latex_name(node.function)
        return name + r"\left(" + ", ".join(self._print(a) for a in node.args) + r"\right)"

    def _print_BinOp(self, node):
        if node.op == "/":
            return rf"\frac{{{self._print(node.left)}}}{{{self._print(node.right)}}}"
        left, right = self.operands(node)
        if node.op == "**":
            if isinstance(node.left, (Name, Step)) and node.left.name not in self.constants \
                    or "^" in left and not left.startswith(r"\left("):
                left = self.brackets(left)     # h^{(1)}^{2} is a double superscript
            return f"{left}^{{{self._print(node.right)}}}"
        if node.op == "@":
            scalar = self.scalar(node.left) or self.scalar(node.right)
            return f"{left} \\cdot {right}" if scalar else f"{left} {right}"
        if node.op == "*":
            scalar = self.scalar(node.left) or self.scalar(node.right)
            mark = BREAK if self.breakable else ""
            return f"{left} \\cdot {right}" if scalar else f"{left} {mark}\\odot {right}"
        mark = BREAK if self.breakable and node.op in "+-" else ""
        if node.op == "+" and right.startswith("-") and not right.startswith("--"):
            return f"{left} {mark}- {right[1:]}"
        return f"{left} {mark}{node.op} {right}"

    def _print_Neg(self, node):
        return "-" + self.parenthesize(node.operand, "neg")

    def _print_Concat(self, node):
        if not any(isinstance(i, Value) for i in node.items):
            comma = ", " + BREAK if self.breakable else ", "
            return r"\left[" + comma.join(self._print(i) for i in node.items) + r"\right]"
        # With numbers substituted, the concatenation is one column vector, block by block.
        rows = []
        for item in node.items:
            if isinstance(item, Value) and getattr(item.value, "ndim", 0) == 1:
                rows += [self.number(v, item.given) for v in item.value]
            else:
                rows.append(self._print(item))
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"

    def _print_Grad(self, node):
        if node.name in self.constants:
            target = latex_name(node.name)
        else:
            target = self._superscript(node.name, self.step_index(node.lag))
        return rf"\frac{{\partial L}}{{\partial {target}}}"

    def _print_Derivative(self, node):
        return rf"\frac{{\partial {self._print(node.of)}}}{{\partial {self._print(node.wrt)}}}"

    def _print_Transpose(self, node):
        return "{" + self.parenthesize(node.operand, "atom") + r"}^{\top}"

    def _print_Outer(self, node):
        left = self.parenthesize(node.left, "⊗", strict=True)
        return left + r" \otimes " + self.parenthesize(node.right, "⊗", strict=True)

    def _print_Part(self, node):
        entries = str(node.start + 1) if node.scalar else f"{node.start + 1}..{node.stop}"
        return self.brackets(self._print(node.operand)) + "_{" + entries + "}"

    def _print_Broadcast(self, node):
        return self.parenthesize(node.operand, "·") + r" \mathbf{1}"


def to_latex(node, step: int | None = None, precision: int = 4, scalar=None,
             constants=frozenset()) -> str:
    """Returns `node` in LaTeX (math mode, without the $ delimiters)."""
    return LatexPrinter(step=step, precision=precision, scalar=scalar,
                        constants=constants).doprint(node)
