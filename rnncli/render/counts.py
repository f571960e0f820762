"""Parameter counts -> JSON documents (docs/file-formats.md) and Markdown; the lines both text forms share.

The terminal renderer (with rich) is render_counts_text; it takes its table
from `table_rows` here, so text and Markdown always show the same things.
"""
from __future__ import annotations

from rnncli.render.headings import INPUTS_BY_NAME_KEY, inputs_by_name_line
from rnncli.render.latex import math_text
from rnncli.solve.counting import ParamCount

COUNT_SCHEMA = "rnncli/params@1"
COMPARE_SCHEMA = "rnncli/params-compare@1"


def shape_text(shape: tuple) -> str:
    """Returns a shape as people write it: (128, 20), (128,), or scalar."""
    if not shape:
        return "scalar"
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def sizes_text(sizes) -> str:
    """Returns `I = 20 (x), H = 128 (h)`: the sizes the formulas use, and whose sizes they are."""
    return ", ".join(f"{label} = {value}" + (f" ({name})" if name and name != label else "")
                     for label, value, name in sizes)


def heading_lines(count: ParamCount) -> list[str]:
    """Returns the title, the source and what network was counted."""
    problem = count.problem
    lines = [problem.title or "Parameter count"]
    if problem.source:
        lines.append(f"Source: {problem.source}")
    lines.append(f"Network: {count.description}")
    if count.sizes:
        lines.append("Sizes: " + sizes_text(count.sizes))
    by_name = inputs_by_name_line(count.inputs_by_name)
    if by_name:
        lines.append(by_name)
    return lines


def has_fixed(count: ParamCount) -> bool:
    return count.fixed > 0


def table_header(count: ParamCount) -> list[str]:
    header = ["parameter", "role", "shape", "formula", "count"]
    return header + ["trained"] if has_fixed(count) else header


def table_rows(count: ParamCount):
    """Yields ("row", cells) for every parameter and ("subtotal", cells) after each group."""
    fixed = has_fixed(count)
    subtotals = {s.name: s for s in count.subtotals}
    for i, row in enumerate(count.rows):
        role = row.role + (" (symmetric, no self-connections)" if row.symmetric else "")
        cells = [row.name, role, shape_text(row.shape), row.formula, str(row.count)]
        yield "row", cells + (["yes" if row.trainable else "no (fixed)"] if fixed else [])
        last = i + 1 == len(count.rows) or count.rows[i + 1].group != row.group
        if last and row.group in subtotals:
            part = subtotals[row.group]
            cells = ["", f"subtotal: {part.name}", "", "", str(part.count)]
            yield "subtotal", cells + ([f"{part.trainable} trained"] if fixed else [])


def total_lines(count: ParamCount) -> list[str]:
    """Returns the total line (and what is trained and what is fixed, when something is)."""
    if not has_fixed(count):
        return [f"Total: {count.total} parameters"]
    return [f"Total: {count.total} trainable parameters",
            f"Fixed (not trained): {count.fixed}; all parameters: {count.all}"]


def note_lines(count: ParamCount) -> list[str]:
    """Returns the conventions a reader needs to trust the numbers (symmetric matrices)."""
    return [f"{row.name} is symmetric with no self-connections: only its {row.count} entries "
            f"above the diagonal are free ({row.symbolic}; the diagonal is 0)"
            for row in count.rows if row.symmetric]


def steps_line(total: int, steps: int) -> str:
    """Returns the one-line answer to "how many parameters for N unrolled steps?"."""
    return (f"Unrolled over {steps} steps: still {total} parameters — every step reuses the "
            "same weights, so unrolling adds none.")


