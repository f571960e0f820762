"""Problem + Answers -> `StudentGrade`s and a `GradeReport` that owns the exit code.

`Marking` is the instructor's side, computed once per problem: every asked
item with its reference value, the follow-through and diagnosis machinery.
`Marking.grade` marks one answers file; grading/batch.py (`grade_files`) marks
a batch, where a broken file is scored 0 with its reason and the batch goes on.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from rnncli.files.answers import Answers, check_value, is_blank, shown
from rnncli.grading.answers_memo import AnswersMemo, answers_key
from rnncli.grading.results import GradedItem, StudentGrade, tidy_points
from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem
from rnncli.grading.questions import (DEFAULT_TOLERANCE, AskedItem, asked_items, change_key,
                                      describe_changes, qualified, question_solutions)
from rnncli.solve.references import Reference, Solution, parse_reference
from rnncli.files.problem import problem_level
from rnncli.solve.sheet_references import HAND_GRADED
from rnncli.grading.feedback import closeness, off_by, short_value
from rnncli.grading.tolerances import describe, within

# The question of a problem without `questions:`: every answered reference, one point each.
ANSWERED = "answered"


class Marking:
    """The instructor's side of grading one problem, computed once.

    The items of questions with `set:` are marked by a Marking of the changed
    problem (`groups`, one per distinct change): its expected values,
    follow-through recomputation and diagnoses all run on the changed network,
    from the student's answers under that same change.
    """

    def __init__(self, problem: Problem, solution: Solution | None = None):
        self.problem = problem
        self.solution = solution or Solution(problem)
        solutions = question_solutions(problem, self.solution) if problem.questions else {}
        # Drawn answers (graph, plot) are on the solution sheet but graded by hand.
        self.items = tuple(i for i in asked_items(problem, self.solution, solutions)
                           if i.ref.kind not in HAND_GRADED)
        # Without `questions:`, every reference a student answers is graded (self-check).
        self.grades_answered = not self.items
        ft = problem.follow_through
        self.credit = 0.0 if ft is False else 1.0 if ft is True else ft["credit"]
        self._index(tuple(i for i in self.items if not i.changes))
        self.questions = _question_totals(self.items)
        self.max_score = tidy_points(sum(i.max_points for i in self.items))
        # Which changes ask each reference: a plain answer key goes to the one it names.
        self.asked_under: dict[str, list] = {}
        for item in self.items:
            under = self.asked_under.setdefault(str(item.ref), [])
            if item.changes not in under:
                under.append(item.changes)
        self.groups = {key: self._changed(key, solution) for key, solution in solutions.items()
                       if key and any(i.changes == key for i in self.items)}
        # Files with the same answers get the same marks (answers_memo.py): the copies below
        # (changed networks, self-check's own items) are marked through this one.
        self._memo = AnswersMemo()

    def _index(self, items) -> None:
        """Sets the lookups of the items marked on this (unchanged or changed) network."""
        self.by_ref = {str(item.ref): item for item in items}
        self.by_key = {(i.ref.name, i.ref.step): i for i in items if i.ref.kind == "quantity"}
        self._recomputer = None
        self._diagnoser = None

    def _changed(self, key: tuple, solution: Solution) -> "Marking":
        """Returns the Marking of the network one `set:` changes, for the items asked under it."""
        marking = copy.copy(self)
        marking._memo = None
        marking.problem = solution.problem
        marking.solution = solution
        marking.groups = {}
        marking._index(tuple(i for i in self.items if i.changes == key))
        return marking

    def group(self, key: tuple) -> "Marking":
        """Returns the Marking of the items asked under a change (this one for none)."""
        return self.groups[key] if key else self

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
        if self._memo is None:
            return self._grade(answers)
        key = answers_key(answers)
        found = self._memo.get(key, answers)
        if found is None:
            found = self._grade(answers)
            self._memo.put(key, found)
        return found

    def _grade(self, answers: Answers) -> StudentGrade:
        if self.grades_answered:
            return self._for_answers(answers).grade(answers)
        given, extra, not_graded, written = self._collect(answers)
        # (change, ref) -> (value or None, why invalid, line, raw, note)
        checked: dict[tuple, tuple] = {}
        for item in self.items:
            ref = (item.changes, str(item.ref))
            if ref in given:
                raw, line, problem = given[ref]
                if problem is None and is_blank(raw):
                    continue              # blank is not answered: one status, `missing`
                note = None
                if problem is None and item.ref.kind == "unroll":
                    value = raw           # a formula: graded by evaluation (grading/formula_answers.py)
                elif problem is None:
                    value, problem, note = check_value(item, raw, answers.file)
                else:
                    value = None
                checked[ref] = (value, problem, line, raw, note)
        # Per network: a student's c[1] with f = 0 says nothing about their c[1] as given.
        student_values: dict[tuple, dict] = {}
        for item in self.items:
            found = checked.get((item.changes, str(item.ref)))
            if item.ref.kind == "quantity" and found is not None and found[0] is not None:
                student_values.setdefault(item.changes, {})[(item.ref.name, item.ref.step)] = found[0]
        ruled_out: dict[tuple, set] = {}    # slips this student's answers do not follow (diagnoses.py)
        items = [self.group(item.changes)._mark(
                    item, checked.get((item.changes, str(item.ref))),
                    student_values.get(item.changes, {}), ruled_out.setdefault(item.changes, set()))
                 for item in self.items]
        items.extend(extra)
        sheet = None
        # Only where quantities are asked (so the problem has a trace) and something is wrong.
        for key, steps_written in written.items():
            group = self.group(key) if key in self.groups or not key else None
            if (group is None or not steps_written or not group.by_key
                    or not any(i.status == "wrong" and i.changes == key for i in items)):
                continue
            from rnncli.grading.step_shift import shifted_steps

            diagnosis, shifted = shifted_steps(group.solution, group.by_key, group.problem,
                                               steps_written)
            sheet = sheet or diagnosis
            items = [_shift_noted(i) if i.ref in shifted and i.changes == key
                     and i.status == "wrong" and i.question is not None else i for i in items]
        score = tidy_points(sum(i.points for i in items))
        return StudentGrade(answers.file, answers.student, answers.student_id, self.problem.file,
                            self.questions, tuple(items), score, self.max_score,
                            not_graded=tuple(not_graded), sheet_diagnosis=sheet)

    def _for_answers(self, answers: Answers) -> "Marking":
        """Returns this marking asking exactly the references `answers` gives (no `questions:`)."""
        items: dict[str, AskedItem] = {}
        tolerance = self.problem.tolerance or DEFAULT_TOLERANCE
        for entry in answers.entries:
            try:
                ref = parse_reference(entry.text)
                if self._names_nothing(ref):
                    continue      # reported as an invalid answer by `_collect`
                singles = self.solution.expand(ref)
            except RnncliError:
                continue
            for single in singles:
                if (str(single) in items or single.kind in HAND_GRADED
                        or self._names_nothing(single)):
                    continue
                expected = self.solution.value(single)
                count = self.solution.is_count(single)
                if single.kind == "unroll":       # a formula: the Unrolled reference itself
                    items[str(single)] = AskedItem(ANSWERED, single, 1.0, None, expected, None)
                    continue
                items[str(single)] = AskedItem(
                    ANSWERED, single, 1.0, None if count else tolerance,
                    int(expected) if count else np.array(expected, dtype=float), None)
        marking = copy.copy(self)
        marking._memo = None
        marking.grades_answered = False
        marking.items = tuple(items.values())
        marking._index(marking.items)
        marking.asked_under = {ref: [()] for ref in items}
        marking.groups = {}
        marking.questions = _question_totals(marking.items)
        marking.max_score = tidy_points(sum(i.max_points for i in marking.items))
        # Shared: its cache serves every student (a symbolic problem has no trace to share).
        marking._recomputer = self.recomputer if problem_level(self.problem) == "trace" else None
        return marking

    def _collect(self, answers: Answers):
        """Returns ({(change, ref): (raw, line, problem or None)}, invalid extra items, not-graded
        refs, {change: {(name, t): raw}} of every answer at a step, in range or not).

        A plain key answers the network as given when a question without `set:`
        asks it, else the one change it is asked under; asked under several
        changes only, it is ambiguous. A key nested under a question's id
        answers the network that question changes.
        """
        given: dict[tuple, tuple] = {}
        extra: list[GradedItem] = []
        not_graded: list[str] = []
        written: dict[tuple, dict] = {}
        for entry, nested in self._flattened(answers, extra):
            try:
                ref = parse_reference(entry.text)
                singles = self._entry_singles(ref, entry, nested)
            except ProblemError as exc:
                message = exc.message
                if entry.inner is not None and nested is None:
                    message += "; " + _no_such_question(entry.text)
                extra.append(_invalid_extra(entry.label, entry.value, message, entry.line))
                continue
            for single, raw in singles:
                key = str(single)
                under = [nested] if nested is not None else self.asked_under.get(key, [()])
                change = () if () in under else under[0]
                if nested is None and () not in under and len(under) > 1:
                    extra.append(_invalid_extra(key, raw, _ambiguous(key, self.items), entry.line))
                    continue
                if single.kind == "quantity" and single.step is not None:
                    written.setdefault(change, {}).setdefault((single.name, single.step), raw)
                label = qualified(entry.question, key, change)
                if key in self.group(change).by_ref:
                    if (change, key) in given:
                        given[change, key] = (raw, entry.line, f"`{label}` is answered twice "
                                              f"(lines {given[change, key][1]} and {entry.line}); "
                                              "which one counts is not for the grader to guess")
                    else:
                        given[change, key] = (raw, entry.line, None)
                else:
                    problem = self.group(change)._names_nothing(single)
                    if problem is None and isinstance(raw, dict):
                        problem = _no_such_question(entry.text)
                    if problem:
                        extra.append(_invalid_extra(label, raw, problem, entry.line))
                    elif not is_blank(raw):
                        not_graded.append(label)
        return given, extra, not_graded, written

    def _flattened(self, answers: Answers, extra: list):
        """Yields (answer, the change it is nested under or None): a mapping under the id of a
        question with `set:` gives that question's answers; under the id of another question
        it is invalid (with why); under anything else it is one answer (not a number)."""
        for entry in answers.entries:
            question = None
            if entry.inner is not None:
                question = next((q for q in self.problem.questions if q.id == entry.text), None)
            if question is None:
                yield entry, None
                continue
            key = change_key(question)
            if not key:
                extra.append(_invalid_extra(entry.text, entry.value, (
                    f"question `{question.id}` does not change the network (it has no `set:`): "
                    "give its answers as plain lines of `answers:`, not under its id"), entry.line))
                continue
            if key not in self.groups:      # it asks only drawings, graded by hand
                extra.append(_invalid_extra(entry.text, entry.value, (
                    f"question `{question.id}` asks nothing that is graded here"), entry.line))
                continue
            for inner in entry.inner:
                yield inner, key

    def _entry_singles(self, ref: Reference, entry, nested) -> list:
        """Returns the single references of one answer, on the network it is given for."""
        if nested is not None:
            return self.group(nested)._singles(ref, entry)
        try:
            return self._singles(ref, entry)
        except ProblemError:
            # A name that only a question's `set:` adds (`set: {z: ...}`) exists under it alone.
            for group in self.groups.values():
                try:
                    return group._singles(ref, entry)
                except ProblemError:
                    pass
            raise

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
        if ref.kind not in ("quantity", "grad") or ref.step is not None:
            return [(ref, entry.value)]
        problem = self._names_nothing(ref)
        if problem:
            raise ProblemError(problem)
        steps = self.solution.expand(ref)
        if steps == [ref]:          # grad.W_f: a parameter's gradient has no steps
            return [(ref, entry.value)]
        if is_blank(entry.value):
            return [(step, None) for step in steps]       # `h:` left blank: every step blank
        if not isinstance(entry.value, list) or len(entry.value) != len(steps):
            raise ProblemError(f"`{ref}` stands for every step: give a list of {len(steps)} "
                               f"values, one per step, or answer {steps[0]}, "
                               "... one by one")
        return list(zip(steps, entry.value))

    def _mark(self, item: AskedItem, checked, student_values: dict, ruled_out: set) -> GradedItem:
        ref = str(item.ref)
        tolerance = describe(item.tolerance)
        base = dict(question=item.question, ref=ref, expected=item.expected,
                    max_points=item.max_points, tolerance=tolerance, changes=item.changes)
        if checked is None:
            return GradedItem(given=None, status="missing", points=0.0,
                              feedback="not answered", **base)
        value, problem, line, raw, note = checked
        if problem is not None:
            return GradedItem(given=shown(raw), status="invalid", points=0.0, feedback=problem,
                              line=line, **base)
        if item.ref.kind == "unroll":
            from rnncli.grading.formula_answers import mark_formula

            return mark_formula(GradedItem, item, raw, line, base)
        if note:
            marked = self._mark(item, (value, None, line, raw, None), student_values, ruled_out)
            return dataclasses.replace(marked, feedback=f"{marked.feedback}; {note}")
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
                              feedback=closeness(item, value), difference=difference,
                              line=line, **base)
        if item.ref.kind in ("grad", "loss"):
            from rnncli.grading.gradient_grading import grade_wrong_gradient

            follow = grade_wrong_gradient(self, item, value, student_values)
            status = "follow-through" if follow.accepted else "wrong"
            points = item.max_points * self.credit if follow.accepted else 0.0
            return GradedItem(given=value, status=status, points=points, difference=difference,
                              diagnosis=follow.diagnosis, line=line,
                              follow_through_from=follow.used,
                              feedback="; ".join([off_by(item, value)] + list(follow.notes))
                              if not follow.accepted else follow.notes[0], **base)
        return self._wrong(item, value, difference, line, student_values, ruled_out, base)

    def _wrong(self, item, value, difference, line, student_values, ruled_out, base) -> GradedItem:
        from rnncli.grading.follow_through import follow_through, student_overrides, wrong_keys

        overrides = student_overrides(self.recomputer, item, student_values)
        wrong = wrong_keys(overrides, self.by_key, self.recomputer)
        notes = [off_by(item, value)]
        if wrong and self.credit > 0:
            ft = follow_through(self.recomputer, item, value, overrides, self.by_key, wrong)
            if ft is not None and ft.accepted:
                credit = "" if self.credit == 1 else f" ({self.credit:.0%} credit)"
                own = ", ".join(ft.used)
                return GradedItem(
                    given=value, status="follow-through", points=item.max_points * self.credit,
                    difference=difference, follow_through_from=ft.used, line=line,
                    feedback=(f"not the reference value, but right when recomputed from your own "
                              f"{own} ({short_value(ft.value)}): follow-through credit{credit}"), **base)
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
    total = 0
    for entry in answers.entries:
        total += entry.size
        if total > limit:
            given = sum(e.size for e in answers.entries)
            raise ProblemError(f"the file gives {given:,} answers; the problem asks "
                               f"{asked} values, and at most {limit:,} answers are read",
                               file=answers.file, line=entry.line)


def _shift_noted(item: GradedItem) -> GradedItem:
    """Returns a wrong item of a shifted sheet: it points to the sheet's note, with no slip of its own."""
    feedback = item.feedback.split("; ")[0] + "; your steps are shifted by one (see the note " \
        "for the whole sheet)"
    return dataclasses.replace(item, diagnosis=None, feedback=feedback)


