"""Packed framework tensors -> the per-gate parameters of the built-in cells.

PyTorch stores an LSTM's four input matrices as one `weight_ih_l0` of shape
(4H, I), gate blocks stacked by rows in the order i, f, g, o (GRU: r, z, n);
Keras stores them as one `kernel` of shape (I, 4H), blocks side by side by
columns in the order i, f, c, o (GRU: z, r, h), and the GRU's two biases as
one (2, 3H) `bias` (row 0 input side, row 1 recurrent side). A user may paste
either form under `params`; this module cuts the packed ones into the names
the cell's equations use, and says how (`Split`), once, for the heading.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rnncli.errors import ProblemError

# (cell, convention) -> packed base name -> (part names, axis, gate order shown)
_PYTORCH_GATES = {"lstm": "ifgo", "gru": "rzn"}
_KERAS_GATES = {("lstm", "keras"): ("i", "f", "c", "o"), ("gru", "keras"): ("z", "r", "h"),
                ("gru", "keras-reset-before"): ("z", "r", "h")}
_SUFFIX = r"(?P<suffix>_l(?P<layer>\d+)(?P<reverse>_reverse)?)?"


@dataclass(frozen=True)
class Split:
    """One packed tensor cut into per-gate parameters."""

    packed: str             # "weight_ih_l0"
    shape: tuple
    parts: tuple            # ("W_ii", "W_if", "W_ig", "W_io")
    how: str                # "rows, gate order i, f, g, o"

    def describe(self) -> str:
        """Returns `weight_ih_l0 (16×3) → W_ii, W_if, W_ig, W_io (rows, gate order i, f, g, o)`."""
        shape = "×".join(str(n) for n in self.shape)
        return f"{self.packed} ({shape}) → {', '.join(self.parts)} ({self.how})"


def _layout(cell: str, convention: str) -> dict:
    """Returns packed base name -> (part base names, axis, how) for a cell's convention."""
    if convention == "pytorch":
        if cell == "rnn":
            return {"weight_ih": (("W_ih",), 0, "renamed"), "weight_hh": (("W_hh",), 0, "renamed"),
                    "bias_ih": (("b_ih",), 0, "renamed"), "bias_hh": (("b_hh",), 0, "renamed")}
        gates = _PYTORCH_GATES.get(cell)
        if gates is None:
            return {}
        how = "rows, gate order " + ", ".join(gates)
        layout = {"weight_ih": (tuple(f"W_i{g}" for g in gates), 0, how),
                  "weight_hh": (tuple(f"W_h{g}" for g in gates), 0, how),
                  "bias_ih": (tuple(f"b_i{g}" for g in gates), 0, how),
                  "bias_hh": (tuple(f"b_h{g}" for g in gates), 0, how)}
        if cell == "lstm":
            layout["weight_hr"] = (("W_hr",), 0, "renamed (the projection)")
        return layout
    gates = _KERAS_GATES.get((cell, convention))
    if gates is None:
        return {}
    how = "columns, gate order " + ", ".join(gates)
    layout = {"kernel": (tuple(f"kernel_{g}" for g in gates), 1, how),
              "recurrent_kernel": (tuple(f"recurrent_kernel_{g}" for g in gates), 1, how),
              "bias": (tuple(f"bias_{g}" for g in gates), 0, how.replace("columns", "entries"))}
    if (cell, convention) == ("gru", "keras"):
        layout["bias"] = (tuple(f"bias_{g}" for g in gates)
                          + tuple(f"recurrent_bias_{g}" for g in gates), 0,
                          "row 0 input side, row 1 recurrent side; " + how)
    return layout


def unpack_params(problem, lone: bool) -> tuple[dict, tuple]:
    """Returns (params with every packed tensor cut into per-gate names, the Splits made).

    `lone` says the network is one layer in one direction, whose names carry no
    suffix: PyTorch's `weight_ih_l0` then becomes the bare `W_ii`.
    """
    layout = _layout(problem.cell, problem.convention) if problem.cell else {}
    if not layout:
        return problem.params, ()
    pattern = re.compile(r"^(?P<base>" + "|".join(sorted(layout, key=len, reverse=True))
                         + r")" + _SUFFIX + "$")
    params, splits = {}, []
    for name, value in problem.params.items():
        match = pattern.match(name)
        if not match:
            params[name] = value
            continue
        parts, axis, how = layout[match.group("base")]
        suffix = match.group("suffix") or ""
        if lone:
            if suffix not in ("", "_l0"):
                raise ProblemError(f"`params.{name}` belongs to a layer or direction that this "
                                   "one-layer network does not have", file=problem.file,
                                   line=problem.line("params", name))
            suffix = ""
        pieces = _cut(problem, name, value, len(parts), axis, match.group("base"))
        names = tuple(p + suffix for p in parts)
        for part, piece in zip(names, pieces):
            if part in problem.params:
                raise ProblemError(f"`params.{part}` is given twice: on its own and inside "
                                   f"`{name}`", file=problem.file, line=problem.line("params", part))
            params[part] = piece
        splits.append(Split(name, tuple(getattr(value, "shape", ())), names, how))
    return params, tuple(splits)


def _cut(problem, name: str, value, count: int, axis: int, base: str) -> list:
    import numpy as np

    value = np.asarray(value, dtype=float)
    if base == "bias" and problem.cell == "gru" and problem.convention == "keras":
        return _keras_gru_bias(problem, name, value, count)
    if count == 1:
        return [value]
    if value.ndim <= axis or value.shape[axis] % count:
        length = value.shape[axis] if value.ndim > axis else 1
        raise ProblemError(f"`params.{name}` packs {count} gate blocks along its "
                           f"{'rows' if axis == 0 else 'columns'}, but has {length}, which "
                           f"{count} does not divide", file=problem.file,
                           line=problem.line("params", name))
    return [np.ascontiguousarray(p) for p in np.split(value, count, axis=axis)]


def _keras_gru_bias(problem, name: str, value, count: int) -> list:
    """Keras GRU(reset_after=True) keeps input and recurrent biases as the rows of one (2, 3H)."""
    if value.ndim != 2 or value.shape[0] != 2 or value.shape[1] % (count // 2):
        raise ProblemError(f"`params.{name}` of a Keras GRU (reset_after) has shape (2, 3H): "
                           "row 0 the input biases, row 1 the recurrent biases",
                           file=problem.file, line=problem.line("params", name))
    import numpy as np

    return [np.ascontiguousarray(p) for row in value for p in np.split(row, count // 2)]
