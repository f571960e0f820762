"""Tolerances on whole arrays (grading/tolerances.py) agree with the one-number rules exactly.

`bound` and `close` are the rules as written in docs/grading.md, one number at
a time; `allowed`, `passing`, `within` and `failing_entries` apply them to
whole arrays and must give the same bounds, bit for bit, and the same verdicts,
boundary cases (SLACK, EPSILON, powers of ten for sigfig) included.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given, settings, strategies as st

from rnncli.files.problem import Tolerance
from rnncli.grading.tolerances import allowed, bound, close, failing_entries, passing, within

TOLERANCES = st.one_of(
    st.none(),
    st.builds(Tolerance, rel=st.sampled_from([0.0, 0.01, 0.05, 1e-9]),
              abs=st.sampled_from([0.0, 0.001, 0.5, 1e-12])),
    st.builds(Tolerance, sigfig=st.integers(1, 17)),
    st.builds(Tolerance, decimals=st.integers(0, 15)),
)
NUMBERS = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, 10.0, 100.0, 1000.0, 1e-3, 1e-7, 0.001, 999.9999999999999,
                     0.4225, 0.4235, 0.4215, 5e-324, 1e9, -1e9, 0.1 + 0.2]),
    st.integers(-10**6, 10**6).map(lambda k: k / 1000),
)


@st.composite
def cases(draw):
    shape = draw(st.sampled_from([(1,), (3,), (2, 2), (7,)]))
    size = math.prod(shape)
    expected = np.array(draw(st.lists(NUMBERS, min_size=size, max_size=size))).reshape(shape)
    # Given values near the expected ones: on, just inside and just outside the bounds.
    nudges = draw(st.lists(st.one_of(NUMBERS, st.sampled_from(["on", "in", "out", "same"])),
                           min_size=size, max_size=size))
    tolerance = draw(TOLERANCES)
    given = []
    for e, nudge in zip(expected.ravel().tolist(), nudges):
        b = bound(tolerance, e)
        given.append({"on": e + b, "in": e - b * 0.999999, "out": e + b * 1.000001 + 1e-300,
                      "same": e}.get(nudge, nudge) if isinstance(nudge, str) else nudge)
    return tolerance, expected, np.array(given).reshape(shape)


@settings(max_examples=600, deadline=None)
@given(cases(), st.sampled_from([1.0, 0.25, 0.1]))
@example((Tolerance(sigfig=3), np.array([1000.0, 0.0]), np.array([1005.0, 0.0051])), 1.0)
@example((Tolerance(rel=0.0, abs=0.001), np.array([0.4225]), np.array([0.4235])), 1.0)
def test_whole_arrays_agree_with_one_number_at_a_time(case, scale):
    tolerance, expected, given_values = case
    flat_e, flat_g = expected.ravel().tolist(), given_values.ravel().tolist()
    bounds = allowed(tolerance, expected)
    assert bounds.shape == expected.shape
    assert bounds.ravel().tolist() == [bound(tolerance, e) for e in flat_e]
    verdicts = [close(tolerance, e, g, scale) for e, g in zip(flat_e, flat_g)]
    assert passing(tolerance, expected, given_values, scale).ravel().tolist() == verdicts
    assert within(tolerance, expected, given_values, scale) == all(verdicts)
    assert failing_entries(tolerance, expected, given_values) == [
        i for i, (e, g) in enumerate(zip(flat_e, flat_g)) if not close(tolerance, e, g)]


def test_shapes_that_differ_are_not_within():
    assert not within(None, np.zeros(3), np.zeros(4))
    assert within(Tolerance(), 0.5, 0.5004)
