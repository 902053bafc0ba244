"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize, argwhere, mode, median, nanmedian, quantile, nanquantile.

Every selection finds int64 indices along a dim (a stable sort, NaN the largest, as PyTorch)
and takes the values there (``Select``); its gradient goes back to those indices.  Slices of
64 and more are not sorted whole: topk, kthvalue and median find the same indices by a
partition and the occurrence among equal values (topk with k <= 16: sorting_jit.py's loop).
"""
import collections
import math

import numpy as np

from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from . import indexing as _ix
from . import sorting_jit
from .reduction import (ExtremumGrad, PutAlong, _check_nonempty, _NoGradReduction,
                        _return_type)

return_types = {n: _return_type(n) for n in
                ("sort", "topk", "kthvalue", "median", "nanmedian", "mode")}


# ---- index finders over the array module: (xp, a, axis) -> int64 indices, a's ndim ----------

def _order(xp, a, axis, descending=False):
    """The stable sorting permutation along ``axis``; NaN sorts as the largest value and equal
    elements keep their order, also descending (sorted on the flipped array, flipped back)."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable").astype(np.int64, copy=False)
    flipped = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable").astype(np.int64)
    return (a.shape[axis] - 1) - xp.flip(flipped, axis)


def _slab(a, axis, start, stop):
    return a[(slice(None),) * axis + (slice(start, stop),)]


_MAX_KTH = 16  # distinct sorted positions partitioned for at once; more: a full sort
_MIN_PARTITION = 64  # slices shorter than this are sorted (fewer array calls)


def _at_positions(xp, a, axis, pos):
    """Indices of the stable sorted positions ``pos`` (an int64 array, size 1 along axis), as
    ``_order``'s without sorting: the values there by a partition (O(n)), then the index of
    each value's right occurrence (among equal elements, index order)."""
    if a.shape[axis] < _MIN_PARTITION:
        return xp.take_along_axis(_order(xp, a, axis), pos, axis)
    kth = pos.reshape(-1).tolist() if pos.size <= 1 else xp.unique(pos).tolist()
    if len(kth) > _MAX_KTH:
        return xp.take_along_axis(_order(xp, a, axis), pos, axis)
    v = xp.take_along_axis(xp.partition(a, kth, axis=axis), pos, axis)
    return _occurrence(xp, a, axis, v, pos)


def _nan_masks(a, v):
    """(v != v, a != a), None for an integer array (no NaN)."""
    if not _dtype.is_floating(a.dtype):
        return None, None
    return v != v, a != a


def _occurrence(xp, a, axis, v, pos):
    """The index of the element at stable sorted position ``pos`` whose value is ``v`` (both
    size 1 along axis; NaN sorts last): the (pos - #smaller)-th element equal to v."""
    v_nan, a_nan = _nan_masks(a, v)
    eq, less = a == v, a < v
    if v_nan is not None and bool(v_nan.any()):
        eq, less = xp.where(v_nan, a_nan, eq), xp.where(v_nan, ~a_nan, less)
    counts = eq.sum(axis=axis, keepdims=True)
    if bool((counts == 1).all()):  # no ties: the one equal element
        return xp.argmax(eq, axis=axis, keepdims=True).astype(np.int64)
    rank = pos - less.sum(axis=axis, keepdims=True)
    hit = eq & (xp.cumsum(eq, axis=axis) == rank + 1)
    return xp.argmax(hit, axis=axis, keepdims=True).astype(np.int64)


