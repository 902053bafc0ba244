"""A compiled CPU loop (numba, the ``jit`` extra) for topk with a small k: one pass per row
keeping the k best (value, index) pairs in order, O(n k).

It gives exactly the first k of the stable order (ops/sorting.py's ``_order``: NaN counts as
the largest, equal values keep their index order), as its twin does (``_top``: a partition,
the elements beyond the k-th and the first ones equal to it, a sort of those k), which stays
the reference and the path on CuPy or without numba (``GRADCORE_JIT=0``).
"""
import numpy as np

from .special_jit import LOOP_DTYPES, jit_decorator, numba_module

MAX_K = 16  # beyond: the partition (the buffer's insertion is O(k) per element)
_STATE = {}


def kernels():
    """The compiled kernels (a namespace), or None without numba."""
    if "k" not in _STATE:
        numba = numba_module()
        _STATE["k"] = None if numba is None else _build(numba)
    return _STATE["k"]


def top_rows(a, k, largest):
    """int64 indices (m, k) of each row's k best elements of the 2-d NumPy array ``a`` in the
    stable order, or None (no numba, k above MAX_K, a dtype the loop does not take)."""
    kern = kernels()
    if kern is None or not 0 < k <= MAX_K or a.dtype not in LOOP_DTYPES:
        return None
    out = np.empty((a.shape[0], k), np.int64)
    kern.top(np.ascontiguousarray(a), k, largest, out)
    return out


def _build(numba):
    from types import SimpleNamespace
    njit = jit_decorator(numba)

    @njit
    def better(x, b, largest):
        if largest:  # NaN is the largest
            return (x != x and b == b) or x > b
        return (b != b and x == x) or x < b

    @njit
    def top(a, k, largest, out):
        m, n = a.shape
        vals = np.empty(k, a.dtype)
        idx = np.empty(k, np.int64)
        for r in range(m):
            c = 0
            for j in range(n):
                x = a[r, j]
                if c == k and not better(x, vals[k - 1], largest):
                    continue
                p = c if c < k else k - 1  # shift the worse ones down; ties stay ahead
                while p > 0 and better(x, vals[p - 1], largest):
                    if p < k:
                        vals[p] = vals[p - 1]
                        idx[p] = idx[p - 1]
                    p -= 1
                if c < k:
                    c += 1
                vals[p] = x
                idx[p] = j
            for i in range(k):
                out[r, i] = idx[i]

    return SimpleNamespace(top=top)
