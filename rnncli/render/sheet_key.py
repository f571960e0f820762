"""Sheet -> the answer key as CSV: exact values, formulas in the equation language."""
from __future__ import annotations

import csv
import io

from rnncli.render.sheet_blocks import key_rows, key_source_value


def render_key_csv(sheet) -> str:
    """Returns problem, question, reference, value, tolerance, points: one row per answer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["problem", "question", "reference", "value", "tolerance", "points"])
    for (number, answer), row in zip(sheet.answers, key_rows(sheet)):
        writer.writerow([row[0], row[1], row[2], key_source_value(answer), row[4], row[5]])
    return buffer.getvalue()
