"""Rows of plain numbers (`[0.1, -2, 3e-4]`) read in bulk, before the YAML parser sees them.

The bulk of a big problem file is its weights and inputs, written as one-line
flow sequences of decimal numbers. Walking them through the parser costs a
Python event object and a dispatch per number; here each such row is read at
once (split on commas, converted by `float` and `int`) and the parser sees one
placeholder scalar in its place, which `yaml_source` swaps back for the row's
list. Its line is the row's line, so every entry keeps the line it had.

Only the plainest rows are taken: decimal numbers (the YAML 1.2 core forms of
`yaml_source`), commas and spaces between brackets, on one line. Anything else
(`.inf`, hex, a trailing comma, a row over several lines) is left for the
parser. A placeholder that ends up anywhere but as a plain value (inside
quotes, in a key, with a tag or an anchor) makes the reader start again on the
original text, so this is a shortcut that never changes what a file means.
"""
from __future__ import annotations

import re

# A private-use character: the reader refuses the shortcut for a text that holds one.
MARK = "\ue000"
MAX_TOKEN_CHARS = 100       # longer numbers (near the int and scalar limits) go the slow way

# Rows are found by their characters alone (fast: no backtracking); float() and int()
# then accept exactly the YAML 1.2 core decimal forms over these characters (the same
# grammar: sign, digits, point, exponent), and refuse the rest (`1e`, `.`, `1-2`, ``).
# A row stands alone: after a space, `[`, `,` or `{` and before a space, `,`, `]` or `}`
# (`h[1]: ...` is a key, `x[1, 2]y` text: the parser reads those).
_ROW = re.compile(r"(?<![^\s\[,{])\[([-+0-9.eE, \t]*)\](?=[\s,\]}]|\Z)")
PLACEHOLDER = re.compile(MARK + r"([0-9]+)")


class Fallback(Exception):
    """The shortcut does not apply to this text: read the original the ordinary way."""


def prepare(text: str) -> tuple[str, list] | None:
    """Returns (text with rows replaced by placeholders, the rows' values), or None if none apply."""
    if MARK in text or "[" not in text:
        return None
    rows: list[list] = []

    def replace(match: re.Match) -> str:
        row = row_values(match.group(1))
        if row is None:
            return match.group(0)
        rows.append(row)
        return f"{MARK}{len(rows) - 1}"

    replaced = _ROW.sub(replace, text)
    return (replaced, rows) if rows else None


def row_values(inner: str) -> list | None:
    """Returns the numbers between a row's brackets (characters as _ROW allows), or None if
    they are not a row of decimal numbers for this shortcut."""
    tokens = inner.split(",")
    if max(map(len, tokens)) > MAX_TOKEN_CHARS:
        return None
    # int() and float() accept the spaces around a token and nothing else that the
    # characters allow (`_`, `inf` and `nan`, which they would take, cannot occur).
    try:
        if inner.count(".") == len(tokens):
            # A point per token (a token with two fails float()): no int among them.
            return list(map(float, tokens))
        return [float(t) if ("." in t or "e" in t or "E" in t) else int(t) for t in tokens]
    except ValueError:
        return None


def row_of(text: str, rows: list) -> list:
    """Returns the row a placeholder scalar stands for; Fallback if the scalar is not exactly one."""
    match = PLACEHOLDER.fullmatch(text)
    if match is None:
        raise Fallback(text)
    return rows[int(match.group(1))]
