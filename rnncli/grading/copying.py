"""Graded variants -> `Suspicion`s: students whose wrong answers are another variant's right ones.

With a variant per student, a copied sheet carries the numbers of its source's
variant. An answer counts against a student only when it is wrong for their
own variant and within tolerance of another variant's expected value; a
student is listed when at least two answers, and at least half of the answers
they gave, match one other variant. The list goes to the instructor's class
summary only, never into a student's feedback: it is a reason to look, not a
verdict.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnncli.grading.tolerances import EPSILON, SLACK, allowed

MIN_MATCHES = 2


@dataclass(frozen=True)
class Suspicion:
    student_id: str
    file: str
    variant: int                 # the student's own variant
    matches_variant: int         # the variant whose numbers their answers carry
    matched: int                 # answers that equal that variant's and not their own
    answered: int                # answers the student gave (valid numbers)


def suspected_copies(results, variant_set) -> tuple:
    """Returns the Suspicions of a batch graded by variant, in the order of the results."""
    tables = _expected_by_ref(variant_set)
    found = []
    for result in results:
        if result.error or result.variant is None:
            continue
        answered = [i for i in result.items if i.question is not None
                    and i.status not in ("missing", "invalid") and i.given is not None]
        matches: Counter = Counter()
        for item in answered:
            if item.status != "correct" and item.label in tables:
                for number in tables[item.label].matching(item.given):
                    if number != result.variant:
                        matches[number] += 1
        if not matches:
            continue
        number, matched = min(matches.items(), key=lambda kv: (-kv[1], kv[0]))
        if matched >= MIN_MATCHES and 2 * matched >= len(answered):
            found.append(Suspicion(result.student_id, result.file, result.variant, number,
                                   matched, len(answered)))
    return tuple(found)


class _RefTable:
    """One reference's expected value in every variant, compared with a given value all at once."""

    def __init__(self, numbers: list, expected: list, tolerance):
        self.numbers = np.array(numbers)
        self.expected = np.array([np.ravel(np.asarray(e, dtype=float)) for e in expected])
        self.shape = np.shape(expected[0])
        self.bounds = allowed(tolerance, self.expected) * (1 + SLACK)

    def matching(self, given) -> list:
        """Returns the variants whose expected value `given` is within tolerance of."""
        try:
            given = np.asarray(given, dtype=float)
        except (TypeError, ValueError):
            return []
        if given.shape != self.shape:
            return []
        flat = given.ravel()
        slack = EPSILON * np.maximum(np.abs(self.expected), np.abs(flat))
        close = np.abs(self.expected - flat) <= self.bounds + slack
        return self.numbers[np.all(close, axis=1)].tolist()


def _expected_by_ref(variant_set) -> dict:
    """Returns {ref: _RefTable} over every variant's asked (non-count) items."""
    columns: dict = {}
    for variant in variant_set.variants:
        for item in variant.items:
            if not item.is_count:
                entry = columns.setdefault(item.label, ([], [], item.tolerance))
                entry[0].append(variant.number)
                entry[1].append(item.expected)
    return {ref: _RefTable(*entry) for ref, entry in columns.items()}