def _top(xp, a, axis, k, largest):
    """topk's indices: the first k of ``_order(xp, a, axis, largest)`` without sorting all of
    it: the k-th value by a partition, the elements beyond it and the first ones (in index
    order) equal to it, then a stable sort of those k."""
    n = a.shape[axis]
    compiled = xp is np and k <= sorting_jit.MAX_K and sorting_jit.kernels() is not None
    if k == 0 or k == n or (n < _MIN_PARTITION and not compiled):
        return _slab(_order(xp, a, axis, largest), axis, 0, k)
    if a.ndim != 2 or axis != 1:  # as slices along the last axis of a 2-d array
        moved = xp.moveaxis(a, axis, -1)
        idx = _top(xp, moved.reshape(-1, n), 1, k, largest)
        return xp.moveaxis(idx.reshape(moved.shape[:-1] + (k,)), -1, axis)
    out = sorting_jit.top_rows(a, k, largest) if compiled else None
    if out is not None:  # small k: one compiled pass per row
        return out
    pos = n - k if largest else k - 1
    v = xp.partition(a, pos, axis=1)[:, pos:pos + 1]
    v_nan, a_nan = _nan_masks(a, v)
    eq = a == v
    beyond = a > v if largest else a < v
    if v_nan is not None:  # NaN counts as the largest
        if largest:
            beyond = beyond | a_nan
        if bool(v_nan.any()):
            beyond = xp.where(v_nan, False, beyond) if largest else xp.where(v_nan, ~a_nan, beyond)
            eq = xp.where(v_nan, a_nan, eq)
    need = k - beyond.sum(axis=1, keepdims=True)
    if bool((eq.sum(axis=1, keepdims=True) <= need).all()):  # no ties cut at the k-th
        chosen = beyond | eq
    else:
        chosen = beyond | (eq & (xp.cumsum(eq, axis=1) <= need))
    idx = (xp.flatnonzero(chosen) % n).reshape(a.shape[0], k)  # k per row, in index order
    return xp.take_along_axis(idx, _order(xp, xp.take_along_axis(a, idx, 1), 1, largest), 1)


def _nan_count(a, axis):
    return (a != a).sum(axis=axis, keepdims=True)  # NaN != NaN; 0 for integer dtypes


