"""Shapes -> which sub-expressions are single numbers, for the printers (no numpy needed).

Kept apart from working.py so that `unroll` and `graph`, which print formulas
but never evaluate them, do not import numpy.
"""
from __future__ import annotations

from rnncli.language.expression import (BinOp, Broadcast, Call, Grad, Name, Neg, Node, Number, Outer,
                                        Part, Step, Transpose, Value)


def scalar_test(shapes: dict):
    """Returns is_scalar(node) for printers: whether a sub-expression is a single number."""
    def is_scalar(node: Node) -> bool:
        if isinstance(node, Number):
            return True
        if isinstance(node, (Name, Step, Grad)):
            return shapes.get(node.name, (None,)) == ()
        if isinstance(node, Call) and node.function in ("sum", "mean"):
            return True
        if isinstance(node, Part):
            return node.scalar
        if isinstance(node, (Outer, Broadcast)):
            return False
        if isinstance(node, Transpose):
            return is_scalar(node.operand)
        if isinstance(node, Value):
            import numpy as np

            return np.ndim(node.value) == 0
        if isinstance(node, (Neg, Call)):
            return is_scalar(node.args[0] if isinstance(node, Call) else node.operand)
        if isinstance(node, BinOp):
            left, right = is_scalar(node.left), is_scalar(node.right)
            if node.op == "@" and (left or right):
                return left and right     # `@` with a scalar scales the other operand
            return left and right
        return False
    return is_scalar
