"""Independent plain-numpy oracle for the recurrent cells rnncli traces.

Written from the source equations collected in
/work/shared/reference/conventions.md (PyTorch rnn.py / RNN.cpp, Keras 3
simple_rnn.py / lstm.py / gru.py, Goodfellow et al. eqs 10.8-10.11 and
10.40-10.47, Olah 2015, d2l, Cho et al. 2014, Chung et al. 2014), NOT from
rnncli's code.  Nothing here imports rnncli.

Parameter names and quantity names are those of the built-in cell files
rnncli/cells/data/<cell>/<convention>.yaml, so that a test can compare dictionaries
directly.

Layouts
-------
* column conventions (standard, goodfellow, olah, pytorch): ``W @ x``;
  an input matrix is (H, I), a recurrent matrix (H, H), Olah's concatenated
  matrices are (H, H + I) acting on ``[h[t-1], x]`` (h first).
* row conventions (keras, d2l): ``x @ K``; an input kernel is (I, H), a
  recurrent kernel (H, H).
* every bias and every peephole vector ``p_*`` is (H,).

Every step function has the signature ``fn(params, x, *state)`` where
``state`` is the previous value of the quantities named by ``STATE[key]``,
in that order, and returns a dict with every quantity the cell file defines.
All arithmetic is float64.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "sigmoid",
    "relu",
    "REFERENCE",
    "STATE",
    "INPUT",
    "HIDDEN",
    "PARAMS",
    "READOUT",
    "hidden_size",
    "step_reference",
    "run_reference",
    "random_params",
    "readout",
]


# ---------------------------------------------------------------------------
# elementwise helpers
# ---------------------------------------------------------------------------

def sigmoid(a):
    """Logistic sigmoid that never overflows: uses exp(-|a|) only."""
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(a):
    return np.maximum(np.asarray(a, dtype=np.float64), 0.0)


def tanh(a):
    return np.tanh(np.asarray(a, dtype=np.float64))


def _vec(v) -> np.ndarray:
    """A vector (state, input, bias, peephole) as a float64 1-D array; scalars -> (1,)."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"expected a vector, got shape {a.shape}")
    return a


def _mat(m) -> np.ndarray:
    """A weight matrix as a float64 2-D array; scalars -> (1, 1)."""
    a = np.asarray(m, dtype=np.float64)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    if a.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {a.shape}")
    return a


class _P:
    """Read-only accessor: p.m('W') -> matrix, p.v('b') -> vector."""

    def __init__(self, params):
        self._p = params

    def m(self, name):
        return _mat(self._p[name])

    def v(self, name):
        return _vec(self._p[name])


# ---------------------------------------------------------------------------
# Elman RNN
# ---------------------------------------------------------------------------

def rnn_standard(params, x, h, *, activation=tanh):
    """Elman: h = tanh(W_xh x + W_hh h[t-1] + b_h)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    h_new = activation(p.m("W_xh") @ x + p.m("W_hh") @ h + p.v("b_h"))
    return {"h": h_new}


def rnn_goodfellow(params, x, h, *, activation=tanh):
    """Goodfellow eqs 10.8-10.9: a = b + W h[t-1] + U x; h = tanh(a)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    a = p.v("b") + p.m("W") @ h + p.m("U") @ x
    return {"a": a, "h": activation(a)}


def rnn_pytorch(params, x, h, *, activation=tanh):
    """torch.nn.RNNCell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (relu optional)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    h_new = activation(p.m("W_ih") @ x + p.v("b_ih") + p.m("W_hh") @ h + p.v("b_hh"))
    return {"h": h_new}


def rnn_keras(params, x, h, *, activation=tanh):
    """keras SimpleRNN: output = tanh(x·kernel + bias + h_prev·recurrent_kernel)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    h_new = activation(x @ p.m("kernel") + h @ p.m("recurrent_kernel") + p.v("bias"))
    return {"h": h_new}


def rnn_d2l(params, X, H, *, activation=tanh):
    """d2l: H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h) (row vectors)."""
    p = _P(params)
    X, H = _vec(X), _vec(H)
    H_new = activation(X @ p.m("W_xh") + H @ p.m("W_hh") + p.v("b_h"))
    return {"H": H_new}


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------

