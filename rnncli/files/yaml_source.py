"""YAML text -> plain Python data, with the line of every key and item.

PyYAML's own loaders are not used to build data: they read YAML 1.1 (`1e-3` is
a string there, `no` a boolean), forget line numbers, silently keep the last of
two equal keys, and expand aliases without limit. Instead we walk the event
stream of the safe parser (libyaml's when present) and build the data
ourselves, iteratively, under hard limits. Nothing in a file is ever executed:
tags other than the core ones are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnncli.errors import InputFileError
from rnncli.files.number_rows import MARK, Fallback, prepare, row_of

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 2_000_000          # scalars and collections, counted after alias expansion
MAX_SCALAR_CHARS = 10_000
MAX_INT_CHARS = 1000

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_CORE_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
              "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
              "tag:yaml.org,2002:seq", "!"}


@dataclass(frozen=True)
class Document:
    """Plain data of one YAML file and the line (1-based) of every key and item."""

    data: Any
    file: str
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    def line(self, *path) -> int | None:
        """Returns the line of `path` (keys and indices), or of its nearest known parent."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def resolve_scalar(text: str, plain: bool, tag: str | None = None) -> Any:
    """Returns the value of a scalar under the YAML 1.2 core schema."""
    if not plain and tag in (None, "!", "tag:yaml.org,2002:str"):
        return text
    if tag == "tag:yaml.org,2002:str":
        return text
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if len(text) > MAX_INT_CHARS and (_INT.match(text) or _INT_OCT.match(text)
                                      or _INT_HEX.match(text)):
        # Python refuses to convert more than 4300 digits; a number this long is far
        # beyond every limit anyway, and the checks refuse it by its size.
        return float("-inf") if text.startswith("-") else float("inf")
    if _INT.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


def read_text(path: str) -> tuple[str, str]:
    """Returns (text, display name) of a file, or of standard input for `-`."""
    import sys

    if path == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        name = "<stdin>"
    else:
        name = str(path)
        p = Path(path)
        try:
            if p.is_dir():
                raise InputFileError("is a directory, not a YAML file", file=name)
            with p.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise InputFileError("no such file", file=name) from None
        except PermissionError:
            raise InputFileError("permission denied", file=name) from None
        except OSError as exc:
            raise InputFileError(f"cannot read the file ({exc.strerror})", file=name) from None
    return decode(raw, name), name


def decode(raw: bytes, name: str) -> str:
    """Returns the text of UTF-8 bytes, refusing oversized or binary input."""
    if len(raw) > MAX_BYTES:
        raise InputFileError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB", file=name)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputFileError("binary data (a NUL byte), not YAML text", file=name, line=line)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError("not UTF-8 text", file=name, line=line) from None


def load_yaml(path: str) -> Document:
    """Returns the Document of a YAML file (`-` for standard input)."""
    text, name = read_text(path)
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str = "<string>") -> Document:
    """Returns the Document of YAML text whose top level must be a mapping."""
    import yaml

    if len(text) > MAX_BYTES:
        raise InputFileError(f"text is larger than {MAX_BYTES // (1024 * 1024)} MiB", file=name)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data, lines = _compose_with_rows(text, loader_class, name)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "did not find expected ','" in problem:
            # The usual cause: `ask: [h[1], y[2]]`, where YAML reads the brackets itself.
            problem += ' (inside [...] or {...}, quote text with brackets: ["h[1]", "y[2]"])'
        raise InputFileError(f"not valid YAML: {problem}", file=name, line=line) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise InputFileError("YAML nested too deeply", file=name) from None
    if data is None:
        raise InputFileError("the file is empty; expected a YAML mapping", file=name, line=1)
    if not isinstance(data, dict):
        raise InputFileError("expected a YAML mapping (key: value lines) at the top level",
                             file=name, line=1)
    return Document(data, name, lines)


def _compose_with_rows(text: str, loader_class, name: str):
    """Returns (data, lines), reading rows of plain numbers in bulk (number_rows) when it can.

    Any error or doubt on the shortcut reads the original text again the ordinary
    way, so that errors and their lines are exactly those of the event walk.
    """
    import yaml

    prepared = prepare(text)
    if prepared is not None:
        try:
            return _compose(yaml.parse(prepared[0], Loader=loader_class), name, prepared[1])
        except (Fallback, InputFileError, yaml.YAMLError, RecursionError):
            pass
    return _compose(yaml.parse(text, Loader=loader_class), name)


