"""The functions an equation may call: how each evaluates and how it is written.

This table is the allow-list of the equation language: a call of anything
else is refused by the parser for `trace`, and stays an uninterpreted symbol
for `unroll` and `graph`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

# numpy is imported inside each function, not here: the printers and the
# parser read this table, and `unroll` and `graph` (which never evaluate) should
# not pay numpy's import. Inside a function the import is a dictionary lookup.


def sigmoid(x):
    import numpy as np

    # exp(-|x|) never overflows, so weights of +-100 neither overflow nor warn.
    if type(x) is np.float64:
        # One number (scalar exercises, and grading's recomputations of them): the same
        # operations on the same number, without np.where's arrays (a fifth of the cost).
        e = np.exp(-abs(x))
        return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x):
    import numpy as np

    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def relu(x):
    import numpy as np

    return np.maximum(x, 0.0)


def hard_sigmoid(x):
    import numpy as np

    # Keras 3's definition: relu6(x + 3) / 6.
    return np.clip((np.asarray(x, dtype=float) + 3.0) / 6.0, 0.0, 1.0)


def step(x):
    import numpy as np

    # Heaviside step with step(0) = 0, as np.heaviside(x, 0).
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def round_half_even(x):
    import numpy as np

    # numpy's rounding, as torch.round: exact for every float64 (floor(|x| + 0.5)
    # turns 0.49999999999999994 into 1 and moves odd integers above 2**52), and
    # a tie goes to the even neighbour (round(2.5) = 2).
    return np.round(np.asarray(x, dtype=float))


def identity(x):
    return x


def tanh(x):
    import numpy as np

    return np.tanh(x)


def exp(x):
    import numpy as np

    return np.exp(x)


def log(x):
    import numpy as np

    return np.log(x)


def sign(x):
    import numpy as np

    return np.sign(x)


def total(x):
    import numpy as np

    # `sum`: a vector (or matrix) to the sum of its entries; a number stays as it is.
    return np.sum(x)


def average(x):
    import numpy as np

    return np.mean(x)


@dataclass(frozen=True)
class Function:
    """An allowed function: how it evaluates, prints, and differentiates."""

    name: str
    evaluate: Callable
    text: str          # how the text printer writes the function's name
    latex: str         # how the LaTeX printer writes it
    low: float = -math.inf    # the range of values it can produce, for grading
    high: float = math.inf
    # The derivative, in the equation language: `z` is the argument, `y` the value
    # f(z). Elementwise functions only; None where the chain rule needs a rule of
    # its own (softmax, sum, mean: rnncli.language.derivatives). At a kink the
    # value is PyTorch's: relu'(0) = 0, hard_sigmoid'(±3) = 0, and sign, step and
    # round have derivative 0 everywhere (PyTorch's zeros for sign and round).
    derivative: str | None = None
    reduces: bool = False     # sum, mean: a vector in, a number out

    def in_range(self, value) -> bool:
        """Returns whether every entry of `value` is one this function can produce."""
        import numpy as np

        arr = np.asarray(value, dtype=float)
        return bool(np.all(np.isfinite(arr)) and np.all(arr >= self.low) and np.all(arr <= self.high))


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("sigmoid", sigmoid, "σ", r"\sigma", 0.0, 1.0, derivative="y * (1 - y)"),
    Function("tanh", tanh, "tanh", r"\tanh", -1.0, 1.0, derivative="1 - y ** 2"),
    # step(y) = step(z) for y = relu(z): 0 at the kink, as PyTorch's threshold_backward.
    Function("relu", relu, "ReLU", r"\operatorname{ReLU}", 0.0, derivative="step(y)"),
    Function("softmax", softmax, "softmax", r"\operatorname{softmax}", 0.0, 1.0),
    Function("exp", exp, "exp", r"\exp", 0.0, derivative="y"),
    Function("log", log, "log", r"\log", derivative="1 / z"),
    Function("identity", identity, "id", r"\operatorname{id}", derivative="1"),
    # PyTorch's hardsigmoid_backward: 1/6 strictly inside (-3, 3), 0 at and beyond ±3.
    Function("hard_sigmoid", hard_sigmoid, "hard_σ", r"\operatorname{hard\_\sigma}", 0.0, 1.0,
             derivative="step(z + 3) * step(3 - z) / 6"),
    Function("sign", sign, "sign", r"\operatorname{sign}", -1.0, 1.0, derivative="0"),
    Function("step", step, "step", r"\operatorname{step}", 0.0, 1.0, derivative="0"),
    Function("round", round_half_even, "round", r"\operatorname{round}", derivative="0"),
    Function("sum", total, "sum", r"\operatorname{sum}", reduces=True),
    Function("mean", average, "mean", r"\operatorname{mean}", reduces=True),
]}
