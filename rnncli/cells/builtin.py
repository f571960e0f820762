"""The built-in cells: equation files shipped in `rnncli/cells/data/<cell>/<convention>.yaml`.

A cell is data in the same equation language users write; this module only
finds and reads those files. Adding a convention is adding a file.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rnncli.errors import ProblemError, did_you_mean

SPEC_KEYS = ("summary", "source", "input", "hidden", "equations", "readout", "readout_name",
             "roles", "biases")
LSTM_FAMILY = ("lstm", "lstm-peephole", "lstm-coupled")


@dataclass(frozen=True)
class CellSpec:
    """A built-in cell in one convention, as its data file states it."""

    cell: str
    convention: str
    summary: str
    source: str
    input: str
    hidden: str
    equations: dict          # name -> expression text, in the order of the file
    readout: str | None      # pre-activation of the read-out y
    roles: dict              # parameter -> what it does
    biases: tuple            # what `bias: false` removes
    path: str
    readout_name: str | None = None   # the source's name of that pre-activation (o)


def _root() -> Path:
    # The package is installed as plain files (setup.cfg package_data); a path is
    # enough, and importlib.resources would cost every command ~10 ms of imports.
    return Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def cell_names() -> tuple:
    """Returns the names of the built-in cells, sorted."""
    return tuple(sorted(p.name for p in _root().iterdir() if p.is_dir()))


@lru_cache(maxsize=None)
def conventions(cell: str) -> tuple:
    """Returns the conventions of a built-in cell, `standard` first."""
    if cell not in cell_names():
        raise ProblemError(f"unknown cell `{cell}`{did_you_mean(cell, cell_names())}; "
                           f"built-in cells: {', '.join(cell_names())}", key="cell")
    found = sorted(p.name[:-5] for p in (_root() / cell).iterdir() if p.name.endswith(".yaml"))
    return tuple(sorted(found, key=lambda c: (c != "standard", c)))


@lru_cache(maxsize=None)
def load_cell_spec(cell: str, convention: str = "standard") -> CellSpec:
    """Returns the equations and parameter roles of a built-in cell in one convention."""
    from rnncli.files.yaml_source import parse_yaml

    available = conventions(cell)
    if convention not in available:
        raise ProblemError(f"cell `{cell}` has no convention `{convention}`"
                           f"{did_you_mean(convention, available)}; it has: {', '.join(available)}",
                           key="convention")
    resource = _root() / cell / f"{convention}.yaml"
    data = parse_yaml(resource.read_text(encoding="utf-8"), f"rnncli/cells/{cell}/{convention}.yaml").data
    unknown = set(data) - set(SPEC_KEYS)
    if unknown:  # a packaging bug, not a user's mistake
        raise ValueError(f"{resource}: unknown keys {sorted(unknown)}")
    return CellSpec(cell=cell, convention=convention, summary=data["summary"],
                    source=data["source"], input=data["input"], hidden=data["hidden"],
                    equations=dict(data["equations"]), readout=data.get("readout"),
                    roles=dict(data.get("roles", {})), biases=tuple(data.get("biases", ())),
                    path=f"rnncli/cells/{cell}/{convention}.yaml",
                    readout_name=data.get("readout_name"))


@lru_cache(maxsize=None)
def spec_params(cell: str, convention: str) -> frozenset:
    """Returns the parameter names of a built-in cell in one convention, read-out included."""
    from rnncli.language.equations import parse_expression
    from rnncli.language.expression import names

    spec = load_cell_spec(cell, convention)
    texts = dict(spec.equations)
    if spec.readout:
        texts["y"] = spec.readout
    used = {n.name for name, text in texts.items()
            for n in names(parse_expression(text, equation=name))}
    return frozenset(used - set(texts) - {spec.input})


def convention_with_names(cell: str, convention: str, given) -> tuple[str, str] | None:
    """Returns the (cell, convention) whose parameters are the names `given`, or None.

    For a problem whose parameters are named as in another published form of
    its cell (PyTorch's W_ii under the standard LSTM's W_i), so that the error
    can say which `convention:` was meant. The problem's own cell comes first;
    the match must cover every given name that the problem's cell lacks.
    """
    mine = spec_params(cell, convention)
    strange = set(given) - mine
    if not strange:
        return None
    best, best_score = None, 0
    cells = [cell] + [c for c in cell_names() if c != cell]
    for other_cell in cells:
        for other in conventions(other_cell):
            if (other_cell, other) == (cell, convention):
                continue
            theirs = spec_params(other_cell, other)
            score = len(set(given) & theirs)
            if strange <= theirs and score > best_score:
                best, best_score = (other_cell, other), score
        if best is not None:
            return best
    return None
