"""Sheet -> blocks: headings, paragraphs, chains of equations, tables, figures, boxed answers.

The sheet's content is decided once, here; sheet_markdown, sheet_html and
sheet_latex only say how each block is written. Formulas stay expression
trees (`Math`) until a writer prints them with its own printer (LaTeX,
MathML), so no formula is ever pasted together from strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rnncli.language.expression import BinOp, Grad, Name, Node, Number, Step, Value
from rnncli.solve.sheet import Answer, Part, Sheet, SheetProblem


@dataclass(frozen=True)
class Math:
    node: Node
    step: int | None = None
    scalar: object = None          # is_scalar(node) for `·` against `⊙`
    constants: frozenset = frozenset()


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    runs: tuple                    # str (plain text) and Math, in reading order


@dataclass(frozen=True)
class Equations:
    rows: tuple                    # each a tuple of Math: target = form = form = value
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple                  # str
    rows: tuple                    # tuples of str or Math
    align: tuple = ()              # "l" or "r" per column


@dataclass(frozen=True)
class Figure:
    drawing: object                # render.drawing.Drawing
    caption: str
    name: str                      # file stem for writers that put figures beside the document
    mermaid: str | None = None     # the same graph as Mermaid text (Markdown)


@dataclass(frozen=True)
class Boxed:
    ref: str
    value: object                  # Math or str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Blocks:
    title: str
    body: tuple = field(default_factory=tuple)


def _scalar(cell):
    from rnncli.solve.working import scalar_test

    return scalar_test(cell.shapes) if cell.shapes else None


def _math_value(value) -> Math:
    import numpy as np

    return Math(Value(np.asarray(value, dtype=float)))


def sheet_blocks(sheet: Sheet, precision: int = 4, key: bool = True) -> Blocks:
    """Returns the whole sheet as blocks: each problem, its questions, then the answer key."""
    body: list = []
    numbered = len(sheet.problems) > 1
    for sp in sheet.problems:
        blocks = problem_blocks(sp, numbered)
        if not numbered:      # one problem: its sections sit right under the sheet's title
            blocks = [Heading(b.level - 1, b.text) if isinstance(b, Heading) else b for b in blocks]
        body += blocks
    if key:
        body += [Heading(2, "Answer key"), key_table(sheet, precision)]
    return Blocks(sheet.title, tuple(body))


def problem_blocks(sp: SheetProblem, numbered: bool) -> list:
    problem = sp.problem
    title = " ".join((problem.title or f"Problem {sp.number}").split())
    # One problem: the sheet's own title is the problem's, so no second heading.
    out: list = [Heading(2, f"Problem {sp.number}: {title}")] if numbered else []
    if problem.source:
        out.append(Paragraph(("Source: " + " ".join(problem.source.split()),)))
    out += network_blocks(sp)
    if sp.generated:
        out.append(Paragraph(("The problem asks no questions; these are the things rnncli "
                              "computes for it.",)))
    for question in sp.questions:
        if sp.generated:       # a section of its own, headed by what it shows
            out.append(Heading(3, question.text.rstrip(".")))
        else:
            points = f" ({_points(question.points)} point{'' if question.points == 1 else 's'})"
            out.append(Heading(3, f"Question {question.id}{points}{_changed_heading(question)}"))
            if question.changes:
                out.append(_changes_paragraph(question.changes))
            if question.text:
                out.append(Paragraph((" ".join(question.text.split()),)))
        for index, part in enumerate(question.parts):
            writer = PART_WRITERS.get(part.kind)
            if writer is not None:
                out += writer(sp, part, f"p{sp.number}-{question.id}-{index + 1}")
        if question.answers:
            out.append(Heading(4, "Answer"))
            out += [Boxed(str(a.ref), answer_value(sp, a)) for a in question.answers]
    return out


def _changed_heading(question) -> str:
    """Returns ", with f = 0" for a question with `set:`, else ""."""
    from rnncli.grading.questions import describe_changes

    return f", with {describe_changes(question.changes)}" if question.changes else ""


def _changes_paragraph(changes: tuple) -> Paragraph:
    """Returns the sentence that says which equations this question replaces, as formulas."""
    from rnncli.language.equations import parse_expression

    runs: list = ["This question changes the network: "]
    for index, (name, text) in enumerate(changes):
        runs += ([", "] if index else []) + [Math(Name(name)), " = ",
                                               Math(parse_expression(text, equation=name))]
    return Paragraph(tuple(runs) + (" (instead of, or in addition to, the equations above). "
                                    "Every value below is computed on the changed network.",))


def _points(points: float) -> str:
    return f"{points:g}"


def network_blocks(sp: SheetProblem) -> list:
    from rnncli.render.trace import describe_cell

    cell, problem = sp.cell, sp.problem
    out: list = [Heading(3, "The network"), Paragraph((f"Cell: {describe_cell(problem)}.",))]
    if cell is None:          # a stacked network (counts only)
        return out + [Paragraph((f"Network: {sp.solution.counts.description}.",))]
    scalar, constants = _scalar(cell), frozenset(cell.params)
    out.append(Equations(tuple((Math(Name(e.name), None, scalar, constants),
                                Math(e.expr, None, scalar, constants)) for e in cell.equations)))
    if cell.shapes:
        sizes = [f"{n}: {_shape(cell.shapes[n])}" for n in list(cell.inputs) + list(cell.quantities)
                 if n in cell.shapes]
        out.append(Paragraph(("Sizes: " + ", ".join(sizes) + ".",)))
    import numpy as np

    if problem.params and all(np.ndim(v) == 0 for v in problem.params.values()):
        out.append(Paragraph(("Parameters: ",) + _joined(
            [(Math(Name(n), constants=frozenset([n])), _math_value(v))
             for n, v in problem.params.items()])))
    elif problem.params:
        out.append(Table(("parameter", "value"), tuple(
            (Math(Name(n), constants=frozenset([n])), _math_value(v))
            for n, v in problem.params.items()), ("l", "l")))
    states = {n: v for n, v in _initial(sp).items()}
    if states:
        first = problem.time_start - 1
        out.append(Paragraph(("Initial values: ",) + _joined(
            [(Math(Step(n, first)), _math_value(v)) for n, v in states.items()])))
    if problem.inputs:
        names = list(problem.inputs)
        steps = range(problem.time_start, problem.time_start + problem.n_steps)
        out.append(Table(("t",) + tuple(names), tuple(
            (str(t),) + tuple(_math_value(problem.inputs[n][t - problem.time_start]) for n in names)
            for t in steps), ("r",) + ("l",) * len(names)))
    return out


def _initial(sp: SheetProblem) -> dict:
    from rnncli.files.problem import problem_level

    if problem_level(sp.problem) != "trace":
        return {}
    return dict(sp.solution.trace.initial)


def _joined(pairs) -> tuple:
    runs: list = []
    for i, (name, value) in enumerate(pairs):
        runs += ([", "] if i else []) + [name, " = ", value]
    return tuple(runs) + (".",)


def _shape(shape: tuple) -> str:
    return "1" if not shape else " × ".join(map(str, shape))


def trace_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    from rnncli.solve.working import work_trace

    trace = part.result
    scalar, constants = _scalar(trace.cell), frozenset(trace.cell.params)
    worked = {w.t: w for w in _worked(trace, work_trace)}
    out: list = []
    for t, names in part.steps:
        shown = set(names)
        step = worked[t]
        out.append(Heading(4, f"Step t = {t}"))
        if step.inputs:
            out.append(Paragraph(("Inputs: ",) + _joined(
                [(Math(Name(n), t), _math_value(v)) for n, v in step.inputs.items()])))
        rows = []
        for eq in step.equations:
            if eq.name not in shown:
                continue
            forms = [eq.symbolic] + [n for n in (eq.substituted, eq.reduced) if n is not None]
            rows.append((Math(Name(eq.name), t, scalar, constants),)
                        + tuple(Math(f, t, scalar, constants) for f in forms)
                        + (_math_value(eq.value),))
        out.append(Equations(tuple(rows)))
    return out


_WORKED_CACHE: dict = {}


def _worked(trace, work_trace):
    # One working per trace, shared by the questions of a sheet that ask about it.
    key = id(trace)
    if key not in _WORKED_CACHE or _WORKED_CACHE[key][0] is not trace:
        _WORKED_CACHE.clear()
        _WORKED_CACHE[key] = (trace, work_trace(trace))
    return _WORKED_CACHE[key][1]


def counts_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    from rnncli.render.counts import note_lines, table_header, table_rows, total_lines

    count = part.result
    asked = {r.name for r in part.refs}
    rows = [tuple(cells) for kind, cells in table_rows(count)
            if "total" in asked or (kind == "row" and cells[0] in asked)]
    header = tuple(table_header(count))
    align = tuple("r" if h == "count" else "l" for h in header)
    out: list = [Heading(4, "Parameter count"), Paragraph((f"Network: {count.description}.",)),
                 Table(header, tuple(rows), align)]
    if "total" in asked:
        out += [Paragraph((line,)) for line in total_lines(count) + note_lines(count)]
    return out


def unroll_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    unrolled = part.result
    scalar, constants = _scalar(unrolled.cell), frozenset(unrolled.cell.params)
    rows = [(Math(Step(d.name, d.step), None, scalar, constants),
             Math(d.formula, None, scalar, constants)) for d in unrolled.lets]
    main = (Math(Step(unrolled.name, unrolled.step), None, scalar, constants),
            Math(unrolled.formula, None, scalar, constants))
    out: list = [Heading(4, f"Unrolled formula of {unrolled.name}({unrolled.step})"),
                 Paragraph(("Substituting every earlier step into the equation, down to the "
                            "inputs and the initial values:",)), Equations((main,))]
    if rows:
        out += [Paragraph(("where",)), Equations(tuple(rows))]
    return out


def graph_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    from rnncli.render.graph import render_mermaid
    from rnncli.render.graph_drawing import draw_graph

    graph = part.result
    if graph.unfolded:
        caption = (f"The graph unfolded over steps {graph.steps[0]} to {graph.steps[-1]}: a node "
                   "per quantity per step; dashed circles are initial values, grey ones inputs.")
    else:
        caption = ("The folded graph: a black square on an edge is a delay (the edge carries the "
                   "value of the previous step); grey circles are inputs.")
    kind = "Unfolded" if graph.unfolded else "Folded"
    return [Heading(4, f"{kind} computational graph"),
            Figure(draw_graph(graph), caption, name, render_mermaid(graph))]


def plot_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    from rnncli.render.chart_drawing import draw_chart

    chart = part.result
    labels = ", ".join(s.label for s in chart.series)
    return [Heading(4, "Plot"),
            Figure(draw_chart(chart), f"{labels} against the step t.", name)]


def gradient_blocks(sp: SheetProblem, part: Part, name: str) -> list:
    """Returns the loss with its terms, then the chain rule back in time for what was asked."""
    from rnncli.render.gradients import heading

    working = part.result
    result = working.result
    scalar, constants = _scalar(result.cell), frozenset(result.cell.params)

    def math(node, step=None, names=constants):
        return Math(node, step, scalar, names)

    def chain(target, step, worked):
        forms = [n for n in (worked.symbolic, worked.substituted, worked.terms) if n is not None]
        return (target,) + tuple(math(f, step) for f in forms) + (_math_value(worked.value),)

    out: list = [Heading(4, "Loss"), Paragraph((heading(result) + ".",)),
                 Equations(((math(Name("L")), math(result.plan.loss.expr)),) + tuple(
                     (math(Name("L"), t), math(result.plan.loss.expr, t))
                     + ((math(numbers, t),) if numbers is not None else ()) + (_math_value(v),)
                     for t, numbers, v in working.losses) + (_total_loss(working, math),))]
    first = result.problem.time_start
    if working.steps:
        out.append(Paragraph(("Back from the last step, each gradient the answers need: the "
                              "chain rule in symbols, with the numbers substituted, the value "
                              "of each term, and the value.",)))
    for step in working.steps:
        out.append(Heading(4, f"Step t = {step.t} (backward)" if step.t >= first else
                           f"Initial states (t = {step.t})"))
        out.append(Equations(tuple(chain(math(Grad(w.name), step.t), step.t, w)
                                   for w in step.gradients)))
    if working.params:
        out.append(Heading(4, "Parameters (sum over the steps)"))
    for worked in working.params:
        target = math(Grad(worked.name))
        if worked.symbolic is not None:
            out.append(Paragraph((target, " is the sum over the steps t of ",
                                  math(worked.symbolic), ":")))
        out.append(Equations((chain(target, 0, _without_symbols(worked)),)))
    return out


def _without_symbols(worked):
    # A parameter's symbolic term is the one of step t, said in words above; the chain
    # carries the sum over the steps with numbers.
    import dataclasses

    return dataclasses.replace(worked, symbolic=None)


def _total_loss(working, math) -> tuple:
    """Returns L = L(t1) + L(t2) + ... = the values = L (divided by their count for a mean)."""
    from rnncli.language.derivatives import add

    result = working.result
    terms = steps = None
    if len(working.losses) <= MAX_LOSS_TERMS:
        for t, _, value in working.losses:
            steps = add(steps, Step("L", t)) if steps is not None else Step("L", t)
            terms = add(terms, Value(value)) if terms is not None else Value(value)
        if result.mean:
            count = Number(float(len(working.losses)))
            steps, terms = BinOp("/", steps, count), BinOp("/", terms, count)
    forms = () if steps is None else (math(steps), math(terms))
    return (math(Name("L"), None, frozenset(["L"])),) + forms + (_math_value(result.loss),)


MAX_LOSS_TERMS = 6     # the total loss is written as a sum of its steps up to this many


PART_WRITERS = {
    "gradients": gradient_blocks,
    "trace": trace_blocks,
    "counts": counts_blocks,
    "unroll": unroll_blocks,
    "graph": graph_blocks,
    "plot": plot_blocks,
}


def answer_value(sp: SheetProblem, answer: Answer):
    """Returns what the box shows: a Math, or text for drawings."""
    kind = answer.ref.kind
    if kind == "params":
        return str(answer.value)
    if kind == "unroll":
        cell = answer.value.cell
        return Math(answer.value.formula, None, _scalar(cell), frozenset(cell.params))
    if kind == "graph":
        return "the graph drawn above"
    if kind == "plot":
        return "the plot drawn above"
    if kind in ("quantity", "grad", "loss"):
        return _math_value(answer.value)
    return str(answer.value)


def key_rows(sheet: Sheet, precision: int = 4) -> list:
    """Returns (problem, question, reference, value as Math or str, tolerance, points) per answer."""
    from rnncli.grading.tolerances import describe

    rows = []
    for number, answer in sheet.answers:
        sp = sheet.problems[number - 1]
        kind = answer.ref.kind
        if kind == "unroll":
            tolerance = "equal at random points"
        elif kind in ("graph", "plot"):
            tolerance = "graded by hand"
        else:
            tolerance = describe(answer.tolerance)
        value = "a drawing" if kind in ("graph", "plot") else answer_value(sp, answer)
        rows.append((str(number), answer.question, answer.label, value,
                     tolerance, _points(answer.points)))
    return rows


def key_table(sheet: Sheet, precision: int = 4) -> Table:
    header = ("problem", "question", "reference", "value", "tolerance", "points")
    return Table(header, tuple(key_rows(sheet, precision)), ("r", "l", "l", "l", "l", "r"))


def key_source_value(answer: Answer) -> str:
    """Returns an answer's value for machines (CSV): exact numbers, formulas in the equation language."""
    from rnncli.language.printing.source import SourcePrinter

    kind = answer.ref.kind
    if kind == "params":
        return str(answer.value)
    if kind == "unroll":
        from rnncli.render.unroll import FormulaSourcePrinter

        return FormulaSourcePrinter().doprint(answer.value.formula)
    if kind in ("graph", "plot"):
        return ""
    if kind in ("quantity", "grad", "loss"):
        return SourcePrinter().doprint(Value(answer.value))
    return str(answer.value)
