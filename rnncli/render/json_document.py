"""Results -> plain JSON documents with a `schema` key (docs/file-formats.md), full float64 precision."""
from __future__ import annotations

import functools
import json


def plain(value):
    """Returns numpy values as JSON numbers and lists (shortest round-trip floats)."""
    tolist = getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


def _steps(trace) -> list:
    return [step_entry(s) for s in trace.steps]


def trace_document(trace, baseline=None) -> dict:
    """Returns the `rnncli/trace@1` document of a Trace (and of the unchanged run, compared)."""
    problem = trace.problem
    document = {
        "schema": "rnncli/trace@1",
        "title": problem.title,
        "time_start": problem.time_start,
        "steps": _steps(trace),
    }
    # Keys beyond spec §9 appear only when they say something: a network's initial
    # states (a backward direction's sit after the last step), packed tensors cut,
    # changes for this run, the mode, the unchanged run.
    if trace.cell.blocks:
        document["initial"] = {k: plain(v) for k, v in trace.initial.items()}
    if trace.splits:
        document["packed"] = [{"name": s.packed, "shape": list(s.shape), "parts": list(s.parts)}
                              for s in trace.splits]
    changed = {c.name: c.text for c in problem.changes if c.kind == "set"}
    if changed:
        document["set"] = changed
    if trace.cell.unused:
        document["unused"] = list(trace.cell.unused)
    if problem.teacher_forcing or baseline is not None:
        document["mode"] = "teacher forcing" if problem.teacher_forcing else "free running"
    if problem.teacher_forcing:
        document["teacher_forcing"] = dict(problem.teacher_forcing)
    if baseline is not None:
        document["baseline"] = {"mode": "free running", "steps": _steps(baseline)}
    return document


def step_entry(step, convert=plain) -> dict:
    """Returns one step of the trace document, its values passed through `convert`."""
    return {"t": step.t,
            "inputs": {k: convert(v) for k, v in step.inputs.items()},
            "values": {k: convert(v) for k, v in step.values.items()}}


def dumps(document: dict) -> str:
    """Returns a document as JSON text; NaN and infinities are refused, never written."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False)


# Numbers orjson must write exactly as `repr` does for rnncli to use it: large
# exponents (orjson before 3.11.7 wrote 1e16 where repr writes 1e+16), integral
# floats, the largest float. Numbers below 1e-4 are rewritten by the callers.
_PROBE = (1e16, 2.2202240046453884e16, 1e22, 1.5e300, 1.7976931348623157e308, 1e15, 123.0,
          0.1, -2.5, 0.0001, 12345678901234567.0, 100.0)


@functools.cache
def fast_json():
    """Returns orjson if it is installed and writes numbers as `dumps` does, else None.

    Checked once per process on a probe of numbers: an orjson whose text differs
    is not used (the standard library writes the same document, slower).
    """
    try:
        import numpy as np
        import orjson
    except ImportError:              # the optional speed-up is missing
        return None
    written = orjson.dumps(np.array(_PROBE), option=orjson.OPT_SERIALIZE_NUMPY)
    expected = ("[" + ",".join(repr(x) for x in _PROBE) + "]").encode("ascii")
    return orjson if written == expected else None