def lstm_standard(params, x, h, c):
    """Hochreiter & Schmidhuber + forget gate (Gers 2000), column form, one bias per gate."""
    p = _P(params)
    x, h, c = _vec(x), _vec(h), _vec(c)
    i = sigmoid(p.m("W_i") @ x + p.m("U_i") @ h + p.v("b_i"))
    f = sigmoid(p.m("W_f") @ x + p.m("U_f") @ h + p.v("b_f"))
    o = sigmoid(p.m("W_o") @ x + p.m("U_o") @ h + p.v("b_o"))
    g = tanh(p.m("W_g") @ x + p.m("U_g") @ h + p.v("b_g"))
    c_new = f * c + i * g
    h_new = o * tanh(c_new)
    return {"i": i, "f": f, "o": o, "g": g, "c": c_new, "h": h_new}


def lstm_goodfellow(params, x, h, s, *, activation=tanh):
    """Goodfellow eqs 10.40-10.44 (gates read at step t from x^(t), h^(t-1)).

    f = sigmoid(b_f + U_f x + W_f h[t-1])          (10.40 forget gate)
    g = sigmoid(b_g + U_g x + W_g h[t-1])          (10.42 external input gate)
    s = f s[t-1] + g sigmoid(b + U x + W h[t-1])   (10.41, SIGMOID on the cell input)
    q = sigmoid(b_q + U_q x + W_q h[t-1])          (10.44 output gate)
    h = tanh(s) q                                  (10.43)

    ``activation`` replaces the tanh of 10.43 (seed 002 uses ReLU).
    """
    p = _P(params)
    x, h, s = _vec(x), _vec(h), _vec(s)
    f = sigmoid(p.v("b_f") + p.m("U_f") @ x + p.m("W_f") @ h)
    g = sigmoid(p.v("b_g") + p.m("U_g") @ x + p.m("W_g") @ h)
    q = sigmoid(p.v("b_q") + p.m("U_q") @ x + p.m("W_q") @ h)
    s_new = f * s + g * sigmoid(p.v("b") + p.m("U") @ x + p.m("W") @ h)
    h_new = activation(s_new) * q
    return {"f": f, "g": g, "q": q, "s": s_new, "h": h_new}


def lstm_olah(params, x, h, C):
    """Olah 2015: every gate reads W_* . [h[t-1], x] + b_* (h first)."""
    p = _P(params)
    x, h, C = _vec(x), _vec(h), _vec(C)
    hx = np.concatenate([h, x])
    f = sigmoid(p.m("W_f") @ hx + p.v("b_f"))
    i = sigmoid(p.m("W_i") @ hx + p.v("b_i"))
    C_tilde = tanh(p.m("W_C") @ hx + p.v("b_C"))
    C_new = f * C + i * C_tilde
    o = sigmoid(p.m("W_o") @ hx + p.v("b_o"))
    h_new = o * tanh(C_new)
    return {"f": f, "i": i, "C_tilde": C_tilde, "C": C_new, "o": o, "h": h_new}


def lstm_d2l(params, X, H, C):
    """d2l lstm.md, row vectors: I, F, O, C_tilde, C, H."""
    p = _P(params)
    X, H, C = _vec(X), _vec(H), _vec(C)
    I = sigmoid(X @ p.m("W_xi") + H @ p.m("W_hi") + p.v("b_i"))
    F = sigmoid(X @ p.m("W_xf") + H @ p.m("W_hf") + p.v("b_f"))
    O = sigmoid(X @ p.m("W_xo") + H @ p.m("W_ho") + p.v("b_o"))
    C_tilde = tanh(X @ p.m("W_xc") + H @ p.m("W_hc") + p.v("b_c"))
    C_new = F * C + I * C_tilde
    H_new = O * tanh(C_new)
    return {"I": I, "F": F, "O": O, "C_tilde": C_tilde, "C": C_new, "H": H_new}


