"""Indexing: ``x[key]``, ``x[key] = v`` with PyTorch's semantics, and the index ops
(index_select, gather, scatter, masked_fill, masked_select, take_along_dim, nonzero, narrow,
select, index_put).

``x[key]`` runs in two steps, as PyTorch does: ints, slices, None and ``...`` are applied first,
each as a view of the last (SelectBackward0, SliceBackward0, UnsqueezeBackward0); the index
tensors and masks left over are then applied together on that view (IndexBackward0, a copy).
Every advanced op is the gather ``arr[idx]``, ``idx`` a tuple of integer arrays and full slices
(NumPy's placement of the indexed dims is PyTorch's once ints are applied), and its backward is
the scatter-add ``index_backward`` (over the backend's ``index_add_``): index_select, gather,
masked_select and take_along_dim are that op with another ``idx``, scatter and ``x[idx] = v``
its ``index_put_array``.
"""
import numbers
import operator
import warnings

import numpy as np

from .._autocast import PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import check_index_saveable
from ..backend import capture
from ..tensor import Tensor, _wrap, _wrap_dim
from . import elementwise as E
from .inplace import copy_, inplace
from .shape import _as_view, broadcast_shapes, sum_to, unsqueeze


# ---- the array math ---------------------------------------------------------------------------
# ``idx`` is a tuple of integer arrays and slices, with NumPy's (= PyTorch's) placement of the
# indexed dims; ``key`` is a tuple of ints and slices (basic indexing).  The scatter-add is the
# backend's ``index_add_`` (np.add.at, cupyx.scatter_add).

def index_put_array(be, x, idx, values, accumulate):
    """A copy of ``x`` with ``values`` written (accumulate: added) at ``x[idx]``."""
    out = x.copy()
    if accumulate:
        be.index_add_(out, idx, values)
    else:
        out[idx] = values
    return out


def index_backward(be, gy, shape, idx):
    """Gradient of ``x[idx]`` for an ``x`` of ``shape``: a scatter-add of ``gy``."""
    out = be.xp.zeros(shape, dtype=gy.dtype)
    be.index_add_(out, idx, gy)
    return out


def slice_backward(xp, gy, shape, key):
    """Gradient of the view ``x[key]``: ``gy`` placed in zeros of ``shape``."""
    out = xp.zeros(shape, dtype=gy.dtype)
    out[key] = gy
    return out


# ---- basic indexing: views ------------------------------------------------------------------

class Slice(ArrayFunction):
    """``x[key]`` for a key of ints and slices: a view of x's array."""
    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x._arr.shape, key
        return x._arr[key + (Ellipsis,)]  # the Ellipsis keeps x[i] of a 1-d array a 0-d view

    @staticmethod
    def backward(ctx, gy):
        return SliceGrad.apply(gy, ctx.shape, ctx.key)


class Select(Slice):
    node_name = "SelectBackward0"


class Alias(Slice):
    node_name = "AliasBackward0"


class SliceGrad(ArrayFunction):
    """``gy`` placed at ``[key]`` in zeros: the backward of a basic index (linear in gy)."""
    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, key):
        ctx.key = key
        return slice_backward(gy._be.xp, gy._arr, shape, key)

    @staticmethod
    def backward(ctx, gg):
        return Slice.apply(gg, ctx.key)


def _view(t, cls, key):
    return _as_view(cls.apply(t, key), t, lambda b: _view(b, cls, key))


def _select(t, dim, i):
    return _view(t, Select, (slice(None),) * dim + (i,))


def _slice(t, dim, start, stop, step=1):
    return _view(t, Slice, (slice(None),) * dim + (slice(start, stop, step),))


def select(input, dim, index):
    """select(input, dim, index) -> Tensor

    input at position ``index`` of dim ``dim``, that dim removed (x[..., index, ...]): a view
    sharing input's memory."""
    shape = input._arr.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    i = operator.index(index)
    if not -shape[d] <= i < shape[d]:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(shape)} at "
                         f"dimension {d}")
    return _select(input, d, i)


