"""Elementwise trees evaluated once over many steps: a parameter's gradient without a loop.

A parameter's gradient sums one term per step (dL/dW = Σ_t δ(t) x(t)ᵀ). Its
factors are usually elementwise in the step's values (δ = ∂L/∂i ⊙ i ⊙ (1 − i)),
so instead of calling the compiled tree once per step, the tree is called once
with every step's values stacked along a new first axis. Elementwise numpy
operations give each entry exactly the bits the step-by-step calls give, so
the result is the same array, row by row.

Only trees whose every operation is elementwise and whose per-step values all
have one shape are stacked (a per-step scalar beside a per-step vector would
broadcast the wrong way once stacked); anything else is evaluated step by step.
"""
from __future__ import annotations

import numpy as np

from rnncli.language.expression import BinOp, Call, Grad, Name, Neg, Node, Number, Value
from rnncli.language.functions import FUNCTIONS
from rnncli.solve.trace import compile_expression

_ELEMENTWISE_OPS = {"+", "-", "*", "/", "**"}


def stackable(node: Node, shapes: dict, constants: dict) -> bool:
    """Returns whether `node` varies by step and can be evaluated over stacked steps with the
    same numbers."""
    found = _shape(node, shapes, constants)
    return found is not None and found[1]


def _shape(node: Node, shapes: dict, constants: dict):
    """Returns (per-step shape, whether it varies by step), or None when not stackable."""
    if isinstance(node, Number):
        return (), False
    if isinstance(node, Value):
        return np.shape(node.value), False
    if isinstance(node, (Name, Grad)):
        if isinstance(node, Name) and node.name in constants:
            return np.shape(constants[node.name]), False
        shape = shapes.get(node.name)
        return None if shape is None else (tuple(shape), True)
    if isinstance(node, Neg):
        return _shape(node.operand, shapes, constants)
    if isinstance(node, Call):
        function = FUNCTIONS.get(node.function)
        if function is None or function.reduces or function.derivative is None:
            return None     # softmax, sum, mean: not entry by entry
        return _shape(node.args[0], shapes, constants)
    if isinstance(node, BinOp) and node.op in _ELEMENTWISE_OPS:
        left, right = _shape(node.left, shapes, constants), _shape(node.right, shapes, constants)
        if left is None or right is None:
            return None
        (a, a_steps), (b, b_steps) = left, right
        if a_steps and b_steps:
            return (a, True) if a == b else None
        if a_steps or b_steps:
            varying, fixed = (a, b) if a_steps else (b, a)
            try:
                joined = np.broadcast_shapes(varying, fixed)
            except ValueError:
                return None
            # The step axis goes first: a constant may only broadcast into the step's shape.
            return (varying, True) if joined == varying else None
        try:
            return np.broadcast_shapes(a, b), False
        except ValueError:
            return None
    return None


class StackedSteps:
    """The values of the steps at `indices`, each name read as one array stacked on axis 0.

    Stands in for a step's `current` mapping (and, through `lagged`, for the
    lagged ones) when a compiled tree is called over every step at once.
    """

    def __init__(self, frames, indices: list):
        self.frames = frames
        self.indices = indices
        self._arrays: dict = {}

    def __getitem__(self, name: str):
        return self.read(0, name)

    def read(self, lag: int, name: str):
        key = (lag, name)
        if key not in self._arrays:
            if lag == 0:
                rows = [self.frames.current[i][name] for i in self.indices]
            else:
                rows = [self.frames.lags[i][lag][name] for i in self.indices]
            self._arrays[key] = np.stack([np.asarray(row, dtype=float) for row in rows])
        return self._arrays[key]

    @property
    def lagged(self):
        return _Lagged(self)


class _Lagged:
    def __init__(self, stacked: StackedSteps):
        self.stacked = stacked

    def __getitem__(self, lag: int):
        return _AtLag(self.stacked, lag)


class _AtLag:
    def __init__(self, stacked: StackedSteps, lag: int):
        self.stacked, self.lag = stacked, lag

    def __getitem__(self, name: str):
        return self.stacked.read(self.lag, name)



class StepStacks:
    """One backward pass's stacked steps (by set of steps) and stacked factors (by tree)."""

    def __init__(self, frames, shapes: dict, constants: dict):
        self.frames, self.shapes, self.constants = frames, shapes, constants
        self._steps: dict = {}
        self._compiled: dict = {}

    def steps(self, indices: list) -> StackedSteps:
        key = tuple(indices)
        if key not in self._steps:
            self._steps[key] = StackedSteps(self.frames, list(indices))
        return self._steps[key]

    def evaluate(self, node: Node, indices: list):
        """Returns `node` at every step of `indices` stacked on axis 0, or None if it cannot be."""
        key = id(node)       # trees hold numpy arrays: not hashable, but alive for the pass
        if key not in self._compiled:
            self._compiled[key] = (compile_expression(node, self.constants)
                                   if stackable(node, self.shapes, self.constants) else None)
        function = self._compiled[key]
        if function is None:
            return None
        stacked = self.steps(indices)
        return function(stacked, stacked.lagged)
