"""Quantity references (docs/file-formats.md): `h[2]`, `h`, `params.total`, `params.W_f`,
`loss`, `loss[2]`, `grad.W_f`, `grad.h[2]`.

A reference names something rnncli can compute; `Solution` computes it once
(the trace, the parameter counts) and answers every reference from that.
Later kinds follow the same `<kind>.<name>` style.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rnncli.errors import ProblemError, did_you_mean

_STEP_REF = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\[\s*(-?\d+)\s*\])?\s*$")
_KIND_REF = re.compile(r"^\s*([a-z]+)\.([A-Za-z][A-Za-z0-9_]*)\s*$")
_SHEET_REF = re.compile(r"^\s*(?:(unroll)\.([A-Za-z][A-Za-z0-9_]*)\s*(?:\[\s*(-?\d{1,9})\s*\])?"
                        r"|(graph)\s*(?:\[\s*(\d{1,9})\s*\])?|(plot)(?:\.([A-Za-z][A-Za-z0-9_]*))?)\s*$")
_GRAD_REF = re.compile(r"^\s*grad\.([A-Za-z][A-Za-z0-9_]*)\s*(?:\[\s*(-?\d{1,9})\s*\])?\s*$")
KINDS = ("params", "grad", "unroll", "graph", "plot")
SHEET_KINDS = ("unroll", "graph", "plot")     # spec §16: shown by `solve`; see sheet_references.py
MAX_STEP_DIGITS = 9     # a step index beyond 10^9 names nothing; Python refuses int() of 4300 digits


@dataclass(frozen=True)
class Reference:
    kind: str               # "quantity", "params", "grad" (dL/dq), "loss", "unroll", "graph" or "plot"
    name: str               # "" for `graph` and a bare `plot`
    step: int | None = None

    def __str__(self) -> str:
        if self.kind in SHEET_KINDS:
            from rnncli.solve.sheet_references import sheet_reference_text

            return sheet_reference_text(self)
        if self.kind == "loss":
            return "loss" if self.step is None else f"loss[{self.step}]"
        if self.kind == "grad":
            return f"grad.{self.name}" + ("" if self.step is None else f"[{self.step}]")
        if self.kind != "quantity":
            return f"{self.kind}.{self.name}"
        return self.name if self.step is None else f"{self.name}[{self.step}]"


def parse_reference(text) -> Reference:
    """Returns the Reference of `h[2]`, `h`, `params.total` or `params.W_f`."""
    if not isinstance(text, str):
        raise ProblemError(f"a quantity reference must be text such as h[2], not {_clip(repr(text))}")
    match = _SHEET_REF.match(text)
    if match:
        unroll, name, step, graph, unfold, plot, quantity = match.groups()
        if unroll:
            return Reference("unroll", name, None if step is None else int(step))
        if graph:
            return Reference("graph", "", None if unfold is None else int(unfold))
        return Reference("plot", quantity or "")
    if re.match(r"^\s*(graph|plot|unroll)\b", text):
        raise ProblemError(f"`{_clip(text)}` is not a sheet reference; they are written graph, graph[T], "
                           "plot, plot.h, unroll.h[T]")
    match = _GRAD_REF.match(text)
    if match:
        name, step = match.groups()
        return Reference("grad", name, None if step is None else int(step))
    match = _KIND_REF.match(text)
    if match:
        kind, name = match.groups()
        if kind not in KINDS:
            raise ProblemError(f"unknown reference kind `{kind}.`{did_you_mean(kind, KINDS)}; "
                               "references are like h[2], h, params.total, params.W_f")
        return Reference(kind, name)
    match = _STEP_REF.match(text)
    if not match:
        raise ProblemError(f"`{_clip(text)}` is not a quantity reference (like h[2], h, params.total)"
                           f"{printed_notation_hint(text)}")
    name, step = match.groups()
    if step is not None and len(step.lstrip("-").lstrip("0")) > MAX_STEP_DIGITS:
        raise ProblemError(f"`{name}[...]`: the step index has {len(step.lstrip('-'))} digits; "
                           "no problem has that many steps")
    # `loss` always names the loss (spec §13), `loss[t]` the loss at step t.
    return Reference("loss" if name == "loss" else "quantity", name,
                     None if step is None else int(step))


def _clip(text: str, limit: int = 60) -> str:
    """Returns text cut to `limit` characters: a message quotes a reference, never a whole file."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# How the working is printed, read back: h(1) (text), h^{(1)} and {h_{1}}^{(2)} (LaTeX),
