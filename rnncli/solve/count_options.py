"""Command-line options -> `Problem` (count-params without a file), and `--compare` -> `Comparison`.

Options arrive as click gives them (text or None) and are checked here, so a
bad value is one `Error:` line and exit 2 like every other mistake.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rnncli.cells.builtin import conventions
from rnncli.errors import RnncliError, UsageError
from rnncli.files.problem import Problem

COMMAND_LINE = "<command line>"
MAX_LAYERS = 100
MAX_SIZE = 10**9


@dataclass(frozen=True)
class NetworkSizes:
    """What the options say about a network apart from its cell."""

    input_size: int
    hidden_size: int
    output_size: int | None = None
    layers: int = 1
    bidirectional: bool = False
    proj_size: int | None = None
    bias: bool = True

    def problem(self, cell: str, convention: str) -> Problem:
        """Returns the sizes-only Problem of a built-in cell with these sizes."""
        sizes = {"input": self.input_size, "hidden": self.hidden_size}
        if self.output_size is not None:
            sizes["output"] = self.output_size
        return Problem(file=COMMAND_LINE, title=None, cell=cell, convention=convention,
                       output="linear" if self.output_size is not None else "none",
                       sizes=sizes, layers=self.layers, bidirectional=self.bidirectional,
                       proj_size=self.proj_size, bias=self.bias)


def whole_number(option: str, value, *, minimum: int = 1, maximum: int = MAX_SIZE) -> int | None:
    """Returns an option's value as an int, None when it was not given; UsageError otherwise."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or number < minimum:
        what = "a positive whole number" if minimum == 1 else f"a whole number from {minimum}"
        raise UsageError(f"{option} must be {what}, not {text!r}")
    if number > maximum:
        raise UsageError(f"{option} must be at most {maximum}, not {number}")
    return number


def sizes_from_options(*, input_size, hidden_size, output_size=None, layers=None,
                       bidirectional=False, proj_size=None, no_bias=False) -> NetworkSizes:
    """Returns the checked NetworkSizes of the count-params options."""
    sizes = NetworkSizes(
        input_size=whole_number("--input-size", input_size),
        hidden_size=whole_number("--hidden-size", hidden_size),
        output_size=whole_number("--output-size", output_size),
        layers=whole_number("--layers", layers, maximum=MAX_LAYERS) or 1,
        bidirectional=bool(bidirectional),
        proj_size=whole_number("--proj-size", proj_size, minimum=0) or None,
        bias=not no_bias,
    )
    missing = [o for o, v in (("--input-size", sizes.input_size),
                              ("--hidden-size", sizes.hidden_size)) if v is None]
    if missing:
        raise UsageError(f"give {' and '.join(missing)} (or a PROBLEM file) to describe the network")
    if sizes.proj_size is not None and sizes.proj_size >= sizes.hidden_size:
        raise UsageError(f"--proj-size {sizes.proj_size} must be smaller than --hidden-size "
                         f"{sizes.hidden_size}, as in PyTorch")
    return sizes


def problem_from_options(cell: str, convention: str | None, sizes: NetworkSizes) -> Problem:
    """Returns the Problem that `--cell C --convention K --input-size I ...` describe."""
    convention = convention or "standard"
    spec = _spec(cell, convention)
    if sizes.output_size is not None and spec.readout is None:
        raise UsageError(f"--output-size: cell `{cell}` ({convention}) has no read-out")
    if sizes.proj_size is not None and (cell, convention) != ("lstm", "pytorch"):
        raise UsageError("--proj-size is PyTorch's LSTM projection: it needs --cell lstm "
                         f"--convention pytorch, not --cell {cell} --convention {convention}")
    return sizes.problem(cell, convention)


def _spec(cell: str, convention: str, option: str | None = None):
    from rnncli.cells.builtin import load_cell_spec

    try:
        return load_cell_spec(cell, convention)
    except RnncliError as exc:
        where = option or ("--convention" if exc.key == "convention" else "--cell")
        raise UsageError(f"{where}: {exc.message}") from None


@dataclass(frozen=True)
class CompareEntry:
    label: str                  # as typed: "gru", "lstm:keras", "lstm@64"
    cell: str
    convention: str
    hidden_size: int
    total: int                  # trainable parameters
    ratio: float | None         # total / the first entry's total


@dataclass(frozen=True)
class Comparison:
    """Counts of several cells for the same sizes; the first entry is the baseline."""

    sizes: NetworkSizes
    entries: tuple


