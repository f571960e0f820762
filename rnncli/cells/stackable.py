"""Which problems a built-in cell can be stacked for (`layers`, `bidirectional`, `proj_size`).

Shared by the counting copies (cells/stacking.py) and the flat network (cells/network.py).
"""
from __future__ import annotations

from rnncli.cells.builtin import load_cell_spec
from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem


def stacking_key(problem: Problem) -> str:
    return "proj_size" if problem.proj_size else "layers" if problem.layers > 1 else "bidirectional"


def check_stackable(problem: Problem) -> None:
    """Refuses, before any shape inference, what cannot be stacked."""

    key = stacking_key(problem)
    if not problem.cell:
        raise ProblemError(f"`{key}` stacks a built-in `cell`; with custom equations, write "
                           "every layer's equations yourself", file=problem.file,
                           line=problem.line(key))
    try:
        spec = load_cell_spec(problem.cell, problem.convention)
    except RnncliError:
        return                  # build_cell names the bad cell or convention with its line
    changed = {c.name for c in problem.changes if c.kind == "set"}
    extra = [n for n in problem.equations if n not in spec.equations
             and not (n in changed and unit_equation(problem, spec, n))]
    if extra and extra[0] in changed:
        from rnncli.errors import UsageError

        raise UsageError(f"--set {extra[0]}: with `{key}`, --set changes one of the cell's own "
                         f"equations ({', '.join(spec.equations)}) in every layer, or one "
                         f"layer's copy of one, as f_l0 or f_l{problem.layers - 1}"
                         + ("_reverse" if problem.bidirectional else ""))
    if extra:
        raise ProblemError(f"with `{key}`, equations may only replace the built-in cell's own "
                           f"({', '.join(spec.equations)}); `{extra[0]}` is new — use "
                           "`output:` for a read-out", file=problem.file,
                           line=problem.line("equations", extra[0]))
    if problem.proj_size:
        if (problem.cell, problem.convention) != ("lstm", "pytorch"):
            raise ProblemError("`proj_size` is PyTorch's LSTM projection: it needs `cell: lstm` "
                               f"with `convention: pytorch`, not `{problem.cell}` "
                               f"({problem.convention})", file=problem.file,
                               line=problem.line("proj_size"))
        if "h" in problem.equations:
            raise ProblemError("`proj_size` replaces the equation of `h`; do not give your own",
                               file=problem.file, line=problem.line("equations", "h"))


def unit_equation(problem: Problem, spec, name: str) -> str | None:
    """Returns the cell's own name when `name` is one layer's copy of it (`f_l1_reverse`)."""
    import re

    match = re.match(r"^(.+)_l(\d+)(_reverse)?$", name)
    if not match or match.group(1) not in spec.equations:
        return None
    if int(match.group(2)) >= problem.layers or (match.group(3) and not problem.bidirectional):
        return None
    return match.group(1)