def narrow(input, dim, start, length):
    """narrow(input, dim, start, length) -> Tensor

    input with dim ``dim`` cut to positions start .. start + length - 1 (start may be negative):
    a view sharing input's memory."""
    shape = input._arr.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    start, length, size = operator.index(start), operator.index(length), shape[d]
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return _slice(input, d, start, start + length)


# ---- advanced indexing: gather and scatter-add ----------------------------------------------

class Index(ArrayFunction):
    """``x[idx]``, idx a tuple of integer arrays and full slices (a copy)."""
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.shape, ctx.idx = x._arr.shape, idx
        return x._arr[idx]

    @staticmethod
    def backward(ctx, gy):
        return IndexGrad.apply(gy, ctx.shape, ctx.idx)


class IndexSelect(Index):
    node_name = "IndexSelectBackward0"


class Gather(Index):
    node_name = "GatherBackward0"


class MaskedSelect(Index):
    node_name = "MaskedSelectBackward0"


class IndexGrad(ArrayFunction):
    """Scatter-add of ``gy`` into zeros at ``idx`` (duplicates accumulate): Index's backward."""
    node_name = "IndexBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, idx):
        ctx.idx = idx
        return index_backward(gy._be, gy._arr, shape, idx)

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, ctx.idx)


class IndexPut(ArrayFunction):
    """A copy of ``x`` with ``v`` written (accumulate: added) at ``idx``."""
    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, idx, accumulate):
        ctx.idx, ctx.accumulate, ctx.vshape = idx, accumulate, v._arr.shape
        return index_put_array(x._be, x._arr, idx, v._arr, accumulate)

    @staticmethod
    def backward(ctx, gy):
        need_x, need_v = ctx.needs_input_grad
        gx = gv = None
        if need_x:
            gx = gy if ctx.accumulate else IndexPut.apply(
                gy, _wrap(gy._be.xp.zeros((), gy._arr.dtype), gy._be), ctx.idx, False)
        if need_v:
            gv = sum_to(Index.apply(gy, ctx.idx), ctx.vshape)
        return gx, gv


class Scatter(IndexPut):
    node_name = "ScatterBackward0"


class ScatterValue(IndexPut):
    node_name = "ScatterBackward1"


class ScatterAdd(IndexPut):
    node_name = "ScatterAddBackward0"


class Put(ArrayFunction):
    """put: ``v`` written (accumulate: added) at the positions ``idx`` of the flattened ``x``."""
    node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, x, v, idx, accumulate):
        ctx.idx, ctx.accumulate, ctx.shapes = idx, accumulate, (x._arr.shape, v._arr.shape)
        flat = index_put_array(x._be, x._arr.reshape(-1), (idx,), v._arr.reshape(-1),
                               accumulate)
        return flat.reshape(x._arr.shape)

    @staticmethod
    def backward(ctx, gy):
        need_x, need_v = ctx.needs_input_grad
        (xshape, vshape), key = ctx.shapes, (ctx.idx,)
        flat = gy.reshape(-1)
        gx = gv = None
        if need_x:
            gx = gy if ctx.accumulate else IndexPut.apply(
                flat, _wrap(gy._be.xp.zeros((), gy._arr.dtype), gy._be), key,
                False).reshape(xshape)
        if need_v:
            gv = Index.apply(flat, key).reshape(vshape)
        return gx, gv


def _index_shape(shape, idx):
    """The shape of ``arr[idx]`` for an array of ``shape``, without computing it."""
    pos = [d for d, i in enumerate(idx) if not isinstance(i, slice)]
    b = np.broadcast_shapes(*(idx[d].shape for d in pos))
    rest = tuple(n for d, n in enumerate(shape) if d not in pos)
    if pos == list(range(pos[0], pos[-1] + 1)):  # adjacent: the indexed dims stay in place
        return rest[:pos[0]] + b + rest[pos[0]:]
    return b + rest


