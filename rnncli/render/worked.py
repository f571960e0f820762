"""A worked equation or a value as text: shared by the trace, network and grading renderers."""
from __future__ import annotations

from dataclasses import dataclass

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


MAX_SUMMARY_STEPS = 20      # a longer summary shows its first and last steps (--all-steps: all)
SUMMARY_HEAD, SUMMARY_TAIL = 10, 5


def summary_steps(steps, all_steps: bool = False) -> list:
    """Returns the steps a summary table shows: all, or the first and last with the count between.

    Beyond MAX_SUMMARY_STEPS steps, unless `all_steps`, the table is cut as
    long vectors are (a 10,000-step table helps nobody, and costs seconds):
    the count of the steps left out stands in the list as an int.
    """
    steps = list(steps)
    if all_steps or len(steps) <= MAX_SUMMARY_STEPS:
        return steps
    return steps[:SUMMARY_HEAD] + [len(steps) - SUMMARY_HEAD - SUMMARY_TAIL] + steps[-SUMMARY_TAIL:]


WORKED_HEAD, WORKED_TAIL = 3, 2   # the steps a long trace works out in full


@dataclass(frozen=True)
class Skipped:
    """Steps of a long trace whose working is not shown (`first` to `last`, `count` steps)."""
    first: int
    last: int
    count: int

    def text(self) -> str:
        return (f"Steps t = {self.first} to {self.last} are worked the same way: "
                f"{self.count} steps not shown (--all-steps shows them)")


def worked_steps(trace, all_steps: bool = False) -> list:
    """Returns the WorkedSteps a trace's working shows, a Skipped standing for those left out.

    Beyond MAX_SUMMARY_STEPS steps, unless `all_steps`, only the first and
    last steps are worked (and only those are computed): a student learns the
    working from a few steps, and 10,000 worked steps take minutes to print.
    """
    # Imported here: solve.working needs numpy, and printers that never evaluate
    # (unroll, graph) use this module's text helpers.
    from rnncli.solve.working import work_trace

    count = len(trace.steps)
    if all_steps or count <= MAX_SUMMARY_STEPS:
        return list(work_trace(trace))
    worked = work_trace(trace, [*range(WORKED_HEAD), *range(count - WORKED_TAIL, count)])
    hidden = count - WORKED_HEAD - WORKED_TAIL
    gap = Skipped(trace.steps[WORKED_HEAD].t, trace.steps[count - WORKED_TAIL - 1].t, hidden)
    return [*worked[:WORKED_HEAD], gap, *worked[WORKED_HEAD:]]


def gap_row(hidden: int, columns: int) -> list[str]:
    """Returns the row of a summary table that stands for `hidden` steps left out."""
    return ["…", f"({hidden} steps not shown; --all-steps shows them)"] + [""] * (columns - 2)


def value_text(value, precision: int, minus: str = "−", given: bool = False) -> str:
    """Returns a value compactly: 0.5436, [0.1, 0.2], long vectors cut with … and their size.

    `given` values (the problem's own numbers) are written as written, not rounded.
    """
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return _number(value, precision, given).replace("-", minus)
    if value.ndim == 1:
        text = _row_text(value, precision, minus, given)
        return text + f" ({value.size})" if value.size > MAX_SHOWN_ENTRIES else text
    if value.ndim > 2:
        return "[" + ", ".join(value_text(part, precision, minus, given) for part in value) + "]"
    # A matrix: rows and columns cut as a long vector is (first three, …, last two), with
    # its shape after it when anything is left out; only the entries shown are formatted.
    long = len(value) > MAX_SHOWN_ENTRIES
    rows = [_row_text(row, precision, minus, given)
            for row in ((*value[:3], *value[-2:]) if long else value)]
    if long:
        rows = rows[:3] + ["…"] + rows[3:]
    cut = long or value.shape[1] > MAX_SHOWN_ENTRIES
    return "[" + ", ".join(rows) + "]" + (f" ({value.shape[0]}×{value.shape[1]})" if cut else "")


def _row_text(row, precision: int, minus: str, given: bool) -> str:
    """Returns a vector as [a, b, c] (a long one as [a, b, c, …, y, z]), formatting only those."""
    long = row.size > MAX_SHOWN_ENTRIES
    shown = [_number(v, precision, given).replace("-", minus)
             for v in ((*row[:3], *row[-2:]) if long else row)]
    if long:
        shown = shown[:3] + ["…"] + shown[3:]
    return "[" + ", ".join(shown) + "]"
