"""Answers files -> a GradeReport: a batch where one bad file never stops the others.

Each file is read, marked by the `Marking` of its problem (the instructor's,
with `--problem`; else the file's own `problem:`, each read once) and let go;
a file that cannot be read or marked becomes an error result scored 0, with a
one-line reason, and the batch goes on. `--variants` marks each student
against their own exam variant.
"""
from __future__ import annotations

import os

from rnncli.errors import RnncliError
from rnncli.files.answers import Answers, answers_from_document
from rnncli.files.problem import load_problem
from rnncli.files.yaml_source import load_yaml
from rnncli.grading.grade import Marking
from rnncli.grading.results import GradeReport, StudentGrade
from rnncli.solve.references import Solution


def grade_files(paths, problem_path: str | None = None, variants: int | None = None,
                debug=None) -> GradeReport:
    """Returns the GradeReport of answers files, against `problem_path` or each file's own problem.

    With `problem_path` (the instructor's file) every `problem:` key is
    ignored. With `variants` N as well, each file is graded against its
    student's exam variant of that problem (each variant marked once, however
    many students share it). A problem that cannot be read raises; an answers
    file that cannot be read becomes an error result scored 0, and the others
    are still graded.

    Any other exception while one file is graded (a bug of rnncli, or memory
    running out) also scores that file 0 with a one-line reason, so that no
    student's file can stop the class; its traceback is written to `debug`
    (a text stream) when one is given, and never into the student's result.
    """
    if variants is not None:
        return _grade_variants(paths, problem_path, variants, debug)
    return GradeReport(problem_path, tuple(iter_grades(paths, problem_path, debug)))


def iter_grades(paths, problem_path: str | None = None, debug=None):
    """Yields the StudentGrade of each answers file in turn, as `grade_files` grades them.

    The problem is read (and raises, if it cannot be) before the first file;
    each answers file is read, graded and let go before the next, so a caller
    that writes each result as it comes (`rnncli grade`) holds one file at a time.
    """
    grader = Grader(problem_path, debug)
    for path in paths:
        yield grader.grade(path)


class Grader:
    """Grades answers files one by one: against one problem, or each against its own."""

    def __init__(self, problem_path: str | None = None, debug=None):
        self.debug = debug
        self.markings: dict[str, Marking] = {}
        self.fixed = Marking(load_problem(problem_path)) if problem_path is not None else None

    def grade(self, path: str) -> StudentGrade:
        """Returns the StudentGrade of one answers file; a file that cannot be read or graded
        is an error result scored 0 (never an exception)."""
        answers = doc = None
        try:
            doc = load_yaml(path)
            answers = answers_from_document(doc)
            return self._marked(answers)
        except RnncliError as exc:
            return _broken(path, answers, exc, self._scoring_broken(doc, answers))
        except Exception as exc:  # noqa: BLE001 - the batch must finish (see grade_files)
            return _broken(path, answers, _internal_error(path, exc, self.debug),
                           self._scoring_broken(None, None))

    def _marked(self, answers: Answers) -> StudentGrade:
        return (self.fixed or _own_marking(answers, self.markings)).grade(answers)

    def _scoring_broken(self, doc, answers: Answers | None) -> Marking | None:
        """Returns the Marking whose points a broken file is scored 0 of (doc and answers as far
        as they were read; None for both after an unexpected failure)."""
        if self.fixed is not None or doc is None:
            return self.fixed
        return _known(doc, answers, self.markings)


class VariantGrader(Grader):
    """Grades each answers file against its student's exam variant of one problem (`vary:`)."""

    def __init__(self, problem_path: str, count: int, debug=None):
        from rnncli.variants.drawing import draw_variants

        self.debug = debug
        self.problem_path = problem_path
        self.count = count
        self.variant_set = draw_variants(load_problem(problem_path), count)
        self.variant_markings: dict[int, Marking] = {}

    def _marked(self, answers: Answers) -> StudentGrade:
        import dataclasses

        from rnncli.variants.drawing import student_variant

        number = student_variant(self.variant_set.seed, answers.student_id, self.count)
        return dataclasses.replace(self._variant(number).grade(answers), variant=number,
                                   problem=self.problem_path)

    def _scoring_broken(self, doc, answers: Answers | None) -> Marking:
        return self._variant(1)

    def _variant(self, number: int) -> Marking:
        # Marked once per variant, however many students share it; every variant has the
        # original's shapes, so the one cell serves them all.
        if number not in self.variant_markings:
            variant = self.variant_set.variants[number - 1]
            self.variant_markings[number] = Marking(
                variant.problem, Solution(variant.problem, self.variant_set.cell))
        return self.variant_markings[number]


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


def _grade_variants(paths, problem_path: str | None, count: int, debug=None) -> GradeReport:
    from rnncli.errors import UsageError
    from rnncli.grading.copying import suspected_copies

    if problem_path is None:
        raise UsageError("--variants grades against the instructor's problem: give --problem "
                         "PROBLEM (the file with `vary:`)")
    grader = VariantGrader(problem_path, count, debug)
    results = tuple(grader.grade(path) for path in paths)
    return GradeReport(problem_path, results, variants=count,
                       suspected=suspected_copies(results, grader.variant_set))


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


def _known(doc, answers: Answers | None, markings: dict) -> Marking | None:
    """Returns the marking of a broken answers file's own `problem:` if it can be read, else None:
    so that a broken file is scored 0 of the problem's points, as it is with --problem."""
    if answers is None:
        data = doc.data if doc is not None else None
        problem = data.get("problem") if isinstance(data, dict) else None
        if not isinstance(problem, str):
            return None
        answers = Answers(doc.file, None, "", problem, ())
    try:
        marking = _own_marking(answers, markings)
    except Exception:  # noqa: BLE001 - only a courtesy to a broken file: never a new failure
        return None
    return None if marking.grades_answered else marking


def _broken(path: str, answers: Answers | None, exc: RnncliError, fixed: Marking | None):
    from rnncli.files.answers import default_student_id

    questions = fixed.questions if fixed else ()
    max_score = fixed.max_score if fixed else 0.0
    return StudentGrade(file=exc.file or path if answers is None else answers.file,
                        student=answers.student if answers else None,
                        student_id=answers.student_id if answers else default_student_id(path),
                        problem=fixed.problem.file if fixed else None, questions=questions,
                        items=(), score=0.0, max_score=max_score, error=str(exc))
