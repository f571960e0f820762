"""Problem -> the problem every command runs: packed tensors cut, layers and directions written out.

A stacked, bidirectional or projected network (`layers`, `bidirectional`,
`proj_size`) becomes one flat set of equations, with the names `count-params`
uses: each layer k's copy of the cell has its quantities and parameters
suffixed `_l{k}` (the backward direction `_l{k}_reverse`); layer k+1 reads
`[h_lk, h_lk_reverse]` where layer 0 reads x; `output` is the top layer's h
(both directions, forward first, as PyTorch's `output[t]`), and the read-out
reads `output`. The backward direction's lagged reads point forward in time
(`h_l0_reverse[t+1]`, a negative lag), so the equations run in blocks: each
layer and direction through all its steps, in its own time order
(`Cell.blocks`). A lone cell stays as it is.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rnncli.cells.build import build_cell
from rnncli.cells.cell import READOUT_WRAP, Block, Cell
from rnncli.cells.packed import unpack_params
from rnncli.errors import ProblemError, RnncliError
from rnncli.files.problem import Problem
from rnncli.language.equations import parse_expression
from rnncli.language.expression import Concat, Name, Node, Number, drop_names, transform

PROJECTION = "W_hr @ (o * tanh(c))"
OUTPUT = "output"


@dataclass(frozen=True, eq=False)      # holds a Problem, compared by identity (files/problem.py)
class Effective:
    """What a command runs: the problem as equations of one flat cell, and how it was made."""

    problem: Problem        # flat: no `layers`, no packed tensors (the original when lone)
    blocks: tuple           # Block, in running order; () for a lone cell
    splits: tuple           # packed.Split: the packed tensors cut into per-gate parameters
    stacked: bool


def is_stacked(problem: Problem) -> bool:
    """Returns whether a problem has layers, a backward direction or a projection."""
    return problem.layers > 1 or problem.bidirectional or bool(problem.proj_size)


def effective_problem(problem: Problem) -> Effective:
    """Returns the Effective problem: packed parameters cut, a stacked network written out."""
    stacked = is_stacked(problem)
    lone = problem.layers == 1 and not problem.bidirectional
    params, splits = unpack_params(problem, lone)
    if splits:
        problem = dataclasses.replace(problem, params=params)
    if not stacked:
        return Effective(problem, (), splits, False)
    from rnncli.cells.stackable import check_stackable

    check_stackable(problem)
    flat, blocks = _flatten(problem)
    return Effective(flat, blocks, splits, True)


def network_cell(problem: Problem, *, shapes: bool = True,
                 evaluate: bool = True) -> tuple[Cell, Effective]:
    """Returns (the Cell every command runs, the Effective problem it was built from)."""
    effective = effective_problem(problem)
    try:
        cell = build_cell(effective.problem, shapes=shapes, evaluate=evaluate)
    except RnncliError as exc:
        if effective.blocks:
            exc.message += _where(exc.message, effective.blocks)
            if exc.line is None or exc.line == problem.line():
                # The flat cell's equations have no line of their own: blame `cell:`.
                exc.line = problem.line("cell")
        raise
    if effective.blocks:
        order = cell.quantities
        blocks = tuple(dataclasses.replace(b, names=tuple(n for n in order if n in b.names))
                       for b in effective.blocks)
        cell = dataclasses.replace(cell, blocks=blocks)
    return cell, effective


def _where(message: str, blocks: tuple) -> str:
    """Returns ` (layer 1, reverse direction)` for a message about an equation of one block."""
    for block in blocks:
        if block.layer is None:
            continue
        if any(f"equation `{name}`" in message for name in block.names):
            side = f", {block.direction} direction" if block.title.endswith(block.direction) else ""
            return f" (layer {block.layer}{side})"
    return ""


def _flatten(problem: Problem) -> tuple[Problem, tuple]:
    from rnncli.cells.builtin import load_cell_spec

    spec = load_cell_spec(problem.cell, problem.convention)
    dropped = set(spec.biases) if not problem.bias else set()
    texts = dict(spec.equations)
    texts.update((k, v) for k, v in problem.equations.items() if k in spec.equations)
    if problem.proj_size:
        texts["h"] = PROJECTION
    base = {name: _cell_equation(problem, name, text, dropped) for name, text in texts.items()}
    quantities = set(base)
    directions = ("forward", "reverse") if problem.bidirectional else ("forward",)
    lone = problem.layers == 1 and len(directions) == 1
    equations: dict[str, Node] = {}
    blocks = []
    below: Node = Name(spec.input)
    for layer in range(problem.layers):
        tops = []
        for direction in directions:
            suffix = "" if lone else f"_l{layer}" + ("_reverse" if direction == "reverse" else "")
            rename = _renamer(quantities, spec.input, below, suffix, direction == "reverse")
            names = []
            for name, expr in base.items():
                if suffix and name + suffix in problem.equations:   # `--set f_l1=0`: one layer
                    expr = _cell_equation(problem, name + suffix,
                                          problem.equations[name + suffix], dropped)
                equations[name + suffix] = _flat_concat(transform(expr, rename))
                names.append(name + suffix)
            title = f"layer {layer}" + (f" {direction}" if len(directions) > 1 else "")
            blocks.append(Block(title, layer, direction, tuple(names), suffix))
            tops.append(Name(spec.hidden + suffix))
        below = tops[0] if len(tops) == 1 else Concat(tuple(tops))
    equations[OUTPUT] = below
    top_names = [OUTPUT]
    if problem.output != "none":
        expr = _parse(problem, "y", READOUT_WRAP[problem.output].format(spec.readout))
        if dropped:
            expr = drop_names(expr, dropped) or Number(0.0)
        hidden = spec.hidden
        equations["y"] = transform(expr, lambda n: Name(OUTPUT) if isinstance(n, Name)
                                   and n.name == hidden else None)
        top_names.append("y")
    blocks.append(Block(OUTPUT, None, "forward", tuple(top_names)))
    inputs = problem.input_names or (spec.input,)
    flat = dataclasses.replace(
        problem, cell=None, convention="standard", output="none", equations=equations,
        sizes=_sizes(problem, spec, base, blocks), layers=1, bidirectional=False,
        proj_size=None, bias=True, input_names=tuple(inputs))
    return flat, tuple(blocks)


def _cell_equation(problem: Problem, name: str, text, dropped: set) -> Node:
    """Returns one equation in the cell's own names, biases dropped under `bias: false`."""
    expr = _parse(problem, name, text)
    return drop_names(expr, dropped) or Number(0.0) if dropped else expr


