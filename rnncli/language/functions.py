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


@dataclass(frozen=True)
class Function:
    name: str
    evaluate: Callable
    text: str          # how the text printer writes the function's name
    latex: str         # how the LaTeX printer writes it
    low: float = -math.inf    # the range of values it can produce, for grading
    high: float = math.inf

    def in_range(self, value) -> bool:
        """Returns whether every entry of `value` is one this function can produce."""
        import numpy as np

        arr = np.asarray(value, dtype=float)
        return bool(np.all(np.isfinite(arr)) and np.all(arr >= self.low) and np.all(arr <= self.high))


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("sigmoid", sigmoid, "σ", r"\sigma", 0.0, 1.0),
    Function("tanh", tanh, "tanh", r"\tanh", -1.0, 1.0),
    Function("relu", relu, "ReLU", r"\operatorname{ReLU}", 0.0),
    Function("softmax", softmax, "softmax", r"\operatorname{softmax}", 0.0, 1.0),
    Function("exp", exp, "exp", r"\exp", 0.0),
    Function("log", log, "log", r"\log"),
    Function("identity", identity, "id", r"\operatorname{id}"),
    Function("hard_sigmoid", hard_sigmoid, "hard_σ", r"\operatorname{hard\_\sigma}", 0.0, 1.0),
    Function("sign", sign, "sign", r"\operatorname{sign}", -1.0, 1.0),
    Function("step", step, "step", r"\operatorname{step}", 0.0, 1.0),
    Function("round", round_half_even, "round", r"\operatorname{round}"),
]}
