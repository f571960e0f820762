"""Cell + replaced values -> one quantity at one step, recomputed; memoised.

Follow-through and the diagnoses both ask "what would q[t] be if these values
were the student's, or if the cell had this slip?". When the student's values
cover everything q[t] reads from earlier steps, only step t is computed (the
common case: s and h answered at every step); otherwise a forward pass
(`run_trace` with `overrides`) cut at step t. Both are exact, and cached by
the cell variant, the step and the replaced values, so a class making the
same slip costs one computation.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.errors import RnncliError
from rnncli.language.expression import names
from rnncli.files.problem import Problem
from rnncli.solve.trace import Trace, compile_expression, run_trace

MAX_CACHED = 20_000
# The keys hold the replaced values' bytes: a class answering 64-entry vectors at 50
# steps makes keys of about 12 KB, so the count alone allowed about 250 MB.
MAX_CACHED_BYTES = 32 * 1024 * 1024


def overrides_key(overrides: dict) -> tuple:
    """Returns a hashable key of {(name, t): value}: the exact bytes of every value."""
    return tuple(sorted((name, t, np.asarray(v, dtype=float).tobytes())
                        for (name, t), v in overrides.items()))


class Recomputer:
    """Recomputes quantities of one problem under replaced values and cell variants."""

    def __init__(self, problem: Problem, cell: Cell, reference: Trace):
        self.problem = problem
        self.cell = cell
        self.reference = reference
        self.first = problem.time_start
        self.last = self.first + len(reference.steps) - 1
        # A backward direction reads later steps: a recomputation cut at step t (or one
        # step alone) cannot reproduce it, so none is attempted (no follow-through).
        self.backward = any(b.direction == "reverse" for b in cell.schedule)
        self._reads = {e.name: [(n.name, n.lag) for n in names(e.expr)] for e in cell.equations}
        self._order = [e.name for e in cell.equations]
        self._prefixes: dict[int, Problem] = {}
        self._cache: dict[tuple, object] = {}
        self._cached_bytes = 0
        self._whole: dict[str, object] = {"": reference}
        self._functions: dict[str, dict] = {}
        self._upstream: dict[tuple, frozenset] = {}
        self.passes = 0            # forward passes run (for the benchmark)

    def upstream(self, name: str, t: int) -> frozenset:
        """Returns every (quantity, step) that name[t] is computed from, itself excluded.

        Same-step quantities it reads, those they read, and the quantities of
        earlier steps reached through `q[t-k]`: exactly what a student's own
        earlier answers may replace in a follow-through recomputation.
        """
        key = (name, t)
        if key not in self._upstream:
            seen, stack = set(), [key]
            while stack:
                quantity, step = stack.pop()
                for read, lag in self._reads.get(quantity, ()):
                    target = (read, step - lag)
                    if (read in self._reads and self.first <= target[1] <= self.last
                            and target not in seen):
                        seen.add(target)
                        stack.append(target)
            seen.discard(key)
            self._upstream[key] = frozenset(seen)
        return self._upstream[key]

    def value(self, name: str, t: int, overrides: dict | None = None,
              cell: Cell | None = None, variant: str = ""):
        """Returns name[t] recomputed with `overrides` in `cell` (named `variant`), or None.

        None means the recomputation is impossible: the replaced values make
        the numbers overflow or leave the domain of a function. A slip in a
        variant cell acts wherever no value is replaced.
        """
        cell = cell or self.cell
        if self.backward and overrides:
            return None
        overrides = {k: v for k, v in (overrides or {}).items() if k[1] <= t}
        if not overrides:
            trace = self.trace(cell, variant)
            return None if trace is None else np.asarray(trace.value(name, t), dtype=float)
        if (name, t) in overrides:
            return np.asarray(overrides[(name, t)], dtype=float)
        equations, frontier = self._needs(name, t, overrides)
        key = (variant, t, name, overrides_key(overrides))
        if key not in self._cache:
            if len(self._cache) >= MAX_CACHED or self._cached_bytes >= MAX_CACHED_BYTES:
                self._cache.clear()     # a bound on memory for very large batches
                self._cached_bytes = 0
            self._cached_bytes += sum(len(entry[2]) for entry in key[3])
            if frontier <= overrides.keys():
                self._cache[key] = self._one_step(t, overrides, equations, cell, variant)
            else:
                trace = self._pass(t, overrides, cell)
                self._cache[key] = None if trace is None else trace.value(name, t)
        found = self._cache[key]
        return None if found is None else np.asarray(found, dtype=float)

    def trace(self, cell: Cell, variant: str):
        """Returns the whole forward pass of a cell variant with no replaced values, or None."""
        if variant not in self._whole:
            self._whole[variant] = self._pass(self.first + len(self.reference.steps) - 1, {}, cell)
        return self._whole[variant]

    def _needs(self, name: str, t: int, overrides: dict) -> tuple:
        """Returns (equations to compute at step t, in order; earlier-step values they read).

        The walk stops at same-step quantities the student answered: what
        they were computed from no longer matters.
        """
        needed, stack, frontier = {name}, [name], set()
        while stack:
            quantity = stack.pop()
            if quantity != name and (quantity, t) in overrides:
                continue
            for read, lag in self._reads[quantity]:
                if read not in self._reads:
                    continue
                if lag == 0:
                    if read not in needed:
                        needed.add(read)
                        stack.append(read)
                elif t - lag >= self.first:
                    frontier.add((read, t - lag))
        return [n for n in self._order if n in needed], frontier

    def _one_step(self, t: int, overrides: dict, equations: list, cell: Cell, variant: str):
        """Returns name[t] (the last of `equations`) computed at step t alone, or None."""
        if variant not in self._functions:
            self._functions[variant] = {e.name: compile_expression(e.expr, self.reference.parameters)
                                        for e in cell.equations}
        functions = self._functions[variant]
        index = t - self.first
        current = {name: steps[index] for name, steps in self.problem.inputs.items()}
        lagged = [current]
        for k in range(1, max(self.cell.states.values(), default=0) + 1):
            if t - k < self.first:
                lagged.append(self.reference.initial)
            else:
                earlier = {n: s[index - k] for n, s in self.problem.inputs.items()}
                earlier.update({n: v for (n, step), v in overrides.items() if step == t - k})
                lagged.append(earlier)
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                for quantity in equations:
                    replaced = overrides.get((quantity, t))
                    current[quantity] = (replaced if replaced is not None
                                         else functions[quantity](current, lagged))
        except FloatingPointError:
            return None
        return current[equations[-1]]

    def _pass(self, t: int, overrides: dict, cell: Cell):
        self.passes += 1
        try:
            return run_trace(self._prefix(t), cell, overrides)
        except RnncliError:
            return None

    def _prefix(self, t: int) -> Problem:
        """Returns the problem cut after step t, so a recomputation runs no further than needed."""
        if t not in self._prefixes:
            count = t - self.first + 1
            inputs = {name: steps[:count] for name, steps in self.problem.inputs.items()}
            self._prefixes[t] = dataclasses.replace(
                self.problem, inputs=inputs,
                steps=count if self.problem.steps is not None else None)
        return self._prefixes[t]
