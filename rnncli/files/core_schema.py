"""A plain YAML scalar's text -> its value under the YAML 1.2 core schema.

PyYAML resolves YAML 1.1 (`1e-3` a string, `no` a boolean); rnncli's files
are read as YAML 1.2 core: https://yaml.org/spec/1.2.2/#1032-tag-resolution.
Both readers (yaml_source's event walk and plain_mapping's shortcut) resolve
through this one function, so they cannot disagree on what a value means.
"""
from __future__ import annotations

import re
from typing import Any

MAX_INT_CHARS = 1000

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


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



# The texts of _INT and _FLOAT together: a decimal number.
DECIMAL = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"


def decimal_value(text: str) -> int | float:
    """Returns resolve_scalar(text, True) of a text that matches DECIMAL, without its regexes."""
    if len(text) > MAX_INT_CHARS:
        return resolve_scalar(text, True)
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)
