"""Formula answers (`unroll.h[5]: "f(W @ x[5] + U @ f(...))"`) -> correct, wrong or invalid.

A formula is graded by evaluating it and the reference at several random
points, never by comparing strings: every parameter, input and initial state
gets random numbers (vectors and matrices of one common size, so that a
product in the wrong order or a swapped pair of matrices shows), and every
function the language does not know (the sheet's f) gets a random smooth
stand-in a·tanh(b·z + c) + d·z. Equal at every point (to 1e-7): correct. A
rewriting (terms reordered, products distributed) is therefore correct, and
a formula that differs from the reference gets a diagnosis when it equals a
known slip of the reference: two parameters swapped, the inputs' steps
shifted by one, a term of a sum left out.

The student's text is parsed by the equation parser with its limits, never
executed. When the problem's initial states are zero (the default), a formula
that drops the terms that vanish with them (U·h(0)) is correct: it is equal at
every point where the initial states are zero, as the problem has them.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from rnncli.errors import EquationError, RnncliError
from rnncli.language.expression import BinOp, Call, Concat, Name, Neg, Node, Number, Step, Value, walk
from rnncli.language.functions import FUNCTIONS

POINTS = 6
SIZE = 3             # the common size of every vector in the random points
RTOL, ATOL = 1e-7, 1e-9
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class FormulaVerdict:
    status: str                  # correct, wrong or invalid
    feedback: str
    code: str | None = None      # the diagnosis, when one applies: swapped, shifted, missing-term
    label: str | None = None


class _Unevaluable(Exception):
    """A formula that cannot be evaluated at a point (shapes that do not fit, an overflow)."""


def _matmul(a, b):
    # The same scalar rules as the trace: `@` with a scalar scales the other operand.
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    return a @ b


_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "@": _matmul,
        "**": np.power}


class Point:
    """One random point: a value for every parameter, step reference and unknown function."""

    def __init__(self, seed: int, shapes: dict, states: set, zero_initial: bool, first: int):
        self.seed = seed
        self.shapes = shapes
        self.states = states
        self.zero_initial = zero_initial
        self.first = first
        self.values: dict = {}

    def _rng(self, *key) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(repr(key).encode())])

    def value(self, name: str, step: int | None):
        key = (name, step)
        if key not in self.values:
            shape = self.shapes.get(name, ())
            if self.zero_initial and step is not None and step < self.first and name in self.states:
                self.values[key] = np.zeros(shape)
            else:
                self.values[key] = self._rng("value", name, step).normal(0.0, 0.7, shape)
        return self.values[key]

    def function(self, name: str):
        known = FUNCTIONS.get(name)
        if known is not None:
            return known.evaluate
        a, b, c, d = self._rng("function", name).uniform(0.5, 1.5, 4) * (1, 1, 0.4, 0.3)
        return lambda z: a * np.tanh(b * z + c) + d * z

    def evaluate(self, node: Node):
        if isinstance(node, Number):
            return np.float64(node.value)
        if isinstance(node, Value):
            return np.asarray(node.value, dtype=float)
        if isinstance(node, Name):
            return self.value(node.name, None)
        if isinstance(node, Step):
            return self.value(node.name, node.step)
        if isinstance(node, Neg):
            return -self.evaluate(node.operand)
        if isinstance(node, BinOp):
            return _OPS[node.op](self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, Call):
            if len(node.args) != 1:
                raise _Unevaluable(f"`{node.function}` takes one argument, not {len(node.args)}")
            return self.function(node.function)(self.evaluate(node.args[0]))
        if isinstance(node, Concat):
            return np.concatenate([np.atleast_1d(self.evaluate(i)) for i in node.items])
        raise _Unevaluable(f"cannot evaluate {type(node).__name__}")


def _value_at(point: Point, node: Node):
    try:
        with np.errstate(all="raise"):
            return np.asarray(point.evaluate(node), dtype=float)
    except (FloatingPointError, ValueError) as exc:
        raise _Unevaluable(str(exc).split("\n")[0]) from None


def _equal(a, b) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


class FormulaGrader:
    """Grades formula answers against one unrolled reference."""

    def __init__(self, unrolled, seed: int = 2026):
        self.unrolled = unrolled
        self.cell = unrolled.cell
        self.reference = _inline_lets(unrolled)
        problem = unrolled.problem
        self.first = problem.time_start
        self.states = set(self.cell.quantities) | set(self.cell.inputs)
        self.shapes = _uniform_shapes(problem, self.cell)
        initial = problem.initial
        self.zero_initial = all(np.all(np.asarray(initial.get(s, 0.0)) == 0)
                                for s in self.cell.states)
        self.seed = seed
        leaves = unrolled.leaves
        self.params = set(leaves["params"])
        self.functions = {n.function for n in walk(self.reference) if isinstance(n, Call)}

    def points(self, zero_initial: bool = False) -> list:
        return [Point(self.seed + i, self.shapes, self.states, zero_initial, self.first)
                for i in range(POINTS)]

    def grade(self, text) -> FormulaVerdict:
        """Returns the verdict on a student's formula (text in the equation language)."""
        if not isinstance(text, str):
            return FormulaVerdict("invalid", "a formula answer must be text in the equation "
                                  f"language, such as \"{self._example()}\"")
        from rnncli.language.equations import parse_expression

        try:
            given = parse_expression(text, allow_steps=True)
        except EquationError as exc:
            return FormulaVerdict("invalid", f"the formula does not parse: {exc.message}")
        problem = self._leaf_problem(given)
        if problem:
            return FormulaVerdict(*problem)
        try:
            if self._same(given, self.reference, self.points()):
                return FormulaVerdict("correct", f"equal to the reference at {POINTS} random points")
            if self.zero_initial and self._same(given, self.reference, self.points(True)):
                return FormulaVerdict("correct", "equal to the reference wherever the initial "
                                      "states are zero, as this problem has them")
        except _Unevaluable as exc:
            return FormulaVerdict("wrong", f"the formula cannot be evaluated: {exc}")
        diagnosis = self.diagnose(given, self.points(self.zero_initial))
        if diagnosis:
            return FormulaVerdict("wrong", f"not equal to the reference; {diagnosis[2]}",
                                  diagnosis[0], diagnosis[1])
        return FormulaVerdict("wrong", f"not equal to the reference at {POINTS} random points "
                              "(parameters, inputs and initial states drawn at random)")

    def _same(self, given: Node, reference: Node, points: list) -> bool:
        for point in points:
            try:
                expected = _value_at(point, reference)
            except _Unevaluable:
                continue          # a point where the reference overflows says nothing
            if not _equal(_value_at(point, given), expected):
                return False
        return True

    def _example(self) -> str:
        from rnncli.language.printing.source import to_source

        return to_source(self.reference)[:60]

    def _leaf_problem(self, given: Node):
        """Returns (status, feedback) when the formula uses something the answer cannot contain."""
        inputs = set(self.cell.inputs)
        quantities = set(self.cell.quantities)
        for node in walk(given):
            if isinstance(node, Name):
                if node.name in inputs or node.name in quantities:
                    return ("invalid", f"`{node.name}` needs a step number, as in "
                            f"{node.name}[{self.unrolled.step}]: the formula is written in fixed steps")
                if node.name not in self.params and node.name not in self.cell.params:
                    return ("wrong", f"`{node.name}` is not a parameter of this problem; it has "
                            + ", ".join(sorted(self.cell.params)))
            elif isinstance(node, Step):
                if node.name not in inputs and node.name not in quantities:
                    return ("wrong", f"`{node.name}[{node.step}]`: `{node.name}` is neither an "
                            "input nor a quantity of this problem")
                if node.name in quantities and node.step >= self.first and not self._standing(node):
                    return ("wrong", f"`{node.name}[{node.step}]` is left standing: substitute its "
                            "formula, down to the inputs and the initial states")
            elif isinstance(node, Call):
                if node.function not in FUNCTIONS and node.function not in self.functions:
                    return ("wrong", f"`{node.function}` is not a function of this problem"
                            + (f"; it uses {', '.join(sorted(self.functions))}" if self.functions else ""))
        return None

    def _standing(self, node: Step) -> bool:
        # With `--depth`, quantities of earlier steps stay standing in the reference itself.
        return any(isinstance(n, Step) and n == node for n in walk(self.reference))

    def diagnose(self, given: Node, points: list | None = None):
        """Returns (code, label, message) of the slip the formula equals, or None."""
        points = points or self.points()
        used = {n.function for n in walk(given) if isinstance(n, Call)}
        try:
            for code, label, message, candidate in _slips(self.reference, self.cell, self.params,
                                                          used):
                try:
                    if self._same(given, candidate, points):
                        return code, label, message
                except _Unevaluable:
                    continue
        except _Unevaluable:
            return None
        return None


