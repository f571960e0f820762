"""The plainest files read without the YAML parser (files/plain_mapping.py) mean what they meant.

The oracle is the ordinary reader (libyaml's events walked by yaml_source),
run on the same text: wherever the shortcut gives data, the ordinary reader
must give the same data (types included: `1` is an int, `1.0` a float) and
the same line for every key; wherever the ordinary reader refuses a text or
reads it some other way, the shortcut must stand aside (None). Generated
texts mix the plainest lines with the ones YAML reads differently.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from rnncli.errors import RnncliError
from rnncli.files import core_schema, yaml_source
from rnncli.files.plain_mapping import read_plain


def plain(text):
    return read_plain(text, yaml_source.MAX_VALUES, yaml_source.MAX_SCALAR_CHARS)


def ordinary(text):
    """Returns (data, lines) from the event walk, or None when it refuses the text."""
    import yaml

    try:
        data, lines = yaml_source._compose_with_rows(text, yaml.CSafeLoader, "f.yaml")
    except (RnncliError, yaml.YAMLError):
        return None
    return (data, lines) if isinstance(data, dict) and data else None


def same(fast, slow) -> bool:
    # repr tells 1 from 1.0 and True from 1; lines are compared whole.
    return repr(fast[0]) == repr(slow[0]) and fast[1] == slow[1]


ANSWERS = ("# my answers\nstudent: Ada Lovelace\nstudent_id: s0001\nproblem: ../sheet.yaml\n\n"
           "answers:\n  h[1]: 0.261   # rounded\n  s[1]: -4.2e-1\n  y[2]: [0.5, -1, 2e3]\n"
           "  q[3]: 1\n")


def test_an_answers_file_is_read_by_the_shortcut_exactly_as_the_parser_reads_it():
    fast = plain(ANSWERS)
    assert fast is not None
    assert same(fast, ordinary(ANSWERS))
    data, lines = fast
    assert data["answers"] == {"h[1]": 0.261, "s[1]": -0.42, "y[2]": [0.5, -1, 2000.0], "q[3]": 1}
    assert type(data["answers"]["q[3]"]) is int
    assert lines[()] == 2 and lines[("answers", "y[2]")] == 9


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",                   # a duplicate key: the ordinary reader's error
    "answers:\n  h[1]: 1\n  h[1]: 2\n",
    "a:\nb: 1\n",                     # a key with no value (null)
    "a:\n",
    "a: 1\n  b: 2\n",                 # indented under a value
    "a:\n  b: 1\n c: 2\n",            # two indentations
    "a:\n  b:\n    c: 1\n",           # deeper nesting
    "a:b\n", "a: b:c\n", "a: -\n", "a: - 1\n", "- a\n", "---\na: 1\n", "a: 1\n...\n",
    "a: 'q'\n", 'a: "q"\n', "a: [1, 2,]\n", "a: []\n", "a: [.inf]\n", "a: {b: 1}\n",
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: b\n  c\n",
    "a:\tb\n", "a: 1\r\nb: 2\r\n", "a: é\n", "a: b#c\n", "a : 1\n", "  a: 1\n",
    "? a\n: 1\n", "%YAML 1.2\n---\na: 1\n", "a: @b\n", "a: `b`\n", "a: 0x1F, 2\n",
    "a" * 1025 + ": 1\n", "a: " + "b" * (yaml_source.MAX_SCALAR_CHARS + 1) + "\n",
    "# only a comment\n", "",
])
def test_the_shortcut_stands_aside_for_everything_outside_the_plainest_form(text):
    assert plain(text) is None


@pytest.mark.parametrize("text", [
    "a: true\nb: null\nc: Null\nd: .inf\ne: -.Inf\nf: .nan\ng: 0o17\nh: 0x1F\ni: 1_000\nj: on\n",
    "a: 1.\nb: .5\nc: +5\nd: -0\ne: 1e3\nf: 1E-3\ng: 007\nh: 1.5.2\ni: 5abc\nj: -.5\n",
    "# head\n\n  # indented comment\na: Student 1   \nb: x  # c\nc:   # nothing\n  d: 1\n",
    "on: 1\nTRUE: 2\nnull: 3\nh[t-1]: 4\nh[]: 5\na-b.c: 6\n_: 7\n",
    "a: ../../etc/forged.yaml\nb: +\nc: ...\nd: .\ne: a - b\nf: 1 2\n",
])
def test_what_the_shortcut_reads_it_reads_as_the_parser_does(text):
    fast = plain(text)
    assert fast is not None
    assert same(fast, ordinary(text))


KEYS = st.sampled_from(["a", "b", "h[1]", "s[2]", "h[t-1]", "answers", "on", "1", "null", "a-b",
                        "a.b", "x y", "a:b", "'q'", "-", "?", "h[1", "_", "TRUE"])
VALUES = st.one_of(
    st.sampled_from(["", "1", "1.0", "-2.5e-3", "+.5", "1.", ".", "-", "- 1", "true", "False",
                     "null", "~", "yes", "on", ".inf", "-.INF", ".NaN", "0x1F", "0o7", "1_000",
                     "007", "Student 1", "a  b", "a #b", "a#b", "a: b", "[1, 2]", "[1,2.5,-3e2]",
                     "[]", "[1,]", "[ 1 , 2 ]", "[1, [2]]", "{a: 1}", "'s'", '"s"', "&x 1", "*x",
                     "!!str 1", "|", ">", "@x", "%x", "1 # c", "# c", "é", "\t1", "1\t"]),
    st.floats(allow_nan=False, width=64).map(repr),
    st.integers(-10**6, 10**6).map(str),
    st.text(alphabet="ab01 .-+_/#:[],", max_size=8))
LINES = st.one_of(
    st.tuples(st.sampled_from(["", "", "", "  ", "    ", " "]), KEYS,
              st.sampled_from([": ", ": ", ":", ":  ", " : "]), VALUES,
              st.sampled_from(["", "", "  ", " # note", "#x"]))
    .map(lambda p: "".join(p)),
    st.sampled_from(["", "   ", "# comment", "  # comment", "---", "...", "- 1"]))


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8), st.booleans())
def test_the_shortcut_agrees_with_the_parser_or_stands_aside(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    fast = plain(text)
    if fast is not None:
        slow = ordinary(text)
        assert slow is not None, text
        assert same(fast, slow), text


@settings(max_examples=500, deadline=None)
@given(st.from_regex(core_schema.DECIMAL, fullmatch=True))
def test_decimal_value_is_the_core_schemas_value(text):
    fast, slow = core_schema.decimal_value(text), core_schema.resolve_scalar(text, True)
    assert type(fast) is type(slow)
    assert fast == slow or (math.isinf(fast) and fast == slow)


def test_parse_yaml_uses_the_shortcut_and_keeps_the_document_it_gave_before(monkeypatch):
    before = None
    with monkeypatch.context() as patch:
        patch.setattr(yaml_source, "read_plain", lambda *a: None)
        before = yaml_source.parse_yaml(ANSWERS, "f.yaml")
    calls = []
    monkeypatch.setattr(yaml_source, "read_plain", lambda *a: calls.append(1) or plain(a[0]))
    after = yaml_source.parse_yaml(ANSWERS, "f.yaml")
    assert calls and after == before and after.lines == before.lines
