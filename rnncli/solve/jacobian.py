"""Problem + state q -> `Jacobian`: how a perturbation of q flows forward, dq(T)/dq(k) (spec §14).

The one-step derivative dq(t)/dq(t-1) is the total derivative: q(t-1) is
perturbed and everything computed from it is recomputed — the rest of step
t-1 (for the LSTM's c: h(t-1) = o(t-1) tanh(c(t-1)), o(t-1) held) and then
step t. Its direct term is q's own equation alone, every other value held
(the LSTM's f(t): the constant-error carousel).

The numbers come from the same backward pass as `gradients`: the derivative
trees of the cell, compiled once, run with q(T)'s gradient seeded to the
identity (one row per entry of q, carried together as a stack of adjoints),
so dq(T)/dq(k) for every k is one pass back through time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.cells.network import network_cell
from rnncli.errors import ProblemError, UsageError, did_you_mean
from rnncli.files.problem import LossSpec, Problem
from rnncli.language.derivatives import add, mul, shape_function, vjp
from rnncli.language.expression import (BinOp, Broadcast, Call, Concat, Derivative, Grad, Name,
                                        Node, Number, Transpose, walk)
from rnncli.solve.gradient_plan import build_plan
from rnncli.solve.gradients import _Frames, _backward, _fit
from rnncli.solve.identity_stack import IdentityStack
from rnncli.solve.trace import GRAD_PREFIX, Trace, compile_expression, run_trace

VANISHING = 1e-3
EXPLODING = 1e3


@dataclass(frozen=True)
class OneStep:
    t: int
    total: object                # dq(t)/dq(t-1): a matrix (a number for a scalar q)
    direct: object               # the direct term alone


@dataclass(frozen=True)
class FromStep:
    k: int
    jacobian: object             # dq(T)/dq(k)
    norm: float                  # |.| or the spectral norm


@dataclass(frozen=True)
class Jacobian:
    problem: Problem
    cell: Cell
    trace: Trace
    of: str
    to: int
    expansion: Node              # dq(t)/dq(t-1) by the chain rule, in symbols
    direct_term: Node            # its direct term, in symbols
    indirect: tuple              # the names of step t through which q(t-1) also acts
    steps: tuple                 # OneStep for t = first .. to
    back: tuple                  # FromStep for k = to-1 down to the initial step
    vanishing: int | None        # the first k (going back) with norm below 1e-3
    exploding: int | None        # ... above 1e3


def _dependents(cell: Cell, q: str) -> tuple[set, set]:
    """Returns (quantities of step t-1 moved by q(t-1), quantities of step t moved by it)."""
    moved_before = {q}
    for equation in cell.equations:     # evaluation order: lag-0 readers come later
        if any(n.lag == 0 and n.name in moved_before for n in _names(equation.expr)):
            moved_before.add(equation.name)
    moved_now: set = set()
    for equation in cell.equations:
        reads = _names(equation.expr)
        if any((n.lag == 1 and n.name in moved_before) or (n.lag == 0 and n.name in moved_now)
               for n in reads):
            moved_now.add(equation.name)
    return moved_before, moved_now


def _names(expr: Node) -> list:
    return [n for n in walk(expr) if isinstance(n, Name)]


def _elementwise(expr: Node) -> bool:
    return not any(isinstance(n, Concat) or (isinstance(n, BinOp) and n.op == "@")
                   or (isinstance(n, Call) and n.function in ("softmax", "sum", "mean"))
                   for n in walk(expr))


def expansion(cell: Cell, q: str) -> tuple[Node, Node, tuple]:
    """Returns (the chain-rule expansion of dq(t)/dq(t-1), its direct term, the indirect names)."""
    equation = cell.equation(q)
    before, now = _dependents(cell, q)
    previous = Name(q, 1)
    reads = list(dict.fromkeys(_names(equation.expr)))
    indirect = [n for n in reads if n != previous and
                ((n.lag == 1 and n.name in before) or (n.lag == 0 and n.name in now))]
    if _elementwise(equation.expr):
        coefficients = vjp(equation.expr, Number(1.0), shape_function(cell.shapes), value=Name(q))
        direct = coefficients.get(previous, Number(0.0))
        total = direct if previous in coefficients else None
        for n in indirect:
            total = add(total, mul(Derivative(n, previous), coefficients[n]))
    else:
        # Through a matrix the coefficient is a matrix: read it off the vector-Jacobian
        # product (Wᵀ @ (δ ⊙ d) is δ's image under J = diag(d)·W).
        adjoint = Grad(q)
        products = vjp(equation.expr, adjoint, shape_function(cell.shapes), value=Name(q))
        whole = Name(q)
        partial = {n: _matrix_form(products[n], adjoint) or Derivative(whole, n) for n in products}
        direct = partial.get(previous, Number(0.0))
        total = direct if previous in partial else None
        for n in indirect:
            total = add(total, BinOp("@", partial[n], Derivative(n, previous)))
    return (total if total is not None else Number(0.0)), direct, tuple(indirect)


def _matrix_form(tree: Node, adjoint: Node) -> Node | None:
    """Returns J with tree = Jᵀ @ adjoint, as diag(d)·W products, or None if not of that form."""
    if tree == adjoint:
        return _IDENTITY
    if isinstance(tree, BinOp) and tree.op == "@" and isinstance(tree.left, Transpose):
        inner = _matrix_form(tree.right, adjoint)
        if inner is None:
            return None
        return tree.left.operand if inner is _IDENTITY else BinOp("@", inner, tree.left.operand)
    if isinstance(tree, BinOp) and tree.op == "*":
        for side, other in ((tree.left, tree.right), (tree.right, tree.left)):
            if adjoint in walk(side) and adjoint not in walk(other):
                inner = _matrix_form(side, adjoint)
                if inner is None:
                    return None
                scale = Call("diag", (other,))
                return scale if inner is _IDENTITY else BinOp("@", scale, inner)
        return None
    if isinstance(tree, BinOp) and tree.op in "+-":
        left, right = _matrix_form(tree.left, adjoint), _matrix_form(tree.right, adjoint)
        if left is None or right is None or _IDENTITY in (left, right):
            return None
        return BinOp(tree.op, left, right)
    return None


# Stands for the identity while a matrix form is built (never printed).
_IDENTITY = Name("I")


def _batch_safe(plan, cell: Cell) -> bool:
    # Adjoints stacked in rows broadcast through elementwise products and `Wᵀ @ δ`
    # (evaluated as δ @ W); a reduction (sum) or a scalar quantity needs one row at a time.
    if any(len(cell.shapes[q]) != 1 for q in cell.quantities):
        return False
    return not any(isinstance(n, (Broadcast,)) or (isinstance(n, Call) and n.function in ("sum", "mean"))
                   for terms in plan.quantities.values() for term in terms for n in walk(term.frame))


def norm_of(value) -> float:
    """Returns |value| for a number, the spectral norm (largest singular value) of a matrix."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return float(abs(value))
    return float(np.linalg.norm(value, 2))


