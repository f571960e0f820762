"""Problem + Answers -> `StudentGrade`s and a `GradeReport` that owns the exit code (spec §8).

`Marking` is the instructor's side, computed once per problem: every asked
item with its reference value, the follow-through and diagnosis machinery.
`Marking.grade` marks one answers file; `grade_files` marks a batch, where a
broken file is scored 0 with its reason and the batch goes on.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from rnncli.files.answers import Answers, check_value, load_answers, shown
from rnncli.grading.diagnoses import Diagnosis
from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem, load_problem
from rnncli.grading.questions import AskedItem, asked_items
from rnncli.solve.references import Reference, Solution, parse_reference
from rnncli.grading.tolerances import allowed, describe, failing_entries, number, within

STATUSES = ("correct", "follow-through", "wrong", "missing", "invalid")


@dataclass(frozen=True)
class GradedItem:
    question: str | None         # None: an answer to a reference that names nothing
    ref: str
    expected: Any                # float64 array, int, or None
    given: Any                   # float64 array or int (valid), text (invalid), None (missing)
    status: str
    points: float
    max_points: float
    feedback: str
    tolerance: str = ""
    difference: Any = None       # given - expected, when both are numbers
    diagnosis: Diagnosis | None = None
    follow_through_from: tuple = ()
    line: int | None = None      # line of the answer in the answers file


@dataclass(frozen=True)
class StudentGrade:
    file: str
    student: str | None
    student_id: str
    problem: str | None
    questions: tuple             # (question id, max points), in question order
    items: tuple                 # GradedItem
    score: float
    max_score: float
    error: str | None = None     # why the answers file could not be read (scored 0)
    not_graded: tuple = ()       # references answered that the problem does not ask

    @property
    def status(self) -> str:
        return "error" if self.error else "graded"

    def question_points(self) -> dict:
        """Returns {question id: points earned}."""
        earned = {qid: 0.0 for qid, _ in self.questions}
        for item in self.items:
            if item.question in earned:
                earned[item.question] += item.points
        return {qid: _tidy(p) for qid, p in earned.items()}


@dataclass(frozen=True)
class GradeReport:
    problem: str | None          # the instructor's problem (--problem), None in self-check mode
    results: tuple               # StudentGrade, in the order the files were given

    @cached_property
    def questions(self) -> tuple:
        """Returns (question id, max points) over every result, in first-seen order."""
        seen: dict[str, float] = {}
        for result in self.results:
            for qid, points in result.questions:
                seen.setdefault(qid, points)
        return tuple(seen.items())

    @property
    def exit_code(self) -> int:
        """Returns 2 if an answers file could not be read, 1 if points were lost, else 0."""
        if any(r.error for r in self.results):
            return 2
        return 1 if any(r.score < r.max_score for r in self.results) else 0


def _tidy(points: float) -> float:
    """Returns points without float noise: 10/3 * 3 is 10.0, not 10.000000000000002."""
    return round(points, 9) + 0.0


class Marking:
    """The instructor's side of grading one problem, computed once."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.solution = Solution(problem)
        self.items = asked_items(problem, self.solution)
        if not self.items:
            raise ProblemError("the problem asks no questions; add a `questions:` block "
                               "(docs/grading.md)", file=problem.file, line=1)
        self.by_ref = {str(item.ref): item for item in self.items}
        self.by_key = {(i.ref.name, i.ref.step): i for i in self.items if i.ref.kind == "quantity"}
        self.questions = _question_totals(self.items)
        self.max_score = _tidy(sum(i.max_points for i in self.items))
        ft = problem.follow_through
        self.credit = 0.0 if ft is False else 1.0 if ft is True else ft["credit"]
        self._recomputer = None
        self._diagnoser = None

    @property
    def recomputer(self):
        if self._recomputer is None:
            from rnncli.grading.recompute import Recomputer

            trace = self.solution.trace
            self._recomputer = Recomputer(self.problem, trace.cell, trace)
        return self._recomputer

    @property
    def diagnoser(self):
        if self._diagnoser is None:
            from rnncli.grading.diagnoses import Diagnoser

            self._diagnoser = Diagnoser(self.recomputer, self.by_key)
        return self._diagnoser

    def grade(self, answers: Answers) -> StudentGrade:
        """Returns the StudentGrade of one answers file."""
        check_answer_count(answers, len(self.items))
        given, extra, not_graded = self._collect(answers)
        checked: dict[str, tuple] = {}    # ref -> (value or None, why invalid or None, line, raw)
        for item in self.items:
            ref = str(item.ref)
            if ref in given:
                raw, line, problem = given[ref]
                if problem is None:
                    value, problem = check_value(item, raw, answers.file)
                else:
                    value = None
                checked[ref] = (value, problem, line, raw)
        student_values = {(i.ref.name, i.ref.step): checked[str(i.ref)][0] for i in self.items
                          if i.ref.kind == "quantity" and str(i.ref) in checked
                          and checked[str(i.ref)][0] is not None}
        ruled_out: set = set()      # slips this student's answers do not follow (diagnoses.py)
        items = [self._mark(item, checked.get(str(item.ref)), student_values, ruled_out)
                 for item in self.items]
        items.extend(extra)
        score = _tidy(sum(i.points for i in items))
        return StudentGrade(answers.file, answers.student, answers.student_id, self.problem.file,
                            self.questions, tuple(items), score, self.max_score,
                            not_graded=tuple(not_graded))

    def _collect(self, answers: Answers):
        """Returns ({ref: (raw, line, problem or None)}, invalid extra items, not-graded refs)."""
        given: dict[str, tuple] = {}
        extra: list[GradedItem] = []
        not_graded: list[str] = []
        for entry in answers.entries:
            try:
                ref = parse_reference(entry.text)
                singles = self._singles(ref, entry)
            except ProblemError as exc:
                extra.append(_invalid_extra(entry.text, entry.value, exc.message, entry.line))
                continue
            for single, raw in singles:
                key = str(single)
                if key in self.by_ref:
                    if key in given:
                        given[key] = (raw, entry.line, f"`{key}` is answered twice (lines "
                                      f"{given[key][1]} and {entry.line}); which one counts is "
                                      "not for the grader to guess")
                    else:
                        given[key] = (raw, entry.line, None)
                else:
                    problem = self._names_nothing(single)
                    if problem:
                        extra.append(_invalid_extra(key, raw, problem, entry.line))
                    else:
                        not_graded.append(key)
        return given, extra, not_graded

    def _names_nothing(self, ref: Reference) -> str | None:
        """Returns why a reference names nothing in this problem, or None if it names something."""
        from rnncli.files.problem import problem_level

        if ref.kind == "quantity" and problem_level(self.problem) != "trace":
            return f"`{ref}`: this problem computes no values at steps (it has no numbers)"
        try:
            self.solution.check(ref)
        except RnncliError as exc:
            return exc.message
        return None

    def _singles(self, ref: Reference, entry) -> list:
        """Returns [(single reference, raw value)]: `h: [a, b, c]` answers h[1], h[2], h[3]."""
        if ref.kind != "quantity" or ref.step is not None:
            return [(ref, entry.value)]
        problem = self._names_nothing(ref)
        if problem:
            raise ProblemError(problem)
        steps = self.solution.expand(ref)
        if not isinstance(entry.value, list) or len(entry.value) != len(steps):
            raise ProblemError(f"`{ref}` stands for every step: give a list of {len(steps)} "
                               f"values, one per step, or answer {ref.name}[{steps[0].step}], "
                               "... one by one")
        return list(zip(steps, entry.value))

    def _mark(self, item: AskedItem, checked, student_values: dict, ruled_out: set) -> GradedItem:
        ref = str(item.ref)
        tolerance = describe(item.tolerance)
        base = dict(question=item.question, ref=ref, expected=item.expected,
                    max_points=item.max_points, tolerance=tolerance)
        if checked is None:
            return GradedItem(given=None, status="missing", points=0.0,
                              feedback="not answered", **base)
        value, problem, line, raw = checked
        if problem is not None:
            return GradedItem(given=shown(raw), status="invalid", points=0.0, feedback=problem,
                              line=line, **base)
        if item.is_count:
            difference = value - item.expected
            if value == item.expected:
                return GradedItem(given=value, status="correct", points=item.max_points,
                                  feedback="exact", difference=0, line=line, **base)
            off = f"{difference:+d}" if isinstance(difference, int) else f"{difference:+g}"
            return GradedItem(given=value, status="wrong", points=0.0, difference=difference,
                              feedback=f"off by {off}; counts must be exact",
                              line=line, **base)
        difference = value - item.expected
        if within(item.tolerance, item.expected, value):
            return GradedItem(given=value, status="correct", points=item.max_points,
                              feedback=_closeness(item, value), difference=difference,
                              line=line, **base)
        return self._wrong(item, value, difference, line, student_values, ruled_out, base)

    def _wrong(self, item, value, difference, line, student_values, ruled_out, base) -> GradedItem:
        from rnncli.grading.follow_through import follow_through, student_overrides, wrong_keys

        overrides = student_overrides(self.recomputer, item, student_values)
        carried = bool(wrong_keys(overrides, self.by_key))
        notes = [_off_by(item, value)]
        if carried and self.credit > 0:
            ft = follow_through(self.recomputer, item, value, overrides, self.by_key)
            if ft is not None and ft.accepted:
                credit = "" if self.credit == 1 else f" ({self.credit:.0%} credit)"
                own = ", ".join(ft.used)
                return GradedItem(
                    given=value, status="follow-through", points=item.max_points * self.credit,
                    difference=difference, follow_through_from=ft.used, line=line,
                    feedback=(f"not the reference value, but right when recomputed from your own "
                              f"{own} ({_short(ft.value)}): follow-through credit{credit}"), **base)
            if ft is not None and ft.refused:
                notes.append(f"no follow-through: {ft.refused}")
        diagnosis = self.diagnoser.diagnose(item, value, student_values, ruled_out)
        if diagnosis is not None:
            notes.append(diagnosis.message)
        return GradedItem(given=value, status="wrong", points=0.0, difference=difference,
                          diagnosis=diagnosis, line=line, feedback="; ".join(notes), **base)