def _inline_lets(unrolled) -> Node:
    """Returns the formula with its `let` definitions substituted back."""
    from rnncli.language.expression import transform

    defined = {(d.name, d.step): d.formula for d in unrolled.lets}
    formula = unrolled.formula
    for _ in range(len(defined) + 1):
        formula = transform(formula, lambda n: defined.get((n.name, n.step))
                            if isinstance(n, Step) else None)
    return formula


def _uniform_shapes(problem, cell) -> dict:
    """Returns name -> shape with every input and quantity a vector of SIZE entries (scalars if that fails)."""
    import dataclasses

    from rnncli.cells.build import build_cell

    sizes = {name: SIZE for name in list(cell.inputs) + list(cell.quantities)}
    try:
        uniform = dataclasses.replace(problem, sizes=sizes, params={}, inputs={}, initial={})
        shaped = build_cell(uniform, shapes=True, evaluate=False)
        return dict(shaped.shapes)
    except (RnncliError, Exception):   # noqa: BLE001  any inference failure: scalars still grade
        return {}


def _slips(reference: Node, cell, params: set, used: set = frozenset()):
    """Yields (code, label, message, the reference with that slip), most specific first."""
    from rnncli.language.expression import transform
    from rnncli.language.printing.source import to_source

    count = 0
    symbols = sorted({n.function for n in walk(reference) if isinstance(n, Call)}
                     - set(FUNCTIONS))
    for symbol in symbols:
        for known in sorted(used & set(FUNCTIONS)):
            yield ("function", f"{known} for {symbol}",
                   f"`{known}` is written where the problem's function `{symbol}` belongs (keep "
                   f"{symbol}: the problem does not say which function it is)",
                   _rename(reference, symbol, known))
    ordered = sorted(params)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            swap = {a: b, b: a}
            yield ("swapped", f"{a} and {b} swapped",
                   f"`{a}` and `{b}` are swapped (each stands where the other belongs)",
                   transform(reference, lambda n: Name(swap[n.name], n.lag)
                             if isinstance(n, Name) and n.name in swap else None))
            count += 1
    inputs = set(cell.inputs)
    for shift in (1, -1):
        word = "up" if shift > 0 else "down"
        example = next((n for n in walk(reference) if isinstance(n, Step) and n.name in inputs), None)
        if example is None:
            break
        yield ("shifted", f"input steps shifted by {shift:+d}",
               f"the steps of the inputs are shifted {word} by one ({example.name}[{example.step + shift}] "
               f"where {example.name}[{example.step}] belongs)",
               transform(reference, lambda n: Step(n.name, n.step + shift)
                         if isinstance(n, Step) and n.name in inputs else None))
    for node in walk(reference):
        if count > MAX_CANDIDATES:
            return
        if isinstance(node, BinOp) and node.op in "+-":
            for kept, dropped in ((node.left, node.right), (node.right, node.left)):
                replacement = kept if (kept is node.left or node.op == "+") else Neg(kept)
                label, message = _missing_term(dropped, cell, to_source)
                yield ("missing-term", label, message,
                       transform(reference, lambda n, target=node, r=replacement:
                                 r if n is target else None))
                count += 1
        if isinstance(node, BinOp) and node.op in "@*" and isinstance(node.left, Name):
            yield ("missing-factor", f"{node.left.name} left out",
                   f"`{node.left.name}` is left out of the product `{_short(to_source(node))}`",
                   transform(reference, lambda n, target=node: target.right
                             if n is target else None))
            count += 1


