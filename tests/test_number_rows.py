"""Rows of numbers read in bulk (files/number_rows.py, values.checked_array) change nothing.

Every text is read twice, with the shortcut and without it (the plain event
walk, entry-by-entry checks), and both must give the same data, the same line
for every key and item, and the same error with the same line.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnncli.errors import RnncliError
from rnncli.files import number_rows, values, yaml_source
from rnncli.files.problem import parse_problem
from rnncli.files.values import as_array
from rnncli.files.yaml_source import Document, parse_yaml


def outcome(text):
    """Returns what reading `text` gives: its document, or its error and line."""
    try:
        return parse_yaml(text, "f.yaml")
    except RnncliError as exc:
        return ("error", type(exc).__name__, str(exc), exc.line)


def both_ways(text, monkeypatch):
    """Returns what the shortcut and the plain walk give, lines compared by lookup.

    The shortcut stores lines per row, not per entry; an entry's line is found
    through its row (Document.line), and must be the line the walk stored.
    """
    fast = outcome(text)
    with monkeypatch.context() as patch:
        patch.setattr(yaml_source, "prepare", lambda t: None)
        patch.setattr(yaml_source, "read_plain", lambda *a: None)   # (plain_mapping's rows too)
        slow = outcome(text)
    if isinstance(fast, Document) and isinstance(slow, Document):
        paths = set(fast.lines) | set(slow.lines)
        lines = lambda doc: sorted((repr(p), doc.line(*p)) for p in paths)  # noqa: E731
        return ("ok", repr(fast.data), lines(fast)), ("ok", repr(slow.data), lines(slow))
    return (fast if not isinstance(fast, Document) else "ok",
            slow if not isinstance(slow, Document) else "ok")


NUMBERS = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e5", "-2E-3", ".5", "+.5", "5.", "007", "+1", "-0", "1e", ".", "1.2.3",
                     "1-2", "", " ", ".inf", ".nan", "0x1F", "1_000", "9" * 120, "1e400",
                     "-1e400", "1" + "0" * 30, "true", "null", "x"]),
)
ROWS = st.lists(NUMBERS, min_size=0, max_size=6).flatmap(
    lambda items: st.sampled_from([", ", ",", " , ", ",\t"]).map(
        lambda sep: "[" + sep.join(items) + "]"))
PLACES = [
    "k: {row}\n",
    "k:\n  {row}\n",
    "k:\n  - {row}\n  - {row2}\n",
    "k: [{row}, {row2}]\n",
    "k: [{row},\n    {row2}]\n",
    "k: \"{row}\"\n",
    "k: 1  # {row}\n",
    "{row}: 1\n",
    "k: &a {row}\nj: *a\n",
    "k: !!seq {row}\n",
    "k: |\n  {row}\n",
    "k: {{a: {row}, b: {row2}}}\n",
    "k: x{row} y\n",
    "k: {row} {row2}\n",
    "k: {row}x\n",
    "{row}\n",
    "- {row}\n",
    "k:\n  a:\n    - [{row}, {row2}]\n",
    "k: [[{row}]]\n",
    "k:\n  h{row}: {row2}\n",
    "k: {{h{row}: 1}}\n",
    "k: [1,{row}]\n",
]


@settings(max_examples=400, deadline=None)
@given(place=st.sampled_from(PLACES), row=ROWS, row2=ROWS)
def test_the_shortcut_reads_every_text_as_the_event_walk_does(place, row, row2):
    text = "title: t\n" + place.format(row=row, row2=row2)
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = both_ways(text, monkeypatch)
    assert fast == slow, text


@pytest.mark.parametrize("text", [
    "params:\n  W: [[1, 2],\n      [3, .nan]]\n",
    "params:\n  W:\n    [1, 2, 1e400]\n",
    "params:\n  W: [1, 2, 12345678901]\n",
    "params:\n  W: [[1, 2], [3]]\n",
    "params:\n  W: [[1, 2], 3]\n",
    "params:\n  W: [1, true]\n",
    "k: \ue0000\n",                     # the placeholder character in the file itself
    "a:\n" + "  " * 40 + "[1, 2]\n",
])
def test_the_shortcut_keeps_errors_and_lines(text, monkeypatch):
    fast, slow = both_ways(text, monkeypatch)
    assert fast == slow


def test_rows_become_one_placeholder_each():
    prepared, rows = number_rows.prepare("a: [1, 2.5, -3e-4, +.5]\nb: [[1.5, 2.], [3, 4]]\n")
    assert prepared.count(number_rows.MARK) == 3
    assert repr(rows) == repr([[1, 2.5, -0.0003, 0.5], [1.5, 2.0], [3, 4]])
    assert number_rows.prepare("a: [1, 2,]\nb: []\nc: [1e, 2]\n") is None
    # An answers file's keys hold brackets too: they stay for the parser, the rows do not.
    prepared, rows = number_rows.prepare("answers:\n  h[1]: [0.5, 1]\n  y[2]: 3\n")
    assert prepared == f"answers:\n  h[1]: {number_rows.MARK}0\n  y[2]: 3\n"


def test_the_problem_reads_the_same_either_way(monkeypatch):
    text = ("cell: lstm\nconvention: standard\nparams:\n"
            + "".join(f"  {p}_{g}: [[0.1, -0.2], [0.3, 0.4]]\n" for p in "WU" for g in "ifog")
            + "".join(f"  b_{g}: [0.01, 2]\n" for g in "ifog")
            + "inputs:\n  x:\n    - [1, 0.5]\n    - [-1, 2e-3]\n    - [0.25, 7]\n")
    fast = parse_problem(text, "p.yaml")
    monkeypatch.setattr(yaml_source, "prepare", lambda t: None)
    monkeypatch.setattr(values, "checked_array", lambda v: None)
    slow = parse_problem(text, "p.yaml")
    for name in slow.params:
        assert fast.params[name].dtype == slow.params[name].dtype
        assert np.array_equal(fast.params[name], slow.params[name])
    assert [s.shape for s in fast.inputs["x"]] == [s.shape for s in slow.inputs["x"]]
    assert all(np.array_equal(a, b) for a, b in zip(fast.inputs["x"], slow.inputs["x"]))


ENTRIES = st.one_of(st.integers(-2 * 10**9, 2 * 10**9), st.floats(), st.booleans(), st.none(),
                    st.sampled_from(["1", "x", 10**400, -10**30]))
LISTS = st.one_of(
    st.lists(ENTRIES, max_size=5),
    st.lists(st.lists(ENTRIES, max_size=4), max_size=4),
    st.lists(st.one_of(ENTRIES, st.lists(ENTRIES, max_size=3)), max_size=4),
)


@settings(max_examples=500, deadline=None)
@given(value=LISTS)
def test_checking_a_whole_array_agrees_with_checking_each_entry(value):
    doc = Document({"k": value}, "f.yaml", {("k",): 3})

    def result():
        try:
            array = as_array(doc, ("k",), value)
        except RnncliError as exc:
            return ("error", str(exc), exc.line)
        return ("ok", array.shape, array.tobytes())

    fast = result()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(values, "checked_array", lambda v: None)
        slow = result()
    assert fast == slow
    if fast[0] == "ok":
        assert values.checked_array(value) is not None   # the fast path takes every good array
