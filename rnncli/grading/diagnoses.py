"""A wrong answer -> the common slip that explains it (a `Diagnosis`), found by recomputing under the slip.

Value slips are checked on the number alone: a misplaced decimal point, the
wrong sign, the value of the neighbouring step, the value of another quantity.
Cell slips are built by transforming the expression tree of one equation and
recomputing: σ and tanh swapped (or tanh for ReLU), an activation left out, a
bias left out, the GRU/coupled update direction reversed (z <-> 1 - z); and
intermediate values rounded too early. A cell slip acts wherever the student
gave no value of their own (their answers stay in place). A slip of method is
made at every step, so one that would have spoilt an answer the student got
right is not theirs; a slip that changes nothing explains nothing. The first
slip that matches is the diagnosis.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from rnncli.cells.cell import Cell
from rnncli.language.expression import BinOp, Call, Name, Number, drop_names, names, transform, walk
from rnncli.language.functions import FUNCTIONS
from rnncli.grading.tolerances import close, passing, within

SWAPS = {"sigmoid": ("tanh",), "tanh": ("sigmoid",), "relu": ("tanh",)}
DROPPED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "softmax", "hard_sigmoid")
ROUNDING_DECIMALS = (2, 1, 3)
DECIMAL_SHIFTS = (1, -1, 2, -2, 3, -3)
# A diagnosis must fit more closely than grading asks: a quarter of the tolerance window,
# so that a wrong answer is not "explained" by whichever slip happens to land near it.
SHARP = 0.25
# Value slips that say "this is another value": a slip of method that explains most of a
# student's answers wins over them (a rounded s[3] = 0.7 is not "x[3]").
COINCIDENCES = ("neighbour-step", "other-quantity")
_BIAS_NAME = re.compile(r"^(?:b|bias)(?:_\w*|[0-9]*)$")


@dataclass(frozen=True)
class Diagnosis:
    code: str        # which slip: decimal-point, sign, neighbour-step, other-quantity, ...
    label: str       # short, for class summaries: "tanh instead of σ in s"
    message: str     # the sentence the student reads


@dataclass(frozen=True)
class Slip:
    code: str
    label: str
    equation: str            # the equation it changes ("" when every equation: rounding)
    cell: Cell
    key: str                 # unique: names the variant in the recomputation cache
    round_to: int | None = None


def _fn(name: str) -> str:
    return FUNCTIONS[name].text if name in FUNCTIONS else name


class Diagnoser:
    """Finds the slip behind a wrong answer, for one problem; slips are built once."""

    def __init__(self, recomputer, items_by_key: dict):
        self.recomputer = recomputer
        self.items_by_key = items_by_key     # (name, t) -> AskedItem, the asked quantities
        self.cell = recomputer.cell
        self.reference = recomputer.reference
        self._slips: list[Slip] | None = None
        self._relevant_sets: dict[tuple, set] = {}
        self._others: dict[tuple, _OtherValues] = {}

    @property
    def slips(self) -> list:
        """Returns the cell slips, then the rounding slips, in the order they are tried."""
        if self._slips is None:
            self._slips = cell_slips(self.cell, self.recomputer.problem.params) + [
                Slip("rounding", f"rounded to {n} decimal{'s' if n != 1 else ''} too early", "",
                     _rounded_cell(self.cell, n), f"round:{n}", n) for n in ROUNDING_DECIMALS]
        return self._slips

    def diagnose(self, item, given, student_values: dict, ruled_out: set | None = None):
        """Returns the Diagnosis of a wrong quantity answer, or None.

        `student_values` maps (name, t) to the student's valid answers of
        asked quantities. They stay in place when a slip is recomputed (a
        slip acts where the student gave no value), and they must agree with
        the slip: a slip of method is made at every step, so one that the
        student's other answers do not follow is not theirs. `ruled_out` (one
        set per student, shared by their items) remembers those slips, so a
        class of wild answers does not recompute every slip for every item.
        """
        given = np.asarray(given, dtype=float)
        self.recomputer.use_student(student_values)
        ruled_out = set() if ruled_out is None else ruled_out
        found = self._value_slip(item, given)
        if found and found.code not in COINCIDENCES:
            return found
        method = self._method_slip(item, given, student_values, ruled_out)
        if found is None:
            return None if method is None else method[1]
        # A value that is also another quantity's may be a coincidence: a slip of method
        # that explains most of the student's wrong answers is the better reading.
        if method is not None and self._explains_most(method[0], student_values):
            return method[1]
        return found

    def _method_slip(self, item, given, student_values: dict, ruled_out: set):
        """Returns (Slip, Diagnosis) of the first slip of method that explains `given`, or None."""
        name, t = item.ref.name, item.ref.step
        overrides = self._own((name, t), student_values)
        unslipped = self._unslipped(item, overrides)
        if unslipped is None:
            return None
        relevant = self._relevant((name, t))
        # Computed at step t alone from the student's own values, the answer does not read a
        # slipped equation it does not compute: such a slip changes nothing (fit None), and
        # checking that by recomputing was half of the diagnoses of a noisy class.
        computed = self.recomputer.one_step_equations(name, t, overrides)
        for slip in self.slips:
            if (slip.equation and slip.equation not in relevant) or slip.key in ruled_out:
                continue
            if computed is not None and slip.equation and slip.equation not in computed:
                continue
            fit = self._fit(slip, item, given, overrides, unslipped)
            if fit is None:
                continue
            if fit < 0:
                ruled_out.add(slip.key)     # changes this answer, which does not follow it
            elif fit > 0 and not self._contradicted(slip, item, student_values, ruled_out):
                carried = any(self.recomputer.is_wrong(k, v, self.items_by_key[k])
                              for k, v in overrides.items())
                return slip, self._diagnosis(slip, name, t, carried)
        return None

    def _explains_most(self, slip: Slip, student_values: dict) -> bool:
        """Returns whether the slip closely explains over half of the student's wrong answers."""
        wrong = explained = 0
        for key, value in student_values.items():
            asked = self.items_by_key[key]
            if not self.recomputer.is_wrong(key, value, asked):
                continue
            wrong += 1
            if slip.equation and slip.equation not in self._relevant(key):
                continue
            overrides = self._own(key, student_values)
            unslipped = self._unslipped(asked, overrides)
            if unslipped is not None and self._fit(slip, asked, np.asarray(value, dtype=float),
                                                   overrides, unslipped) == 1:
                explained += 1
        return 2 * explained > wrong

    def _own(self, key, student_values: dict) -> dict:
        self.recomputer.use_student(student_values)
        return self.recomputer.own(*key)

    def _relevant(self, key) -> set:
        """Returns the equations key's value is computed from, itself included (per problem)."""
        if key not in self._relevant_sets:
            self._relevant_sets[key] = {key[0]} | {n for n, _ in self.recomputer.upstream(*key)}
        return self._relevant_sets[key]

    def _unslipped(self, asked, overrides: dict):
        """Returns what the student's own answers give without a slip."""
        if not overrides:
            return asked.expected
        return self.recomputer.value(asked.ref.name, asked.ref.step, overrides)

    def _slipped(self, slip: Slip, name: str, t: int, overrides: dict) -> list:
        """Returns the values name[t] can take under the slip, from the student's own answers."""
        if slip.round_to is None:
            value = self.recomputer.value(name, t, overrides, slip.cell, slip.key)
            return [] if value is None else [value]
        rounded = self.recomputer.trace(slip.cell, slip.key)
        if rounded is None:
            return []
        # Intermediates rounded, except the student's own answers; the answer itself
        # exact, or rounded like the rest.
        replaced = {key: rounded.value(*key) for key in self.recomputer.upstream(name, t)}
        replaced.update(overrides)
        value = self.recomputer.value(name, t, replaced)
        return [] if value is None else [value, np.round(value, slip.round_to)]

    def _fit(self, slip, asked, given, overrides, unslipped):
        """Returns how the slip fits `given`: None if it changes nothing there, -1 if `given`
        does not follow it, 1 if it explains `given` closely (a diagnosis), 0 in between."""
        values = self._slipped(slip, asked.ref.name, asked.ref.step, overrides)
        values = [v for v in values if v.shape == np.shape(given)]
        if not values or all(within(asked.tolerance, unslipped, v) for v in values):
            return None
        if any(within(asked.tolerance, v, given, SHARP) for v in values):
            return 1
        return 0 if any(within(asked.tolerance, v, given) for v in values) else -1

    def _contradicted(self, slip: Slip, item, student_values: dict, ruled_out: set) -> bool:
        """Returns whether another answer of the student's is changed by the slip but does not follow it."""
        for key, value in student_values.items():
            if key == (item.ref.name, item.ref.step):
                continue
            if slip.equation and slip.equation not in self._relevant(key):
                continue
            asked = self.items_by_key[key]
            overrides = self._own(key, student_values)
            unslipped = self._unslipped(asked, overrides)
            if unslipped is not None and self._fit(slip, asked, value, overrides, unslipped) == -1:
                ruled_out.add(slip.key)
                return True
        return False

    def _diagnosis(self, slip: Slip, name: str, t: int, carried: bool) -> Diagnosis:
        if slip.round_to is not None:
            return Diagnosis("rounding", slip.label,
                             f"matches {name}[{t}] computed from intermediate values rounded to "
                             f"{slip.round_to} decimal{'s' if slip.round_to != 1 else ''}: keep "
                             "more digits until the final answer")
        basis = " from your own earlier answers" if carried else ""
        return Diagnosis(slip.code, slip.label, f"matches {name}[{t}] computed{basis} with "
                         f"{slip.label}")

    def _value_slip(self, item, given):
        expected = item.expected
        tolerance = item.tolerance
        if given.ndim == 0 and np.ndim(expected) == 0:
            # (Scalars, the common case, as plain floats: the same numbers, a tenth of the cost.)
            size, expected_size = abs(float(given)), abs(float(expected))
        else:
            size, expected_size = float(np.max(np.abs(given))), float(np.max(np.abs(expected)))
        if size != 0 and expected_size != 0:
            # Only the power of ten nearest the ratio can fit: try that one.
            ratio = size / expected_size
            shifts = [s for s in DECIMAL_SHIFTS if s == round(math.log10(ratio))]
            for shift in shifts:
                if within(tolerance, expected, given / 10.0 ** shift, SHARP):
                    size = "times" if shift > 0 else "times smaller than"
                    return Diagnosis("decimal-point", "misplaced decimal point",
                                     f"your value is {10 ** abs(shift):,} {size} the answer: "
                                     "a misplaced decimal point?")
            if within(tolerance, -expected, given, SHARP):
                return Diagnosis("sign", "wrong sign", "right size, wrong sign: check the signs "
                                 "of the weights and of the terms you subtract")
        key = (item.question, item.ref.name, item.ref.step)
        if key not in self._others:
            self._others[key] = _OtherValues(self._other_values(item), tolerance)
        return self._others[key].first_close(given)

    def _other_values(self, item) -> list:
        """Returns [(value, Diagnosis)]: the other values a wrong answer may be, in the order
        they are tried (the neighbouring steps, then the step's other quantities), each
        differing from the answer (per problem: the same for every student)."""
        name, t = item.ref.name, item.ref.step
        found = []
        steps = range(self.recomputer.first, self.recomputer.first + len(self.reference.steps))
        for other_t, where in ((t - 1, "previous"), (t + 1, "next")):
            if other_t in steps or (other_t < steps.start and name in self.reference.initial):
                value = np.asarray(self.reference.value(name, other_t), dtype=float)
                if self._differs(item, value):
                    what = "initial value" if other_t < steps.start else f"value at the {where} step"
                    found.append((value, Diagnosis("neighbour-step", f"{where} step's value",
                                                   f"this is {name}[{other_t}], the {what}: "
                                                   "check the step index")))
        record = self.reference.steps[t - self.recomputer.first]
        for other, value in {**record.inputs, **record.values}.items():
            value = np.asarray(value, dtype=float)
            if other != name and self._differs(item, value):
                found.append((value, Diagnosis("other-quantity", f"{other} given for {name}",
                                               f"this is {other}[{t}], not {name}[{t}]")))
        return found

    def _differs(self, item, value) -> bool:
        return not within(item.tolerance, item.expected, value)


