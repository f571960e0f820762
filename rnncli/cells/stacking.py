"""Problem -> `Network`: the copies of a cell that `layers`, `bidirectional` and `proj_size` make.

Stacking is a transform of equations, not a formula: every layer and direction
is the problem's own cell rebuilt by shape inference with that layer's sizes,
so a convention's parameter shapes (PyTorch's two biases, Keras's row-vector
kernels, Olah's concatenations) carry over to every layer unchanged.

- Layer 0 reads the input (size I); layer k > 0 reads the layer below's output,
  the forward and reverse states concatenated: size D·H, or D·P with a projection.
- The reverse direction is a second copy with the same shapes.
- `proj_size` P (PyTorch's LSTM only) replaces h = o * tanh(c) by
  h = W_hr @ (o * tanh(c)): h has size P, the cell state c keeps size H, so the
  recurrent weights become (H, P) by inference alone.
- The read-out `y` (from `output:`) is counted once, on top, reading D·H (or D·P).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rnncli.cells.cell import READOUT_WRAP, Cell
from rnncli.cells.build import build_cell
from rnncli.errors import ProblemError
from rnncli.files.problem import Problem
from rnncli.cells.stackable import check_stackable, stacking_key

PROJECTION = "W_hr @ (o * tanh(c))"
PROJECTION_ROLE = "hidden → projection (weight_hr; h = W_hr @ (o * tanh(c)))"


@dataclass(frozen=True)
class Unit:
    """One copy of the cell (a layer in one direction) or the read-out on top."""

    group: str                  # "layer 0 forward", "layer 1", "read-out"; "" for a lone cell
    layer: int | None           # None for the read-out
    direction: str | None       # "forward" or "reverse"; None for the read-out
    suffix: str                 # added to every parameter name: "", "_l1", "_l0_reverse"
    cell: Cell
    labels: dict = field(default_factory=dict)   # dimension label -> label shown (I -> 2H)
    roles: dict = field(default_factory=dict)    # roles the cell files do not have


@dataclass(frozen=True)
class Network:
    """The problem's cell, and every copy of it whose parameters are counted."""

    base: Cell                  # the problem as written, one layer (sizes I, H, O come from it)
    units: tuple                # Unit, in PyTorch's order: l0, l0_reverse, l1, ..., read-out
    stacked: bool               # whether layers, directions or a projection were built
    input_size: int | None
    hidden_size: int | None
    output_size: int | None


def size_of(cell: Cell, name: str | None) -> int | None:
    """Returns the length of a quantity or input (1 for a scalar), or None when there is none."""
    if not name or name not in cell.shapes or cell.shapes[name] is None:
        return None
    shape = cell.shapes[name]
    return shape[0] if len(shape) == 1 else (1 if not shape else None)


def hidden_name(cell: Cell) -> str | None:
    """Returns the name of the cell's hidden state: the built-in cell's, else `h` if defined."""
    if cell.hidden_name:
        return cell.hidden_name
    return "h" if "h" in cell.quantities else None


