"""The YAML reader: YAML 1.2 scalars, a line for every key, and limits against hostile files."""
from __future__ import annotations

import pytest

from rnncli.errors import InputFileError, RnncliError
from rnncli.files.core_schema import resolve_scalar
from rnncli.files.text_source import MAX_BYTES, decode
from rnncli.files.yaml_source import MAX_DEPTH, MAX_VALUES, load_yaml, parse_yaml


@pytest.mark.parametrize("text, value", [
    ("1e-3", 0.001), ("1.4e1", 14.0), ("-2.5E+2", -250.0), (".5", 0.5), ("-.5", -0.5),
    ("+1", 1), ("0", 0), ("1.", 1.0), ("0o17", 15), ("0x1F", 31), ("1E3", 1000.0),
    ("true", True), ("False", False), ("null", None), ("~", None), ("", None),
])
def test_yaml_1_2_core_scalars(text, value):
    got = resolve_scalar(text, plain=True)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "Yes", "NO", "y", "n", "1_000",
                                  "0b101", "1:30", "0x", "1e", "e3", ".", "+.5e", "12e3.5"])
def test_yaml_1_1_forms_are_text(text):
    """YAML 1.1 read these as booleans, sexagesimals or numbers; YAML 1.2 does not."""
    assert resolve_scalar(text, plain=True) == text


def test_quoted_scalars_stay_text():
    doc = parse_yaml("a: '1e-3'\nb: \"0.5\"\nc: !!str 7\n")
    assert doc.data == {"a": "1e-3", "b": "0.5", "c": "7"}


def test_special_floats_are_read_so_that_the_checks_can_refuse_them():
    assert resolve_scalar(".inf", True) == float("inf")
    assert resolve_scalar("-.Inf", True) == float("-inf")
    nan = resolve_scalar(".NaN", True)
    assert nan != nan


def test_keys_keep_their_text():
    doc = parse_yaml("on: 1\n1: 2\nnull: 3\n")
    assert doc.data == {"on": 1, "1": 2, "null": 3}


def test_every_key_and_item_has_its_line():
    doc = parse_yaml("title: x\n\nparams:\n  W: [[1, 2],\n      [3, 4]]\n  b:\n    - 1\n    - 2\n",
                     "f.yaml")
    assert doc.line("title") == 1
    assert doc.line("params") == 3
    assert doc.line("params", "W") == 4
    assert doc.line("params", "W", 1) == 5
    assert doc.line("params", "b", 1) == 8
    assert doc.line("params", "missing") == 3      # nearest known parent
    assert doc.line() == 1


def fails(text, match, line=None):
    with pytest.raises(InputFileError, match=match) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.file == "f.yaml"
    if line is not None:
        assert info.value.line == line
    assert "\n" not in str(info.value)
    return info.value


def test_duplicate_keys_are_refused_with_the_line():
    fails("title: a\ncell: rnn\ntitle: b\n", "duplicate key `title`", line=3)
    fails("params:\n  W: 1\n  W: 2\n", "duplicate key `W`", line=3)
    fails("{a: 1, a: 2}\n", "duplicate key", line=1)


@pytest.mark.parametrize("text", [
    "title: !!python/object:os.system x\n",
    "title: !!python/object/apply:os.system ['echo hi']\n",
    "title: !!python/name:os.system\n",
    "params: !!map {W: 1}\ntitle: !custom x\n",
    "title: !!binary aGVsbG8=\n",
    "title: !!timestamp 2001-12-14\n",
    "params: !!set {a, b}\n",
    "params: !!omap [{a: 1}]\n",
])
def test_non_core_tags_are_refused(text):
    error = fails(text, "YAML tag .* is not allowed")
    assert error.line is not None


def test_core_tags_are_allowed():
    assert parse_yaml("a: !!float 1\nb: !!int 2\nc: !!str x\n").data == {"a": 1.0, "b": 2,
                                                                          "c": "x"}


