"""Worked trace -> Markdown and LaTeX (the text renderer, with rich, is render/text.py)."""
from __future__ import annotations

from rnncli.language.expression import Value
from rnncli.language.printing.latex import LatexPrinter, latex_name
from rnncli.language.printing.text import TextPrinter
from rnncli.render import network
from rnncli.render.worked import (MAX_SHOWN_ENTRIES, Skipped, chain,  # noqa: F401  (re-exported)
                                  gap_row, summary_steps, value_text, worked_steps)
from rnncli.solve.working import constant_quantities, scalar_test

def _printer(kind, trace, precision: int, step: int | None = None, **options):
    return kind(step=step, precision=precision, scalar=scalar_test(trace.cell.shapes),
                constants=frozenset(trace.cell.params), **options)


def text_lines(trace, precision: int, all_steps: bool = False):
    """Yields (t, inputs text, [equation lines]) for the text renderer; (None, what is left
    out, []) where a long trace's working skips steps."""
    for step in worked_steps(trace, all_steps):
        if isinstance(step, Skipped):
            yield None, step.text(), []
            continue
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
    changed = {c.name for c in problem.changes if c.kind == "set"}
    custom = ", with custom equations" if set(problem.equations) - changed else ""
    return f"{problem.cell}, {problem.convention} convention{custom}"


def one_line(text: str) -> str:
    """Returns text with its line breaks and runs of spaces as single spaces (for headings)."""
    return " ".join(text.split())


def latex_target(name: str, step) -> str:
    """Returns a quantity at a step in LaTeX: h^{(1)}, {W_{f}}^{(t)}."""
    base = latex_name(name)
    return f"{{{base}}}^{{({step})}}" if "_" in base else f"{base}^{{({step})}}"


def _groups(trace, all_steps: bool = False):
    """Returns [(title or None, shows inputs, wanted names or None, [worked step or Skipped])]."""
    if trace.cell.blocks:
        return network.worked_groups(trace, all_steps)
    return [(None, True, None, worked_steps(trace, all_steps))]


def render_markdown(trace, precision: int, baseline=None, all_steps: bool = False) -> str:
    """Returns the worked trace in Markdown, every formula as `$...$` math.

    A stacked or bidirectional network is worked layer by layer and direction by
    direction, each in its own time order; `baseline` adds the comparison with
    the unchanged run (--compare).
    """
    problem = trace.problem
    out = [f"# {one_line(problem.title or 'Forward pass')}", ""]
    if problem.source:
        out += [f"Source: {one_line(problem.source)}", ""]
    out += [f"Cell: {describe_cell(problem)}.", ""]
    notes = network.heading_notes(trace)
    out += [f"{note}." for note in notes] + ([""] if notes else [])
    out += ["## Equations", ""]
    printer = _printer(LatexPrinter, trace, precision)
    out += [f"- ${latex_target(e.name, 't')} = {printer.doprint(e.expr)}$"
            for e in trace.cell.equations] + [""]
    for title, shows_inputs, wanted, steps in _groups(trace, all_steps):
        level = "##"
        if title:
            out += [f"## {title}", ""]
            level = "###"
        for step in steps:
            if isinstance(step, Skipped):
                out += [f"*{step.text()}.*", ""]
                continue
            printer = _printer(LatexPrinter, trace, precision, step.t)
            out += [f"{level} Step t = {step.t}", ""]
            if step.inputs and shows_inputs:
                inputs = ", ".join(f"{latex_target(n, step.t)} = {printer.doprint(Value(v, True))}"
                                   for n, v in step.inputs.items())
                out += [f"Inputs: ${inputs}$", ""]
            out += [f"- ${latex_target(w.name, step.t)} = " + " = ".join(chain(printer, w)) + "$"
                    for w in step.equations if wanted is None or w.name in wanted] + [""]
    out += ["## Summary", ""]
    if trace.cell.blocks:
        for title, header, rows in network.summary_groups(trace, precision, all_steps):
            out += [f"### {title}", ""] + _markdown_table(header, rows) + [""]
        out.pop()
    else:
        out += summary_markdown(trace, precision, all_steps)
    if baseline is not None:
        out += [""] + network.compare_markdown(trace, baseline, precision)
    return "\n".join(out) + "\n"


def _markdown_table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(f"${latex_name(h)}$" if h != "t" else "$t$" for h in header) + " |",
             "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def summary_names(trace) -> list[str]:
    """Returns the summary table's columns after t: the inputs, then every quantity."""
    return list(trace.cell.inputs) + list(trace.cell.quantities)


