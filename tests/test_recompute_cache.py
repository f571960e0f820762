"""The recomputation cache of follow-through stays bounded in bytes and never changes a value."""
from __future__ import annotations

from pathlib import Path

import numpy as np

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