def _median_pos(xp, a, axis):
    """The lower median's sorted position; with NaN in the slice, the first NaN's."""
    n, nans = a.shape[axis], _nan_count(a, axis)
    return xp.where(nans > 0, n - nans, (n - 1) // 2).astype(np.int64)


def _nanmedian_pos(xp, a, axis):
    """The lower median of the non-NaN values (the first NaN when all are NaN)."""
    return xp.maximum((a.shape[axis] - _nan_count(a, axis) - 1) // 2, 0).astype(np.int64)


def _mode_index(xp, a, axis):
    """The most frequent value (the smallest of those tied) at its last occurrence: runs of equal
    values in the sorted slices, counted on the flattened slices (each starts a run)."""
    order = _order(xp, a, axis)
    s = xp.moveaxis(xp.take_along_axis(a, order, axis), axis, -1)
    n, flat = s.shape[-1], s.reshape(-1)
    new = xp.ones(flat.shape, dtype=bool)
    new[1:] = flat[1:] != flat[:-1]
    new[::n] = True
    starts = xp.flatnonzero(new)
    counts = xp.diff(xp.concatenate([starts, xp.asarray([flat.size], dtype=starts.dtype)]))
    cnt = counts[xp.cumsum(new) - 1].reshape(s.shape)
    first = xp.argmax(cnt, axis=-1)[..., None]
    last = first + xp.take_along_axis(cnt, first, -1) - 1
    return xp.take_along_axis(order, xp.moveaxis(last.astype(np.int64), -1, axis), axis)


# ---- the differentiable selection -------------------------------------------------------------

class Select(ArrayFunction):
    """(values, indices): ``find(xp, a, axis)`` picks indices along ``axis`` (a 0-d input is
    taken as one element); keepdim=False drops the axis (the finder left it size 1).
    Gradient: each value's gradient to the index it came from (PutAlong)."""
    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, find, axis, keepdim):
        xp, a = x._be.xp, x._arr
        a1 = a.reshape(1) if not a.ndim else a
        idx = find(xp, a1, axis)
        values = xp.take_along_axis(a1, idx, axis)
        if not a.ndim:
            idx, values = idx.reshape(()), values.reshape(())
        elif not keepdim:
            idx, values = idx.squeeze(axis), values.squeeze(axis)
        ctx.idx, ctx.shape, ctx.axis, ctx.keepdim = idx, a.shape, axis, keepdim
        return values, idx

    @staticmethod
    def backward(ctx, gy, gi):
        if not ctx.shape:  # a 0-d input: its only element
            return PutAlong.apply(gy.reshape(1), ctx.idx.reshape(1), (1,), 0, True).reshape(())
        return PutAlong.apply(gy, ctx.idx, ctx.shape, ctx.axis, ctx.keepdim)


def _node(name):
    return type(name, (Select,), {"node_name": name})


Sort, SortStable = _node("SortBackward0"), _node("SortBackward1")  # sort(), sort(stable=)
Topk, Kthvalue = _node("TopkBackward0"), _node("KthvalueBackward0")
MedianDim, NanmedianDim = _node("MedianBackward1"), _node("NanmedianBackward1")
Mode = _node("ModeBackward0")


def _select(cls, kind, x, find, dim, keepdim=True):
    axis = _wrap_dim(dim, x._arr.ndim)
    return return_types[kind](*cls.apply(x, find, axis if x._arr.ndim else 0, keepdim))


def _no_bool(kernel, x):
    if x._arr.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def sort(input, dim=-1, descending=False, stable=None):
    """sort(input, dim=-1, descending=False, stable=None) -> (Tensor, LongTensor)

    A named tuple (values, indices) of input sorted along ``dim``, always stably (equal
    elements keep their order, also descending), whatever ``stable`` says (given, the node is
    PyTorch's stable overload's); NaN sorts as the largest value. Gradient: to the indices the
    values came from."""
    return _select(Sort if stable is None else SortStable, "sort", input,
                   lambda xp, a, axis: _order(xp, a, axis, descending), dim)


def argsort(input, dim=-1, descending=False, stable=False):
    """argsort(input, dim=-1, descending=False, stable=False) -> LongTensor

    The indices that sort input along ``dim`` (sort's indices). Not differentiable."""
    axis = _wrap_dim(dim, input._arr.ndim)
    if not input._arr.ndim:
        return _NoGradReduction.apply(input, lambda xp, a: xp.zeros((), dtype=np.int64))
    return _NoGradReduction.apply(input, lambda xp, a: _order(xp, a, axis, descending))


def msort(input):
    """msort(input) -> Tensor

    input sorted along its first dim: sort(input, dim=0).values."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """topk(input, k, dim=-1, largest=True, sorted=True) -> (Tensor, LongTensor)

    The ``k`` largest (largest=False: smallest) elements along ``dim`` and their indices, always
    in sorted order; NaN counts as the largest. Gradient: to the indices they came from."""
    if input._arr.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = input._arr.shape[_wrap_dim(dim, input._arr.ndim)] if input._arr.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return _select(Topk, "topk", input, lambda xp, a, axis: _top(xp, a, axis, k, largest), dim)


def _reduced(cls, kind, x, dim, keepdim, find):
    _no_bool("kthvalue_cpu" if kind == "kthvalue" else "median_out", x)
    axis = _wrap_dim(dim, x._arr.ndim)
    _check_nonempty(kind, x, (axis,), IndexError)
    return _select(cls, kind, x, find, dim, keepdim)


def kthvalue(input, k, dim=-1, keepdim=False):
    """kthvalue(input, k, dim=-1, keepdim=False) -> (Tensor, LongTensor)

    The ``k``-th smallest element (k counts from 1) along ``dim`` and its index. Gradient: to
    that index."""
    n = input._arr.shape[_wrap_dim(dim, input._arr.ndim)] if input._arr.ndim else 1
    if n and not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                           f"{_wrap_dim(dim, input._arr.ndim)}")
    return _reduced(Kthvalue, "kthvalue", input, dim, keepdim,
                    lambda xp, a, axis: _at_positions(xp, a, axis, xp.full(
                        a.shape[:axis] + (1,) + a.shape[axis + 1:], k - 1, dtype=np.int64)))


def mode(input, dim=-1, keepdim=False):
    """mode(input, dim=-1, keepdim=False) -> (Tensor, LongTensor)

    The most frequent value along ``dim`` (the smallest one on ties) and the index of its last
    occurrence. Gradient: to that index."""
    axis = _wrap_dim(dim, input._arr.ndim)
    _check_nonempty("mode", input, (axis,), IndexError)
    return _select(Mode, "mode", input, _mode_index, dim, keepdim)


class MedianAll(ArrayFunction):
    """The median of all elements; its gradient is split evenly among the elements equal to it
    (among the NaNs when it is NaN), as PyTorch's."""
    node_name = "MedianBackward0"
    save_output = True
    pos = staticmethod(_median_pos)

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        xp, a = x._be.xp, x._arr.reshape(-1)
        if not a.size:  # NaN; for integers PyTorch gives the lowest value
            fill = math.nan if _dtype.is_floating(a.dtype) else np.iinfo(a.dtype).min
            return xp.full((), fill, dtype=a.dtype)
        return a[_at_positions(xp, a, 0, cls.pos(xp, a, 0))].reshape(())

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        if bool(y._arr != y._arr):  # NaN: the NaNs share it
            x, y = x.isnan().to(x.dtype), _wrap(x._be.xp.ones((), dtype=y._arr.dtype), x._be)
        return ExtremumGrad.apply(x, y, gy, None, False)


class NanmedianAll(MedianAll):
    node_name = "NanmedianBackward0"
    pos = staticmethod(_nanmedian_pos)


def _median(full, along, kind, x, dim, keepdim):
    if dim is None:
        _no_bool("median_cpu", x)
        return full.apply(x)
    return _reduced(along, kind, x, dim, keepdim,
                    lambda xp, a, axis: _at_positions(xp, a, axis, full.pos(xp, a, axis)))


def median(input, dim=None, keepdim=False):
    """median(input, dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)

    The lower median (the smaller of the two middle values) of all elements, or along the int
    ``dim`` with its index; NaN when the slice holds a NaN. Gradient: to the index (with no
    dim, shared evenly among the elements equal to the median)."""
    return _median(MedianAll, MedianDim, "median", input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """nanmedian(input, dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)

    median ignoring NaN: the lower median of the non-NaN values (NaN if there are none).
    Gradient: as median's."""
    return _median(NanmedianAll, NanmedianDim, "nanmedian", input, dim, keepdim)


# ---- quantile: sort, gather the neighbours, interpolate (all differentiable ops) --------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class _QuantileShape(ArrayFunction):
    """The result's final shape; PyTorch ends quantile with an in-place squeeze (its node's
    name is SqueezeBackward4)."""
    node_name = "SqueezeBackward4"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._arr.shape
        return x._arr.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.shape)


def _quantile(x, q, dim, keepdim, interpolation, ignore_nan):
    """quantile and nanquantile (PyTorch's messages name quantile for both)."""
    name, a = "quantile", x._arr
    if not _dtype.is_floating(a.dtype) or a.dtype.itemsize < 4:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    xp, be = x._be.xp, x._be
    if isinstance(q, Tensor):
        if q._arr.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._arr.dtype != a.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qa = q._arr.reshape(-1)
        if qa.size and not bool(((qa >= 0) & (qa <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q:g}")
        qa = xp.asarray([q], dtype=a.dtype)
    if not a.size:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        s, axis = x.reshape(-1), None
        kept = (1,) * a.ndim
    else:
        axis = _wrap_dim(dim, a.ndim)
        s = x.reshape(1) if not a.ndim else x.movedim(axis, -1)
        kept = a.shape[:axis] + (1,) * bool(a.ndim) + a.shape[axis + 1:]
    s = sort(s, -1).values
    sa, n = s._arr, s._arr.shape[-1]
    if ignore_nan:
        valid = (sa == sa).sum(axis=-1, keepdims=True)
        ranks = xp.where(valid == 0, n - 1, qa * (valid - 1).astype(a.dtype))
    else:
        ranks = xp.where((sa != sa).any(axis=-1, keepdims=True), n - 1, qa * (n - 1))
    ranks = ranks.astype(a.dtype)
    if interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as PyTorch

    def at(r):
        return _ix.gather(s, -1, _wrap(r.astype(np.int64), be))

    if interpolation in ("lower", "nearest"):
        out = at(xp.floor(ranks))
    elif interpolation == "higher":
        out = at(xp.ceil(ranks))
    else:
        lo, hi = at(xp.floor(ranks)), at(xp.ceil(ranks))
        w = ranks - xp.floor(ranks) if interpolation == "linear" else xp.full_like(ranks, 0.5)
        out = lo + _wrap(w, be) * (hi - lo)
    out = out.movedim(-1, 0)  # q first
    shape = (kept if keepdim else out.shape[1:] if dim is not None else ())
    shape = tuple(shape) if not isinstance(q, Tensor) or not q._arr.ndim else \
        (qa.size,) + tuple(shape)
    return _QuantileShape.apply(out, shape)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile(input, q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor

    The q-th quantiles (q a number or a 1-D tensor in [0, 1]; a 1-D q gives a leading dim) of
    all elements or along ``dim``, interpolating between the two neighbouring order statistics
    (linear, lower, higher, midpoint or nearest); NaN when the slice holds a NaN. Gradient: to
    the neighbours, by their interpolation weights."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """nanquantile(input, q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor

    quantile ignoring NaN: the quantiles of each slice's non-NaN values (NaN if there are
    none)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ---- unique / unique_consecutive (values are not differentiable) ------------------------------

class _Unique(ArrayFunction):
    """unique's (output, inverse, counts); its output records a node whose backward raises, as
    PyTorch's."""
    node_name = "Unique2Backward0"
    op = "_unique2"

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x._be.xp, x._arr)

    @classmethod
    def backward(cls, ctx, *grads):
        raise NotImplementedError(f"the derivative for '{cls.op}' is not implemented.")


_UniqueDim = type("_UniqueDim", (_Unique,), {"node_name": "UniqueDimBackward0",
                                             "op": "unique_dim"})
_UniqueConsecutive = type("_UniqueConsecutive", (_Unique,), {
    "node_name": "UniqueConsecutiveBackward0", "op": "unique_consecutive"})


def _pick(out, return_inverse, return_counts):
    values, inverse, counts = out
    extra = (inverse,) * return_inverse + (counts,) * return_counts
    return (values,) + extra if extra else values


def _int64(*arrays):
    return tuple(a.astype(np.int64, copy=False) for a in arrays)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None)
        -> Tensor or tuple of Tensors

    The distinct elements (dim=None: of the flattened input; else the distinct slices along
    ``dim``), in sorted order; optionally the inverse indices (where each element went) and
    the counts. NaNs stay distinct. Not differentiable."""
    if dim is None:
        def fn(xp, a):
            v, inv, cnt = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True,
                                    equal_nan=False)
            return (v,) + _int64(inv.reshape(a.shape), cnt)
        cls = _Unique
    else:
        axis = _wrap_dim(dim, input._arr.ndim)

        def fn(xp, a):
            v, inv, cnt = xp.unique(a, return_inverse=True, return_counts=True, axis=axis)
            return (v,) + _int64(inv.reshape(-1), cnt)
        cls = _UniqueDim
    return _pick(cls.apply(input, fn), return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """unique_consecutive(input, return_inverse=False, return_counts=False, dim=None)
        -> Tensor or tuple of Tensors

    input with each run of equal consecutive elements (dim=None: of the flattened input; else
    equal consecutive slices along ``dim``) kept once; optionally the inverse indices and the
    run lengths. Not differentiable."""
    axis = None if dim is None else _wrap_dim(dim, input._arr.ndim)

    def fn(xp, a):
        flat = a.reshape(-1) if axis is None else xp.moveaxis(a, axis, 0).reshape(
            a.shape[axis], -1)
        new = xp.ones(flat.shape[:1], dtype=bool)
        diff = flat[1:] != flat[:-1]
        new[1:] = diff if axis is None else diff.any(axis=1)
        starts = xp.flatnonzero(new)
        counts = xp.diff(xp.concatenate([starts, xp.asarray([new.size], dtype=starts.dtype)]))
        inverse = xp.cumsum(new) - 1
        values = flat[new] if axis is None else xp.take(a, starts, axis=axis)
        return (values,) + _int64(inverse.reshape(a.shape) if axis is None else inverse, counts)
    return _pick(_UniqueConsecutive.apply(input, fn), return_inverse, return_counts)


# ---- searchsorted / bucketize / argwhere (integer results) ------------------------------------

def _shape_str(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _searchsorted_rows(xp, seq, v, side):
    """searchsorted in each row of ``seq`` (..., M) for the same row of ``v`` (..., K): on
    keys (row, dense rank of the value), which are sorted across rows too."""
    rows = int(np.prod(seq.shape[:-1], dtype=np.int64))
    ranks = xp.unique(xp.concatenate([seq.reshape(-1), v.reshape(-1)]),
                      return_inverse=True)[1].reshape(-1).astype(np.int64)
    span = int(ranks.max()) + 1 if ranks.size else 1
    base = xp.arange(rows, dtype=np.int64)[:, None]
    ks = ranks[:seq.size].reshape(rows, -1) + base * span
    kv = ranks[seq.size:].reshape(rows, -1) + base * span
    out = xp.searchsorted(ks.reshape(-1), kv.reshape(-1), side=side).reshape(rows, -1)
    return (out - base * seq.shape[-1]).reshape(v.shape)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
        sorter=None) -> LongTensor

    Where each of ``values`` would be inserted into the innermost dim of ``sorted_sequence``
    to keep it sorted: the first such index, or the last with right=True / side='right'. An
    N-d sequence searches row by row (its leading dims match values'); ``sorter`` sorts an
    unsorted sequence. int32 with out_int32=True."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
    side = side or ("right" if right else "left")
    be, seq = sorted_sequence._be, sorted_sequence._arr
    xp = be.xp
    if isinstance(values, Tensor):
        v = values._arr
    else:
        if seq.ndim != 1:
            raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries "
                               f"tensor dim({seq.ndim}) and input value's dim(0) numel(1)")
        v = xp.asarray(values)
    if sorter is not None:
        if sorter._arr.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_shape_str(seq.shape)}and got "
                               f"sorter tensor {_shape_str(sorter._arr.shape)}")
        seq = xp.take_along_axis(seq, sorter._arr.astype(np.int64), -1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, v, side=side)
    else:
        if seq.shape[:-1] != v.shape[:-1] or v.ndim != seq.ndim:
            raise RuntimeError(
                f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                f"N-1 dimensions of boundaries tensor and input value tensor must match, but we "
                f"got boundaries tensor {_shape_str(seq.shape)} and input value tensor "
                f"{_shape_str(v.shape)}")
        out = _searchsorted_rows(xp, seq, v, side)
    return _wrap(xp.asarray(out, dtype=np.int32 if out_int32 else np.int64), be)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """bucketize(input, boundaries, *, out_int32=False, right=False) -> LongTensor

    The bucket of each element of ``input`` among the 1-D sorted ``boundaries``: i with
    boundaries[i-1] < x <= boundaries[i] (right=True: boundaries[i-1] <= x < boundaries[i])."""
    if boundaries._arr.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._arr.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def argwhere(input):
    """argwhere(input) -> LongTensor

    The indices of the nonzero elements, one row per element (nonzero(input)). Not
    differentiable."""
    return _ix.nonzero(input)



# ---- bincount, histc: counts, no derivative --------------------------------------------------

def bincount(input, weights=None, minlength=0):
    """bincount(input, weights=None, minlength=0) -> Tensor

    How often each value occurs in the 1-D non-negative integer input (summing ``weights``
    instead of 1 when given: float32 weights give float32, any other dtype float64); at least
    ``minlength`` bins.  Not differentiable."""
    a = input._arr
    if _dtype.is_floating(a.dtype) or input.dtype.is_complex or a.dtype == np.bool_:
        raise NotImplementedError(f'"bincount_{input._be.device.type}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = input._be.xp
    if input.dim() != 1 or (a.size and int(a.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None
    if weights is not None:
        if weights.dim() != 1 or weights.shape[0] != a.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        wdt = np.float32 if weights._arr.dtype == np.float32 else np.float64
        w = weights._arr.astype(wdt)
    n = max(int(a.max()) + 1 if a.size else 0, minlength)
    out = xp.bincount(a.astype(np.int64), weights=w, minlength=n)
    return _wrap(out.astype(w.dtype if w is not None else np.int64), input._be)


def _linspace(xp, lo, hi, steps, dtype):
    """PyTorch's CPU linspace in ``dtype``: start + step * i for the first half, end - step *
    (steps - 1 - i) for the rest (so both ends are exact)."""
    scalar = np.dtype(dtype).type  # NumPy scalars: CuPy takes them, not NumPy arrays
    start, end = scalar(lo), scalar(hi)
    step = scalar((end - start) / scalar(steps - 1))
    i = xp.arange(steps).astype(dtype)
    return xp.where(xp.arange(steps) < steps // 2, start + step * i,
                    end - step * (scalar(steps - 1) - i)).astype(dtype)


def _bin_counts(xp, a, edges, weights, search, local):
    """The histogram of ``a`` (flat) over sorted ``edges`` (same dtype), as PyTorch's kernel
    picks each element's bin: binary search (``search``) or linear interpolation in the
    dtype, corrected by a search among its neighbours (``local``); elements outside
    [edges[0], edges[-1]] (and nan) left out; the last edge belongs to the last bin."""
    nb = edges.shape[0] - 1
    lo, hi = edges[0], edges[-1]
    keep = (a >= lo) & (a <= hi)
    x = a[keep]
    w = None if weights is None else weights[keep]
    if search:
        pos = xp.searchsorted(edges, x, side="right") - 1
    else:
        pos = ((x - lo) * a.dtype.type(nb) / (hi - lo)).astype(np.int64)
        if local:
            base = xp.maximum(pos - 1, 0)
            count = xp.zeros(pos.shape, np.int64)
            for k in range(3):
                j = base + k
                ok = j < nb + 1
                count += ok & (edges[xp.minimum(j, nb)] <= x)
            pos = base + count - 1
    pos = xp.minimum(pos, nb - 1)
    return xp.bincount(pos, weights=w, minlength=nb)[:nb]


def _outer_edges(a, lo, hi, widen):
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - widen, hi + widen
    return lo, hi


def histc(input, bins=100, min=0, max=0):  # noqa: A002  (PyTorch's names)
    """histc(input, bins=100, min=0, max=0) -> Tensor

    A histogram of input in ``bins`` equal bins over [min, max] (the data's range when both
    are 0; values outside are ignored), in input's floating dtype, each element's bin picked
    as PyTorch's kernel picks it.  Not differentiable."""
    a = input._arr
    if not _dtype.is_floating(a.dtype):
        raise NotImplementedError(f'"histogram_{input._be.device.type}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = _outer_edges(a, float(min), float(max), 1)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        # C++'s ostream prints the doubles as %g does (1, 1.5, 1e+20)
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    xp = input._be.xp
    edges = _linspace(xp, lo, hi, bins + 1, a.dtype)
    counts = _bin_counts(xp, a.ravel(), edges, None, search=False, local=False)
    return _wrap(counts.astype(a.dtype), input._be)


HISTOGRAM = collections.namedtuple("histogram", ["hist", "bin_edges"])
HISTOGRAM.__module__ = "gradcore.return_types"


def histogram(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """histogram(input, bins, *, range=None, weight=None, density=False) -> (Tensor, Tensor)

    (hist, bin_edges), a named tuple: ``bins`` equal bins over ``range`` (default the data's
    range), or the edges a 1-D tensor ``bins`` gives (input's dtype); each element counted
    with its ``weight``; ``density`` normalises to a density.  Not differentiable."""
    a = input._arr
    if not _dtype.is_floating(a.dtype):
        raise NotImplementedError(f"\"histogramdd\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    xp = input._be.xp
    if isinstance(bins, Tensor):
        if bins.dtype != input.dtype:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got input with dtype "
                               f"{input.dtype.scalar_name.lower()} and bins for dimension 0 "
                               f"with dtype {bins.dtype.scalar_name.lower()}")
        edges, search = bins._arr, True
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               f"dimension 0")
        lo, hi = (float(range[0]), float(range[1])) if range is not None else (0.0, 0.0)
        lo, hi = _outer_edges(a, lo, hi, 0.5) if range is None or lo == hi else (lo, hi)
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension 0")
        edges, search = _linspace(xp, lo, hi, bins + 1, a.dtype), False
    w = None if weight is None else weight._arr.ravel()
    hist = _bin_counts(xp, a.ravel(), edges, w, search=search, local=True).astype(a.dtype)
    if density:
        hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return HISTOGRAM(_wrap(hist.astype(a.dtype), input._be), _wrap(edges.copy(), input._be))

METHODS = {"sort": sort, "argsort": argsort, "msort": msort, "topk": topk,
           "kthvalue": kthvalue, "unique": unique, "unique_consecutive": unique_consecutive,
           "argwhere": argwhere, "mode": mode, "median": median, "nanmedian": nanmedian,
           "quantile": quantile, "nanquantile": nanquantile, "bincount": bincount,
           "histc": histc, "histogram": histogram}
FUNCTIONS = dict(METHODS, searchsorted=searchsorted, bucketize=bucketize)
