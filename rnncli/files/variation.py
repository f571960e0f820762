"""The `vary:` block of a problem file -> `Variation`: which numbers an exam variant may change, and how.

    vary:
      params: {U_g: [-0.5, 0.5, 0.05]}     # [min, max, step]: values drawn on that grid
      inputs: {x: {values: [0.2, 0.5]}}    # or a list of allowed values
      initial: {h: [0, 0.5, 0.1]}
      seed: 2026

A grid keeps a variant's numbers as short as the original's (a step of 0.05
draws 0.35, never 0.3517). Sizes never vary: a variant is the same exercise
with other numbers, so every variant has the same shapes, the same working and
the same questions. Only parsing and validation live here; drawing is
`rnncli.variants`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rnncli.files.values import as_number, describe, fail, reject_unknown_keys
from rnncli.files.yaml_source import Document

SECTIONS = ("params", "inputs", "initial")
VARY_KEYS = SECTIONS + ("seed",)
MAX_GRID_POINTS = 1_000_000
MAX_SEED = 2 ** 63


@dataclass(frozen=True)
class Range:
    """The values one varied name may take: a grid `[min, max, step]` or a list of allowed values."""

    section: str                 # params, inputs or initial
    name: str
    values: tuple                # every allowed value, in increasing order for a grid
    decimals: int                # decimals a drawn value is written with
    line: int | None


@dataclass(frozen=True)
class Variation:
    ranges: tuple                # Range, in the order of the file
    seed: int
    line: int | None


def parse_variation(doc: Document, value) -> Variation:
    """Returns the Variation of a `vary:` mapping; fails naming the line of the first mistake."""
    path = ("vary",)
    if not isinstance(value, dict) or not value:
        fail(doc, path, f"`vary` must be a mapping with params, inputs or initial and a seed, "
                        f"not {describe(value)}")
    if "sizes" in value:
        fail(doc, path + ("sizes",), "sizes cannot vary: every variant must be the same exercise "
                                     "with other numbers (vary params, inputs or initial)")
    reject_unknown_keys(doc, path, value, VARY_KEYS, what="key", where=" in `vary`",
                        tail="; `vary` takes " + ", ".join(VARY_KEYS))
    if "seed" not in value:
        fail(doc, path, "`vary` needs a `seed:` (a whole number), so that the same file always "
                        "gives the same variants")
    seed = value["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        fail(doc, path + ("seed",), f"`vary.seed` must be a whole number from 0 to 2**63 - 1, "
                                    f"not {describe(seed)}")
    ranges = []
    for section in SECTIONS:
        if section not in value:
            continue
        names = value[section]
        if not isinstance(names, dict) or not names:
            fail(doc, path + (section,), f"`vary.{section}` must map names to [min, max, step] "
                                         f"or {{values: [...]}}, not {describe(names)}")
        for name, spec in names.items():
            ranges.append(_range(doc, path + (section, name), section, str(name), spec))
    if not ranges:
        fail(doc, path, "`vary` varies nothing: name params, inputs or initial values")
    return Variation(tuple(ranges), seed, doc.line(*path))


def _range(doc: Document, path: tuple, section: str, name: str, spec) -> Range:
    where = f"`vary.{section}.{name}`"
    if isinstance(spec, dict):
        reject_unknown_keys(doc, path, spec, ("values",), what="key", where=f" in {where}",
                            tail="; write [min, max, step] or {values: [a, b, ...]}")
        spec = spec.get("values")
        if not isinstance(spec, list) or not spec:
            fail(doc, path, f"{where}: `values` must be a list of allowed numbers")
        return _allowed(doc, path, section, name, spec)
    if not isinstance(spec, list):
        fail(doc, path, f"{where} must be [min, max, step] or {{values: [a, b, ...]}}, "
                        f"not {describe(spec)}")
    if len(spec) != 3:
        # Three numbers are always a grid; any other length can only be allowed values.
        return _allowed(doc, path, section, name, spec)
    low, high, step = (as_number(doc, path + (i,), v) for i, v in enumerate(spec))
    if step <= 0:
        fail(doc, path + (2,), f"{where}: the step must be positive, not {step:g}")
    if high < low:
        fail(doc, path, f"{where}: min {low:g} is larger than max {high:g}")
    count = math.floor((high - low) / step + 1e-9) + 1
    if count > MAX_GRID_POINTS:
        fail(doc, path, f"{where}: {count} grid points; at most {MAX_GRID_POINTS}")
    decimals = max(_decimals(spec[0]), _decimals(spec[2]))
    values = tuple(_clean(round(low + k * step, decimals)) for k in range(count))
    return Range(section, name, values, decimals, doc.line(*path))


def _allowed(doc: Document, path: tuple, section: str, name: str, spec: list) -> Range:
    if not spec or len(spec) > MAX_GRID_POINTS:
        fail(doc, path, f"`vary.{section}.{name}` needs between 1 and {MAX_GRID_POINTS} values")
    values = tuple(_clean(as_number(doc, path + (i,), v)) for i, v in enumerate(spec))
    if len(set(values)) != len(values):
        fail(doc, path, f"`vary.{section}.{name}` lists a value twice")
    return Range(section, name, values, max(_decimals(v) for v in spec), doc.line(*path))


def _decimals(number) -> int:
    """Returns how many decimals a number is written with: 0.05 -> 2, 1e-3 -> 3, 2 -> 0."""
    if isinstance(number, int):
        return 0
    text = repr(float(number))
    if "e" in text:
        mantissa, exponent = text.split("e")
        places = len(mantissa.split(".")[1].rstrip("0")) if "." in mantissa else 0
        return max(0, places - int(exponent))
    return len(text.split(".")[1].rstrip("0"))


def _clean(value: float) -> float:
    return value + 0.0          # -0.0 -> 0.0, so a variant never shows a negative zero
