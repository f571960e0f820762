"""Results -> what Jupyter shows (HTML with MathML and SVG, Markdown, LaTeX), over the same printers.

`represent(kind, result)` is what `rnncli.display.Displayable` calls; it
returns None for a format that does not suit a result, and Jupyter then uses
the next one.
"""
from __future__ import annotations

from rnncli.render.sheet_blocks import (Equations, Heading, Paragraph, Table, counts_blocks,
                                        graph_blocks, plot_blocks, trace_blocks, unroll_blocks)
from rnncli.solve.sheet import Part

PRECISION = 4


def _html(blocks: list) -> str:
    from rnncli.render.sheet_html import STYLE, HtmlWriter

    writer = HtmlWriter(PRECISION)
    return (f'<div class="rnncli-sheet"><style>{STYLE}</style>\n'
            + "\n".join(writer.block(b) for b in blocks) + "\n</div>\n")


def _markdown(blocks: list) -> str:
    from rnncli.render.sheet_markdown import MarkdownWriter

    writer = MarkdownWriter(PRECISION, inline_figures=True)
    lines: list = []
    for block in blocks:
        lines += writer.block(block)
    return "\n".join(lines).rstrip("\n") + "\n"


def _latex(blocks: list) -> str | None:
    """Returns the formulas of the blocks as one aligned display, for MathJax."""
    from rnncli.render.sheet_markdown import chain_texts, latex_of

    rows = []
    for block in blocks:
        if isinstance(block, Equations):
            for row in block.rows:
                texts = chain_texts(row, lambda m: latex_of(m, PRECISION))
                rows.append(f"{texts[0]} &= " + " = ".join(texts[1:]))
    return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$" if rows else None


def _trace(trace) -> list:
    from rnncli.render.trace import describe_cell

    cell = trace.cell
    steps = tuple((step.t, cell.quantities) for step in trace.steps)
    blocks = [Heading(3, " ".join((trace.problem.title or "Forward pass").split())),
              Paragraph((f"Cell: {describe_cell(trace.problem)}.",))]
    blocks += trace_blocks(None, Part("trace", trace, (), cell.quantities, steps), "trace")
    from rnncli.render.trace import summary_rows

    header, rows = summary_rows(trace, PRECISION)
    return blocks + [Heading(4, "Summary"), Table(tuple(header), tuple(tuple(r) for r in rows))]


def _blocks(result) -> list | None:
    from rnncli.grading.results import GradeReport
    from rnncli.solve.counting import ParamCount
    from rnncli.solve.graphs import Graph
    from rnncli.solve.references import Reference
    from rnncli.solve.series import Chart
    from rnncli.solve.trace import Trace
    from rnncli.solve.unrolling import Unrolled

    if isinstance(result, Trace):
        return _trace(result)
    if isinstance(result, ParamCount):
        title = result.problem.title or "Parameter count"
        return [Heading(3, title)] + counts_blocks(None, Part("counts", result, (
            Reference("params", "total"),)), "counts")
    if isinstance(result, Unrolled):
        return unroll_blocks(None, Part("unroll", result, ()), "unroll")
    if isinstance(result, Graph):
        return graph_blocks(None, Part("graph", result, ()), "graph")
    if isinstance(result, Chart):
        return plot_blocks(None, Part("plot", result, ()), "plot")
    if isinstance(result, GradeReport):
        return _grade_blocks(result)
    return None


def _grade_blocks(report) -> list:
    from rnncli.render.grade import HEADER, heading, rows, score_line

    blocks: list = []
    for result in report.results:
        blocks.append(Heading(3, heading(result)))
        if result.error:
            blocks.append(Paragraph((result.error,)))
            continue
        blocks.append(Table(HEADER, tuple(tuple(str(c) for c in row)
                                          for row in rows(result, PRECISION))))
        blocks.append(Paragraph((score_line(result),)))
    return blocks


def represent(kind: str, result):
    """Returns `result` as `kind` (html, markdown, latex) for Jupyter, or None."""
    from rnncli.solve.sheet import Sheet

    if isinstance(result, Sheet):
        if kind == "html":
            from rnncli.render.sheet_html import render_html

            return render_html(result, PRECISION, fragment=True)
        if kind == "markdown":
            from rnncli.render.sheet_markdown import render_markdown

            return render_markdown(result, PRECISION, inline_figures=True)
        from rnncli.render.sheet_latex import render_latex_body

        return render_latex_body(result, PRECISION) or None
    blocks = _blocks(result)
    if blocks is None:
        return None
    if kind == "html":
        return _html(blocks)
    if kind == "markdown":
        return _markdown(blocks)
    return _latex(blocks)