def lstm_pytorch(params, x, h, c):
    """torch.nn.LSTMCell (RNN.cpp LSTMCell): gates i, f, g, o, two biases each."""
    p = _P(params)
    x, h, c = _vec(x), _vec(h), _vec(c)
    i = sigmoid(p.m("W_ii") @ x + p.v("b_ii") + p.m("W_hi") @ h + p.v("b_hi"))
    f = sigmoid(p.m("W_if") @ x + p.v("b_if") + p.m("W_hf") @ h + p.v("b_hf"))
    g = tanh(p.m("W_ig") @ x + p.v("b_ig") + p.m("W_hg") @ h + p.v("b_hg"))
    o = sigmoid(p.m("W_io") @ x + p.v("b_io") + p.m("W_ho") @ h + p.v("b_ho"))
    c_new = f * c + i * g
    h_new = o * tanh(c_new)
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


def lstm_keras(params, x, h, c):
    """keras LSTM: z = x·kernel + h·recurrent_kernel + bias, split i, f, c, o."""
    p = _P(params)
    x, h, c = _vec(x), _vec(h), _vec(c)
    i = sigmoid(x @ p.m("kernel_i") + h @ p.m("recurrent_kernel_i") + p.v("bias_i"))
    f = sigmoid(x @ p.m("kernel_f") + h @ p.m("recurrent_kernel_f") + p.v("bias_f"))
    c_tilde = tanh(x @ p.m("kernel_c") + h @ p.m("recurrent_kernel_c") + p.v("bias_c"))
    o = sigmoid(x @ p.m("kernel_o") + h @ p.m("recurrent_kernel_o") + p.v("bias_o"))
    c_new = f * c + i * c_tilde
    h_new = o * tanh(c_new)
    return {"i": i, "f": f, "c_tilde": c_tilde, "o": o, "c": c_new, "h": h_new}


def lstm_peephole_standard(params, x, h, c):
    """Diagonal peepholes (Gers & Schmidhuber 2000): i, f see c[t-1]; o sees the new c."""
    p = _P(params)
    x, h, c = _vec(x), _vec(h), _vec(c)
    i = sigmoid(p.m("W_i") @ x + p.m("U_i") @ h + p.v("p_i") * c + p.v("b_i"))
    f = sigmoid(p.m("W_f") @ x + p.m("U_f") @ h + p.v("p_f") * c + p.v("b_f"))
    g = tanh(p.m("W_g") @ x + p.m("U_g") @ h + p.v("b_g"))
    c_new = f * c + i * g
    o = sigmoid(p.m("W_o") @ x + p.m("U_o") @ h + p.v("p_o") * c_new + p.v("b_o"))
    h_new = o * tanh(c_new)
    return {"i": i, "f": f, "g": g, "c": c_new, "o": o, "h": h_new}


def lstm_coupled_standard(params, x, h, c):
    """Coupled input/forget gates (CIFG; Olah): c = f c[t-1] + (1 - f) g."""
    p = _P(params)
    x, h, c = _vec(x), _vec(h), _vec(c)
    f = sigmoid(p.m("W_f") @ x + p.m("U_f") @ h + p.v("b_f"))
    o = sigmoid(p.m("W_o") @ x + p.m("U_o") @ h + p.v("b_o"))
    g = tanh(p.m("W_g") @ x + p.m("U_g") @ h + p.v("b_g"))
    c_new = f * c + (1.0 - f) * g
    h_new = o * tanh(c_new)
    return {"f": f, "o": o, "g": g, "c": c_new, "h": h_new}


# ---------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------

def gru_standard(params, x, h):
    """Cho et al. 2014 v3 with d2l biases, column form; reset before, z keeps the old state."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    r = sigmoid(p.m("W_r") @ x + p.m("U_r") @ h + p.v("b_r"))
    z = sigmoid(p.m("W_z") @ x + p.m("U_z") @ h + p.v("b_z"))
    h_tilde = tanh(p.m("W_h") @ x + p.m("U_h") @ (r * h) + p.v("b_h"))
    h_new = z * h + (1.0 - z) * h_tilde
    return {"r": r, "z": z, "h_tilde": h_tilde, "h": h_new}


def gru_olah(params, x, h):
    """Olah / Chung et al.: no biases, [h, x] concatenation, z weights the CANDIDATE."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    hx = np.concatenate([h, x])
    z = sigmoid(p.m("W_z") @ hx)
    r = sigmoid(p.m("W_r") @ hx)
    h_tilde = tanh(p.m("W") @ np.concatenate([r * h, x]))
    h_new = (1.0 - z) * h + z * h_tilde
    return {"z": z, "r": r, "h_tilde": h_tilde, "h": h_new}


