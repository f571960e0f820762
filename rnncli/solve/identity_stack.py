"""Stacks of adjoint rows seeded with the identity, kept as two vectors until a matrix product.

`jacobian` starts dq(t)'s adjoint at the identity (one adjoint row per entry of q) to
read dq(t)/dq(t-1) off one backward step. Until the adjoints reach a matrix
product they only meet elementwise operations with values that broadcast
along the rows (vectors of the step), so every row of the stack is the same
except on its own diagonal entry: entry (i, j) is `diagonal[j]` when i = j,
`off[j]` otherwise (`off` holds the zeros of the identity, signed as
elementwise arithmetic leaves them). Each elementwise operation is applied to
the two vectors, entry for entry what numpy would compute on the whole
matrix; a product with a matrix scales its rows, which is what the dense
product gives bit for bit (the other terms are exact zeros). Anything else
makes the stack an ordinary dense array first, so the result never changes —
only its cost, from n³ per step to n², and to n for the elementwise work.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


class IdentityStack(NDArrayOperatorsMixin):
    """Stands for the array lead + (n, n) with `diagonal` on the diagonals, `off` elsewhere."""

    __array_priority__ = 100

    def __init__(self, diagonal, off):
        self.diagonal, self.off = np.broadcast_arrays(np.asarray(diagonal, dtype=float),
                                                      np.asarray(off, dtype=float))
        n = self.diagonal.shape[-1]
        self.shape = self.diagonal.shape + (n,)
        self.ndim = len(self.shape)

    @classmethod
    def identity(cls, lead: tuple, n: int) -> "IdentityStack":
        """Returns the stack of identities lead + (n, n)."""
        return cls(np.ones(lead + (n,)), np.zeros(lead + (n,)))

    @classmethod
    def zeros(cls, lead: tuple, n: int) -> "IdentityStack":
        return cls(np.zeros(lead + (n,)), np.zeros(lead + (n,)))

    def dense(self) -> np.ndarray:
        """Returns the whole array."""
        n = self.shape[-1]
        out = np.array(np.broadcast_to(self.off[..., None, :], self.shape))
        index = np.arange(n)
        out[..., index, index] = self.diagonal
        return out

    def __array__(self, dtype=None, copy=None):
        out = self.dense()
        return out if dtype is None else out.astype(dtype)

    def _rows(self, value):
        """Returns `value` as the vector it is along every row, or None if it is not one."""
        if isinstance(value, IdentityStack):
            return value
        if isinstance(value, (int, float)):
            return value
        if not isinstance(value, (np.ndarray, np.generic)) or value.dtype.kind not in "biuf":
            return None
        n = self.shape[-1]
        if value.ndim == 0:
            return value
        if value.shape[-1] not in (1, n):
            return None
        if value.ndim == 1:
            return value
        if value.shape[-2] != 1:
            return None
        return value.reshape(value.shape[:-2] + value.shape[-1:])

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            if ufunc is np.matmul and len(inputs) == 2 and inputs[0] is self:
                product = self._times(inputs[1])
                if product is not None:
                    return product
            elif ufunc.signature is None and ufunc.nout == 1:
                rows = [self._rows(v) for v in inputs]
                if all(r is not None for r in rows):
                    diagonal = ufunc(*[r.diagonal if isinstance(r, IdentityStack) else r
                                       for r in rows])
                    off = ufunc(*[r.off if isinstance(r, IdentityStack) else r for r in rows])
                    return IdentityStack(diagonal, off)
            if ufunc.signature is None and ufunc.nout == 1 and len(inputs) == 2:
                mixed = self._with_dense(ufunc, inputs)
                if mixed is not None:
                    return mixed
        plain = [v.dense() if isinstance(v, IdentityStack) else v for v in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)

    def _with_dense(self, ufunc, inputs):
        """Returns ufunc(stack, array) for an array of the stack's own shape: off-diagonal
        entries from `off`, diagonal ones from `diagonal`, without making the stack dense."""
        other = inputs[1] if inputs[0] is self else inputs[0]
        if not isinstance(other, np.ndarray) or other.shape != self.shape or \
                other.dtype != np.float64 or isinstance(other, IdentityStack):
            return None
        index = np.arange(self.shape[-1])
        on = other[..., index, index]
        if inputs[0] is self:
            out = ufunc(self.off[..., None, :], other)
            out[..., index, index] = ufunc(self.diagonal, on)
        else:
            out = ufunc(other, self.off[..., None, :])
            out[..., index, index] = ufunc(on, self.diagonal)
        return out

    def _times(self, matrix):
        """Returns self @ matrix as the dense product gives it, or None to compute it densely."""
        if not isinstance(matrix, np.ndarray) or matrix.ndim != 2 or \
                matrix.shape[0] != self.shape[-1] or np.any(self.off):
            return None
        # Row i of the product is diagonal[i] · matrix[i]: the dense sum adds exact zeros
        # to it, which turns a -0 into +0 (+ 0.0 does the same) and changes nothing else.
        product = self.diagonal[..., :, None] * matrix
        product += 0.0
        return product
