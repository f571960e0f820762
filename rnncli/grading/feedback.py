"""A graded answer -> the numbers its feedback quotes: how close it was, by how much it is off."""
from __future__ import annotations

import numpy as np

from rnncli.grading.questions import AskedItem
from rnncli.grading.tolerances import allowed, describe, failing_entries, number


def short_value(value) -> str:
    """Returns a value to 4 significant figures, vectors as [a, b, c]."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return number(float(value))
    return "[" + ", ".join(number(float(v)) for v in value.ravel()) + "]"


def closeness(item: AskedItem, value) -> str:
    largest = float(np.max(np.abs(value - item.expected)))
    if largest == 0:
        return "exact"
    bound = float(np.max(allowed(item.tolerance, item.expected)))
    return f"difference {number(largest)}, allowed {number(bound)}"


def off_by(item: AskedItem, value) -> str:
    difference = np.asarray(value - item.expected, dtype=float)
    bound = allowed(item.tolerance, item.expected)
    if difference.ndim == 0:
        return (f"off by {'+' if difference > 0 else ''}{number(float(difference))} "
                f"(allowed {number(float(bound))}: {describe(item.tolerance)})")
    failing = failing_entries(item.tolerance, item.expected, value)
    worst = int(np.argmax(np.abs(difference.ravel())))
    entries = ", ".join(str(i + 1) for i in failing)
    return (f"entr{'y' if len(failing) == 1 else 'ies'} {entries} off; largest difference "
            f"{number(float(difference.ravel()[worst]))} at entry {worst + 1} "
            f"(allowed {number(float(np.max(bound)))}: {describe(item.tolerance)})")
