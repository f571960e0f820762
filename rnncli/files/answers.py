"""Answers file (docs/file-formats.md) -> `Answers`: who answered, and what they wrote for each reference.

The file's structure is checked here (a broken structure makes the whole file
unreadable, exit 2); each answered value is kept as written and checked later,
item by item, so that one bad number makes one item `invalid`, not the file.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from rnncli.errors import ProblemError, one_line
from rnncli.files.values import as_array, describe, fail, reject_unknown_keys
from rnncli.files.yaml_source import Document, load_yaml, parse_yaml

# `variant` is accepted and ignored: with `grade --variants` the student id decides the variant,
# so that a student cannot choose one.
ANSWERS_KEYS = ("problem", "student", "student_id", "variant", "answers")
MAX_COUNT = 10 ** 15


@dataclass(frozen=True)
class Answer:
    text: str            # the reference as the student wrote it, e.g. `h[1]`
    value: Any           # the YAML value as written (checked when graded)
    line: int | None
    question: str | None = None     # given under a question's id (a question with `set:`)
    inner: tuple | None = None      # a mapping as the value: its entries, as nested Answers

    @property
    def label(self) -> str:
        """Returns the answer's key as reports name it: `c[2]`, or `b: c[2]` when nested."""
        return self.text if self.question is None else f"{self.question}: {self.text}"

    @property
    def size(self) -> int:
        """Returns how many answers this entry gives (a mapping: each of its entries)."""
        return 1 + len(self.inner or ())


@dataclass(frozen=True)
class Answers:
    """One student's answers file."""

    file: str
    student: str | None
    student_id: str
    problem: str | None        # the `problem:` key as written (self-check mode only)
    entries: tuple             # Answer, in file order
    problem_line: int | None = None

    def problem_path(self) -> str:
        """Returns the `problem:` path resolved relative to the answers file (self-check).

        Only a file inside the answers file's directory (or below it) may be named: an
        answers file is someone else's text, and must not make rnncli read `/etc/...` or
        `../../` and quote it in an error. Untrusted submissions are graded with
        `--problem`, which ignores `problem:` altogether.
        """
        if not self.problem:
            raise ProblemError("the answers file names no `problem:`; add `problem: FILE.yaml` "
                               "or grade with `rnncli grade --problem FILE.yaml`", file=self.file,
                               line=1)
        line = self.problem_line or 1
        if "\x00" in self.problem:
            # No file system takes a NUL byte in a name (Python refuses it with a ValueError).
            raise ProblemError("`problem:` is not a file name (it holds a NUL character)",
                               file=self.file, line=line)
        if os.path.isabs(self.problem) or self.problem.startswith("~"):
            raise ProblemError("`problem:` must be a path relative to the answers file, not an "
                               "absolute one; to grade against another file use `rnncli grade "
                               "--problem FILE.yaml`", file=self.file, line=line)
        # Judged as written: a link placed in the directory by its owner is followed (the
        # shipped examples use one); a single answers file cannot create one.
        relative = os.path.normpath(self.problem)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise ProblemError("`problem:` leaves the answers file's directory; in self-check "
                               "mode only a problem beside the answers file (or below it) is "
                               "read; use `rnncli grade --problem FILE.yaml`", file=self.file,
                               line=line)
        if self.file.startswith("<"):
            return relative
        return os.path.join(os.path.dirname(self.file), relative)


def load_answers(path: str) -> Answers:
    """Returns the Answers of a YAML file (`-` reads standard input)."""
    return answers_from_document(load_yaml(path))


def parse_answers(text: str, filename: str = "<string>") -> Answers:
    """Returns the Answers of YAML text."""
    return answers_from_document(parse_yaml(text, filename))