def _check_bounds(arr, size, dim, exc=IndexError):
    if arr.size and capture.host_checks():  # (a host read: not in a CUDA graph capture)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -size or hi >= size:
            host = np.asarray(arr.get() if hasattr(arr, "get") else arr).ravel()
            bad = host[(host < -size) | (host >= size)][0]
            raise exc(f"index {bad} is out of bounds for dimension {dim} with size {size}")


# ---- parsing an index -----------------------------------------------------------------------

_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _INDEX, _MASK = range(7)


def _index_item(self, k):
    """An index tensor / array / list as (_INT, n), (_BOOL, b), (_INDEX, arr) or (_MASK, arr),
    the array on self's backend."""
    if isinstance(k, Tensor):
        arr = k._arr if k._be is self._be else self._be.from_host(k._be.to_host(k._arr))
    else:
        host = np.asarray(k)
        if host.size == 0 and _dtype.is_floating(host.dtype):  # x[[]]
            host = host.astype(np.int64)
        arr = self._be.from_host(host)
    kind = arr.dtype.kind
    if kind == "b" or arr.dtype == np.uint8:
        return (_BOOL, bool(arr)) if arr.ndim == 0 else (_MASK, arr.astype(bool, copy=False))
    if arr.dtype in (np.int64, np.int32):
        return (_INT, int(arr)) if arr.ndim == 0 else (_INDEX, arr)
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _is_tuple_like(key):
    """PyTorch's legacy rule: a short list holding sequences, slices, ... or None is a tuple."""
    return len(key) < 32 and any(isinstance(k, (Tensor, list, tuple, np.ndarray, slice))
                                 or k is None or k is Ellipsis for k in key)


def _parse(self, key):
    if type(key) is not tuple:
        key = tuple(key) if isinstance(key, list) and _is_tuple_like(key) else (key,)
    items = []
    for k in key:
        if k is None:
            items.append((_NONE, None))
        elif k is Ellipsis:
            items.append((_ELLIPSIS, None))
        elif isinstance(k, slice):
            items.append((_SLICE, k))
        elif isinstance(k, (bool, np.bool_)):
            items.append((_BOOL, bool(k)))
        elif isinstance(k, (int, np.integer)):
            items.append((_INT, int(k)))
        elif isinstance(k, (Tensor, list, tuple, np.ndarray, range)):
            items.append(_index_item(self, list(k) if isinstance(k, range) else k))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(k).__name__})")
    if sum(kind == _ELLIPSIS for kind, _ in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(1 if kind in (_INT, _SLICE, _INDEX) else v.ndim if kind == _MASK else 0
               for kind, v in items)
    ndim = self._arr.ndim
    if used > ndim:
        first = next(kind for kind, _ in items if kind in (_INT, _SLICE, _INDEX, _MASK))
        if ndim == 0 and first == _INT:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if ndim == 0 and first == _SLICE:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    return items, ndim - used


def _apply_basic(self, items, n_ellipsis, skip_full):
    """Apply ints, slices, None and ... as views; return the view and the advanced indices
    left over as (dim in the view, array, needs a bounds check)."""
    t, dim, real, adv = self, 0, 0, []
    for kind, v in items:
        if kind == _INT:
            size = t._arr.shape[dim]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {real} with size "
                                 f"{size}")
            t = _select(t, dim, v)
            real += 1
        elif kind == _SLICE:
            if v.step is not None and operator.index(v.step) < 0:
                raise ValueError("step must be greater than zero")
            size = t._arr.shape[dim]
            start, stop, step = v.indices(size)
            if not (skip_full and start == 0 and stop == size and step == 1):
                t = _slice(t, dim, start, stop, step)
            dim, real = dim + 1, real + 1
        elif kind == _NONE:
            t = unsqueeze(t, dim)
            dim, real = dim + 1, real + 1
        elif kind == _ELLIPSIS:
            dim, real = dim + n_ellipsis, real + n_ellipsis
        elif kind == _BOOL:  # x[True]: a new dim of size 1 (or 0), as a mask on it
            t = unsqueeze(t, dim)
            adv.append((dim, t._be.xp.zeros(int(v), dtype=np.int64), False))
            dim, real = dim + 1, real + 1
        elif kind == _INDEX:
            adv.append((dim, v, True))
            dim, real = dim + 1, real + 1
        else:  # _MASK
            shape = t._arr.shape
            for j, n in enumerate(v.shape):
                if n != shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(v.shape)} at index {j} does "
                                     f"not match the shape of the indexed tensor {list(shape)} "
                                     f"at index {dim + j}")
            capture.check("Indexing with a boolean mask (its count sets the result's shape)",
                          t._be)
            adv.extend((dim + j, a, False) for j, a in enumerate(v.nonzero()))
            dim, real = dim + v.ndim, real + v.ndim
    return t, adv


