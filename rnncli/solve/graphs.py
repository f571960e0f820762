"""Cell -> `Graph`: the folded and the unfolded computational graph (Deep Learning book, §10.1).

Folded: a node per input and quantity, an edge per dependency; an edge that
carries a value read at t-k is a delay of k steps (the book's black square).
Unfolded over T steps: a node per input and quantity per step (`h1[2]`) and
per initial state (`h1[0]`); every edge runs within a step or from an earlier
step to a later one, so there are no delays and no self-loops.

Parameters are not nodes. An edge may carry the parameters that multiply its
source in the equation (U on x -> h, W on h -> h), as the book labels them.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
from rnncli.cells.cell import Cell
from rnncli.errors import UsageError
from rnncli.language.expression import BinOp, Call, Name, Neg, Node, children, names
from rnncli.files.problem import Problem

MAX_UNFOLD = 100


@dataclass(frozen=True)
class GraphNode:
    id: str             # "h1" folded, "h1[2]" unfolded
    name: str
    step: int | None    # None in the folded graph
    kind: str           # "input", "quantity" or "initial" (a value before the first step)


@dataclass(frozen=True)
class GraphEdge:
    source: str         # node ids
    target: str
    delay: int          # steps the value is held: 0 within a step; always 0 when unfolded
    params: tuple       # parameters multiplying the source, when asked for


@dataclass(frozen=True)
class Graph(Displayable):
    title: str | None
    unfolded: bool
    steps: tuple        # the steps drawn, unfolded; () folded
    nodes: tuple        # GraphNode: inputs, then quantities in evaluation order (per step)
    edges: tuple        # GraphEdge, by target, each target's sources in reading order
    inputs_by_name: tuple = ()   # inputs taken by their name alone (x, x1, x_t; no `inputs:`)


def build_graph(problem: Problem, unfold: int | None = None, *, params: bool = False,
                cell: Cell | None = None) -> Graph:
    """Returns the folded graph of a problem's cell, or the graph unfolded over `unfold` steps."""
    from rnncli.solve.unrolling import refuse_layers, symbolic_cell

    refuse_layers(problem)
    cell = cell or symbolic_cell(problem)
    reads = _reads(cell, params)
    if unfold is None:
        return _folded(problem, cell, reads)
    if not 1 <= unfold <= MAX_UNFOLD:
        raise UsageError(f"--unfold takes 1 to {MAX_UNFOLD} steps, not {unfold}", file=problem.file)
    return _unfolded(problem, cell, reads, unfold)


def _reads(cell: Cell, with_params: bool) -> dict:
    """Returns quantity -> [(source, lag, params)]: the inputs and quantities each equation reads."""
    sources = set(cell.inputs) | set(cell.quantities)
    constants = set(cell.params)
    reads = {}
    for equation in cell.equations:
        labels = edge_params(equation.expr, constants) if with_params else {}
        reads[equation.name] = [(n.name, n.lag, tuple(labels.get((n.name, n.lag), ())))
                                for n in names(equation.expr) if n.name in sources]
    return reads


def edge_params(expr: Node, params: set) -> dict:
    """Returns (name, lag) -> the parameters that multiply it in `expr` (U in U @ x, V in h * V).

    A parameter labels every source in the other operand of its `@` or `*`,
    looking through sums, products and concatenations but not into function
    calls: in U @ f(W @ x) the input is multiplied by W, not U.
    """
    labels: dict[tuple, list] = {}

    def factor(node: Node) -> str | None:
        if isinstance(node, Neg):
            node = node.operand
        return node.name if isinstance(node, Name) and node.name in params else None

    def visit(node: Node, factors: tuple) -> None:
        if isinstance(node, Name):
            if node.name not in params:
                found = labels.setdefault((node.name, node.lag), [])
                found.extend(p for p in factors if p not in found)
            return
        if isinstance(node, BinOp) and node.op in "@*":
            left, right = factor(node.left), factor(node.right)
            visit(node.left, factors + ((right,) if right else ()))
            visit(node.right, factors + ((left,) if left else ()))
            return
        for child in children(node):
            visit(child, () if isinstance(node, Call) else factors)

    visit(expr, ())
    return labels


def _folded(problem: Problem, cell: Cell, reads: dict) -> Graph:
    nodes = [GraphNode(n, n, None, "input") for n in cell.inputs]
    nodes += [GraphNode(q, q, None, "quantity") for q in cell.quantities]
    edges = [GraphEdge(source, target, lag, labels)
             for target in cell.quantities for source, lag, labels in reads[target]]
    return Graph(problem.title, False, (), tuple(nodes), tuple(edges), cell.inputs_by_name)


def _unfolded(problem: Problem, cell: Cell, reads: dict, count: int) -> Graph:
    first = problem.time_start
    steps = tuple(range(first, first + count))
    initial: dict[str, GraphNode] = {}
    nodes, edges = [], []
    for t in steps:
        nodes += [GraphNode(f"{n}[{t}]", n, t, "input") for n in cell.inputs]
        nodes += [GraphNode(f"{q}[{t}]", q, t, "quantity") for q in cell.quantities]
        for target in cell.quantities:
            for source, lag, labels in reads[target]:
                at = t - lag
                ref = f"{source}[{at}]"
                if at < first and ref not in initial:
                    initial[ref] = GraphNode(ref, source, at, "initial")
                edges.append(GraphEdge(ref, f"{target}[{t}]", 0, labels))
    ordered = sorted(initial.values(), key=lambda n: (n.step, _order(cell, n.name)))
    return Graph(problem.title, True, steps, tuple(ordered + nodes), tuple(edges),
                 cell.inputs_by_name)


def _order(cell: Cell, name: str) -> int:
    everything = list(cell.inputs) + list(cell.quantities)
    return everything.index(name)
