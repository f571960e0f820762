"""Differentiation as a transformation of the one expression tree.

`vjp(expr, adjoint, shape_of)` returns, for every name an expression reads,
the vector-Jacobian product adjoint·∂expr/∂name as a new expression tree,
built by one rule per node type:

    a + b, a - b      the adjoint passes to both sides (negated on the right of -)
    a * b             product rule: adjoint ⊙ b to a, adjoint ⊙ a to b
    a / b             quotient rule: adjoint / b to a, −adjoint ⊙ a / b² to b
    a ** c            power rule: adjoint ⊙ c·a^(c−1)
    W @ x             the transposed factor: adjoint ⊗ x to W, Wᵀ @ adjoint to x
    f(z)              elementwise f: adjoint ⊙ f′(z), f′ written in the equation
                      language in rnncli.language.functions (a diagonal Jacobian);
                      softmax: y ⊙ (adjoint − sum(adjoint ⊙ y)); sum, mean: broadcast
    [a, b]            the adjoint is split back into the parts
    a scalar combined with a vector receives the sum of its terms.

The trees print with the ordinary printers and evaluate with the ordinary
evaluator (rnncli.solve.trace); nothing here computes a number.
"""
from __future__ import annotations

from functools import lru_cache

from rnncli.language.expression import (BinOp, Broadcast, Call, Concat, Grad, Name, Neg, Node,
                                        Number, Outer, Part, Step, Transpose, Value, transform)
from rnncli.language.functions import FUNCTIONS


class NotDifferentiable(ValueError):
    """An expression the chain rule cannot go through (an unknown function)."""


# ---- shapes -------------------------------------------------------------------------------

def shape_function(shapes: dict):
    """Returns shape_of(node) -> tuple, from the shapes of the names (a cell's `shapes`)."""
    def shape_of(node: Node) -> tuple:
        if isinstance(node, Number):
            return ()
        if isinstance(node, (Name, Step, Grad)):
            return tuple(shapes[node.name])
        if isinstance(node, Value):
            import numpy as np

            return np.shape(node.value)
        if isinstance(node, Neg):
            return shape_of(node.operand)
        if isinstance(node, Call):
            function = FUNCTIONS.get(node.function)
            return () if function is not None and function.reduces else shape_of(node.args[0])
        if isinstance(node, Concat):
            return (sum(_size(shape_of(i)) for i in node.items),)
        if isinstance(node, Transpose):
            return tuple(reversed(shape_of(node.operand)))
        if isinstance(node, Outer):
            return (_size(shape_of(node.left)), _size(shape_of(node.right)))
        if isinstance(node, Part):
            return () if node.scalar else (node.stop - node.start,)
        if isinstance(node, Broadcast):
            return tuple(node.shape)
        if isinstance(node, BinOp):
            left, right = shape_of(node.left), shape_of(node.right)
            if node.op == "@":
                return _matmul_shape(left, right)
            return left if len(left) >= len(right) else right
        raise TypeError(node)
    return shape_of


def _size(shape: tuple) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


def _matmul_shape(left: tuple, right: tuple) -> tuple:
    if left == () and right == ():
        return ()
    if right == () and len(left) == 2 and left[1] == 1:
        return (left[0],)
    if left == () and len(right) == 2 and right[0] == 1:
        return (right[1],)
    if left == () or right == ():
        return left or right
    return left[:-1] + right[1:]


# ---- trees with light simplification ---------------------------------------------------------
# A derivative written naively is full of ·1 and +0; these constructors leave
# them out, so that the printed working is what a student writes.

def _number(node) -> float | None:
    return node.value if isinstance(node, Number) else None


def add(a: Node | None, b: Node | None) -> Node | None:
    """Returns a + b (None stands for no term at all)."""
    if a is None or _number(a) == 0:
        return b
    if b is None or _number(b) == 0:
        return a
    if isinstance(b, Neg):
        return BinOp("-", a, b.operand)
    return BinOp("+", a, b)


def neg(a: Node) -> Node:
    if isinstance(a, Number):
        return Number(-a.value)
    if isinstance(a, Neg):
        return a.operand
    return Neg(a)


