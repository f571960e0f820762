"""Cell + replaced values -> one quantity at one step, recomputed; memoised.

Follow-through and the diagnoses both ask "what would q[t] be if these values
were the student's, or if the cell had this slip?". When the student's values
cover everything q[t] reads from earlier steps, only step t is computed (the
common case: s and h answered at every step); otherwise a forward pass
(`run_trace` with `overrides`) cut at step t. Both are exact, and cached by
the cell variant, the step and the replaced values, so a class making the
same slip costs one computation.

Within one student's grading (`use_student`), a recomputation that would
need a forward pass instead reads one pass with all the student's answers in
place, extended step by step as far as asked and shared by all their items,
and computes only step t itself; this is exact where the student answered
nothing at earlier steps that the item does not read (checked per item, else
the pass cut at t runs as before): a noisy class costs one pass a student,
not one an item. That pass is student_pass.py's.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.errors import RnncliError
from rnncli.language.expression import names
from rnncli.files.problem import Problem
from rnncli.grading.tolerances import within
from rnncli.grading.student_pass import SharedRows, StudentPass, one_forward_block
from rnncli.solve.trace import Trace, compile_expression, run_trace

MAX_CACHED = 20_000
# The keys hold the replaced values' bytes: a class answering 64-entry vectors at 50
# steps makes keys of about 12 KB, so the count alone allowed about 250 MB.
MAX_CACHED_BYTES = 32 * 1024 * 1024


def overrides_key(overrides: dict) -> tuple:
    """Returns a hashable key of {(name, t): value}: the exact bytes of every value."""
    return tuple(sorted((name, t, np.asarray(v, dtype=float).tobytes())
                        for (name, t), v in overrides.items()))


class _Ask(NamedTuple):
    """What recomputing one quantity at step t under given overrides takes."""
    kept: dict              # the overrides at steps up to t
    equations: list         # the equations of step t to compute, in order
    one_step: bool          # everything they read of earlier steps is replaced: step t alone
    from_pass: bool         # it is what the student's own pass gives
    key: tuple | None       # the cache key of the overrides (None: not needed)
    earlier: tuple | None   # step t alone: what it reads of earlier steps (_earlier)


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
        self._student: dict | None = None     # the answers of the student being graded
        self._student_passes: dict[str, StudentPass] = {}
        self._student_values: dict[tuple, object] = {}
        self._student_asks: dict[tuple, tuple] = {}
        self._student_own: dict[tuple, dict] = {}
        self._student_wrong: dict[tuple, bool] = {}
        self._student_steps: dict[int, tuple] = {}
        # Rows of students' passes, shared by every student who gave the same answers (bit
        # for bit) at every step so far.
        self.rows = SharedRows()
        self._block = one_forward_block(cell)
        self._max_lag = max(cell.states.values(), default=0)
        self._inputs_at: dict[int, dict] = {}     # step index -> the inputs there

    def use_student(self, values: dict) -> None:
        """Makes `values` ({(name, t): answer}, not changed afterwards) the answers of the
        student being graded: their recomputations share one pass (see the module's doc)."""
        if values is not self._student:
            self._student = values
            self._student_passes = {}
            self._student_values = {}
            self._student_wrong = {}
            self._student_asks = {}
            self._student_own = {}
            steps: dict[int, list] = {}
            for (name, t), value in values.items():
                steps.setdefault(t, []).append((name, value))
            self._student_steps = {t: tuple(sorted(answers, key=lambda a: a[0]))
                                   for t, answers in steps.items()}

    @property
    def student(self) -> dict | None:
        """Returns the answers of the student being graded (use_student's), or None."""
        return self._student

    @property
    def student_steps(self) -> dict:
        """Returns the student's answers by step: {t: ((name, value), ...) sorted by name}."""
        return self._student_steps

    def own(self, name: str, t: int) -> dict:
        """Returns the student's answers (use_student's) that name[t] is computed from.

        One dict per quantity and student: follow-through and every slip tried on the
        item ask with this same object, so what they take is worked out once (_ask).
        """
        key = (name, t)
        found = self._student_own.get(key)
        if found is None:
            upstream = self.upstream(name, t)
            found = {k: v for k, v in (self._student or {}).items() if k in upstream}
            self._student_own[key] = found
        return found

    def is_wrong(self, key: tuple, value, item) -> bool:
        """Returns whether an answer to an asked quantity is outside its tolerance (memoised
        for the student's own answers)."""
        student = self._student
        if student is None or student.get(key) is not value:
            return not within(item.tolerance, item.expected, value)
        if key not in self._student_wrong:
            self._student_wrong[key] = not within(item.tolerance, item.expected, value)
        return self._student_wrong[key]

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
        ask = self._ask(name, t, overrides)
        overrides = ask.kept
        if not overrides:
            trace = self.trace(cell, variant)
            return None if trace is None else np.asarray(trace.value(name, t), dtype=float)
        if (name, t) in overrides:
            return np.asarray(overrides[(name, t)], dtype=float)
        if not ask.one_step and ask.from_pass and one_forward_block(cell):
            # Memoised for this student (_student_values): no key of their values is needed,
            # and building one for every item of a noisy student cost more than the step.
            found = self._student_value(name, t, overrides, cell, variant)
            return None if found is None else np.asarray(found, dtype=float)
        key = (variant, t, name, ask.key if ask.key is not None else overrides_key(overrides))
        if key not in self._cache:
            if len(self._cache) >= MAX_CACHED or self._cached_bytes >= MAX_CACHED_BYTES:
                self._cache.clear()     # a bound on memory for very large batches
                self._cached_bytes = 0
            self._cached_bytes += sum(len(entry[2]) for entry in key[3])
            if ask.one_step:
                self._cache[key] = self._one_step(t, overrides, ask.equations, cell, variant,
                                                  ask.earlier)
            else:
                trace = self._pass(t, overrides, cell)
                self._cache[key] = None if trace is None else trace.value(name, t)
        found = self._cache[key]
        return None if found is None else np.asarray(found, dtype=float)

    def one_step_equations(self, name: str, t: int, overrides: dict) -> set | None:
        """Returns the equations `value(name, t, overrides)` computes when it computes step t
        alone (the overrides hold everything it reads from earlier steps), else None."""
        ask = self._ask(name, t, overrides)
        if not ask.kept or (name, t) in ask.kept:
            return None
        return set(ask.equations) if ask.one_step else None

    def _ask(self, name: str, t: int, overrides: dict | None) -> "_Ask":
        """Returns what recomputing name[t] under `overrides` takes (an _Ask).

        Memoised for the student being graded, by the overrides' identity (the dict is
        held, so its id stays its own): every slip tried on an item asks with the same
        overrides, and working this out again for each was a tenth of a noisy class.
        """
        memo = (name, t, id(overrides))
        found = self._student_asks.get(memo)
        if found is not None and found[0] is overrides:
            return found[1]
        kept = {k: v for k, v in (overrides or {}).items() if k[1] <= t}
        if not kept or (name, t) in kept:
            ask = _Ask(kept, [], False, False, None, None)
        else:
            equations, frontier = self._needs(name, t, kept)
            one_step = frontier <= kept.keys()
            from_pass = not one_step and self._from_student_pass(name, t, kept)
            ask = _Ask(kept, equations, one_step, from_pass,
                       None if from_pass else overrides_key(kept),
                       self._earlier(t, kept) if one_step else None)
        if len(self._student_asks) < MAX_CACHED:
            self._student_asks[memo] = (overrides, ask)
        return ask

    def _from_student_pass(self, name: str, t: int, overrides: dict) -> bool:
        """Returns whether name[t] under `overrides` is what the student's own pass gives:
        the overrides are exactly the student's answers name[t] is computed from, and the
        student answered nothing earlier that it is not computed from (so every earlier
        step of the pass cut at t equals the student's pass)."""
        student = self._student
        if student is None or self._block is None:
            return False
        upstream = self.upstream(name, t)
        count = 0
        for key, value in student.items():
            if key in upstream:
                if overrides.get(key) is not value:
                    return False
                count += 1
            elif key[1] < t:
                return False
        return count == len(overrides)

    def _student_value(self, name: str, t: int, overrides: dict, cell: Cell, variant: str):
        """Returns name[t] of the pass cut at t, from the student's pass: None where it raises."""
        memo = (variant, name, t)
        if memo not in self._student_values:
            if variant not in self._student_passes:
                self._student_passes[variant] = StudentPass(self, cell, variant)
            self._student_values[memo] = self._student_passes[variant].value(name, t, overrides)
        return self._student_values[memo]

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

    def _one_step(self, t: int, overrides: dict, equations: list, cell: Cell, variant: str,
                  earlier: tuple | None = None):
        """Returns name[t] (the last of `equations`) computed at step t alone, or None.
        `earlier` is _earlier(t, overrides) when the caller has it."""
        functions = self.functions(variant, cell)
        current = dict(self._inputs(t - self.first))
        lagged = [current, *(earlier if earlier is not None else self._earlier(t, overrides))]
        try:
            with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
                for quantity in equations:
                    replaced = overrides.get((quantity, t))
                    current[quantity] = (replaced if replaced is not None
                                         else functions[quantity](current, lagged))
        except FloatingPointError:
            return None
        return current[equations[-1]]

    def functions(self, variant: str, cell: Cell) -> dict:
        """Returns the compiled equations of a cell variant, by quantity (compiled once)."""
        if variant not in self._functions:
            self._functions[variant] = {e.name: compile_expression(e.expr, self.reference.parameters)
                                        for e in cell.equations}
        return self._functions[variant]

    def _inputs(self, index: int) -> dict:
        """Returns the inputs at a step (by index), made once (callers copy it)."""
        found = self._inputs_at.get(index)
        if found is None:
            found = {name: steps[index] for name, steps in self.problem.inputs.items()}
            self._inputs_at[index] = found
        return found

    def _earlier(self, t: int, overrides: dict) -> tuple:
        """Returns what step t reads from steps t-1, t-2, ...: the inputs there with the
        overrides in place (initial values before the first step); read, never changed."""
        earlier = []
        for k in range(1, self._max_lag + 1):
            if t - k < self.first:
                earlier.append(self.reference.initial)
            else:
                values = dict(self._inputs(t - k - self.first))
                values.update({n: v for (n, step), v in overrides.items() if step == t - k})
                earlier.append(values)
        return tuple(earlier)

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
