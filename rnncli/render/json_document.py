"""Results -> plain JSON documents with a `schema` key (docs/file-formats.md), full float64 precision."""
from __future__ import annotations

import json


def plain(value):
    """Returns numpy values as JSON numbers and lists (shortest round-trip floats)."""
    tolist = getattr(value, "tolist", None)
    return tolist() if tolist is not None else value


def trace_document(trace) -> dict:
    """Returns the `rnncli/trace@1` document of a Trace."""
    return {
        "schema": "rnncli/trace@1",
        "title": trace.problem.title,
        "time_start": trace.problem.time_start,
        "steps": [{"t": s.t,
                   "inputs": {k: plain(v) for k, v in s.inputs.items()},
                   "values": {k: plain(v) for k, v in s.values.items()}}
                  for s in trace.steps],
    }


def dumps(document: dict) -> str:
    """Returns a document as JSON text; NaN and infinities are refused, never written."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False)
