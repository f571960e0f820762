"""The equation language itself: what `unroll --format json` writes and the parser reads."""
from __future__ import annotations

import math

from rnncli.language.printing.base import Printer


def _exact(value: float) -> str:
    """Returns the shortest text that reads back as exactly `value`."""
    value = float(value)
    if value == 0 and math.copysign(1.0, value) < 0:
        return "-0.0"      # int() would lose the sign, and 1/-0.0 is -inf
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


class SourcePrinter(Printer):
    mathematical = False

    def _print_Number(self, node):
        return _exact(node.value)

    def _print_Value(self, node):
        import numpy as np

        value = np.asarray(node.value, dtype=float)
        if value.ndim == 0:
            return _exact(value)
        return str(np.vectorize(_exact, otypes=[object])(value).tolist()).replace("'", "")

    def _print_Name(self, node):
        if node.lag == 0 and self.step is None:
            return node.name
        return f"{node.name}[{self.step_index(node.lag)}]"

    def _print_Step(self, node):
        return f"{node.name}[{node.step}]"

    def _print_Call(self, node):
        return f"{node.function}({', '.join(self._print(a) for a in node.args)})"

    def _print_BinOp(self, node):
        left, right = self.operands(node)
        if node.op == "+" and right.startswith("-") and not right.startswith("--"):
            return f"{left} - {right[1:]}"
        return f"{left} {node.op} {right}"

    def _print_Neg(self, node):
        return "-" + self.parenthesize(node.operand, "neg")

    def _print_Concat(self, node):
        return "[" + ", ".join(self._print(i) for i in node.items) + "]"

    # Derivative nodes have no syntax of their own in the language; they print as
    # calls, which read back as uninterpreted symbols.
    def _print_Grad(self, node):
        if node.lag == 0 and self.step is None:
            return f"grad.{node.name}"
        return f"grad.{node.name}[{self.step_index(node.lag)}]"

    def _print_Derivative(self, node):
        return f"d({self._print(node.of)}, {self._print(node.wrt)})"

    def _print_Transpose(self, node):
        return f"transpose({self._print(node.operand)})"

    def _print_Outer(self, node):
        return f"outer({self._print(node.left)}, {self._print(node.right)})"

    def _print_Part(self, node):
        return f"part({self._print(node.operand)}, {node.start}, {node.stop})"

    def _print_Broadcast(self, node):
        return f"{self.parenthesize(node.operand, '*')} * ones({', '.join(map(str, node.shape))})"


def to_source(node, step: int | None = None) -> str:
    """Returns `node` written in the equation language."""
    return SourcePrinter(step=step).doprint(node)