def compare_cells(items: str, sizes: NetworkSizes, default_convention: str | None,
                  baseline: Problem | None = None) -> Comparison:
    """Returns the counts of `cell[:convention][@hidden]` items, after the baseline if given.

    An item without a convention takes `default_convention` when its cell has
    that convention, else `standard`; `@N` replaces the hidden size.
    """
    from rnncli.solve.counting import count_parameters

    if sizes.proj_size is not None:
        raise UsageError("--compare counts cells without a projection; drop --proj-size")
    entries = []
    if baseline is not None:
        label = baseline.cell or "your cell"
        if baseline.cell and baseline.convention != "standard":
            label += f":{baseline.convention}"
        entries.append((label, baseline.cell or "custom", baseline.convention if baseline.cell
                        else "-", sizes.hidden_size, count_parameters(baseline).total))
    for item in [i.strip() for i in items.split(",")]:
        if not item:
            raise UsageError(f"--compare: an empty cell name in {items!r}; give cells as "
                             "lstm,gru,lstm-coupled")
        cell, convention, hidden = _parse_item(item, default_convention)
        item_sizes = replace(sizes, hidden_size=hidden or sizes.hidden_size)
        problem = problem_from_options(cell, convention, item_sizes)
        entries.append((item, cell, convention, item_sizes.hidden_size,
                        count_parameters(problem).total))
    first = entries[0][4]
    return Comparison(sizes, tuple(
        CompareEntry(label, cell, convention, hidden, total, total / first if first else None)
        for label, cell, convention, hidden, total in entries))


def _parse_item(item: str, default_convention: str | None):
    text, _, hidden = item.partition("@")
    cell, _, convention = text.partition(":")
    cell = cell.strip()
    try:
        available = conventions(cell)
    except RnncliError as exc:
        raise UsageError(f"--compare: {exc.message}") from None
    if not convention:
        convention = default_convention if default_convention in available else "standard"
    hidden_size = whole_number(f"--compare {item}: the hidden size after @", hidden) if hidden else None
    _spec(cell, convention.strip(), f"--compare {item}")
    return cell, convention.strip(), hidden_size


def sizes_of_problem(problem: Problem) -> NetworkSizes:
    """Returns a problem's sizes as NetworkSizes, for comparing other cells with it."""
    from rnncli.cells.stacking import build_network

    network = build_network(problem)
    if network.input_size is None or network.hidden_size is None:
        raise UsageError(f"--compare needs the input and hidden sizes, and {problem.file} has no "
                         "single input and hidden state `h` to take them from")
    return NetworkSizes(network.input_size, network.hidden_size, network.output_size,
                        problem.layers, problem.bidirectional, problem.proj_size, problem.bias)


NETWORK_OPTIONS = ("--cell", "--convention", "--input-size", "--hidden-size", "--output-size",
                   "--layers", "--bidirectional", "--proj-size", "--no-bias")


def count_request(problem_path: str | None, *, compare: str | None = None, **options):
    """Returns the ParamCount or Comparison that the count-params command asks for.

    `options` are the network options by their Python names (cell, convention,
    input_size, hidden_size, output_size, layers, bidirectional, proj_size, no_bias).
    """
    from rnncli.solve.counting import count_parameters

    given = [flag for flag, key in zip(NETWORK_OPTIONS, (
        "cell", "convention", "input_size", "hidden_size", "output_size", "layers",
        "bidirectional", "proj_size", "no_bias")) if options.get(key) not in (None, False)]
    if problem_path is not None:
        if given:
            raise UsageError(f"{given[0]} describes a network without a PROBLEM file; give the "
                             "file or the options, not both")
        from rnncli.files.problem import load_problem

        problem = load_problem(problem_path)
        if compare is None:
            return count_parameters(problem)
        return compare_cells(compare, sizes_of_problem(problem),
                             problem.convention if problem.cell else None, baseline=problem)
    cell, convention = options.get("cell"), options.get("convention")
    if not cell and compare is None:
        raise UsageError("give a PROBLEM file, or --cell with --input-size and --hidden-size "
                         "(see rnncli count-params --help)")
    sizes = sizes_from_options(**{k: options.get(k) for k in (
        "input_size", "hidden_size", "output_size", "layers", "bidirectional", "proj_size",
        "no_bias")})
    baseline = problem_from_options(cell, convention, sizes) if cell else None
    if compare is None:
        return count_parameters(baseline)
    return compare_cells(compare, sizes, convention, baseline=baseline)


def steps_from_options(values) -> tuple:
    """Returns the --steps values as ints (each a positive whole number)."""
    return tuple(whole_number("--steps", v, maximum=1_000_000) for v in values or ())
