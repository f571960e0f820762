"""Trace -> its `rnncli/trace@1` JSON written step by step, the very bytes `dumps` gives.

`dumps(trace_document(trace))` builds the whole document as Python lists of
floats first: for 10,000 steps of a 256-unit LSTM that is minutes of
`tolist` and `repr` and gigabytes of memory. Here the document's frame
(everything but the steps) is written by `dumps`, and the steps follow a few
at a time (about 65,000 numbers), built by `step_entry` as in the document
and encoded by orjson straight from numpy (over ten times faster than
`json`), so memory is bounded by a chunk of steps, not the document.

orjson writes the same shortest round-trip digits as Python's `repr`, in a
slightly different layout: no space after commas and colons (added back
here), and below 1e-4 `0.00001234` and `1e-7` where repr writes `1.234e-05`
and `1e-07` (a value with such entries is written by `json` instead, inside
orjson's output as a Fragment). So the stream is byte for byte the document
`dumps` would write (tests/test_json_stream.py checks it on random floats of
every magnitude). Without orjson installed the steps go through `json` a few
at a time: slower, the same bytes.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace

from rnncli.render.json_document import dumps, plain, step_entry, trace_document



CHUNK_VALUES = 1 << 16      # numbers encoded per orjson call: bounds memory, amortises calls
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def write_trace_json(trace, write) -> None:
    """Writes the JSON document of a trace through `write(str)`, a few steps at a time."""
    frame = dumps(trace_document(replace(trace, steps=())))
    head, steps_slot, tail = frame.partition('"steps": []')
    if not steps_slot or '"steps": []' in tail:    # pragma: no cover - the document's own keys
        raise AssertionError("the trace document has no single `steps` list")
    encode = steps_encoder()
    steps = trace.steps
    per_step = sum(int(getattr(v, "size", 1)) for v in (*steps[0].inputs.values(),
                                                        *steps[0].values.values())) if steps else 1
    size = max(1, CHUNK_VALUES // max(per_step, 1))
    write(head + '"steps": [')
    for start in range(0, len(steps), size):
        if start:
            write(", ")
        write(encode(steps[start:start + size]))
    write("]" + tail)


def steps_encoder():
    """Returns encode(steps) -> their JSON text inside the document: orjson's speed, json's bytes."""
    try:
        import orjson
    except ImportError:          # the optional speed-up is missing: the standard library
        return plain_steps
    import numpy as np

    option = orjson.OPT_SERIALIZE_NUMPY

    def as_is(value):
        if (isinstance(value, np.ndarray) and value.ndim and value.dtype == np.float64
                and value.flags.c_contiguous):
            return value
        return plain(value)      # numbers, 0-d and other dtypes: as trace_document has them

    def by_json(value):
        return orjson.Fragment(json.dumps(plain(value), separators=(",", ":"), allow_nan=False))

    def encode(steps) -> str:
        # orjson and repr differ only below 1e-4 (0.000015 for 1.5e-05, 1e-7 for 1e-07):
        # a value with such entries is written by json and included as a Fragment.
        small = _small_arrays(steps, np)

        def careful(value):
            value = as_is(value)
            if id(value) in small:
                return by_json(value)
            if isinstance(value, (float, list)) and _has_small(np.asarray(value, dtype=float)):
                return by_json(value)
            return value

        data = orjson.dumps([step_entry(s, careful) for s in steps], option=option)
        # json refuses NaN and infinity (orjson writes null). The layout rewrite is sound
        # when every string is a key without escapes, a comma or a colon: names.
        if (b"null" in data or b"\\" in data or data.count(b'"') != 2 * data.count(b'":')
                or not _names_only(steps)):
            return plain_steps(steps)
        return data[1:-1].replace(b",", b", ").replace(b'":', b'": ').decode("ascii")

    return encode


def _small_arrays(steps, np) -> set:
    """Returns the ids of the steps' float64 arrays with an entry below 1e-4 (0 aside).

    Checked a quantity at a time on the whole chunk (one stack per shape), not
    array by array.
    """
    by_shape: dict = {}
    for step in steps:
        for value in (*step.inputs.values(), *step.values.values()):
            if isinstance(value, np.ndarray) and value.ndim and value.dtype == np.float64:
                by_shape.setdefault(value.shape, []).append(value)
    small = set()
    for arrays in by_shape.values():
        block = np.abs(np.stack(arrays)).reshape(len(arrays), -1)
        flags = ((block < 1e-4) & (block != 0)).any(axis=1)
        small.update(id(arrays[i]) for i in np.flatnonzero(flags).tolist())
    return small


def _has_small(magnitudes) -> bool:
    magnitudes = abs(magnitudes)
    return bool(((magnitudes < 1e-4) & (magnitudes != 0)).any())


def _names_only(steps) -> bool:
    """Returns whether every key of the steps' entries is a name (letters, digits, _)."""
    names = set()
    for step in steps:
        names.update(step.inputs)
        names.update(step.values)
    return all(isinstance(n, str) and _NAME.fullmatch(n) for n in names)


def plain_steps(steps) -> str:
    """Returns the JSON text of steps inside the document through the standard library."""
    return ", ".join(dumps(step_entry(s)) for s in steps)