class _OtherValues:
    """The other values one asked item may be confused with, stacked by shape.

    Which of them an answer closely matches is `within(tolerance, value, given,
    SHARP)` of each, in order: for a scalar answer `close` itself on each (the
    function `within` uses for numbers), for a vector `passing` on the whole
    stack at once (the same operations on the same numbers, row by row).
    """

    def __init__(self, candidates: list, tolerance):
        self.diagnoses = [diagnosis for _, diagnosis in candidates]
        self.tolerance = tolerance
        by_shape: dict[tuple, list] = {}
        for index, (value, _) in enumerate(candidates):
            by_shape.setdefault(value.shape, []).append(index)
        self.groups = {shape: (np.asarray(indices), np.stack([candidates[i][0] for i in indices]))
                       for shape, indices in by_shape.items()}
        scalars = self.groups.get(())
        self.scalars = None if scalars is None else list(zip(scalars[0].tolist(),
                                                             scalars[1].tolist()))

    def first_close(self, given):
        """Returns the Diagnosis of the first value `given` closely matches, or None."""
        if given.ndim == 0 and self.scalars is not None:
            number = float(given)
            for index, value in self.scalars:
                if close(self.tolerance, value, number, SHARP):
                    return self.diagnoses[index]
            return None
        group = self.groups.get(given.shape)
        if group is None:
            return None
        indices, stacked = group
        fits = passing(self.tolerance, stacked, np.broadcast_to(given, stacked.shape), SHARP)
        hits = np.flatnonzero(fits.reshape(len(indices), -1).all(axis=1))
        return self.diagnoses[int(indices[hits[0]])] if hits.size else None


