"""GradeReport -> `ClassSummary`: what a TA reads first about a batch (mean, median, per question, common slip)."""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from rnncli.grading.grade import STATUSES


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
    results = report.results
    scores = [r.score for r in results]
    per_question = []
    for qid, max_points in report.questions:
        earned = [r.question_points().get(qid, 0.0) for r in results]
        per_question.append((qid, _round(statistics.fmean(earned)), max_points))
    statuses = Counter(i.status for r in results for i in r.items if i.question is not None)
    diagnoses = Counter(i.diagnosis.label for r in results for i in r.items if i.diagnosis)
    diagnoses.update(r.sheet_diagnosis.label for r in results if r.sheet_diagnosis)
    # Ties are broken by name, so that the same class always gives the same summary.
    common = min(diagnoses.items(), key=lambda kv: (-kv[1], kv[0])) if diagnoses else None
    return ClassSummary(
        files=len(results), unreadable=sum(1 for r in results if r.error),
        mean=_round(statistics.fmean(scores)), median=_round(statistics.median(scores)),
        max_score=max((r.max_score for r in results), default=0.0),
        questions=tuple(per_question),
        statuses=tuple((s, statuses[s]) for s in STATUSES if statuses[s]),
        common_diagnosis=common)


def _round(value: float) -> float:
    return round(value, 9) + 0.0
