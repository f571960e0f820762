"""Problem -> `Cell`: the equations in evaluation order, every name classified, shapes inferred.

A built-in cell's equations come first; the problem's `equations:` replace
them by name or add new ones; `output:` adds the read-out `y`; `bias: false`
removes the biases. Names no equation defines are inputs (declared under
`inputs`, or the built-in cell's input) or parameters. Without an `inputs:`
key, a name without a value that reads as an input (`x`, `x1`, `x_t`) is one:
a count-only or symbolic problem then counts and draws it as an input.
"""
from __future__ import annotations

import re

from rnncli.cells.builtin import CellSpec, load_cell_spec
from rnncli.cells.cell import READOUT_WRAP, Cell, Equation, equation_line
from rnncli.cells.shape_inference import infer_shapes
from rnncli.language.equations import parse_expression
from rnncli.errors import EquationError, ProblemError, RnncliError, did_you_mean
from rnncli.language.expression import Call, Number, drop_names, names, walk
from rnncli.language.functions import FUNCTIONS
from rnncli.files.problem import Problem

# `x`, or `x` and then a digit or `_` (x1, x_t): an input without `inputs:` (contract §11).
INPUT_NAME = re.compile(r"x(?:[0-9_]|$)")


def build_cell(problem: Problem, *, shapes: bool = True, evaluate: bool = True) -> Cell:
    """Returns the Cell of a problem.

    `shapes` infers every shape (needed by `trace` and `count-params`);
    `evaluate` also requires known functions and a value for every parameter.
    `unroll` and `graph` pass both False: they work on symbols alone.
    """
    spec = _spec(problem)
    equations = _equations(problem, spec)
    defined = {e.name for e in equations}
    inputs, by_name = _inputs(problem, spec, equations, defined)
    params = _params(problem, equations, defined, inputs)
    states = _states(problem, equations, defined, inputs, params)
    ordered = _evaluation_order(problem, equations)
    if evaluate:
        _check_functions(problem, ordered)
    cell = Cell(equations=tuple(ordered), inputs=tuple(inputs), params=tuple(params),
                states=states, spec=spec, inputs_by_name=tuple(by_name),
                input_name=spec.input if spec else (inputs[0] if len(inputs) == 1 else None),
                hidden_name=spec.hidden if spec else None)
    if shapes or evaluate:
        cell = infer_shapes(problem, cell, require_values=evaluate)
    return cell


def _spec(problem: Problem) -> CellSpec | None:
    if not problem.cell:
        if problem.convention != "standard" and "convention" in (problem.doc.data if problem.doc else {}):
            raise ProblemError("`convention` needs a built-in `cell`", file=problem.file,
                               line=problem.line("convention"))
        return None
    try:
        return load_cell_spec(problem.cell, problem.convention)
    except RnncliError as exc:
        raise exc.located(problem.file, problem.line(exc.key or "cell")) from None


def _equations(problem: Problem, spec: CellSpec | None) -> list:
    merged: dict[str, Equation] = {}
    dropped = set(spec.biases) if spec and not problem.bias else set()
    if spec:
        for name, text in spec.equations.items():
            merged[name] = _parse(problem, name, text, builtin=True, dropped=dropped)
        if problem.output != "none":
            if spec.readout is None:
                raise ProblemError(f"cell `{spec.cell}` has no read-out for `output`",
                                   file=problem.file, line=problem.line("output"))
            named = spec.readout_name if problem.output != "linear" else None
            if named:
                # The source names the pre-activation (the book's o = c + V h, y = softmax(o)):
                # a quantity of its own, a value a student writes down.
                merged[named] = _parse(problem, named, spec.readout, builtin=True,
                                       dropped=dropped)
            text = READOUT_WRAP[problem.output].format(named or spec.readout)
            merged["y"] = _parse(problem, "y", text, builtin=True, dropped=dropped)
    elif problem.output != "none":
        raise ProblemError("`output` adds a built-in cell's read-out; with custom equations, "
                           "write the read-out as an equation", file=problem.file,
                           line=problem.line("output"))
    elif not problem.bias:
        raise ProblemError("`bias: false` removes a built-in cell's biases; with custom "
                           "equations, leave the biases out", file=problem.file,
                           line=problem.line("bias"))
    for name, text in problem.equations.items():
        merged[name] = _parse(problem, name, text, builtin=False)
    return list(merged.values())


