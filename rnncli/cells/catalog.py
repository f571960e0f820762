"""`rnncli cells`: the built-in cells, their equations and parameters, for people."""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.cells.builtin import cell_names, conventions, load_cell_spec
from rnncli.errors import ProblemError


@dataclass(frozen=True)
class ConventionInfo:
    cell: str
    convention: str
    summary: str
    source: str
    equations: tuple        # (name, text form)
    params: tuple           # (name, role, shape in sizes such as "(H, I)")
    latex: tuple = ()       # (name, LaTeX form) of each equation


def describe_cells(name: str | None, convention: str | None):
    """Returns a list of (cell, conventions, summary) or, for one cell, ConventionInfo records."""
    if name is None:
        if convention:
            raise ProblemError("--convention needs a cell name, as in `rnncli cells lstm "
                               f"--convention {convention}`")
        return [(c, conventions(c), load_cell_spec(c, conventions(c)[0]).summary)
                for c in cell_names()]
    chosen = [convention] if convention else list(conventions(name))
    return [_info(name, c) for c in chosen]


def _info(cell: str, convention: str) -> ConventionInfo:
    from rnncli.cells.build import build_cell
    from rnncli.language.printing.text import TextPrinter
    from rnncli.files.problem import Problem

    spec = load_cell_spec(cell, convention)
    # Distinct sizes, so that every dimension can be named by its label (I, H, O).
    problem = Problem(file=spec.path, cell=cell, convention=convention, output="linear",
                      sizes={"input": 2, "hidden": 3, "output": 5})
    built = build_cell(problem, shapes=True, evaluate=False)
    from rnncli.language.printing.latex import LatexPrinter

    printer = TextPrinter(constants=frozenset(built.params))
    equations = tuple((e.name, printer.doprint(e.expr)) for e in built.equations)
    latex = LatexPrinter(constants=frozenset(built.params))
    forms = tuple((e.name, latex.doprint(e.expr)) for e in built.equations)
    params = tuple((p, built.role(p), _shape(built.dims[p])) for p in built.params)
    return ConventionInfo(cell, convention, spec.summary, spec.source, equations, params, forms)


def _latex_target(name: str) -> str:
    """Returns a quantity at step t in LaTeX: h^{(t)}, {\\tilde{h}}^{(t)}."""
    from rnncli.language.printing.latex import latex_name

    base = latex_name(name)
    return f"{{{base}}}^{{(t)}}" if "_" in base or "\\" in base else f"{base}^{{(t)}}"


def _shape(dims) -> str:
    labels = [d.root().label or str(d.root().value) for d in dims]
    labels = [f"({label})" if "+" in label and len(dims) > 1 else label for label in labels]
    return "(" + ", ".join(labels) + (",)" if len(labels) == 1 else ")") if labels else "scalar"


def render_cells(described, output_format: str) -> str:
    """Returns the cells listing or a cell's conventions as text, Markdown or JSON.

    LaTeX is rendered by render/cells_latex.py from the same records.
    """
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
            out += [f"- ${_latex_target(n)} = {form}$" for n, form in info.latex] + [""]
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
