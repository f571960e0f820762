"""The one expression tree that every stage shares.

Equations are parsed into these nodes (`equations.parse_expression`), shapes
are inferred over them, the evaluator compiles them, and one printer per
output format renders them. Nodes are small, frozen and hashable; children are
ordered, so a walk gives the order a student writes things down in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union


@dataclass(frozen=True)
class Number:
    """A literal number of an equation (`0.5`)."""

    value: float


@dataclass(frozen=True)
class Name:
    """A quantity, input or parameter; `lag` k reads it at step t-k."""

    name: str
    lag: int = 0


@dataclass(frozen=True)
class Step:
    """A quantity at a fixed step (`h[0]`, `x[5]`): what `unroll` produces."""

    name: str
    step: int


@dataclass(frozen=True, eq=False)
class Value:
    """A computed number, vector or matrix standing in for a sub-expression.

    Produced only when a printer shows the working with numbers substituted.
    `given` marks a number of the problem file (a parameter, an input, an
    initial state), which printers write as written, not rounded.
    """

    value: object
    given: bool = False


@dataclass(frozen=True)
class Call:
    """An allowed function applied to its arguments (`tanh(z)`)."""

    function: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    """A binary operation (`W @ x`, `a + b`)."""

    op: str          # one of + - * / @ **
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Neg:
    """A negation (`-a`)."""

    operand: "Node"


@dataclass(frozen=True)
class Concat:
    """Vectors stacked into one (`[h, x]`)."""

    items: tuple


@dataclass(frozen=True)
class Grad:
    """The total derivative dL/d`name` at step t-`lag` (a negative lag is a later step).

    Produced by differentiation (rnncli.language.derivatives), never by the parser.
    """

    name: str
    lag: int = 0


@dataclass(frozen=True)
class Transpose:
    """The transpose of a matrix (Wᵀ), as the chain rule through `W @ x` writes it."""

    operand: "Node"


@dataclass(frozen=True)
class Outer:
    """The outer product of two vectors (δ ⊗ x = δ xᵀ): a matrix's gradient."""

    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Part:
    """Entries start..stop-1 of a vector (one entry, as a number, when `scalar`).

    The gradient of a concatenation `[a, b]` is split back into its parts.
    """

    operand: "Node"
    start: int
    stop: int
    scalar: bool = False


@dataclass(frozen=True)
class Broadcast:
    """A number repeated into a vector or matrix of `shape` (the gradient through `sum`)."""

    operand: "Node"
    shape: tuple


@dataclass(frozen=True)
class Derivative:
    """The partial derivative ∂of/∂wrt of two names (written, not evaluated: `jacobian`)."""

    of: "Node"
    wrt: "Node"


Node = Union[Number, Name, Step, Value, Call, BinOp, Neg, Concat, Grad, Transpose, Outer, Part,
             Broadcast, Derivative]

def children(node: Node) -> tuple:
    """Returns the direct sub-expressions of a node, in order."""
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, (Call,)):
        return node.args
    if isinstance(node, Concat):
        return node.items
    if isinstance(node, (Transpose, Part, Broadcast)):
        return (node.operand,)
    if isinstance(node, Outer):
        return (node.left, node.right)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Yields a node and all its descendants, depth first, left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def names(node: Node) -> list[Name]:
    """Returns the Name nodes of an expression, in reading order, without repeats."""
    seen: dict[Name, None] = {}
    for sub in walk(node):
        if isinstance(sub, Name):
            seen.setdefault(sub, None)
    return list(seen)


def transform(node: Node, leaf) -> Node:
    """Returns a copy of `node` where `leaf(n)` replaced the nodes that it maps.

    `leaf` is asked about every node, parents first, and returns a replacement
    node or None to keep the node and look inside it.
    """
    replacement = leaf(node)
    if replacement is not None:
        return replacement
    if isinstance(node, BinOp):
        return BinOp(node.op, transform(node.left, leaf), transform(node.right, leaf))
    if isinstance(node, Neg):
        return Neg(transform(node.operand, leaf))
    if isinstance(node, Call):
        return Call(node.function, tuple(transform(a, leaf) for a in node.args))
    if isinstance(node, Concat):
        return Concat(tuple(transform(a, leaf) for a in node.items))
    if isinstance(node, Transpose):
        return Transpose(transform(node.operand, leaf))
    if isinstance(node, Outer):
        return Outer(transform(node.left, leaf), transform(node.right, leaf))
    if isinstance(node, Part):
        return Part(transform(node.operand, leaf), node.start, node.stop, node.scalar)
    if isinstance(node, Broadcast):
        return Broadcast(transform(node.operand, leaf), node.shape)
    return node


def drop_names(node: Node, dropped: set) -> Node | None:
    """Returns `node` with the terms of a sum that are dropped names removed.

    Used by `bias: false`: `W @ x + b` becomes `W @ x`. Returns None when the
    whole expression was a dropped name.
    """
    if isinstance(node, Name) and node.name in dropped:
        return None
    if isinstance(node, BinOp):
        left = drop_names(node.left, dropped)
        right = drop_names(node.right, dropped)
        if node.op in "+-":
            if left is None and right is None:
                return None
            if left is None:
                return right if node.op == "+" else Neg(right)
            if right is None:
                return left
        elif left is None or right is None:
            return Number(0.0)
        return BinOp(node.op, left, right)
    if isinstance(node, Neg):
        inner = drop_names(node.operand, dropped)
        return None if inner is None else Neg(inner)
    if isinstance(node, Call):
        args = tuple(drop_names(a, dropped) for a in node.args)
        return Call(node.function, tuple(Number(0.0) if a is None else a for a in args))
    if isinstance(node, Concat):
        return Concat(tuple(a for a in (drop_names(i, dropped) for i in node.items) if a is not None))
    return node
