"""Parameter counts -> the terminal, with rich (plain when piped or NO_COLOR is set)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnncli.render.counts import (compare_header, compare_heading, compare_rows, heading_lines,
                                  note_lines, steps_line, table_header, table_rows, total_lines)
from rnncli.render.text import fitted_widths, unbroken


def render_count_text(count, console: Console, steps=()) -> None:
    """Prints the parameter table, the total and the --steps lines."""
    title, *rest = heading_lines(count)
    console.print(Text(title, style="bold"))
    for line in rest:
        console.print(Text(line, style="dim"), soft_wrap=not console.is_terminal)
    console.print()
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    header, rows = table_header(count), [cells for _, cells in table_rows(count)]
    # Roles and formulas wrap between words on a narrow terminal; nothing is cut.
    widths = fitted_widths(header, rows, console.width, padding=2,
                           whole=("parameter", "shape", "count"))
    for index, column in enumerate(header):
        table.add_column(column, justify="right" if column == "count" else "left",
                         width=widths[index], **unbroken(column, [row[index] for row in rows]))
    for kind, cells in table_rows(count):
        if kind == "subtotal":
            table.add_row(*cells, style="italic")
            table.add_section()
        else:
            table.add_row(*cells)
    console.print(table)
    console.print()
    for i, line in enumerate(total_lines(count)):
        console.print(Text(line, style="bold" if i == 0 else ""))
    for line in note_lines(count):
        console.print(line, soft_wrap=not console.is_terminal)
    for n in steps:
        console.print(steps_line(count.total, n), soft_wrap=not console.is_terminal)


def render_compare_text(comparison, console: Console, steps=()) -> None:
    """Prints the compared cells side by side."""
    console.print(Text(compare_heading(comparison), style="bold"),
                  soft_wrap=not console.is_terminal)
    console.print()
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in compare_header(comparison):
        table.add_column(column, justify="right" if column in ("H", "parameters", "ratio")
                         else "left", no_wrap=True)
    for row in compare_rows(comparison):
        table.add_row(*row)
    console.print(table)
    for n in steps:
        console.print(f"Unrolled over {n} steps: the same counts — every step reuses the same "
                      "weights.", soft_wrap=not console.is_terminal)