def _adv_key(t, adv, exc=IndexError):
    """The ``idx`` tuple of the advanced indices, broadcast and bounds checked."""
    shapes = [a.shape for _, a, _ in adv]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(str(list(s)) for s in shapes)) from None
    idx = [slice(None)] * (max(d for d, _, _ in adv) + 1)
    for n, (d, a, check) in enumerate(adv):
        if check:
            _check_bounds(a, t._arr.shape[d], n, exc)
        idx[d] = a
    return tuple(idx)


def _resolve(self, key, skip_full):
    items, n_ellipsis = _parse(self, key)
    t, adv = _apply_basic(self, items, n_ellipsis, skip_full)
    return t, (_adv_key(t, adv) if adv else None)


# ---- x[key], x[key] = value -----------------------------------------------------------------

def getitem(self, key):
    """__getitem__(key) -> Tensor

    x[key]: ints, slices, None and ... give a view sharing x's memory; integer tensors, lists
    and bool masks then give a copy (gradient added back, repeated indices accumulating)."""
    if type(key) is int:  # the common case, straight to a select
        shape = self._arr.shape
        if shape and -shape[0] <= key < shape[0]:
            return _select(self, 0, key)
    t, idx = _resolve(self, key, type(key) is tuple)
    if idx is not None:
        check_index_saveable(t, key)
        return Index.apply(t, idx)
    return _view(self, Alias, ()) if t is self else t


def _strip_ones(v):
    """PyTorch drops a value's leading size-1 dims before broadcasting it into x[key]."""
    shape = v._arr.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return v.reshape(shape[k:]) if k else v


def setitem(self, key, value):
    """__setitem__(key, value) -> None

    x[key] = value, in place: value (a number, or a tensor broadcast to x[key]'s shape) is
    written at key, and autograd records the write."""
    if not isinstance(value, (Tensor, numbers.Number, np.bool_)):
        kind = type(value)
        name = kind.__name__ if kind.__module__ == "builtins" else \
            f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"can't assign a {name} to a {self.type()}")
    t, idx = _resolve(self, key, True)
    if idx is None:  # basic: copy into the view (CopySlices rebases self's history)
        if isinstance(value, Tensor):
            value = _strip_ones(value)
            if value._arr.shape != t._arr.shape:
                value = value.expand(t._arr.shape)
        copy_(t, value)
        return
    value = _put_value(t, idx, value)
    check_index_saveable(t if t.requires_grad else value, key)
    inplace(t, IndexPut.apply, value, idx, False)


def _put_value(t, idx, value):
    """``value`` as a tensor on t's device and dtype that broadcasts to ``t[idx]``."""
    if not isinstance(value, Tensor):
        return E._full_like_scalar(t, value)
    if value._be is not t._be:
        value = value.to(t.device)
    if value._arr.dtype != t._arr.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{t.dtype.scalar_name} for the destination and "
                           f"{value.dtype.scalar_name} for the source.")
    value = _strip_ones(value)
    target = _index_shape(t._arr.shape, idx)
    try:
        ok = np.broadcast_shapes(value._arr.shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value._arr.shape)} "
                           f"cannot be broadcast to indexing result of shape {list(target)}")
    return value


