"""Problem + loss -> `Gradients`: back-propagation through time, every chain-rule term kept.

The loss at a step, L_t, is the problem's `loss` expression; L is their sum
(or mean) over the counted steps. For every quantity q the total derivative
dL/dq(t) is the sum of one term per reader of q(t) (spec §13):

    the loss at step t (and at t+k when the loss reads q[t-k]),
    every equation of step t that reads q,
    every equation of step t+k that reads q[t-k].

Each term is a vector-Jacobian product built once, as an expression tree, by
rnncli.language.derivatives, compiled once by the trace's evaluator
(solve/gradient_plan.py), and evaluated here at every step from the last back
to the first. A parameter's
gradient is the sum over steps of its terms. Clipping and one step of gradient
descent follow PyTorch's `clip_grad_norm_`, `clip_grad_value_` and plain SGD.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.cells.network import network_cell
from rnncli.errors import EquationError, ProblemError, UsageError
from rnncli.files.problem import Problem
from rnncli.language.expression import Number, names
from rnncli.solve.gradient_plan import Plan, Term, build_plan, check_loss
from rnncli.solve.stacked_steps import StepStacks
from rnncli.solve.trace import GRAD_PREFIX, Trace, compile_expression, run_trace

# torch.nn.utils.clip_grad_norm_ divides by total_norm + 1e-6.
CLIP_EPSILON = 1e-6
# Per-step contributions of a parameter are kept (for the working) up to this size.
MAX_KEPT_ENTRIES = 9


@dataclass(frozen=True)
class GradientOptions:
    """What the command line may change; None keeps the problem's own setting."""

    at: object = None            # "all", "last", a step, or a tuple of steps
    mean: bool | None = None
    truncate: int | None = None  # gradients flow back at most this many steps
    clip_norm: float | None = None
    clip_value: float | None = None
    lr: float | None = None


@dataclass(frozen=True)
class Part:
    term: Term
    value: object


@dataclass(frozen=True)
class StepGradients:
    t: int
    grads: dict                  # q -> dL/dq(t)
    parts: dict                  # q -> tuple of Part (empty under truncation)


@dataclass(frozen=True)
class Clip:
    kind: str                    # "norm" or "value"
    max: float
    norm: float                  # total norm before clipping
    factor: float | None         # clip_grad_norm_'s coefficient (norm clipping only)
    params: dict                 # clipped gradients


@dataclass(frozen=True)
class Gradients:
    problem: Problem
    cell: Cell
    trace: Trace
    plan: Plan
    counted: tuple               # steps whose loss counts
    mean: bool
    truncate: int | None
    losses: tuple                # (t, L_t) for the counted steps
    loss: float
    steps: tuple                 # StepGradients, in time order
    initial: dict                # state -> dL/dstate before the first step
    initial_parts: dict          # state -> tuple of (t of the reader, Part)
    params: dict                 # p -> dL/dp
    param_parts: dict            # p -> tuple of (t, contribution), or () when too large
    norm: float
    clip: Clip | None
    update: dict | None          # p -> new value
    lr: float | None

    def grad(self, name: str, t: int):
        """Returns dL/dq(t) (the initial state's gradient before the first step)."""
        first = self.problem.time_start
        if t < first:
            return self.initial[name]
        return self.steps[t - first].grads[name]


def counted_steps(problem: Problem, at, option: bool = False) -> tuple:
    """Returns the steps whose loss counts: all, the last, or those listed (`option`: --at)."""
    first, n = problem.time_start, problem.n_steps
    steps = range(first, first + n)
    if at == "all":
        return tuple(steps)
    if at == "last":
        return (steps[-1],)
    chosen = (at,) if isinstance(at, int) else tuple(at)
    for t in chosen:
        if t not in steps:
            where = dict(file=problem.file, line=problem.loss.line if problem.loss else None)
            raise ProblemError(f"{'--at: ' if option else ''}the loss is counted at step {t}, "
                               f"outside the steps {first}..{steps[-1]}",
                               **({} if option else where))
    return tuple(sorted(set(chosen)))


