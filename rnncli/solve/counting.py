"""Problem -> `ParamCount`: every parameter's shape, count and formula, from the equations.

No cell has a formula here. Each parameter's shape comes from shape inference
over the cell's equations (rnncli.language.shape_unification), and each dimension remembers which
size it came from (I, H, O, n_h1, H+I), so the formula is read off the shape:
W_xh (H, I) gives `H·I = 128·20 = 2560`. Stacking (layers, bidirectional,
proj_size) rebuilds the cell per layer (rnncli.cells.stacking); `fixed:` parameters
are counted but not trained; a `symmetric:` matrix without self-connections has
n(n-1)/2 free entries (Hopfield's convention: w_ij = w_ji, w_ii = 0).
"""
from __future__ import annotations

from dataclasses import dataclass

from rnncli.display import Displayable
from rnncli.errors import ProblemError, ShapeError
from rnncli.language.expression import BinOp, Name, Node, walk
from rnncli.files.problem import Problem
from rnncli.cells.stacking import Network, Unit, build_network

MINUS = "−"


@dataclass(frozen=True)
class ParamRow:
    """One parameter (one layer's and direction's copy of it, when stacked)."""

    name: str                   # unique: the equations' name plus the layer suffix (W_ii_l1)
    base: str                   # the name in the equations (W_ii)
    role: str                   # "input → forget gate", "bias of the read-out", ...
    shape: tuple                # ints; () for a scalar
    count: int                  # free entries (a symmetric matrix counts n(n-1)/2)
    symbolic: str               # "H·I"
    formula: str                # "H·I = 128·20 = 2560"
    group: str                  # "layer 1 reverse", "read-out", "cell", or "" alone
    layer: int | None
    direction: str | None
    trainable: bool = True
    symmetric: bool = False


@dataclass(frozen=True)
class Subtotal:
    name: str                   # the group: "layer 0 forward", "read-out"
    layer: int | None
    direction: str | None
    count: int                  # every entry of the group (trainable or not)
    trainable: int


@dataclass(frozen=True)
class ParamCount(Displayable):
    """The parameter table of a problem; `total` counts the trainable parameters."""

    problem: Problem
    description: str            # "lstm (pytorch), 2 layers, bidirectional"
    sizes: tuple                # (label, value, quantity): the sizes the formulas use, I first
    rows: tuple                 # ParamRow
    subtotals: tuple            # Subtotal, when there is more than one group
    total: int                  # trainable parameters
    fixed: int                  # parameters that are not trained (`fixed:`)
    inputs_by_name: tuple = ()  # inputs taken by their name alone (x, x1, x_t; no `inputs:`)

    @property
    def all(self) -> int:
        """Returns every parameter, trained or not."""
        return self.total + self.fixed

    def row(self, name: str) -> ParamRow:
        return next(r for r in self.rows if r.name == name)


def count_parameters(problem: Problem) -> ParamCount:
    """Returns the parameter table of a problem (sizes alone suffice)."""
    try:
        network = build_network(problem)
    except ShapeError as exc:
        if problem.cell and not (problem.sizes or problem.params or problem.inputs):
            read_out = ", output: O" if problem.output != "none" else ""
            raise ProblemError(f"cell `{problem.cell}` needs sizes to be counted; add `sizes: "
                               f"{{input: I, hidden: H{read_out}}}`", file=problem.file,
                               line=problem.line("cell")) from None
        raise
    _check_symmetric(problem, network)
    readout = _readout_params(problem, network)
    rows = []
    for unit in network.units:
        values = {**_scalar_sizes(problem, unit.cell), **_label_values(unit.cell)}
        for name in unit.cell.params:
            group = unit.group
            if not network.stacked and readout:
                group = "read-out" if name in readout else "cell"
            rows.append(_row(problem, unit, name, values, group))
    subtotals = _subtotals(rows)
    total = sum(r.count for r in rows if r.trainable)
    fixed = sum(r.count for r in rows if not r.trainable)
    return ParamCount(problem, _describe(problem, network), _sizes(problem, network),
                      tuple(rows), subtotals, total, fixed, network.base.inputs_by_name)


def _row(problem: Problem, unit: Unit, name: str, values: dict, group: str) -> ParamRow:
    cell = unit.cell
    shape = tuple(cell.shapes[name])
    dims = cell.dims[name] or ()
    labels = [_show_label(d.root().label, d.root().value, unit.labels) for d in dims]
    numbers = [_show_value(d.root().label, d.root().value, values) for d in dims]
    symmetric = name in problem.symmetric
    if symmetric:
        n = shape[0]
        count = n * (n - 1) // 2
        symbolic = f"{labels[0]}·({labels[0]}{MINUS}1)/2"
        formula = f"{symbolic} = {n}·{n - 1}/2 = {count}"
    else:
        count = 1
        for n in shape:
            count *= n
        if len(labels) > 1:
            labels = [f"({x})" if "+" in x else x for x in labels]
        symbolic = "·".join(labels) or "1"
        numeric = "·".join(numbers) or "1"
        formula = " = ".join(dict.fromkeys([symbolic, numeric, str(count)]))
    role = unit.roles.get(name) or _role(cell, name)
    readout = group == "read-out"
    return ParamRow(name=name + unit.suffix, base=name, role=role, shape=shape, count=count,
                    symbolic=symbolic, formula=formula, group=group,
                    layer=None if readout else unit.layer,
                    direction=None if readout else unit.direction,
                    trainable=name not in problem.fixed, symmetric=symmetric)


def _show_label(label: str | None, value: int, shown: dict) -> str:
    """Returns a dimension's label as the formula shows it (I of layer 1 is 2H)."""
    if not label:
        return str(value)
    return "+".join(shown.get(part, part) for part in label.split("+"))