# h_{1} and h₁ (a step as a subscript, as sheets write h_t).
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉₋", "0123456789-")
_PRINTED_STEP = [
    re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*\(\s*(-?\d+)\s*\)$"),                  # h(1)
    re.compile(r"^\{?([A-Za-z\\][A-Za-z0-9_{}\\]*?)\}?\s*\^\s*\{?\s*\(?\s*(-?\d+)\s*\)?\s*\}?$"),  # h^{(1)}
    re.compile(r"^([A-Za-z][A-Za-z0-9]*)_\{\s*(-?\d+)\s*\}$"),                       # h_{1}
    re.compile(r"^([A-Za-z][A-Za-z0-9_]*?)(-?\d+)$"),                                 # h₁
]


def printed_notation_hint(text: str) -> str:
    """Returns ` (did you mean `h[1]`? ...)` for a reference written as rnncli prints it, or ''."""
    from rnncli.language.functions import FUNCTIONS

    if len(text) > 100:
        return ""           # junk, not notation: no hint quotes it back
    plain = text.strip().replace("−", "-")
    head = re.split(r"[\s(]", plain, maxsplit=1)[0]
    for function in FUNCTIONS.values():
        printed = head == function.text and function.text != function.name   # σ, ReLU, hard_σ
        called = head in (function.text, function.name) and head != plain     # tanh(0.3)
        if printed or called:
            return (f"; `{function.text}` is the function `{function.name}` as the working "
                    "prints it: a reference names the quantity it computes, as in f[1]")
    every = re.match(r"^([A-Za-z][A-Za-z0-9_]*)\s*(?:\(\s*t\s*\)|_\{?t\}?|\^\{?\(t\)\}?)$", plain)
    if every:
        return (f" (did you mean `{every.group(1)}`, every step, or `{every.group(1)}[1]`, "
                "one step?)")
    subscript = plain.translate(_SUBSCRIPT_DIGITS)
    for number, pattern in enumerate(_PRINTED_STEP):
        if number == 3 and subscript == plain:
            continue            # h1 is a name; only h₁ is a step written as a subscript
        match = pattern.match(subscript)
        if match:
            name, step = match.groups()
            name = _latex_name_back(name)
            if name.isidentifier():
                return (f" (did you mean `{name}[{step}]`? `{text.strip()}` is how the working "
                        "prints it)")
    return ""


def _latex_name_back(name: str) -> str:
    """Returns the equation-language name of a LaTeX name: W_{xh} -> W_xh, h_{1} -> h1, \\sigma -> sigma."""
    name += "}" * (name.count("{") - name.count("}"))   # the pattern's lazy match ends early
    name = re.sub(r"\\(tilde|hat|bar)\{([A-Za-z]+)\}", r"\2_\1", name)    # \tilde{c} -> c_tilde
    name = name.replace("\\mathrm", "").replace("\\_", "_").lstrip("\\")
    digits = re.match(r"^\{?([A-Za-z]+)\}?_\{(\d+)\}$", name)
    if digits:
        return digits.group(1) + digits.group(2)
    return name.replace("{", "").replace("}", "")


def step_name_hint(name: str, known) -> str:
    """Returns ` (did you mean `h[1]`?)` for `h_1` or `h1` when h is known and they are not, or ''."""
    every = re.match(r"^([A-Za-z][A-Za-z0-9_]*?)_t$", name)
    if every and every.group(1) in known and name not in known:
        return f" (did you mean `{every.group(1)}`, every step?)"
    match = re.match(r"^([A-Za-z][A-Za-z0-9_]*?)_?(\d{1,9})$", name)   # never int() of 4,300 digits
    if match and match.group(1) in known and name not in known:
        return (f" (did you mean `{match.group(1)}[{int(match.group(2))}]`? a step is written "
                "in brackets)")
    return ""


