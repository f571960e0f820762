"""Problems -> `Sheet`: the worked solution sheet, format-free (spec §16).

A sheet has, per problem, the network and its questions; per question the
parts of the working that answer exactly what it asks (the trace steps of the
quantities asked and the quantities they need, count tables, unrolled
formulas, graphs, plots, the backward working of gradients) and one answer per
single reference. The answer key is the list of every answer with its
tolerance and points. `render/sheet_*` prints a Sheet as Markdown, HTML or
LaTeX.

Each reference kind becomes a part through `PART_BUILDERS`; a new kind plugs
in by registering a builder here and a block writer in render/sheet_blocks.py
(`PART_WRITERS`); a part of a kind with no writer is shown as its answers alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
from rnncli.files.problem import Problem, Question, load_problem, problem_level
from rnncli.solve.references import Reference, Solution


@dataclass(frozen=True)
class Part:
    kind: str           # "trace", "counts", "unroll", "graph", "plot", "gradients", or a registered kind
    result: object      # Trace, ParamCount, Unrolled, Graph, Chart, GradientWorking, ...
    refs: tuple         # the references this part answers
    quantities: tuple = ()   # trace: the quantities shown at some step (asked, and those they need)
    steps: tuple = ()        # trace: (t, quantities shown at step t), for every step shown


@dataclass(frozen=True)
class Answer:
    question: str
    ref: Reference
    value: object        # float64 array, int, Unrolled, Graph or Chart
    tolerance: object    # Tolerance, or None (exact counts, formulas, drawings)
    points: float
    changes: tuple = ()  # the question's `set:`: the value is of the changed network

    @property
    def label(self) -> str:
        """Returns the reference as the key names it: `c[2]`, or `b: c[2]` under question b's `set:`."""
        return f"{self.question}: {self.ref}" if self.changes else str(self.ref)


@dataclass(frozen=True)
class SheetQuestion:
    id: str
    text: str
    points: float
    parts: tuple         # Part
    answers: tuple       # Answer
    changes: tuple = ()  # the question's `set:` as ((name, expression text), ...): its network


@dataclass(frozen=True)
class SheetProblem:
    number: int
    problem: Problem
    solution: Solution
    cell: object         # the Cell (with shapes when they are known), None for a stacked network
    questions: tuple     # SheetQuestion
    generated: bool      # True: the problem asks nothing; the sections are what rnncli computes


@dataclass(frozen=True)
class Sheet(Displayable):
    problems: tuple      # SheetProblem, numbered in the order given

    @property
    def answers(self) -> tuple:
        """Returns (problem number, Answer) for every answer on the sheet: the key."""
        return tuple((p.number, a) for p in self.problems for q in p.questions for a in q.answers)

    @property
    def title(self) -> str:
        titles = [p.problem.title for p in self.problems if p.problem.title]
        return " · ".join(titles) if titles else "Solution sheet"


def build_sheet(problems, precision: int = 4) -> Sheet:
    """Returns the Sheet of problems (Problem objects or paths), numbered from 1 in order."""
    built = []
    for number, problem in enumerate(problems, 1):
        if not isinstance(problem, Problem):
            problem = load_problem(problem)
        built.append(_sheet_problem(number, problem))
    return Sheet(tuple(built))


def _sheet_problem(number: int, problem: Problem) -> SheetProblem:
    from rnncli.grading.questions import asked_items, change_key, question_solutions

    solution = Solution(problem)
    cell = _cell(solution)
    if not problem.questions:
        questions = _generated_questions(solution, cell)
        return SheetProblem(number, problem, solution, cell, questions, True)
    # A question with `set:` is worked on its changed network (its own Solution and cell).
    solutions = question_solutions(problem, solution)
    cells = {(): cell}
    items = asked_items(problem, solution, solutions)
    questions = []
    for question in problem.questions:
        key = change_key(question)
        if key not in cells:
            cells[key] = _cell(solutions[key])
        mine = [i for i in items if i.question == question.id]
        answers = tuple(Answer(question.id, i.ref, i.expected, i.tolerance, i.max_points, key)
                        for i in mine)
        questions.append(SheetQuestion(question.id, question.text, _total(question, answers),
                                       _parts(solutions[key], cells[key], [i.ref for i in mine]),
                                       answers, key))
    return SheetProblem(number, problem, solution, cell, tuple(questions), False)


def _total(question: Question, answers) -> float:
    return round(sum(a.points for a in answers), 9) + 0.0


def _cell(solution: Solution):
    """Returns the problem's cell, or None when only its counts can be shown (a stacked network)."""
    from rnncli.errors import RnncliError
    from rnncli.solve.sheet_references import symbolic_cell

    if problem_level(solution.problem) == "trace":
        try:
            return solution.trace.cell
        except RnncliError:
            if solution.problem.layers == 1 and not solution.problem.bidirectional:
                raise
    try:
        return symbolic_cell(solution)
    except RnncliError:
        if solution.problem.layers == 1 and not solution.problem.bidirectional:
            raise
        return None


