"""Starts shape inference from a problem's numbers and sizes, and checks the result."""
from __future__ import annotations

import dataclasses

from rnncli.cells.cell import Cell, equation_line
from rnncli.errors import EquationError, ProblemError, ShapeError, did_you_mean
from rnncli.language.expression import names
from rnncli.files.problem import Problem
from rnncli.language.shape_unification import Dim, Inference, Slot, concrete, show, slot_of_shape, unify, ShapeMismatch

# Dimension labels of count-params formulas (H·I = 128·20).
ALIAS_LABELS = {"input": "I", "hidden": "H", "output": "O"}
MAX_ENTRIES = 50_000_000
# A trace keeps every quantity at every step, and prints or writes them all; these bound
# its memory and time before a step is computed, whatever the sizes, steps and
# concatenations (a 64-unit LSTM over 10,000 steps, a 256-unit one over 6,000, or a 3-layer
# bidirectional 256-unit one over 1,000 fit: 80 MB of float64 at most, and JSON streamed a
# chunk of steps at a time).
MAX_TRACE_VALUES = 10_000_000     # steps × the entries of all quantities and inputs of a step
MAX_QUANTITY_ENTRIES = 100_000    # the entries of the largest single quantity or input


def size_targets(problem: Problem, cell: Cell) -> dict:
    """Returns alias -> quantity name for `sizes: {input, hidden, output}`."""
    targets = {}
    if cell.input_name:
        targets["input"] = cell.input_name
    if cell.hidden_name:
        targets["hidden"] = cell.hidden_name
    elif "h" in cell.quantities:
        targets["hidden"] = "h"
    if "y" in cell.quantities:
        targets["output"] = "y"
    return targets


def infer_shapes(problem: Problem, cell: Cell, *, require_values: bool) -> Cell:
    """Returns the cell with `shapes` and `dims` of every name, or raises saying what is missing."""
    from rnncli.language.printing.source import to_source

    numbers = _builtin_numbers(problem, cell)
    if numbers:
        _check_builtin_numbers(problem, cell, numbers, to_source)
    slots, labels = _seeded_slots(problem, cell)
    inference = Inference(slots, to_source)
    equations = [(e.name, e.expr) for e in cell.equations]
    try:
        inference.run(equations)
        while _default_to_scalar(cell, slots):
            inference.run(equations)
    except EquationError as exc:
        equation = next((e for e in cell.equations if e.name == exc.equation), None)
        raise exc.located(problem.file, equation_line(problem, equation)) from None

    _label_quantities(cell, slots, labels)
    inference.relabel_concatenations({name: label for name, label in labels.items()
                                      if slots.get(name) and slots[name].known() == ()})
    shapes, dims = {}, {}
    for name in list(cell.quantities) + list(cell.inputs) + list(cell.params):
        slot = slots.get(name) or Slot()
        shape = concrete(slot)
        if shape is None:
            if require_values:   # a missing number explains an unknown shape best
                _check_values(problem, cell, slots)
            _unknown_shape(problem, cell, name)
        shapes[name] = shape
        dims[name] = slot.known()
    total = sum(_count(shapes[p]) for p in cell.params)
    if require_values:
        _check_values(problem, cell, slots)
        if total > MAX_ENTRIES:
            raise ProblemError(f"the parameters have {total} entries; at most {MAX_ENTRIES} can "
                               "be traced", file=problem.file, line=problem.line("sizes"))
        _check_trace_size(problem, cell, shapes)
    return dataclasses.replace(cell, shapes=shapes, dims=dims)