def _fit(value, shape: tuple):
    value = np.asarray(value, dtype=float)
    if value.ndim == 0 and shape == ():
        return value + 0.0      # + 0.0: no -0 in the output
    if value.shape == shape:
        return value
    if value.size == int(np.prod(shape)):
        return value.reshape(shape)
    return np.broadcast_to(value, shape).copy()


class _Frames:
    """The values every step's readers see: inputs, quantities, and dL/dq as found."""

    def __init__(self, trace: Trace, max_lag: int, min_lag: int = 0):
        self.initial = dict(trace.initial)
        self.base = [{**s.inputs, **s.values} for s in trace.steps]
        self.max_lag = max_lag
        self.min_lag = min_lag      # negative where a backward direction reads t+1
        self.reset()

    def reset(self, low: int = 0, top: int | None = None) -> None:
        """Forgets the gradients of steps low..top (all steps by default)."""
        top = len(self.base) - 1 if top is None else top
        if low == 0 and top == len(self.base) - 1:
            self.current = [dict(b) for b in self.base]
        else:
            # Outside the window only values are read (gradients are read at their own step).
            for index in range(low, top + 1):
                self.current[index] = dict(self.base[index])
        # What the compiled trees read lagged values from (lag -> that step's values), made
        # once per pass; a dict, as a backward direction reads lag -1 (step t+1).
        if not hasattr(self, "lags"):
            self.lags = [None] * len(self.base)
        n = len(self.base)
        for index in range(max(0, low + self.min_lag), min(n, top + self.max_lag + 1)):
            self.lags[index] = {k: self.current[index - k] if 0 <= index - k < n
                                else self.initial
                                for k in range(self.min_lag, self.max_lag + 1)}

    def lagged(self, index: int) -> dict:
        return self.lags[index]


def _backward(plan, cell, frames, counted, top, low, keep_parts, seed=None, batch=None, constants=None,
              with_params=True, lowest_only=None, keep=None, fit=None):
    """Runs one backward pass from step index `top` down to `low`; returns per-step grads.

    `seed` = (index, name, value) adds a given gradient to one quantity (jacobian's
    dq(T)/dq(T) = I); `batch` = n carries n adjoints at once, one per leading row;
    `lowest_only` names the only quantities wanted at step `low` (nothing reads the others);
    `keep` names the only quantities whose per-step gradients are returned (the others
    are let go as soon as no earlier step reads them: jacobian's 64 × 64 adjoints of
    every quantity at every step would be tens of megabytes of fresh memory);
    `fit(value, shape)` replaces `_fit` (jacobian's adjoints kept as an IdentityStack).
    """
    n = len(frames.base)
    shapes = cell.shapes
    fit = fit or _fit
    lead = () if batch is None else (batch,) if isinstance(batch, int) else tuple(batch)
    grads = [dict() for _ in range(n)]
    parts = [dict() for _ in range(n)]
    order = [e.name for e in reversed(cell.equations)]
    # A term of step `index` reads the gradients of step index + shift at most. (A network
    # runs block by block: a lower layer reads the gradients of the same step later, so
    # nothing is let go there.)
    reach = max((t.shift for ts in plan.quantities.values() for t in ts), default=0)
    for index, block_names in _backward_steps(cell, order, top, low):
        done = index + reach + 1
        if keep is not None and not cell.blocks and done <= top:
            _let_go(frames.current[done], grads, done, keep)
        for q in block_names:
            if index == low and lowest_only is not None and q not in lowest_only:
                continue
            total, kept = None, []
            if seed is not None and seed[0] == index and seed[1] == q:
                total = seed[2]
            for term in plan.quantities[q]:
                reader = index + term.shift
                if not 0 <= reader <= top or (term.reader == "loss" and reader not in counted):
                    continue
                value = term.evaluate(frames.current[reader], frames.lagged(reader))
                total = value if total is None else total + value
                if keep_parts:
                    kept.append(Part(term, value))
            total = fit(0.0 if total is None else total, lead + tuple(shapes[q]))
            grads[index][q] = total
            current = frames.current[index]
            current[GRAD_PREFIX + q] = total
            for key, evaluate in plan.shared.get(q, ()):
                current[key] = evaluate(current, frames.lags[index])
            parts[index][q] = tuple(kept)
    initial, initial_parts = {}, {}
    if low == 0 and lowest_only is None:
        for q in cell.states:
            total, kept = None, []
            for term in plan.quantities.get(q, ()):
                for reader in _initial_readers(term.shift, top, n):
                    if term.reader == "loss" and reader not in counted:
                        continue
                    value = term.evaluate(frames.current[reader], frames.lagged(reader))
                    total = value if total is None else total + value
                    kept.append((reader, Part(term, value)))
            if q in cell.quantities:
                initial[q] = _fit(0.0 if total is None else total, lead + tuple(shapes[q]))
                initial_parts[q] = tuple(kept)
    params, param_parts = {}, {}
    steps_counted = [i for i in range(low, top + 1)]
    # Parameters' factors evaluated over every step at once where they are elementwise.
    stacks = StepStacks(frames, shapes, constants) if constants is not None else None
    for p in (plan.trainable if with_params else ()):
        keep = keep_parts and int(np.prod(shapes[p])) <= MAX_KEPT_ENTRIES
        if keep:
            params[p], param_parts[p] = _param_by_step(plan.params[p], frames, counted,
                                                       steps_counted, shapes[p])
        else:
            params[p] = _param_summed(plan.params[p], frames, counted, steps_counted, shapes[p],
                                      stacks)
            param_parts[p] = ()
    return grads, parts, initial, initial_parts, params, param_parts


