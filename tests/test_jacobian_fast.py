"""jacobian's fast paths give the very numbers of the plain definition (hypothesis).

The fast path keeps identity-seeded adjoints as two vectors (solve/identity_stack.py),
computes the one-step derivatives of many steps side by side and carries all rows of
dq(T)/dq(k) together; the plain path seeds one unit vector at a time, one step at a
time, with dense arrays. Both run the same compiled derivative trees: the one-step
derivatives agree bit for bit, signed zeros included, and dq(T)/dq(k) to rounding.
The row-vector conventions (keras: `h[t-1] @ U`) once came out transposed on the
fast path; the finite differences below pin them.
The numbers themselves are proven against autograd and finite differences in
test_jacobian.py.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import reference_cells as REF
from problem_text import problem_yaml
from rnncli.files.problem import parse_problem
from rnncli.solve import jacobian as jacobian_module
from rnncli.solve.identity_stack import IdentityStack
from rnncli.solve.jacobian import run_jacobian

CELLS = [key for key in REF.REFERENCE if key[0] in ("rnn", "lstm", "gru")]


def same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def random_problem(cell, convention, hidden, steps, seed):
    rng = np.random.default_rng(seed)
    key = (cell, convention)
    params = REF.random_params(cell, convention, 2, hidden, rng, scale=0.9)
    initial = {n: rng.normal(scale=0.5, size=hidden) for n in REF.STATE[key]}
    inputs = {REF.INPUT[key]: [rng.uniform(-1, 1, 2) for _ in range(steps)]}
    text = problem_yaml(cell=cell, convention=convention, params=params, initial=initial,
                        inputs=inputs)
    return parse_problem(text, "fast.yaml"), REF.STATE[key]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CELLS), hidden=st.integers(1, 5), steps=st.integers(1, 20),
       seed=st.integers(0, 10_000), which=st.integers(0, 1))
def test_fast_path_equals_plain_definition(case, hidden, steps, seed, which):
    problem, states = random_problem(*case, hidden, steps, seed)
    of = states[which % len(states)]
    fast = run_jacobian(problem, of)
    with pytest.MonkeyPatch.context() as patch:
        # The plain definition: one adjoint row at a time, one step at a time, dense.
        patch.setattr(jacobian_module, "_batch_safe", lambda plan, cell: False)
        plain = run_jacobian(problem, of)
    # The rows go together through matrix-matrix products where the plain path multiplies
    # one row vector at a time: the same sums, rounded apart.
    assert [s.t for s in fast.steps] == [s.t for s in plain.steps]
    for mine, theirs in zip(fast.steps, plain.steps):
        np.testing.assert_allclose(mine.total, theirs.total, rtol=1e-12, atol=1e-15,
                                   err_msg=f"t={mine.t}")
        assert same_bits(mine.direct, theirs.direct), f"t={mine.t}"
    for mine, theirs in zip(fast.back, plain.back):
        assert mine.k == theirs.k
        np.testing.assert_allclose(mine.jacobian, theirs.jacobian, rtol=1e-12, atol=1e-15,
                                   err_msg=f"k={mine.k}")
        assert mine.norm == pytest.approx(theirs.norm, rel=1e-12, abs=1e-15)


class DenseSeeds:
    """Stands in for IdentityStack: the identity as the ordinary dense array."""

    @staticmethod
    def identity(lead, n):
        return np.broadcast_to(np.eye(n), tuple(lead) + (n, n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CELLS), hidden=st.integers(1, 5), steps=st.integers(2, 20),
       seed=st.integers(0, 10_000), which=st.integers(0, 1))
def test_identity_seeds_give_the_bits_of_dense_seeds(case, hidden, steps, seed, which):
    problem, states = random_problem(*case, hidden, steps, seed)
    of = states[which % len(states)]
    fast = run_jacobian(problem, of)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jacobian_module, "IdentityStack", DenseSeeds)
        patch.setattr(jacobian_module, "_fit_stack", jacobian_module._fit)
        dense = run_jacobian(problem, of)
    for mine, theirs in zip(fast.steps, dense.steps):
        assert same_bits(mine.total, theirs.total), f"t={mine.t}"
        assert same_bits(mine.direct, theirs.direct), f"t={mine.t}"
    for mine, theirs in zip(fast.back, dense.back):
        assert same_bits(mine.jacobian, theirs.jacobian) and mine.norm == theirs.norm


finite = st.floats(-3, 3, allow_nan=False, width=64)
signed_zero = st.sampled_from([0.0, -0.0])


@st.composite
def stacks(draw):
    lead = draw(st.sampled_from([(), (1,), (3,)]))
    n = draw(st.integers(1, 4))
    size = int(np.prod(lead + (n,)))
    diagonal = np.array(draw(st.lists(finite, min_size=size, max_size=size))).reshape(lead + (n,))
    off = np.array(draw(st.lists(signed_zero, min_size=size, max_size=size))).reshape(lead + (n,))
    return IdentityStack(diagonal, off)


@settings(max_examples=200, deadline=None)
@given(stack=stacks(), data=st.data(),
       ufunc=st.sampled_from([np.add, np.subtract, np.multiply]),
       form=st.sampled_from(["scalar", "vector", "row", "lanes", "dense", "stack"]),
       swap=st.booleans())
def test_identity_stack_computes_what_numpy_computes_on_the_whole_array(stack, data, ufunc,
                                                                      form, swap):
    lead, n = stack.shape[:-2], stack.shape[-1]
    draw = lambda shape: np.array(data.draw(st.lists(  # noqa: E731
        st.one_of(finite, signed_zero), min_size=int(np.prod(shape)),
        max_size=int(np.prod(shape))))).reshape(shape)
    other = {"scalar": lambda: np.float64(data.draw(st.one_of(finite, signed_zero))),
             "vector": lambda: draw((n,)),
             "row": lambda: draw((1, n)),
             "lanes": lambda: draw(lead + (1, n)),
             "dense": lambda: draw(stack.shape),
             "stack": lambda: IdentityStack(draw(lead + (n,)), draw(lead + (n,)) * 0.0)}[form]()
    dense_other = np.asarray(other)
    with np.errstate(all="ignore"):
        mine = ufunc(other, stack) if swap else ufunc(stack, other)
        theirs = ufunc(dense_other, stack.dense()) if swap else ufunc(stack.dense(), dense_other)
    assert same_bits(mine, theirs)


@settings(max_examples=200, deadline=None)
@given(stack=stacks(), data=st.data(), columns=st.integers(1, 4))
def test_identity_stack_times_a_matrix_is_the_dense_product(stack, data, columns):
    n = stack.shape[-1]
    matrix = np.array(data.draw(st.lists(st.one_of(finite, signed_zero), min_size=n * columns,
                                         max_size=n * columns))).reshape(n, columns)
    assert same_bits(stack @ matrix, stack.dense() @ matrix)


def test_identity_stack_unknown_operations_go_dense():
    stack = IdentityStack.identity((2,), 3)
    assert same_bits(np.tanh(stack), np.tanh(stack.dense()))
    assert same_bits(np.sum(stack, axis=-1), np.sum(stack.dense(), axis=-1))
    assert same_bits(stack[..., 1:], stack.dense()[..., 1:]) if hasattr(stack, "__getitem__") \
        else same_bits(np.asarray(stack)[..., 1:], stack.dense()[..., 1:])
    column = np.array([[1.0], [2.0], [3.0]])
    assert same_bits(stack * column, stack.dense() * column)


@pytest.mark.parametrize("of", ["c", "h"])
def test_a_wide_lstm_is_the_same_both_ways(monkeypatch, of):
    # More entries than one lane pass holds steps (16), and a state wider than one row.
    problem, _ = random_problem("lstm", "standard", 12, 40, seed=7)
    fast = run_jacobian(problem, of)
    monkeypatch.setattr(jacobian_module, "_batch_safe", lambda plan, cell: False)
    plain = run_jacobian(problem, of)
    assert all(same_bits(a.total, b.total) for a, b in zip(fast.steps, plain.steps))
    for a, b in zip(fast.back, plain.back):
        np.testing.assert_allclose(a.jacobian, b.jacobian, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_row_vector_convention_equals_central_differences(cell):
    # keras writes x @ kernel + h[t-1] @ recurrent_kernel: the stacked rows must not be
    # mistaken for one matrix (they were: the fast path gave the transpose).
    from rnncli.solve.trace import run_trace

    problem, states = random_problem(cell, "keras", 3, 4, seed=11)
    result = run_jacobian(problem, "h")
    eps = 1e-6
    numeric = np.zeros((3, 3))
    for j in range(3):
        ends = []
        for sign in (1, -1):
            initial = {n: v.copy() for n, v in problem.initial.items()}
            initial["h"][j] += sign * eps
            changed = problem.__class__(**{**problem.__dict__, "initial": initial})
            ends.append(np.ravel(run_trace(changed).value("h", result.to)))
        numeric[:, j] = (ends[0] - ends[1]) / (2 * eps)
    assert result.back[-1].k == 0
    np.testing.assert_allclose(result.back[-1].jacobian, numeric, rtol=1e-6, atol=1e-8)
    if cell != "lstm":     # one step from the initial state: h(1) reads h(0) alone
        one = run_jacobian(problem, "h", to=1)
        numeric = np.zeros((3, 3))
        for j in range(3):
            ends = []
            for sign in (1, -1):
                initial = {n: v.copy() for n, v in problem.initial.items()}
                initial["h"][j] += sign * eps
                changed = problem.__class__(**{**problem.__dict__, "initial": initial})
                ends.append(np.ravel(run_trace(changed).value("h", 1)))
            numeric[:, j] = (ends[0] - ends[1]) / (2 * eps)
        np.testing.assert_allclose(one.steps[0].total, numeric, rtol=1e-6, atol=1e-8)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 12), columns=st.integers(1, 12), seed=st.integers(0, 10_000),
       precision=st.integers(2, 6))
def test_matrix_text_shows_corners_as_value_text_shows_vectors(rows, columns, seed, precision):
    from rnncli.render.jacobian import matrix_text
    from rnncli.render.trace import value_text

    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(rows, columns)) * 10.0 ** rng.integers(-8, 4, size=(rows, columns))
    text = matrix_text(matrix, precision)
    if rows <= 8 and columns <= 8:       # small: exactly value_text's matrix
        assert text == value_text(matrix, precision)
        return
    assert text.endswith(f"] ({rows} × {columns})")
    shown_rows = list(range(rows)) if rows <= 8 else [0, 1, 2, rows - 2, rows - 1]
    shown_columns = list(range(columns)) if columns <= 8 else [0, 1, 2, columns - 2, columns - 1]
    expected = []
    for i in shown_rows:
        cells = [value_text(matrix[i, j], precision) for j in shown_columns]
        if columns > 8:
            cells.insert(3, "…")
        expected.append("[" + ", ".join(cells) + "]")
    if rows > 8:
        expected.insert(3, "…")
    assert text == "[" + ", ".join(expected) + f"] ({rows} × {columns})"


def test_a_wide_jacobian_in_latex_is_cut_and_compiles(tmp_path):
    # 12 entries: more columns than amsmath's bmatrix takes (10); cut as text cuts rows.
    from test_latex_compiles import PDFLATEX, compile_latex

    from rnncli.render.jacobian import matrix_latex, render_latex
    from rnncli.language.expression import Value
    from rnncli.language.printing.latex import LatexPrinter

    problem, _ = random_problem("lstm", "standard", 12, 3, seed=5)
    result = run_jacobian(problem, "c")
    text = render_latex(result, 4)
    assert r"\cdots" in text and r"\vdots" in text and r"_{12 \times 12}" in text
    small = np.array([[0.5, -0.25], [1e-7, 2.0]])
    assert matrix_latex(small, 4) == LatexPrinter(precision=4).doprint(Value(small))
    corner = result.back[0].jacobian
    cut = matrix_latex(corner, 4)
    printer = LatexPrinter(precision=4)
    for i in (0, 1, 2, 10, 11):
        for j in (0, 1, 2, 10, 11):
            assert printer.number(corner[i, j], False) in cut
    if PDFLATEX is not None:
        compile_latex(text, tmp_path)


magnitudes = st.builds(lambda mantissa, exponent: mantissa * 10.0 ** exponent,
                       st.floats(-9.999, 9.999, allow_nan=False), st.integers(-320, 300))


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(1, 4), columns=st.integers(1, 5), data=st.data())
def test_jacobian_json_numbers_are_the_standard_librarys(rows, columns, data):
    # Every magnitude, signed zeros, subnormals: orjson's text where it equals repr's,
    # repr's where it does not (1e-10 to 1e-4).
    import json

    from rnncli.render.jacobian import _array_encoder

    encode = _array_encoder()
    if encode is None:
        pytest.skip("orjson is not installed: jacobian_json is dumps itself")
    values = data.draw(st.lists(st.one_of(magnitudes, signed_zero, st.just(5e-324),
                                          st.floats(-1e-4, 1e-4, allow_nan=False)),
                                min_size=rows * columns, max_size=rows * columns))
    matrix = np.array(values, dtype=float).reshape(rows, columns)
    assert encode(matrix) == json.dumps(matrix.tolist())
    assert encode(matrix[0]) == json.dumps(matrix[0].tolist())


@pytest.mark.parametrize("path, of", [("problems/lstm-dcdc.yaml", "c"),
                                      ("problems/lstm-standard.yaml", "c"),
                                      ("problems/rnn-vanishing-gradients.yaml", "h")])
def test_jacobian_json_is_the_document_dumped(path, of):
    from pathlib import Path

    from rnncli.files.problem import load_problem
    from rnncli.render.jacobian import jacobian_document, jacobian_json
    from rnncli.render.json_document import dumps

    root = Path(__file__).resolve().parents[1]
    result = run_jacobian(load_problem(str(root / path)), of)
    assert jacobian_json(result) == dumps(jacobian_document(result))
    wide, _ = random_problem("lstm", "standard", 10, 30, seed=3)
    result = run_jacobian(wide, "c")
    assert jacobian_json(result) == dumps(jacobian_document(result))
