"""Worked trace -> Markdown and LaTeX (the terminal renderer, with rich, is render/text.py)."""
from __future__ import annotations

from rnncli.language.printing.base import format_number
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.solve.working import scalar_test, work_trace

MAX_SHOWN_ENTRIES = 8


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
    flat = [format_number(v, precision).replace("-", minus) for v in value.ravel()]
    if value.ndim == 1:
        if len(flat) > MAX_SHOWN_ENTRIES:
            return "[" + ", ".join(flat[:3]) + ", …, " + ", ".join(flat[-2:]) + f"] ({len(flat)})"
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
    changed = {c.name for c in problem.changes if c.kind == "set"}
    custom = ", with custom equations" if set(problem.equations) - changed else ""
    return f"{problem.cell}, {problem.convention} convention{custom}"


def one_line(text: str) -> str:
    """Returns text with its line breaks and runs of spaces as single spaces (for headings)."""
    return " ".join(text.split())


def render_markdown(trace, precision: int, baseline=None) -> str:
    from rnncli.render import network

    problem = trace.problem
    out = [f"# {one_line(problem.title or 'Forward pass')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    out += [f"Cell: {describe_cell(problem)}.", ""]
    notes = network.heading_notes(trace)
    out += [f"{note}." for note in notes] + ([""] if notes else [])
    out += ["## Equations", ""]
    out += [f"- `{line}`" for line in equation_lines(trace)] + [""]
    if trace.cell.blocks:
        for title, steps in network.grouped_lines(trace, precision):
            out += [f"## {title}", ""]
            for t, inputs, lines in steps:
                out += [f"### Step t = {t}", ""]
                if inputs:
                    out += [f"Inputs: `{inputs}`", ""]
                out += [f"- `{line}`" for line in lines] + [""]
        out += ["## Summary", ""]
        for title, header, rows in network.summary_groups(trace, precision):
            out += [f"### {title}", ""] + _markdown_table(header, rows) + [""]
        out.pop()
    else:
        for t, inputs, lines in text_lines(trace, precision):
            out += [f"## Step t = {t}", ""]
            if inputs:
                out += [f"Inputs: `{inputs}`", ""]
            out += [f"- `{line}`" for line in lines] + [""]
        out += ["## Summary", ""] + summary_markdown(trace, precision)
    if baseline is not None:
        out += [""] + network.compare_markdown(trace, baseline, precision)
    return "\n".join(out) + "\n"


def _markdown_table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(f"`{h}`" if h != "t" else h for h in header) + " |",
             "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def summary_rows(trace, precision: int):
    """Returns (header, rows) of the per-step summary table."""
    names = list(trace.cell.inputs) + list(trace.cell.quantities)
    rows = []
    for step in trace.steps:
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [value_text(values[n], precision) for n in names])
    return ["t"] + names, rows


def summary_markdown(trace, precision: int) -> list[str]:
    header, rows = summary_rows(trace, precision)
    lines = ["| " + " | ".join(f"`{h}`" if h != "t" else h for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_latex(trace, precision: int, baseline=None) -> str:
    """Returns a LaTeX fragment: one align* environment per step (needs amsmath)."""
    from rnncli.render import network

    problem = trace.problem
    scalar = scalar_test(trace.cell.shapes)
    # A line break in the title would end the LaTeX comment and leave text in the document.
    out = [one_line(f"% {problem.title or 'Forward pass'}"
                    + (f" ({problem.source})" if problem.source else "")),
           "% needs \\usepackage{amsmath}"]
    out += [one_line(f"% {note}") for note in network.heading_notes(trace)]
    worked_steps = work_trace(trace)
    groups = [(block, worked_steps[::-1] if block.direction == "reverse" else worked_steps)
              for block in trace.cell.blocks] or [(None, worked_steps)]
    for block, steps in groups:
        if block is not None:
            out.append(f"\\subsection*{{{block.title[:1].upper() + block.title[1:]}}}")
        out += _latex_steps(trace, steps, precision, scalar,
                            None if block is None else set(block.names))
    if baseline is not None:
        out += network.compare_latex(trace, baseline, precision)
    return "\n".join(out) + "\n"


def _latex_steps(trace, steps, precision, scalar, wanted) -> list[str]:
    out = []
    for step in steps:
        printer = LatexPrinter(step=step.t, precision=precision, scalar=scalar,
                               constants=frozenset(trace.cell.params))
        out.append(f"\\paragraph{{Step $t = {step.t}$}}")
        out.append("\\begin{align*}")
        rows = []
        for worked in step.equations:
            if wanted is not None and worked.name not in wanted:
                continue
            forms = chain(printer, worked)
            value = LatexPrinter(precision=precision).doprint(_as_value(worked.value))
            target = f"{{{latex_name(worked.name)}}}^{{({step.t})}}"
            rows.append(f"{target} &= " + " = ".join(forms) + f" = {value}")
        out.append(" \\\\\n".join(rows))
        out.append("\\end{align*}")
    return out


def _as_value(value):
    from rnncli.language.expression import Value

    return Value(value)
