"""`rnncli check`: how far a problem file can be taken, and that it gets there.

A problem with numbers must trace; one with sizes only must have every shape
inferable; a symbolic one (for `unroll` and `graph`) must parse and order.
"""
from __future__ import annotations

from rnncli.cells.build import build_cell
from rnncli.files.problem import Problem, load_problem, problem_level


def check_problem(problem: Problem) -> None:
    """Raises the first RnncliError the problem's own level of use would meet."""
    level = problem_level(problem)
    if level == "trace":
        from rnncli.solve.trace import run_trace

        trace = run_trace(problem)
        if problem.loss is not None:
            from rnncli.solve.gradient_plan import check_loss

            check_loss(problem, trace.cell, problem.loss)
    elif level == "shapes":
        from rnncli.solve.counting import count_parameters

        # Builds the cell, and every layer and direction of a stacked one: what
        # count-params will do with a sizes-only problem (a bad proj_size shows here).
        count_parameters(problem)
    else:
        build_cell(problem, shapes=False, evaluate=False)
    if problem.questions:
        from rnncli.grading.questions import asked_items

        # Every `ask:` reference must name something the problem computes, and
        # `points` must cover each one: what `rnncli grade` will need.
        asked_items(problem)


def check_problem_file(path: str) -> Problem:
    """Returns the problem of a file after checking it; raises RnncliError if it is not valid."""
    problem = load_problem(path)
    check_problem(problem)
    return problem
