"""A wrong answer + the student's own earlier answers -> follow-through (error carried forward), or why not.

The value is recomputed with the student's answers in place of the reference
values it is computed from (same-step quantities it reads, and every earlier
step); unanswered intermediates (gates) are recomputed from them. If the
student's value matches that recomputation, the method was right and only an
earlier error was carried: follow-through credit.

The Numbas #368 exploit (a trivial earlier answer that makes later parts free)
is closed two ways: only answers to asked, graded references are used (an
ungraded intermediate could be chosen to fit anything), and an earlier answer
that is wrong *and degenerate* earns nothing forward: zero where the answer is
not, or outside the range of the function that produces it (σ outside [0, 1]).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncli.language.expression import Call
from rnncli.language.functions import FUNCTIONS
from rnncli.grading.tolerances import allowed, within


@dataclass(frozen=True)
class FollowThrough:
    value: object               # the value recomputed from the student's own answers
    matches: bool               # the student's value matches it
    used: tuple                 # references (text) of the wrong earlier answers it used
    refused: str | None = None  # why a match earns no credit (a degenerate earlier answer)

    @property
    def accepted(self) -> bool:
        return self.matches and self.refused is None


def student_overrides(recomputer, item, student_values: dict) -> dict:
    """Returns {(name, t): the student's value} for what item's quantity is computed from."""
    recomputer.use_student(student_values)
    return recomputer.own(item.ref.name, item.ref.step)


def wrong_keys(overrides: dict, items_by_key: dict, recomputer=None) -> list:
    """Returns the (name, t) of the overrides that are wrong against the reference."""
    wrong = []
    for key, value in overrides.items():
        upstream_item = items_by_key[key]
        if (recomputer.is_wrong(key, value, upstream_item) if recomputer is not None
                else not within(upstream_item.tolerance, upstream_item.expected, value)):
            wrong.append(key)
    return sorted(wrong, key=lambda k: (k[1], k[0]))


def follow_through(recomputer, item, given, overrides: dict, items_by_key: dict,
                   wrong: list | None = None):
    """Returns the FollowThrough of a wrong quantity answer, or None when nothing earlier was wrong.

    `wrong` is `wrong_keys(overrides, ...)` when the caller has it already."""
    if wrong is None:
        wrong = wrong_keys(overrides, items_by_key, recomputer)
    if not wrong:
        return None     # recomputing from right answers gives the reference again
    value = recomputer.value(item.ref.name, item.ref.step, overrides)
    used = tuple(f"{name}[{t}]" for name, t in wrong)
    if value is None:
        return FollowThrough(None, False, used)
    matches = within(item.tolerance, value, given)
    refused = None
    if matches:
        for key in wrong:
            refused = degenerate(recomputer.cell, key, overrides[key], items_by_key[key])
            if refused:
                break
    return FollowThrough(value, matches, used, refused)


def degenerate(cell, key, value, upstream_item) -> str | None:
    """Returns why a wrong earlier answer cannot carry credit forward, or None if it can."""
    name, t = key
    value = np.asarray(value, dtype=float)
    expected = np.asarray(upstream_item.expected, dtype=float)
    if not np.all(np.isfinite(value)):
        return f"your {name}[{t}] is not a finite number"
    bound = allowed(upstream_item.tolerance, expected)
    if np.any((value == 0) & (np.abs(expected) > bound)):
        return (f"your {name}[{t}] is 0 where the answer is not, and a zero earlier answer "
                "carries no credit forward")
    root = cell.equation(name).expr if name in cell.quantities else None
    if isinstance(root, Call) and root.function in FUNCTIONS:
        function = FUNCTIONS[root.function]
        if not function.in_range(value):
            return (f"your {name}[{t}] is outside [{function.low:g}, {function.high:g}], the values "
                    f"{function.text} can produce, so it carries no credit forward")
    return None
