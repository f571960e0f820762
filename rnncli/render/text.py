"""Results -> the terminal, with rich. The only module that imports rich.

Colour only on a terminal; plain text when piped or when NO_COLOR is set
(rich honours both). Long working lines are never broken by rich: the
terminal wraps them, and a copy keeps each line whole.
"""
from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnncli.render.trace import describe_cell, equation_lines, summary_rows, text_lines

PLAIN_WIDTH = 120


def make_console(file=None, width: int | None = None) -> Console:
    """Returns a console for stdout: the terminal's width, or a fixed width when piped."""
    file = file or sys.stdout
    is_terminal = hasattr(file, "isatty") and file.isatty()
    if width is None and not is_terminal:
        width = PLAIN_WIDTH
    return Console(file=file, width=width, no_color=bool(os.environ.get("NO_COLOR")) or None,
                   highlight=False, emoji=False, markup=False)


def title_lines(console: Console, problem) -> None:
    console.print(Text(problem.title or "Forward pass", style="bold"))
    if problem.source:
        console.print(Text(f"Source: {problem.source}", style="dim"), soft_wrap=True)
    console.print(Text(f"Cell: {describe_cell(problem)}", style="dim"))


def render_trace_text(trace, precision: int, console: Console, all_steps: bool = False) -> None:
    title_lines(console, trace.problem)
    console.print()
    console.print(Text("Equations", style="bold underline"))
    for line in equation_lines(trace):
        console.print("  " + line, soft_wrap=True)
    for t, inputs, lines in text_lines(trace, precision):
        console.print()
        console.print(Text(f"Step t = {t}", style="bold cyan"))
        if inputs:
            console.print(Text("  " + inputs, style="green"), soft_wrap=True)
        for line in lines:
            name, _, rest = line.partition(" = ")
            text = Text("  ")
            text.append(name, style="bold")
            text.append(" = " + rest)
            console.print(text, soft_wrap=True)
    console.print()
    header, rows = summary_rows(trace, precision, all_steps)
    table = Table(title="Summary", title_justify="left", show_lines=False)
    for column in header:
        table.add_column(column, justify="right" if column == "t" else "left", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
