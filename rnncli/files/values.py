"""Checks that turn YAML values into numbers, vectors and matrices, or say why not.

Shared by problem files and answers files, so both refuse the same things the
same way: booleans, strings, NaN, infinities and out-of-range magnitudes where
a number belongs, and ragged matrices.
"""
from __future__ import annotations

import math
from itertools import chain

from rnncli.errors import ProblemError, did_you_mean
from rnncli.files.yaml_source import Document

MAX_MAGNITUDE = 1e9


def describe(value) -> str:
    """Returns how a user would name a YAML value they wrote."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def fail(doc: Document, path: tuple, message: str):
    raise ProblemError(message, file=doc.file, line=doc.line(*path), key=".".join(map(str, path)))


def reject_unknown_keys(doc: Document, path: tuple, mapping: dict, allowed, what: str = "key",
                        where: str = "", tail: str = "") -> None:
    """Fails on the first key of `mapping` not in `allowed`, with a did-you-mean.

    The message reads: unknown {what} `key`{where} (did you mean `x`?){tail}.
    """
    for key in mapping:
        if key not in allowed:
            fail(doc, path + (key,),
                 f"unknown {what} `{key}`{where}{did_you_mean(key, allowed)}{tail}")


def key_name(path: tuple) -> str:
    """Returns `params.W[1]` style text for a path of keys and indices."""
    text = ""
    for part in path:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def as_number(doc: Document, path: tuple, value, what: str = "a number") -> float:
    """Returns `value` as a float, or fails naming the key when it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(doc, path, f"`{key_name(path)}` must be {what}, not {describe(value)}")
    if isinstance(value, int) and abs(value) > MAX_MAGNITUDE:
        fail(doc, path, f"`{key_name(path)}` = {_short(value)} is too large "
                        f"(at most {MAX_MAGNITUDE:g} in magnitude)")
    if math.isnan(value):
        fail(doc, path, f"`{key_name(path)}` must be a finite number, not NaN")
    if math.isinf(value):   # `.inf`, or a number such as 1e400 beyond float64
        fail(doc, path, f"`{key_name(path)}` must be a finite number (at most "
                        f"{MAX_MAGNITUDE:g} in magnitude), not infinity")
    if abs(value) > MAX_MAGNITUDE:
        fail(doc, path, f"`{key_name(path)}` = {value:g} is too large "
                        f"(at most {MAX_MAGNITUDE:g} in magnitude)")
    return float(value)


def _short(value: int) -> str:
    text = str(value) if value.bit_length() < 200 else f"a {len(str(value))}-digit number"
    return text if len(text) < 40 else text[:20] + "..."


def as_positive_int(doc: Document, path: tuple, value, limit: int = 1_000_000) -> int:
    """Returns `value` as a positive int, or fails naming the key."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(doc, path, f"`{key_name(path)}` must be a positive whole number, not {describe(value)}")
    if value > limit:
        fail(doc, path, f"`{key_name(path)}` = {_short(value)} is too large (at most {limit})")
    return value


def as_array(doc: Document, path: tuple, value):
    """Returns a number, vector (list) or matrix (list of rows) as a float64 numpy array."""
    import numpy as np

    if isinstance(value, list):
        checked = checked_array(value)
        if checked is not None:
            return checked
        if not value:
            fail(doc, path, f"`{key_name(path)}` is an empty list; expected numbers")
        if all(isinstance(row, list) for row in value):
            width = len(value[0])
            rows = []
            for i, row in enumerate(value):
                if len(row) != width:
                    fail(doc, path + (i,), f"`{key_name(path)}` is ragged: row {i + 1} has "
                                           f"{len(row)} entries, row 1 has {width}")
                if not row:
                    fail(doc, path + (i,), f"`{key_name(path + (i,))}` is an empty row")
                rows.append([_entry(doc, path + (i, j), v) for j, v in enumerate(row)])
            return np.array(rows, dtype=float)
        if any(isinstance(v, list) for v in value):
            fail(doc, path, f"`{key_name(path)}` mixes numbers and lists; a matrix is a list of rows")
        return np.array([_entry(doc, path + (i,), v) for i, v in enumerate(value)], dtype=float)
    return np.array(as_number(doc, path, value), dtype=float)


_NUMBER_TYPES = {int, float}


def checked_array(value: list):
    """Returns a list of numbers or of equal rows as a float64 array when every check passes, else None.

    The checks of `as_array` on the whole array at once (types, rectangular,
    finite, magnitude); None sends the caller down the entry-by-entry path,
    which finds the first problem and words it.
    """
    import numpy as np

    if not value:
        return None
    if type(value[0]) is list:
        width = len(value[0])
        if width == 0 or any(type(row) is not list or len(row) != width for row in value):
            return None
        types = set(map(type, chain.from_iterable(value)))
    else:
        types = set(map(type, value))
    if not types <= _NUMBER_TYPES:       # bool, str, None, nested lists, mappings
        return None
    try:
        array = np.array(value, dtype=float)
    except OverflowError:               # an int beyond float64
        return None
    # NaN fails the comparison too, so this one test is finite and not too large.
    if not (np.abs(array) <= MAX_MAGNITUDE).all():
        return None
    return array


def _entry(doc: Document, path: tuple, value) -> float:
    if isinstance(value, (list, dict)):
        fail(doc, path, f"`{key_name(path)}` is nested too deeply; a matrix is a list of rows of numbers")
    return as_number(doc, path, value)
