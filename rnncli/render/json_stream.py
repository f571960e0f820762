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
and `1e-07` (those few numbers are found by substring search and rewritten
by repr). So the stream is byte for byte the document `dumps` would write (tests/test_json_stream.py checks it on random floats of
every magnitude). Without orjson installed the steps go through `json` a few
at a time: slower, the same bytes.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rnncli.render.json_document import dumps, fast_json, plain, step_entry, trace_document



NUMBER_CHARS = 32          # longer than any number orjson writes (-1.2345678901234567e-100)
CHUNK_VALUES = 1 << 16      # numbers encoded per orjson call: bounds memory, amortises calls
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def write_trace_json(trace, write, baseline=None) -> None:
    """Writes the JSON document of a trace through `write(str)`, a few steps at a time."""
    if baseline is not None:
        # --compare is for what-if questions on small problems: its two step lists
        # go out whole.
        write(dumps(trace_document(trace, baseline)))
        return
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
    orjson = fast_json()
    if orjson is None:           # missing, or writing numbers otherwise: the standard library
        return plain_steps
    import numpy as np

    option = orjson.OPT_SERIALIZE_NUMPY

    ndarray, float64 = np.ndarray, np.dtype(np.float64)

    def vector(value) -> bool:   # what orjson writes from numpy exactly as tolist() + json
        return (type(value) is ndarray and value.ndim > 0 and value.dtype == float64
                and value.flags.c_contiguous)

    def as_is(value):
        return value if vector(value) else plain(value)

    direct: list = []            # [whether step_entry is the record as it is], decided once

    def encode(steps) -> str:
        if not direct:
            direct.append(_entry_is_the_record(steps[0]))
        # A step of float64 vectors goes to orjson as the record's own dicts, with no
        # Python call per value; any other step through step_entry.
        entries = [{"t": s.t, "inputs": s.inputs, "values": s.values}
                   if direct[0] and type(s.t) is int and all(map(vector, s.inputs.values()))
                   and all(map(vector, s.values.values())) else step_entry(s, as_is)
                   for s in steps]
        records_only = all(type(e) is dict and e.get("inputs") is s.inputs
                           for e, s in zip(entries, steps))
        data = orjson.dumps(entries, option=option)
        # json refuses NaN and infinity (orjson writes null). The layout rewrite is sound
        # when every string is a key without escapes, a comma or a colon: names (a
        # record's dicts hold names and vectors only; anything else is counted).
        if _places(data, b"null") or not _names_only(steps) or (not records_only and (
                b"\\" in data or data.count(b'"') != 2 * data.count(b'":'))):
            return plain_steps(steps)
        data = repr_numbers(data).replace(b",", b", ")
        # In records every string is a name and no number has a colon, so each colon ends
        # a key: a one-byte pattern, replaced several times faster than the two-byte `":`.
        data = data.replace(b":", b": ") if records_only else data.replace(b'":', b'": ')
        return str(memoryview(data)[1:-1], "ascii")     # the list's brackets off, uncopied

    return encode

# Above one number in this many below 1e-4, an array is written by the standard library.
SMALL_NUMBERS_SHARE = 20


def array_json(value) -> str | None:
    """Returns a float64 array's JSON text as `dumps(value.tolist())` writes it, by orjson; None
    when orjson is missing (or writes numbers otherwise) or the array holds NaN or infinity."""
    orjson = fast_json()
    if orjson is None:
        return None
    data = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    if b"null" in data:           # NaN or infinity: dumps refuses them, as it must
        return None
    # Numbers below 1e-4 are rewritten one by one (repr_numbers); where they are common
    # (a wrong answer's differences, 0.00003 at every entry) the standard library's own
    # writing of the whole array is several times cheaper than finding each of them.
    if (data.count(b"e-") + data.count(b"0.0000")) * SMALL_NUMBERS_SHARE > value.size:
        import json

        return json.dumps(value.tolist())
    return repr_numbers(data).replace(b",", b", ").decode("ascii")


def repr_numbers(data: bytes) -> bytes:
    """Returns orjson's compact text with its numbers below 1e-4 as repr writes them.

    orjson writes 0.000015 and 1e-7 where repr writes 1.5e-05 and 1e-07; every
    other number is the same text. Such numbers are found by plain substring
    search (few in any real trace) and each is rewritten as repr(float(text)):
    orjson's digits round-trip, so float() gets the value back exactly.
    """
    places = _places(data, b"e-")
    at = data.find(b"0.0000")    # (by its first byte, a digit, this would be slower)
    while at != -1:
        places.append(at)
        at = data.find(b"0.0000", at + 1)
    if not places:
        return data
    pieces, done, view = [], 0, memoryview(data)     # (slices of a view are not copies)
    for at in sorted(places):
        if at < done:
            continue             # a second pattern inside a number already rewritten
        # A number is at most 25 characters: look only that far (a search to the end of
        # the text for each number made a document full of small numbers quadratic).
        low, high = max(done, at - NUMBER_CHARS), min(len(data), at + NUMBER_CHARS)
        start = max(done, data.rfind(b",", low, at) + 1, data.rfind(b"[", low, at) + 1,
                    data.rfind(b":", low, at) + 1)
        ends = [e for e in (data.find(b",", at, high), data.find(b"]", at, high),
                            data.find(b"}", at, high)) if e != -1]
        end = min(ends) if ends else high
        pieces += [view[done:start], repr(float(data[start:end])).encode("ascii")]
        done = end
    pieces.append(view[done:])
    return b"".join(pieces)


def _places(data: bytes, pattern: bytes) -> list:
    """Returns where `pattern` starts in data, found by its first byte, a letter.

    bytes.find of a short pattern ending in a byte as common as `-` or `l` reads
    the text several times slower than the C library's search for one byte,
    which then finds only the rare letters (in names, `e` of exponents, `null`).
    """
    first, places = pattern[:1], []
    at = data.find(first)
    while at != -1:
        if data.startswith(pattern, at):
            places.append(at)
        at = data.find(first, at + 1)
    return places


def _entry_is_the_record(step) -> bool:
    """Returns whether step_entry writes a step as {t, inputs, values} of its record, as is."""
    entry = step_entry(step, lambda value: ("value", id(value)))
    return entry == {"t": step.t,
                     "inputs": {k: ("value", id(v)) for k, v in step.inputs.items()},
                     "values": {k: ("value", id(v)) for k, v in step.values.items()}}


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
