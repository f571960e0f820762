"""Worked trace -> Markdown and LaTeX (the text renderer, with rich, is render/text.py)."""
from __future__ import annotations

from rnncli.language.expression import Value
from rnncli.language.printing.base import format_given, format_number
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.solve.working import constant_quantities, scalar_test, work_trace

MAX_SHOWN_ENTRIES = 8


def chain(printer, worked, value: str | None = None) -> list[str]:
    """Returns the forms of a worked equation and its value as printed strings, without repeats.

    `value` is the value's text (default: as the printer writes it). A constant
    equation (f = 0) gives one form: `f(1) = 0`, not `f(1) = 0 = 0`.
    """
    forms = [printer.doprint(worked.symbolic)]
    for node in (worked.substituted, worked.reduced, worked.called):
        if node is not None:
            text = printer.doprint(node)
            if text != forms[-1]:
                forms.append(text)
    if value is None:
        value = printer.doprint(Value(worked.value, worked.constant))
    if value != forms[-1]:
        forms.append(value)
    return forms


def _number(value, precision: int, given: bool) -> str:
    return format_given(value) if given else format_number(value, precision)


def value_text(value, precision: int, minus: str = "−", given: bool = False) -> str:
    """Returns a value compactly: 0.5436, [0.1, 0.2], long vectors cut with … and their size.

    `given` values (the problem's own numbers) are written as written, not rounded.
    """
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return _number(value, precision, given).replace("-", minus)
    flat = [_number(v, precision, given).replace("-", minus) for v in value.ravel()]
    if value.ndim == 1:
        if len(flat) > MAX_SHOWN_ENTRIES:
            return "[" + ", ".join(flat[:3]) + ", …, " + ", ".join(flat[-2:]) + f"] ({len(flat)})"
        return "[" + ", ".join(flat) + "]"
    rows = ["[" + ", ".join(value_text(row, precision, minus, given)[1:-1].split(", ")) + "]"
            for row in value]
    return "[" + ", ".join(rows) + "]"


def _printer(kind, trace, precision: int, step: int | None = None, **options):
    return kind(step=step, precision=precision, scalar=scalar_test(trace.cell.shapes),
                constants=frozenset(trace.cell.params), **options)


def text_lines(trace, precision: int):
    """Yields (t, inputs text, [equation lines]) for the text renderer."""
    for step in work_trace(trace):
        printer = _printer(TextPrinter, trace, precision, step.t)
        inputs = ", ".join(f"{name}({step.t}) = {value_text(v, precision, given=True)}"
                           for name, v in step.inputs.items())
        lines = [f"{worked.name}({step.t}) = "
                 + " = ".join(chain(printer, worked, value_text(worked.value, precision,
                                                               given=worked.constant)))
                 for worked in step.equations]
        yield step.t, inputs, lines


def equation_lines(trace) -> list[str]:
    """Returns the cell's equations in symbols: `f(t) = σ(...)`."""
    printer = _printer(TextPrinter, trace, 4)
    return [f"{e.name}(t) = {printer.doprint(e.expr)}" for e in trace.cell.equations]


def describe_cell(problem) -> str:
    """Returns `lstm, goodfellow convention` or `custom equations` for headings."""
    if not problem.cell:
        return "custom equations"
    custom = ", with custom equations" if problem.equations else ""
    return f"{problem.cell}, {problem.convention} convention{custom}"


def one_line(text: str) -> str:
    """Returns text with its line breaks and runs of spaces as single spaces (for headings)."""
    return " ".join(text.split())


def latex_target(name: str, step) -> str:
    """Returns a quantity at a step in LaTeX: h^{(1)}, {W_{f}}^{(t)}."""
    base = latex_name(name)
    return f"{{{base}}}^{{({step})}}" if "_" in base else f"{base}^{{({step})}}"


def render_markdown(trace, precision: int) -> str:
    """Returns the worked trace in Markdown, every formula as `$...$` math."""
    problem = trace.problem
    out = [f"# {one_line(problem.title or 'Forward pass')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    out += [f"Cell: {describe_cell(problem)}.", "", "## Equations", ""]
    printer = _printer(LatexPrinter, trace, precision)
    out += [f"- ${latex_target(e.name, 't')} = {printer.doprint(e.expr)}$"
            for e in trace.cell.equations] + [""]
    for step in work_trace(trace):
        printer = _printer(LatexPrinter, trace, precision, step.t)
        out += [f"## Step t = {step.t}", ""]
        if step.inputs:
            inputs = ", ".join(f"{latex_target(n, step.t)} = {printer.doprint(Value(v, True))}"
                               for n, v in step.inputs.items())
            out += [f"Inputs: ${inputs}$", ""]
        out += [f"- ${latex_target(w.name, step.t)} = " + " = ".join(chain(printer, w)) + "$"
                for w in step.equations] + [""]
    out += ["## Summary", ""] + summary_markdown(trace, precision)
    return "\n".join(out) + "\n"


def summary_names(trace) -> list[str]:
    """Returns the summary table's columns after t: the inputs, then every quantity."""
    return list(trace.cell.inputs) + list(trace.cell.quantities)


def summary_rows(trace, precision: int):
    """Returns (header, rows) of the per-step summary table, as text."""
    names = summary_names(trace)
    given = set(trace.cell.inputs) | constant_quantities(trace.cell)
    rows = []
    for step in trace.steps:
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [value_text(values[n], precision, given=n in given)
                                     for n in names])
    return ["t"] + names, rows


def summary_markdown(trace, precision: int) -> list[str]:
    header, rows = summary_rows(trace, precision)
    lines = ["| " + " | ".join(f"${latex_name(h)}$" if h != "t" else "$t$" for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_latex(trace, precision: int) -> str:
    """Returns a LaTeX document: the equations, one align* per step, the summary table."""
    from rnncli.render.latex import align_rows, document, latex_text, table

    problem = trace.problem
    body = [r"\noindent Cell: " + latex_text(describe_cell(problem)) + ".", "",
            r"\subsection*{Equations}"]
    printer = _printer(LatexPrinter, trace, precision, breakable=True)
    body += align_rows([(latex_target(e.name, "t"), [printer.doprint(e.expr)])
                        for e in trace.cell.equations])
    for step in work_trace(trace):
        printer = _printer(LatexPrinter, trace, precision, step.t, breakable=True)
        body.append(f"\\subsection*{{Step $t = {step.t}$}}")
        rows = [(latex_target(n, step.t), [printer.doprint(Value(v, True))])
                for n, v in step.inputs.items()]
        rows += [(latex_target(w.name, step.t), chain(printer, w)) for w in step.equations]
        body += align_rows(rows)
    body.append(r"\subsection*{Summary}")
    header, cells = summary_latex(trace, precision)
    body += table(header, cells)
    return document(one_line(problem.title or "Forward pass"), body,
                    one_line(problem.source) if problem.source else None)


def summary_latex(trace, precision: int):
    """Returns (header, rows) of the summary table in LaTeX: vectors as column vectors."""
    names = summary_names(trace)
    header = ["$t$"] + [f"${latex_name(n)}$" for n in names]
    printer = LatexPrinter(precision=precision)
    given = set(trace.cell.inputs) | constant_quantities(trace.cell)
    rows = []
    for step in trace.steps:
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [_latex_cell(printer, values[n], n in given) for n in names])
    return header, rows


def _latex_cell(printer, value, given: bool) -> str:
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 1 and value.size > MAX_SHOWN_ENTRIES:
        return "$" + value_text(value, printer.precision, minus="-", given=given).replace(
            "…", r"\ldots") + "$"
    return "$" + printer.doprint(Value(value, given)) + "$"