def gru_goodfellow(params, x, h):
    """Goodfellow eqs 10.45-10.47 (sensible reading: gates at step t).

    u = sigmoid(b_u + U_u x + W_u h[t-1]); r = sigmoid(b_r + U_r x + W_r h[t-1]);
    h = u h[t-1] + (1 - u) sigmoid(b + U x + W (r * h[t-1]))   -- SIGMOID candidate.
    """
    p = _P(params)
    x, h = _vec(x), _vec(h)
    u = sigmoid(p.v("b_u") + p.m("U_u") @ x + p.m("W_u") @ h)
    r = sigmoid(p.v("b_r") + p.m("U_r") @ x + p.m("W_r") @ h)
    h_new = u * h + (1.0 - u) * sigmoid(p.v("b") + p.m("U") @ x + p.m("W") @ (r * h))
    return {"u": u, "r": r, "h": h_new}


def gru_d2l(params, X, H):
    """d2l gru.md, row vectors; reset before; H = Z H[t-1] + (1 - Z) H_tilde."""
    p = _P(params)
    X, H = _vec(X), _vec(H)
    R = sigmoid(X @ p.m("W_xr") + H @ p.m("W_hr") + p.v("b_r"))
    Z = sigmoid(X @ p.m("W_xz") + H @ p.m("W_hz") + p.v("b_z"))
    H_tilde = tanh(X @ p.m("W_xh") + (R * H) @ p.m("W_hh") + p.v("b_h"))
    H_new = Z * H + (1.0 - Z) * H_tilde
    return {"R": R, "Z": Z, "H_tilde": H_tilde, "H": H_new}


def gru_pytorch(params, x, h):
    """torch.nn.GRUCell (RNN.cpp GRUCell): reset after, b_hn inside r * (...)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    r = sigmoid(p.m("W_ir") @ x + p.v("b_ir") + p.m("W_hr") @ h + p.v("b_hr"))
    z = sigmoid(p.m("W_iz") @ x + p.v("b_iz") + p.m("W_hz") @ h + p.v("b_hz"))
    n = tanh(p.m("W_in") @ x + p.v("b_in") + r * (p.m("W_hn") @ h + p.v("b_hn")))
    h_new = (1.0 - z) * n + z * h
    return {"r": r, "z": z, "n": n, "h": h_new}


def gru_keras(params, x, h):
    """keras GRU(reset_after=True): columns z, r, h; recurrent bias inside r * (...)."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    inner_z = h @ p.m("recurrent_kernel_z") + p.v("recurrent_bias_z")
    inner_r = h @ p.m("recurrent_kernel_r") + p.v("recurrent_bias_r")
    inner_h = h @ p.m("recurrent_kernel_h") + p.v("recurrent_bias_h")
    z = sigmoid(x @ p.m("kernel_z") + p.v("bias_z") + inner_z)
    r = sigmoid(x @ p.m("kernel_r") + p.v("bias_r") + inner_r)
    hh = tanh(x @ p.m("kernel_h") + p.v("bias_h") + r * inner_h)
    h_new = z * h + (1.0 - z) * hh
    return {"z": z, "r": r, "hh": hh, "h": h_new}


def gru_keras_reset_before(params, x, h):
    """keras GRU(reset_after=False): hh = tanh(x K_h + (r * h) R_h + b_h); one bias per gate."""
    p = _P(params)
    x, h = _vec(x), _vec(h)
    z = sigmoid(x @ p.m("kernel_z") + h @ p.m("recurrent_kernel_z") + p.v("bias_z"))
    r = sigmoid(x @ p.m("kernel_r") + h @ p.m("recurrent_kernel_r") + p.v("bias_r"))
    hh = tanh(x @ p.m("kernel_h") + (r * h) @ p.m("recurrent_kernel_h") + p.v("bias_h"))
    h_new = z * h + (1.0 - z) * hh
    return {"z": z, "r": r, "hh": hh, "h": h_new}


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