def answers_from_document(doc: Document) -> Answers:
    """Returns the Answers of a YAML document; raises ProblemError for a broken structure."""
    data = doc.data
    if isinstance(data, dict) and "answers" not in data and {"cell", "equations"} & set(data):
        fail(doc, (), "this is a problem file (it has `cell:` or `equations:`), not an answers "
                      "file; grade answers against it with `rnncli grade --problem "
                      f"{doc.file} ANSWERS...`")
    reject_unknown_keys(doc, (), data, ANSWERS_KEYS, where=" in an answers file",
                        tail="; the keys are " + ", ".join(ANSWERS_KEYS))
    if "answers" not in data:
        fail(doc, (), "the answers file has no `answers:` mapping (reference: value lines)")
    answers = data["answers"]
    if answers is None:
        answers = {}          # a template left empty: everything is missing, nothing broken
    if not isinstance(answers, dict):
        fail(doc, ("answers",), f"`answers` must be a mapping such as `h[1]: 0.26`, "
                                f"not {describe(answers)}")
    problem = data.get("problem")
    if problem is not None and not isinstance(problem, str):
        problem = None        # only read in self-check mode, where it is checked again
    entries = tuple(_entries(doc, answers))
    return Answers(file=doc.file, student=_text(doc, "student", data.get("student")),
                   student_id=_text(doc, "student_id", data.get("student_id"))
                   or default_student_id(doc.file),
                   problem=problem, entries=entries, problem_line=doc.line("problem"))


def _entries(doc: Document, answers: dict):
    """Yields the Answers in file order. A mapping as a value keeps its entries (`inner`): under
    the id of a question with `set:` (`b: {c[2]: 0.08}`) they answer the network that
    question changes; under anything else the mapping is an answer, and not a number."""
    for ref, value in answers.items():
        inner = None
        if isinstance(value, dict):
            inner = tuple(Answer(str(key), given, doc.line("answers", ref, key), str(ref))
                          for key, given in value.items())
        yield Answer(str(ref), value, doc.line("answers", ref), inner=inner)


def default_student_id(file: str) -> str:
    """Returns the file's name without directory and extension: `answers/ada.yaml` -> `ada`."""
    name = os.path.basename(file)
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in (".yaml", ".yml") else name


def _text(doc: Document, key: str, value) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)       # student numbers are often written bare: `student_id: 1234`
    if not isinstance(value, str):
        fail(doc, (key,), f"`{key}` must be text, not {describe(value)}")
    # No newlines or tabs in a gradebook cell; no escape sequences or bidi overrides that
    # would drive a TA's terminal or spoof an id (escaped as \x1b, \u202e: visible).
    value = one_line(" ".join(value.split()))
    if len(value) > 200:
        fail(doc, (key,), f"`{key}` is longer than 200 characters")
    return value or None


