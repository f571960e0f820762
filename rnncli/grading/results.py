"""Graded answers -> the records every report is written from: `GradedItem`, `StudentGrade`, `GradeReport`.

Plain frozen records, made by `grading/grade.py` (`Marking`) and
`grading/batch.py`, read by the summary, the gradebook and every renderer;
the report owns the exit code.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rnncli.display import Displayable
from rnncli.grading.diagnoses import Diagnosis
from rnncli.grading.questions import qualified

STATUSES = ("correct", "follow-through", "wrong", "missing", "invalid")


@dataclass(frozen=True)
class GradedItem:
    question: str | None         # None: an answer to a reference that names nothing
    ref: str
    expected: Any                # float64 array, int, or None
    given: Any                   # float64 array or int (valid), text (invalid), None (missing)
    status: str
    points: float
    max_points: float
    feedback: str
    tolerance: str = ""
    difference: Any = None       # given - expected, when both are numbers
    diagnosis: Diagnosis | None = None
    follow_through_from: tuple = ()
    line: int | None = None      # line of the answer in the answers file
    changes: tuple = ()          # the question's `set:`: the value is of the changed network

    @property
    def label(self) -> str:
        """Returns the reference as reports show it: `c[2]`, or `b: c[2]` under question b's `set:`."""
        return qualified(self.question, self.ref, self.changes)


@dataclass(frozen=True)
class StudentGrade:
    file: str
    student: str | None
    student_id: str
    problem: str | None
    questions: tuple             # (question id, max points), in question order
    items: tuple                 # GradedItem
    score: float
    max_score: float
    error: str | None = None     # why the answers file could not be read (scored 0)
    not_graded: tuple = ()       # references answered that the problem does not ask
    variant: int | None = None   # the student's exam variant (grade --variants), else None
    sheet_diagnosis: Diagnosis | None = None    # a slip of the whole sheet (steps shifted)

    @property
    def status(self) -> str:
        return "error" if self.error else "graded"

    def question_points(self) -> dict:
        """Returns {question id: points earned}."""
        earned = {qid: 0.0 for qid, _ in self.questions}
        for item in self.items:
            if item.question in earned:
                earned[item.question] += item.points
        return {qid: tidy_points(p) for qid, p in earned.items()}


@dataclass(frozen=True)
class GradeReport(Displayable):
    problem: str | None          # the instructor's problem (--problem), None in self-check mode
    results: tuple               # StudentGrade, in the order the files were given
    variants: int | None = None  # grade --variants N: each file against its student's variant
    suspected: tuple = ()        # grading.copying.Suspicion: answers of another variant (for the TA)

    @cached_property
    def questions(self) -> tuple:
        """Returns (question id, max points) over every result, in first-seen order."""
        seen: dict[str, float] = {}
        for result in self.results:
            for qid, points in result.questions:
                seen.setdefault(qid, points)
        return tuple(seen.items())

    @property
    def exit_code(self) -> int:
        """Returns 2 if an answers file could not be read, 1 if points were lost, else 0."""
        if any(r.error for r in self.results):
            return 2
        return 1 if any(r.score < r.max_score for r in self.results) else 0


def tidy_points(points: float) -> float:
    """Returns points without float noise: 10/3 * 3 is 10.0, not 10.000000000000002."""
    return round(points, 9) + 0.0