def _parse(problem: Problem, name: str, text: str, *, builtin: bool, dropped=()) -> Equation:
    line = None if builtin else problem.line("equations", name)
    try:
        expr = parse_expression(text, equation=name)
    except EquationError as exc:
        exc.message = f"equation `{name}`: {exc.message}"
        raise exc.located(problem.file, line if line else problem.line("cell")) from None
    if dropped:
        expr = drop_names(expr, dropped) or Number(0.0)
    return Equation(name, text, expr, line, builtin)


def _fail(problem: Problem, equation: Equation | None, message: str):
    raise EquationError(message, file=problem.file, line=equation_line(problem, equation))


def _inputs(problem, spec, equations, defined) -> tuple[list, list]:
    """Returns (the inputs, those of them taken as inputs by their name alone)."""
    declared = list(problem.input_names)
    for name in declared:
        if name in defined:
            raise ProblemError(f"`{name}` is both an input and defined by an equation",
                               file=problem.file, line=problem.line("inputs", name))
    if not declared and spec:
        declared = [spec.input]
    used = {n.name for e in equations for n in names(e.expr)}
    if problem.loss is not None:   # targets are inputs that only the loss reads
        used |= {n.name for n in names(problem.loss.expr)}
    for name in declared:
        if name not in used:
            raise ProblemError(f"input `{name}` is not used by any equation"
                               f"{did_you_mean(name, used - defined)}",
                               file=problem.file, line=problem.line("inputs", name))
    by_name = [] if _declares_inputs(problem) else _inputs_by_name(problem, equations, defined,
                                                                     declared)
    return declared + by_name, by_name


def _declares_inputs(problem: Problem) -> bool:
    """Returns whether the problem says what its inputs are (`inputs:`, even an empty list)."""
    return bool(problem.input_names) or (problem.doc is not None and "inputs" in problem.doc.data)


def _inputs_by_name(problem, equations, defined, declared) -> list:
    """Returns the undefined names without a value that read as inputs (x, x1, x_t), in order of use."""
    found: dict[str, None] = {}
    for equation in equations:
        for node in names(equation.expr):
            name = node.name
            if (INPUT_NAME.match(name) and name not in defined and name not in declared
                    and name not in problem.params):
                found.setdefault(name, None)
    return list(found)


def _params(problem, equations, defined, inputs) -> list:
    params: dict[str, None] = {}
    for equation in equations:
        for node in names(equation.expr):
            if node.name not in defined and node.name not in inputs:
                if node.lag:
                    _fail(problem, equation, f"equation `{equation.name}` reads "
                          f"`{node.name}[t-{node.lag}]`, but `{node.name}` is a parameter "
                          "(no equation defines it, and it is not an input)")
                params.setdefault(node.name, None)
    for name in problem.params:
        if name not in params:
            hint = did_you_mean(name, params)
            what = "an input" if name in inputs else "a quantity defined by an equation" \
                if name in defined else "not used by any equation"
            if what == "not used by any equation" and problem.cell:
                hint = _convention_hint(problem, params) or hint
            raise ProblemError(f"`params.{name}` is {what}{hint}", file=problem.file,
                               line=problem.line("params", name))
    for key in ("fixed", "symmetric"):
        for i, name in enumerate(getattr(problem, key)):
            if name not in params:
                raise ProblemError(f"`{key}` names `{name}`, which is not a parameter"
                                   f"{did_you_mean(name, params)}", file=problem.file,
                                   line=problem.line(key, i))
    for name in problem.symmetric:
        if name in problem.params:
            _check_symmetric_value(problem, name)
    return list(params)


