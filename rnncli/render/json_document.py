"""Results -> plain JSON documents with a `schema` key (spec §9), full float64 precision."""
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
        "steps": [step_entry(s) for s in trace.steps],
    }


def step_entry(step, convert=plain) -> dict:
    """Returns one step of the trace document, its values passed through `convert`."""
    return {"t": step.t,
            "inputs": {k: convert(v) for k, v in step.inputs.items()},
            "values": {k: convert(v) for k, v in step.values.items()}}


def dumps(document: dict) -> str:
    """Returns a document as JSON text; NaN and infinities are refused, never written."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False)