REFERENCE = {
    ("rnn", "standard"): rnn_standard,
    ("rnn", "goodfellow"): rnn_goodfellow,
    ("rnn", "pytorch"): rnn_pytorch,
    ("rnn", "keras"): rnn_keras,
    ("rnn", "d2l"): rnn_d2l,
    ("lstm", "standard"): lstm_standard,
    ("lstm", "goodfellow"): lstm_goodfellow,
    ("lstm", "olah"): lstm_olah,
    ("lstm", "d2l"): lstm_d2l,
    ("lstm", "pytorch"): lstm_pytorch,
    ("lstm", "keras"): lstm_keras,
    ("gru", "standard"): gru_standard,
    ("gru", "olah"): gru_olah,
    ("gru", "goodfellow"): gru_goodfellow,
    ("gru", "d2l"): gru_d2l,
    ("gru", "pytorch"): gru_pytorch,
    ("gru", "keras"): gru_keras,
    ("gru", "keras-reset-before"): gru_keras_reset_before,
    ("lstm-peephole", "standard"): lstm_peephole_standard,
    ("lstm-coupled", "standard"): lstm_coupled_standard,
}

# quantities read at t-1 (carried to the next step), in the order the step
# function takes them: hidden state first, then the cell state (if any).
STATE = {
    ("rnn", "standard"): ("h",),
    ("rnn", "goodfellow"): ("h",),
    ("rnn", "pytorch"): ("h",),
    ("rnn", "keras"): ("h",),
    ("rnn", "d2l"): ("H",),
    ("lstm", "standard"): ("h", "c"),
    ("lstm", "goodfellow"): ("h", "s"),
    ("lstm", "olah"): ("h", "C"),
    ("lstm", "d2l"): ("H", "C"),
    ("lstm", "pytorch"): ("h", "c"),
    ("lstm", "keras"): ("h", "c"),
    ("gru", "standard"): ("h",),
    ("gru", "olah"): ("h",),
    ("gru", "goodfellow"): ("h",),
    ("gru", "d2l"): ("H",),
    ("gru", "pytorch"): ("h",),
    ("gru", "keras"): ("h",),
    ("gru", "keras-reset-before"): ("h",),
    ("lstm-peephole", "standard"): ("h", "c"),
    ("lstm-coupled", "standard"): ("h", "c"),
}

_D2L = {k for k in REFERENCE if k[1] == "d2l"}
INPUT = {k: ("X" if k in _D2L else "x") for k in REFERENCE}
HIDDEN = {k: ("H" if k in _D2L else "h") for k in REFERENCE}

# layout of each convention: "col" (W @ x) or "row" (x @ K)
LAYOUT = {k: ("row" if k[1] in ("keras", "keras-reset-before", "d2l") else "col") for k in REFERENCE}

