"""GradeReport -> whole-class exports: the class summary, a CSV gradebook, a Gradescope results.json.

Files are written atomically (a temporary file in the same directory, then
os.replace), so a reader never sees half a gradebook and a failed run leaves
the previous file as it was.
"""
from __future__ import annotations

import csv
import io
import os
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass

from rnncli.errors import InputFileError

FIXED_COLUMNS = ("student_id", "student", "total", "max", "status", "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    from rnncli.grading import STATUSES

    results = report.results
    scores = [r.score for r in results]
    per_question = []
    for qid, max_points in report.questions:
        earned = [r.question_points().get(qid, 0.0) for r in results]
        per_question.append((qid, _round(statistics.fmean(earned)), max_points))
    statuses = Counter(i.status for r in results for i in r.items if i.question is not None)
    diagnoses = Counter(i.diagnosis.label for r in results for i in r.items if i.diagnosis)
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


def points_text(value) -> str:
    """Returns points as a gradebook shows them: 9, 7.5, 3.333333333."""
    value = float(value)
    return str(int(value)) if value == int(value) else repr(round(value, 9))


def _cell(text) -> str:
    """Returns free text safe for a spreadsheet: a leading = + - @ would run as a formula."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def question_columns(questions) -> list:
    """Returns the CSV header of each question: its id, or `question ID` if the id is taken."""
    return [f"question {qid}" if qid in FIXED_COLUMNS else qid for qid, _ in questions]


def csv_text(report) -> str:
    """Returns the gradebook: one row per answers file, points per question, total, max, status."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student_id", "student", *question_columns(report.questions),
                     "total", "max", "status", "error"])
    for result in report.results:
        earned = result.question_points()
        row = [_cell(result.student_id), _cell(result.student)]
        row += [points_text(earned.get(qid, 0.0)) for qid, _ in report.questions]
        row += [points_text(result.score), points_text(result.max_score), result.status,
                _cell(result.error)]
        writer.writerow(row)
    return buffer.getvalue()


def gradescope_results(result, precision: int = 4) -> dict:
    """Returns a Gradescope autograder results.json document for one submission (grading.md §2.2)."""
    from rnncli.render_grade import value_shown

    if result.error:
        return {"score": 0, "output": f"Your answers file could not be read, so it was scored 0: "
                                      f"{result.error}", "output_format": "text", "tests": []}
    tests = []
    numbers: Counter = Counter()
    for item in result.items:
        if item.question is None:
            continue
        numbers[item.question] += 1
        lines = [f"expected: {value_shown(item.expected, precision)}",
                 f"given:    {value_shown(item.given, precision)}",
                 f"status:   {item.status}"]
        if item.feedback:
            lines.append(item.feedback)
        tests.append({"name": f"{item.question}: {item.ref}",
                      "number": f"{item.question}.{numbers[item.question]}",
                      "score": _json_points(item.points), "max_score": _json_points(item.max_points),
                      "status": "passed" if item.status in ("correct", "follow-through") else "failed",
                      "output": "\n".join(lines)})
    summary = f"{points_text(result.score)} / {points_text(result.max_score)} points"
    if result.not_graded:
        summary += "; not asked, so not graded: " + ", ".join(result.not_graded)
    return {"score": _json_points(result.score), "output": summary, "output_format": "text",
            "test_output_format": "text", "tests": tests}


def _json_points(value):
    value = float(value)
    return int(value) if value == int(value) else value


def write_atomically(path: str, text: str) -> None:
    """Writes text to path through a temporary file and a rename; raises InputFileError if it cannot."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".rnncli-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputFileError(f"cannot write here ({exc.strerror})", file=path) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise InputFileError(f"cannot write the file ({exc.strerror})", file=path) from None