def mul(a: Node, b: Node) -> Node:
    """Returns the elementwise product a ⊙ b, numbers folded."""
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return Number(x * y)
    if x == 0 or y == 0:
        return Number(0.0)
    if x == 1:
        return b
    if y == 1:
        return a
    if x == -1:
        return neg(b)
    if y == -1:
        return neg(a)
    if isinstance(a, Neg):
        return neg(mul(a.operand, b))
    if isinstance(b, Neg):
        return neg(mul(a, b.operand))
    # c·(k·u) = (c·k)·u: 0.5·(2·u) is u, as on paper.
    if x is not None and isinstance(b, BinOp) and b.op == "*" and _number(b.left) is not None:
        return mul(Number(x * b.left.value), b.right)
    if y is not None and x is None:
        return mul(b, a)
    if isinstance(b, BinOp) and b.op == "*":     # a ⊙ (b ⊙ c) reads as a ⊙ b ⊙ c
        return BinOp("*", mul(a, b.left), b.right)
    return BinOp("*", a, b)


def div(a: Node, b: Node) -> Node:
    if _number(b) == 1:
        return a
    if _number(a) == 0:
        return Number(0.0)
    return BinOp("/", a, b)


def power(a: Node, exponent: float) -> Node:
    if exponent == 1:
        return a
    if exponent == 0:
        return Number(1.0)
    return BinOp("**", a, Number(exponent))


# ---- the rules -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _derivative_tree(function: str) -> Node:
    from rnncli.language.equations import parse_expression

    return parse_expression(FUNCTIONS[function].derivative)


def function_derivative(function: str, argument: Node, value: Node) -> Node:
    """Returns f′(argument) as a tree, with `value` standing for f(argument)."""
    if function not in FUNCTIONS or FUNCTIONS[function].derivative is None:
        raise NotDifferentiable(f"`{function}` has no derivative rnncli knows")
    tree = _derivative_tree(function)

    def leaf(node):
        if isinstance(node, Name) and node.name == "z":
            return argument
        if isinstance(node, Name) and node.name == "y":
            return value
        return None

    return _simplify(transform(tree, leaf))


def _simplify(node: Node) -> Node:
    """Returns a tree rebuilt through the simplifying constructors (1 − 0, u ** 1)."""
    if isinstance(node, BinOp):
        left, right = _simplify(node.left), _simplify(node.right)
        if node.op == "*":
            return mul(left, right)
        if node.op == "/":
            return div(left, right)
        if node.op == "+":
            return add(left, right) or Number(0.0)
        if node.op == "-" and _number(right) == 0:
            return left
        return BinOp(node.op, left, right)
    return node


