"""The printer skeleton: `_print_<Node>` dispatch and one `parenthesize`."""
from __future__ import annotations

from rnncli.language.expression import PRECEDENCE, BinOp, Neg, Node, Number, Value, precedence


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


def format_number(value: float, precision: int = 4) -> str:
    """Returns `value` to `precision` decimals: 0.2610 when rounded, 0.7 or 3 when exact.

    A number that has no more decimals than shown (data such as 0.7, counts)
    drops its trailing zeros; a rounded one keeps them, as a student writes.
    """
    value = float(value)
    text = f"{value:.{precision}f}"
    if "." in text and abs(round(value, precision) - value) <= 1e-12 * max(1.0, abs(value)):
        text = text.rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text


class Printer:
    """Renders an expression tree; subclasses say how each node type is written.

    `step` fixes the step index printed for names (None prints the symbolic t,
    t-1, ...); `precision` is the decimals of substituted values; `scalar(node)`
    tells whether a sub-expression is a scalar, so that `*` of scalars prints
    as a plain product.
    """

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

    def parenthesize(self, node: Node, level: int, strict: bool = False) -> str:
        """Prints `node`, in brackets when it binds looser than `level` (or equally, if strict)."""
        text = self._print(node)
        inner = precedence(node)
        if inner < level or (strict and inner == level):
            return self.brackets(text)
        return text

    def brackets(self, text: str) -> str:
        return f"({text})"

    def operands(self, node: BinOp) -> tuple[str, str]:
        level = PRECEDENCE[node.op]
        if node.op == "**":   # right-associative
            left = self.parenthesize(node.left, level, strict=True)
            if is_negative(node.left):
                left = self.brackets(self._print(node.left))
            return left, self.parenthesize(node.right, level)
        left = self.parenthesize(node.left, level)
        right = self.parenthesize(node.right, level, strict=node.op in "-/@*")
        if node.op != "+" and is_negative(node.right):
            # 0.3·(−0.5) and a − (−1): a bare sign after an operator misreads.
            right = self.brackets(self._print(node.right))
        return left, right

    def step_index(self, lag: int) -> str:
        """Returns the step of a name read `lag` steps back: `3`, `t`, `t-1`."""
        if self.step is None:   # a negative lag is a backward direction's t+1
            return "t" if lag == 0 else f"t-{lag}" if lag > 0 else f"t+{-lag}"
        return str(self.step - lag)

    def number(self, value: float) -> str:
        return format_number(value, self.precision)

    def array_entries(self, value) -> str | list:
        """Returns formatted entries: a string for a scalar, nested lists otherwise."""
        if value.ndim == 0:
            return self.number(value)
        return [self.array_entries(v) for v in value]
