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


def _shape(dims) -> str:
    labels = [d.root().label or str(d.root().value) for d in dims]
    labels = [f"({label})" if "+" in label and len(dims) > 1 else label for label in labels]
    return "(" + ", ".join(labels) + (",)" if len(labels) == 1 else ")") if labels else "scalar"
