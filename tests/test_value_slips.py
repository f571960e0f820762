"""The value slips (decimal point, sign, neighbouring step, another quantity) checked on whole
arrays give the diagnosis the plain loop gives, on scalars and vectors, at the edge of the window.

The oracle below is the loop diagnoses.py ran before the candidates were
stacked: one `within(..., SHARP)` per candidate, in order.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from rnncli.grading.diagnoses import DECIMAL_SHIFTS, SHARP, Diagnosis
from rnncli.grading.tolerances import bound, within
from test_grading import gru_olah_marking, seed002_marking


def loop_value_slip(diagnoser, item, given):
    expected, tolerance = item.expected, item.tolerance
    name, t = item.ref.name, item.ref.step
    if np.any(expected != 0) and np.any(given != 0):
        ratio = float(np.max(np.abs(given)) / np.max(np.abs(expected)))
        for shift in [s for s in DECIMAL_SHIFTS if s == round(math.log10(ratio))]:
            if within(tolerance, expected, given / 10.0 ** shift, SHARP):
                return "decimal-point"
        if within(tolerance, -expected, given, SHARP):
            return "sign"
    reference, first = diagnoser.reference, diagnoser.recomputer.first
    steps = range(first, first + len(reference.steps))
    for other_t in (t - 1, t + 1):
        if other_t in steps or (other_t < steps.start and name in reference.initial):
            value = np.asarray(reference.value(name, other_t), dtype=float)
            if value.shape == given.shape and within(tolerance, value, given, SHARP) \
                    and not within(tolerance, expected, value):
                return ("neighbour-step", other_t)
    record = reference.steps[t - first]
    for other, value in {**record.inputs, **record.values}.items():
        value = np.asarray(value, dtype=float)
        if other != name and value.shape == given.shape and within(tolerance, value, given, SHARP) \
                and not within(tolerance, expected, value):
            return ("other-quantity", other)
    return None


def stacked_value_slip(diagnoser, item, given):
    found = diagnoser._value_slip(item, given)
    if found is None or found.code in ("decimal-point", "sign"):
        return None if found is None else found.code
    if found.code == "neighbour-step":
        return ("neighbour-step", int(found.message.split("[")[1].split("]")[0]))
    return ("other-quantity", found.label.split(" given for ")[0])


def givens(diagnoser, item, rng):
    """Returns answers on and around every candidate: exactly it, just inside and just outside
    the SHARP window (per entry), ten times it, its negative, and noise."""
    reference, first, t = diagnoser.reference, diagnoser.recomputer.first, item.ref.step
    record = reference.steps[t - first]
    values = [np.asarray(v, dtype=float) for v in {**record.inputs, **record.values}.values()]
    for s in (t - 1, t + 1):
        if first <= s < first + len(reference.steps) or item.ref.name in reference.initial:
            values.append(np.asarray(reference.value(item.ref.name, s), dtype=float))
    shape = np.shape(item.expected)
    out = []
    for value in values + [np.asarray(item.expected, dtype=float)]:
        if value.shape != shape:
            continue
        window = np.vectorize(lambda e: SHARP * bound(item.tolerance, e))(value)
        for factor in (0.0, 0.999999, 1.000001, -0.999999, 2.0):
            out.append(value + factor * window)
        out += [10 * value, -value, value / 100]
    out += [rng.uniform(-2, 2, size=shape) for _ in range(5)]
    return [np.asarray(g, dtype=float) for g in out]


@pytest.mark.parametrize("marking", [seed002_marking, gru_olah_marking])
def test_stacked_candidates_give_the_loops_diagnosis(marking):
    marking = marking()
    diagnoser = marking.diagnoser
    rng = np.random.default_rng(7)
    checked = found = 0
    for item in marking.items:
        for given in givens(diagnoser, item, rng):
            expected = loop_value_slip(diagnoser, item, given)
            assert stacked_value_slip(diagnoser, item, given) == expected, (item.ref, given)
            checked += 1
            found += expected is not None
    assert checked > 100 and found > 20


def test_a_diagnosis_names_the_first_candidate_that_fits():
    marking = seed002_marking()
    item = next(i for i in marking.items if str(i.ref) == "h[2]")
    previous = marking.diagnoser.reference.value("h", 1)
    found = marking.diagnoser._value_slip(item, np.asarray(previous, dtype=float))
    assert isinstance(found, Diagnosis) and found.code == "neighbour-step" and "h[1]" in found.message