MIN_ANSWERS_LIMIT = 1000


def answer_limit(asked: int) -> int:
    """Returns how many answers a file may give for a problem that asks `asked` values."""
    return max(MIN_ANSWERS_LIMIT, 10 * asked)


def check_answer_count(answers: Answers, asked: int) -> None:
    """Raises ProblemError, at the first answer past the limit, for a file of junk answers
    (each answer costs a check: a file of 200,000 must not stall a class)."""
    limit = answer_limit(asked)
    if len(answers.entries) > limit:
        raise ProblemError(f"the file gives {len(answers.entries):,} answers; the problem asks "
                           f"{asked} values, and at most {limit:,} answers are read",
                           file=answers.file, line=answers.entries[limit].line)


def _question_totals(items) -> tuple:
    totals: dict[str, float] = {}
    for item in items:
        totals[item.question] = totals.get(item.question, 0.0) + item.max_points
    return tuple((qid, _tidy(p)) for qid, p in totals.items())


def _invalid_extra(ref: str, raw, message: str, line) -> GradedItem:
    # The reference as written may be a whole line of junk: shown cut short, like the value.
    return GradedItem(question=None, ref=shown(ref), expected=None, given=shown(raw), status="invalid",
                      points=0.0, max_points=0.0, line=line,
                      feedback=f"{message}; this answer is not graded")