def build_network(problem: Problem) -> Network:
    """Returns the Network of a problem; raises ProblemError for stacking it cannot do."""
    stacked = problem.layers > 1 or problem.bidirectional or bool(problem.proj_size)
    if not stacked and problem.params:
        from rnncli.cells.network import effective_problem

        problem = effective_problem(problem).problem     # packed tensors cut by gate order
    if stacked:
        check_stackable(problem)
        if problem.params or problem.initial:
            problem = _sizes_from_numbers(problem)
    base = build_cell(problem, shapes=True, evaluate=False)
    sizes = dict(input_size=size_of(base, base.input_name),
                 hidden_size=size_of(base, hidden_name(base)),
                 output_size=size_of(base, "y"))
    if not stacked:
        return Network(base, (Unit("", 0, "forward", "", base),), False, **sizes)
    _check_sizes(problem, base, sizes["hidden_size"])
    spec = base.spec
    directions = ("forward", "reverse") if problem.bidirectional else ("forward",)
    width = len(directions)
    hidden = sizes["hidden_size"]
    projection = problem.proj_size
    state_label = "P" if projection else "H"
    lone = problem.layers == 1 and width == 1
    units = []
    for layer in range(problem.layers):
        if layer == 0:
            in_size, in_label = sizes["input_size"], "I"
        else:
            in_size = width * (projection or hidden)
            in_label = f"{width}{state_label}" if width > 1 else state_label
        cell = build_cell(_layer_problem(problem, in_size, hidden), shapes=True, evaluate=False)
        labels = {"I": in_label}
        roles = {}
        if projection:
            # Inference labels h (size P) with the hidden alias H, and c with n_c.
            labels.update({"H": "P", "n_c": "H"})
            roles["W_hr"] = PROJECTION_ROLE
        for direction in directions:
            suffix = "" if lone else f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            group = "cell" if lone else f"layer {layer}" + (f" {direction}" if width > 1 else "")
            units.append(Unit(group, layer, direction, suffix, cell, labels, roles))
    if problem.output != "none":
        top = width * (projection or hidden)
        label = f"{width}{state_label}" if width > 1 else state_label
        readout = build_cell(_readout_problem(problem, spec, top, sizes["output_size"]),
                             shapes=True, evaluate=False)
        units.append(Unit("read-out", None, None, "", readout, {"I": label}, dict(spec.roles)))
    return Network(base, tuple(units), True, **sizes)


def _sizes_from_numbers(problem: Problem) -> Problem:
    """Returns a traced stacked problem as sizes only, the sizes read off its numbers."""
    import dataclasses

    from rnncli.cells.network import network_cell

    cell, _ = network_cell(problem, shapes=True, evaluate=False)
    first = next(b for b in cell.blocks if b.layer is not None)
    from rnncli.cells.builtin import load_cell_spec

    spec = load_cell_spec(problem.cell, problem.convention)
    state = "c" if problem.proj_size else spec.hidden
    sizes = {"input": size_of(cell, spec.input),
             "hidden": size_of(cell, state + first.suffix)}
    if "y" in cell.shapes:
        sizes["output"] = size_of(cell, "y")
    return dataclasses.replace(problem, params={}, initial={}, inputs={}, steps=None,
                               sizes={k: v for k, v in sizes.items() if v is not None},
                               changes=(), teacher_forcing={})


def _check_sizes(problem: Problem, base: Cell, hidden: int | None) -> None:
    key = stacking_key(problem)
    if base.input_name is None or size_of(base, base.input_name) is None or hidden is None:
        raise ProblemError(f"`{key}` needs the input and hidden sizes, as in "
                           "`sizes: {input: 10, hidden: 20}`", file=problem.file,
                           line=problem.line(key))
    if problem.proj_size and problem.proj_size >= hidden:
        raise ProblemError(f"`proj_size` ({problem.proj_size}) must be smaller than the hidden "
                           f"size ({hidden}), as in PyTorch", file=problem.file,
                           line=problem.line("proj_size"))


def _layer_problem(problem: Problem, in_size: int, hidden: int) -> Problem:
    """Returns one layer of the network as a single-cell problem with sizes only."""
    equations = dict(problem.equations)
    sizes = {"input": in_size, "hidden": hidden}
    if problem.proj_size:
        equations["h"] = PROJECTION
        sizes = {"input": in_size, "hidden": problem.proj_size, "c": hidden}
    return Problem(file=problem.file, cell=problem.cell, convention=problem.convention,
                   equations=equations, sizes=sizes, bias=problem.bias, doc=problem.doc)


def _readout_problem(problem: Problem, spec, in_size: int, out_size: int | None) -> Problem:
    """Returns the read-out alone: y from the top layer's (concatenated) output."""
    from rnncli.language.equations import parse_expression
    from rnncli.language.expression import Number, drop_names
    from rnncli.language.printing.source import to_source

    expr = parse_expression(READOUT_WRAP[problem.output].format(spec.readout), equation="y")
    if not problem.bias:
        expr = drop_names(expr, set(spec.biases)) or Number(0.0)
    sizes = {spec.hidden: in_size}
    if out_size is not None:
        sizes["output"] = out_size
    return Problem(file=problem.file, equations={"y": to_source(expr)}, sizes=sizes,
                   input_names=(spec.hidden,))
