"""Problem with `vary:` -> `Variant`s: the same exercise with other numbers, drawn on the file's grids.

Every draw is a hash, not a random generator's stream: entry i of name n in
variant v, attempt a, is `sha256("{seed}:{v}:{a}:{section}.{n}:{i}")` modulo
the number of allowed values. So the same file gives byte-identical variants
on every machine and numpy version, and variant 7 does not change when the
class grows from 30 to 40 variants.

A draw is rejected (and drawn again with the next attempt) when it is
degenerate: an asked value is not finite, a gate saturates (within 1e-3 of 0
or 1) where the original's did not, or the numbers equal an earlier variant's.
"""
from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem
from rnncli.language.expression import Call

SATURATION = 1e-3
GATE_FUNCTIONS = ("sigmoid", "hard_sigmoid")
MAX_ATTEMPTS = 200
MAX_VARIANTS = 10_000


@dataclass(frozen=True)
class Variant:
    number: int                  # 1..count
    problem: Problem             # the original with the drawn numbers (no `vary`)
    drawn: dict                  # (section, name) -> the drawn value (arrays; a tuple of them for inputs)
    attempt: int                 # how many draws were rejected before this one
    items: tuple                 # grading.questions.AskedItem of every asked reference, with its value


@dataclass(frozen=True)
class VariantSet:
    original: Problem
    count: int
    seed: int
    variants: tuple              # Variant, numbered 1..count
    rejected: tuple              # (reason, number of draws), most frequent first
    cell: object = None          # the original's Cell: every variant has its shapes


def draw_variants(problem: Problem, count: int) -> VariantSet:
    """Returns `count` non-degenerate variants of a problem with `vary:`; raises if none can be found."""
    variation = _variation(problem)
    if not 1 <= count <= MAX_VARIANTS:
        raise ProblemError(f"--count must be from 1 to {MAX_VARIANTS}, not {count}")
    original = _checked(problem)
    cell = original[0].cell
    baseline = _saturated_gates(original)
    variants: list[Variant] = []
    seen: dict = {}
    rejected: Counter = Counter()
    for number in range(1, count + 1):
        for attempt in range(MAX_ATTEMPTS):
            drawn = draw_values(problem, number, attempt)
            candidate = _with_values(problem, drawn)
            reason, items = _degenerate(candidate, cell, drawn, baseline, seen)
            if reason is None:
                variant = Variant(number, candidate, drawn, attempt, items)
                seen[_fingerprint(drawn)] = number
                variants.append(variant)
                break
            rejected[reason] += 1
        else:
            raise ProblemError(
                f"variant {number}: {MAX_ATTEMPTS} draws were all degenerate (last: {reason}); "
                "widen the grids in `vary:`", file=problem.file, line=variation.line)
    return VariantSet(problem, count, variation.seed, tuple(variants),
                      tuple(sorted(rejected.items(), key=lambda kv: (-kv[1], kv[0]))), cell)


def student_variant(seed: int, student_id: str, count: int) -> int:
    """Returns a student's variant, 1..count: int(sha256(f"{seed}:{student_id}"), 16) % count + 1."""
    digest = hashlib.sha256(f"{seed}:{student_id}".encode("utf-8")).hexdigest()
    return int(digest, 16) % count + 1


def draw_values(problem: Problem, number: int, attempt: int) -> dict:
    """Returns {(section, name): drawn value} for one attempt at one variant."""
    variation = _variation(problem)
    drawn = {}
    for r in variation.ranges:
        original = getattr(problem, r.section)[r.name]
        prefix = f"{variation.seed}:{number}:{attempt}:{r.section}.{r.name}:"

        def pick(index: int, _r=r, _prefix=prefix):
            digest = hashlib.sha256(f"{_prefix}{index}".encode("ascii")).digest()
            return _r.values[int.from_bytes(digest[:8], "big") % len(_r.values)]

        if r.section == "inputs":      # one array per step
            sizes = [np.size(step) for step in original]
            flat = [pick(i) for i in range(sum(sizes))]
            values, start = [], 0
            for step, size in zip(original, sizes):
                values.append(np.reshape(np.array(flat[start:start + size]), np.shape(step)))
                start += size
            drawn[(r.section, r.name)] = tuple(values)
        else:
            flat = [pick(i) for i in range(np.size(original))]
            drawn[(r.section, r.name)] = np.reshape(np.array(flat), np.shape(original))
    return drawn


def _variation(problem: Problem):
    if problem.vary is None:
        raise ProblemError("the problem has no `vary:` block; add one to say which numbers a "
                           "variant may change (docs/variants.md)", file=problem.file, line=1)
    return problem.vary


def _with_values(problem: Problem, drawn: dict) -> Problem:
    sections = {s: dict(getattr(problem, s)) for s in ("params", "inputs", "initial")}
    for (section, name), value in drawn.items():
        sections[section][name] = value
    return dataclasses.replace(problem, vary=None, **sections)


def _fingerprint(drawn: dict) -> tuple:
    return tuple((key, np.asarray(value, dtype=float).tobytes()) for key, value in sorted(drawn.items()))


def _checked(problem: Problem, cell=None):
    """Returns the trace of a problem and its asked items (both raise RnncliError when impossible)."""
    from rnncli.grading.questions import asked_items
    from rnncli.solve.references import Solution

    solution = Solution(problem, cell)
    items = asked_items(problem, solution) if problem.questions else ()
    return solution.trace, items


def _degenerate(candidate: Problem, cell, drawn: dict, baseline: set, seen: dict) -> tuple:
    """Returns (why a draw is unusable or None, the candidate's asked items)."""
    if _fingerprint(drawn) in seen:
        return "the same numbers as another variant", ()
    try:
        trace, items = _checked(candidate, cell)
    except RnncliError:
        return "a value is not finite (overflow or an undefined operation)", ()
    for item in items:
        if not item.is_count and not np.all(np.isfinite(np.asarray(item.expected, dtype=float))):
            return "an asked value is not finite", ()
    newly = _saturated_gates((trace, items)) - baseline
    if newly:
        return f"gate {sorted(newly)[0]} saturated (within {SATURATION:g} of 0 or 1)", ()
    return None, items


def _saturated_gates(checked) -> set:
    """Returns the gates (quantities that are a sigmoid) with a value within SATURATION of 0 or 1."""
    trace, _ = checked
    gates = [e.name for e in trace.cell.equations
             if isinstance(e.expr, Call) and e.expr.function in GATE_FUNCTIONS]
    saturated = set()
    for name in gates:
        values = np.concatenate([np.ravel(step.values[name]) for step in trace.steps])
        if values.size and float(np.min(np.minimum(values, 1.0 - values))) < SATURATION:
            saturated.add(name)
    return saturated