def count_document(count: ParamCount, steps=()) -> dict:
    """Returns the `rnncli/params@1` document; `total` counts trainable parameters."""
    problem = count.problem
    params = []
    for row in count.rows:
        entry = {"name": row.name, "shape": list(row.shape), "count": row.count,
                 "role": row.role, "formula": row.formula, "group": row.group,
                 "layer": row.layer, "direction": row.direction, "trainable": row.trainable}
        if row.symmetric:
            entry["symmetric"] = True
            entry["entries"] = row.shape[0] * row.shape[1]
        params.append(entry)
    document = {"schema": COUNT_SCHEMA, "title": problem.title, "source": problem.source,
                "network": count.description,
                "sizes": {label: value for label, value, _ in count.sizes},
                "total": count.total, "fixed": count.fixed, "all": count.all,
                "params": params,
                "subtotals": [{"name": s.name, "layer": s.layer, "direction": s.direction,
                               "count": s.count, "trainable": s.trainable}
                              for s in count.subtotals]}
    if steps:
        document["unrolled"] = [{"steps": n, "total": count.total} for n in steps]
    if count.inputs_by_name:
        document[INPUTS_BY_NAME_KEY] = list(count.inputs_by_name)
    return document


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(count: ParamCount, steps=()) -> str:
    """Returns the parameter table as Markdown."""
    title, *rest = heading_lines(count)
    lines = [f"## {title}", ""] + [line + "  " for line in rest] + [""]
    header = table_header(count)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---:" if h == "count" else "---" for h in header) + "|")
    for kind, cells in table_rows(count):
        if kind == "row":
            # The formula is math, as every formula in rnncli's Markdown.
            cells = ([f"`{cells[0]}`"] + [_markdown_cell(c) for c in cells[1:3]]
                     + [f"${math_text(cells[3])}$"] + [_markdown_cell(c) for c in cells[4:]])
        else:
            cells = [f"*{c}*" if c else "" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"**{line}**" if i == 0 else line for i, line in enumerate(total_lines(count))]
    lines += [""] + note_lines(count) if note_lines(count) else []
    lines += [""] + [steps_line(count.total, n) for n in steps] if steps else []
    return "\n".join(lines) + "\n"


def compare_header(comparison) -> list[str]:
    return ["cell", "convention", "H", "parameters", "ratio"]


def compare_rows(comparison) -> list[list[str]]:
    """Returns one row of text per compared cell."""
    return [[e.label, e.convention, str(e.hidden_size), str(e.total),
             "-" if e.ratio is None else f"{e.ratio:.3f}"] for e in comparison.entries]


def compare_heading(comparison) -> str:
    """Returns what the compared cells share: `I = 20, H = 128, O = 10; 1 layer`."""
    sizes = comparison.sizes
    parts = [f"I = {sizes.input_size}", f"H = {sizes.hidden_size}"]
    if sizes.output_size is not None:
        parts.append(f"O = {sizes.output_size} (linear read-out)")
    extra = [f"{sizes.layers} layers" if sizes.layers > 1 else "1 layer"]
    if sizes.bidirectional:
        extra.append("bidirectional")
    if not sizes.bias:
        extra.append("no biases")
    return "Parameters for " + ", ".join(parts) + "; " + ", ".join(extra) \
        + "; ratio to the first"


def compare_document(comparison, steps=()) -> dict:
    """Returns the `rnncli/params-compare@1` document."""
    sizes = comparison.sizes
    document = {"schema": COMPARE_SCHEMA,
                "sizes": {"input": sizes.input_size, "hidden": sizes.hidden_size,
                          "output": sizes.output_size},
                "layers": sizes.layers, "bidirectional": sizes.bidirectional, "bias": sizes.bias,
                "cells": [{"label": e.label, "cell": e.cell, "convention": e.convention,
                           "hidden_size": e.hidden_size, "total": e.total, "ratio": e.ratio}
                          for e in comparison.entries]}
    if steps:
        document["unrolled"] = [{"steps": n, "totals": [e.total for e in comparison.entries]}
                                for n in steps]
    return document


def render_compare_markdown(comparison, steps=()) -> str:
    """Returns the comparison as a Markdown table."""
    header = compare_header(comparison)
    lines = [f"## {compare_heading(comparison)}", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if h in ("H", "parameters", "ratio") else "---"
                            for h in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in compare_rows(comparison)]
    if steps:
        lines += [""] + [f"Unrolled over {n} steps: the same counts — every step reuses the "
                         "same weights." for n in steps]
    return "\n".join(lines) + "\n"