def test_billion_laughs_is_refused_before_expanding():
    """Nine levels of ten aliases would be 10**9 values; the reader counts, never expands."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    error = fails("\n".join(lines) + "\n", "alias bomb")
    # Refused at the first alias that passes the limit (10**6 values): level 5, line 6.
    assert error.line == 6


def test_aliases_below_the_limit_are_fine_and_shared():
    doc = parse_yaml("base: &b [1, 2, 3]\ncopy: *b\n")
    assert doc.data["copy"] == [1, 2, 3]


def test_an_alias_used_before_its_anchor_is_an_error():
    fails("a: *nothing\n", "unknown alias", line=1)


def test_a_recursive_alias_is_an_error():
    fails("a: &a [1, *a]\n", "unknown alias")


def test_nesting_depth_is_limited():
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    parse_yaml(ok)
    fails("a: " + "[" * 1000 + "]" * 1000 + "\n", f"nested deeper than {MAX_DEPTH}")
    fails("a: " + "{b: " * 100 + "1" + "}" * 100 + "\n", "nested deeper")


class _StrictFastLoader:
    """Stands in for a fast parser that refuses deep nesting itself, in its own words,
    while reading far ahead (as PyYAML 6.0.4's libyaml does at 1000 levels)."""

    @staticmethod
    def make(limit):
        import yaml

        class Strict(yaml.SafeLoader):
            def fetch_flow_collection_start(self, token_class):
                if self.flow_level >= limit:
                    raise yaml.scanner.ScannerError(None, None, "zz refused", self.get_mark())
                super().fetch_flow_collection_start(token_class)

            def add_indent(self, column):
                if len(self.indents) >= limit:
                    raise yaml.scanner.ScannerError(None, None, "zz refused", self.get_mark())
                return super().add_indent(column)

        return Strict


@pytest.mark.parametrize("limit", [MAX_DEPTH + 1, MAX_DEPTH + 8, 1000])
def test_the_depth_limit_holds_whatever_the_yaml_library_refuses_first(monkeypatch, limit):
    """rnncli's message and line, never the library's, whatever its own limit and wording."""
    import yaml

    monkeypatch.setattr(yaml, "CSafeLoader", _StrictFastLoader.make(limit), raising=False)
    deep = limit + 5
    flow = "a: 1\nb: " + "[" * deep + "]" * deep + "\n"
    error = fails(flow, f"nested deeper than {MAX_DEPTH} levels", line=2)
    assert "zz" not in str(error)
    block = "a: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(deep)) + " " * deep + "v\n"
    error = fails(block, f"nested deeper than {MAX_DEPTH} levels", line=MAX_DEPTH + 2)
    assert "zz" not in str(error)
    compact = "a: 1\nb:\n" + "- " * deep + "x\n"
    fails(compact, f"nested deeper than {MAX_DEPTH} levels", line=3)
    # Within our limit the file still reads, through the fast parser.
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert parse_yaml(ok).data["a"] is not None


def test_value_count_is_limited():
    assert MAX_VALUES == 1_000_000
    row = "[" + ", ".join(["1"] * 1000) + "]"
    text = "x: &r " + row + "\n" + "y: [" + ", ".join(["*r"] * 1001) + "]\n"
    fails(text, "more than 1000000 values")


def test_file_size_is_limited(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"title: x\n")
        handle.write(b"#" * MAX_BYTES)
    with pytest.raises(InputFileError, match="larger than 512 KiB"):
        load_yaml(str(big))
    with pytest.raises(InputFileError, match="larger than 512 KiB"):
        parse_yaml("a: 1\n" + " " * MAX_BYTES)


def test_long_scalars_are_refused():
    fails("title: " + "a" * 20_000 + "\n", "longer than 10000 characters", line=1)


@pytest.mark.parametrize("raw, match, line", [
    (b"title: x\ncell: \x00rnn\n", "binary data", 2),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data", 3),
    (b"title: caf\xe9\n", "not UTF-8", 1),
    (b"a: 1\nb: 2\n\xff\xfe\xfa", "not UTF-8", 3),
])
def test_binary_junk_is_refused(raw, match, line):
    with pytest.raises(InputFileError, match=match) as info:
        decode(raw, "junk.yaml")
    assert info.value.line == line


def test_a_byte_order_mark_is_fine():
    assert decode("\ufefftitle: x\n".encode("utf-8"), "f") == "title: x\n"


@pytest.mark.parametrize("text, match", [
    ("", "empty"), ("# nothing\n", "empty"), ("- a\n- b\n", "mapping"),
    ("just text\n", "mapping"), ("42\n", "mapping"),
    ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ("a: [1, 2\n", "not valid YAML"), ("a: 1\n\tb: 2\n", "not valid YAML"),
    ("? [a, b]\n: 1\n", "plain scalar"), ("a: 'open\n", "not valid YAML"),
])
def test_malformed_documents(text, match):
    error = fails(text, match)
    assert error.line is not None


def test_missing_files_and_directories(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        load_yaml(str(tmp_path / "nope.yaml"))
    with pytest.raises(InputFileError, match="directory"):
        load_yaml(str(tmp_path))


def test_stdin_is_read_for_dash(monkeypatch):
    import io
    import sys

    class FakeStdin:
        buffer = io.BytesIO(b"title: from stdin\ncell: rnn\n")

    monkeypatch.setattr(sys, "stdin", FakeStdin)
    doc = load_yaml("-")
    assert doc.file == "<stdin>" and doc.data["title"] == "from stdin"


def test_every_error_is_an_rnncli_error():
    assert issubclass(InputFileError, RnncliError)


@pytest.mark.parametrize("text", ["1" * 5000, "-" + "9" * 5000, "0x" + "f" * 5000, "0o" + "7" * 5000])
def test_integers_beyond_python_s_digit_limit_do_not_crash(text):
    """Python converts at most 4300 digits; such a number is refused later by its size."""
    value = resolve_scalar(text, plain=True)
    assert value in (float("inf"), float("-inf"))


def test_long_integers_below_the_cut_stay_exact():
    assert resolve_scalar("1" * 999, plain=True) == int("1" * 999)


def test_the_hint_for_brackets_in_a_flow_list_is_read_from_the_text():
    """The hint comes from the text of the failing lines, not from the YAML library's words."""
    error = fails("cell: rnn\nask: [h[1], y[2]]\n", "quote text with brackets", line=2)
    assert error.line == 2
    error = fails("cell: rnn\nask: [1, 2\n", "not valid YAML")
    assert "quote text" not in str(error)


def test_a_file_that_grows_while_it_is_read_is_read_whole_or_refused(tmp_path, monkeypatch):
    """The size fstat gave is where reading starts, not where it stops: a file that grew
    since is read on to its end, and one grown past the limit is refused by its size."""
    import os
    import types

    from rnncli.files import text_source

    def smaller(info):          # as if the file had been 10 bytes when it was looked at
        return types.SimpleNamespace(st_mode=info.st_mode, st_size=10)

    reader_os = types.SimpleNamespace(**{n: getattr(os, n) for n in dir(os) if n[0] != "_"})
    reader_os.fstat = lambda fd: smaller(os.fstat(fd))
    reader_os.stat = lambda path: smaller(os.stat(path))
    monkeypatch.setattr(text_source, "os", reader_os)       # the reader's os only
    grown = tmp_path / "grown.yaml"
    grown.write_text("answers:\n" + "".join(f"  h[{t}]: 0.{t}\n" for t in range(1, 200)))
    text, _ = text_source.read_text(str(grown))
    assert text == grown.read_text()
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" + "#" * MAX_BYTES)
    with pytest.raises(InputFileError, match="larger than"):
        text_source.read_text(str(big))
