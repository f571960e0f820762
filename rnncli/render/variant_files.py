"""VariantSet -> the files a TA hands out and grades with: one problem file per variant, the key, the roster.

A variant's problem file is the original's data with the drawn numbers put in
and `vary:` taken out, written by a small YAML writer of our own: every
string double-quoted (JSON escapes are YAML's too), vectors and matrices in
flow style as people write them, numbers as their shortest round-trip form.
So a file is byte-identical for the same inputs on every machine, and it
reads back into exactly the numbers that were drawn.
"""
from __future__ import annotations

import csv
import io
import json
import re

from rnncli.render.json_document import plain

# Words another YAML reader (1.1) would take for a boolean or null are quoted too.
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
KEY_COLUMNS = ("variant", "file", "question", "ref", "expected", "tolerance", "points")


def variant_file_name(stem: str, number: int, count: int) -> str:
    """Returns `<stem>-v01.yaml`: numbers padded so that the files sort in order."""
    return f"{stem}-v{number:0{max(2, len(str(count)))}d}.yaml"


def variant_yaml(variant_set, variant, heading: str) -> str:
    """Returns the complete problem file of one variant, with `heading` as its first comment lines."""
    data = dict(variant_set.original.doc.data)
    data.pop("vary", None)
    for (section, name), value in variant.drawn.items():
        section_data = dict(data[section])
        section_data[name] = (_plain_sequence(value) if section == "inputs" else plain(value))
        data[section] = section_data
    lines = [f"# {line}" for line in heading.splitlines()]
    lines += _block(data, 0)
    return "\n".join(lines) + "\n"


def variant_heading(variant_set, variant, student: str | None = None) -> str:
    """Returns the comment that opens a variant's file: which variant, of what, with which seed."""
    source = variant_set.original.file
    text = (f"Variant {variant.number} of {variant_set.count} of {source}, seed "
            f"{variant_set.seed} (made by rnncli variants; the same inputs give the same file).")
    if student is not None:
        text += f"\nFor student {student}."
    return text


def key_document(variant_set, files: list) -> dict:
    """Returns the `rnncli/variants-key@1` document: every asked reference of every variant."""
    from rnncli.grading.tolerances import describe

    return {"schema": "rnncli/variants-key@1", "problem": variant_set.original.file,
            "seed": variant_set.seed, "count": variant_set.count,
            "rejected": [{"reason": r, "draws": n} for r, n in variant_set.rejected],
            "variants": [{"variant": v.number, "file": f, "items": [
                {"question": i.question, "ref": i.label, "expected": plain(i.expected),
                 "tolerance": describe(i.tolerance), "points": i.max_points} for i in v.items]}
                for v, f in zip(variant_set.variants, files)]}


def key_csv(document: dict) -> str:
    """Returns the key as CSV, one row per reference per variant (vectors as JSON lists)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KEY_COLUMNS)
    for variant in document["variants"]:
        for item in variant["items"]:
            writer.writerow([variant["variant"], variant["file"], item["question"], item["ref"],
                             json.dumps(item["expected"]), item["tolerance"],
                             _points(item["points"])])
    return out.getvalue()


def roster_csv(fieldnames: list, rows: list, variants: list) -> str:
    """Returns the roster with a `variant` column added (kept in place if it was there)."""
    columns = list(fieldnames) + ([] if "variant" in fieldnames else ["variant"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row, number in zip(rows, variants):
        writer.writerow({**row, "variant": number})
    return out.getvalue()


def _points(value) -> str:
    value = float(value)
    return str(int(value)) if value == int(value) else repr(round(value, 9))


def _plain_sequence(steps) -> list:
    return [plain(step) for step in steps]


def _block(value, indent: int) -> list:
    """Returns the lines of a mapping in block style."""
    pad = " " * indent
    lines = []
    for key, item in value.items():
        head = f"{pad}{_key(key)}:"
        if isinstance(item, dict) and item:
            lines.append(head)
            lines += _block(item, indent + 2)
        elif isinstance(item, list) and item and any(isinstance(x, dict) for x in item):
            lines.append(head)
            for entry in item:
                sub = _block(entry, indent + 4) if isinstance(entry, dict) else [_flow(entry)]
                first = sub[0].lstrip() if sub else "{}"
                lines.append(f"{pad}  - {first}")
                lines += sub[1:]
        else:
            lines.append(f"{head} {_flow(item)}")
    return lines


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    return _string(str(value))


def _string(text: str) -> str:
    """Returns a name such as `lstm` plain, anything else double-quoted (JSON's escapes are YAML's)."""
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    # Integral grid values are written as integers (`1`, not `1.0`), as a person would.
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _key(key) -> str:
    return _string(str(key))


def handout_files(variant_set, roster=None) -> dict:
    """Returns {file name: text} of everything `rnncli variants` writes, checked before any is written.

    The variants' problem files, key.json and key.csv; with a roster, also one
    problem file per student (`<student_id>.yaml`) and roster.csv with a
    `variant` column.
    """
    from pathlib import PurePath

    from rnncli.errors import UsageError
    from rnncli.render.json_document import dumps
    from rnncli.variants.drawing import student_variant

    stem = PurePath(variant_set.original.file).stem if not variant_set.original.file.startswith("<") \
        else "problem"
    count = variant_set.count
    names = [variant_file_name(stem, v.number, count) for v in variant_set.variants]
    files = {name: variant_yaml(variant_set, v, variant_heading(variant_set, v))
             for name, v in zip(names, variant_set.variants)}
    key = key_document(variant_set, names)
    files["key.json"] = dumps(key) + "\n"
    files["key.csv"] = key_csv(key)
    if roster is not None:
        assigned = [student_variant(variant_set.seed, sid, count) for sid in roster.ids]
        for sid, number in zip(roster.ids, assigned):
            name = f"{sid}.yaml"
            if name in files:
                raise UsageError(f"student_id {sid} would overwrite the file {name}; rename the "
                                 "student's id or the problem file")
            variant = variant_set.variants[number - 1]
            files[name] = variant_yaml(variant_set, variant, variant_heading(variant_set, variant, sid))
        files["roster.csv"] = roster_csv(list(roster.fieldnames), list(roster.rows), assigned)
    return files


def write_files(directory: str, files: dict) -> None:
    """Writes every file into `directory` (created if missing), each one atomically."""
    import os

    from rnncli.render.gradebook import write_atomically

    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        write_atomically(os.path.join(directory, name), text)