def _parse(problem: Problem, name: str, text) -> Node:
    if not isinstance(text, str):
        return text
    try:
        return parse_expression(text, equation=name)
    except RnncliError as exc:
        exc.message = f"equation `{name}`: {exc.message}"
        raise exc.located(problem.file, problem.line("equations", name)
                          or problem.line("cell")) from None


def _renamer(quantities: set, input_name: str, below: Node, suffix: str, reverse: bool):
    """Returns the leaf map of one layer and direction: suffixes, t+1 backwards, the input below."""
    def rename(node):
        if not isinstance(node, Name):
            return None
        if node.name in quantities:
            return Name(node.name + suffix, -node.lag if reverse else node.lag)
        if node.name == input_name:
            if node.lag:
                raise ProblemError(f"a stacked cell reads its input at step t only, not "
                                   f"`{input_name}[t-{node.lag}]`")
            return below
        return Name(node.name + suffix)
    return rename


def _flat_concat(node: Node) -> Node:
    """Returns `node` with concatenations inside concatenations spliced: [h[t-1], [a, b]]."""
    def leaf(sub):
        if isinstance(sub, Concat) and any(isinstance(i, Concat) for i in sub.items):
            items = []
            for item in sub.items:
                item = _flat_concat(item)
                items.extend(item.items if isinstance(item, Concat) else (item,))
            return Concat(tuple(items))
        return None
    return transform(node, leaf)


def _sizes(problem: Problem, spec, base: dict, blocks: list) -> dict:
    """Returns the flat problem's sizes: `input`, `hidden`, `output` and the cell's names per layer."""
    units = [b for b in blocks if b.layer is not None]
    sizes = {}
    for name, size in problem.sizes.items():
        if name in ("input", spec.input):
            sizes[spec.input] = size
        elif name in ("hidden", spec.hidden):
            for unit in units:
                sizes[spec.hidden + unit.suffix] = problem.proj_size or size
                if problem.proj_size and "c" in base:
                    sizes["c" + unit.suffix] = size
        elif name in ("output", "y"):
            sizes["y"] = size
        elif name in base:
            for unit in units:
                sizes[name + unit.suffix] = size
        else:
            sizes[name] = size
    return sizes
