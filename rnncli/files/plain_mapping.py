"""The plainest YAML files -> their data and lines, read without the YAML parser.

An answers file is a few `name: value` lines, most under `answers:`. The
parser's events cost a Python object and a dispatch each, and for a class of
10,000 such files walking them was a quarter of all the grading. Here a file
of the plainest form is read line by line instead. Anything outside that form
gives None, and yaml_source reads the text the ordinary way: the shortcut
never changes what a file means, nor which error a broken file gets (a test
compares the two readers on generated files, the tricky ones included).

The form, all of it required:

- ASCII text with no control character but the newline (no tab, no CR);
- every line blank, a comment, or `key: value` / `key:`;
- at column 0, a mapping; a `key:` there with nothing after it opens a
  mapping of `key: value` lines all at one deeper indentation (one level);
- a key is a name with at most one [index] (`h[1]`, `student_id`);
- a value is a plain scalar of letters, digits, `_ . / + -` and inner spaces
  (not starting with `-` unless a digit or point follows), resolved by
  core_schema like every other scalar, or one row of decimal numbers
  (`[0.5, -1e-3]`) exactly as number_rows reads it; ` # a comment` may follow.

Duplicate keys, a key with no value and nothing under it, and anything over
the reader's limits also give None: the ordinary reader reports them.
"""
from __future__ import annotations

import re

from rnncli.files.core_schema import DECIMAL, decimal_value, resolve_scalar
from rnncli.files.number_rows import row_values

MAX_KEY_CHARS = 1024        # YAML's longest implicit key: a longer one is an error there

_NOT_PLAIN_TEXT = re.compile(r"[^\x20-\x7e\n]")
# One line: indentation, key, colon, then a decimal number, a row of them or another plain
# scalar, or nothing; then spaces or a comment. A scalar's inner spaces are taken only
# before more of it, so the match is unambiguous (no backtracking over long lines).
_LINE = re.compile(r"""(\ *)([A-Za-z_][\w.\-]*(?:\[[\w+\-]*\])?):
                       (?:\ +(?:(""" + DECIMAL + r""")(?=\ |$)
                             |\[([-+0-9.eE,\ ]*)\]
                             |((?:[\w./+]|-[\d.])(?:[\w./+\-]|\ +(?=[\w./+\-]))*)))?
                       (?:\ *|\ +\#.*)""", re.ASCII | re.VERBOSE)


def read_plain(text: str, max_values: int, max_chars: int) -> tuple[dict, dict] | None:
    """Returns (data, lines) of YAML text of the plainest form (see the module), else None.

    `lines` maps each key's path to its 1-based line, as yaml_source's reader
    records them. `max_values` and `max_chars` are that reader's limits.
    """
    if _NOT_PLAIN_TEXT.search(text):
        return None
    data: dict = {}
    lines: dict = {}
    nested: dict | None = None       # the mapping open under a `key:` line
    nested_key = None
    indent = 0                       # its lines' indentation, once its first line is read
    total = 1
    line_match = _LINE.fullmatch
    for number, line in enumerate(text.split("\n"), 1):
        match = line_match(line)
        if match is None:
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            return None
        spaces, key, decimal, row, scalar = match.groups()
        if decimal is not None:
            value = decimal_value(decimal)
        elif row is not None:
            value = row_values(row)
            if value is None:
                return None
        elif scalar is not None:
            if len(scalar) > max_chars:
                return None
            value = resolve_scalar(scalar, True)
        else:
            value = _NOTHING
        if len(key) > MAX_KEY_CHARS:
            return None
        if spaces:
            if nested is None or (indent and len(spaces) != indent) or value is _NOTHING \
                    or key in nested:
                return None
            indent = len(spaces)
            lines[(nested_key, key)] = number
            nested[key] = value
        else:
            if (nested is not None and not nested) or key in data:
                return None          # a key left with no value, or a duplicate
            if not data:
                lines[()] = number
            lines[(key,)] = number
            if value is _NOTHING:
                nested, nested_key, indent = {}, key, 0
                value = nested
                total += 1
            else:
                nested = None
            data[key] = value
        total += 2 + (len(value) if type(value) is list else 0)
        if total > max_values:
            return None
    if not data or (nested is not None and not nested):
        return None
    return data, lines


_NOTHING = object()        # `key:` with nothing after it
