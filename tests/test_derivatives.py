"""The differentiation rules of rnncli.language.derivatives, one function and node at a time.

Each function's derivative (data in rnncli/language/functions.py) against central
differences at smooth points, and at the kinks the values PyTorch's autograd
gives (tools/autograd/derivatives.yaml: relu's threshold_backward is 0 at 0,
hardsigmoid_backward is 0 at ±3, sign and round have zero gradients).
"""
from __future__ import annotations

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.language.derivatives import function_derivative, shape_function, vjp
from rnncli.language.equations import parse_expression
from rnncli.language.expression import Grad, Name
from rnncli.language.printing.text import to_text
from rnncli.solve.gradients import run_gradients
from rnncli.solve.trace import compile_expression


def derivative_at(function: str, z: float) -> float:
    """Returns f′(z) through `gradients`: L = f(w·x) with x = 1, so dL/dw = f′(w)."""
    text = problem_yaml(equations={"h": f"{function}(w * x)"}, params={"w": np.float64(z)},
                        inputs={"x": [np.float64(1.0)]}, extra="loss: h\n")
    return float(run_gradients(parse_problem(text, "f.yaml")).params["w"])


@pytest.mark.parametrize("function", ["sigmoid", "tanh", "exp", "log", "identity", "relu",
                                      "hard_sigmoid"])
@pytest.mark.parametrize("z", [0.37, 1.9, 2.4])
def test_function_derivatives_equal_central_differences(function, z):
    from rnncli.language.functions import FUNCTIONS

    f = FUNCTIONS[function].evaluate
    eps = 1e-6
    numeric = (float(f(np.float64(z + eps))) - float(f(np.float64(z - eps)))) / (2 * eps)
    assert derivative_at(function, z) == pytest.approx(numeric, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("function, z, expected", [
    ("relu", 0.0, 0.0), ("relu", -1.0, 0.0), ("relu", 1e-12, 1.0),
    ("hard_sigmoid", 3.0, 0.0), ("hard_sigmoid", -3.0, 0.0), ("hard_sigmoid", 2.999, 1 / 6),
    ("hard_sigmoid", 4.0, 0.0),
    ("sign", 0.0, 0.0), ("sign", 2.0, 0.0), ("step", 0.0, 0.0), ("step", 1.0, 0.0),
    ("round", 0.5, 0.0), ("round", 0.2, 0.0),
])
def test_kinks_follow_pytorch(function, z, expected):
    assert derivative_at(function, z) == expected


def test_derivatives_are_written_in_the_language():
    z, y = Name("z"), Name("y")
    assert to_text(function_derivative("sigmoid", z, y), scalar=lambda n: True) == "y(t)·(1 − y(t))"
    assert to_text(function_derivative("tanh", z, y)) == "1 − y(t)^2"
    assert to_text(function_derivative("log", z, y)) == "1/z(t)"


@pytest.mark.parametrize("text, shapes", [
    ("W @ x", {"W": (3, 2), "x": (2,)}),
    ("x @ W", {"W": (2, 3), "x": (2,)}),
    ("softmax(W @ x)", {"W": (3, 2), "x": (2,)}),
    ("[x, v] * u", {"x": (2,), "v": (1,), "u": (3,)}),
    ("s * v / (1 + s ** 2)", {"s": (), "v": (3,)}),
    ("sum(v * v) + mean(v) * s", {"s": (), "v": (3,)}),
    ("x ** s", {"x": (2,), "s": ()}),
    ("A @ B", {"A": (2, 3), "B": (3, 2)}),
])
def test_vector_jacobian_products_equal_central_differences(text, shapes):
    rng = np.random.default_rng(1)
    expr = parse_expression(text)
    values = {n: rng.uniform(0.5, 1.5, size=s) for n, s in shapes.items()}
    evaluate = compile_expression(expr)
    out = np.asarray(evaluate(values, [values]))
    adjoint = rng.normal(size=out.shape)
    all_shapes = dict(shapes)
    all_shapes["∂out"] = out.shape
    found = vjp(expr, Grad("out"), shape_function(all_shapes))
    for name, tree in found.items():
        got = np.asarray(compile_expression(tree)({**values, "∂out": adjoint}, [values]))
        base = values[name.name]
        numeric = np.zeros(np.shape(base))
        for index in np.ndindex(np.shape(base)):
            moved = []
            for sign in (1, -1):
                changed = np.array(base, dtype=float)
                changed[index] += sign * 1e-6
                moved.append(np.sum(adjoint * evaluate({**values, name.name: changed}, [values])))
            numeric[index] = (moved[0] - moved[1]) / 2e-6
        np.testing.assert_allclose(np.broadcast_to(got, np.shape(base)), numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{text}: {name.name}")
