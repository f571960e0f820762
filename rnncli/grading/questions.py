"""Problem questions (docs/grading.md) -> `AskedItem`s: one per single reference, with points, tolerance and answer.

`ask: [s, h]` on a three-step problem becomes six items s[1..3], h[1..3];
points spread evenly over them unless `points` maps references to points; a
question's tolerance, else the problem's top-level one, else the default
(rel 0.01, abs 0.001) applies to real values, and counts are always exact.

A question with `set:` is asked of the network changed exactly as `--set`
changes it (files/changes.py): its items carry the change, and their expected
values come from the changed problem's own Solution. The same reference may be
asked under different changes (`c[2]` as given, and `c[2]` with f = 0); under
the same change it is asked once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem, Question, Tolerance
from rnncli.solve.references import SHEET_KINDS, Reference, Solution, parse_reference

DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class AskedItem:
    question: str
    ref: Reference
    max_points: float
    tolerance: Tolerance | None     # None: exact (counts)
    expected: Any                   # float64 array for a quantity, int for a count
    line: int | None                # the question's line in the problem file
    changes: tuple = ()             # the question's `set:` as ((name, expression text), ...)

    @property
    def is_count(self) -> bool:
        return self.ref.kind == "params"

    @property
    def label(self) -> str:
        """Returns the reference as reports name it: `c[2]`, or `b: c[2]` under question b's `set:`."""
        return qualified(self.question, str(self.ref), self.changes)


def qualified(question: str | None, ref: str, changes: tuple) -> str:
    """Returns `ref`, or `question: ref` when the question changes the network."""
    return f"{question}: {ref}" if changes else ref


def change_key(question: Question) -> tuple:
    """Returns a question's `set:` as a hashable key, the same for the same change in any order."""
    return tuple(sorted(question.set.items()))


def describe_changes(changes: tuple) -> str:
    """Returns a change for people: `f = 0`, `f = 0, i = 1`."""
    return ", ".join(f"{name} = {' '.join(text.split())}" for name, text in changes)


def question_solutions(problem: Problem, solution: Solution | None = None) -> dict:
    """Returns {change key: Solution}: () for the network as given, and one per distinct `set:`.

    Each changed network is evaluated here (traced, counted or built, as far as
    the problem goes), so that a `set:` that breaks it is an error at the line
    of that `set:` entry, not somewhere in grading.
    """
    solutions = {(): solution or Solution(problem)}
    for index, question in enumerate(problem.questions):
        key = change_key(question)
        if key not in solutions:
            solutions[key] = _changed_solution(problem, question, index)
    return solutions


def _changed_solution(problem: Problem, question: Question, index: int) -> Solution:
    from rnncli.files.changes import apply_changes, question_changes

    changes = question_changes(problem, question)
    solution = Solution(apply_changes(problem, changes))
    try:
        _evaluate(solution)
    except RnncliError as exc:
        name = _culprit(problem, question, changes, exc)
        path = (index, "set", name) if name else (index, "set")
        where = f"`set.{name}`" if name else "`set:`"
        raise ProblemError(f"question `{question.id}`, {where}: the changed network fails: "
                           f"{exc.message}", file=problem.file,
                           line=problem.line("questions", *path)) from None
    return solution


def _evaluate(solution: Solution) -> None:
    """Computes what the problem's level of use needs; raises RnncliError if it cannot."""
    from rnncli.files.problem import problem_level

    level = problem_level(solution.problem)
    if level == "trace":
        solution.trace
    elif level == "shapes":
        solution.counts
    else:
        from rnncli.cells.build import build_cell

        build_cell(solution.problem, shapes=False, evaluate=False)


def _culprit(problem: Problem, question: Question, changes: tuple, exc: RnncliError) -> str | None:
    """Returns the `set:` entry an error of the changed network comes from, or None if unsure."""
    from rnncli.files.changes import apply_changes

    if len(changes) == 1:
        return changes[0].name
    if getattr(exc, "equation", None) in question.set:
        return exc.equation
    named = [n for n in question.set if f"equation `{n}`" in exc.message]
    if len(named) == 1:
        return named[0]
    # Several entries and nothing in the message to tell: the one that fails on its own.
    for change in changes:
        try:
            _evaluate(Solution(apply_changes(problem, [change])))
        except RnncliError:
            return change.name
    return None


