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
from typing import Any

from rnncli.errors import InputFileError
from rnncli.files.core_schema import resolve_scalar
from rnncli.files.number_rows import MARK, Fallback, prepare, row_of
from rnncli.files.plain_mapping import read_plain
from rnncli.files.text_source import MAX_BYTES, mib, read_text

# The limits are far above any exercise (a hand-worked sheet is a few hundred bytes) and
# low enough that reading the largest file allowed (text_source.MAX_BYTES) takes well under
# a second: a file over them is refused before its work.
MAX_DEPTH = 32
MAX_VALUES = 1_000_000          # scalars and collections, counted after alias expansion
MAX_SCALAR_CHARS = 10_000
RECHECK_CHARS = 64 * 1024      # how far into an invalid file our limits are checked again

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


def load_yaml(path: str) -> Document:
    """Returns the Document of a YAML file (`-` for standard input)."""
    text, name = read_text(path)
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str = "<string>") -> Document:
    """Returns the Document of YAML text whose top level must be a mapping."""
    import yaml

    if len(text) > MAX_BYTES:
        raise InputFileError(f"text is larger than {mib(MAX_BYTES)}", file=name)
    plain = read_plain(text, MAX_VALUES, MAX_SCALAR_CHARS)
    if plain is not None:
        # The plainest files (most answers files) are read without the parser's events.
        return Document(plain[0], name, plain[1])
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data, lines = _compose_with_rows(text, loader_class, name)
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a control character, an escape sequence):
        # the error has a position, not a line; libyaml counts it in UTF-8 bytes.
        before = (text.encode("utf-8", "surrogatepass")[: exc.position] if loader_class
                  is not yaml.SafeLoader else text[: exc.position])
        line = before.count(b"\n" if isinstance(before, bytes) else "\n") + 1
        raise InputFileError(f"not valid YAML: character U+{exc.character:04X} is not allowed "
                             "(a control character; write it escaped in a quoted string, or "
                             "delete it)", file=name, line=line) from None
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:
            _recheck_before(text, name, exc)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if _names_with_brackets_in_a_flow(text, exc):
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


_NAME_WITH_BRACKETS_IN_A_FLOW = re.compile(r"[\[{,]\s*[A-Za-z_][\w.]*\[")


def _names_with_brackets_in_a_flow(text: str, error) -> bool:
    """Returns whether the lines of a YAML error hold `[h[1], ...`: an unquoted reference
    inside a flow collection. Read from the text, not from the library's wording."""
    marks = [getattr(error, name, None) for name in ("context_mark", "problem_mark")]
    found = [mark.line for mark in marks if mark is not None]
    if not found:
        return False
    lines = text.splitlines()[min(found): max(found) + 1]
    return any(_NAME_WITH_BRACKETS_IN_A_FLOW.search(line) for line in lines)


def _recheck_before(text: str, name: str, error) -> None:
    """Raises rnncli's own error if one of our limits is broken before `error`'s line.

    libyaml reads far ahead and has limits of its own (PyYAML 6.0.4's refuses 1000
    nested levels "while increasing flow level"), so it can fail before its events
    ever reach our checks. Our limits must hold, with our messages, whatever the
    installed version does: the pure-Python parser, which reads ahead no further
    than the current line, walks the text again up to the failing line. Only
    invalid files pay for it.
    """
    import yaml

    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    last_line = mark.line if mark is not None else None
    end = mark.index if mark is not None else len(text)
    if end > RECHECK_CHARS:
        # The pure-Python parser reads some 100 KB a second: far into a big file a re-read
        # would make refusing it slow, so there the library's own error is reported.
        return

    def events_up_to_the_error():
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if last_line is not None and event.start_mark.line > last_line:
                return
            yield event

    try:
        _compose(events_up_to_the_error(), name)
    except (yaml.YAMLError, RecursionError):
        pass  # the original error is the one to report


def _compose_with_rows(text: str, loader_class, name: str):
    """Returns (data, lines), reading rows of plain numbers in bulk (number_rows) when it can.

    Any error or doubt on the shortcut reads the original text again the ordinary
    way, so that errors and their lines are exactly those of the event walk.
    """
    import yaml

    prepared = prepare(text)
    if prepared is not None:
        try:
            return _compose_parsed(prepared[0], loader_class, name, prepared[1])
        except (Fallback, InputFileError, yaml.YAMLError, RecursionError):
            pass
    return _compose_parsed(text, loader_class, name)


def _compose_parsed(text: str, loader_class, name: str, rows: list | None = None):
    """Returns _compose of the parser's events of `text` (yaml.parse's events, taken from the
    parser directly: its generator cost a fifth of reading a small answers file)."""
    loader = loader_class(text)
    try:
        return _compose(iter(loader.get_event, None), name, rows)
    finally:
        loader.dispose()


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

    # (The event classes and the resolver as locals: this loop runs for every scalar of
    # every file of a class, and their global lookups were a tenth of reading a small file.)
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    sequence_start, document_start = yaml.SequenceStartEvent, yaml.DocumentStartEvent
    resolve = resolve_scalar
    for event in events:
        kind = type(event)
        mark = event.start_mark
        if kind is scalar_event:
            tag = event.tag
            text = event.value
            if tag is not None and tag not in _CORE_TAGS:
                fail(f"YAML tag `{tag}` is not allowed", mark)
            if len(text) > MAX_SCALAR_CHARS:
                fail(f"a value longer than {MAX_SCALAR_CHARS} characters", mark)
            if rows is not None and MARK in text:
                total = _place_row(event, rows, stack, lines, total, place)
                continue
            if stack and type(stack[-1].value) is dict and stack[-1].key is _NO_KEY:
                value = text  # keys are names: keep their text (`on`, `1`, `null`)
            else:
                value = resolve(text, event.implicit[0], tag)
            total += 1
            if total > MAX_VALUES:
                fail(f"more than {MAX_VALUES} values", mark)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            place(value, 1, mark)
        elif kind in starts:
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
            stack.append(_Frame([] if kind is sequence_start else {}, path, event.anchor, mark))
        elif kind in ends:
            frame = stack.pop()
            if frame.anchor:
                anchors[frame.anchor] = (frame.value, frame.size)
            place(frame.value, frame.size, frame.line)
        elif kind is alias_event:
            if event.anchor not in anchors:
                fail(f"unknown alias `*{event.anchor}`", mark)
            value, size = anchors[event.anchor]
            # The data shares the anchored object; what we bound is the size a
            # reader would walk, so that an alias bomb is refused at once.
            total += size
            if total > MAX_VALUES:
                fail(f"aliases expand to more than {MAX_VALUES} values (a YAML alias bomb?)", mark)
            place(value, size, mark)
        elif kind is document_start:
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
