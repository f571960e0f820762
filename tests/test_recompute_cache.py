"""The recomputation cache of follow-through stays bounded in bytes and never changes a value."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnncli.files.problem import load_problem
from rnncli.grading import recompute
from rnncli.grading.recompute import Recomputer
from rnncli.solve.trace import run_trace

PROBLEM = Path(__file__).resolve().parent.parent / "problems" / "lstm-standard.yaml"


def test_the_cache_is_bounded_by_bytes_and_values_do_not_change(monkeypatch):
    problem = load_problem(str(PROBLEM))
    rng = np.random.default_rng(5)
    overrides = [{("h", 1): rng.uniform(-1, 1, 2), ("c", 1): rng.uniform(-1, 1, 2)}
                 for _ in range(40)]
    trace = run_trace(problem)
    unbounded = Recomputer(problem, trace.cell, trace)
    expected = [unbounded.value("h", 2, o) for o in overrides]
    monkeypatch.setattr(recompute, "MAX_CACHED_BYTES", 200)     # about 6 keys of 32 bytes
    bounded = Recomputer(problem, trace.cell, trace)
    for _ in range(2):
        got = [bounded.value("h", 2, o) for o in overrides]
        assert all(np.array_equal(a, b) for a, b in zip(got, expected))
        assert bounded._cached_bytes <= 200 + 32 and len(bounded._cache) <= 8
    assert len(unbounded._cache) == 40


def _from_scratch(problem, trace, name, t, overrides):
    """Returns name[t] from the forward pass cut at t with `overrides` (no student pass)."""
    return Recomputer(problem, trace.cell, trace).value(name, t, overrides)


@pytest.mark.parametrize("problem_name, answered, through_pass", [
    ("lstm-standard.yaml", ("h",), True),                  # h is computed last: rows reused
    ("lstm-standard.yaml", ("h", "c"), False),             # every state given: one step alone
    ("lstm-goodfellow-forward.yaml", ("h",), True),        # y is computed after h: steps run again
    ("lstm-goodfellow-forward.yaml", ("s", "h", "y"), False),
])
def test_a_students_pass_gives_the_values_of_the_pass_cut_at_each_step(problem_name, answered,
                                                                       through_pass):
    """The pass shared by one student's items (its rows built from the items' own steps where
    that is exact) equals, bit for bit, the forward pass cut at t with their answers."""
    problem = load_problem(str(PROBLEM.parent / problem_name))
    trace = run_trace(problem)
    rng = np.random.default_rng(len(answered))
    first, steps = problem.time_start, len(trace.steps)
    student = {}
    for t in range(first, first + steps):
        for name in answered:
            reference = np.asarray(trace.value(name, t), dtype=float)
            student[(name, t)] = reference + rng.uniform(-0.3, 0.3, reference.shape)
    shared = Recomputer(problem, trace.cell, trace)
    shared.use_student(student)
    for t in range(first, first + steps):
        for name in answered:
            upstream = shared.upstream(name, t)
            overrides = {k: v for k, v in student.items() if k in upstream}
            got = shared.value(name, t, overrides)
            expected = _from_scratch(problem, trace, name, t, overrides)
            assert np.array_equal(got, expected), (name, t)
    assert bool(shared._student_passes) == through_pass


def test_what_a_recomputation_takes_is_remembered_per_overrides_object_never_per_contents():
    """Recomputer._ask memoises by the overrides dict's identity (the dict held, so its id is
    not reused): new dicts with other values, one made after another is dropped, and the
    same dict asked for other quantities all give the values of a fresh Recomputer."""
    problem = load_problem(str(PROBLEM))
    trace = run_trace(problem)
    recomputer = Recomputer(problem, trace.cell, trace)
    rng = np.random.default_rng(11)
    student = {("h", 1): rng.uniform(-1, 1, 2), ("c", 1): rng.uniform(-1, 1, 2)}
    recomputer.use_student(student)
    for _ in range(30):
        overrides = {("h", 1): rng.uniform(-1, 1, 2), ("c", 1): rng.uniform(-1, 1, 2)}
        for name, t in (("h", 2), ("c", 2), ("h", 3)):
            got = recomputer.value(name, t, overrides)
            assert np.array_equal(got, _from_scratch(problem, trace, name, t, overrides))
        del overrides                               # its id may come back for the next dict
    for name, t in (("h", 2), ("c", 3)):
        assert np.array_equal(recomputer.value(name, t, student),
                              _from_scratch(problem, trace, name, t, student))