def _show_value(label: str | None, value: int, values: dict) -> str:
    """Returns a dimension's size as the formula shows it: 148, or (128+20) for H+I."""
    if label and "+" in label:
        parts = [values.get(part, part if part.isdigit() else None) for part in label.split("+")]
        if all(p is not None for p in parts):
            return "(" + "+".join(str(p) for p in parts) + ")"
    return str(value)


def _label_values(cell) -> dict:
    """Returns label -> size for every labelled, non-concatenated dimension of a cell."""
    values = {}
    for dims in cell.dims.values():
        for dim in dims or ():
            root = dim.root()
            if root.label and "+" not in root.label and root.value is not None:
                values.setdefault(root.label, root.value)
    return values


def _scalar_sizes(problem: Problem, cell) -> dict:
    """Returns letter -> 1 for a scalar input, hidden state or read-out (I = 1 for a number x).

    A concatenation [h, x] with a number x is H+I wide, as with `sizes: {input: 1}`,
    so both give the same formula H·(H+I).
    """
    from rnncli.cells.shape_inference import ALIAS_LABELS, size_targets

    return {ALIAS_LABELS[alias]: 1 for alias, name in size_targets(problem, cell).items()
            if cell.shapes.get(name) == ()}


def _role(cell, name: str) -> str:
    """Returns a parameter's role: the cell file's, else read off the equations that use it."""
    if cell.spec and name in cell.spec.roles:
        return cell.spec.roles[name]
    from rnncli.language.printing.source import to_source

    uses = []
    for equation in cell.equations:
        use = _use(equation.expr, name, equation.name, to_source)
        if use:
            uses.append(use)
    return "; ".join(dict.fromkeys(uses)) or cell.role(name)


def _use(expr: Node, name: str, target: str, to_source) -> str | None:
    """Returns how an equation uses a parameter: `x → h`, `bias of h`, or None."""
    found = None
    for node in walk(expr):
        if not isinstance(node, BinOp):
            continue
        sides = ((node.left, node.right), (node.right, node.left))
        for mine, other in sides:
            if isinstance(mine, Name) and mine.name == name:
                if node.op in ("@", "*"):
                    return f"{to_source(other)} → {target}"
                if node.op in ("+", "-"):
                    found = f"bias of {target}"
    if found is None and any(isinstance(n, Name) and n.name == name for n in walk(expr)):
        found = f"used by {target}"
    return found


def _readout_params(problem: Problem, network: Network) -> set:
    """Returns the parameters that `output:` added to a lone built-in cell."""
    cell = network.base
    if network.stacked or problem.output == "none" or cell.spec is None:
        return set()
    from rnncli.language.equations import parse_expression
    from rnncli.language.expression import names

    readout = {n.name for n in names(parse_expression(cell.spec.readout, equation="y"))}
    used_elsewhere = {n.name for e in cell.equations if e.name != "y" for n in names(e.expr)}
    return {p for p in cell.params if p in readout and p not in used_elsewhere}


def _check_symmetric(problem: Problem, network: Network) -> None:
    for i, name in enumerate(problem.symmetric):
        shape = network.base.shapes.get(name)
        if shape is None or len(shape) != 2 or shape[0] != shape[1]:
            what = "a scalar" if shape == () else f"shape {shape}"
            raise ProblemError(f"`symmetric` names `{name}`, which has {what}; only a square "
                               "matrix can be symmetric", file=problem.file,
                               line=problem.line("symmetric", i))


def _subtotals(rows: list) -> tuple:
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    if len(groups) < 2:
        return ()
    return tuple(Subtotal(name, members[0].layer if name != "read-out" else None,
                          members[0].direction if name != "read-out" else None,
                          sum(r.count for r in members),
                          sum(r.count for r in members if r.trainable))
                 for name, members in groups.items())


def _sizes(problem: Problem, network: Network) -> tuple:
    from rnncli.cells.shape_inference import ALIAS_LABELS, size_targets

    values = _label_values(network.base)
    # A scalar's letter is a size of the formulas only where a concatenation uses it.
    used = {part for dims in network.base.dims.values() for dim in dims or ()
            if dim.root().label and "+" in dim.root().label
            for part in dim.root().label.split("+")}
    for label, value in _scalar_sizes(problem, network.base).items():
        if label in used:
            values.setdefault(label, value)
    order = {"I": 0, "H": 1, "O": 2}
    sizes = sorted(values.items(), key=lambda item: (order.get(item[0], 3), item[0]))
    named = {ALIAS_LABELS[alias]: name
             for alias, name in size_targets(problem, network.base).items()}
    sizes = [(label, value, named.get(label, label[2:] if label.startswith("n_") else None))
             for label, value in sizes]
    if problem.proj_size:
        # With a projection H is the cell state's size and h has size P.
        sizes = [(l, v, "c" if l == "H" else n) for l, v, n in sizes]
        sizes.insert(2, ("P", problem.proj_size, "h"))
    return tuple(sizes)


def _describe(problem: Problem, network: Network) -> str:
    cell = network.base
    if cell.spec:
        parts = [f"{problem.cell} ({problem.convention})"]
        if problem.equations:
            parts.append("with your equations for " + ", ".join(problem.equations))
    else:
        parts = ["custom equations (" + ", ".join(cell.quantities) + ")"]
    if problem.layers > 1:
        parts.append(f"{problem.layers} layers")
    if problem.bidirectional:
        parts.append("bidirectional")
    if problem.proj_size:
        parts.append(f"projection P = {problem.proj_size}")
    if not problem.bias:
        parts.append("no biases")
    if problem.output != "none":
        parts.append(f"{problem.output} read-out")
    return ", ".join(parts)
