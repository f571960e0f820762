"""GradeReport -> `ClassSummary`: what a TA reads first about a batch (mean, median, per question, common slip)."""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from rnncli.grading.results import STATUSES


@dataclass(frozen=True)
class ClassSummary:
    files: int
    unreadable: int
    mean: float
    median: float
    max_score: float                 # the most points one file could earn (the problem's total)
    questions: tuple                 # (question id, mean points, max points)
    statuses: tuple                  # (status, number of items), in STATUSES order
    common_diagnosis: tuple | None   # (label, number of items), the most frequent slip


def class_summary(report) -> ClassSummary:
    """Returns the summary of a batch: mean, median, average per question, most common slip."""
    tally = SummaryTally()
    for result in report.results:
        tally.add(result)
    return tally.summary(report.questions)


@dataclass(frozen=True)
class Tallied:
    """What a class summary needs of one StudentGrade: no values, a few numbers and labels."""
    score: float
    points: dict                     # {question id: points earned}
    error: str | None
    max_score: float
    questions: tuple                 # (question id, max points)
    statuses: tuple                  # the status of each graded item of a question
    diagnoses: tuple                 # the label of each diagnosis, the sheet's included

    @classmethod
    def of(cls, result, points: dict | None = None) -> "Tallied":
        """Returns the summary facts of a StudentGrade (`points`: its question_points(),
        when the caller has them)."""
        diagnoses = [i.diagnosis.label for i in result.items if i.diagnosis]
        if result.sheet_diagnosis:
            diagnoses.append(result.sheet_diagnosis.label)
        return cls(result.score, result.question_points() if points is None else points,
                   result.error, result.max_score,
                   result.questions, tuple(i.status for i in result.items if i.question is not None),
                   tuple(diagnoses))


class SummaryTally:
    """What a class summary needs of each StudentGrade, kept as the results stream past:
    scores and points per question, and counts, never the items themselves."""

    def __init__(self):
        self.scores: list[float] = []
        self.points: list[dict] = []          # {question id: points} of each result
        self.unreadable = 0
        self.max_score = 0.0
        self.statuses: Counter = Counter()
        self.diagnoses: Counter = Counter()
        self.seen: dict[str, float] = {}      # (question id, max points), first seen first

    def add(self, result) -> None:
        self.add_tallied(Tallied.of(result))

    def add_tallied(self, tallied: "Tallied") -> None:
        """Adds what the summary needs of one result (Tallied.of it, perhaps in another process)."""
        self.scores.append(tallied.score)
        self.points.append(tallied.points)
        self.unreadable += 1 if tallied.error else 0
        first = len(self.scores) == 1
        self.max_score = tallied.max_score if first else max(self.max_score, tallied.max_score)
        for qid, points in tallied.questions:
            self.seen.setdefault(qid, points)
        self.statuses.update(tallied.statuses)
        self.diagnoses.update(tallied.diagnoses)

    @property
    def questions(self) -> tuple:
        """Returns (question id, max points) over every result, in first-seen order."""
        return tuple(self.seen.items())

    def summary(self, questions=None) -> ClassSummary:
        """Returns the ClassSummary of the results added (over `questions`, else all seen)."""
        questions = self.questions if questions is None else questions
        per_question = []
        for qid, max_points in questions:
            earned = [points.get(qid, 0.0) for points in self.points]
            per_question.append((qid, _round(statistics.fmean(earned)), max_points))
        statuses, diagnoses = self.statuses, self.diagnoses
        # Ties are broken by name, so that the same class always gives the same summary.
        common = min(diagnoses.items(), key=lambda kv: (-kv[1], kv[0])) if diagnoses else None
        return ClassSummary(
            files=len(self.scores), unreadable=self.unreadable,
            mean=_round(statistics.fmean(self.scores)),
            median=_round(statistics.median(self.scores)),
            max_score=self.max_score, questions=tuple(per_question),
            statuses=tuple((s, statuses[s]) for s in STATUSES if statuses[s]),
            common_diagnosis=common)


def _round(value: float) -> float:
    return round(value, 9) + 0.0
