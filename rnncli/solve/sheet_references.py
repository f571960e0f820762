"""The references a solution sheet shows (spec §16): `unroll.h[5]`, `graph`, `graph[3]`, `plot`, `plot.h`.

`references.Solution` hands these kinds here, so that the numeric references
stay in one small module. Their values are results, not numbers: an
`Unrolled` formula, a `Graph`, a `Chart`. Only `unroll.*` can be graded (by
evaluating formulas, grading/formulas.py); graphs and plots are drawn by hand.
"""
from __future__ import annotations

from rnncli.errors import ProblemError, RnncliError, did_you_mean

HAND_GRADED = ("graph", "plot")     # drawn answers: shown on the sheet, not graded by rnncli


def sheet_reference_text(ref) -> str:
    """Returns a reference as written: unroll.h[5], graph, graph[3], plot, plot.h."""
    if ref.kind == "unroll":
        return f"unroll.{ref.name}" + ("" if ref.step is None else f"[{ref.step}]")
    if ref.kind == "graph":
        return "graph" if ref.step is None else f"graph[{ref.step}]"
    return "plot" + (f".{ref.name}" if ref.name else "")


def _cache(solution) -> dict:
    return solution.__dict__.setdefault("_sheet_cache", {})


def symbolic_cell(solution):
    """Returns the problem's cell for symbolic use (cached on the solution)."""
    cache = _cache(solution)
    if "cell" not in cache:
        from rnncli.solve.unrolling import symbolic_cell as build

        # Stacked and bidirectional networks unroll too: the cell is the whole network.
        cache["cell"] = build(solution.problem)
    return cache["cell"]


def _last_step(solution, ref):
    steps = solution.steps()
    if not steps:
        raise ProblemError(f"`{ref}` names no step and the problem has no steps; "
                           f"write unroll.{ref.name}[T]")
    return steps[-1]


def expand_sheet_reference(solution, ref) -> list:
    """Returns [ref], with `unroll.h` meaning h at the last step."""
    import dataclasses

    if ref.kind == "unroll" and ref.step is None:
        ref = dataclasses.replace(ref, step=_last_step(solution, ref))
    check_sheet_reference(solution, ref)
    return [ref]


def check_sheet_reference(solution, ref) -> None:
    """Raises ProblemError (without a file: the caller knows the line) when `ref` names nothing."""
    from rnncli.files.problem import problem_level
    from rnncli.solve.graphs import MAX_UNFOLD

    if ref.kind == "unroll":
        cell = _cell_or_fail(solution, ref)
        if ref.name not in cell.quantities:
            raise ProblemError(f"`{ref}`: no quantity `{ref.name}` to unroll"
                               f"{did_you_mean(ref.name, cell.quantities)}; the quantities are "
                               + ", ".join(cell.quantities))
        step = ref.step if ref.step is not None else _last_step(solution, ref)
        steps = solution.steps()
        if step < solution.problem.time_start or (steps and step > steps[-1]):
            raise ProblemError(f"`{ref}`: step {step} is outside the steps "
                               f"{steps.start}..{steps.stop - 1}" if steps else
                               f"`{ref}`: step {step} is before the first step")
    elif ref.kind == "graph":
        _cell_or_fail(solution, ref)
        if ref.step is not None and not 1 <= ref.step <= MAX_UNFOLD:
            raise ProblemError(f"`{ref}`: a graph unfolds over 1 to {MAX_UNFOLD} steps")
    else:
        if problem_level(solution.problem) != "trace":
            raise ProblemError(f"`{ref}` plots values at steps, but the problem gives no numbers "
                               "(params, inputs) to compute them")
        known = list(solution.trace.cell.quantities) + list(solution.trace.cell.inputs)
        if ref.name and ref.name not in known:
            raise ProblemError(f"`{ref}`: no quantity `{ref.name}` to plot"
                               f"{did_you_mean(ref.name, known)}; it has {', '.join(known)}")


def _cell_or_fail(solution, ref):
    try:
        return symbolic_cell(solution)
    except RnncliError as exc:
        raise ProblemError(f"`{ref}`: {exc.message}") from None


def sheet_value(solution, ref):
    """Returns what a sheet reference stands for: an Unrolled formula, a Graph or a Chart."""
    cache = _cache(solution)
    key = str(ref)
    if key not in cache:
        if ref.kind == "unroll":
            from rnncli.solve.unrolling import unroll

            step = ref.step if ref.step is not None else _last_step(solution, ref)
            cache[key] = unroll(solution.problem, step, ref.name, cell=symbolic_cell(solution))
        elif ref.kind == "graph":
            from rnncli.solve.graphs import build_graph

            cache[key] = build_graph(solution.problem, ref.step, params=True,
                                     cell=symbolic_cell(solution))
        else:
            from rnncli.solve.series import trace_chart

            cache[key] = trace_chart(solution.trace, [ref.name] if ref.name else None)
    return cache[key]
