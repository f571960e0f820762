"""Published BPTT numbers, right and wrong: deeplearning.ai's `rnn_backward` and `lstm_backward`.

deeplearning.ai, Sequence Models, week 1, assignment 1 ("Building a Recurrent
Neural Network - Step by Step"), checked in shared/reference/gradients.md §1.1
(cases B and D). The test cells draw their inputs with np.random.seed(1) and
legacy randn calls (a stream numpy keeps stable); columns are the 10 examples of
a batch, so each example is one rnncli problem and the weights' gradients are
summed over them. The loss is implicit: J = Σ_t Σ da<t> ⊙ a<t>, i.e. the problem's
`loss: sum(da * h)` with the upstream gradients da as an input.

Case D's *old* published key is wrong: it is the gradient with the recurrent
gradient never carried back (da_prev, dc_prev dropped) — exactly what
`--truncate 1` computes, and the slip the grader diagnoses as "no flow back
through time".
"""
from __future__ import annotations

import numpy as np
import pytest

from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.solve.gradients import GradientOptions, run_gradients


def batch_gradients(cell, convention, params, x, a0, da, steps, truncate=None):
    """Returns (summed parameter gradients, dL/da0 per example) over the batch's columns."""
    totals, initial = {}, []
    for m in range(a0.shape[1]):
        text = problem_yaml(cell=cell, convention=convention, params=params,
                            initial={"h": a0[:, m]},
                            inputs={"x": [x[:, m, t] for t in range(steps)],
                                    "da": [da[:, m, t] for t in range(steps)]},
                            extra="loss: sum(da * h)\n")
        result = run_gradients(parse_problem(text, "dlai.yaml"), GradientOptions(truncate=truncate))
        for name, grad in result.params.items():
            totals[name] = totals.get(name, 0) + grad
        initial.append(result.initial["h"])
    return totals, np.array(initial).T


def test_dlai_rnn_backward_four_steps():
    # Published: da0[2][3] = -0.314942375127, dWax[3][1] = 11.2641044965,
    # dWaa[1][2] = 2.30333312658, dba[4] = [-0.74747722].
    np.random.seed(1)
    x = np.random.randn(3, 10, 4)
    a0 = np.random.randn(5, 10)
    Wax = np.random.randn(5, 3)
    Waa = np.random.randn(5, 5)
    np.random.randn(2, 5)                          # Wya: the read-out, not in the backward pass
    ba = np.random.randn(5, 1)
    np.random.randn(2, 1)                          # by
    da = np.random.randn(5, 10, 4)
    grads, da0 = batch_gradients("rnn", "standard", {"W_xh": Wax, "W_hh": Waa, "b_h": ba[:, 0]},
                                 x, a0, da, 4)
    assert da0[2][3] == pytest.approx(-0.314942375127, abs=5e-13)
    assert grads["W_xh"][3][1] == pytest.approx(11.2641044965, abs=5e-11)
    assert grads["W_hh"][1][2] == pytest.approx(2.30333312658, abs=5e-12)
    assert grads["b_h"][4] == pytest.approx(-0.74747722, abs=5e-9)


def lstm_case():
    np.random.seed(1)
    x = np.random.randn(3, 10, 7)
    a0 = np.random.randn(5, 10)
    params = {}
    for gate in ("f", "i", "o", "C"):       # drawn as Wf, bf, Wi, bi, Wo, bo, Wc, bc
        params[f"W_{gate}"] = np.random.randn(5, 5 + 3)
        params[f"b_{gate}"] = np.random.randn(5, 1)[:, 0]
    da = np.random.randn(5, 10, 4)          # the loop runs over da's 4 steps, not x's 7
    return params, x, a0, da


def test_dlai_lstm_backward_current_key():
    # Olah's convention is DLAI's: every gate reads [a_prev; x_t]. Published (v4 key):
    # da0[2][3] = 0.312770310257, dWf[3][1] = -0.0809802310938, dWi[1][2] = 0.40512433093,
    # dWc[3][1] = -0.0793746735512, dWo[1][2] = 0.038948775763, dbf[4] = -0.15745657,
    # dbi[4] = -0.50848333, dbc[4] = -0.42510818, dbo[4] = -0.17958196.
    params, x, a0, da = lstm_case()
    grads, da0 = batch_gradients("lstm", "olah", params, x, a0, da, 4)
    assert da0[2][3] == pytest.approx(0.312770310257, abs=5e-13)
    assert grads["W_f"][3][1] == pytest.approx(-0.0809802310938, abs=5e-14)
    assert grads["W_i"][1][2] == pytest.approx(0.40512433093, abs=5e-12)
    assert grads["W_C"][3][1] == pytest.approx(-0.0793746735512, abs=5e-14)
    assert grads["W_o"][1][2] == pytest.approx(0.038948775763, abs=5e-13)
    expected_biases = {"b_f": -0.15745657, "b_i": -0.50848333, "b_C": -0.42510818, "b_o": -0.17958196}
    for name, value in expected_biases.items():
        assert grads[name][4] == pytest.approx(value, abs=5e-9), name


def test_dlai_lstm_backward_old_key_is_truncate_one():
    # The old (v3) key: da0[2][3] = -0.095911501954, dWf[3][1] = -0.0698198561274,
    # dWi[1][2] = 0.102371820249, dWc[3][1] = -0.0624983794927, dWo[1][2] = 0.0484389131444,
    # dbf[4] = -0.0565788: the gradients with no flow back through time. (Its dbi, dbc,
    # dbo match neither recipe, as the reference notes; they are not checked.)
    params, x, a0, da = lstm_case()
    grads, da0 = batch_gradients("lstm", "olah", params, x, a0, da, 4, truncate=1)
    assert da0[2][3] == pytest.approx(-0.095911501954, abs=5e-13)
    assert grads["W_f"][3][1] == pytest.approx(-0.0698198561274, abs=5e-14)
    assert grads["W_i"][1][2] == pytest.approx(0.102371820249, abs=5e-13)
    assert grads["W_C"][3][1] == pytest.approx(-0.0624983794927, abs=5e-14)
    assert grads["W_o"][1][2] == pytest.approx(0.0484389131444, abs=5e-14)
    assert grads["b_f"][4] == pytest.approx(-0.0565788, abs=5e-8)
