"""The printer skeleton: `_print_<Node>` dispatch and one `parenthesize`."""
from __future__ import annotations

from rnncli.expression import PRECEDENCE, BinOp, Node, precedence


def format_number(value: float, precision: int = 4) -> str:
    """Returns `value` rounded to `precision` decimals without trailing zeros: 0.175, 0.5436, 3."""
    text = f"{float(value):.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


class Printer:
    """Renders an expression tree; subclasses say how each node type is written.

    `step` fixes the step index printed for names (None prints the symbolic t,
    t-1, ...); `precision` is the decimals of substituted values; `scalar(node)`
    tells whether a sub-expression is a scalar, so that `*` of scalars prints
    as a plain product.
    """

    def __init__(self, step: int | None = None, precision: int = 4, scalar=None):
        self.step = step
        self.precision = precision
        self.scalar = scalar or (lambda node: False)

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
            return self.parenthesize(node.left, level, strict=True), self.parenthesize(node.right, level)
        return (self.parenthesize(node.left, level),
                self.parenthesize(node.right, level, strict=node.op in "-/@*"))

    def step_index(self, lag: int) -> str:
        """Returns the step of a name read `lag` steps back: `3`, `t`, `t-1`."""
        if self.step is None:
            return "t" if lag == 0 else f"t-{lag}"
        return str(self.step - lag)

    def number(self, value: float) -> str:
        return format_number(value, self.precision)

    def array_entries(self, value) -> str | list:
        """Returns formatted entries: a string for a scalar, nested lists otherwise."""
        if value.ndim == 0:
            return self.number(value)
        return [self.array_entries(v) for v in value]
