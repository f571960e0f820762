"""A class roster (CSV with a `student_id` column) -> `Roster`, every id checked before any file is written.

Each student gets a problem file named `<student_id>.yaml`, so an id must be
usable as a file name on every system: no path separators, no leading dot,
no control characters. Other columns are kept as they are.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from rnncli.errors import InputFileError
from rnncli.files.text_source import read_text

MAX_STUDENTS = 100_000
SAFE_ID = re.compile(r"^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,127}$")


@dataclass(frozen=True)
class Roster:
    file: str
    fieldnames: tuple
    rows: tuple                  # dict per student, every column as text
    ids: tuple                   # the student_id of each row


def load_roster(path: str) -> Roster:
    """Returns the Roster of a CSV file; raises InputFileError naming the line of the first problem."""
    text, name = read_text(path)
    text = text.lstrip("\ufeff")          # spreadsheets write a byte-order mark
    reader = csv.DictReader(io.StringIO(text))
    fieldnames = tuple(f.strip() for f in (reader.fieldnames or ()))
    if "student_id" not in fieldnames:
        raise InputFileError("the roster has no `student_id` column (the first line must name "
                             "the columns, e.g. student_id,name)", file=name, line=1)
    reader.fieldnames = list(fieldnames)
    rows, ids, seen = [], [], {}
    try:
        for row in reader:
            line = reader.line_num
            if len(rows) >= MAX_STUDENTS:
                raise InputFileError(f"more than {MAX_STUDENTS} students", file=name, line=line)
            student = (row.get("student_id") or "").strip()
            if not student:
                raise InputFileError("empty student_id", file=name, line=line)
            if not SAFE_ID.match(student) or student in (".", ".."):
                raise InputFileError(
                    f"student_id {student!r} cannot name a file: use letters, digits and . _ - @ + "
                    "(no spaces, slashes or leading dot), at most 128 characters", file=name, line=line)
            if student in seen:
                raise InputFileError(f"student_id {student} is also on line {seen[student]}",
                                     file=name, line=line)
            seen[student] = line
            rows.append({k: ("" if v is None else v) for k, v in row.items() if k is not None})
            ids.append(student)
    except csv.Error as exc:
        raise InputFileError(f"not a valid CSV file: {exc}", file=name,
                             line=reader.line_num) from None
    if not rows:
        raise InputFileError("the roster lists no students", file=name, line=1)
    return Roster(name, fieldnames, tuple(rows), tuple(ids))