def _put_key(input, indices):
    """index_put's tuple of index tensors (None: the whole dim) as an ``idx``."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    if len(indices) > input._arr.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._arr.ndim} (got "
                         f"{len(indices)})")
    adv, dim = [], 0
    for k in indices:
        if k is None:
            dim += 1
            continue
        kind, v = _index_item(input, k)
        if kind == _INT:
            kind, v = _INDEX, input._be.xp.asarray(v, dtype=np.int64)
        if kind == _INDEX:
            adv.append((dim, v, True))
            dim += 1
        elif kind == _MASK:
            capture.check("Indexing with a boolean mask (its count sets the result's shape)",
                          input._be)
            adv.extend((dim + j, a, False) for j, a in enumerate(v.nonzero()))
            dim += v.ndim
        else:
            raise IndexError("index_put(): a bool scalar index is not supported")
    return _adv_key(input, adv)
@autocast_op(cuda=PROMOTE)
def index_put(input, indices, values, accumulate=False):
    """index_put(input, indices, values, accumulate=False) -> Tensor

    A copy of input with input[indices] = values: ``indices`` a tuple of integer or bool tensors
    (None: a whole dim), ``values`` broadcast to the indexed shape (gradcore also takes a Python
    number); accumulate=True adds instead, repeated indices adding up."""
    idx = _put_key(input, indices)
    values = _put_value(input, idx, values)
    check_index_saveable(input if input.requires_grad else values, indices)
    return IndexPut.apply(input, values, idx, bool(accumulate))


def index_put_(self, indices, values, accumulate=False):
    """index_put_(input, indices, values, accumulate=False) -> Tensor

    index_put done in place on input (input[indices] = values, or += with accumulate=True);
    returns input."""
    idx = _put_key(self, indices)
    values = _put_value(self, idx, values)
    check_index_saveable(self if self.requires_grad else values, indices)
    return inplace(self, IndexPut.apply, values, idx, bool(accumulate))


# ---- index_select / gather / scatter --------------------------------------------------------

def _index_tensor(index, fn, dtypes=(np.int64, np.int32), what="int32/int64"):
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._arr.dtype not in dtypes:
        raise RuntimeError(f"{fn}(): Expected dtype {what} for index")


def _index_on(input, index, saved_for=None):
    """The array of ``index``, an op's index tensor, on input's backend (an inference tensor
    refused where the op's node would keep it, as PyTorch's: when one of ``saved_for``, the
    inputs whose gradient reads the index, requires grad; default: input alone)."""
    for t in (input,) if saved_for is None else saved_for:
        check_index_saveable(t, index)
    return _on(input, index)


def _on(input, index):
    """index's array on input's backend."""
    if index._be is input._be:
        return index._arr
    return input._be.from_host(index._be.to_host(index._arr))


def index_select(input, dim, index):
    """index_select(input, dim, index) -> Tensor

    A copy of the slices of input at the positions in the 1-D integer tensor ``index`` along
    ``dim`` (that dim gets len(index) entries). Gradient: added back, repeats accumulating."""
    _index_tensor(index, "index_select", what="int32 or int64")
    if index._arr.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    shape = input._arr.shape
    d = _wrap_dim(dim, len(shape))
    arr = _index_on(input, index).reshape(-1)
    size = shape[d] if shape else 1
    if arr.size and capture.host_checks() and (int(arr.min()) < 0 or int(arr.max()) >= size):
        raise IndexError("index out of range in self")
    if not shape:
        return IndexSelect.apply(input.reshape(1), (arr,)).reshape(())
    return IndexSelect.apply(input, (slice(None),) * d + (arr,))


def _mesh(arr, dim, xp):
    """The ``idx`` that takes, at every position of ``arr``, element ``arr[pos]`` along dim."""
    nd = arr.ndim
    return tuple(arr if d == dim else xp.arange(n).reshape((n,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(arr.shape))


def _gather_key(input, dim, index, fn, src=None, saved_for=None):
    _index_tensor(index, fn)
    shape, ishape = input._arr.shape, index._arr.shape
    d = _wrap_dim(dim, len(shape))
    who = "input" if fn == "gather" else "self"
    if len(ishape) != len(shape) and (len(ishape) > 1 or len(shape) > 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {who} "
                           "tensor")
    if len(shape) <= 1 and len(ishape) <= 1:  # 0-d and 1-d mix freely
        ishape = ishape or (1,)
        shape = shape or (1,)
    for k in range(len(ishape)):
        too_big = (k != d and ishape[k] > shape[k]) or (
            src is not None and ishape[k] > (src._arr.shape or (1,))[k])
        if too_big:
            if src is None:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(ishape)} to be no larger than self {list(shape)} "
                                   f"apart from dimension {d}")
            raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self "
                               f"{list(shape)} apart from dimension {d} and to be no larger "
                               f"size than src {list(src._arr.shape)}")
    arr = _index_on(input, index, (input, src) if saved_for is None else saved_for)
    arr = arr.reshape(ishape)
    if arr.size and capture.host_checks() and (int(arr.min()) < 0
                                               or int(arr.max()) >= shape[d]):
        host = input._be.to_host(arr).ravel()
        bad = host[(host < 0) | (host >= shape[d])][0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size "
                           f"{shape[d]}")
    return _mesh(arr, d, input._be.xp), ishape


def gather(input, dim, index, *, sparse_grad=False):
    """gather(input, dim, index, *, sparse_grad=False) -> Tensor

    Values picked along ``dim`` by ``index``: for dim=1, out[i][j][k] = input[i][index[i][j][k]][k].
    The result has index's shape. Gradient: added back at index. sparse_grad is ignored."""
    idx, _ = _gather_key(input, dim, index, "gather")
    x = input.reshape(1) if not input._arr.ndim else input
    out = Gather.apply(x, idx)
    return out.reshape(index._arr.shape) if out._arr.shape != index._arr.shape else out