def _let_go(current: dict, grads: list, index: int, keep) -> None:
    """Forgets the gradients of step `index` that no earlier step reads, but `keep`'s."""
    for key in [k for k in current if k.startswith(GRAD_PREFIX)
                and k[len(GRAD_PREFIX):] not in keep]:
        del current[key]
    grads[index] = {q: g for q, g in grads[index].items() if q in keep}


def _backward_steps(cell, order: list, top: int, low: int):
    """Yields (step index, quantity names): the forward pass's running order reversed.

    Every reader of q(t) is then done before q(t) itself: a lone cell goes from
    the last step to the first; a network goes block by block from the top
    layer down, a backward direction from its first step to its last (the
    reverse of the order it ran in, since it reads t+1).
    """
    if not cell.blocks:
        for index in range(top, low - 1, -1):
            yield index, order
        return
    for block in reversed(cell.schedule):
        names = [q for q in order if q in block.names]
        for index in range(top, low - 1, -1) if block.direction == "forward" else range(low, top + 1):
            yield index, names


def _initial_readers(shift: int, top: int, n: int) -> range:
    """Returns the steps whose read at lag `shift` reaches before the first step (shift > 0), or
    after the last (shift < 0: a backward direction's state before it starts)."""
    if shift > 0:
        return range(0, min(shift, top + 1))
    return range(max(0, n + shift), n) if top == n - 1 else range(0)


def _param_by_step(terms, frames, counted, indices, shape):
    """Returns (dL/dp, per-step contributions): each step's terms evaluated and kept."""
    total, steps = None, []
    for index in indices:
        step_total = None
        for term in terms:
            if term.reader == "loss" and index not in counted:
                continue
            value = term.evaluate(frames.current[index], frames.lags[index])
            step_total = value if step_total is None else step_total + value
        if step_total is None:
            continue
        step_total = _fit(step_total, shape)
        total = step_total if total is None else total + step_total
        steps.append((index, step_total))
    return _fit(0.0 if total is None else total, shape), tuple(steps)


