"""Cell -> `Unrolled`: the formula of one quantity at one step, every earlier step substituted.

    h[3] = f(W @ x[3] + U @ f(W @ x[2] + U @ f(W @ x[1] + U @ h[0])))

The formula is an expression tree whose leaves are inputs and states at fixed
steps (`expression.Step`) and parameters (`expression.Name`), so each output
format prints it with its own printer. It works on symbols alone: no numbers,
no shapes, and functions the language does not know stay symbols.

A fully unrolled gated cell grows exponentially (an LSTM's h[t-1] feeds four
gates), so sizes are counted while building, one (quantity, step) at a time
from the earliest step up, and the build stops as soon as the limit is passed.
`let` names every (quantity, step) used more than once instead of copying it.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
from rnncli.cells.cell import Cell
from rnncli.errors import ProblemError, RnncliError, UsageError, did_you_mean
from rnncli.language.expression import Name, Node, Step, children, transform, walk
from rnncli.files.problem import Problem

MAX_NODES = 5000      # nodes of the formula and its definitions together
MAX_NESTING = 150     # levels of the tree: printers and Python's parser recurse over it


@dataclass(frozen=True)
class Definition:
    """A named subterm of an unrolled formula (`--let`): `name[step] = formula`."""

    name: str
    step: int
    formula: Node

    @property
    def ref(self) -> str:
        return f"{self.name}[{self.step}]"


@dataclass(frozen=True)
class Unrolled(Displayable):
    problem: Problem
    cell: Cell
    name: str
    step: int
    formula: Node
    lets: tuple             # Definition, each after those it uses; empty without `let`
    depth: int | None       # steps substituted back, None for all of them
    nodes: int              # size of the formula plus its definitions

    @property
    def ref(self) -> str:
        return f"{self.name}[{self.step}]"

    @property
    def leaves(self) -> dict:
        """Returns {"inputs", "states", "params"}: what the formula is written in, in reading order."""
        defined = {(d.name, d.step) for d in self.lets}
        found: dict[str, dict] = {"inputs": {}, "states": {}, "params": {}}
        for tree in [d.formula for d in self.lets] + [self.formula]:
            for node in walk(tree):
                if isinstance(node, Step) and (node.name, node.step) not in defined:
                    kind = "inputs" if node.name in self.cell.inputs else "states"
                    found[kind].setdefault(f"{node.name}[{node.step}]", None)
                elif isinstance(node, Name):
                    found["params"].setdefault(node.name, None)
        return {"inputs": sorted(found["inputs"], key=_by_step),
                "states": sorted(found["states"], key=_by_step), "params": list(found["params"])}


def _by_step(ref: str) -> tuple:
    return int(ref[ref.index("[") + 1:-1]), ref


def unroll(problem: Problem, to: int, quantity: str | None = None, *, depth: int | None = None,
           let: bool = False, cell: Cell | None = None, max_nodes: int = MAX_NODES) -> Unrolled:
    """Returns the formula of `quantity` at step `to` (default: the last equation's quantity).

    `depth` K substitutes only the steps to-K+1 .. to and leaves the quantities
    of step to-K standing; `let` names every (quantity, step) used more than once.
    Raises UsageError when the formula would pass `max_nodes` or MAX_NESTING.
    """
    cell = cell or symbolic_cell(problem)
    quantity = quantity or cell.equations[-1].name
    _check_target(problem, cell, quantity, to)
    if depth is not None and depth < 1:
        raise UsageError("--depth must be at least 1", file=problem.file)
    first = problem.time_start
    last = first + problem.n_steps - 1 if problem.n_steps else None
    # Steps outside (stop, end) stay standing: the initial states, and with --depth K
    # what lies K steps back (a backward direction's "back" is later in time).
    stop = to - depth if depth is not None else first - 1
    end = min(x for x in (to + depth if depth is not None else None,
                          last + 1 if last is not None else None, 10**12) if x is not None)
    target = (quantity, to)
    refuse = _Refusal(problem, target, depth, let)
    needed, uses = _needed(cell, target, (stop, end), max_nodes, refuse)
    builder = _Builder(cell, needed, uses if let else {}, target, max_nodes, refuse)
    order = {e.name: i for i, e in enumerate(cell.equations)}
    # Each block (a layer in one direction) reads only blocks before it and its own
    # earlier steps: a backward direction's earlier steps are the later ones.
    block_of = {n: (i, b.direction) for i, b in enumerate(cell.schedule) for n in b.names}

    def position(key):
        index, direction = block_of[key[0]]
        return index, key[1] if direction == "forward" else -key[1], order[key[0]]

    for key in sorted(needed, key=position):
        builder.build(key)
    lets = tuple(Definition(n, s, builder.built[(n, s)]) for n, s in builder.let_order)
    return Unrolled(problem, cell, quantity, to, builder.built[target], lets, depth, builder.total)


def symbolic_cell(problem: Problem) -> Cell:
    """Returns the cell of a problem for symbolic use, with shapes when its numbers or sizes give them.

    Shapes only decide how a product prints (a scalar product `·` or `⊙`), so a
    problem whose shapes cannot be inferred is still unrolled and drawn. A
    stacked network is its layers and directions written out (cells.network).
    """
    from rnncli.cells.network import network_cell
    from rnncli.files.problem import problem_level

    if problem_level(problem) in ("trace", "shapes"):
        try:
            return network_cell(problem, shapes=True, evaluate=False)[0]
        except RnncliError:
            pass
    return network_cell(problem, shapes=False, evaluate=False)[0]


def _check_target(problem: Problem, cell: Cell, quantity: str, to: int) -> None:
    if quantity not in cell.quantities:
        if quantity in cell.inputs:
            what = f"`{quantity}` is an input; unroll a quantity that an equation defines"
        elif quantity in cell.params:
            what = f"`{quantity}` is a parameter; unroll a quantity that an equation defines"
        else:
            what = f"no quantity `{quantity}`{did_you_mean(quantity, cell.quantities)}"
        raise UsageError(f"--quantity: {what}; the quantities are {', '.join(cell.quantities)}",
                         file=problem.file)
    first = problem.time_start
    last = first + problem.n_steps - 1 if problem.n_steps else None
    if last is None and any(b.direction == "reverse" for b in cell.schedule):
        raise ProblemError("a backward direction starts at the last step: give `steps` (or "
                           "`inputs`) to unroll it", file=problem.file,
                           line=problem.line("bidirectional"))
    if to < first or (last is not None and to > last):
        steps = f"{first}..{last}" if last is not None else f"{first} and later"
        # The line that sets the steps: where the user looks to see why.
        line = problem.line("steps") if problem.steps is not None else problem.line("inputs")
        raise UsageError(f"--to {to}: the steps of this problem are {steps}", file=problem.file,
                         line=line if last is not None else None)


def _needed(cell: Cell, target: tuple, window: tuple, max_nodes: int, refuse):
    """Returns the (quantity, step) pairs the target expands into, and how often each is read.

    Each pair adds at least one term, so more pairs than `max_nodes` is refused
    here, before a formula of a million steps is walked.
    """
    quantities = set(cell.quantities)
    reads = {e.name: [n for n in walk(e.expr) if isinstance(n, Name) and n.name in quantities]
             for e in cell.equations}
    stop, end = window
    needed, uses, stack = {target}, {}, [target]
    while stack:
        name, step = stack.pop()
        for node in reads[name]:
            key = (node.name, step - node.lag)
            if key[1] <= stop or key[1] >= end:
                continue
            uses[key] = uses.get(key, 0) + 1
            if key not in needed:
                needed.add(key)
                stack.append(key)
                if len(needed) > max_nodes:
                    refuse(key, f"more than {max_nodes} terms")
    return needed, uses


class _Builder:
    """Builds (quantity, step) formulas bottom-up, keeping each one's size and nesting."""

    def __init__(self, cell, needed, uses, target, max_nodes, refuse):
        self.cell = cell
        self.needed, self.target, self.max_nodes = needed, target, max_nodes
        self.lets = {k for k, n in uses.items() if n > 1 and k != target}
        self.refuse = refuse
        self.params = set(cell.params)
        self.quantities = set(cell.quantities)
        self.built: dict[tuple, Node] = {}
        self.size: dict[tuple, int] = {}
        self.nesting: dict[tuple, int] = {}
        self.let_order: list[tuple] = []
        self.total = 0

    def build(self, key: tuple) -> None:
        name, step = key
        expr = self.cell.equation(name).expr
        replaced: dict[Name, tuple[Node, int, int]] = {}
        for node in walk(expr):
            if isinstance(node, Name) and node not in replaced:
                replaced[node] = self._leaf(node, step)
        size = sum(1 for n in walk(expr) if not isinstance(n, Name)) + sum(
            replaced[n][1] for n in walk(expr) if isinstance(n, Name))
        nesting = _nesting(expr, {n: r[2] for n, r in replaced.items()})
        formula = transform(expr, lambda n: replaced[n][0] if isinstance(n, Name) else None)
        self.built[key], self.size[key], self.nesting[key] = formula, size, nesting
        if key in self.lets or key == self.target:
            self.total += size
            if key in self.lets:
                self.let_order.append(key)
        if size > self.max_nodes or self.total > self.max_nodes:
            self.refuse(key, f"more than {self.max_nodes} terms")
        if nesting > MAX_NESTING:
            self.refuse(key, f"nested more than {MAX_NESTING} levels deep")

    def _leaf(self, node: Name, step: int) -> tuple[Node, int, int]:
        """Returns (replacement, its size, its nesting) for a name read at `step`."""
        if node.name in self.params:
            return node, 1, 1
        at = step - node.lag
        key = (node.name, at)
        if node.name not in self.quantities or key not in self.needed or key in self.lets:
            return Step(node.name, at), 1, 1
        return self.built[key], self.size[key], self.nesting[key]


@dataclass(frozen=True)
class _Refusal:
    """Raises the one-line error of a formula too large, saying what would make it fit."""

    problem: Problem
    target: tuple
    depth: int | None
    let: bool

    def __call__(self, at: tuple, why: str):
        name, step = self.target
        hints = [] if self.let else ["--let to name repeated terms"]
        hints.append(f"--depth {max(1, self.depth // 2)}" if self.depth
                     else "--depth K to substitute only K steps back")
        raise UsageError(f"the unrolled formula of {name}[{step}] would be {why} (at "
                         f"{at[0]}[{at[1]}]); use " + " or ".join(hints), file=self.problem.file)


def _nesting(expr: Node, leaves: dict) -> int:
    """Returns the levels of `expr` once each Name is replaced by a tree `leaves[name]` deep."""
    if isinstance(expr, Name):
        return leaves[expr]
    inner = [_nesting(child, leaves) for child in children(expr)]
    return 1 + max(inner, default=0)

