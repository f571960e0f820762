"""`rnncli cells`: the built-in cells' records (cells/catalog.py) as text, Markdown or JSON.

LaTeX is rendered by render/cells_latex.py from the same records.
"""
from __future__ import annotations


def step_t_latex(name: str) -> str:
    """Returns a quantity at step t in LaTeX: h^{(t)}, {\\tilde{h}}^{(t)}."""
    from rnncli.language.printing.latex import latex_name

    base = latex_name(name)
    return f"{{{base}}}^{{(t)}}" if "_" in base or "\\" in base else f"{base}^{{(t)}}"


def render_cells(described, output_format: str) -> str:
    """Returns the cells listing or a cell's conventions as text, Markdown or JSON."""
    if output_format == "json":
        from rnncli.render.json_document import dumps

        if described and isinstance(described[0], tuple):
            return dumps({"schema": "rnncli/cells@1", "cells": [
                {"name": c, "conventions": list(conv), "summary": s} for c, conv, s in described]})
        return dumps({"schema": "rnncli/cell@1", "conventions": [
            {"cell": i.cell, "convention": i.convention, "summary": i.summary, "source": i.source,
             "equations": {n: t for n, t in i.equations},
             "params": [{"name": n, "role": r, "shape": s} for n, r, s in i.params]}
            for i in described]})
    markdown = output_format == "markdown"
    if described and isinstance(described[0], tuple):
        if markdown:
            lines = ["| cell | conventions | summary |", "|---|---|---|"]
            lines += [f"| `{c}` | {', '.join(conv)} | {s} |" for c, conv, s in described]
        else:
            lines = [f"{c:<14} {', '.join(conv)}\n{'':14} {s}" for c, conv, s in described]
            lines.append("\nrnncli cells NAME [--convention C] shows the equations and parameters.")
        return "\n".join(lines) + "\n"
    out = []
    for info in described:
        if markdown:
            out += [f"## {info.cell} ({info.convention})", "", info.summary, "",
                    f"Source: {info.source}", ""]
            out += [f"- ${step_t_latex(n)} = {form}$" for n, form in info.latex] + [""]
            out += ["| parameter | role | shape |", "|---|---|---|"]
            out += [f"| `{n}` | {r} | {s} |" for n, r, s in info.params] + [""]
        else:
            out += [f"{info.cell} ({info.convention}): {info.summary}", f"  source: {info.source}",
                    "  equations:"]
            out += [f"    {n}(t) = {t}" for n, t in info.equations]
            out.append("  parameters (I input size, H hidden size, O output size; y only with `output:`):")
            width = max(len(n) for n, _, _ in info.params)
            out += [f"    {n:<{width}}  {s:<12} {r}" for n, r, s in info.params]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
