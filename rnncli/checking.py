"""`rnncli check`: how far a problem file can be taken, and that it gets there.

A problem with numbers must trace; one with sizes only must have every shape
inferable; a symbolic one (for `unroll` and `graph`) must parse and order.
"""
from __future__ import annotations

from rnncli.cell import build_cell
from rnncli.problem import Problem, load_problem


def problem_level(problem: Problem) -> str:
    """Returns what a problem can do: `trace`, `shapes` or `symbolic`."""
    if problem.params or problem.inputs:
        return "trace"
    if problem.sizes:
        return "shapes"
    return "symbolic"


def check_problem(problem: Problem) -> None:
    """Raises the first RnncliError the problem's own level of use would meet."""
    level = problem_level(problem)
    if level == "trace":
        from rnncli.trace import run_trace

        run_trace(problem)
    elif level == "shapes":
        from rnncli.counting import count_parameters

        # Builds the cell, and every layer and direction of a stacked one: what
        # count-params will do with a sizes-only problem (a bad proj_size shows here).
        count_parameters(problem)
    else:
        build_cell(problem, shapes=False, evaluate=False)
    if problem.questions:
        from rnncli.questions import asked_items

        # Every `ask:` reference must name something the problem computes, and
        # `points` must cover each one: what `rnncli grade` will need.
        asked_items(problem)


def check_problem_file(path: str) -> Problem:
    """Returns the problem of a file after checking it; raises RnncliError if it is not valid."""
    problem = load_problem(path)
    check_problem(problem)
    return problem
