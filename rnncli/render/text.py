"""Results -> the terminal, with rich. The only module that imports rich.

Colour only on a terminal; plain text when piped or when NO_COLOR is set
(rich honours both). Piped, long working lines are never broken, so a copy
keeps each line whole; on a terminal they wrap between words, and tables too
wide for it are printed as several tables of whole columns, so that no
number is ever cut in two.
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
        console.print(Text(f"Source: {problem.source}", style="dim"),
                      soft_wrap=not console.is_terminal)
    console.print(Text(f"Cell: {describe_cell(problem)}", style="dim"))


def render_trace_text(trace, precision: int, console: Console, baseline=None,
                      all_steps: bool = False) -> None:
    """Prints the worked trace: equations, every step (by layer and direction for a network),
    the summary tables, and the comparison with `baseline` (--compare)."""
    from rnncli.render import network

    # Piped, a working line stays whole (for copying); on a terminal, rich wraps it
    # between words, so that the terminal never cuts a number in two.
    whole = not console.is_terminal
    title_lines(console, trace.problem)
    for note in network.heading_notes(trace):
        console.print(Text(note, style="dim"), soft_wrap=whole)
    console.print()
    console.print(Text("Equations", style="bold underline"))
    for line in equation_lines(trace):
        console.print("  " + line, soft_wrap=whole)
    if trace.cell.blocks:
        groups = network.grouped_lines(trace, precision, all_steps)
    else:
        groups = [(None, list(text_lines(trace, precision, all_steps)))]
    for title, steps in groups:
        if title:
            console.print()
            console.print(Text(title, style="bold underline"), soft_wrap=whole)
        for t, inputs, lines in steps:
            console.print()
            if t is None:         # the steps a long trace leaves out: `inputs` says which
                console.print(Text(inputs, style="dim italic"), soft_wrap=whole)
                continue
            console.print(Text(f"Step t = {t}", style="bold cyan"))
            if inputs:
                console.print(Text("  " + inputs, style="green"), soft_wrap=whole)
            for line in lines:
                name, _, rest = line.partition(" = ")
                text = Text("  ")
                text.append(name, style="bold")
                text.append(" = " + rest)
                console.print(text, soft_wrap=whole)
    console.print()
    if trace.cell.blocks:
        tables = [(f"Summary: {title}", header, rows)
                  for title, header, rows in network.summary_groups(trace, precision, all_steps)]
    else:
        tables = [("Summary", *summary_rows(trace, precision, all_steps))]
    if baseline is not None:
        tables.append((None, None, None))     # the comparison's heading goes here
        label = network.baseline_label(trace)
        tables += [(f"Δ{name} = changed − {label}", header, rows)
                   for name, header, rows in network.compare_tables(trace, baseline, precision)]
    for name, header, rows in tables:
        if header is None:
            console.print(Text(network.compare_title(trace), style="bold underline"),
                          soft_wrap=whole)
            continue
        _print_table(console, name, header, rows)


def _print_table(console: Console, title: str, header: list, rows: list) -> None:
    """Prints a table; one too wide for the terminal as several of whole columns."""
    parts = column_groups(header, rows, console.width)
    for index, part in enumerate(parts):
        name = title if len(parts) == 1 else f"{title} ({index + 1} of {len(parts)})"
        table = Table(title=name, title_justify="left", show_lines=False)
        for column in [0] + part:
            table.add_column(header[column], justify="right" if column == 0 else "left",
                             **unbroken(header[column], [row[column] for row in rows]))
        for row in rows:
            table.add_row(*(row[c] for c in [0] + part))
        console.print(table)


def unbroken(heading: str, cells: list[str]) -> dict:
    """Returns rich Column options that wrap a cell only between words, never inside a number.

    The column is never narrower than its longest word (a number such as
    −0.0355 or a vector's entry), so rich wraps at the spaces of a vector.
    """
    longest = max(len(word) for text in [heading, *cells] for word in (text.split() or [""]))
    return {"min_width": longest, "overflow": "fold", "no_wrap": False}


def fitted_widths(header: list[str], rows: list[list[str]], width: int, padding: int,
                  whole=()) -> list:
    """Returns a width per column that fits `width`, or None per column when all fit unwrapped.

    Each column gets at least its longest word; what is left goes to the
    columns that need it, in proportion to what they lack. `padding` is the
    space between two columns; the columns named in `whole` are never wrapped.
    """
    columns = list(zip(header, *rows))
    full = [max(len(cell) for cell in column) for column in columns]
    spare = width - padding * (len(columns) - 1)
    if sum(full) <= spare:
        return [None] * len(columns)
    least = [f if column[0] in whole else
             max(len(word) for cell in column for word in (cell.split() or [""]))
             for f, column in zip(full, columns)]
    left = max(spare - sum(least), 0)
    lacking = [f - m for f, m in zip(full, least)]
    total = sum(lacking) or 1
    widths = [m + (left * lack) // total for m, lack in zip(least, lacking)]
    return widths


def column_groups(header: list[str], rows: list[list[str]], width: int) -> list[list[int]]:
    """Returns the columns after the first in groups that fit `width` side by side.

    A table too wide for the terminal is printed as several tables of whole
    columns, each with the first column (t) again, rather than squeezing
    columns until numbers break.
    """
    def cost(column: int) -> int:         # content, padding on both sides, one border
        return max(len(cell) for cell in [header[column], *(row[column] for row in rows)]) + 3

    groups, current, used = [], [], 1 + cost(0)
    for column in range(1, len(header)):
        if current and used + cost(column) > width:
            groups.append(current)
            current, used = [], 1 + cost(0)
        current.append(column)
        used += cost(column)
    return groups + [current]
