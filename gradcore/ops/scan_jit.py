"""Compiled CPU loops (numba, the ``jit`` extra) for cummax/cummin: the running extremum and
its index in one pass, and their backward (the gradient added up at the indices) in another;
logcumsumexp as PyTorch's sequential loop (log1p(exp(min - max)) + max, summed in float64).

The twin (ops/scan.py: ufunc.accumulate and the index of the latest hit, scatter_add for the
backward) stays the reference and the path on CuPy or without numba (``GRADCORE_JIT=0``);
logcumsumexp's twin is a log2(n)-step doubling scan (other sums' order: a few ulp apart);
the kernels follow PyTorch's loop (a NaN always takes over, else a value >= (<=) the running
one), so both give PyTorch's values and indices, and the backward adds in the same order as
scatter_add (the same bits).  Arrays are seen as (outer, n, inner), the scanned axis in the
middle (a reshape, no copy, of a contiguous array).
"""
import math

import numpy as np

from .special_jit import FLOAT_DTYPES, LOOP_DTYPES, jit_decorator, numba_module

_STATE = {}


def kernels():
    """The compiled kernels (a namespace), or None without numba."""
    if "k" not in _STATE:
        numba = numba_module()
        _STATE["k"] = None if numba is None else _build(numba)
    return _STATE["k"]


def _three(shape, axis):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return outer, shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))


def running(a, axis, is_max):
    """(values, int64 indices) of cummax (``is_max``) or cummin of the NumPy array ``a`` along
    ``axis``, or None without the kernels (or for a dtype they do not take)."""
    k = kernels()
    if k is None or a.dtype not in LOOP_DTYPES:
        return None
    a = np.ascontiguousarray(a)
    values, idx = np.empty_like(a), np.empty(a.shape, np.int64)
    shape3 = _three(a.shape, axis)
    k.running(a.reshape(shape3), values.reshape(shape3), idx.reshape(shape3), is_max)
    return values, idx


def add_at_indices(gy, idx, axis):
    """out = zeros; out[..., idx[..., j, ...], ...] += gy[..., j, ...] along ``axis`` in j's
    order (scatter_add's), or None without the kernels."""
    k = kernels()
    if k is None or gy.dtype not in FLOAT_DTYPES or idx.dtype != np.int64:
        return None
    gy, idx = np.ascontiguousarray(gy), np.ascontiguousarray(idx)
    out = np.zeros(gy.shape, gy.dtype)
    shape3 = _three(gy.shape, axis)
    k.add_at(gy.reshape(shape3), idx.reshape(shape3), out.reshape(shape3))
    return out


def takes_logcumsumexp(dtype):
    """Whether ``logcumsumexp`` runs compiled for arrays of ``dtype``."""
    return dtype in FLOAT_DTYPES and kernels() is not None


def logcumsumexp(a, axis):
    """logcumsumexp of the float32/float64 NumPy array ``a`` along ``axis``, or None."""
    if not takes_logcumsumexp(a.dtype):
        return None
    k = kernels()
    a = np.ascontiguousarray(a)
    out = np.empty_like(a)
    shape3 = _three(a.shape, axis)
    k.logcumsumexp(a.reshape(shape3), out.reshape(shape3))
    return out


def _build(numba):
    from types import SimpleNamespace
    njit = jit_decorator(numba)

    @njit
    def running_kernel(a, values, idx, is_max):
        outer, n, inner = a.shape
        if n == 0:
            return
        best = np.empty(inner, a.dtype)
        at = np.zeros(inner, np.int64)
        for p in range(outer):
            for q in range(inner):
                best[q] = a[p, 0, q]
                at[q] = 0
            for j in range(n):
                for q in range(inner):
                    x, b = a[p, j, q], best[q]
                    if x != x or (b == b and (x >= b if is_max else x <= b)):
                        best[q] = x
                        at[q] = j
                    values[p, j, q] = best[q]
                    idx[p, j, q] = at[q]

    @njit
    def add_at(gy, idx, out):
        outer, n, inner = gy.shape
        for p in range(outer):
            for j in range(n):
                for q in range(inner):
                    out[p, idx[p, j, q], q] += gy[p, j, q]

    @njit
    def log_add_exp(x, y):  # PyTorch's _log_add_exp_helper
        lo = y if y != y else min(x, y)
        hi = y if y != y else max(x, y)
        if lo != hi or math.isfinite(lo):
            return math.log1p(math.exp(lo - hi)) + hi
        return x

    @njit
    def logcumsumexp_kernel(a, out):
        outer, n, inner = a.shape
        if n == 0:
            return
        acc = np.empty(inner, np.float64)  # PyTorch's accumulator: float64 for both dtypes
        for p in range(outer):
            for q in range(inner):
                acc[q] = np.float64(a[p, 0, q])
                out[p, 0, q] = acc[q]
            for j in range(1, n):
                for q in range(inner):
                    acc[q] = log_add_exp(np.float64(a[p, j, q]), acc[q])
                    out[p, j, q] = acc[q]

    return SimpleNamespace(running=running_kernel, add_at=add_at,
                           logcumsumexp=logcumsumexp_kernel)
