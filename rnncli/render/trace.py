"""Worked trace -> Markdown and LaTeX (the text renderer, with rich, is render_text)."""
from __future__ import annotations

from rnncli.language.printing.base import format_number
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.solve.working import scalar_test, work_trace

MAX_SHOWN_ENTRIES = 8
MAX_SUMMARY_STEPS = 20      # a longer summary shows its first and last steps (--all-steps: all)
SUMMARY_HEAD, SUMMARY_TAIL = 10, 5


def chain(printer, worked) -> list[str]:
    """Returns the forms of a worked equation as printed strings, without repeats."""
    forms = [printer.doprint(worked.symbolic)]
    for node in (worked.substituted, worked.reduced):
        if node is not None:
            text = printer.doprint(node)
            if text != forms[-1]:
                forms.append(text)
    return forms


def value_text(value, precision: int, minus: str = "−") -> str:
    """Returns a value compactly: 0.5436, [0.1, 0.2], long vectors cut with … and their size."""
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return format_number(value, precision).replace("-", minus)
    if value.ndim == 1 and value.size > MAX_SHOWN_ENTRIES:
        # Only the entries shown are formatted: a 256-entry vector costs five numbers.
        shown = [format_number(v, precision).replace("-", minus)
                 for v in (*value[:3], *value[-2:])]
        return "[" + ", ".join(shown[:3]) + ", …, " + ", ".join(shown[3:]) + f"] ({value.size})"
    flat = [format_number(v, precision).replace("-", minus) for v in value.ravel()]
    if value.ndim == 1:
        return "[" + ", ".join(flat) + "]"
    rows = ["[" + ", ".join(value_text(row, precision, minus)[1:-1].split(", ")) + "]"
            for row in value]
    return "[" + ", ".join(rows) + "]"


def text_lines(trace, precision: int):
    """Yields (t, inputs text, [equation lines]) for the text and Markdown renderers."""
    scalar = scalar_test(trace.cell.shapes)
    for step in work_trace(trace):
        printer = TextPrinter(step=step.t, precision=precision, scalar=scalar,
                              constants=frozenset(trace.cell.params))
        inputs = ", ".join(f"{name}({step.t}) = {value_text(v, precision)}"
                           for name, v in step.inputs.items())
        lines = []
        for worked in step.equations:
            forms = chain(printer, worked)
            lines.append(f"{worked.name}({step.t}) = " + " = ".join(forms)
                         + " = " + value_text(worked.value, precision))
        yield step.t, inputs, lines


def equation_lines(trace) -> list[str]:
    """Returns the cell's equations in symbols: `f(t) = σ(...)`."""
    printer = TextPrinter(scalar=scalar_test(trace.cell.shapes),
                          constants=frozenset(trace.cell.params))
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


def render_markdown(trace, precision: int, all_steps: bool = False) -> str:
    problem = trace.problem
    out = [f"# {one_line(problem.title or 'Forward pass')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    out += [f"Cell: {describe_cell(problem)}.", "", "## Equations", ""]
    out += [f"- `{line}`" for line in equation_lines(trace)] + [""]
    for t, inputs, lines in text_lines(trace, precision):
        out += [f"## Step t = {t}", ""]
        if inputs:
            out += [f"Inputs: `{inputs}`", ""]
        out += [f"- `{line}`" for line in lines] + [""]
    out += ["## Summary", ""] + summary_markdown(trace, precision, all_steps)
    return "\n".join(out) + "\n"


def summary_rows(trace, precision: int, all_steps: bool = False):
    """Returns (header, rows) of the per-step summary table.

    Beyond MAX_SUMMARY_STEPS steps, unless `all_steps`, the table is cut as
    long vectors are: the first and last steps, and a row saying how many
    are not shown (a 10,000-step table helps nobody, and costs seconds).
    """
    names = list(trace.cell.inputs) + list(trace.cell.quantities)
    steps = trace.steps
    hidden = 0 if all_steps or len(steps) <= MAX_SUMMARY_STEPS else \
        len(steps) - SUMMARY_HEAD - SUMMARY_TAIL
    rows = []
    for index, step in enumerate(steps[:SUMMARY_HEAD] + steps[-SUMMARY_TAIL:] if hidden else steps):
        if hidden and index == SUMMARY_HEAD:
            rows.append(["…", f"({hidden} steps not shown; --all-steps shows them)"]
                        + [""] * (len(names) - 1))
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [value_text(values[n], precision) for n in names])
    return ["t"] + names, rows


def summary_markdown(trace, precision: int, all_steps: bool = False) -> list[str]:
    header, rows = summary_rows(trace, precision, all_steps)
    lines = ["| " + " | ".join(f"`{h}`" if h != "t" else h for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_latex(trace, precision: int) -> str:
    """Returns a LaTeX fragment: one align* environment per step (needs amsmath)."""
    problem = trace.problem
    scalar = scalar_test(trace.cell.shapes)
    # A line break in the title would end the LaTeX comment and leave text in the document.
    out = [one_line(f"% {problem.title or 'Forward pass'}"
                    + (f" ({problem.source})" if problem.source else "")),
           "% needs \\usepackage{amsmath}"]
    for step in work_trace(trace):
        printer = LatexPrinter(step=step.t, precision=precision, scalar=scalar,
                               constants=frozenset(trace.cell.params))
        out.append(f"\\paragraph{{Step $t = {step.t}$}}")
        out.append("\\begin{align*}")
        rows = []
        for worked in step.equations:
            forms = chain(printer, worked)
            value = LatexPrinter(precision=precision).doprint(_as_value(worked.value))
            target = f"{{{latex_name(worked.name)}}}^{{({step.t})}}"
            rows.append(f"{target} &= " + " = ".join(forms) + f" = {value}")
        out.append(" \\\\\n".join(rows))
        out.append("\\end{align*}")
    return "\n".join(out) + "\n"


def _as_value(value):
    from rnncli.language.expression import Value

    return Value(value)
