"""A student's answers at every step -> whether the whole sheet is shifted by one step, said once.

A student who numbers the steps from t = 0 where the problem starts at t = 1
writes h[1]'s value under h[0], h[2]'s under h[1], and so on. Item by item
each answer looks like "the value of the next step"; the slip is one, of the
whole sheet, so it is diagnosed once. The sheet counts as shifted when most of
its answers at a step (and at least two) match the reference one step later
(or earlier) and not at their own step.
"""
from __future__ import annotations

import numpy as np

from rnncli.errors import ProblemError
from rnncli.files.answers import is_blank
from rnncli.files.values import as_array
from rnncli.files.yaml_source import Document
from rnncli.grading.diagnoses import Diagnosis
from rnncli.grading.questions import DEFAULT_TOLERANCE
from rnncli.grading.tolerances import within

EXAMPLES = 3


def shifted_steps(solution, items_by_key: dict, problem, written: dict):
    """Returns (Diagnosis or None, the references (text) of the answers the shift explains).

    `written` maps (name, t) to the raw value the student wrote for name[t],
    for every step they named, whether or not the problem has it, in the
    order they wrote them (the examples in the message follow it).
    """
    steps = solution.steps()
    quantities = set(solution.trace.cell.quantities)
    numbers = {}
    for (name, t), raw in written.items():
        value = _number(raw)
        if value is not None and name in quantities:
            numbers[(name, t)] = value
    for shift in (1, -1):
        matched = []
        for (name, t), value in numbers.items():
            if t + shift not in steps:
                continue
            target = np.asarray(solution.trace.value(name, t + shift), dtype=float)
            tolerance = _tolerance(items_by_key, (name, t + shift), problem)
            if target.shape != value.shape or not within(tolerance, target, value):
                continue
            if t in steps and within(_tolerance(items_by_key, (name, t), problem),
                                     np.asarray(solution.trace.value(name, t), dtype=float),
                                     value):
                continue        # right at its own step too: the shift explains nothing here
            matched.append((name, t))
        if len(matched) >= 2 and 2 * len(matched) > len(numbers):
            return _diagnosis(matched, shift, steps.start), {f"{n}[{t}]" for n, t in matched}
    return None, set()


def _number(raw):
    """Returns a written value as a float array, or None when it is not plainly numbers."""
    if is_blank(raw) or isinstance(raw, (str, dict, bool)):
        return None
    try:
        return as_array(Document(None, ""), ("answer",), raw)
    except ProblemError:
        return None


def _tolerance(items_by_key: dict, key: tuple, problem):
    item = items_by_key.get(key)
    return item.tolerance if item is not None else problem.tolerance or DEFAULT_TOLERANCE


def _diagnosis(matched: list, shift: int, first: int) -> Diagnosis:
    where = "one step later" if shift > 0 else "one step earlier"
    examples = ", ".join(f"your {n}[{t}] is {n}[{t + shift}]" for n, t in matched[:EXAMPLES])
    more = ", ..." if len(matched) > EXAMPLES else ""
    return Diagnosis(
        "step-shift", "steps shifted by one",
        f"your steps are shifted by one: {len(matched)} of your answers are the values "
        f"{where} ({examples}{more}). This problem numbers its steps from t = {first}; "
        f"you seem to have numbered them from t = {first - shift}")