def _rename(node: Node, old: str, new: str) -> Node:
    """Returns `node` with every call of `old` made a call of `new`."""
    from rnncli.language.expression import transform

    def leaf(n):
        if isinstance(n, Call) and n.function == old:
            return Call(new, tuple(_rename(a, old, new) for a in n.args))
        return None

    return transform(node, leaf)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _missing_term(dropped: Node, cell, to_source) -> tuple:
    """Returns (label, message) for a term left out of a sum; a recurrent term says which state."""
    inputs = set(cell.inputs)
    if isinstance(dropped, BinOp) and dropped.op in "@*" and isinstance(dropped.left, Name):
        read = dropped.right
        states = [q for q in cell.states if q not in inputs]
        if isinstance(read, Step) and read.name not in inputs:
            state = f"{read.name}[{read.step}]"
        elif isinstance(read, Call) and len(states) == 1:
            steps = [n.step for n in walk(read) if isinstance(n, Step) and n.name in inputs]
            state = f"{states[0]}[{max(steps)}]" if steps else None
        else:
            state = None
        if state:
            term = f"{dropped.left.name} @ {state}"
            return (f"recurrent term {dropped.left.name} @ h missing",
                    f"the recurrent term `{term}` is missing"
                    + ("" if isinstance(read, Step) else f" (written out: `{_short(to_source(dropped))}`)"))
    return "a term missing", f"the term `{_short(to_source(dropped))}` is missing"


def grade_formula(unrolled, text, seed: int = 2026) -> FormulaVerdict:
    """Returns the verdict on one formula answer against an Unrolled reference."""
    return FormulaGrader(unrolled, seed).grade(text)
