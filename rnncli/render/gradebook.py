"""GradeReport -> whole-class exports: a CSV gradebook, a Gradescope results.json.

Files are written atomically (a temporary file in the same directory, then
os.replace), so a reader never sees half a gradebook and a failed run leaves
the previous file as it was.
"""
from __future__ import annotations

import csv
import io
import os
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass

from rnncli.errors import InputFileError, one_line
from rnncli.render.grade import points_text, sheet_line, value_shown

FIXED_COLUMNS = ("student_id", "student", "total", "max", "status", "error")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text) -> str:
    """Returns free text safe for a spreadsheet: a leading = + - @ would run as a formula,
    and control or bidi characters are escaped (`\\x1b`, `\\u202e`) so that no cell can
    drive a terminal that prints the file or spoof the order of what it shows."""
    text = "" if text is None else one_line(str(text))
    return "'" + text if text.startswith(_FORMULA_START) else text


def question_columns(questions) -> list:
    """Returns the CSV header of each question: its id, or `question ID` if the id is taken;
    every column name distinct and inert (no formula, no control character)."""
    columns: list[str] = []
    reserved = set(FIXED_COLUMNS) | {"variant"}      # `variant` when grading by variant
    taken = set(reserved)
    for qid, _ in questions:
        name = _cell(f"question {qid}" if qid in reserved else qid)
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name} ({number})", number + 1
        taken.add(candidate)
        columns.append(candidate)
    return columns


@dataclass(frozen=True)
class GradebookLine:
    """What one answers file's gradebook row needs of its StudentGrade (no items)."""
    student_id: str
    student: str | None
    variant: int | None
    earned: dict                 # {question id: points}
    score: float
    max_score: float
    status: str
    error: str | None

    @classmethod
    def of(cls, result, points: dict | None = None) -> "GradebookLine":
        """Returns the gradebook line of a StudentGrade (`points`: its question_points(),
        when the caller has them)."""
        return cls(result.student_id, result.student, result.variant,
                   result.question_points() if points is None else points,
                   result.score, result.max_score, result.status, result.error)


def csv_text(report) -> str:
    """Returns the gradebook: one row per answers file, points per question, total, max, status."""
    return gradebook_csv((GradebookLine.of(r) for r in report.results), report.questions,
                         bool(report.variants))


def gradebook_csv(lines, questions, by_variant: bool = False) -> str:
    """Returns the gradebook of GradebookLines over `questions` ((id, max points))."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # The variant column exists only when grading by variant, so other gradebooks keep their columns.
    variant = ["variant"] if by_variant else []
    writer.writerow(["student_id", "student", *variant, *question_columns(questions),
                     "total", "max", "status", "error"])
    for line in lines:
        earned = line.earned
        row = [_cell(line.student_id), _cell(line.student)]
        row += ["" if line.variant is None else str(line.variant)] if by_variant else []
        row += [points_text(earned.get(qid, 0.0)) for qid, _ in questions]
        row += [points_text(line.score), points_text(line.max_score), line.status,
                _cell(line.error)]
        writer.writerow(row)
    return buffer.getvalue()


def gradescope_results(result, precision: int = 4) -> dict:
    """Returns a Gradescope autograder results.json document for one submission."""
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
    if result.variant is not None:
        summary += f" (variant {result.variant})"
    if result.sheet_diagnosis is not None:
        summary += "\n" + sheet_line(result)
    if result.not_graded:
        summary += "; not asked, so not graded: " + ", ".join(result.not_graded)
    return {"score": _json_points(result.score), "output": summary, "output_format": "text",
            "test_output_format": "text", "tests": tests}


def _json_points(value):
    value = float(value)
    return int(value) if value == int(value) else value


def write_atomically(path: str, text: str) -> None:
    """Writes text to path through a temporary file and a rename; raises InputFileError if it cannot.

    A symbolic link is followed (the file it points to is replaced, the link stays), and
    the file keeps its permissions: the old file's mode, or for a new file what the umask
    gives any new file (mkstemp alone would leave 0600, unreadable to the rest of a course).
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        handle, temporary = tempfile.mkstemp(prefix=".rnncli-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputFileError(f"cannot write here ({exc.strerror})", file=path) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise InputFileError(f"cannot write the file ({exc.strerror})", file=path) from None


def _umask() -> int:
    """Returns the process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