def _check_trace_size(problem: Problem, cell: Cell, shapes: dict) -> None:
    """Raises ProblemError when a trace would hold more values than the limits allow,
    naming the line of `sizes` or `steps` (or the equation that makes a quantity big)."""
    traced = list(cell.quantities) + list(cell.inputs)
    largest = max(traced, key=lambda n: _count(shapes[n]), default=None)
    if largest is not None and _count(shapes[largest]) > MAX_QUANTITY_ENTRIES:
        if largest in problem.sizes:
            line = problem.line("sizes", largest)
        elif largest in cell.quantities:
            line = equation_line(problem, cell.equation(largest))
        else:
            line = problem.line("sizes") or problem.line("inputs")
        raise ProblemError(f"`{largest}` would have {_count(shapes[largest]):,} entries; a trace "
                           f"allows at most {MAX_QUANTITY_ENTRIES:,} in one quantity",
                           file=problem.file, line=line)
    per_step = sum(_count(shapes[n]) for n in traced)
    steps = problem.n_steps or 0
    if steps * per_step > MAX_TRACE_VALUES:
        line = problem.line("steps") if problem.steps is not None else problem.line("inputs")
        raise ProblemError(f"the trace would hold {steps:,} steps × {per_step:,} values = "
                           f"{steps * per_step:,} values; at most {MAX_TRACE_VALUES:,} can be "
                           "traced (fewer steps, or smaller sizes)", file=problem.file, line=line)


SIZE_ALIASES_SET = set(ALIAS_LABELS)


def _seeded_slots(problem: Problem, cell: Cell, skip=frozenset()) -> tuple[dict, dict]:
    """Returns (name -> Slot, name -> dimension label) from the problem's sizes and numbers.

    The parameters in `skip` are left unknown, for their shape to come from the equations.
    """
    slots: dict[str, Slot] = {}
    known_names = set(cell.quantities) | set(cell.inputs) | set(cell.params)
    targets = size_targets(problem, cell)

    def given(name: str, slot: Slot, path: tuple, what: str) -> None:
        current = slots.setdefault(name, Slot())
        try:
            unify(current, slot)
        except ShapeMismatch:
            raise ShapeError(f"{what} has shape {show(slot)}, but `{name}` has shape "
                             f"{show(current)} from what came before", file=problem.file,
                             line=problem.line(*path)) from None

    labels = {}
    for alias, target in targets.items():
        labels[target] = ALIAS_LABELS[alias]
    for name, size in problem.sizes.items():
        target = targets.get(name, name)
        if name in SIZE_ALIASES_SET and name not in targets:
            raise ProblemError(f"`sizes.{name}`: this cell has no {name} quantity"
                               f"{_missing_alias_hint(problem, cell, name)}",
                               file=problem.file, line=problem.line("sizes", name))
        if target not in known_names:
            raise ProblemError(f"`sizes.{name}`: `{name}` is not a quantity, input or parameter of "
                               f"the cell{did_you_mean(name, known_names | set(targets))}",
                               file=problem.file, line=problem.line("sizes", name))
        label = labels.get(target, f"n_{target}")
        given(target, Slot((Dim(size, label),)), ("sizes", name), f"`sizes.{name}`")
    for name, value in problem.params.items():
        if name not in skip:
            given(name, slot_of_shape(value.shape), ("params", name), f"`params.{name}`")
    for name, steps in problem.inputs.items():
        given(name, slot_of_shape(steps[0].shape, labels.get(name)), ("inputs", name),
             f"`inputs.{name}`")
    for name, value in problem.initial.items():
        given(name, slot_of_shape(value.shape, labels.get(name)), ("initial", name),
             f"`initial.{name}`")
    return slots, labels


def _missing_alias_hint(problem: Problem, cell: Cell, alias: str) -> str:
    """Returns how to get the quantity a size alias names: the read-out y of `output:`."""
    if alias != "output":
        return ""
    if cell.spec is not None:
        if cell.spec.readout is None or problem.output != "none":
            return ""
        return ("; add `output: linear` (or softmax, sigmoid) for the built-in cell's "
                "read-out y")
    return "; define the read-out with an equation for `y`"


def _builtin_numbers(problem: Problem, cell: Cell) -> list:
    """Returns the parameters given as a bare number that only built-in equations read.

    There a number is a shorthand only when the documented shape has one entry;
    in the user's own equations a number is whatever the equations make of it.
    """
    if cell.spec is None:
        return []
    custom = {n.name for e in cell.equations if not e.builtin for n in names(e.expr)}
    return [name for name, value in problem.params.items()
            if value.ndim == 0 and name in cell.params and name not in custom]