def _scatter(input, dim, index, src, value, reduce, cls):
    if reduce is not None:
        return _scatter_reduce(input, dim, index, value if src is None else src, reduce)
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    src = value if src is None else src
    if isinstance(src, Tensor):
        if src._arr.dtype != input._arr.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if not input._arr.ndim:
            return _scatter(input.reshape(1), 0, index.reshape(-1), src.reshape(-1), None,
                            None, cls).reshape(())
        # scatter_add's input gradient is the output's, so only src's reads the index
        idx, ishape = _gather_key(input, dim, index, "scatter", src,
                                  (src,) if cls is ScatterAdd else None)
        if src._arr.shape != ishape:  # the part of src that the index covers
            src = _view(src, Slice, tuple(slice(0, n) for n in ishape))
    else:
        if not input._arr.ndim:
            return _scatter(input.reshape(1), 0, index.reshape(-1), src, None, None,
                            cls).reshape(())
        idx, _ = _gather_key(input, dim, index, "scatter")
        src, cls = E._full_like_scalar(input, src), ScatterValue
    return cls.apply(input, src, idx, cls is ScatterAdd)


class _ScatterReduced(ArrayFunction):
    """scatter(reduce='add' | 'multiply'): PyTorch has no derivative for it."""
    node_name = "NotImplemented"
    _node_base = E._NotImplementedNode

    @staticmethod
    def forward(ctx, input, src, idx, reduce, covered=None):
        out = input._arr.copy()
        values = src._arr[covered] if isinstance(src, Tensor) else src
        ufunc = input._be.xp.add if reduce == "add" else input._be.xp.multiply
        if not hasattr(ufunc, "at"):  # CuPy has scatter_add, no scatter_mul
            raise NotImplementedError(f"scatter(reduce='{reduce}') is not implemented on "
                                      f"{input.device.type}; use scatter_reduce")
        ufunc.at(out, idx, values)
        return out

    @staticmethod
    def backward(ctx, gy):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_reduce(input, dim, index, src, reduce):
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=4)
        # no derivative, so PyTorch saves nothing (an inference index is fine): saved_for=()
        idx, ishape = _gather_key(input, dim, index, "scatter", src, ())
        return _ScatterReduced.apply(input, src, idx, reduce, tuple(slice(0, n) for n in ishape))
    idx, _ = _gather_key(input, dim, index, "scatter", saved_for=())
    return _ScatterReduced.apply(input, src, idx, reduce)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """scatter(input, dim, index, src=None, value=None, *, reduce=None) -> Tensor

    A copy of input with ``src`` (a tensor, or the number ``value``) written at ``index`` along
    ``dim``, gather's reverse: for dim=0, out[index[i][j]][j] = src[i][j]; reduce='add' or
    'multiply' combines instead of writing (no gradient, as PyTorch; scatter_reduce has
    more)."""
    return _scatter(input, dim, index, src, value, reduce, Scatter)