class _Reverse:
    """Seeded backward passes: rows of d q(top) / d (anything earlier)."""

    def __init__(self, plan, cell, trace, q):
        self.plan, self.cell, self.q = plan, cell, q
        self.problem = trace.problem
        self.frames = _Frames(trace, max(max(cell.states.values(), default=1), 1))
        self.size = int(np.prod(cell.shapes[q]))
        self.scalar = cell.shapes[q] == ()
        self.batched = not self.scalar and _batch_safe(plan, cell)

    def run(self, top: int, low: int, lowest_only=None):
        """Returns (grads per index, initial grads), each entry the Jacobian d q(top) / d (.)."""
        if self.scalar:
            return self._once(np.float64(1.0), None, top, low, lowest_only)
        if self.batched:
            # The rows are stacked as (1, n, n), not (n, n): a matrix product then knows
            # it has a stack of row vectors (`h[t-1] @ U` gives `U @ δ`, each row's δ Uᵀ).
            grads, initial = self._once(np.eye(self.size)[None], (1, self.size), top, low,
                                        lowest_only)
            return ([{name: g[0] for name, g in step.items()} for step in grads],
                    {name: g[0] for name, g in initial.items()})
        rows = [self._once(np.eye(self.size)[i], None, top, low, lowest_only)
                for i in range(self.size)]
        grads = [{name: np.stack([r[0][index][name] for r in rows]) for name in rows[0][0][index]}
                 for index in range(len(rows[0][0]))]
        initial = {name: np.stack([r[1][name] for r in rows]) for name in rows[0][1]}
        return grads, initial

    def _once(self, seed, batch, top, low, lowest_only):
        grads, _, initial, _, _, _ = _backward(self.plan, self.cell, self.frames, set(), top, low,
                                               keep_parts=False, seed=(top, self.q, seed),
                                               batch=batch, with_params=False,
                                               lowest_only=lowest_only, keep={self.q})
        return grads, initial

    def direct(self, index: int):
        """Returns the direct term ∂q(t)/∂q(t-1) of q's own equation at step index."""
        term = next((t for t in self.plan.quantities[self.q] if t.reader == self.q and t.shift == 1),
                    None)
        if term is None:
            return np.zeros(() if self.scalar else (self.size, self.size))
        # The term as written: its shared parts hold the pass's gradients, not this seed.
        evaluate = compile_expression(term.frame, self.problem.params)
        current = self.frames.current[index]
        key = GRAD_PREFIX + self.q
        saved = current.get(key)
        starts = [np.float64(1.0)] if self.scalar else (
            [np.eye(self.size)[None]] if self.batched else list(np.eye(self.size)))
        values = []
        for seed in starts:
            current[key] = seed
            value = np.asarray(evaluate(current, self.frames.lagged(index)), dtype=float)
            values.append(np.broadcast_to(value, seed.shape)[0] if self.batched else value)
        if saved is not None:
            current[key] = saved
        if self.scalar:
            return values[0] + 0.0
        return (values[0] if self.batched else np.stack(values)) + 0.0


