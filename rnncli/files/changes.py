"""A Problem changed for one run: `--set NAME=EXPR` and `--teacher-forcing y=target` (spec §15).

A change is exactly an `equations:` entry (or a `teacher_forcing:` entry) made
from the command line or a question's `set:`. `apply_changes` returns a new
Problem; every command that takes a Problem (trace, unroll, graph, gradients,
jacobian) therefore takes a changed one unchanged. The Problem remembers its
changes, so that headings can say what was changed and so that parameters the
changed equations no longer read are reported as unused instead of refused.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rnncli.errors import EquationError, UsageError
from rnncli.files.problem import Problem
from rnncli.language.equations import IDENTIFIER, parse_expression


@dataclass(frozen=True)
class Change:
    """One change: `kind` is "set" (an equation) or "teacher_forcing" (a lagged read)."""

    kind: str
    name: str               # the quantity whose equation (or whose lagged reads) change
    text: str               # the new expression, or the input read in the quantity's place
    origin: str             # "--set", "--teacher-forcing", "question a", "file"

    def describe(self) -> str:
        """Returns what was changed, for headings: `f = 0 (--set)`."""
        if self.kind == "set":
            return f"{self.name} = {self.text} ({self.origin})"
        return f"{self.name}[t-1] reads {self.text}[t-1] ({self.origin})"


def _split(option: str, text: str) -> tuple[str, str]:
    name, equals, expr = text.partition("=")
    name, expr = name.strip(), expr.strip()
    if not equals or not name or not expr:
        raise UsageError(f"{option} {text!r}: write NAME=EXPR, as in {option} f=0")
    if not IDENTIFIER.match(name) or "__" in name:
        raise UsageError(f"{option} {text!r}: `{name}` is not a valid name")
    return name, expr


def parse_set_option(text: str, option: str = "--set") -> Change:
    """Returns the Change of one `--set NAME=EXPR`; a syntax error names the option."""
    name, expr = _split(option, text)
    try:
        parse_expression(expr, equation=name)
    except EquationError as exc:
        raise UsageError(f"{option} {name}={expr}: {exc.message}") from None
    return Change("set", name, expr, option)


def parse_teacher_forcing_option(text: str) -> Change:
    """Returns the Change of one `--teacher-forcing y=target`."""
    name, target = _split("--teacher-forcing", text)
    if not IDENTIFIER.match(target) or "__" in target:
        raise UsageError(f"--teacher-forcing {text!r}: `{target}` must name an input")
    return Change("teacher_forcing", name, target, "--teacher-forcing")


def question_changes(problem: Problem, question) -> tuple:
    """Returns the Changes of a question's `set:` (parsed, with the question's line on error)."""
    changes = []
    index = next((i for i, q in enumerate(problem.questions) if q.id == question.id), None)
    for name, expr in question.set.items():
        try:
            parse_expression(expr, equation=name)
        except EquationError as exc:
            exc.message = f"question `{question.id}`, `set.{name}`: {exc.message}"
            line = problem.line("questions", index, "set", name) if index is not None else None
            raise exc.located(problem.file, line or question.line) from None
        changes.append(Change("set", name, expr, f"question {question.id}"))
    return tuple(changes)


def apply_changes(problem: Problem, changes) -> Problem:
    """Returns the problem with each change made, in order; no changes returns it as it is."""
    changes = tuple(changes)
    if not changes:
        return problem
    equations = dict(problem.equations)
    forcing = dict(problem.teacher_forcing)
    for change in changes:
        if change.kind == "set":
            equations[change.name] = change.text
        else:
            forcing[change.name] = change.text
    return dataclasses.replace(problem, equations=equations, teacher_forcing=forcing,
                               changes=problem.changes + changes)


def baseline(problem: Problem) -> Problem:
    """Returns the problem as written: without its changes and without teacher forcing.

    This is what `--compare` runs next to the changed problem.
    """
    from rnncli.files.problem import problem_from_document

    forced = set(problem.teacher_forcing.values())
    if problem.doc is not None and problem.doc.file == problem.file:
        problem = problem_from_document(problem.doc)
        forced |= set(problem.teacher_forcing.values())
    # The inputs that only teacher forcing read have no reader when running free.
    inputs = {k: v for k, v in problem.inputs.items() if k not in forced}
    names = tuple(n for n in problem.input_names if n not in forced)
    return dataclasses.replace(problem, teacher_forcing={}, changes=(), inputs=inputs,
                               input_names=names)


def change_notes(problem: Problem) -> list[str]:
    """Returns what this run changed, one line each, for headings: `f = 0 (--set)`."""
    notes = [c.describe() for c in problem.changes]
    told = {c.name for c in problem.changes if c.kind == "teacher_forcing"}
    notes += [Change("teacher_forcing", name, target, "teacher_forcing: in the file").describe()
              for name, target in problem.teacher_forcing.items() if name not in told]
    return notes


def mode(problem: Problem) -> str:
    """Returns "teacher forcing" or "free running"."""
    return "teacher forcing" if problem.teacher_forcing else "free running"