@autocast_op(cuda=PROMOTE)
def scatter_add(input, dim, index, src):
    """scatter_add(input, dim, index, src) -> Tensor

    Like scatter, but src's elements are added to input's at ``index`` along ``dim``; repeated
    indices add up."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not "
                        f"{type(src).__name__}")
    return _scatter(input, dim, index, src, None, None, ScatterAdd)


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    """scatter_(dim, index, src=None, value=None, *, reduce=None) -> Tensor

    scatter done in place on self; returns self."""
    return inplace(self, lambda t: scatter(t, dim, index, src, value, reduce=reduce))


def scatter_add_(self, dim, index, src):
    """scatter_add_(dim, index, src) -> Tensor

    scatter_add done in place on self; returns self."""
    return inplace(self, lambda t: scatter_add(t, dim, index, src))


def put(input, index, source, accumulate=False):
    """put(input, index, source, accumulate=False) -> Tensor

    A copy of input with source's elements written (accumulate=True: added) at the positions
    ``index`` of the flattened input (an int64 tensor, negative counting from the end).
    Gradient: to input where nothing was written over, to source from where it went."""
    what = "put_()"
    if index._arr.dtype != np.int64:
        raise RuntimeError(f"{what}: Expected a long tensor for index, but got "
                           f"{index.dtype.scalar_name}")
    if source._arr.dtype != input._arr.dtype:
        raise RuntimeError(f"{what}: self and source expected to have the same dtype, but got "
                           f"self.dtype = {input.dtype.scalar_name} and source.dtype = "
                           f"{source.dtype.scalar_name}")
    if index.numel() != source.numel():
        raise IndexError(f"{what}: Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() "
                         f"= {index.numel()}")
    n, arr = input.numel(), _index_on(input, index).reshape(-1)
    if arr.size and capture.host_checks() and (int(arr.min()) < -n or int(arr.max()) >= n):
        host = input._be.to_host(arr)
        bad = host[(host < -n) | (host >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return Put.apply(input, source, arr % max(n, 1), bool(accumulate))


def put_(self, index, source, accumulate=False):
    """put_(index, source, accumulate=False) -> Tensor

    put done in place on self; returns self."""
    return inplace(self, lambda t: put(t, index, source, accumulate))


def take_along_dim(input, indices, dim=None):
    """take_along_dim(input, indices, dim=None) -> Tensor

    gather along ``dim`` after broadcasting input and the int64 ``indices`` against each other
    in the other dims; with dim=None, indices pick from the flattened input."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices._arr.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.scalar_name}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    shape, ishape = input._arr.shape, indices._arr.shape
    if len(shape) != len(ishape):
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {len(shape)} dimensions for input, "
                           f"and {len(ishape)} dimensions for indices")
    d = _wrap_dim(dim, len(shape))
    b = list(broadcast_shapes(shape[:d] + (1,) + shape[d + 1:],
                              ishape[:d] + (1,) + ishape[d + 1:]))
    x_shape, i_shape = tuple(b[:d] + [shape[d]] + b[d + 1:]), tuple(b[:d] + [ishape[d]] + b[d + 1:])
    x = input if x_shape == shape else input.expand(x_shape)
    i = indices if i_shape == ishape else indices.expand(i_shape)
    return gather(x, d, i)


# ---- masks ----------------------------------------------------------------------------------



def _check_mask(mask, fn):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{fn}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._arr.dtype != np.bool_:
        if fn == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype.CPP_NAMES[mask.dtype.name]}")