def _check_symmetric_value(problem: Problem, name: str) -> None:
    """Raises ProblemError at the first entry of a `symmetric:` matrix that is not w_ij = w_ji, w_ii = 0."""
    value = problem.params[name]
    if value.ndim != 2 or value.shape[0] != value.shape[1]:
        what = "is a number" if value.ndim == 0 else f"has shape {value.shape}"
        raise ProblemError(f"`params.{name}` {what}, but `symmetric` makes `{name}` a square "
                           "matrix", file=problem.file, line=problem.line("params", name))
    n = value.shape[0]
    for i in range(n):          # reading order: the first offender a reader meets
        for j in range(i, n):
            entry = f"`params.{name}[{i + 1}][{j + 1}]`"
            if i == j and value[i, i] != 0:
                message = (f"{entry} is {_written(value[i, i])}, but a `symmetric` matrix has no "
                           "self-connections: its diagonal is 0")
            elif i != j and value[i, j] != value[j, i]:
                message = (f"{entry} is {_written(value[i, j])} but `params.{name}[{j + 1}][{i + 1}]` "
                           f"is {_written(value[j, i])}; a `symmetric` matrix has w_ij = w_ji")
            else:
                continue
            raise ProblemError(message, file=problem.file,
                               line=problem.line("params", name, i, j))


def _convention_hint(problem: Problem, params: dict) -> str:
    """Returns `; these are the names of `convention: pytorch`` when another form fits the params."""
    from rnncli.cells.builtin import convention_with_names

    unknown = [n for n in problem.params if n not in params]
    found = convention_with_names(problem.cell, problem.convention, unknown)
    if found is None:
        return ""
    cell, convention = found
    where = f"`convention: {convention}`" if cell == problem.cell else \
        f"`cell: {cell}` with `convention: {convention}`"
    listed = ", ".join(unknown[:4]) + (", ..." if len(unknown) > 4 else "")
    return f" of cell `{problem.cell}` ({problem.convention}); {listed} are the names of {where}"


def _written(number) -> str:
    """Returns a number as the file could have written it: 3, 0.25, 1e-07 (round-trip exact)."""
    text = repr(float(number))
    return text[:-2] if text.endswith(".0") else text


def _states(problem, equations, defined, inputs, params) -> dict:
    states: dict[str, int] = {}
    for equation in equations:
        for node in names(equation.expr):
            if node.lag:
                states[node.name] = max(states.get(node.name, 0), node.lag)
    for name in problem.initial:
        if name not in states:
            known = [n for n in defined if n not in states] + list(states)
            raise ProblemError(f"`initial.{name}`: no equation reads `{name}[t-1]`, so it needs "
                               f"no initial value{did_you_mean(name, states or known)}",
                               file=problem.file, line=problem.line("initial", name))
    return states


def _evaluation_order(problem: Problem, equations: list) -> list:
    """Orders equations so each comes after what it reads at step t (Kahn, stable)."""
    by_name = {e.name: e for e in equations}
    needs = {e.name: [n.name for n in names(e.expr) if n.lag == 0 and n.name in by_name]
             for e in equations}
    ordered, done = [], set()
    while len(ordered) < len(equations):
        ready = [e for e in equations if e.name not in done and all(d in done for d in needs[e.name])]
        if not ready:
            cycle = _find_cycle(needs, done)
            first = by_name[cycle[0]]
            _fail(problem, first, "the equations " + " -> ".join(f"`{c}`" for c in cycle + [cycle[0]])
                  + " depend on each other at the same step; one of them must read an "
                  "earlier step, as in h[t-1]")
        ordered.append(ready[0])
        done.add(ready[0].name)
    return ordered


def _find_cycle(needs: dict, done: set) -> list:
    start = next(n for n in needs if n not in done)
    path, seen = [start], {start: 0}
    while True:
        following = next(d for d in needs[path[-1]] if d not in done)
        if following in seen:
            return path[seen[following]:]
        seen[following] = len(path)
        path.append(following)


def _check_functions(problem: Problem, equations: list) -> None:
    for equation in equations:
        for node in walk(equation.expr):
            if isinstance(node, Call):
                if node.function not in FUNCTIONS:
                    _fail(problem, equation, f"equation `{equation.name}` calls unknown function "
                          f"`{node.function}`{did_you_mean(node.function, FUNCTIONS)}; known: "
                          + ", ".join(FUNCTIONS))
                if len(node.args) != 1:
                    _fail(problem, equation, f"equation `{equation.name}`: `{node.function}` "
                          f"takes one argument, not {len(node.args)}")