def asked_items(problem: Problem, solution: Solution | None = None,
                solutions: dict | None = None) -> tuple:
    """Returns the AskedItems of every question, in question order; raises ProblemError if one is wrong.

    `solutions` is what `question_solutions` returns (computed here when not given).
    """
    solutions = solutions or question_solutions(problem, solution)
    items: list[AskedItem] = []
    asked_by: dict[tuple, str] = {}
    for index, question in enumerate(problem.questions):
        key = change_key(question)
        solution = solutions[key]
        refs = _expand(problem, solution, question, index)
        points = _points(problem, question, index, refs)
        for ref_text, (ref, raw) in refs.items():
            if (key, ref_text) in asked_by:
                same = " under the same `set:`" if key else ""
                _fail(problem, (index, "ask"), f"`{ref_text}` is asked twice{same} (by question "
                      f"`{asked_by[key, ref_text]}` and question `{question.id}`)")
            asked_by[key, ref_text] = question.id
            tolerance = None if solution.is_count(ref) or ref.kind in SHEET_KINDS else (
                question.tolerance or problem.tolerance or DEFAULT_TOLERANCE)
            items.append(AskedItem(question.id, ref, points[ref_text], tolerance,
                                   _expected(problem, solution, ref, index), question.line, key))
    return tuple(items)


def _fail(problem: Problem, path: tuple, message: str):
    raise ProblemError(message, file=problem.file, line=problem.line("questions", *path))


def _expand(problem, solution, question: Question, index: int) -> dict:
    """Returns {single reference text: (Reference, the ask entry it came from)}."""
    from rnncli.files.problem import problem_level

    expanded: dict[str, tuple] = {}
    for position, text in enumerate(question.ask):
        where = (index, "ask", position)
        try:
            ref = parse_reference(text)
        except ProblemError as exc:
            _fail(problem, where, f"question `{question.id}`: {exc.message}")
        if ref.kind == "quantity" and problem_level(problem) != "trace":
            _fail(problem, where, f"question `{question.id}` asks `{ref}`, a value at a step, "
                  "but the problem gives no numbers (params, inputs) to compute it")
        try:
            singles = solution.expand(ref)
            for single in singles:
                solution.check(single)
        except RnncliError as exc:
            if isinstance(exc, ProblemError) and exc.file is None:
                _fail(problem, where, f"question `{question.id}`: {exc.message}")
            raise
        for single in singles:
            key = str(single)
            if key in expanded:
                _fail(problem, where, f"question `{question.id}` asks `{key}` twice")
            expanded[key] = (single, text)
    return expanded


def _points(problem, question: Question, index: int, refs: dict) -> dict:
    """Returns {single reference text: points}."""
    if not isinstance(question.points, dict):
        share = question.points / len(refs)
        return {key: share for key in refs}
    points: dict[str, float] = {}
    for key, value in question.points.items():
        where = (index, "points", key)
        try:
            ref = parse_reference(key)
        except ProblemError as exc:
            _fail(problem, where, f"question `{question.id}` points: {exc.message}")
        covered = [k for k, (single, raw) in refs.items()
                   if k == str(ref) or (ref.step is None and ref.kind in ("quantity", "grad")
                                        and single.kind == ref.kind and single.name == ref.name)]
        if not covered:
            _fail(problem, where, f"question `{question.id}` gives points to `{key}`, which it "
                  "does not ask")
        for k in covered:
            if k in points:
                _fail(problem, where, f"question `{question.id}` gives points to `{k}` twice")
            points[k] = value / len(covered)
    missing = [k for k in refs if k not in points]
    if missing:
        _fail(problem, (index, "points"), f"question `{question.id}` gives no points to "
              + ", ".join(f"`{k}`" for k in missing))
    return points


def _expected(problem, solution: Solution, ref: Reference, index: int):
    import numpy as np

    try:
        value = solution.value(ref)
    except ProblemError as exc:
        if exc.file is None:
            _fail(problem, (index, "ask"), exc.message)
        raise
    if ref.kind == "params":
        return int(value)
    if ref.kind in SHEET_KINDS:
        return value        # an Unrolled formula, a Graph or a Chart
    return np.array(value, dtype=float)