def _short(value) -> str:
    """Returns a value to 4 significant figures, vectors as [a, b, c]."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return number(float(value))
    return "[" + ", ".join(number(float(v)) for v in value.ravel()) + "]"


def _closeness(item: AskedItem, value) -> str:
    largest = float(np.max(np.abs(value - item.expected)))
    if largest == 0:
        return "exact"
    bound = float(np.max(allowed(item.tolerance, item.expected)))
    return f"difference {number(largest)}, allowed {number(bound)}"


def _off_by(item: AskedItem, value) -> str:
    difference = np.asarray(value - item.expected, dtype=float)
    bound = allowed(item.tolerance, item.expected)
    if difference.ndim == 0:
        return (f"off by {'+' if difference > 0 else ''}{number(float(difference))} "
                f"(allowed {number(float(bound))}: {describe(item.tolerance)})")
    failing = failing_entries(item.tolerance, item.expected, value)
    worst = int(np.argmax(np.abs(difference.ravel())))
    entries = ", ".join(str(i + 1) for i in failing)
    return (f"entr{'y' if len(failing) == 1 else 'ies'} {entries} off; largest difference "
            f"{number(float(difference.ravel()[worst]))} at entry {worst + 1} "
            f"(allowed {number(float(np.max(bound)))}: {describe(item.tolerance)})")


def grade_files(paths, problem_path: str | None = None, debug=None) -> GradeReport:
    """Returns the GradeReport of answers files, against `problem_path` or each file's own problem.

    With `problem_path` (the instructor's file) every `problem:` key is
    ignored. A problem that cannot be read raises; an answers file that cannot
    be read becomes an error result scored 0, and the others are still graded.

    Any other exception while one file is graded (a bug of rnncli, or memory
    running out) also scores that file 0 with a one-line reason, so that no
    student's file can stop the class; its traceback is written to `debug`
    (a text stream) when one is given, and never into the student's result.
    """
    markings: dict[str, Marking] = {}
    fixed = Marking(load_problem(problem_path)) if problem_path is not None else None
    results = []
    for path in paths:
        answers = None
        try:
            answers = load_answers(path)
            marking = fixed or _own_marking(answers, markings)
            results.append(marking.grade(answers))
        except RnncliError as exc:
            results.append(_broken(path, answers, exc, fixed))
        except Exception as exc:  # noqa: BLE001 - the batch must finish (see the docstring)
            results.append(_broken(path, answers, _internal_error(path, exc, debug), fixed))
    return GradeReport(problem_path if fixed else None, tuple(results))


def _internal_error(path: str, exc: Exception, debug) -> RnncliError:
    """Returns the one-line error a student sees for an unexpected exception; logs the traceback."""
    if debug is not None:
        import traceback

        debug.write(f"--- while grading {path}:\n")
        debug.write("".join(traceback.format_exception(exc)))
        debug.flush()
    what = "ran out of memory" if isinstance(exc, MemoryError) else \
        f"failed ({type(exc).__name__}, a bug in rnncli)"
    return RnncliError(f"grading this file {what}; it is scored 0 and the other files are "
                       "graded (`rnncli grade --debug` shows the details)", file=str(path))


def _own_marking(answers: Answers, markings: dict) -> Marking:
    path = answers.problem_path()
    key = os.path.realpath(path) if path != "-" else path
    if key not in markings:
        try:
            markings[key] = Marking(load_problem(path))
        except RnncliError as exc:
            markings[key] = exc          # remembered, so a bad problem is read once
    found = markings[key]
    if isinstance(found, RnncliError):
        raise found
    return found


def _broken(path: str, answers: Answers | None, exc: RnncliError, fixed: Marking | None):
    from rnncli.files.answers import default_student_id

    questions = fixed.questions if fixed else ()
    max_score = fixed.max_score if fixed else 0.0
    return StudentGrade(file=exc.file or path if answers is None else answers.file,
                        student=answers.student if answers else None,
                        student_id=answers.student_id if answers else default_student_id(path),
                        problem=fixed.problem.file if fixed else None, questions=questions,
                        items=(), score=0.0, max_score=max_score, error=str(exc))
