"""Tests of the numpy ORACLE (tests/reference_cells.py) itself.

The oracle is checked against published numbers (conventions.md §5), against
hand computations with plain Python floats, and against the equivalences the
sources state between conventions.  Nothing here imports rnncli; the built-in
cell files are only read as YAML data to check that the oracle uses the same
parameter and quantity names.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_cells import (
    HIDDEN,
    INPUT,
    LAYOUT,
    PARAMS,
    READOUT,
    REFERENCE,
    STATE,
    hidden_size,
    random_params,
    readout,
    relu,
    run_reference,
    sigmoid,
    step_reference,
)

CELLS_DIR = Path(__file__).resolve().parents[1] / "rnncli" / "cells" / "data"

ATOL = 1e-10  # published numbers have 10 decimals


def msig(a: float) -> float:
    """Plain-float sigmoid for hand computations."""
    return 1.0 / (1.0 + math.exp(-a))


def close(a, b, atol=1e-12):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=atol)


def same_trace(t1, t2, mapping, atol=1e-12):
    """Compare two traces; mapping: name in t1 -> name in t2."""
    assert len(t1) == len(t2)
    for q1, q2 in zip(t1, t2):
        for a, b in mapping.items():
            close(q1[a], q2[b], atol)


def seeds_and_sizes():
    return st.tuples(
        st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 4), st.integers(1, 5)
    )


def random_inputs(rng, I, T):
    return [rng.uniform(-2, 2, size=I) for _ in range(T)]


# ---------------------------------------------------------------------------
# basic helpers
# ---------------------------------------------------------------------------

def test_sigmoid_is_stable_and_exact():
    a = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    s = sigmoid(a)  # pytest turns RuntimeWarning (overflow) into an error
    assert np.all(np.isfinite(s))
    close(s[[0, 3, 6]], [0.0, 0.5, 1.0])
    close(s + sigmoid(-a), np.ones_like(a), 1e-15)
    for v in (-3.0, -0.2, 0.175, 2.5):
        close(sigmoid(v), msig(v), 1e-15)
    close(relu(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])


# ---------------------------------------------------------------------------
# registry vs the built-in cell files (names only)
# ---------------------------------------------------------------------------

def cell_files():
    return sorted(CELLS_DIR.glob("*/*.yaml"))


def load_cell_file(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", cell_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_cell_file_is_valid_yaml(path):
    # role texts starting with `[hidden, input] ...` must be quoted (they were not at first)
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


def test_registry_covers_every_cell_file():
    keys = {(p.parent.name, p.stem) for p in cell_files()}
    assert keys, "no cell files found"
    assert keys == set(REFERENCE)
    assert set(STATE) == set(PARAMS) == set(INPUT) == set(HIDDEN) == set(READOUT) == set(REFERENCE)


@pytest.mark.parametrize("path", cell_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_names_match_cell_file(path):
    key = (path.parent.name, path.stem)
    spec = load_cell_file(path)
    # parameters: the same names, in the same order as `roles`
    assert list(PARAMS[key]) == list(spec["roles"])
    # input / hidden names
    assert INPUT[key] == spec["input"]
    assert HIDDEN[key] == spec["hidden"]
    # state = every name read at [t-1] in the equations
    lagged = set()
    for expr in spec["equations"].values():
        lagged |= set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\[t-1\]", str(expr)))
    assert set(STATE[key]) == lagged
    assert STATE[key][0] == spec["hidden"]
    # quantities: the step function returns exactly the defined names
    rng = np.random.default_rng(0)
    params = random_params(*key, 3, 2, rng)
    q = step_reference(*key, params, rng.normal(size=3), {n: np.zeros(2) for n in STATE[key]})
    assert set(q) == set(spec["equations"])
    # readout parameters and layout
    w, b = READOUT[key]
    ro = str(spec["readout"])
    assert w in ro and b in ro
    if LAYOUT[key] == "row":
        assert ro.startswith(f"{spec['hidden']} @ {w}")
    else:
        assert f"{w} @ {spec['hidden']}" in ro
    # biases listed in the file are exactly the vector params (minus peepholes)
    vectors = {n for n, code in PARAMS[key].items() if code in ("H", "O") and not n.startswith("p_")}
    assert vectors == set(spec["biases"])


@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_random_params_shapes(key):
    rng = np.random.default_rng(1)
    I, H, O = 3, 5, 2
    p = random_params(*key, I, H, rng)
    assert all(code not in ("OH", "HO", "O") for n, code in PARAMS[key].items() if n in p)
    p = random_params(*key, I, H, rng, output_size=O)
    assert set(p) == set(PARAMS[key])
    expect = {"HI": (H, I), "HH": (H, H), "HC": (H, H + I), "IH": (I, H), "H": (H,),
              "OH": (O, H), "HO": (H, O), "O": (O,)}
    for name, code in PARAMS[key].items():
        assert p[name].shape == expect[code], name
        assert p[name].dtype == np.float64
    if LAYOUT[key] == "col":
        assert all(c not in ("IH", "HO") for c in PARAMS[key].values())
    else:
        assert all(c not in ("HI", "OH", "HC") for c in PARAMS[key].values())
    assert hidden_size(*key, p) == H
    trace = run_reference(*key, p, random_inputs(rng, I, 3))
    for q in trace:
        for v in q.values():
            assert v.shape == (H,) and v.dtype == np.float64
    assert readout(*key, p, trace[-1][HIDDEN[key]]).shape == (O,)


# ---------------------------------------------------------------------------
# conventions.md §5.1: GRUCell(2, 2) with fixed weights
# ---------------------------------------------------------------------------

T51 = dict(
    W_ir=[[0.1, -0.2], [0.3, 0.4]], W_iz=[[-0.5, 0.6], [0.7, -0.8]], W_in=[[0.9, 0.1], [-0.2, 0.3]],
    W_hr=[[0.2, 0.1], [-0.3, 0.5]], W_hz=[[0.4, -0.6], [0.1, 0.2]], W_hn=[[-0.7, 0.8], [0.6, 0.5]],
    b_ir=[0.05, -0.05], b_iz=[0.1, 0.2], b_in=[-0.1, 0.3],
    b_hr=[0.02, 0.04], b_hz=[-0.3, 0.1], b_hn=[0.25, -0.15],
)
T51 = {k: np.array(v, dtype=np.float64) for k, v in T51.items()}
X51 = np.array([1.0, -2.0])
H51 = np.array([0.5, -0.25])
R51 = [0.6558828412, 0.3132432734]
Z51 = [0.1750862682, 0.9308615797]
PYTORCH51 = [0.4032488975, -0.2642381021]
RESET_AFTER_SWAPPED_Z51 = [0.4794647745, -0.4416980768]
RESET_BEFORE51 = [0.5052279829, -0.2642502391]
OLAH51 = [0.5011096288, -0.4418614868]


def torch_to_keras_gru(t):
    """§2.5: keras columns z, r, h = transposed PyTorch rows; bias[0] = b_i*, bias[1] = b_h*."""
    return {
        "kernel_z": t["W_iz"].T, "kernel_r": t["W_ir"].T, "kernel_h": t["W_in"].T,
        "recurrent_kernel_z": t["W_hz"].T, "recurrent_kernel_r": t["W_hr"].T,
        "recurrent_kernel_h": t["W_hn"].T,
        "bias_z": t["b_iz"], "bias_r": t["b_ir"], "bias_h": t["b_in"],
        "recurrent_bias_z": t["b_hz"], "recurrent_bias_r": t["b_hr"], "recurrent_bias_h": t["b_hn"],
    }


def torch_to_standard_gru_reset_before(t, flip_z=False):
    """Cho v3 column form with merged biases b = b_i* + b_h* (b_hn moves OUTSIDE r)."""
    s = -1.0 if flip_z else 1.0
    return {
        "W_r": t["W_ir"], "U_r": t["W_hr"], "b_r": t["b_ir"] + t["b_hr"],
        "W_z": s * t["W_iz"], "U_z": s * t["W_hz"], "b_z": s * (t["b_iz"] + t["b_hz"]),
        "W_h": t["W_in"], "U_h": t["W_hn"], "b_h": t["b_in"] + t["b_hn"],
    }


def test_51_pytorch_gru():
    q = step_reference("gru", "pytorch", T51, X51, {"h": H51})
    close(q["r"], R51, ATOL)
    close(q["z"], Z51, ATOL)
    close(q["h"], PYTORCH51, ATOL)


def test_51_keras_reset_after_equals_pytorch():
    q = step_reference("gru", "keras", torch_to_keras_gru(T51), X51, {"h": H51})
    close(q["z"], Z51, ATOL)
    close(q["r"], R51, ATOL)
    close(q["h"], PYTORCH51, ATOL)


def test_51_reset_after_with_swapped_update():
    # h' = z n + (1 - z) h  ==  pytorch form with the z pre-activation negated
    t = dict(T51)
    for n in ("W_iz", "W_hz", "b_iz", "b_hz"):
        t[n] = -T51[n]
    q = step_reference("gru", "pytorch", t, X51, {"h": H51})
    close(q["h"], RESET_AFTER_SWAPPED_Z51, ATOL)


def test_51_reset_before():
    # n = tanh(W_in x + b_in + W_hn (r*h) + b_hn), h' = (1 - z) n + z h
    std = torch_to_standard_gru_reset_before(T51)
    q = step_reference("gru", "standard", std, X51, {"h": H51})
    close(q["r"], R51, ATOL)
    close(q["z"], Z51, ATOL)
    close(q["h"], RESET_BEFORE51, ATOL)
    # the same in keras reset_after=False (row form, transposed) and d2l
    krb = {
        "kernel_z": std["W_z"].T, "recurrent_kernel_z": std["U_z"].T, "bias_z": std["b_z"],
        "kernel_r": std["W_r"].T, "recurrent_kernel_r": std["U_r"].T, "bias_r": std["b_r"],
        "kernel_h": std["W_h"].T, "recurrent_kernel_h": std["U_h"].T, "bias_h": std["b_h"],
    }
    close(step_reference("gru", "keras-reset-before", krb, X51, {"h": H51})["h"], RESET_BEFORE51, ATOL)
    d2l = {
        "W_xr": std["W_r"].T, "W_hr": std["U_r"].T, "b_r": std["b_r"],
        "W_xz": std["W_z"].T, "W_hz": std["U_z"].T, "b_z": std["b_z"],
        "W_xh": std["W_h"].T, "W_hh": std["U_h"].T, "b_h": std["b_h"],
    }
    close(step_reference("gru", "d2l", d2l, X51, {"H": H51})["H"], RESET_BEFORE51, ATOL)


def test_51_olah_row_with_biases():
    # Olah/Chung with the pytorch gate biases and b_in + b_hn on the candidate:
    # h = (1 - z) h + z tanh(W [r*h, x] + b): Cho form with the z pre-activation negated.
    std = torch_to_standard_gru_reset_before(T51, flip_z=True)
    q = step_reference("gru", "standard", std, X51, {"h": H51})
    close(1.0 - q["z"], Z51, ATOL)
    close(q["h"], OLAH51, ATOL)


def test_51_olah_convention_bias_free_matches_flipped_cho():
    # gru/olah has no biases; with zero biases it must equal the Cho form with z negated,
    # W_* = [U_*, W_*] (hidden columns first)
    t = dict(T51)
    for n in ("b_ir", "b_iz", "b_in", "b_hr", "b_hz", "b_hn"):
        t[n] = np.zeros(2)
    std = torch_to_standard_gru_reset_before(t, flip_z=True)
    olah = {
        "W_z": np.hstack([T51["W_hz"], T51["W_iz"]]),
        "W_r": np.hstack([T51["W_hr"], T51["W_ir"]]),
        "W": np.hstack([T51["W_hn"], T51["W_in"]]),
    }
    qo = step_reference("gru", "olah", olah, X51, {"h": H51})
    qs = step_reference("gru", "standard", std, X51, {"h": H51})
    close(qo["z"], 1.0 - qs["z"], 1e-15)
    close(qo["r"], qs["r"], 1e-15)
    close(qo["h_tilde"], qs["h_tilde"], 1e-15)
    close(qo["h"], qs["h"], 1e-15)


# ---------------------------------------------------------------------------
# conventions.md §5.2: scalar GRUCell(1, 1)
# all six weights 0.5, biases 0 except b_hn = 1; x = 1, h = 1; r = z = sigmoid(1)
# ---------------------------------------------------------------------------

def scalar_torch_gru(b_hn=1.0):
    p = {n: np.array([[0.5]]) for n in ("W_ir", "W_iz", "W_in", "W_hr", "W_hz", "W_hn")}
    p.update({n: np.array([0.0]) for n in ("b_ir", "b_iz", "b_in", "b_hr", "b_hz")})
    p["b_hn"] = np.array([b_hn])
    return p


def test_52_pytorch_and_keras():
    q = step_reference("gru", "pytorch", scalar_torch_gru(), [1.0], {"h": [1.0]})
    close(q["r"], [0.7310585786], ATOL)
    close(q["z"], [0.7310585786], ATOL)
    close(q["n"], [0.9211533178], ATOL)
    close(q["h"], [0.9787948612], ATOL)
    qk = step_reference("gru", "keras", torch_to_keras_gru(scalar_torch_gru()), [1.0], {"h": [1.0]})
    close(qk["h"], [0.9787948612], ATOL)


def test_52_reset_before_bias_outside():
    std = torch_to_standard_gru_reset_before(scalar_torch_gru())  # b_h = b_in + b_hn = 1
    q = step_reference("gru", "standard", std, [1.0], {"h": [1.0]})
    close(q["h_tilde"], [0.9531870843], ATOL)
    close(q["h"], [0.9874100679], ATOL)


def test_52_bias_free_olah_chung():
    p = {n: np.array([[0.5, 0.5]]) for n in ("W_z", "W_r", "W")}
    q = step_reference("gru", "olah", p, [1.0], {"h": [1.0]})
    close(q["h"], [0.7800212190], ATOL)


def test_52_bias_free_cho():
    std = torch_to_standard_gru_reset_before(scalar_torch_gru(b_hn=0.0))
    for n in ("b_r", "b_z", "b_h"):
        assert np.all(std[n] == 0)
    close(step_reference("gru", "standard", std, [1.0], {"h": [1.0]})["h"], [0.9190743290], ATOL)
    krb = {"kernel_z": [[0.5]], "recurrent_kernel_z": [[0.5]], "bias_z": [0.0],
           "kernel_r": [[0.5]], "recurrent_kernel_r": [[0.5]], "bias_r": [0.0],
           "kernel_h": [[0.5]], "recurrent_kernel_h": [[0.5]], "bias_h": [0.0]}
    close(step_reference("gru", "keras-reset-before", krb, [1.0], {"h": [1.0]})["h"],
          [0.9190743290], ATOL)
    d2l = {"W_xr": 0.5, "W_hr": 0.5, "b_r": 0.0, "W_xz": 0.5, "W_hz": 0.5, "b_z": 0.0,
           "W_xh": 0.5, "W_hh": 0.5, "b_h": 0.0}  # plain scalars are accepted for I = H = 1
    close(step_reference("gru", "d2l", d2l, 1.0, {"H": 1.0})["H"], [0.9190743290], ATOL)


def test_52_goodfellow_gru_by_hand():
    # same scalar weights, zero biases, but the book's SIGMOID candidate
    p = {"U_u": 0.5, "W_u": 0.5, "b_u": 0.0, "U_r": 0.5, "W_r": 0.5, "b_r": 0.0,
         "U": 0.5, "W": 0.5, "b": 0.0}
    q = step_reference("gru", "goodfellow", p, 1.0, {"h": 1.0})
    u = r = msig(1.0)
    h = u * 1.0 + (1 - u) * msig(0.5 * 1.0 + 0.5 * r * 1.0)
    close(q["u"], [u], 1e-15)
    close(q["r"], [r], 1e-15)
    close(q["h"], [h], 1e-15)


# ---------------------------------------------------------------------------
# seed 002, Question 17: Goodfellow LSTM with h = ReLU(s) q, output sigmoid(5 h - 1)
#
# Hand computation (plain floats, below) gives, per step:
#   t  x    f             g             q             s             h             output
#   1  0.7  0.5436386872  0.5768852611  0.6177478748  0.4225295914  0.2610167571  0.5756848176
#   2  0.5  0.5506519108  0.5428186068  0.6173475518  0.6327942933  0.3906540077  0.7217723335
#   3  0.7  0.5725337144  0.5480521867  0.6450145798  0.7678648970  0.4952840539  0.8140312746
# (cell input sigmoid(b + U x + W h[t-1]): 0.7324326341, 0.7371294229, 0.7400186327)
# The t=1 and t=3 outputs differ although x is the same: h[t-1] and s[t-1] differ.
# ---------------------------------------------------------------------------

SEED002 = {
    "U_g": 0.3, "W_g": -0.3, "b_g": 0.1,
    "U_f": 0.25, "W_f": 0.3, "b_f": 0.0,
    "U_q": 0.4, "W_q": 0.3, "b_q": 0.2,
    "U": 0.01, "W": 0.1, "b": 1.0,
    "V": 5.0, "c": -1.0,
}
SEED002_X = [0.7, 0.5, 0.7]
SEED002_EXPECTED = [  # (s, h, output) to 10 digits
    (0.4225295914, 0.2610167571, 0.5756848176),
    (0.6327942933, 0.3906540077, 0.7217723335),
    (0.7678648970, 0.4952840539, 0.8140312746),
]


def seed002_by_hand():
    P = SEED002
    h = s = 0.0
    rows = []
    for x in SEED002_X:
        g = msig(P["b_g"] + P["U_g"] * x + P["W_g"] * h)
        f = msig(P["b_f"] + P["U_f"] * x + P["W_f"] * h)
        q = msig(P["b_q"] + P["U_q"] * x + P["W_q"] * h)
        s = f * s + g * msig(P["b"] + P["U"] * x + P["W"] * h)
        h = max(s, 0.0) * q
        out = msig(P["V"] * h + P["c"])
        rows.append({"f": f, "g": g, "q": q, "s": s, "h": h, "out": out})
    return rows


def test_seed002_hand_values():
    rows = seed002_by_hand()
    assert abs(rows[0]["f"] - msig(0.175)) < 1e-15
    assert abs(rows[0]["f"] - 0.5436) < 1e-4
    for row, (s, h, out) in zip(rows, SEED002_EXPECTED):
        assert abs(row["s"] - s) < 5e-11
        assert abs(row["h"] - h) < 5e-11
        assert abs(row["out"] - out) < 5e-11
    assert abs(rows[0]["out"] - rows[2]["out"]) > 0.2


def test_seed002_oracle_matches_hand():
    params = {k: np.array(v) for k, v in SEED002.items()}  # 0-d arrays: scalar cell
    trace = run_reference("lstm", "goodfellow", params, SEED002_X, activation=relu)
    hand = seed002_by_hand()
    assert len(trace) == 3
    for q, row in zip(trace, hand):
        for n in ("f", "g", "q", "s", "h"):
            close(q[n], [row[n]], 1e-14)
        close(sigmoid(readout("lstm", "goodfellow", params, q["h"])), [row["out"]], 1e-14)
    # with the book's tanh (eq 10.43) the numbers change, and s stays positive here
    tr_tanh = run_reference("lstm", "goodfellow", params, SEED002_X)
    close(tr_tanh[0]["s"], [hand[0]["s"]], 1e-14)  # s at t=1 does not depend on the activation
    assert abs(tr_tanh[0]["h"][0] - hand[0]["h"]) > 1e-3


# ---------------------------------------------------------------------------
# hand checks of the other textbook cells, written with per-unit loops (the
# book's Σ_j notation) and plain floats
# ---------------------------------------------------------------------------

def _lin(b, Ux, x, Wh, h, i):
    return b[i] + sum(Ux[i][j] * x[j] for j in range(len(x))) + sum(Wh[i][j] * h[j] for j in range(len(h)))


@given(seeds_and_sizes())
@settings(max_examples=25, deadline=None)
def test_goodfellow_lstm_per_unit_loops(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    p = random_params("lstm", "goodfellow", I, H, rng)
    xs = random_inputs(rng, I, T)
    L = {k: v.tolist() for k, v in p.items()}
    h, s = [0.0] * H, [0.0] * H
    trace = run_reference("lstm", "goodfellow", p, xs)
    for x, q in zip(xs, trace):
        x = x.tolist()
        f = [msig(_lin(L["b_f"], L["U_f"], x, L["W_f"], h, i)) for i in range(H)]       # 10.40
        g = [msig(_lin(L["b_g"], L["U_g"], x, L["W_g"], h, i)) for i in range(H)]       # 10.42
        qq = [msig(_lin(L["b_q"], L["U_q"], x, L["W_q"], h, i)) for i in range(H)]      # 10.44
        s = [f[i] * s[i] + g[i] * msig(_lin(L["b"], L["U"], x, L["W"], h, i)) for i in range(H)]  # 10.41
        h = [math.tanh(s[i]) * qq[i] for i in range(H)]                                 # 10.43
        for n, v in (("f", f), ("g", g), ("q", qq), ("s", s), ("h", h)):
            close(q[n], v, 1e-13)


@given(seeds_and_sizes())
@settings(max_examples=25, deadline=None)
def test_goodfellow_gru_per_unit_loops(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    p = random_params("gru", "goodfellow", I, H, rng)
    xs = random_inputs(rng, I, T)
    L = {k: v.tolist() for k, v in p.items()}
    h = [0.3] * H
    trace = run_reference("gru", "goodfellow", p, xs, initial={"h": np.full(H, 0.3)})
    for x, q in zip(xs, trace):
        x = x.tolist()
        u = [msig(_lin(L["b_u"], L["U_u"], x, L["W_u"], h, i)) for i in range(H)]       # 10.46
        r = [msig(_lin(L["b_r"], L["U_r"], x, L["W_r"], h, i)) for i in range(H)]       # 10.47
        rh = [r[j] * h[j] for j in range(H)]
        h = [u[i] * h[i] + (1 - u[i]) * msig(_lin(L["b"], L["U"], x, L["W"], rh, i)) for i in range(H)]  # 10.45
        for n, v in (("u", u), ("r", r), ("h", h)):
            close(q[n], v, 1e-13)


def test_pytorch_lstm_scalar_by_hand():
    p = {"W_ii": 0.5, "W_hi": -0.4, "b_ii": 0.1, "b_hi": 0.05,
         "W_if": 0.3, "W_hf": 0.2, "b_if": 1.0, "b_hf": -0.5,
         "W_ig": -0.7, "W_hg": 0.6, "b_ig": 0.0, "b_hg": 0.2,
         "W_io": 0.9, "W_ho": -0.1, "b_io": -0.3, "b_ho": 0.0}
    x, h, c = 0.8, -0.2, 0.4
    i = msig(0.5 * x + 0.1 - 0.4 * h + 0.05)
    f = msig(0.3 * x + 1.0 + 0.2 * h - 0.5)
    g = math.tanh(-0.7 * x + 0.0 + 0.6 * h + 0.2)
    o = msig(0.9 * x - 0.3 - 0.1 * h + 0.0)
    c2 = f * c + i * g
    h2 = o * math.tanh(c2)
    q = step_reference("lstm", "pytorch", p, x, {"h": h, "c": c})
    for n, v in (("i", i), ("f", f), ("g", g), ("o", o), ("c", c2), ("h", h2)):
        close(q[n], [v], 1e-15)


def test_peephole_scalar_by_hand():
    p = {"W_i": 0.5, "U_i": -0.4, "p_i": 0.3, "b_i": 0.1,
         "W_f": 0.3, "U_f": 0.2, "p_f": -0.6, "b_f": 1.0,
         "W_g": -0.7, "U_g": 0.6, "b_g": 0.2,
         "W_o": 0.9, "U_o": -0.1, "p_o": 0.8, "b_o": -0.3}
    x, h, c = 0.8, -0.2, 0.4
    i = msig(0.5 * x - 0.4 * h + 0.3 * c + 0.1)
    f = msig(0.3 * x + 0.2 * h - 0.6 * c + 1.0)
    g = math.tanh(-0.7 * x + 0.6 * h + 0.2)
    c2 = f * c + i * g
    o = msig(0.9 * x - 0.1 * h + 0.8 * c2 - 0.3)  # output gate peeks at the NEW cell
    h2 = o * math.tanh(c2)
    q = step_reference("lstm-peephole", "standard", p, x, {"h": h, "c": c})
    for n, v in (("i", i), ("f", f), ("g", g), ("c", c2), ("o", o), ("h", h2)):
        close(q[n], [v], 1e-15)


# ---------------------------------------------------------------------------
# equivalences between conventions (random weights, several steps)
# ---------------------------------------------------------------------------

LSTM_STD_Q = {"i": "i", "f": "f", "o": "o", "g": "g", "c": "c", "h": "h"}


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_keras_lstm_equals_pytorch_lstm(args):
    # §2.5: W_ih = kernel^T, W_hh = recurrent_kernel^T (order i, f, g/c, o), b_ih = bias, b_hh = 0
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    k = random_params("lstm", "keras", I, H, rng)
    xs = random_inputs(rng, I, T)
    t = {}
    for kg, tg in (("i", "i"), ("f", "f"), ("c", "g"), ("o", "o")):
        t[f"W_i{tg}"] = k[f"kernel_{kg}"].T
        t[f"W_h{tg}"] = k[f"recurrent_kernel_{kg}"].T
        t[f"b_i{tg}"] = k[f"bias_{kg}"]
        t[f"b_h{tg}"] = np.zeros(H)
    tk = run_reference("lstm", "keras", k, xs)
    tt = run_reference("lstm", "pytorch", t, xs)
    same_trace(tk, tt, {"i": "i", "f": "f", "c_tilde": "g", "o": "o", "c": "c", "h": "h"})
    # any split of the keras bias between b_ih and b_hh works as well
    for tg in "ifgo":
        split = rng.uniform(-1, 1, H)
        t[f"b_h{tg}"] = split
        t[f"b_i{tg}"] = t[f"b_i{tg}"] - split
    same_trace(tk, run_reference("lstm", "pytorch", t, xs), {"h": "h", "c": "c"}, 1e-12)


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_pytorch_lstm_equals_standard_with_summed_biases(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    t = random_params("lstm", "pytorch", I, H, rng)
    xs = random_inputs(rng, I, T)
    s = {}
    for g in "ifgo":
        s[f"W_{g}"] = t[f"W_i{g}"]
        s[f"U_{g}"] = t[f"W_h{g}"]
        s[f"b_{g}"] = t[f"b_i{g}"] + t[f"b_h{g}"]
    init = {"h": rng.uniform(-1, 1, H), "c": rng.uniform(-1, 1, H)}
    same_trace(run_reference("lstm", "pytorch", t, xs, init),
               run_reference("lstm", "standard", s, xs, init), LSTM_STD_Q)


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_olah_lstm_equals_standard(args):
    # Olah W_* acting on [h, x] == [U_*, W_*] of the standard form
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    s = random_params("lstm", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    o = {}
    for og, sg in (("f", "f"), ("i", "i"), ("C", "g"), ("o", "o")):
        o[f"W_{og}"] = np.hstack([s[f"U_{sg}"], s[f"W_{sg}"]])
        o[f"b_{og}"] = s[f"b_{sg}"]
    init = {"h": rng.uniform(-1, 1, H), "c": rng.uniform(-1, 1, H)}
    same_trace(run_reference("lstm", "standard", s, xs, init),
               run_reference("lstm", "olah", o, xs, {"h": init["h"], "C": init["c"]}),
               {"f": "f", "i": "i", "g": "C_tilde", "o": "o", "c": "C", "h": "h"})


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_d2l_lstm_equals_standard_transposed(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    s = random_params("lstm", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    d = {}
    for dg, sg in (("i", "i"), ("f", "f"), ("o", "o"), ("c", "g")):
        d[f"W_x{dg}"] = s[f"W_{sg}"].T
        d[f"W_h{dg}"] = s[f"U_{sg}"].T
        d[f"b_{dg}"] = s[f"b_{sg}"]
    same_trace(run_reference("lstm", "standard", s, xs),
               run_reference("lstm", "d2l", d, xs),
               {"i": "I", "f": "F", "o": "O", "g": "C_tilde", "c": "C", "h": "H"})


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_coupled_lstm_equals_standard_with_i_one_minus_f(args):
    # i := 1 - f, realised exactly by i = sigmoid(-(pre-activation of f))
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    cp = random_params("lstm-coupled", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    s = dict(cp)
    s["W_i"], s["U_i"], s["b_i"] = -cp["W_f"], -cp["U_f"], -cp["b_f"]
    tc = run_reference("lstm-coupled", "standard", cp, xs)
    ts = run_reference("lstm", "standard", s, xs)
    same_trace(tc, ts, {"f": "f", "o": "o", "g": "g", "c": "c", "h": "h"})
    for q in ts:
        close(q["i"], 1.0 - q["f"], 1e-15)


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_peephole_with_zero_peepholes_equals_standard(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    s = random_params("lstm", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    p = dict(s, p_i=np.zeros(H), p_f=np.zeros(H), p_o=np.zeros(H))
    same_trace(run_reference("lstm", "standard", s, xs),
               run_reference("lstm-peephole", "standard", p, xs), LSTM_STD_Q)
    # and non-zero peepholes do change the trace once c != 0
    p["p_o"] = np.full(H, 2.0)
    tp = run_reference("lstm-peephole", "standard", p, xs)
    ts = run_reference("lstm", "standard", s, xs)
    assert np.max(np.abs(tp[0]["o"] - ts[0]["o"])) > 0 or np.all(ts[0]["c"] == 0)


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_rnn_conventions_agree(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    s = random_params("rnn", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    split = rng.uniform(-1, 1, H)
    ts = run_reference("rnn", "standard", s, xs)
    same_trace(ts, run_reference("rnn", "goodfellow", {"U": s["W_xh"], "W": s["W_hh"], "b": s["b_h"]}, xs),
               {"h": "h"})
    same_trace(ts, run_reference("rnn", "pytorch", {"W_ih": s["W_xh"], "W_hh": s["W_hh"],
                                                   "b_ih": s["b_h"] - split, "b_hh": split}, xs),
               {"h": "h"})
    same_trace(ts, run_reference("rnn", "keras", {"kernel": s["W_xh"].T, "recurrent_kernel": s["W_hh"].T,
                                                 "bias": s["b_h"]}, xs), {"h": "h"})
    same_trace(ts, run_reference("rnn", "d2l", {"W_xh": s["W_xh"].T, "W_hh": s["W_hh"].T,
                                               "b_h": s["b_h"]}, xs), {"h": "H"})
    # goodfellow's a is the pre-activation
    tg = run_reference("rnn", "goodfellow", {"U": s["W_xh"], "W": s["W_hh"], "b": s["b_h"]}, xs)
    for q in tg:
        close(np.tanh(q["a"]), q["h"], 0)


def test_rnn_relu_by_hand():
    p = {"W_ih": [[1.0, -1.0]], "W_hh": [[0.5]], "b_ih": [0.1], "b_hh": [-0.2]}
    tr = run_reference("rnn", "pytorch", p, [[1.0, 3.0], [2.0, 0.5]], activation=relu)
    # t1: 1 - 3 + 0 + 0.1 - 0.2 = -2.1 -> 0;  t2: 2 - 0.5 + 0 - 0.1 = 1.4
    close(tr[0]["h"], [0.0])
    close(tr[1]["h"], [1.4], 1e-15)


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_keras_gru_equals_pytorch_gru(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    t = random_params("gru", "pytorch", I, H, rng)
    xs = random_inputs(rng, I, T)
    same_trace(run_reference("gru", "pytorch", t, xs),
               run_reference("gru", "keras", torch_to_keras_gru(t), xs),
               {"r": "r", "z": "z", "n": "hh", "h": "h"})


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_reset_before_grus_agree(args):
    # Cho v3 column form == keras reset_after=False == d2l (transposed)
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    s = random_params("gru", "standard", I, H, rng)
    xs = random_inputs(rng, I, T)
    ts = run_reference("gru", "standard", s, xs)
    krb = {}
    d2l = {}
    for g in "rzh":
        krb[f"kernel_{g}"] = s[f"W_{g}"].T
        krb[f"recurrent_kernel_{g}"] = s[f"U_{g}"].T
        krb[f"bias_{g}"] = s[f"b_{g}"]
        d2l[f"W_x{g}"] = s[f"W_{g}"].T
        d2l[f"W_h{g}"] = s[f"U_{g}"].T
        d2l[f"b_{g}"] = s[f"b_{g}"]
    same_trace(ts, run_reference("gru", "keras-reset-before", krb, xs),
               {"r": "r", "z": "z", "h_tilde": "hh", "h": "h"})
    same_trace(ts, run_reference("gru", "d2l", d2l, xs),
               {"r": "R", "z": "Z", "h_tilde": "H_tilde", "h": "H"})


@given(seeds_and_sizes())
@settings(max_examples=30, deadline=None)
def test_olah_gru_is_bias_free_cho_with_flipped_update(args):
    seed, I, H, T = args
    rng = np.random.default_rng(seed)
    o = random_params("gru", "olah", I, H, rng)
    xs = random_inputs(rng, I, T)
    s = {
        "U_z": -o["W_z"][:, :H], "W_z": -o["W_z"][:, H:], "b_z": np.zeros(H),
        "U_r": o["W_r"][:, :H], "W_r": o["W_r"][:, H:], "b_r": np.zeros(H),
        "U_h": o["W"][:, :H], "W_h": o["W"][:, H:], "b_h": np.zeros(H),
    }
    init = {"h": rng.uniform(-1, 1, H)}
    to = run_reference("gru", "olah", o, xs, init)
    ts = run_reference("gru", "standard", s, xs, init)
    same_trace(to, ts, {"r": "r", "h_tilde": "h_tilde", "h": "h"})
    for a, b in zip(to, ts):
        close(a["z"], 1.0 - b["z"], 1e-15)


def test_reset_before_and_after_differ_with_two_units():
    # the two reset placements genuinely differ (conventions.md §5.2 note)
    q_after = step_reference("gru", "pytorch", T51, X51, {"h": H51})
    q_before = step_reference("gru", "standard", torch_to_standard_gru_reset_before(T51), X51, {"h": H51})
    assert np.max(np.abs(q_after["h"] - q_before["h"])) > 0.1


# ---------------------------------------------------------------------------
# run_reference mechanics
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(REFERENCE))
def test_run_reference_chains_state_and_defaults_to_zero(key):
    rng = np.random.default_rng(7)
    I, H = 2, 3
    p = random_params(*key, I, H, rng)
    xs = random_inputs(rng, I, 4)
    xs_copy = [x.copy() for x in xs]
    trace = run_reference(*key, p, xs)
    assert len(trace) == 4
    # explicit zeros == default
    zeros = {n: np.zeros(H) for n in STATE[key]}
    same_trace(trace, run_reference(*key, p, xs, zeros), {n: n for n in trace[0]}, 0)
    # manual chaining of single steps
    prev = zeros
    for x, q in zip(xs, trace):
        q2 = REFERENCE[key](p, x, *[prev[n] for n in STATE[key]])
        for n in q:
            close(q[n], q2[n], 0)
        prev = {n: q2[n] for n in STATE[key]}
    # inputs untouched, and a non-zero initial state changes the first step
    for a, b in zip(xs, xs_copy):
        assert np.array_equal(a, b)
    init = {n: np.full(H, 0.5) for n in STATE[key]}
    t2 = run_reference(*key, p, xs, init)
    assert np.max(np.abs(t2[0][HIDDEN[key]] - trace[0][HIDDEN[key]])) > 0


def test_run_reference_rejects_bad_initial():
    rng = np.random.default_rng(3)
    p = random_params("lstm", "pytorch", 2, 3, rng)
    with pytest.raises(KeyError):
        run_reference("lstm", "pytorch", p, [np.zeros(2)], {"s": np.zeros(3)})
    with pytest.raises(ValueError):
        run_reference("lstm", "pytorch", p, [np.zeros(2)], {"h": np.zeros(2)})
    with pytest.raises(KeyError):
        run_reference("lstm", "nope", p, [np.zeros(2)])


def test_readout_layouts():
    h = np.array([1.0, -2.0])
    col = {"W_hy": np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 0.0]]), "b_y": np.array([0.1, 0.2, 0.3])}
    close(readout("lstm", "pytorch", col, h), [1 - 4 + 0.1, 3 - 8 + 0.2, 0.5 + 0.3], 1e-15)
    row = {"kernel_y": col["W_hy"].T, "bias_y": col["b_y"]}
    close(readout("gru", "keras", row, h), readout("lstm", "pytorch", col, h), 1e-15)
    close(readout("rnn", "goodfellow", {"V": [[5.0]], "c": [-1.0]}, [0.2]), [0.0], 1e-15)