def is_blank(raw) -> bool:
    """Returns whether an answer was left blank: null, empty text, or a list of only blanks."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list):
        return all(is_blank(entry) for entry in raw)   # [] too: nothing was written
    return False


_NUMBER_TEXT = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_DECIMAL_COMMA = re.compile(r"^([-+]?)([0-9]*),([0-9]+)$")
_THOUSANDS = re.compile(r"^[-+]?[0-9]{1,3}(?:,[0-9]{3})+$")


def _unquoted(raw, ref: str, is_count: bool):
    """Returns (raw with numbers written as text read as numbers, whether any was, why invalid).

    `"0.4953"` is the number 0.4953 (a quoted number is still the number the
    student meant); `0,39` is not a number in YAML, and guessing whether the
    comma is a decimal comma or a thousands separator is not the grader's
    job, so it is invalid with the way to write it.
    """
    if isinstance(raw, list):
        converted, quoted = [], False
        for entry in raw:
            value, was_quoted, problem = _unquoted(entry, ref, is_count)
            if problem:
                return None, False, problem
            converted.append(value)
            quoted = quoted or was_quoted
        return converted, quoted, None
    if not isinstance(raw, str):
        return raw, False, None
    text = raw.strip()
    if _NUMBER_TEXT.match(text):
        number = float(text)
        if is_count and re.fullmatch(r"[-+]?[0-9]{1,18}", text):
            number = int(text)      # longer digit strings stay floats: too large for a count
        return number, True, None
    if is_count and _THOUSANDS.match(text):
        return None, False, (f"`{ref}` = `{text}` is not a number: write "
                             f"{text.replace(',', '')}, without the comma")
    comma = _DECIMAL_COMMA.match(text)
    if comma:
        sign, whole, fraction = comma.groups()
        return None, False, (f"`{ref}` = `{text}` has a decimal comma, which is not a number: "
                             f"write {sign}{whole or '0'}.{fraction}")
    return raw, False, None


def check_value(item, raw, file: str):
    """Returns (value, None, note) for a valid answer to an AskedItem, or (None, why invalid, None).

    A value must be a finite number, vector or matrix of the expected shape
    (values.as_array: the same checks as problem files); a count, a number
    (20362.0 is the count 20362, 20362.5 a wrong count). A number written as
    text (`"0.4953"`) is read as the number, and `note` says so; else `note`
    is None.
    """
    ref = str(item.ref)
    if raw is None:
        return None, f"`{ref}` is left blank", None
    if isinstance(raw, list) and not item.is_count:
        # Far more rows than the answer has: invalid from the length alone, before a junk
        # list of 90,000 entries is read entry by entry (lists of up to 100 keep their exact message).
        rows = item.expected.shape[0] if item.expected.ndim else 1
        if len(raw) > max(rows, 100):
            return None, (f"`{ref}` must be {_shape_text(item.expected.shape)}, not a list of "
                          f"{len(raw):,} entries"), None
    written = raw
    raw, quoted, problem = _unquoted(raw, ref, item.is_count)
    if problem:
        return None, problem, None
    note = None
    if quoted:
        note = (f'"{written.strip()}" is written as text (in quotes); it is read as the number '
                f'{written.strip()}' if isinstance(written, str) else
                "entries written as text (in quotes) are read as the numbers they spell")
    value, problem = _checked(item, raw, file)
    return value, problem, None if problem else note


def _checked(item, raw, file: str):
    ref = str(item.ref)
    if item.is_count:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            return None, f"`{ref}` is a count and must be a number, not {describe(raw)}"
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, f"`{ref}` must be a finite number, not {raw}"
        if abs(raw) > MAX_COUNT:
            return None, f"`{ref}` is too large to be a parameter count"
        # 20362.0 is the count 20362; 20362.5 is a number, but never a count: wrong, not invalid.
        return (int(raw) if raw == int(raw) else raw), None
    try:
        value = as_array(Document(None, file), (ref,), raw)
    except ProblemError as exc:
        return None, exc.message
    expected = item.expected
    if value.shape != expected.shape:
        if value.size == 1 and expected.size == 1:
            return value.reshape(expected.shape), None
        return None, f"`{ref}` must be {_shape_text(expected.shape)}, not {_shape_text(value.shape)}"
    return value, None


def _shape_text(shape: tuple) -> str:
    if shape == ():
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} numbers"
    return "a matrix of " + " × ".join(map(str, shape)) + " numbers"


def shown(raw, limit: int = 60) -> str | None:
    """Returns an invalid value as short text for reports: `[1, 2]` as written, never a NaN or a
    huge number, cut to `limit` characters (a long list is not spelled out in full)."""
    if raw is None:
        return None
    text = one_line(_flow(raw, limit + 1))   # a student's text, shown to a TA: never raw control characters
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _flow(raw, budget: int) -> str:
    """Returns a YAML value in flow style, `[[1, 2], [3, 4]]`, stopping once `budget` characters
    are written (so a list of a million entries costs no more than a short one)."""
    if isinstance(raw, dict):
        return describe(raw)
    if isinstance(raw, list):
        text = "["
        for index, entry in enumerate(raw):
            if len(text) > budget:
                return text + "..."
            text += (", " if index else "") + _flow(entry, budget - len(text))
        return text + "]"
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int) and raw.bit_length() > 64:
        return f"a {len(str(abs(raw)))}-digit number"
    if raw is None:
        return "null"
    text = str(raw)
    return text[:budget] if len(text) > budget else text