def _param_summed(terms, frames, counted, indices, shape, stacks=None):
    """Returns dL/dp: an outer product's sum over steps as one matrix product (δᵀ X).

    With `stacks`, an elementwise factor is evaluated once over all the steps
    (solve/stacked_steps.py): the same rows, without a Python call per step.
    """
    total = None
    for term in terms:
        use = [i for i in indices if term.reader != "loss" or i in counted]
        if not use:
            continue
        if term.outer is not None:
            left, right = term.outer
            lefts = _stacked(stacks, term.frame.left, use)
            if lefts is None:
                lefts = np.array([np.ravel(left(frames.current[i], frames.lags[i])) for i in use])
            rights = _stacked(stacks, term.frame.right, use)
            if rights is None:
                rights = np.array([np.ravel(right(frames.current[i], frames.lags[i]))
                                   for i in use])
            value = lefts.T @ rights
        else:
            rows = stacks.evaluate(term.frame, use) if stacks is not None else None
            steps = rows if rows is not None else (
                term.evaluate(frames.current[i], frames.lags[i]) for i in use)
            value = None
            for step in steps:        # in step order, as the step-by-step sum adds them
                value = step if value is None else value + step
        value = _fit(value, shape)
        total = value if total is None else total + value
    return _fit(0.0 if total is None else total, shape)


def _stacked(stacks, node, use):
    """Returns `node` at the steps `use` as rows (n, entries), or None to go step by step."""
    if stacks is None:
        return None
    value = stacks.evaluate(node, use)
    return None if value is None else np.asarray(value, dtype=float).reshape(len(use), -1)


def run_gradients(problem: Problem, options: GradientOptions = GradientOptions(),
                  cell: Cell | None = None, overrides: dict | None = None) -> Gradients:
    """Returns back-propagation through time of a problem's loss, with every term kept.

    Takes the Problem as it stands, so a problem changed for one run (an
    equation replaced, a loss given on the command line) needs nothing more.
    `overrides` maps (name, t) to a value used in place of the computed one in
    the forward pass (grading: gradients from a student's own forward values).
    """
    loss = problem.loss
    if loss is None:
        raise ProblemError("the problem has no `loss`; add one, such as "
                           "`loss: 0.5 * (y - target) ** 2`, or give --loss EXPR",
                           file=problem.file, line=problem.line() or 1)   # a missing key: line 1
    if options.at is not None or options.mean is not None:
        loss = replace(loss, at=loss.at if options.at is None else options.at,
                       mean=loss.mean if options.mean is None else options.mean)
        problem = replace(problem, loss=loss)
    given = problem
    if cell is None:
        # A network (layers, a backward direction, packed framework tensors) is worked as
        # the one flat cell every command runs: its per-gate, per-layer parameter names.
        # The trace keeps the problem as given, for headings.
        cell, effective = network_cell(problem)
        problem = effective.problem
    if options.truncate is not None and any(b.direction == "reverse" for b in cell.schedule):
        raise UsageError("--truncate cuts the flow back in time; a bidirectional network "
                         "also sends gradients forward (its backward direction reads t+1): "
                         "leave out --truncate", file=problem.file)
    check_loss(problem, cell, loss)
    trace = run_trace(given, cell, overrides)
    plan = build_plan(problem, cell, loss)
    first = problem.time_start
    counted = counted_steps(problem, loss.at, option=options.at is not None)
    counted_index = {t - first for t in counted}
    scale = 1.0 / len(counted) if loss.mean else 1.0
    lags = [n.lag for e in cell.equations for n in names(e.expr)] + [n.lag for n in names(loss.expr)]
    frames = _Frames(trace, max(max(lags, default=0), 1), min(min(lags, default=0), 0))
    evaluate_loss = compile_expression(loss.expr, problem.params)
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        try:
            losses = tuple((t, float(evaluate_loss(frames.current[t - first],
                                                   frames.lagged(t - first)))) for t in counted)
        except FloatingPointError as exc:
            raise EquationError(f"the loss cannot be computed: {exc}", file=problem.file,
                                line=loss.line) from None
        total_loss = sum(v for _, v in losses) * scale
        plan = _scaled(plan, scale, problem)
        n = len(trace.steps)
        if options.truncate is None:
            result = _backward(plan, cell, frames, counted_index, n - 1, 0, keep_parts=True,
                               constants=problem.params)
        else:
            result = _truncated(plan, cell, frames, counted_index, options.truncate)
    grads, parts, initial, initial_parts, params, param_parts = result
    steps = tuple(StepGradients(first + i, grads[i], parts[i]) for i in range(len(trace.steps)))
    param_parts = {p: tuple((first + i, v) for i, v in contributions)
                   for p, contributions in param_parts.items()}
    initial_parts = {q: tuple((first + i, part) for i, part in kept)
                     for q, kept in initial_parts.items()}
    params = {p: g + 0.0 for p, g in params.items()}      # + 0.0: no -0 in the output
    norm = total_norm(params)
    clip = clip_gradients(params, norm, options)
    update = None
    if options.lr is not None:
        used = clip.params if clip else params
        update = {p: problem.params[p] - options.lr * g for p, g in used.items()}
    return Gradients(problem, cell, trace, plan, counted, loss.mean, options.truncate, losses,
                     total_loss, steps, initial, initial_parts, params, param_parts, norm, clip,
                     update, options.lr)


