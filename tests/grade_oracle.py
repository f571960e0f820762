"""Independent hand computations for the grading tests: seed 002 and a small GRU, with slips.

Plain Python `math` (and tests/reference_cells.py for the GRU), written from
the exercise sheets and the cells' published equations, NOT from rnncli: the
grading tests take every expected, slipped and carried-forward number from
here, never from rnncli's own trace alone. Nothing here imports rnncli.
"""
from __future__ import annotations

import math

# Seed 002 (Hildesheim DL sheet 9, question 17): the sheet's numbers.
SEED002 = dict(U_g=0.3, W_g=-0.3, b_g=0.1, U_f=0.25, W_f=0.3, b_f=0.0, U_q=0.4, W_q=0.3,
               b_q=0.2, U=0.01, W=0.1, b=1.0, V=5.0, c=-1.0)
SEED002_X = (0.7, 0.5, 0.7)


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def relu(a: float) -> float:
    return max(a, 0.0)


def round_half_away(value: float, decimals: int) -> float:
    scale = 10.0 ** decimals
    return math.copysign(math.floor(abs(value) * scale + 0.5), value) / scale


def seed002(*, cell_input=sigmoid, h_activation=relu, bias_b=True, given=None, round_to=None,
            p=SEED002) -> dict:
    """Returns {(name, t): value} of f, g, q, s, h, y at t = 1, 2, 3.

    `cell_input` is the activation of the cell input (the sheet: σ), `h_activation`
    the one in h = act(s) q (the sheet: ReLU), `bias_b` False leaves b out of
    the cell input; `given` {(name, t): value} replaces computed values (a
    student's own answers, carried forward); `round_to` rounds every quantity
    (f, g, q, s, h, y) to that many decimals as it is computed.
    """
    given = given or {}
    out = {}
    h, s = 0.0, 0.0

    def keep(name, t, value):
        if (name, t) in given:
            value = given[(name, t)]
        elif round_to is not None:
            value = round_half_away(value, round_to)
        out[(name, t)] = value
        return value

    for t, x in enumerate(SEED002_X, start=1):
        f = keep("f", t, sigmoid(p["b_f"] + p["U_f"] * x + p["W_f"] * h))
        g = keep("g", t, sigmoid(p["b_g"] + p["U_g"] * x + p["W_g"] * h))
        q = keep("q", t, sigmoid(p["b_q"] + p["U_q"] * x + p["W_q"] * h))
        inner = (p["b"] if bias_b else 0.0) + p["U"] * x + p["W"] * h
        s = keep("s", t, f * s + g * cell_input(inner))
        h = keep("h", t, h_activation(s) * q)
        keep("y", t, sigmoid(h * p["V"] + p["c"]))
    return out


def seed002_answers(values: dict, names=("s", "h", "y"), decimals: int = 4) -> dict:
    """Returns {"s[1]": 0.4225, ...}: what a student writes, rounded to `decimals`."""
    return {f"{name}[{t}]": round(v, decimals) for (name, t), v in sorted(values.items())
            if name in names}


def answers_yaml(answers: dict, *, problem: str | None = None, student: str | None = None,
                 student_id: str | None = None) -> str:
    """Returns the text of an answers file (values written with repr: YAML 1.2 reads them back)."""
    lines = []
    if problem is not None:
        lines.append(f"problem: {problem}")
    if student is not None:
        lines.append(f"student: {student}")
    if student_id is not None:
        lines.append(f"student_id: {student_id}")
    lines.append("answers:")
    for ref, value in answers.items():
        lines.append(f"  {ref}: {value if isinstance(value, str) else repr(value)}")
    return "\n".join(lines) + "\n"
