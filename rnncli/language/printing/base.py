"""The printer skeleton: `_print_<Node>` dispatch, the one precedence table and `parenthesize`."""
from __future__ import annotations

import math

from rnncli.language.expression import BinOp, Neg, Node, Number, Value

# The one precedence table of every printed notation: operator -> (binding strength,
# family). Higher binds tighter. The source language writes Python's operators
# (*, @, / one level, left to right, as the parser reads them); the text and LaTeX
# notations write ⊙ for an elementwise product and · (or juxtaposition) for a
# matrix or scalar product. ⊙ and · share a strength but are different
# families, and an operand of another family at the same strength is always
# bracketed: a reader takes `R ⊙ H·W` as R ⊙ (H·W), whatever Python would do.
PRECEDENCE = {
    "+": (10, "sum"), "-": (10, "sum"),
    "*": (20, "product"), "@": (20, "product"), "/": (20, "product"),
    "·": (20, "product"), "⊙": (20, "hadamard"), "⊗": (20, "outer"),
    "neg": (30, "neg"), "**": (40, "power"), "atom": (100, "atom"),
}


def is_negative(node: Node) -> bool:
    """Returns whether a node prints with a leading minus sign."""
    if isinstance(node, Neg):
        return True
    if isinstance(node, Number):
        return node.value < 0
    if isinstance(node, Value):
        return getattr(node.value, "ndim", 1) == 0 and float(node.value) < 0
    if isinstance(node, BinOp) and node.op != "**":
        return is_negative(node.left)
    return False


def _scientific(value: float, digits: int) -> str:
    """Returns `value` as 1.235e-7: `digits` decimals of the mantissa, trailing zeros dropped."""
    mantissa, _, exponent = f"{value:.{digits}e}".partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def format_number(value: float, precision: int = 4) -> str:
    """Returns a computed `value` to `precision` decimals: 0.2610 when rounded, 0.7 or 3 when exact.

    A number that has no more decimals than shown (data such as 0.7, counts)
    drops its trailing zeros; a rounded one keeps them, as a student writes.
    A nonzero number that would round to 0 (1e-300 at 4 decimals), or one too
    large to write out, is written in scientific form, 1e-300, never as 0.
    """
    value = float(value)
    if not math.isfinite(value):
        return {math.inf: "inf", -math.inf: "-inf"}.get(value, "nan")
    if value != 0 and (abs(value) < 0.5 * 10.0 ** -precision or abs(value) >= 1e15):
        return _scientific(value, max(precision - 1, 0))
    text = f"{value:.{precision}f}"
    if "." in text and abs(round(value, precision) - value) <= 1e-12 * max(1.0, abs(value)):
        text = text.rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text


def format_given(value: float) -> str:
    """Returns a number of the problem file as written: the shortest text that reads back as it.

    `--precision` never rounds the problem's own numbers: 0.25 stays 0.25 at
    one decimal, and 1e-300 stays 1e-300.
    """
    value = float(value)
    if not math.isfinite(value):
        return format_number(value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa.removesuffix('.0')}e{int(exponent)}"
    return text


class Printer:
    """Renders an expression tree; subclasses say how each node type is written.

    `step` fixes the step index printed for names (None prints the symbolic t,
    t-1, ...); `precision` is the decimals of computed values (a Value marked
    `given` and every Number literal print as written); `scalar(node)` tells
    whether a sub-expression is a scalar, so that `*` of scalars prints as a
    plain product.
    """

    # The operators a printed notation writes (see PRECEDENCE): False for the
    # source language, which writes Python's own.
    mathematical = True

    def __init__(self, step: int | None = None, precision: int = 4, scalar=None,
                 constants=frozenset()):
        self.step = step
        self.precision = precision
        self.scalar = scalar or (lambda node: False)
        self.constants = constants   # parameter names: printed without a step index

    def doprint(self, node: Node) -> str:
        return self._print(node)

    def _print(self, node: Node) -> str:
        return getattr(self, "_print_" + type(node).__name__)(node)

    def operator(self, node: BinOp) -> str:
        """Returns the operator a BinOp is written with, as a key of PRECEDENCE."""
        if not self.mathematical:
            return node.op
        if node.op == "*":
            return "·" if self.scalar(node.left) or self.scalar(node.right) else "⊙"
        return "·" if node.op == "@" else node.op

    def binding(self, node: Node) -> tuple[int, str]:
        """Returns (strength, family) of a node as printed, from PRECEDENCE."""
        if isinstance(node, BinOp):
            return PRECEDENCE[self.operator(node)]
        # The nodes of derivatives (language/derivatives.py) that print with an operator.
        kind = type(node).__name__
        if kind == "Outer":
            return PRECEDENCE["⊗"]
        if kind == "Broadcast":
            return PRECEDENCE["·" if self.mathematical else "*"]
        if isinstance(node, Neg) or is_negative(node):
            return PRECEDENCE["neg"]
        return PRECEDENCE["atom"]

    def parenthesize(self, node: Node, outer: str, strict: bool = False) -> str:
        """Prints `node` as an operand of `outer`, in brackets when it binds looser.

        Brackets also when it binds equally and is of another family (⊙ inside
        ·), or of the same family on the `strict` side (a − (b − c)).
        """
        text = self._print(node)
        level, family = PRECEDENCE[outer]
        inner, inner_family = self.binding(node)
        if inner < level or (inner == level and (strict or inner_family != family)):
            return self.brackets(text)
        return text

    def brackets(self, text: str) -> str:
        return f"({text})"

    def operands(self, node: BinOp) -> tuple[str, str]:
        outer = self.operator(node)
        if node.op == "**":   # right-associative
            left = self.parenthesize(node.left, outer, strict=True)
            if is_negative(node.left):
                left = self.brackets(self._print(node.left))
            return left, self.parenthesize(node.right, outer)
        left = self.parenthesize(node.left, outer)
        right = self.parenthesize(node.right, outer, strict=node.op in "-/@*")
        if node.op != "+" and is_negative(node.right):
            # 0.3·(−0.5) and a − (−1): a bare sign after an operator misreads.
            right = self.brackets(self._print(node.right))
        return left, right

    def step_index(self, lag: int) -> str:
        """Returns the step of a name read `lag` steps back: `3`, `t`, `t-1` (`t+1` when negative)."""
        if self.step is None:
            return "t" if lag == 0 else f"t-{lag}" if lag > 0 else f"t+{-lag}"
        return str(self.step - lag)

    def number(self, value: float, given: bool = False) -> str:
        """Returns a number: as written when `given` by the problem, else to `precision`."""
        return format_given(value) if given else format_number(value, self.precision)

    def array_entries(self, value, given: bool = False) -> str | list:
        """Returns formatted entries: a string for a scalar, nested lists otherwise."""
        if value.ndim == 0:
            return self.number(value, given)
        return [self.array_entries(v, given) for v in value]


ACCENT_WORDS = ("tilde", "hat", "bar")


def split_name(name: str) -> tuple[str, str | None, list]:
    """Returns (base, accent word or None, subscript parts) of a quantity name, for every
    mathematical printer: W_xh -> (W, None, [xh]), h_tilde -> (h, tilde, []), h1 -> (h, None, [1])."""
    import re

    parts = name.split("_")
    base, rest = parts[0], parts[1:]
    accent = rest.pop() if rest and rest[-1] in ACCENT_WORDS else None
    match = re.match(r"^([A-Za-z]+)(\d+)$", base)
    if match and not rest:
        base, rest = match.group(1), [match.group(2)]
    return base, accent, rest