def _scaled(plan: Plan, scale: float, problem: Problem) -> Plan:
    """Returns the plan with the loss's terms scaled by 1/T for a mean loss."""
    if scale == 1.0:
        return plan
    from rnncli.language.derivatives import mul

    def rescale(term: Term) -> Term:
        if term.reader != "loss":
            return term
        frame = mul(Number(scale), term.frame)
        return replace(term, symbolic=mul(Number(scale), term.symbolic), frame=frame,
                       evaluate=compile_expression(frame, problem.params))

    return replace(plan, quantities={q: tuple(map(rescale, ts)) for q, ts in plan.quantities.items()},
                   params={p: tuple(map(rescale, ts)) for p, ts in plan.params.items()})


def _truncated(plan, cell, frames, counted_index, k):
    """Truncated BPTT: the loss at step s reaches back to step s-k+1 and no further."""
    n = len(frames.base)
    shapes = cell.shapes
    grads = [{q: np.zeros(shapes[q]) for q in cell.quantities} for _ in range(n)]
    initial = {q: np.zeros(shapes[q]) for q in cell.states if q in cell.quantities}
    params = {p: np.zeros(shapes[p]) for p in plan.trainable}
    for top in sorted(counted_index):
        low = max(0, top - k + 1)
        frames.reset(low, top)
        g, _, init, _, prm, _ = _backward(plan, cell, frames, {top}, top, low, keep_parts=False)
        for index in range(low, top + 1):
            for q, value in g[index].items():
                grads[index][q] = grads[index][q] + value
        for q, value in init.items():
            initial[q] = initial[q] + value
        for p, value in prm.items():
            params[p] = params[p] + value
    empty = [dict() for _ in range(n)]
    return grads, empty, initial, {}, params, {p: () for p in params}


def total_norm(params: dict) -> float:
    """Returns the 2-norm of all gradients together (clip_grad_norm_'s total_norm)."""
    return float(np.sqrt(sum(float(np.sum(np.square(g))) for g in params.values())))


def clip_gradients(params: dict, norm: float, options: GradientOptions) -> Clip | None:
    """Returns the clipped gradients, as clip_grad_norm_ or clip_grad_value_ would leave them."""
    if options.clip_norm is not None:
        factor = min(options.clip_norm / (norm + CLIP_EPSILON), 1.0)
        return Clip("norm", options.clip_norm, norm, factor,
                    {p: g * factor for p, g in params.items()})
    if options.clip_value is not None:
        limit = options.clip_value
        return Clip("value", limit, norm, None,
                    {p: np.clip(g, -limit, limit) for p, g in params.items()})
    return None
