"""Cell + loss -> the chain rule of back-propagation through time, compiled once.

For every quantity q, dL/dq(t) is the sum of one term per reader of q(t): the
loss, and every equation that reads q at t or at t-k (docs/gradients.md). Each
term is a vector-Jacobian product of the reader's expression tree
(rnncli.language.derivatives), shifted into q's frame for printing and
compiled by the trace's evaluator for the numbers; a parameter's terms are the
same products, with an outer product kept as its two factors. solve/gradients.py
evaluates the plan from the last step back to the first.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from rnncli.cells.cell import Cell
from rnncli.errors import EquationError, ProblemError, did_you_mean
from rnncli.files.problem import LossSpec, Problem
from rnncli.language.derivatives import NotDifferentiable, row_form, shape_function, vjp
from rnncli.language.expression import Grad, Name, Node, Number, Outer, names, transform, walk
from rnncli.solve.trace import compile_expression


@dataclass(frozen=True)
class Term:
    """One reader's share of dL/dq(t): reader `loss` or an equation, `shift` steps later."""

    quantity: str
    reader: str
    shift: int
    symbolic: Node               # in q's frame: names at t, t-1, t+1 ...
    frame: Node = field(repr=False)          # in the reader's frame, for evaluation
    evaluate: Callable = field(repr=False, compare=False)
    # `frame` with the reader's shared subtrees read by name (what `evaluate` computes)
    evaluation_frame: Node | None = field(default=None, repr=False, compare=False)
    # a parameter's outer product δ ⊗ x, compiled as its two factors: summed over the
    # steps as one matrix product
    outer: tuple | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Plan:
    """The chain rule of a cell, in symbols: the terms of every quantity and parameter."""

    loss: LossSpec
    quantities: dict             # q -> tuple of Term
    params: dict                 # p -> tuple of Term (shift 0)
    trainable: tuple
    # reader -> ((key, compiled subtree), ...): parts of its terms computed once per step
    # (the gradient at a gate's pre-activation, read by its weights and by h[t-1])
    shared: dict = field(default_factory=dict)


def _shift(node: Node, shift: int) -> Node:
    """Returns a reader's term moved into the frame of the quantity it differentiates."""
    if shift == 0:
        return node

    def leaf(n):
        if isinstance(n, Name) and n.lag:
            return Name(n.name, n.lag - shift)
        if isinstance(n, Name):
            return Name(n.name, -shift)
        if isinstance(n, Grad):
            return Grad(n.name, n.lag - shift)
        return None

    return transform(node, leaf)


def _params_named(node: Node, params: set) -> Node:
    # Parameters have no step: a lag on them would print as W(t-1).
    return transform(node, lambda n: Name(n.name) if isinstance(n, Name) and n.name in params
                     else None)


def build_plan(problem: Problem, cell: Cell, loss: LossSpec) -> Plan:
    """Returns the chain rule of the cell and loss: every term, compiled once."""
    shape_of = shape_function(cell.shapes)
    params = set(cell.params)
    trainable = tuple(p for p in cell.params if p not in problem.fixed)
    quantity_terms = {q: [] for q in cell.quantities}
    param_terms = {p: [] for p in trainable}
    readers = [(e.name, e.expr, Grad(e.name), Name(e.name), e) for e in cell.equations]
    readers.append(("loss", loss.expr, Number(1.0), None, None))
    for reader, expr, adjoint, value, equation in readers:
        try:
            found = vjp(expr, adjoint, shape_of, value=value)
        except NotDifferentiable as exc:
            line = loss.line if equation is None else equation.line
            raise EquationError(f"{'the loss' if equation is None else f'equation `{reader}`'}: "
                                f"{exc}", file=problem.file, line=line) from None
        for name, tree in found.items():
            tree = _params_named(tree, params)
            frame = row_form(tree, shape_of)
            compiled = compile_expression(frame, problem.params)
            if name.name in quantity_terms:
                quantity_terms[name.name].append(Term(
                    name.name, reader, name.lag, _shift(tree, name.lag), frame, compiled))
            elif name.name in param_terms:
                param_terms[name.name].append(Term(name.name, reader, 0, tree, frame, compiled,
                                                   outer=_outer(frame, problem)))
    plan = Plan(loss, {q: tuple(t) for q, t in quantity_terms.items()},
                {p: tuple(t) for p, t in param_terms.items()}, trainable)
    return _share(plan, problem)


SHARED_PREFIX = "∂shared:"


def _outer(frame: Node, problem: Problem) -> tuple | None:
    if not isinstance(frame, Outer):
        return None
    return (compile_expression(frame.left, problem.params),
            compile_expression(frame.right, problem.params))


def _size(node: Node) -> int:
    return sum(1 for _ in walk(node))


def _share(plan: Plan, problem: Problem) -> Plan:
    """Returns the plan with the subtrees several terms of one reader repeat evaluated once.

    Only the evaluation changes: every term keeps its symbolic form for printing.
    """
    terms = [t for ts in plan.quantities.values() for t in ts] + \
            [t for ts in plan.params.values() for t in ts]
    readers = {t.reader for t in terms if t.reader != "loss"}
    replacements: dict = {}
    shared: dict = {}
    for reader in readers:
        own = [t for t in terms if t.reader == reader]
        grad = Grad(reader)
        counts: dict = {}
        for term in own:
            seen = {n for n in walk(term.frame) if n != grad and grad in walk(n)
                    and not isinstance(n, Name)}
            for node in seen:
                counts[node] = counts.get(node, 0) + 1
        chosen = []
        for node in sorted((n for n, c in counts.items() if c > 1), key=_size, reverse=True):
            if not any(node in walk(big) for big in chosen):
                chosen.append(node)
        keys = []
        for k, node in enumerate(chosen):
            key = f"{SHARED_PREFIX}{reader}:{k}"
            replacements[node] = Name(key)
            keys.append((key, compile_expression(node, problem.params)))
        if keys:
            shared[reader] = tuple(keys)
    if not replacements:
        return plan

    def rebuild(term: Term) -> Term:
        frame = transform(term.frame, lambda n: replacements.get(n) if not isinstance(n, Name)
                          else None)
        if frame == term.frame:
            return term
        return replace(term, evaluate=compile_expression(frame, problem.params),
                       evaluation_frame=frame, outer=_outer(frame, problem))

    return replace(plan, quantities={q: tuple(map(rebuild, ts)) for q, ts in plan.quantities.items()},
                   params={p: tuple(map(rebuild, ts)) for p, ts in plan.params.items()},
                   shared=shared)


def check_loss(problem: Problem, cell: Cell, loss: LossSpec) -> None:
    """Raises when the loss reads an unknown name or is not a number at one step."""
    known = set(cell.quantities) | set(cell.inputs) | set(cell.params)
    for node in names(loss.expr):
        if node.name not in known:
            raise ProblemError(f"`loss` reads `{node.name}`, which is not a quantity, input or "
                               f"parameter of the problem{did_you_mean(node.name, known)}",
                               file=problem.file, line=loss.line)
    try:
        shape = shape_function(cell.shapes)(loss.expr)
    except KeyError as exc:
        raise ProblemError(f"`loss`: the size of `{exc.args[0]}` is not known",
                           file=problem.file, line=loss.line) from None
    if shape != ():
        raise ProblemError(f"`loss` must be a number at each step, but `{loss.each}` has shape "
                           f"{shape}; sum it: sum({loss.each})", file=problem.file, line=loss.line)