def _question_totals(items) -> tuple:
    totals: dict[str, float] = {}
    for item in items:
        totals[item.question] = totals.get(item.question, 0.0) + item.max_points
    return tuple((qid, tidy_points(p)) for qid, p in totals.items())


def _ambiguous(ref: str, items) -> str:
    """Returns why a plain answer to a reference asked under several changes cannot be placed."""
    askers = []
    for item in items:
        if str(item.ref) == ref and item.question not in [q for q, _ in askers]:
            askers.append((item.question, describe_changes(item.changes)))
    who = " and ".join(f"`{q}` ({change})" for q, change in askers)
    first = askers[0][0]
    return (f"`{ref}` is asked by questions {who}, each on a changed network: give it under "
            f"the question's id, as `{first}: {{{ref}: ...}}`")


def _no_such_question(key: str) -> str:
    """Returns why a mapping under a key that is no question's id is not a question's answers."""
    return (f"a mapping gives the answers of a question with `set:` under its id, and no "
            f"question has the id `{key}`")


def _invalid_extra(ref: str, raw, message: str, line) -> GradedItem:
    # The reference as written may be a whole line of junk: shown cut short, like the value.
    return GradedItem(question=None, ref=shown(ref), expected=None, given=shown(raw), status="invalid",
                      points=0.0, max_points=0.0, line=line,
                      feedback=f"{message}; this answer is not graded")