class _Lanes:
    """Steps t = 2..T side by side: each value stacked over t (and over t-1, t-2).

    One backward pass over two such stacked steps gives every one-step total
    dq(t)/dq(t-1) at once: the passes for different t are independent.
    """

    def __init__(self, trace: Trace, cell: Cell, lanes: range):
        steps = trace.steps
        values = lambda i: {**steps[i].inputs, **steps[i].values}  # noqa: E731
        self.size = len(lanes)
        now = [values(i) for i in lanes]
        before = [values(i - 1) for i in lanes]
        two = [values(i - 2) if i >= 2 else trace.initial for i in lanes]
        # (lanes, 1, ...): a value broadcasts against the stacked adjoints (lanes, n, ...)
        stack = lambda dicts, names: {n: np.stack([d[n] for d in dicts])[:, None]  # noqa: E731
                                      for n in names}
        names = list(now[0])
        self.base = [stack(before, names), stack(now, names)]
        self.initial = stack(two, list(cell.states))
        self.current = [dict(b) for b in self.base]
        self.lags = [[self.current[0], self.initial], [self.current[1], self.current[0]]]

    def lagged(self, index):
        return self.lags[index]


# Steps side by side per pass: enough to leave little to the interpreter, few enough
# that the stacked arrays stay in the processor's cache.
LANES = 16


def _one_steps(reverse, trace, cell, of, moved_before):
    """Returns (totals, directs) for t = 2..T, from passes over stacked steps."""
    totals, directs = [], []
    for start in range(1, len(trace.steps), LANES):
        lanes = _Lanes(trace, cell, range(start, min(start + LANES, len(trace.steps))))
        total, direct = _one_step_lanes(reverse, trace, cell, of, moved_before, lanes)
        totals += list(total)
        directs += list(direct)
    return totals, directs


def _one_step_lanes(reverse, trace, cell, of, moved_before, lanes):
    n = reverse.size
    seed = IdentityStack.identity((lanes.size,), n)
    grads, _, _, _, _, _ = _backward(reverse.plan, cell, lanes, set(), 1, 0, keep_parts=False,
                                     seed=(1, of, seed), batch=(lanes.size, n), with_params=False,
                                     lowest_only=moved_before, keep={of}, fit=_fit_stack)
    term = next((t for t in reverse.plan.quantities[of] if t.reader == of and t.shift == 1), None)
    if term is None:
        direct = np.zeros((lanes.size, n, n))
    else:
        current = {**lanes.base[1], GRAD_PREFIX + of: seed}
        evaluate = compile_expression(term.frame, trace.problem.params)
        direct = np.broadcast_to(evaluate(current, [current, lanes.base[0]]), (lanes.size, n, n))
    return np.asarray(grads[0][of]), direct + 0.0


def _fit_stack(value, shape):
    """Returns `_fit(value, shape)`, an identity-seeded stack (or its zeros) left as it is."""
    shape = tuple(shape)
    if isinstance(value, IdentityStack):
        return value if value.shape == shape else _fit(np.asarray(value), shape)
    if isinstance(value, float) and value == 0.0 and len(shape) >= 2 and shape[-1] == shape[-2]:
        return IdentityStack.zeros(shape[:-2], shape[-1])
    return _fit(value, shape)


