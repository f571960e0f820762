"""Unicode for terminals and Markdown: σ(U_f·x(1) + W_f·h(0) + b_f), i ⊙ g."""
from __future__ import annotations

from rnncli.language.expression import Value
from rnncli.language.functions import FUNCTIONS
from rnncli.language.printing.base import Printer

_OPERATORS = {"+": " + ", "-": " − ", "/": "/", "@": "·", "**": "^"}


class TextPrinter(Printer):
    def _print_Number(self, node):
        return self.number(node.value, given=True).replace("-", "−")

    def _print_Value(self, node):
        import numpy as np

        value = np.asarray(node.value, dtype=float)
        entries = self.array_entries(value, node.given)
        return self._entries(entries).replace("-", "−")

    def _entries(self, entries) -> str:
        if isinstance(entries, str):
            return entries
        return "[" + ", ".join(self._entries(e) for e in entries) + "]"

    def _print_Name(self, node):
        if node.name in self.constants:
            return node.name
        if node.lag == 0 and self.step is None:
            return f"{node.name}(t)"
        return f"{node.name}({self.step_index(node.lag).replace('-', '−')})"

    def _print_Step(self, node):
        return f"{node.name}({node.step})"

    def _print_Call(self, node):
        known = FUNCTIONS.get(node.function)
        name = known.text if known else node.function
        return f"{name}({', '.join(self._print(a) for a in node.args)})"

    def _print_BinOp(self, node):
        left, right = self.operands(node)
        if node.op == "*":
            both_scalar = self.scalar(node.left) or self.scalar(node.right)
            return f"{left}·{right}" if both_scalar else f"{left} ⊙ {right}"
        if node.op == "+" and right.startswith("−") and not right.startswith("−−"):
            return f"{left} − {right[1:]}"
        return f"{left}{_OPERATORS[node.op]}{right}"

    def _print_Neg(self, node):
        return "−" + self.parenthesize(node.operand, "neg")

    def _print_Concat(self, node):
        # Substituted vectors join into one vector, [0, 0, 1, 0]: printed item by item,
        # [[0, 0], [1, 0]] would read as a matrix.
        parts = [self._print(i)[1:-1] if _is_vector_value(i) else self._print(i)
                 for i in node.items]
        return "[" + ", ".join(parts) + "]"


    def _print_Grad(self, node):
        if node.name in self.constants:
            return f"∂L/∂{node.name}"
        return f"∂L/∂{node.name}({self.step_index(node.lag).replace('-', '−')})"

    def _print_Derivative(self, node):
        return f"∂{self._print(node.of)}/∂{self._print(node.wrt)}"

    def _print_Transpose(self, node):
        return self.parenthesize(node.operand, "atom") + "ᵀ"

    def _print_Outer(self, node):
        return f"{self.parenthesize(node.left, '⊗', strict=True)} ⊗ {self.parenthesize(node.right, '⊗', strict=True)}"

    def _print_Part(self, node):
        entries = str(node.start + 1) if node.scalar else f"{node.start + 1}..{node.stop}"
        return f"{self.parenthesize(node.operand, 'atom')}[{entries}]"

    def _print_Broadcast(self, node):
        return f"{self.parenthesize(node.operand, '·')}·𝟏"


def _is_vector_value(node) -> bool:
    return isinstance(node, Value) and getattr(node.value, "ndim", 0) == 1


def to_text(node, step: int | None = None, precision: int = 4, scalar=None,
            constants=frozenset()) -> str:
    """Returns `node` in Unicode text."""
    return TextPrinter(step=step, precision=precision, scalar=scalar,
                       constants=constants).doprint(node)