# Parameter shapes, in the order of the cell file's `roles`.  Codes:
#   HI (H, I)   HH (H, H)   HC (H, H+I)   IH (I, H)   H (H,)
#   OH (O, H)   HO (H, O)   O (O,)         -- read-out, only with output_size
PARAMS = {
    ("rnn", "standard"): {"W_xh": "HI", "W_hh": "HH", "b_h": "H", "W_hy": "OH", "b_y": "O"},
    ("rnn", "goodfellow"): {"U": "HI", "W": "HH", "b": "H", "V": "OH", "c": "O"},
    ("rnn", "pytorch"): {"W_ih": "HI", "W_hh": "HH", "b_ih": "H", "b_hh": "H", "W_hy": "OH", "b_y": "O"},
    ("rnn", "keras"): {"kernel": "IH", "recurrent_kernel": "HH", "bias": "H", "kernel_y": "HO", "bias_y": "O"},
    ("rnn", "d2l"): {"W_xh": "IH", "W_hh": "HH", "b_h": "H", "W_hq": "HO", "b_q": "O"},
    ("lstm", "standard"): {
        "W_i": "HI", "U_i": "HH", "b_i": "H",
        "W_f": "HI", "U_f": "HH", "b_f": "H",
        "W_o": "HI", "U_o": "HH", "b_o": "H",
        "W_g": "HI", "U_g": "HH", "b_g": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("lstm", "goodfellow"): {
        "U_f": "HI", "W_f": "HH", "b_f": "H",
        "U_g": "HI", "W_g": "HH", "b_g": "H",
        "U_q": "HI", "W_q": "HH", "b_q": "H",
        "U": "HI", "W": "HH", "b": "H",
        "V": "OH", "c": "O",
    },
    ("lstm", "olah"): {
        "W_f": "HC", "b_f": "H", "W_i": "HC", "b_i": "H",
        "W_C": "HC", "b_C": "H", "W_o": "HC", "b_o": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("lstm", "d2l"): {
        "W_xi": "IH", "W_hi": "HH", "b_i": "H",
        "W_xf": "IH", "W_hf": "HH", "b_f": "H",
        "W_xo": "IH", "W_ho": "HH", "b_o": "H",
        "W_xc": "IH", "W_hc": "HH", "b_c": "H",
        "W_hq": "HO", "b_q": "O",
    },
    ("lstm", "pytorch"): {
        "W_ii": "HI", "W_hi": "HH", "b_ii": "H", "b_hi": "H",
        "W_if": "HI", "W_hf": "HH", "b_if": "H", "b_hf": "H",
        "W_ig": "HI", "W_hg": "HH", "b_ig": "H", "b_hg": "H",
        "W_io": "HI", "W_ho": "HH", "b_io": "H", "b_ho": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("lstm", "keras"): {
        "kernel_i": "IH", "recurrent_kernel_i": "HH", "bias_i": "H",
        "kernel_f": "IH", "recurrent_kernel_f": "HH", "bias_f": "H",
        "kernel_c": "IH", "recurrent_kernel_c": "HH", "bias_c": "H",
        "kernel_o": "IH", "recurrent_kernel_o": "HH", "bias_o": "H",
        "kernel_y": "HO", "bias_y": "O",
    },
    ("gru", "standard"): {
        "W_r": "HI", "U_r": "HH", "b_r": "H",
        "W_z": "HI", "U_z": "HH", "b_z": "H",
        "W_h": "HI", "U_h": "HH", "b_h": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("gru", "olah"): {"W_z": "HC", "W_r": "HC", "W": "HC", "W_hy": "OH", "b_y": "O"},
    ("gru", "goodfellow"): {
        "U_u": "HI", "W_u": "HH", "b_u": "H",
        "U_r": "HI", "W_r": "HH", "b_r": "H",
        "U": "HI", "W": "HH", "b": "H",
        "V": "OH", "c": "O",
    },
    ("gru", "d2l"): {
        "W_xr": "IH", "W_hr": "HH", "b_r": "H",
        "W_xz": "IH", "W_hz": "HH", "b_z": "H",
        "W_xh": "IH", "W_hh": "HH", "b_h": "H",
        "W_hq": "HO", "b_q": "O",
    },
    ("gru", "pytorch"): {
        "W_ir": "HI", "W_hr": "HH", "b_ir": "H", "b_hr": "H",
        "W_iz": "HI", "W_hz": "HH", "b_iz": "H", "b_hz": "H",
        "W_in": "HI", "W_hn": "HH", "b_in": "H", "b_hn": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("gru", "keras"): {
        "kernel_z": "IH", "recurrent_kernel_z": "HH", "bias_z": "H", "recurrent_bias_z": "H",
        "kernel_r": "IH", "recurrent_kernel_r": "HH", "bias_r": "H", "recurrent_bias_r": "H",
        "kernel_h": "IH", "recurrent_kernel_h": "HH", "bias_h": "H", "recurrent_bias_h": "H",
        "kernel_y": "HO", "bias_y": "O",
    },
    ("gru", "keras-reset-before"): {
        "kernel_z": "IH", "recurrent_kernel_z": "HH", "bias_z": "H",
        "kernel_r": "IH", "recurrent_kernel_r": "HH", "bias_r": "H",
        "kernel_h": "IH", "recurrent_kernel_h": "HH", "bias_h": "H",
        "kernel_y": "HO", "bias_y": "O",
    },
    ("lstm-peephole", "standard"): {
        "W_i": "HI", "U_i": "HH", "p_i": "H", "b_i": "H",
        "W_f": "HI", "U_f": "HH", "p_f": "H", "b_f": "H",
        "W_g": "HI", "U_g": "HH", "b_g": "H",
        "W_o": "HI", "U_o": "HH", "p_o": "H", "b_o": "H",
        "W_hy": "OH", "b_y": "O",
    },
    ("lstm-coupled", "standard"): {
        "W_f": "HI", "U_f": "HH", "b_f": "H",
        "W_o": "HI", "U_o": "HH", "b_o": "H",
        "W_g": "HI", "U_g": "HH", "b_g": "H",
        "W_hy": "OH", "b_y": "O",
    },
}

# read-out pre-activation y: (weight, bias); column: W @ h + b, row: h @ K + b
READOUT = {
    k: next((w, b) for w, code in PARAMS[k].items() if code in ("OH", "HO")
            for b, code2 in PARAMS[k].items() if code2 == "O")
    for k in REFERENCE
}

_READOUT_CODES = ("OH", "HO", "O")


def _key(cell, convention):
    key = (cell, convention)
    if key not in REFERENCE:
        raise KeyError(f"no reference for cell {cell!r} convention {convention!r}")
    return key


def hidden_size(cell, convention, params) -> int:
    """H, read off the first recurrent (or concatenated) matrix of the convention."""
    key = _key(cell, convention)
    for name, code in PARAMS[key].items():
        if code == "HH":
            return _mat(params[name]).shape[0]
        if code == "HC":
            return _mat(params[name]).shape[0]
    raise AssertionError(f"no recurrent matrix for {key}")  # pragma: no cover


def step_reference(cell, convention, params, x, state: dict, **kwargs) -> dict:
    """One step; ``state`` maps the names of STATE[key] to their t-1 values."""
    key = _key(cell, convention)
    fn = REFERENCE[key]
    return fn(params, _vec(x), *[_vec(state[n]) for n in STATE[key]], **kwargs)


def run_reference(cell, convention, params, inputs, initial=None, **kwargs) -> list[dict]:
    """Run the cell over ``inputs`` (a list of input vectors, or scalars for I = 1).

    ``initial`` maps state names (STATE[key]) to their value at t = 0; a missing
    state starts at zeros (PyTorch / Keras / d2l default).  ``kwargs`` go to the
    step function (e.g. ``activation=relu`` for the rnn cells and lstm/goodfellow).
    Returns one dict per step with every quantity of the cell, as fresh arrays.
    """
    key = _key(cell, convention)
    H = hidden_size(cell, convention, params)
    initial = dict(initial or {})
    unknown = set(initial) - set(STATE[key])
    if unknown:
        raise KeyError(f"not a state of {key}: {sorted(unknown)}")
    prev = {}
    for n in STATE[key]:
        prev[n] = _vec(initial[n]).copy() if n in initial else np.zeros(H)
        if prev[n].shape != (H,):
            raise ValueError(f"initial {n} has shape {prev[n].shape}, expected ({H},)")
    trace = []
    for x in inputs:
        q = step_reference(cell, convention, params, x, prev, **kwargs)
        q = {k: np.array(v, dtype=np.float64) for k, v in q.items()}
        trace.append(q)
        prev = {n: q[n] for n in STATE[key]}
    return trace


def random_params(cell, convention, input_size, hidden_size, rng,
                  output_size=None, scale=1.0) -> dict:
    """Random float64 params of the right shapes, ~ U(-scale, scale).

    Read-out parameters are included only when ``output_size`` is given.
    """
    key = _key(cell, convention)
    I, H = int(input_size), int(hidden_size)
    O = None if output_size is None else int(output_size)
    shapes = {"HI": (H, I), "HH": (H, H), "HC": (H, H + I), "IH": (I, H), "H": (H,),
              "OH": (O, H), "HO": (H, O), "O": (O,)}
    out = {}
    for name, code in PARAMS[key].items():
        if code in _READOUT_CODES and O is None:
            continue
        out[name] = rng.uniform(-scale, scale, size=shapes[code]).astype(np.float64)
    return out


def readout(cell, convention, params, h) -> np.ndarray:
    """Pre-activation of the read-out y from the hidden state (cell file `readout`)."""
    key = _key(cell, convention)
    w, b = READOUT[key]
    h = _vec(h)
    if LAYOUT[key] == "row":
        return h @ _mat(params[w]) + _vec(params[b])
    return _mat(params[w]) @ h + _vec(params[b])