class MaskedFill(ArrayFunction):
    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        ctx.shape = x._arr.shape
        ctx.vdtype = value.dtype if isinstance(value, Tensor) else None
        v = value._arr if isinstance(value, Tensor) else value
        xp = x._be.xp
        return xp.where(mask._arr, xp.asarray(v, dtype=x._arr.dtype), x._arr)

    @staticmethod
    def backward(ctx, gy):
        mask, = ctx.saved_tensors
        gx = sum_to(E.where(mask, 0.0, gy), ctx.shape) if ctx.needs_input_grad[0] else None
        if len(ctx.needs_input_grad) == 2:
            return gx, None
        gv = E.where(mask, gy, 0.0).sum().to(ctx.vdtype) if ctx.needs_input_grad[2] else None
        return gx, None, gv


class MaskedFillTensor(MaskedFill):
    node_name = "MaskedFillBackward1"


def masked_fill(input, mask, value):
    """masked_fill(input, mask, value) -> Tensor

    A copy of input with ``value`` (a number or a 0-d tensor) where the bool ``mask``, broadcast
    to input's shape, is True. Gradient: 0 at the filled places; a tensor value gets their sum."""
    _check_mask(mask, "masked_fill")
    broadcast_shapes(mask._arr.shape, input._arr.shape)
    if mask._be is not input._be:
        mask = mask.to(input.device)
    if isinstance(value, Tensor):
        if value._arr.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._arr.ndim} dimension(s).")
        if value._be is not input._be:
            value = value.to(input.device)
        return MaskedFillTensor.apply(input, mask, value)
    return MaskedFill.apply(input, mask, value)


def masked_fill_(self, mask, value):
    """masked_fill_(mask, value) -> Tensor

    masked_fill done in place on self; returns self."""
    return inplace(self, masked_fill, mask, value)


def masked_select(input, mask):
    """masked_select(input, mask) -> Tensor

    A 1-D copy of the elements of input where the bool ``mask`` is True (input and mask are
    broadcast together first), in row-major order."""
    _check_mask(mask, "masked_select")
    shape = broadcast_shapes(input._arr.shape, mask._arr.shape)
    x = input if input._arr.shape == shape else input.expand(shape)
    capture.check("torch.masked_select (its count sets the result's shape)", input._be)
    m = input._be.xp.broadcast_to(_index_on(input, mask), shape)
    if not shape:
        return MaskedSelect.apply(x.reshape(1), m.reshape(1).nonzero())
    return MaskedSelect.apply(x, m.nonzero())


def nonzero(input, *, as_tuple=False):
    """nonzero(input, *, as_tuple=False) -> LongTensor or tuple of LongTensors

    The indices of input's nonzero elements in row-major order: a (count, input.dim()) tensor,
    one row per element, or with as_tuple=True one 1-D tensor per dim. Not differentiable."""
    capture.check("torch.nonzero (its count sets the result's shape)", input._be)
    be, arr = input._be, input._arr
    if as_tuple:
        return tuple(_wrap(a.astype(np.int64, copy=False), be)
                     for a in (arr.reshape(1) if not arr.ndim else arr).nonzero())
    return _wrap(be.xp.argwhere(arr).astype(np.int64, copy=False), be)


METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "select": select, "narrow": narrow,
    "index_select": index_select, "gather": gather, "scatter": scatter,
    "scatter_add": scatter_add, "scatter_": scatter_, "scatter_add_": scatter_add_,
    "index_put": index_put, "index_put_": index_put_, "take_along_dim": take_along_dim,
    "masked_fill": masked_fill, "masked_fill_": masked_fill_, "masked_select": masked_select,
    "nonzero": nonzero, "put": put, "put_": put_,
}
FUNCTIONS = {"put": put,
    "select": select, "narrow": narrow, "index_select": index_select, "gather": gather,
    "scatter": scatter, "scatter_add": scatter_add, "index_put": index_put,
    "index_put_": index_put_, "take_along_dim": take_along_dim, "masked_fill": masked_fill,
    "masked_select": masked_select, "nonzero": nonzero,
}