def _check_builtin_numbers(problem: Problem, cell: Cell, numbers: list, to_source) -> None:
    """Raises ShapeError for a number given where the built-in cell has a larger matrix or vector.

    Shapes are inferred once without those numbers: what the equations then
    give each of them is its documented shape (W_hh of a hidden-3 RNN: (3, 3)).
    """
    try:
        slots, _ = _seeded_slots(problem, cell, skip=frozenset(numbers))
        Inference(slots, to_source).run([(e.name, e.expr) for e in cell.equations])
    except (EquationError, ShapeError):
        return   # the full inference below names the mismatch
    for name in numbers:
        dims = slots[name].known() if name in slots else None
        values = [d.root().value for d in dims or ()]
        if not any(v is not None and v > 1 for v in values):
            continue
        labels = [d.root().label or (str(v) if v is not None else "?")
                  for d, v in zip(dims, values)]
        numeric = [str(v) if v is not None else "?" for v in values]
        shape = _shape_text(labels)
        if labels != numeric:
            shape += " = " + _shape_text(numeric)
        entries = "a matrix (a list of rows)" if len(values) == 2 else "a list"
        size = "" if None in values else f" of {_count(tuple(values))} entries"
        raise ShapeError(f"`params.{name}` is a single number, but `{name}` of cell "
                         f"`{cell.spec.cell}` ({cell.spec.convention}) has shape {shape}; "
                         f"give it as {entries}{size}", file=problem.file,
                         line=problem.line("params", name))


def _shape_text(parts: list) -> str:
    return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _count(shape: tuple) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def _label_quantities(cell: Cell, slots: dict, labels: dict) -> None:
    """Names unnamed dimensions after the quantity they are the size of (for formulas)."""
    order = list(labels) + [q for q in cell.inputs + cell.quantities if q not in labels]
    for name in order:
        dims = slots[name].known() if name in slots else None
        if dims and len(dims) == 1 and dims[0].root().label is None:
            dims[0].root().label = labels.get(name, f"n_{name}")


def _unknown_shape(problem: Problem, cell: Cell, name: str) -> None:
    users = [e for e in cell.equations if any(n.name == name for n in names(e.expr))]
    where = f" (used in equation `{users[0].name}`)" if users else ""
    if name in cell.params:
        message = (f"cannot infer the shape of parameter `{name}`{where}; give its value under "
                   "`params` or the sizes of what it connects under `sizes`")
    else:
        message = (f"cannot infer the size of `{name}`{where}; give it under `sizes` "
                   f"(for example `sizes: {{{name}: 4}}`)")
    raise ShapeError(message, file=problem.file,
                     line=equation_line(problem, users[0] if users else None))


def _default_to_scalar(cell: Cell, slots: dict) -> bool:
    """Makes the first quantity of unknown shape a scalar, once every number's shape is known.

    With scalar weights and no initial value (`h = tanh(w * x + u * h[t-1])`) nothing
    fixes the size of h, and a scalar is the only reading; returns whether one was set.
    """
    numbers = list(cell.params) + list(cell.inputs)
    if not all(n in slots and concrete(slots[n]) is not None for n in numbers):
        return False
    for name in cell.quantities:
        slot = slots.setdefault(name, Slot())
        if slot.known() is None:
            unify(slot, Slot(()))
            return True
    return False


def _check_values(problem: Problem, cell: Cell, slots: dict) -> None:
    missing = [p for p in cell.params if p not in problem.params]
    if missing:
        equation = next(e for e in cell.equations if any(n.name == missing[0] for n in names(e.expr)))
        more = f" (and {len(missing) - 1} more: {', '.join(missing[1:4])}{'...' if len(missing) > 4 else ''})" \
            if len(missing) > 1 else ""
        raise ProblemError(f"parameter `{missing[0]}` of equation `{equation.name}` has no value; "
                           f"give it under `params`{_with_shape(slots.get(missing[0]))}{more}",
                           file=problem.file, line=problem.line("params") or equation_line(problem, equation))
    if problem.n_steps is None:
        raise ProblemError("the problem has no input values and no `steps`; give `inputs` "
                           "with one entry per step, or `steps`", file=problem.file,
                           line=problem.line("inputs"))
    for name in cell.inputs:
        if name not in problem.inputs:
            raise ProblemError(f"input `{name}` has no values; give `inputs: {{{name}: [...]}}`",
                               file=problem.file, line=problem.line("inputs"))


def _with_shape(slot) -> str:
    return f" with shape {show(slot)}" if slot is not None and concrete(slot) is not None else ""