def spectral_norms(matrices) -> list:
    """Returns the largest singular value of each matrix (one batched SVD)."""
    stack = np.asarray(matrices, dtype=float)
    return [float(v) for v in np.linalg.svd(stack, compute_uv=False)[..., 0]]


# Every quantity of every step is differentiated with respect to the whole state: the
# values kept are the trace's times the state's entries. Bounded before any work, so that
# a 100,000-entry state asks for a refusal, not for 75 GiB (docs/problem-files.md).
MAX_JACOBIAN_VALUES = 20_000_000


def _check_jacobian_size(problem: Problem, cell: Cell, of: str, steps: int) -> None:
    """Raises ProblemError when the Jacobians of `of` over `steps` steps would be too big."""
    def entries(name):
        count = 1
        for n in cell.shapes.get(name, ()):
            count *= n
        return count

    state = entries(of)
    per_step = sum(entries(n) for n in list(cell.quantities) + list(cell.inputs))
    values = max(steps * per_step * state, (steps + 1) * state * state)
    if values > MAX_JACOBIAN_VALUES:
        line = problem.line("sizes", of) if of in problem.sizes else (
            problem.line("steps") if problem.steps is not None else problem.line("inputs"))
        raise ProblemError(f"the Jacobians of `{of}` ({state:,} entries) over {steps:,} steps would "
                           f"hold {values:,} values; at most {MAX_JACOBIAN_VALUES:,} (fewer steps "
                           "with --to, or a smaller state)", file=problem.file, line=line)


def run_jacobian(problem: Problem, of: str, to: int | None = None,
                 cell: Cell | None = None) -> Jacobian:
    """Returns the one-step and the T-step Jacobians of state `of`, with their norms."""
    if cell is None:
        cell, effective = network_cell(problem)
        problem = effective.problem
        if any(block.direction == "reverse" for block in cell.schedule):
            raise UsageError("jacobian follows a state back in time, step by step; a "
                             "bidirectional network's backward direction runs the other way: "
                             "ask `rnncli gradients` for its flow", file=problem.file)
    if of not in cell.states or of not in cell.quantities:
        states = [s for s in cell.states if s in cell.quantities]
        raise ProblemError(f"--of {of}: the states of this problem (quantities read at t-1) are "
                           f"{', '.join(states) or 'none'}{did_you_mean(of, states)}",
                           file=problem.file, line=None)
    first = problem.time_start
    last = first + problem.n_steps - 1 if problem.n_steps else first - 1
    to = last if to is None else to
    if not first <= to <= last:
        raise ProblemError(f"--to {to}: the steps are {first}..{last}", file=problem.file,
                           line=None)
    _check_jacobian_size(problem, cell, of, to - first + 1)
    trace = run_trace(problem, cell)
    plan = build_plan(problem, cell, LossSpec(each="0", expr=Number(0.0)))
    total_form, direct_form, indirect = expansion(cell, of)
    reverse = _Reverse(plan, cell, trace, of)
    top = to - first
    # One step back, only q(t-1) and what it moves in its own step are wanted at t-1.
    moved_before, _ = _dependents(cell, of)
    steps = []
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        if reverse.batched and top >= 1:
            grads, initial = reverse.run(0, 0)
            steps.append(OneStep(first, initial[of], reverse.direct(0)))
            totals, directs = _one_steps(reverse, trace, cell, of, moved_before)
            steps += [OneStep(first + index, totals[index - 1], directs[index - 1])
                      for index in range(1, top + 1)]
        else:
            for index in range(0, top + 1):
                grads, initial = reverse.run(index, max(index - 1, 0),
                                             moved_before if index > 0 else None)
                total = initial[of] if index == 0 else grads[index - 1][of]
                steps.append(OneStep(first + index, total, reverse.direct(index)))
        grads, initial = reverse.run(top, 0)
    matrices = [grads[k][of] for k in range(top - 1, -1, -1)] + [initial[of]]
    norms = ([norm_of(m) for m in matrices] if reverse.scalar else spectral_norms(matrices))
    back = [FromStep(first + k, grads[k][of], norms[i])
            for i, k in enumerate(range(top - 1, -1, -1))]
    back.append(FromStep(first - 1, initial[of], norms[-1]))
    vanishing = next((b.k for b in back if b.norm < VANISHING), None)
    exploding = next((b.k for b in back if b.norm > EXPLODING), None)
    return Jacobian(problem, cell, trace, of, to, total_form, direct_form, indirect, tuple(steps),
                    tuple(back), vanishing, exploding)