def cell_slips(cell: Cell, params: dict) -> list:
    """Returns every single-equation slip of a cell, in the order they are tried."""
    slips: list[Slip] = []
    for equation in cell.equations:
        calls = [node for node in walk(equation.expr) if isinstance(node, Call)]
        for index, call in enumerate(calls):
            for new in SWAPS.get(call.function, ()):
                expr = _replace_call(equation.expr, index, lambda c, new=new: Call(new, c.args))
                slips.append(_slip(cell, equation.name, expr, "activation-swap",
                                   f"{_fn(new)} instead of {_fn(call.function)} in {equation.name}",
                                   index))
        for index, call in enumerate(calls):
            if call.function in DROPPED_ACTIVATIONS:
                expr = _replace_call(equation.expr, index, lambda c: c.args[0])
                slips.append(_slip(cell, equation.name, expr, "missing-activation",
                                   f"no {_fn(call.function)} in {equation.name}", index))
        for gate in _complemented_names(equation.expr):
            expr = _swap_complement(equation.expr, gate)
            slips.append(_slip(cell, equation.name, expr, "update-direction",
                               f"{gate} and 1 − {gate} swapped in {equation.name}"))
        for bias in _biases(cell, equation.expr):
            if bias in params and not np.any(np.asarray(params[bias]) != 0):
                continue        # a zero bias left out changes nothing
            expr = drop_names(equation.expr, {bias}) or Number(0.0)
            slips.append(_slip(cell, equation.name, expr, "missing-bias",
                               f"the bias {bias} left out of {equation.name}"))
    return slips