def _parts(solution: Solution, cell, refs: list) -> tuple:
    """Returns the parts of the working, grouping references of a kind, in the order first asked."""
    groups: dict[str, list] = {}
    for ref in refs:
        groups.setdefault(SAME_PART.get(ref.kind, ref.kind), []).append(ref)
    parts = []
    for kind, group in groups.items():
        builder = PART_BUILDERS.get(kind)
        parts += builder(solution, cell, group) if builder else [Part(kind, None, tuple(group))]
    return tuple(parts)


def needed_at_steps(cell, asked: list, first: int, last: int | None = None) -> tuple:
    """Returns ((t, quantities), ...): at each step, what the asked (name, step) pairs read.

    A quantity read at t-k is needed at step t-k, down to the first step (up to
    the last, for a backward direction's t+1); values beyond are initial
    values, shown with the network.
    """
    from rnncli.language.expression import names

    needed: dict[int, set] = {}
    stack = [(name, t) for name, t in asked if name in cell.quantities]
    for name, t in stack:
        needed.setdefault(t, set()).add(name)
    while stack:
        name, t = stack.pop()
        for node in names(cell.equation(name).expr):
            at = t - node.lag
            inside = at >= first and (last is None or at <= last)
            if node.name in cell.quantities and inside and node.name not in needed.get(at, ()):
                needed.setdefault(at, set()).add(node.name)
                stack.append((node.name, at))
    return tuple((t, tuple(q for q in cell.quantities if q in needed[t])) for t in sorted(needed))


def _trace_part(solution, cell, refs):
    trace = solution.trace
    run = solution.steps()
    steps = needed_at_steps(cell, [(r.name, r.step) for r in refs], run.start, run.stop - 1)
    shown = {q for _, names in steps for q in names}
    return [Part("trace", trace, tuple(refs), tuple(q for q in cell.quantities if q in shown),
                 steps)]


def _counts_part(solution, cell, refs):
    return [Part("counts", solution.counts, tuple(refs))]


def _one_each(kind):
    def build(solution, cell, refs):
        return [Part(kind, solution.value(ref), (ref,)) for ref in refs]
    return build


def _gradients_part(solution, cell, refs):
    from rnncli.solve.sheet_gradients import gradient_working

    return [Part("gradients", gradient_working(solution.gradients, refs), tuple(refs))]


# `loss` and `grad.*` asked by one question share one working: the loss, then back in time.
SAME_PART = {"loss": "grad"}

PART_BUILDERS = {
    "quantity": _trace_part,
    "grad": _gradients_part,
    "params": _counts_part,
    "unroll": _one_each("unroll"),
    "graph": _one_each("graph"),
    "plot": _one_each("plot"),
}


def _generated_questions(solution: Solution, cell) -> tuple:
    """Returns a section per thing rnncli can compute for a problem that asks nothing."""
    from rnncli.errors import RnncliError
    from rnncli.grading.questions import DEFAULT_TOLERANCE

    problem = solution.problem
    level = problem_level(problem)
    sections = []

    def add(qid: str, text: str, refs) -> None:
        try:
            refs = refs() if callable(refs) else refs
            answers = tuple(Answer(qid, r, _generated_value(solution, r), DEFAULT_TOLERANCE
                                   if r.kind in NUMERIC else None, 0.0) for r in refs)
            parts = _parts(solution, cell, refs)
        except RnncliError:
            return        # something this problem cannot show (a formula too large): left out
        sections.append(SheetQuestion(qid, text, 0.0, parts, answers))

    steps = list(solution.steps())
    if cell is None:          # a stacked network: its parameter count is what can be shown
        add("params", "The parameter count.", [Reference("params", "total")])
        return tuple(sections)
    if level == "trace":
        refs = [Reference("quantity", q, t) for q in cell.quantities for t in steps]
        add("forward", "The forward pass, every quantity at every step.", refs)
        add("plot", "Every quantity against the step.", [Reference("plot", "")])
        if problem.loss is not None:
            add("gradients", "Back-propagation through time: the loss, the gradient of every "
                "quantity at every step and of every parameter.", lambda: _all_gradients(solution))
    if level in ("trace", "shapes"):
        add("params", "The parameter count.", [Reference("params", "total")])
    if steps and _small_formula(solution, Reference("unroll", cell.quantities[-1], steps[-1])):
        target = cell.quantities[-1]
        add("unroll", f"The unrolled formula of {target}({steps[-1]}).",
            [Reference("unroll", target, steps[-1])])
    add("graph", "The folded graph.", [Reference("graph", "")])
    if steps:
        unfold = min(len(steps), 3)
        add("unfolded", f"The graph unfolded over {unfold} steps.",
            [Reference("graph", "", unfold)])
    return tuple(sections)


NUMERIC = ("quantity", "grad", "loss")     # kinds graded within a tolerance


def _all_gradients(solution: Solution) -> list:
    from rnncli.solve.sheet_gradients import every_gradient

    return every_gradient(solution.gradients)


GENERATED_FORMULA_NODES = 120     # a longer unrolled formula is left off a sheet that asked for none


def _small_formula(solution: Solution, ref: Reference) -> bool:
    from rnncli.errors import RnncliError

    try:
        return solution.value(ref).nodes <= GENERATED_FORMULA_NODES
    except RnncliError:
        return False


def _generated_value(solution: Solution, ref: Reference):
    import numpy as np

    value = solution.value(ref)
    if ref.kind in NUMERIC:
        return np.array(value, dtype=float)
    return value
