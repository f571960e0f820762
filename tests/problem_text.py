"""Builds problem-file YAML text from numbers, for tests that go through the whole loader.

Numbers are written with Python's shortest round-trip repr (`0.1`, `1e-05`),
which YAML 1.2 reads back as exactly the same float64, so a test that builds
its problem as text still compares bit-for-bit inputs. Nothing here imports
rnncli.
"""
from __future__ import annotations

import numpy as np


def number_text(value) -> str:
    """Returns a float as YAML 1.2 text that reads back exactly."""
    return repr(float(value))


def value_text(value) -> str:
    """Returns a number, vector or matrix as a YAML flow value."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return number_text(array)
    return "[" + ", ".join(value_text(v) for v in array) + "]"


def problem_yaml(*, cell=None, convention=None, params=None, inputs=None, initial=None,
                 equations=None, output=None, bias=None, sizes=None, steps=None,
                 title=None, extra: str = "") -> str:
    """Returns the text of a problem file with the given parts (None leaves a key out)."""
    lines = []
    if title is not None:
        lines.append(f"title: {title}")
    if cell is not None:
        lines.append(f"cell: {cell}")
    if convention is not None:
        lines.append(f"convention: {convention}")
    if output is not None:
        lines.append(f"output: {output}")
    if bias is not None:
        lines.append(f"bias: {'true' if bias else 'false'}")
    if equations:
        lines.append("equations:")
        lines += [f"  {name}: \"{text}\"" for name, text in equations.items()]
    if sizes:
        lines.append("sizes:")
        lines += [f"  {name}: {size}" for name, size in sizes.items()]
    if params:
        lines.append("params:")
        lines += [f"  {name}: {value_text(v)}" for name, v in params.items()]
    if initial:
        lines.append("initial:")
        lines += [f"  {name}: {value_text(v)}" for name, v in initial.items()]
    if inputs:
        lines.append("inputs:")
        lines += [f"  {name}: [{', '.join(value_text(v) for v in seq)}]"
                  for name, seq in inputs.items()]
    if steps is not None:
        lines.append(f"steps: {steps}")
    return "\n".join(lines) + "\n" + extra