def vjp(expr: Node, adjoint: Node, shape_of, value: Node | None = None) -> dict:
    """Returns {Name: adjoint·∂expr/∂Name} for every name `expr` reads (lags kept apart).

    `value` is a tree standing for the value of `expr` itself (the quantity an
    equation defines), used where a derivative is written through the function's
    value: σ′ = σ(1 − σ) reads f(t), not the whole pre-activation again.
    """
    found: dict = {}

    def emit(name: Name, term: Node) -> None:
        found[name] = add(found.get(name), term)

    def reduce(term: Node, operand: Node, whole: Node) -> Node:
        # A scalar broadcast over a vector collects the terms of every entry.
        if shape_of(operand) == () and shape_of(whole) != ():
            return Call("sum", (term,))
        return term

    def go(node: Node, a: Node, own_value: Node | None) -> None:
        if isinstance(node, Name):
            emit(node, a)
        elif isinstance(node, (Number, Value, Step)):
            return
        elif isinstance(node, Neg):
            go(node.operand, neg(a), None)
        elif isinstance(node, BinOp):
            _binop(node, a)
        elif isinstance(node, Call):
            _call(node, a, own_value)
        elif isinstance(node, Concat):
            start = 0
            for item in node.items:
                shape = shape_of(item)
                size = _size(shape)
                go(item, Part(a, start, start + size, scalar=shape == ()), None)
                start += size
        else:
            raise NotDifferentiable(f"cannot differentiate {type(node).__name__}")

    def fitted(a: Node, operand: Node) -> Node:
        # sum's 1-vector is not needed where the other factor has that shape already:
        # 0.5·𝟏 ⊙ 2·(y − t) is 0.5·2·(y − t).
        if isinstance(a, Broadcast) and shape_of(operand) == tuple(a.shape):
            return a.operand
        return a

    def _binop(node: BinOp, a: Node) -> None:
        left, right = node.left, node.right
        if node.op in "+-":
            go(left, reduce(a, left, node), None)
            go(right, reduce(a if node.op == "+" else neg(a), right, node), None)
        elif node.op == "*":
            go(left, reduce(mul(fitted(a, right), right), left, node), None)
            go(right, reduce(mul(fitted(a, left), left), right, node), None)
        elif node.op == "/":
            go(left, reduce(div(a, right), left, node), None)
            go(right, reduce(neg(div(mul(a, left), power(right, 2))), right, node), None)
        elif node.op == "**":
            if isinstance(right, Number):
                factor = mul(Number(right.value), power(left, right.value - 1))
                go(left, reduce(mul(fitted(a, left), factor), left, node), None)
            else:
                go(left, reduce(mul(a, mul(right, BinOp("**", left, BinOp("-", right, Number(1.0))))),
                                left, node), None)
                go(right, reduce(mul(a, mul(Call("log", (left,)), node)), right, node), None)
        elif node.op == "@":
            _matmul(node, a)
        else:
            raise NotDifferentiable(f"cannot differentiate `{node.op}`")

    def _matmul(node: BinOp, a: Node) -> None:
        left, right = node.left, node.right
        ls, rs = shape_of(left), shape_of(right)
        if ls == () and rs == ():
            go(left, mul(a, right), None)
            go(right, mul(a, left), None)
        elif rs == () and len(ls) == 2 and ls[1] == 1:      # W (m, 1) @ number
            go(left, Outer(a, right), None)
            go(right, BinOp("@", Transpose(left), a), None)
        elif ls == () and len(rs) == 2 and rs[0] == 1:      # number @ W (1, m)
            go(left, BinOp("@", right, a), None)
            go(right, Outer(left, a), None)
        elif ls == () or rs == ():                          # `@` with a number scales
            go(left, reduce(mul(a, right), left, node), None)
            go(right, reduce(mul(a, left), right, node), None)
        elif len(ls) == 2 and len(rs) == 1:                 # W @ x
            go(left, Outer(a, right), None)
            go(right, BinOp("@", Transpose(left), a), None)
        elif len(ls) == 1 and len(rs) == 2:                 # v @ M (a row vector)
            go(left, BinOp("@", right, a), None)
            go(right, Outer(left, a), None)
        elif len(ls) == 1 and len(rs) == 1:                 # a dot product
            go(left, mul(a, right), None)
            go(right, mul(a, left), None)
        else:                                               # A @ B
            go(left, BinOp("@", a, Transpose(right)), None)
            go(right, BinOp("@", Transpose(left), a), None)

    def _call(node: Call, a: Node, own_value: Node | None) -> None:
        argument = node.args[0]
        result = own_value if own_value is not None else node
        if node.function == "softmax":
            go(argument, mul(result, BinOp("-", a, Call("sum", (mul(a, result),)))), None)
        elif node.function == "sum":
            shape = shape_of(argument)
            go(argument, Broadcast(a, shape) if shape != () else a, None)
        elif node.function == "mean":
            shape = shape_of(argument)
            scaled = div(a, Number(float(_size(shape))))
            go(argument, Broadcast(scaled, shape) if shape != () else scaled, None)
        else:
            derivative = function_derivative(node.function, argument, result)
            go(argument, mul(a, derivative), None)

    go(expr, adjoint, value)
    return found


def row_form(node: Node, shape_of) -> Node:
    """Returns `node` with every Wᵀ @ v (v a vector) as v @ W, for evaluation.

    The same number without a transposed copy; and a stack of adjoints, one per
    row (as `jacobian` carries them), goes through unchanged.
    """
    if isinstance(node, BinOp):
        left, right = row_form(node.left, shape_of), row_form(node.right, shape_of)
        if (node.op == "@" and isinstance(node.left, Transpose)
                and len(shape_of(node.right)) == 1):
            return BinOp("@", right, row_form(node.left.operand, shape_of))
        return BinOp(node.op, left, right)
    if isinstance(node, (Neg, Call, Concat, Transpose, Outer, Part, Broadcast)):
        return transform(node, lambda n: None if n is node else row_form(n, shape_of))
    return node
