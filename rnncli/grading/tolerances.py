"""Tolerance + expected value -> how far a given value may be, and whether it is close enough.

Rules (docs/grading.md):

- `{rel: R, abs: A}`: |given - expected| <= A + R |expected| (numpy's allclose,
  PrairieLearn's relabs); scaled by the expected value only, so the student's
  own value never widens the window.
- `{sigfig: N}`: PrairieLearn's rule: |given - expected| <= 0.51 * 10^-n with
  n = N - 1 - floor(log10 |expected|) (n = N - 1 when expected is 0); an answer
  rounded correctly to N significant figures passes.
- `{decimals: N}`: |given - expected| <= 0.51 * 10^-N.
- `None`: exact (parameter counts).

Every bound is inclusive, with a slack of about a part in 10^9 of the bound so
that a value exactly on the boundary (0.4235 for 0.4225 ± 0.001) is not
refused by the binary rounding of decimal numbers. Vectors pass when every
entry passes.
"""
from __future__ import annotations

import math

import numpy as np

from rnncli.files.problem import Tolerance

SLACK = 1e-9
EPSILON = 4 * 2.220446049250313e-16
DEFAULT = Tolerance()


def bound(tolerance: Tolerance | None, expected: float) -> float:
    """Returns the largest allowed |given - expected| for one number (0 when exact)."""
    if tolerance is None:
        return 0.0
    if tolerance.sigfig is not None:
        magnitude = math.floor(math.log10(abs(expected))) if expected != 0 else 0
        return 0.51 * 10.0 ** (magnitude - (tolerance.sigfig - 1))
    if tolerance.decimals is not None:
        return 0.51 * 10.0 ** -tolerance.decimals
    return tolerance.abs + tolerance.rel * abs(expected)


def close(tolerance: Tolerance | None, expected: float, given: float, scale: float = 1.0) -> bool:
    """Returns whether one given number is close enough to one expected number.

    `scale` narrows the window (diagnoses ask for a closer match than grading).
    """
    difference = abs(given - expected)
    if tolerance is None:
        return difference == 0
    return difference <= (scale * bound(tolerance, expected) * (1 + SLACK)
                          + EPSILON * max(abs(expected), abs(given)))


def allowed(tolerance: Tolerance | None, expected) -> np.ndarray:
    """Returns the largest allowed |given - expected|, entry by entry (0 when exact).

    `bound` on whole arrays, to the bit: the IEEE operations of the rel/abs rule
    are the same in numpy; the sigfig rule's log10 and power are Python's own
    (math.log10 per entry, 10.0 ** k once per distinct exponent), since numpy's
    vectorised versions may differ in the last bit and move a power-of-ten boundary.
    """
    expected = np.asarray(expected, dtype=float)
    if tolerance is None:
        return np.zeros(expected.shape)
    if tolerance.decimals is not None:
        return np.full(expected.shape, 0.51 * 10.0 ** -tolerance.decimals)
    if tolerance.sigfig is None:
        return np.asarray(tolerance.abs + tolerance.rel * np.abs(expected))
    flat = expected.ravel()
    magnitudes = np.zeros(flat.shape, dtype=np.int64)
    nonzero = flat != 0
    magnitudes[nonzero] = [math.floor(m) for m in map(math.log10, np.abs(flat[nonzero]).tolist())]
    exponents = magnitudes - (tolerance.sigfig - 1)
    result = np.empty(flat.shape)
    for k in np.unique(exponents).tolist():
        result[exponents == k] = 0.51 * 10.0 ** k
    return result.reshape(expected.shape)


def passing(tolerance: Tolerance | None, expected, given, scale: float = 1.0) -> np.ndarray:
    """Returns, entry by entry, whether `given` is close enough to `expected` (same shapes).

    `close` on whole arrays, with its exact semantics: the same operations in
    the same order, and max(|e|, |g|) as Python's max picks it.
    """
    expected = np.asarray(expected, dtype=float)
    given = np.asarray(given, dtype=float)
    difference = np.abs(given - expected)
    if tolerance is None:
        return difference == 0
    size_e, size_g = np.abs(expected), np.abs(given)
    larger = np.where(size_g > size_e, size_g, size_e)
    return difference <= (scale * allowed(tolerance, expected) * (1 + SLACK) + EPSILON * larger)


def within(tolerance: Tolerance | None, expected, given, scale: float = 1.0) -> bool:
    """Returns whether every entry of `given` is close enough to `expected` (same shape)."""
    if _ndim(expected) == 0 and _ndim(given) == 0:
        # The common case, scalar exercises: plain floats are ten times faster than numpy here.
        return close(tolerance, float(expected), float(given), scale)
    expected = np.asarray(expected, dtype=float)
    given = np.asarray(given, dtype=float)
    if expected.shape != given.shape:
        return False
    # Every entry must pass: the first one alone (`close`, the same rule on one number)
    # refuses most wrong vectors at a twentieth of the cost of checking them whole.
    if expected.size > 1 and not close(tolerance, float(expected.flat[0]), float(given.flat[0]),
                                       scale):
        return False
    return bool(passing(tolerance, expected, given, scale).all())


def _ndim(value) -> int:
    # np.ndim on an array is a dispatched call; the attribute is the same number, far cheaper.
    return value.ndim if type(value) is np.ndarray else np.ndim(value)


def failing_entries(tolerance: Tolerance | None, expected, given) -> list[int]:
    """Returns the (0-based, flattened) positions of the entries that are not close enough."""
    expected = np.asarray(expected, dtype=float).ravel()
    given = np.asarray(given, dtype=float).ravel()
    count = min(len(expected), len(given))     # zip's length, as before
    return np.flatnonzero(~passing(tolerance, expected[:count], given[:count])).tolist()


def describe(tolerance: Tolerance | None) -> str:
    """Returns a tolerance as a student reads it: `±(0.001 + 1% of the answer)`, `3 s.f.`, `exact`."""
    if tolerance is None:
        return "exact"
    if tolerance.sigfig is not None:
        return f"{tolerance.sigfig} significant figure{'s' if tolerance.sigfig != 1 else ''}"
    if tolerance.decimals is not None:
        return f"{tolerance.decimals} decimal place{'s' if tolerance.decimals != 1 else ''}"
    parts = []
    if tolerance.abs:
        parts.append(f"{tolerance.abs:g}")
    if tolerance.rel:
        parts.append(f"{tolerance.rel * 100:g}% of the answer")
    return "±(" + " + ".join(parts) + ")" if len(parts) > 1 else "±" + (parts[0] if parts else "0")


def number(value: float) -> str:
    """Returns a difference or bound briefly, 4 significant figures: 0.0052, 1.2e-05."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.4g}"