def _slip(cell: Cell, name: str, expr, code: str, label: str, index: int = 0) -> Slip:
    equations = tuple(dataclasses.replace(e, expr=expr) if e.name == name else e
                      for e in cell.equations)
    return Slip(code, label, name, dataclasses.replace(cell, equations=equations),
                f"{code}:{name}:{index}:{label}")


def _replace_call(expr, index: int, make):
    """Returns expr with its index-th Call (in reading order) replaced by make(call)."""
    counter = {"n": -1}

    def leaf(node):
        if isinstance(node, Call):
            counter["n"] += 1
            if counter["n"] == index:
                return make(node)
        return None

    return transform(expr, leaf)


def _complemented_names(expr) -> list:
    """Returns the names that appear as `1 - z` in an expression (update gates)."""
    found = []
    for node in walk(expr):
        if (isinstance(node, BinOp) and node.op == "-" and isinstance(node.left, Number)
                and node.left.value == 1 and isinstance(node.right, Name)
                and node.right not in found):
            found.append(node.right)
    return [n.name for n in found]


def _swap_complement(expr, gate: str):
    """Returns expr with `1 - gate` and `gate` exchanged."""
    def leaf(node):
        if (isinstance(node, BinOp) and node.op == "-" and isinstance(node.left, Number)
                and node.left.value == 1 and isinstance(node.right, Name) and node.right.name == gate):
            return node.right
        if isinstance(node, Name) and node.name == gate:
            return BinOp("-", Number(1.0), node)
        return None

    return transform(expr, leaf)


def _biases(cell: Cell, expr) -> list:
    """Returns the bias parameters an expression reads: the built-in cell's, or b, b_*, bias*."""
    known = set(cell.spec.biases) if cell.spec else set()
    return [n.name for n in names(expr)
            if n.name in cell.params and (n.name in known or _BIAS_NAME.match(n.name))]


def _rounded_cell(cell: Cell, decimals: int) -> Cell:
    """Returns the cell with every equation's value rounded to `decimals`.

    It rounds with the language's `round` (ties to even) where a student rounds
    halves up; the two differ only on an exact tie, which a computed value
    (a sigmoid, a product of weights) all but never is, and the tolerance of
    the match absorbs the last digit anyway.
    """
    scale = Number(float(10 ** decimals))
    equations = tuple(dataclasses.replace(e, expr=BinOp("/", Call("round", (BinOp("*", e.expr, scale),)),
                                                        scale))
                      for e in cell.equations)
    return dataclasses.replace(cell, equations=equations)