def summary_rows(trace, precision: int, all_steps: bool = False):
    """Returns (header, rows) of the per-step summary table, as text (long ones cut, see
    summary_steps)."""
    names = summary_names(trace)
    given = set(trace.cell.inputs) | constant_quantities(trace.cell)
    rows = []
    for step in summary_steps(trace.steps, all_steps):
        if isinstance(step, int):
            rows.append(gap_row(step, len(names) + 1))
            continue
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [value_text(values[n], precision, given=n in given)
                                     for n in names])
    return ["t"] + names, rows


def summary_markdown(trace, precision: int, all_steps: bool = False) -> list[str]:
    header, rows = summary_rows(trace, precision, all_steps)
    lines = ["| " + " | ".join(f"${latex_name(h)}$" if h != "t" else "$t$" for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_latex(trace, precision: int, baseline=None, all_steps: bool = False) -> str:
    """Returns a LaTeX document: the equations, one align* per step (grouped by layer and
    direction for a network), the summary table, and the comparison with `baseline`.

    A long trace works its first and last steps only, and tabulates its first
    and last steps, unless `all_steps`.
    """
    from rnncli.render.latex import align_rows, document, latex_text, table

    problem = trace.problem
    body = [r"\noindent Cell: " + latex_text(describe_cell(problem)) + ".", ""]
    body += [latex_text(note) + ".\n" for note in network.heading_notes(trace)]
    body.append(r"\subsection*{Equations}")
    printer = _printer(LatexPrinter, trace, precision, breakable=True)
    body += align_rows([(latex_target(e.name, "t"), [printer.doprint(e.expr)])
                        for e in trace.cell.equations])
    for title, shows_inputs, wanted, steps in _groups(trace, all_steps):
        heading = r"\subsection*"
        if title:
            body.append(r"\subsection*{" + latex_text(title) + "}")
            heading = r"\subsubsection*"
        for step in steps:
            if isinstance(step, Skipped):
                body.append(r"\noindent\emph{" + _left_out(step.text()) + ".}\n")
                continue
            printer = _printer(LatexPrinter, trace, precision, step.t, breakable=True)
            body.append(f"{heading}{{Step $t = {step.t}$}}")
            rows = [(latex_target(n, step.t), [printer.doprint(Value(v, True))])
                    for n, v in step.inputs.items()] if shows_inputs else []
            rows += [(latex_target(w.name, step.t), chain(printer, w)) for w in step.equations
                     if wanted is None or w.name in wanted]
            body += align_rows(rows)
    body.append(r"\subsection*{Summary}")
    if trace.cell.blocks:
        for title, header, rows in network.summary_groups(trace, precision, all_steps):
            body.append(r"\subsubsection*{" + latex_text(title) + "}")
            body += table([f"${latex_name(h)}$" if h != "t" else "$t$" for h in header],
                          [[latex_text(c) for c in row] for row in rows])
    else:
        header, cells = summary_latex(trace, precision, all_steps)
        body += table(header, cells)
    if baseline is not None:
        body += network.compare_latex(trace, baseline, precision)
    return document(one_line(problem.title or "Forward pass"), body,
                    one_line(problem.source) if problem.source else None)


def summary_latex(trace, precision: int, all_steps: bool = False):
    """Returns (header, rows) of the summary table in LaTeX: vectors as column vectors (long
    tables cut, see summary_steps)."""
    names = summary_names(trace)
    header = ["$t$"] + [f"${latex_name(n)}$" for n in names]
    printer = LatexPrinter(precision=precision)
    given = set(trace.cell.inputs) | constant_quantities(trace.cell)
    rows = []
    for step in summary_steps(trace.steps, all_steps):
        if isinstance(step, int):
            rows.append([r"\ldots"] + [_left_out(c) for c in gap_row(step, len(names) + 1)[1:]])
            continue
        values = {**step.inputs, **step.values}
        rows.append([str(step.t)] + [_latex_cell(printer, values[n], n in given) for n in names])
    return header, rows


def _left_out(text: str) -> str:
    """Returns the note of steps left out in LaTeX, the option in typewriter (no en dash)."""
    from rnncli.render.latex import latex_text

    return latex_text(text).replace("--all-steps", r"\texttt{-{}-all-steps}")


def _latex_cell(printer, value, given: bool) -> str:
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 1 and value.size > MAX_SHOWN_ENTRIES:
        return "$" + value_text(value, printer.precision, minus="-", given=given).replace(
            "…", r"\ldots") + "$"
    return "$" + printer.doprint(Value(value, given)) + "$"
