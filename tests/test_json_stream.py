"""Trace JSON written step by step (render/json_stream.py): the bytes `dumps` writes, exact floats.

orjson's digits are the shortest round-trip ones, as Python's repr; its
layout differs and is rewritten. Checked here on random floats of every
magnitude, on every shipped problem, without orjson, and for memory.
"""
from __future__ import annotations

import io
import json
import sys
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from rnncli.files.problem import load_problem, parse_problem
from rnncli.render.json_document import dumps, trace_document
from rnncli.render.json_stream import (SMALL_NUMBERS_SHARE, array_json, plain_steps, steps_encoder,
                                       write_trace_json)
from rnncli.solve.trace import StepRecord, run_trace

ROOT = Path(__file__).resolve().parent.parent
TRACED = ["lstm-goodfellow-forward", "lstm-standard", "gru-olah-forward",
          "two-layer-feedback-numbers", "lstm-goodfellow-variants"]



def encode(array) -> str:
    """Returns an array as the stream writes it, inside a step."""
    text = steps_encoder()((StepRecord(1, {}, {"h": array}),))
    prefix, suffix = '{"t": 1, "inputs": {}, "values": {"h": ', "}}"
    assert text.startswith(prefix) and text.endswith(suffix)
    return text[len(prefix):-len(suffix)]


def streamed(trace) -> str:
    out = io.StringIO()
    write_trace_json(trace, out.write)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                  elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_an_array_is_written_as_json_dumps_writes_it(array):
    assert encode(array) == json.dumps(array.tolist())


def test_every_magnitude_is_written_as_json_dumps_writes_it():
    rng = np.random.default_rng(14)
    mantissas = rng.uniform(1, 10, 4000)
    exponents = rng.integers(-323, 308, 4000)
    with np.errstate(over="ignore", under="ignore"):
        values = mantissas * 10.0 ** exponents
    values = np.concatenate([values, -values, 10.0 ** np.arange(-20, 20), [0.0, -0.0, 5e-324,
                             1.7976931348623157e308, 1e-5, 9.999999999999999e-5, 1e-4, 1e16, 1e15]])
    values = values[np.isfinite(values)]
    encoded = encode(values)
    assert encoded == json.dumps(values.tolist())
    assert np.array_equal(np.array(json.loads(encoded)), values)      # round trip, bit for bit


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=8),
                  elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_array_json_writes_what_dumps_writes(array):
    text = array_json(np.ascontiguousarray(array))
    assert text is None or text == json.dumps(array.tolist())


@pytest.mark.parametrize("small", [0, 1, 64 // SMALL_NUMBERS_SHARE, 64 // SMALL_NUMBERS_SHARE + 1, 64])
def test_array_json_with_few_or_many_numbers_below_1e_4(small):
    """Both ways of writing numbers below 1e-4 (rewritten one by one, or the whole array by
    the standard library) give dumps's text and the exact values back."""
    pytest.importorskip("orjson")
    rng = np.random.default_rng(small)
    values = np.round(rng.uniform(-1, 1, 64), 4)
    values[:small] = rng.uniform(-1e-4, 1e-4, small) * 10.0 ** -rng.integers(0, 12, small)
    rng.shuffle(values)
    text = array_json(values)
    assert text == json.dumps(values.tolist())
    assert np.array_equal(np.array(json.loads(text)), values)


def test_a_non_finite_value_is_refused_as_dumps_refuses_it():
    trace = run_trace(load_problem(str(ROOT / "problems" / "lstm-standard.yaml")))
    step = trace.steps[0]
    bad = replace(step, values={**step.values, "h": np.array([1.0, np.nan])})
    with pytest.raises(ValueError):
        steps_encoder()((bad,))


def test_text_values_are_written_by_json_itself():
    """The layout rewrite is only sound when every string is a name; anything else goes to json."""
    trace = run_trace(load_problem(str(ROOT / "problems" / "lstm-standard.yaml")))
    odd = replace(trace.steps[0], t="a, b: c")
    assert steps_encoder()((odd,)) == plain_steps((odd,))
    assert '"t": "a, b: c"' in plain_steps((odd,))


@pytest.mark.parametrize("name", TRACED)
def test_the_stream_is_the_document_dumps_writes(name):
    trace = run_trace(load_problem(str(ROOT / "problems" / f"{name}.yaml")))
    text = streamed(trace)
    assert text == dumps(trace_document(trace))
    golden = ROOT / "tests" / "golden" / "trace" / f"{name}.json"
    assert text + "\n" == golden.read_text(encoding="utf-8")


@pytest.fixture
def fresh_probe():
    """fast_json probes orjson once per process: again here, and again after the test."""
    from rnncli.render import json_document

    json_document.fast_json.cache_clear()
    yield
    json_document.fast_json.cache_clear()


def test_without_orjson_the_stream_is_the_same(monkeypatch, fresh_probe):
    trace = run_trace(load_problem(str(ROOT / "problems" / "lstm-standard.yaml")))
    monkeypatch.setitem(sys.modules, "orjson", None)        # `import orjson` fails
    assert steps_encoder() is plain_steps
    assert streamed(trace) == dumps(trace_document(trace))


def big_trace(steps: int, hidden: int = 16):
    rng = np.random.default_rng(7)
    params = {"W_xh": rng.uniform(-0.5, 0.5, (hidden, 4)), "W_hh": rng.uniform(-0.3, 0.3, (hidden, hidden)),
              "b_h": rng.uniform(-0.1, 0.1, hidden)}
    text = ("cell: rnn\nparams:\n" + "".join(f"  {k}: {json.dumps(v.tolist())}\n" for k, v in params.items())
            + "inputs:\n  x:\n" + "".join(f"    - {json.dumps(r)}\n" for r in rng.uniform(-1, 1, (steps, 4)).tolist()))
    return run_trace(parse_problem(text, "big.yaml"))


def test_big_traces_round_trip_exactly_in_memory_bounded_by_a_chunk(monkeypatch):
    from rnncli.render import json_stream

    monkeypatch.setattr(json_stream, "CHUNK_VALUES", 1000)    # 50 steps of 20 numbers
    trace = big_trace(3000)
    size = 0

    def write(chunk):
        nonlocal size
        size += len(chunk)

    tracemalloc.start()
    write_trace_json(trace, write)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size > 1_000_000 and peak < 150_000, (size, peak)   # the document is never held
    document = json.loads(streamed(trace))
    assert document == json.loads(dumps(trace_document(trace)))
    last = document["steps"][-1]["values"]["h"]
    assert np.array_equal(np.array(last), trace.steps[-1].values["h"])


def test_an_orjson_that_writes_numbers_otherwise_is_not_used(monkeypatch, fresh_probe):
    """orjson before 3.11.7 wrote 1e16 where repr writes 1e+16: such a version is probed once
    and left unused, so the bytes stay the standard library's."""
    from rnncli.render import json_document

    class OldOrjson:
        OPT_SERIALIZE_NUMPY = 0

        @staticmethod
        def dumps(value, option=0):
            return json.dumps(np.asarray(value).tolist(), separators=(",", ":")).replace(
                "e+", "e").encode()

    monkeypatch.setitem(sys.modules, "orjson", OldOrjson)
    assert json_document.fast_json() is None and steps_encoder() is plain_steps