class Solution:
    """Everything rnncli computes for one problem, computed once, on demand."""

    def __init__(self, problem, cell=None):
        self.problem = problem
        self.cell = cell            # a Cell built before, for problems that differ only in numbers

    @cached_property
    def trace(self):
        from rnncli.solve.trace import run_trace

        return run_trace(self.problem, self.cell)

    @cached_property
    def counts(self):
        from rnncli.solve.counting import count_parameters

        return count_parameters(self.problem)

    @cached_property
    def gradients(self):
        from rnncli.solve.gradients import run_gradients

        return run_gradients(self.problem)

    def steps(self) -> range:
        """Returns the step indices of the trace."""
        first = self.problem.time_start
        return range(first, first + (self.problem.n_steps or 0))

    def expand(self, ref: Reference) -> list[Reference]:
        """Returns the references one reference stands for: `h` -> h[1], ..., h[T]."""
        if ref.kind in SHEET_KINDS:
            from rnncli.solve.sheet_references import expand_sheet_reference

            return expand_sheet_reference(self, ref)
        if ref.kind == "quantity" and ref.step is None:
            self.check(ref)
            return [Reference("quantity", ref.name, t) for t in self.steps()]
        if ref.kind == "grad" and ref.step is None:
            self.check(ref)
            if ref.name in self.gradients.cell.quantities:
                return [Reference("grad", ref.name, t) for t in self.steps()]
        return [ref]

    def check(self, ref: Reference) -> None:
        """Raises ProblemError when a reference names nothing this problem computes."""
        if ref.kind in SHEET_KINDS:
            from rnncli.solve.sheet_references import check_sheet_reference

            return check_sheet_reference(self, ref)
        if ref.kind == "params":
            names = [row.name for row in self.counts.rows]
            if ref.name != "total" and ref.name not in names:
                raise ProblemError(f"`{ref}`: no parameter `{ref.name}`"
                                   f"{did_you_mean(ref.name, names + ['total'])}")
            return
        if ref.kind in ("grad", "loss"):
            self._check_gradient(ref)
            return
        cell = self.trace.cell
        known = list(cell.quantities) + list(cell.inputs)
        if ref.name not in known:
            hint = (step_name_hint(ref.name, known) if ref.step is None else "") \
                or did_you_mean(ref.name, known)
            raise ProblemError(f"`{ref}`: no quantity `{ref.name}` in this problem"
                               f"{hint}; it has {', '.join(known)}")
        if ref.step is not None and ref.step not in self.steps():
            steps = self.steps()
            raise ProblemError(f"`{ref}`: step {ref.step} is outside the steps "
                               f"{steps.start}..{steps.stop - 1}")

    def _check_gradient(self, ref: Reference) -> None:
        if self.problem.loss is None:
            raise ProblemError(f"`{ref}`: the problem has no `loss` to differentiate; add one, "
                               "such as `loss: 0.5 * (y - target) ** 2`")
        result = self.gradients
        if ref.kind == "loss":
            if ref.step is not None and ref.step not in result.counted:
                raise ProblemError(f"`{ref}`: the loss is counted at steps "
                                   f"{', '.join(map(str, result.counted))}, not at {ref.step}")
            return
        quantities, params = result.cell.quantities, result.plan.trainable
        if ref.name in params or ref.name in result.problem.fixed:
            if ref.name in result.problem.fixed:
                raise ProblemError(f"`{ref}`: `{ref.name}` is fixed; it has no gradient")
            if ref.step is not None:
                raise ProblemError(f"`{ref}`: a parameter's gradient has no step; write "
                                   f"grad.{ref.name}")
            return
        if ref.name not in quantities:
            known = list(quantities) + list(params)
            raise ProblemError(f"`{ref}`: no quantity or parameter `{ref.name}`"
                               f"{did_you_mean(ref.name, known)}")
        if ref.step is not None:
            first = self.problem.time_start
            initial = ref.step == first - 1 and ref.name in result.initial
            if ref.step not in self.steps() and not initial:
                raise ProblemError(f"`{ref}`: step {ref.step} is outside the steps "
                                   f"{first}..{self.steps().stop - 1}")

    def value(self, ref: Reference):
        """Returns the computed value of a single reference (a step, a count, a gradient)."""
        self.check(ref)
        if ref.kind in SHEET_KINDS:
            from rnncli.solve.sheet_references import sheet_value

            return sheet_value(self, ref)
        if ref.kind == "loss":
            result = self.gradients
            return result.loss if ref.step is None else dict(result.losses)[ref.step]
        if ref.kind == "grad":
            result = self.gradients
            if ref.step is None and ref.name in result.params:
                return result.params[ref.name]
            if ref.step is None:
                raise ProblemError(f"`{ref}` stands for every step; name one, as in "
                                   f"grad.{ref.name}[{self.steps().start}]")
            return result.grad(ref.name, ref.step)
        if ref.kind == "params":
            if ref.name == "total":
                return self.counts.total
            return next(row.count for row in self.counts.rows if row.name == ref.name)
        if ref.step is None:
            raise ProblemError(f"`{ref}` stands for every step; name one, as in {ref.name}[1]")
        return self.trace.value(ref.name, ref.step)

    def is_count(self, ref: Reference) -> bool:
        """Returns whether a reference is an exact count (graded exactly)."""
        return ref.kind == "params"
