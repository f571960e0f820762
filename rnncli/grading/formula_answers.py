"""An asked `unroll.*` item + the student's formula -> a GradedItem (what grade.py calls)."""
from __future__ import annotations

from rnncli.grading.diagnoses import Diagnosis
from rnncli.grading.formulas import FormulaGrader

_GRADERS: dict = {}


def _grader(unrolled) -> FormulaGrader:
    # One grader per reference formula: a batch of answers files reuses its points.
    key = id(unrolled)
    if key not in _GRADERS or _GRADERS[key][0] is not unrolled:
        _GRADERS[key] = (unrolled, FormulaGrader(unrolled))
    return _GRADERS[key][1]


def mark_formula(graded_item, item, raw, line, base: dict):
    """Returns the GradedItem of a formula answer: correct (full points), wrong or invalid."""
    from rnncli.render.unroll import FormulaSourcePrinter

    unrolled = item.expected
    base = dict(base, expected=FormulaSourcePrinter().doprint(unrolled.formula),
                tolerance="equal at random points")
    verdict = _grader(unrolled).grade(raw)
    given = raw if isinstance(raw, str) else str(raw)
    given = given if len(given) <= 2000 else given[:1997] + "..."
    diagnosis = (Diagnosis(verdict.code, verdict.label, verdict.feedback)
                 if verdict.code else None)
    points = item.max_points if verdict.status == "correct" else 0.0
    return graded_item(given=given, status=verdict.status, points=points,
                       feedback=verdict.feedback, diagnosis=diagnosis, line=line, **base)
