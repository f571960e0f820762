"""Trace -> its `rnncli/trace@1` JSON written step by step, the very bytes `dumps` gives.

`dumps(trace_document(trace))` builds the whole document as Python lists of
floats first: for 10,000 steps of a 256-unit LSTM that is minutes of
`tolist` and `repr` and gigabytes of memory. Here the document's frame
(everything but the steps) is written by `dumps`, and each step is written
as it comes, its arrays encoded by orjson straight from numpy (about 20
times faster than `json`), so memory is bounded by one step.

orjson writes the same shortest round-trip digits as Python's `repr`, in a
slightly different layout (`0.00001234`, `1e-7`, no space after commas);
`python_layout` turns its output into `json.dumps`'s exactly, so the stream
is byte for byte the document `dumps` would write (tests/test_json_stream.py
checks both on random floats of every magnitude). Without orjson installed
the arrays go through `json` one step at a time: slower, the same bytes.
"""
from __future__ import annotations

import json
import re
from dataclasses import replace

from rnncli.render.json_document import dumps, plain, step_entry, trace_document

_SLOT = re.compile(r'"\\u0000(\d+)"')
# orjson writes 1.5e-7 and 0.000015 where repr writes 1.5e-07 and 1.5e-05.
_SHORT_EXPONENT = re.compile(rb"e-(\d)(?!\d)")
_FIVE_ZEROS = re.compile(rb"(?<![\d.])0\.0000(\d)(\d*)")


def write_trace_json(trace, write) -> None:
    """Writes the JSON document of a trace through `write(str)`, one step at a time."""
    frame = dumps(trace_document(replace(trace, steps=())))
    head, steps_slot, tail = frame.partition('"steps": []')
    if not steps_slot or '"steps": []' in tail:    # pragma: no cover - the document's own keys
        raise AssertionError("the trace document has no single `steps` list")
    encode = array_encoder()
    write(head + '"steps": [')
    for index, step in enumerate(trace.steps):
        if index:
            write(", ")
        write(step_json(step, encode))
    write("]" + tail)


def step_json(step, encode) -> str:
    """Returns the JSON text of one step, as `dumps` writes it inside the document."""
    encoded: list[str] = []

    def slot(value) -> str:
        encoded.append(encode(value))
        return f"\x00{len(encoded) - 1}"          # a JSON string no name can spell

    text = dumps(step_entry(step, slot))
    return _SLOT.sub(lambda match: encoded[int(match.group(1))], text)


def array_encoder():
    """Returns encode(value) -> JSON text of a number or array: orjson's speed, json's bytes."""
    try:
        import orjson
    except ImportError:          # the optional speed-up is missing: the standard library
        return plain_encode
    import numpy as np

    option = orjson.OPT_SERIALIZE_NUMPY

    def encode(value) -> str:
        if (isinstance(value, np.ndarray) and value.ndim and value.dtype == np.float64
                and value.flags.c_contiguous):
            data = orjson.dumps(value, option=option)
            if b"n" in data:     # orjson writes NaN and infinities as null; json refuses them
                return plain_encode(value)
            return python_layout(data)
        return plain_encode(value)

    return encode


def plain_encode(value) -> str:
    """Returns the JSON text of a number or array through the standard library."""
    return json.dumps(plain(value), ensure_ascii=False, allow_nan=False)


def python_layout(data: bytes) -> str:
    """Returns orjson's text of an array of floats as json.dumps writes it (same digits)."""
    data = data.replace(b",", b", ")
    if b"e-" in data:
        data = _SHORT_EXPONENT.sub(rb"e-0\1", data)
    if b"0.0000" in data:
        data = _FIVE_ZEROS.sub(_scientific, data)
    return data.decode("ascii")


def _scientific(match: re.Match) -> bytes:
    first, rest = match.group(1), match.group(2)
    return first + (b"." + rest if rest else b"") + b"e-05"