class _Frame:
    """A collection under construction: its value, path, size and pending key."""

    __slots__ = ("value", "path", "size", "key", "anchor", "line")

    def __init__(self, value, path, anchor, line):
        self.value = value
        self.path = path
        self.size = 1
        self.key = _NO_KEY
        self.anchor = anchor
        self.line = line


_NO_KEY = object()


def _compose(events, name: str, rows: list | None = None):
    """Builds plain data from parser events, iteratively and under the limits.

    `rows` are the values of number_rows placeholders in the text parsed.
    """
    import yaml

    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    lines: dict[tuple, int] = {}
    total = 0
    root: Any = None
    documents = 0

    def fail(message: str, mark) -> None:
        raise InputFileError(message, file=name, line=mark.line + 1 if mark else None)

    def place(value, size: int, mark) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        top.size += size
        if isinstance(top.value, list):
            lines[top.path + (len(top.value),)] = mark.line + 1
            top.value.append(value)
        elif top.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                fail("a mapping key must be a plain scalar", mark)
            key = value if isinstance(value, str) else _key_text(value)
            if key in top.value:
                fail(f"duplicate key `{key}`", mark)
            top.key = key
            lines[top.path + (key,)] = mark.line + 1
        else:
            top.value[top.key] = value
            top.key = _NO_KEY

    for event in events:
        kind = type(event)
        mark = event.start_mark
        if kind is yaml.ScalarEvent:
            tag = event.tag
            if tag is not None and tag not in _CORE_TAGS:
                fail(f"YAML tag `{tag}` is not allowed", mark)
            if len(event.value) > MAX_SCALAR_CHARS:
                fail(f"a value longer than {MAX_SCALAR_CHARS} characters", mark)
            if rows is not None and MARK in event.value:
                total = _place_row(event, rows, stack, lines, total, place)
                continue
            if stack and isinstance(stack[-1].value, dict) and stack[-1].key is _NO_KEY:
                value = event.value  # keys are names: keep their text (`on`, `1`, `null`)
            else:
                value = resolve_scalar(event.value, event.implicit[0], tag)
            total += 1
            if total > MAX_VALUES:
                fail(f"more than {MAX_VALUES} values", mark)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            place(value, 1, mark)
        elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            if event.tag is not None and event.tag not in _CORE_TAGS:
                fail(f"YAML tag `{event.tag}` is not allowed", mark)
            if len(stack) >= MAX_DEPTH:
                fail(f"nested deeper than {MAX_DEPTH} levels", mark)
            path = ()
            if stack:
                top = stack[-1]
                if isinstance(top.value, list):
                    path = top.path + (len(top.value),)
                elif top.key is _NO_KEY:
                    fail("a mapping key must be a plain scalar", mark)
                else:
                    path = top.path + (top.key,)
            else:
                lines[()] = mark.line + 1
            total += 1
            stack.append(_Frame([] if kind is yaml.SequenceStartEvent else {}, path,
                                event.anchor, mark))
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.value, frame.size)
            place(frame.value, frame.size, frame.line)
        elif kind is yaml.AliasEvent:
            if event.anchor not in anchors:
                fail(f"unknown alias `*{event.anchor}`", mark)
            value, size = anchors[event.anchor]
            # The data shares the anchored object; what we bound is the size a
            # reader would walk, so that an alias bomb is refused at once.
            total += size
            if total > MAX_VALUES:
                fail(f"aliases expand to more than {MAX_VALUES} values (a YAML alias bomb?)", mark)
            place(value, size, mark)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                fail("more than one YAML document in the file", mark)
    return root, lines


def _place_row(event, rows, stack, lines, total, place) -> int:
    """Places the row a placeholder stands for as a plain value; returns the new count of values.

    Lines are kept per row: an entry's line is its row's, which _Frame lookups
    find through the parent, except when the row starts below its key.
    """
    top = stack[-1] if stack else None
    if (event.tag is not None or event.anchor or not event.implicit[0] or top is None
            or len(stack) >= MAX_DEPTH or (isinstance(top.value, dict) and top.key is _NO_KEY)):
        raise Fallback(event.value)
    row = row_of(event.value, rows)
    total += len(row) + 1
    if total > MAX_VALUES:
        raise Fallback(event.value)
    line = event.start_mark.line + 1
    if isinstance(top.value, dict) and lines.get(top.path + (top.key,)) != line:
        path = top.path + (top.key,)
        lines.update({path + (j,): line for j in range(len(row))})
    place(row, len(row) + 1, event.start_mark)
    return total


def _key_text(value) -> str:
    return str(value)
