"""Wrong answers to `loss` and `grad.*` references: follow-through and the classic slips.

Follow-through: the student's own forward answers (h[1], y[2], ...) replace
the computed values in the forward pass, and the gradient is recomputed from
them; a gradient right for the student's own numbers earns the problem's
follow-through credit.

Diagnoses, tried in this order (the first that matches within the item's tolerance):

    sign         the negative of the gradient (p − t written as t − p, or ascent)
    half         twice the reference: the loss taken without its ½ (or half: an extra ½)
    no-bptt      each step's loss through its own step only, no flow back in time
                 (the gradient `--truncate 1` computes)
    sum-mean     the sum over steps where the loss is their mean, or the other way round
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.errors import RnncliError
from rnncli.grading.diagnoses import Diagnosis
from rnncli.grading.tolerances import within
from rnncli.language.expression import BinOp, Number


@dataclass(frozen=True)
class GradientVerdict:
    accepted: bool               # follow-through credit
    used: tuple                  # the student's forward answers it was recomputed from
    diagnosis: Diagnosis | None
    notes: tuple                 # feedback sentences


def _reference_value(result, ref):
    if ref.kind == "loss":
        return result.loss if ref.step is None else dict(result.losses)[ref.step]
    if ref.step is None:
        return result.params[ref.name]
    return result.grad(ref.name, ref.step)


def _has_half(loss) -> bool:
    expr = loss.expr
    return ((isinstance(expr, BinOp) and expr.op == "*" and isinstance(expr.left, Number)
             and expr.left.value == 0.5)
            or (isinstance(expr, BinOp) and expr.op == "/" and isinstance(expr.right, Number)
                and expr.right.value == 2))


def _candidates(marking, item):
    """Yields (code, label, message, value) of every slip that applies to this item."""
    from rnncli.solve.gradients import GradientOptions, run_gradients

    solution = marking.solution
    result = solution.gradients
    expected = np.asarray(item.expected, dtype=float)
    grad = item.ref.kind == "grad"
    if grad:
        yield ("sign", "gradient with the wrong sign",
               "this is the negative of the gradient: check the sign of ∂L/∂y (p − t, not t − p)",
               -expected)
    if _has_half(result.plan.loss):
        yield ("half", "loss without its ½",
               "this is twice the reference: the ½ of the loss ½(y − t)² was left out", 2 * expected)
    n = len(result.counted)
    # A bidirectional network also sends gradients forward in time: "one step only" has
    # no single meaning there, so that slip is not diagnosed.
    one_way = all(block.direction == "forward" for block in result.cell.schedule)
    if grad and len(result.steps) > 1 and one_way:
        truncated = run_gradients(marking.problem, GradientOptions(truncate=1))
        yield ("no-bptt", "no flow back through time",
               "this is the gradient with each step's loss taken through its own step only: the "
               "terms that flow back from later steps (through the recurrent state) are missing",
               np.asarray(_reference_value(truncated, item.ref), dtype=float))
    if n > 1:
        other = "sum" if result.mean else "mean"
        factor = n if result.mean else 1 / n
        yield ("sum-mean", f"{other} over the steps",
               f"this is the {other} over the {n} steps where the loss is their "
               f"{'mean' if result.mean else 'sum'}", expected * factor)


def grade_wrong_gradient(marking, item, value, student_values: dict) -> GradientVerdict:
    """Returns follow-through or the diagnosis of a wrong `loss`/`grad.*` answer."""
    from rnncli.solve.gradients import run_gradients

    notes = []
    if student_values and marking.credit > 0:
        reference = marking.solution.trace
        own = {key: v for key, v in student_values.items()
               if not np.allclose(v, np.asarray(reference.value(*key), dtype=float),
                                  rtol=1e-12, atol=1e-15)}
        if own:
            try:
                theirs = run_gradients(marking.problem, overrides=own)
                recomputed = np.asarray(_reference_value(theirs, item.ref), dtype=float)
            except (RnncliError, FloatingPointError):
                recomputed = None
            used = tuple(f"{name}[{t}]" for name, t in sorted(own))
            if recomputed is not None and within(item.tolerance, recomputed, value):
                credit = "" if marking.credit == 1 else f" ({marking.credit:.0%} credit)"
                return GradientVerdict(True, used, None, (
                    f"not the reference value, but right for your own {', '.join(used)}: "
                    f"follow-through credit{credit}",))
    for code, label, message, candidate in _candidates(marking, item):
        if candidate.shape == np.shape(value) and within(item.tolerance, candidate, value):
            return GradientVerdict(False, (), Diagnosis(code, label, message), tuple(notes + [message]))
    return GradientVerdict(False, (), None, tuple(notes))
