"""Parameter counts -> a LaTeX document (the table, the total, the notes), for solution sheets."""
from __future__ import annotations

from rnncli.language.printing.latex import latex_name
from rnncli.render.counts import (compare_header, compare_heading, compare_rows, heading_lines,
                                  note_lines, steps_line, table_header, total_lines)
from rnncli.render.latex import document, latex_text, math_text, table, wrapped


def _rows(count) -> list[list[str]]:
    """Returns the table rows in LaTeX: names and formulas as math, roles as text."""
    from rnncli.render.counts import table_rows

    out = []
    for kind, cells in table_rows(count):
        if kind == "subtotal":
            out.append([""] + [r"\textit{" + latex_text(c) + "}" if c else "" for c in cells[1:]])
            continue
        name, role, shape, formula, number, *trained = cells
        out.append([f"${latex_name(name)}$", latex_text(role), latex_text(shape),
                    f"${math_text(formula)}$", number] + [latex_text(t) for t in trained])
    return out


def render_latex(count, steps=()) -> str:
    """Returns the parameter table of one network as a LaTeX document."""
    title, *rest = heading_lines(count)
    body = [latex_text(line) + r"\\" for line in rest] + [r"\medskip", ""]
    header = [latex_text(h) for h in table_header(count)]
    rows = _rows(count)
    align = ["l", wrapped("5.5cm"), "l", "l", "r"] + (["l"] if len(header) > 5 else [])
    body += table(header, rows, align, widths=[12, 40, 10, 24, 7, 12][:len(header)])
    body += [latex_text(line) + r"\\" for line in total_lines(count)]
    body += [latex_text(line) + r"\\" for line in note_lines(count)]
    body += [latex_text(steps_line(count.total, n)) + r"\\" for n in steps]
    return document(title, body)


def render_compare_latex(comparison, steps=()) -> str:
    """Returns the compared cells as a LaTeX document."""
    header = [latex_text(h) for h in compare_header(comparison)]
    rows = [[latex_text(c) for c in row] for row in compare_rows(comparison)]
    body = table(header, rows, ["l", "l", "r", "r", "r"])
    body += [latex_text(f"Unrolled over {n} steps: the same counts; every step reuses the "
                        "same weights.") + r"\\" for n in steps]
    return document(compare_heading(comparison), body)
