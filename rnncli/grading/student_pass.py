"""One student's answers -> their own forward pass, extended step by step as their items ask.

Grading a student's items recomputes quantities "from their own earlier
answers". Where that needs a forward pass, every item of the student reads
the same one: the pass with all their answers in place, built as far as the
items ask (recompute.Recomputer decides when that is exact). Its rows are
shared between students who gave the same answers at every step so far
(SharedRows), so a class of the same slip builds them once.
"""
from __future__ import annotations

import itertools

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.language.expression import names
from rnncli.solve.trace import initial_values

# The rows hold whole steps of values: bounded like the recomputations' cache.
MAX_ROWS_BYTES = 32 * 1024 * 1024


def one_forward_block(cell: Cell):
    """Returns the quantities of a cell that runs as one forward block, in order, else None."""
    schedule = cell.schedule
    if len(schedule) == 1 and schedule[0].direction == "forward":
        return tuple(schedule[0].names)
    return None


class SharedRows:
    """Rows of students' passes, by (variant, node, answers at the step): a node names
    the rows before it, so equal keys mean equal passes so far. Bounded in bytes."""

    def __init__(self):
        self._rows: dict[tuple, tuple] = {}
        self._bytes = 0
        self._nodes = itertools.count(1)

    def get(self, key: tuple):
        """Returns (node, row) stored under key, or None."""
        return self._rows.get(key)

    def put(self, key: tuple, row: dict | None) -> tuple:
        """Stores a new row (None: the step raised) under key; returns (its node, row)."""
        if self._bytes >= MAX_ROWS_BYTES:
            self._rows.clear()         # a bound on memory, as for the values' cache
            self._bytes = 0
        found = (next(self._nodes), row)
        self._rows[key] = found
        self._bytes += sum(len(b) for _, b in key[2]) + (0 if row is None else sum(
            getattr(v, "nbytes", 8) for v in row.values()))
        return found


class StudentPass:
    """One student's forward pass (their answers in place), extended as far as items ask.

    It evaluates as `run_trace` does (the same compiled equations, in the same
    order, on the same rows), so its values are bit for bit those of the pass
    cut at a step.
    """

    def __init__(self, recomputer, cell: Cell, variant: str):
        from rnncli.cells.network import effective_problem

        self.recomputer = recomputer          # grading.recompute.Recomputer: whose student
        functions = recomputer.functions(variant, cell)
        block = one_forward_block(cell)       # run_trace's order for this cell variant
        self.compiled = [(name, functions[name]) for name in block]
        self.lags = sorted({n.lag for name in block
                            for n in names(cell.equation(name).expr) if n.lag})
        self.initial = initial_values(effective_problem(recomputer.problem).problem, cell)
        self.inputs = [recomputer.problem.inputs[name] for name in cell.inputs]
        self.input_names = list(cell.inputs)
        self.variant = variant
        self.rows: list[dict] = []
        self.node = 0             # where the rows so far sit among the shared rows
        self.failed = False       # a step raised: the passes cut after it raise too

    def _row(self, index: int) -> dict:
        return {name: steps[index] for name, steps in zip(self.input_names, self.inputs)}

    def _lagged(self, index: int, current: dict) -> dict:
        lagged = {0: current}
        for k in self.lags:
            j = index - k
            lagged[k] = self.rows[j] if 0 <= j else self.initial
        return lagged

    def _step(self, index: int, replaced) -> dict:
        """Returns the row of step `index`: replaced(quantity) if not None, else computed;
        raises FloatingPointError as the pass would."""
        current = self._row(index)
        lagged = self._lagged(index, current)
        for quantity, function in self.compiled:
            value = replaced(quantity)
            current[quantity] = value if value is not None else function(current, lagged)
        return current

    def _extend(self, student: dict, ready: dict | None = None) -> None:
        """Adds the next step's row: shared with earlier students who gave the same answers;
        `ready` is that row when the caller has computed it already."""
        recomputer = self.recomputer
        step = recomputer.first + len(self.rows)
        answers = recomputer.student_steps.get(step, ())
        key = (self.variant, self.node,
               tuple((name, np.asarray(value, dtype=float).tobytes()) for name, value in answers))
        found = recomputer.rows.get(key)
        if found is None:
            try:
                row = ready if ready is not None else \
                    self._step(len(self.rows), lambda q: student.get((q, step)))
            except FloatingPointError:
                row = None
            found = recomputer.rows.put(key, row)
        self.node, row = found
        if row is None:
            self.failed = True
        else:
            self.rows.append(row)

    def value(self, name: str, t: int, overrides: dict):
        """Returns name[t] with `overrides` at step t and the student's answers before it."""
        index = t - self.recomputer.first
        student = self.recomputer.student
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            while not self.failed and len(self.rows) < index:
                self._extend(student)
            if self.failed and len(self.rows) < index:
                return None
            try:
                row = self._step(index, lambda q: overrides.get((q, t)))
            except FloatingPointError:
                return None
            if len(self.rows) == index and not self.failed:
                ready = self._as_student_row(row, name, t, overrides, student)
                if ready is not None:
                    self._extend(student, ready)
        return row[name]

    def _as_student_row(self, row: dict, name: str, t: int, overrides: dict, student: dict):
        """Returns the pass's own row of step t made from `row` (step t computed with
        `overrides` for name[t]), or None where it would differ otherwise than by name itself.

        The pass's row replaces exactly the student's answers at step t. When those
        are the overrides at t, plus perhaps name[t] itself, and name is computed
        last (nothing at step t reads it), every other quantity is computed from the
        same values in the same order, bit for bit: the step need not run again
        when the next item extends the pass (a noisy student's items each did).
        """
        if self.compiled[-1][0] != name:
            return None
        answered = self.recomputer.student_steps.get(t, ())
        at_t = {q: v for (q, step), v in overrides.items() if step == t}
        if any(q != name and at_t.get(q) is not v for q, v in answered) or \
                len(at_t) != sum(1 for q, _ in answered if q != name):
            return None
        ready = dict(row)
        own = student.get((name, t))
        if own is not None:
            ready[name] = own
        return ready
