"""Answers already graded -> their StudentGrade again, for the next student who wrote the same.

In a class most students who get a sheet right write the very same numbers
(the reference rounded to 4 decimals), and a common slip gives the same wrong
ones. Marking a file depends only on its answers (what each line says and on
which line it stands), never on who wrote it or where the file is, so a file
whose answers are the same as an earlier one's gets the earlier grade with
this file's name and student: the same bytes in every report, at the cost of
one dictionary lookup instead of a marking.

The key holds each answer's reference, line and value as read: YAML gives
plain Python values (str, int, float, bool, None, lists and mappings), whose
reprs tell every value and type apart (`1`, `1.0`, `True`, `'1'`, `-0.0`)
and write floats exactly; a vector of floats is keyed by its bytes instead. The memo is bounded (least recently used out first) by entries and
by the size of its keys, so a class of distinct files costs bounded memory.
"""
from __future__ import annotations

import dataclasses
from array import array
from collections import OrderedDict

MAX_ENTRIES = 2048
MAX_KEY_CHARS = 16 * 1024 * 1024
# A result holds a few arrays per answer, about as large as its key's text: a key
# counts for this many times its length against MAX_KEY_CHARS.
RESULT_WEIGHT = 3


def answers_key(answers) -> tuple:
    """Returns a key that two answers files share exactly when they give the same answers
    on the same lines (`Answer`s hold text, YAML's plain values and line numbers)."""
    return _entries_key(answers.entries)


def _entries_key(entries) -> tuple:
    return tuple((e.text, e.line, e.question, _value_key(e.value),
                  None if e.inner is None else _entries_key(e.inner)) for e in entries)


def _value_key(value):
    """Returns a value's repr; a list of floats (a vector answer) as its float64 bytes, which
    tell the same floats apart (-0.0 from 0.0) at a fraction of repr's cost."""
    if type(value) is list and value and all(type(x) is float for x in value):
        return array("d", value).tobytes()
    return repr(value)


def key_size(key) -> int:
    """Returns about how many characters a key holds (its texts, values and bytes)."""
    return sum(len(text) + len(value) + (0 if inner is None else key_size(inner))
               for text, _, _, value, inner in key)


class AnswersMemo:
    """StudentGrades by answers_key, least recently used out first."""

    def __init__(self, entries: int = MAX_ENTRIES, chars: int = MAX_KEY_CHARS):
        self.entries = entries
        self.chars = chars
        self._found: OrderedDict[tuple, object] = OrderedDict()
        self._size = 0

    def get(self, key: tuple, answers):
        """Returns the StudentGrade of an earlier file with these answers, as this file's; or None."""
        found = self._found.get(key)
        if found is None:
            return None
        self._found.move_to_end(key)
        return dataclasses.replace(found, file=answers.file, student=answers.student,
                                   student_id=answers.student_id)

    def put(self, key: tuple, result) -> None:
        """Keeps a result for the next file with the same answers."""
        weight = RESULT_WEIGHT * key_size(key)
        if weight > self.chars or key in self._found:
            return
        self._found[key] = result
        self._size += weight
        while len(self._found) > self.entries or self._size > self.chars:
            old, _ = self._found.popitem(last=False)
            self._size -= RESULT_WEIGHT * key_size(old)
