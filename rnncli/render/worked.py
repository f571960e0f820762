"""A worked equation or a value as text: shared by the trace, network and grading renderers."""
from __future__ import annotations

from rnncli.language.expression import Value
from rnncli.language.printing.base import format_given, format_number

MAX_SHOWN_ENTRIES = 8


def chain(printer, worked, value: str | None = None) -> list[str]:
    """Returns the forms of a worked equation and its value as printed strings, without repeats.

    `value` is the value's text (default: as the printer writes it). A constant
    equation (f = 0) gives one form: `f(1) = 0`, not `f(1) = 0 = 0`.
    """
    forms = [printer.doprint(worked.symbolic)]
    for node in (worked.substituted, worked.reduced, worked.called):
        if node is not None:
            text = printer.doprint(node)
            if text != forms[-1]:
                forms.append(text)
    if value is None:
        value = printer.doprint(Value(worked.value, worked.constant))
    if value != forms[-1]:
        forms.append(value)
    return forms


def _number(value, precision: int, given: bool) -> str:
    return format_given(value) if given else format_number(value, precision)


def value_text(value, precision: int, minus: str = "−", given: bool = False) -> str:
    """Returns a value compactly: 0.5436, [0.1, 0.2], long vectors cut with … and their size.

    `given` values (the problem's own numbers) are written as written, not rounded.
    """
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return _number(value, precision, given).replace("-", minus)
    flat = [_number(v, precision, given).replace("-", minus) for v in value.ravel()]
    if value.ndim == 1:
        if len(flat) > MAX_SHOWN_ENTRIES:
            return "[" + ", ".join(flat[:3]) + ", …, " + ", ".join(flat[-2:]) + f"] ({len(flat)})"
        return "[" + ", ".join(flat) + "]"
    rows = ["[" + ", ".join(value_text(row, precision, minus, given)[1:-1].split(", ")) + "]"
            for row in value]
    return "[" + ", ".join(rows) + "]"
