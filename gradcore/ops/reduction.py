"""Reductions: sum, mean, max/min/amax/amin/argmax/argmin, var/std, logsumexp, prod, norm,
all/any/count_nonzero, cumsum -- with ``dim`` as an int or a tuple and ``keepdim``.  Backward
kernels broadcast the gradient back (``sum_backward``, ``extremum_backward``...)."""
import builtins as _b
import collections
import math
import warnings

import numpy as np

from .._autocast import FP32, FP32_SET_OPT_DTYPE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..backend.kernels import kept_shape, kernel
from ..tensor import Tensor, _wrap, _wrap_dim
from . import elementwise as _ew


def _axes(dim, ndim):
    """None (all dims) or a sorted tuple of non-negative axes, checked like PyTorch."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    axes = tuple(sorted(_wrap_dim(d, ndim) for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
    if not ndim:
        return None
    return axes


# ---- the gradient kernels (backend/kernels.py): references over the array module F ---------

def _keep(g, shape, axes, keepdim):
    """A reduction's output (or gradient) given its reduced dims back as size 1, to broadcast
    against the input (``axes`` None: all of them)."""
    if keepdim and axes is not None:
        return g
    return g.reshape(kept_shape(shape, axes))


def _n_reduced(shape, axes):
    return math.prod(shape if axes is None else (shape[a] for a in axes))


def _broadcast(F, g, shape):
    out = F.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


@kernel("expand", params=lambda shape, axes: 1.0)
def sum_backward(F, gy, shape, axes, keepdim):
    """Gradient of sum over ``axes`` (None: all) of an input of ``shape``."""
    if axes is not None:  # a full sum's gradient broadcasts as it is
        gy = _keep(gy, shape, axes, keepdim)
    return _broadcast(F, gy, shape)


@kernel("expand", params=lambda shape, axes: 1.0 / _n_reduced(shape, axes)
        if _n_reduced(shape, axes) else None)
def mean_backward(F, gy, shape, axes, keepdim):
    """Gradient of mean: sum's, divided by the number of elements reduced (nan for none)."""
    n = _n_reduced(shape, axes)
    g = _keep(gy, shape, axes, keepdim)
    scale = g.dtype.type(1.0 / n) if n else g.dtype.type(float("nan"))
    return _broadcast(F, g * scale, shape)


@kernel("extremum")
def extremum_backward(F, x, y, gy, axes, keepdim):
    """amax/amin (and full max/min): the gradient is shared evenly between the ties."""
    mask = x == _keep(y, x.shape, axes, keepdim)
    count = mask.sum(axis=axes, keepdims=True, dtype=x.dtype)
    return _keep(gy, x.shape, axes, keepdim) / count * mask


@kernel("index_along")
def index_backward_along(F, idx, gy, shape, axis, keepdim):
    """max(dim)/min(dim): the gradient goes to the index each value came from."""
    out = F.zeros(shape, dtype=gy.dtype)
    if not keepdim:
        idx, gy = F.expand_dims(idx, axis), F.expand_dims(gy, axis)
    F.put_along_axis(out, idx, gy, axis)
    return out


class SumGrad(ArrayFunction):
    """Broadcast a reduction's gradient back to the input shape: the backward of sum."""
    node_name = "SumBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return sum_backward(gy._be, gy._arr, shape, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return sum(gg, ctx.axes, ctx.keepdim) if ctx.axes is not None else sum(gg)


class Sum(ArrayFunction):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim, dt):
        ctx.shape, ctx.axes, ctx.keepdim, ctx.dtype = x._arr.shape, axes, keepdim, x._arr.dtype
        a = x._arr
        if dt.char in _dtype.REDUCED_CHARS:  # float16, bfloat16: accumulated in float32
            return _dtype.in_opmath(lambda xp, w: xp.asarray(w.sum(axis=axes, keepdims=keepdim)),
                                    x._be.xp, a if a.dtype == dt else a.astype(dt))
        if type(a) is np.ndarray:  # what ndarray.sum runs, without its Python wrapper
            if axes is None and not keepdim:  # into a 0-d array, not a NumPy scalar
                return np.add.reduce(a, None, dt, np.empty((), dt))
            return np.add.reduce(a, axis=axes, dtype=dt, keepdims=keepdim)
        return a.sum(axis=axes, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, gy):
        return _cast(SumGrad.apply(gy, ctx.shape, ctx.axes, ctx.keepdim), ctx.dtype)

    @staticmethod
    def array_backward(ctx, gy):
        be = ctx._be
        if be.launches_kernels:
            g = be.launch(sum_backward, gy, ctx.shape, ctx.axes, ctx.keepdim)
        else:  # sum_backward(be, ...) without the Kernel call's frame (every loss's backward)
            g = sum_backward.reference(be.xp, gy, ctx.shape, ctx.axes, ctx.keepdim)
        return g if g.dtype == ctx.dtype else g.astype(ctx.dtype)


class SumAll(Sum):
    node_name = "SumBackward0"


def _cast(g, np_dtype):
    """A gradient in its input's dtype (for reductions run in another ``dtype=``)."""
    return g if g._arr.dtype == np_dtype else g.to(_dtype.from_numpy_dtype(np_dtype))


def _acc_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x._arr.dtype.kind in "biu":
        return _dtype.int64.np
    return x._arr.dtype
@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor

    The sum of input's elements over all dims, or over ``dim`` (an int or a tuple of ints);
    keepdim=True keeps the reduced dims as size 1. Bool and integer inputs sum in int64 unless
    ``dtype`` says otherwise."""
    dt = input._arr.dtype
    if dtype is not None or dt.kind in "biu":
        dt = _acc_dtype(input, dtype)
    if dim is None:
        return SumAll.apply(input, None, keepdim, dt)
    return Sum.apply(input, _all_axes(dim, input._arr.ndim), keepdim, dt)


class MeanGrad(SumGrad):
    node_name = "MeanBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return mean_backward(gy._be, gy._arr, shape, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return mean(gg, ctx.axes, ctx.keepdim) if ctx.axes is not None else mean(gg)


def mean_all(a):
    """``a.mean()`` of a non-empty float array; on NumPy float32/64 without ndarray.mean's
    Python wrapper (~3 us on a tiny array): the same pairwise sum, divided by the count."""
    if type(a) is np.ndarray and a.dtype.char in "fd":
        return np.add.reduce(a, axis=None) / a.size
    return a.mean()


class Mean(ArrayFunction):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x._arr.shape, axes, keepdim
        if x._arr.dtype.char in _dtype.REDUCED_CHARS and x._arr.size:  # in float32 (PyTorch)
            return _dtype.in_opmath(lambda xp, w: xp.asarray(w.mean(axis=axes,
                                                                 keepdims=keepdim)),
                                    x._be.xp, x._arr)
        if axes is None and not keepdim and x._arr.size:
            return mean_all(x._arr)
        if not x._arr.size:  # NaN without NumPy's "Mean of empty slice" warning, as PyTorch
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                return x._arr.mean(axis=axes, keepdims=keepdim)
        return x._arr.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        return MeanGrad.apply(gy, ctx.shape, ctx.axes, ctx.keepdim)

    @staticmethod
    def array_backward(ctx, gy):
        be = ctx._be
        if be.launches_kernels:
            return be.launch(mean_backward, gy, ctx.shape, ctx.axes, ctx.keepdim)
        return mean_backward.reference(be.xp, gy, ctx.shape, ctx.axes, ctx.keepdim)


class MeanAll(Mean):
    node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor

    The mean of input's elements over all dims or over ``dim`` (an int or a tuple of ints);
    input must be floating point, or be cast by ``dtype`` first. An empty reduction gives nan."""
    if dtype is not None:
        input = input.to(dtype)
    if not (_dtype.is_floating(input._arr.dtype) or input._arr.dtype.kind == "c"):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name.capitalize()}")
    if dim is None:
        return MeanAll.apply(input, None, keepdim)
    return Mean.apply(input, _all_axes(dim, input._arr.ndim), keepdim)


# ---- helpers -------------------------------------------------------------------------------

def _all_axes(dim, ndim):
    """Like ``_axes`` but always a tuple: every dim when ``dim`` is None or empty."""
    axes = _axes(dim, ndim)
    return tuple(range(ndim)) if axes is None else axes


def _dims_list(dim):
    return () if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)


def _check_nonempty(name, x, dims, exc=RuntimeError):
    """PyTorch's errors for reductions without an identity (max, amax, argmax...) over nothing;
    ``dims`` are the dims as PyTorch shows them (None: a full reduction)."""
    shape = x._arr.shape
    if dims is None:
        if x._arr.size == 0:
            hint = (" Specify the reduction dim with the 'dim' argument."
                    if exc is RuntimeError else "")
            raise exc(f"{name}(): Expected reduction dim to be specified for input.numel() == "
                      f"0.{hint}")
        return
    for d in dims:
        if shape and shape[_wrap_dim(d, len(shape))] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _int_dim(name, dim):
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(dim).__name__}), but expected one of: (), (Tensor other), "
                        f"(int dim, bool keepdim = False)")
    return dim


def _ones(t):
    return _wrap(t._be.xp.ones(t._arr.shape, dtype=t._arr.dtype), t._be)


# ---- max / min / amax / amin: ties share the gradient --------------------------------------

class ExtremumGrad(ArrayFunction):
    """gy split evenly between the elements equal to the extremum y (the backward of amax)."""
    node_name = "AmaxBackwardBackward0"

    @staticmethod
    def forward(ctx, x, y, gy, axes, keepdim):
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.keepdim = axes, keepdim
        return extremum_backward(x._be, x._arr, y._arr, gy._arr, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):  # linear in gy; piecewise constant in x and y
        x, y = ctx.saved_tensors
        be = x._be
        w = _wrap(extremum_backward(be, x._arr, y._arr, be.xp.ones_like(y._arr), ctx.axes,
                                    ctx.keepdim), be)
        axes = tuple(range(x.ndim)) if ctx.axes is None else ctx.axes
        return None, None, sum(gg * w, axes, ctx.keepdim)


class MaxAll(ArrayFunction):
    """max() of every element."""
    node_name = "MaxBackward1"
    save_output = True
    fn = "max"

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        return getattr(x._be.xp, cls.fn)(x._arr, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return ExtremumGrad.apply(x, y, gy, ctx.axes, ctx.keepdim)


class MinAll(MaxAll):
    node_name = "MinBackward1"
    fn = "min"


class Amax(MaxAll):
    node_name = "AmaxBackward0"


class Amin(MaxAll):
    node_name = "AminBackward0"
    fn = "min"


def take_along(xp, g, idx, axis, keepdim):
    """g at ``idx`` along ``axis``: the backward of index_backward_along."""
    if not keepdim:
        idx = xp.expand_dims(idx, axis)
    out = xp.take_along_axis(g, idx, axis)
    return out if keepdim else out.squeeze(axis)


class TakeAlong(ArrayFunction):
    """g gathered at ``idx`` along ``axis`` (the backward of PutAlong)."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, g, idx, axis, keepdim):
        ctx.idx, ctx.shape, ctx.axis, ctx.keepdim = idx, g._arr.shape, axis, keepdim
        return take_along(g._be.xp, g._arr, idx, axis, keepdim)

    @staticmethod
    def backward(ctx, gy):
        return PutAlong.apply(gy, ctx.idx, ctx.shape, ctx.axis, ctx.keepdim)


class PutAlong(ArrayFunction):
    """max(dim)'s gradient: each gy goes to the index its value came from."""
    node_name = "MaxBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, idx, shape, axis, keepdim):
        ctx.idx, ctx.axis, ctx.keepdim = idx, axis, keepdim
        return index_backward_along(gy._be, idx, gy._arr, shape, axis, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return TakeAlong.apply(gg, ctx.idx, ctx.axis, ctx.keepdim)


class MaxDim(ArrayFunction):
    """max(dim): (values, indices); the first index of the extremum, as PyTorch on the CPU."""
    node_name = "MaxBackward0"
    fn = "argmax"

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        xp = x._be.xp
        idx = xp.expand_dims(getattr(xp, cls.fn)(x._arr, axis=axis), axis).astype(np.int64)
        values = xp.take_along_axis(x._arr, idx, axis)
        if not keepdim:
            idx, values = idx.squeeze(axis), values.squeeze(axis)
        ctx.idx, ctx.shape, ctx.axis, ctx.keepdim = idx, x._arr.shape, axis, keepdim
        return values, idx

    @staticmethod
    def backward(ctx, gy, gi):
        return PutAlong.apply(gy, ctx.idx, ctx.shape, ctx.axis, ctx.keepdim)


class MinDim(MaxDim):
    node_name = "MinBackward0"
    fn = "argmin"


def _return_type(name):
    """A namedtuple ``(values, indices)`` printed like ``torch.return_types.<name>``."""
    cls = collections.namedtuple(name, ["values", "indices"])
    cls.__module__ = "gradcore.return_types"
    cls.__repr__ = lambda self: (f"gradcore.return_types.{name}(\nvalues={self.values!r},\n"
                                 f"indices={self.indices!r})")
    return cls


return_types = type("return_types", (), {"max": _return_type("max"),
                                         "min": _return_type("min")})


def _max_min(name, x, dim, keepdim):
    full, along = (MaxAll, MaxDim) if name == "max" else (MinAll, MinDim)
    if isinstance(dim, Tensor):
        return (_ew.maximum if name == "max" else _ew.minimum)(x, dim)
    if dim is None:
        _check_nonempty(name, x, None)
        return full.apply(x, None, False)
    axis = _wrap_dim(_int_dim(name, dim), x._arr.ndim)
    _check_nonempty(name, x, (axis,))
    result = getattr(return_types, name)
    if not x._arr.ndim:  # a 0-d tensor: its only element, at index 0
        return result(*along.apply(x.reshape(1), 0, False))
    return result(*along.apply(x, axis, keepdim))


def max(input, dim=None, keepdim=False):
    """max(input, dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)

    With no dim, the largest element (gradient split evenly among ties). With an int ``dim``, a
    named tuple (values, indices) of each slice's maximum and the first index that holds it
    (gradient: to that index only). max(input, other) with a Tensor is maximum(input, other)."""
    return _max_min("max", input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    """min(input, dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)

    With no dim, the smallest element (gradient split evenly among ties). With an int ``dim``, a
    named tuple (values, indices) of each slice's minimum and the first index that holds it
    (gradient: to that index only). min(input, other) with a Tensor is minimum(input, other)."""
    return _max_min("min", input, dim, keepdim)


def _amax_amin(cls, name, x, dim, keepdim):
    dims = _dims_list(dim)
    axes = _axes(dims, x._arr.ndim)
    _check_nonempty(name, x, None if axes is None else dims)
    return cls.apply(x, _all_axes(axes, x._arr.ndim), keepdim)


def amax(input, dim=(), keepdim=False):
    """amax(input, dim=(), keepdim=False) -> Tensor

    The largest value over ``dim`` (an int or a tuple; () or None: all dims), values only.
    Gradient: split evenly among the elements equal to the maximum."""
    return _amax_amin(Amax, "amax", input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """amin(input, dim=(), keepdim=False) -> Tensor

    The smallest value over ``dim`` (an int or a tuple; () or None: all dims), values only.
    Gradient: split evenly among the elements equal to the minimum."""
    return _amax_amin(Amin, "amin", input, dim, keepdim)


# ---- argmax / argmin / all / any / count_nonzero (no gradient) -----------------------------

class _NoGradReduction(ArrayFunction):
    node_name = "NoGradReduction"
    differentiable = False

    @staticmethod
    def forward(ctx, x, fn, *params):
        return fn(x._be.xp, x._arr, *params)


def _arg(fn, xp, a, axis, keepdim):
    if axis is None:
        out = fn(xp, a)
        return xp.asarray(out, dtype=np.int64).reshape((1,) * a.ndim if keepdim else ())
    out = fn(xp, a, axis=axis)
    return (xp.expand_dims(out, axis) if keepdim else out).astype(np.int64)


def _argmax_argmin(name, x, dim, keepdim):
    if x._arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    fn = (lambda xp, a, **k: xp.argmax(a, **k)) if name == "argmax" else \
        (lambda xp, a, **k: xp.argmin(a, **k))
    if dim is None:
        _check_nonempty(name, x, None, IndexError)
        return _NoGradReduction.apply(x, lambda xp, a: _arg(fn, xp, a, None, keepdim))
    axis = _wrap_dim(dim, x._arr.ndim)
    _check_nonempty(name, x, (axis,))
    if not x._arr.ndim:
        axis = keepdim = None
    return _NoGradReduction.apply(x, lambda xp, a: _arg(fn, xp, a, axis, keepdim))


def argmax(input, dim=None, keepdim=False):
    """argmax(input, dim=None, keepdim=False) -> LongTensor

    The index of the largest element: into the flattened input (dim=None) or along the int
    ``dim``; the first one on ties. Not differentiable."""
    return _argmax_argmin("argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """argmin(input, dim=None, keepdim=False) -> LongTensor

    The index of the smallest element: into the flattened input (dim=None) or along the int
    ``dim``; the first one on ties. Not differentiable."""
    return _argmax_argmin("argmin", input, dim, keepdim)


def _all_any(name, x, dim, keepdim):
    if isinstance(dim, (tuple, list)) and not dim:  # dim=(): no reduction at all
        axes = ()
    else:
        axes = _axes(dim, x._arr.ndim)
    out_dtype = np.uint8 if x._arr.dtype == np.uint8 else np.bool_

    def fn(xp, a):
        return xp.asarray(getattr(xp, name)(a, axis=axes, keepdims=keepdim), dtype=out_dtype)
    return _NoGradReduction.apply(x, fn)


def all(input, dim=None, keepdim=False):
    """all(input, dim=None, keepdim=False) -> Tensor

    Whether every element is nonzero, over all dims or over ``dim`` (an int or a tuple; ()
    reduces nothing). A bool result (uint8 for a uint8 input); not differentiable."""
    return _all_any("all", input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """any(input, dim=None, keepdim=False) -> Tensor

    Whether some element is nonzero, over all dims or over ``dim`` (an int or a tuple; ()
    reduces nothing). A bool result (uint8 for a uint8 input); not differentiable."""
    return _all_any("any", input, dim, keepdim)


def count_nonzero(input, dim=None):
    """count_nonzero(input, dim=None) -> Tensor

    The number of nonzero elements (int64), over all dims or over ``dim`` (an int or a tuple).
    Not differentiable."""
    axes = _axes(dim, input._arr.ndim)
    return _NoGradReduction.apply(input, lambda xp, a: xp.asarray(
        xp.count_nonzero(a, axis=axes), dtype=np.int64))


# ---- var / std: backward in Tensor ops (double backward for free) --------------------------

def _var_array(name, a, axes, correction, keepdim):
    dof = _b.max(_n_reduced(a.shape, axes) - correction, 0)
    if dof == 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty slice
        d = a - a.mean(axis=axes, keepdims=True)
        return (d * d).sum(axis=axes, keepdims=keepdim) / a.dtype.type(dof)


def _var_backward(x, gy, axes, correction, keepdim):
    """d var / dx = 2 (x - mean) / (N - correction), broadcast back over the reduced dims."""
    dof = _b.max(_n_reduced(x._arr.shape, axes) - correction, 0)
    scale = 2.0 / dof if dof else float("inf")
    return (x - mean(x, axes, True)) * (_keep(gy, x._arr.shape, axes, keepdim) * scale)


class Var(ArrayFunction):
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.params = (axes, correction, keepdim)
        return _dtype.in_opmath(lambda xp, a: _var_array("var", a, axes, correction, keepdim),
                                x._be.xp, x._arr)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _var_backward(x, gy, *ctx.params)


class Std(ArrayFunction):
    node_name = "StdBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.params = (axes, correction, keepdim)
        return _dtype.in_opmath(
            lambda xp, a: xp.sqrt(_var_array("std", a, axes, correction, keepdim)),
            x._be.xp, x._arr)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        # d std = d var / (2 std); where std == 0 every x - mean is 0, so the gradient is 0
        return _var_backward(x, gy / (2 * _ew.where(y == 0, 1.0, y)), *ctx.params)


def _var_std(cls, name, x, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(False): the old positional ``unbiased``
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'; pass only one of them")
    if not _dtype.is_floating(x._arr.dtype):
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return cls.apply(x, _all_axes(dim, x._arr.ndim), correction, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """var(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor

    The variance over ``dim`` (an int or a tuple; None: all dims): sum((x - mean)**2) divided
    by N - correction. correction defaults to 1; unbiased=False means 0. Floating input only."""
    return _var_std(Var, "var", input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """std(input, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor

    The standard deviation: sqrt(var(input, dim, ...)), with var's ``correction`` and
    ``unbiased``. Gradient: 0 where the std is 0."""
    return _var_std(Std, "std", input, dim, unbiased, keepdim, correction)


# ---- logsumexp -----------------------------------------------------------------------------

def _logsumexp(xp, a, axes, keepdim):
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (a.max(axis=axes, keepdims=True) if a.size else
             xp.zeros([1 if i in axes else n for i, n in enumerate(a.shape)], a.dtype))
        m = xp.where(xp.isinf(m), a.dtype.type(0), m)  # all -inf (or an inf): no shift
        out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
    return out if keepdim else out.reshape([n for i, n in enumerate(a.shape)
                                            if i not in axes])


class Logsumexp(ArrayFunction):
    node_name = "LogsumexpBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        return _dtype.in_opmath(_logsumexp, x._be.xp, x._arr, axes, keepdim)


    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        shape, axes, keepdim = x._arr.shape, ctx.axes, ctx.keepdim
        return _keep(gy, shape, axes, keepdim) * _ew.exp(x - _keep(y, shape, axes, keepdim))
@autocast_op(cuda=FP32)
def logsumexp(input, dim, keepdim=False):
    """logsumexp(input, dim, keepdim=False) -> Tensor

    log(sum(exp(input))) over ``dim`` (an int or a tuple), computed with the maximum subtracted
    so it doesn't overflow; integer input is cast to the default float dtype. Gradient:
    softmax(input) over dim, times the incoming gradient."""
    if not _dtype.is_floating(input._arr.dtype):
        input = input.to(_dtype.get_default_dtype())
    return Logsumexp.apply(input, _all_axes(dim, input._arr.ndim), keepdim)


# ---- prod: gradients without dividing, so zeros are fine -----------------------------------

def prod_backward(xp, x, gy, axes, keepdim):
    """d prod / dx_i = product of the others, computed without dividing (zeros are fine)."""
    if x.size == 0:
        return xp.zeros(x.shape, dtype=gy.dtype)
    axes = tuple(range(x.ndim)) if axes is None else axes
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = xp.transpose(x, rest + axes)
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape(moved.shape)
    others = xp.transpose(others, np.argsort(rest + axes))
    return others * _keep(gy, x.shape, axes, keepdim)


def prod_double_backward(xp, x, gg, axes):
    """G_k = sum_{j != k} gg_j * prod_{i not in (j, k)} x_i within each reduced slice: the
    t-coefficient of prod_{i != k} (x_i + t gg_i), from exclusive prefix and suffix
    products of dual numbers (no division, so zeros are fine)."""
    axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = xp.transpose(x, rest + axes)
    xs = moved.reshape(moved.shape[:len(rest)] + (-1,))
    gs = xp.transpose(xp.broadcast_to(gg, x.shape), rest + axes).reshape(xs.shape)
    n = xs.shape[-1]

    def exclusive(order):  # (value, t-coefficient) of the product of the elements before k
        val, der = xp.zeros_like(xs), xp.zeros_like(xs)
        p, d = xp.ones_like(xs[..., 0]), xp.zeros_like(xs[..., 0])
        for k in order:
            val[..., k], der[..., k] = p, d
            p, d = p * xs[..., k], d * xs[..., k] + p * gs[..., k]
        return val, der

    pv, pd = exclusive(range(n))
    sv, sd = exclusive(range(n - 1, -1, -1))
    out = (pd * sv + pv * sd).reshape(moved.shape)
    return xp.transpose(out, np.argsort(rest + axes))


class ProdGradGrad(ArrayFunction):
    """G_k = sum_{j != k} gg_j * prod_{i != j, k} x_i: the second derivative of prod applied to
    gg (no division, so zeros are fine).  Symmetric in gg, so its gg-derivative is itself."""
    node_name = "ProdBackwardBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gg, axes):
        ctx.save_for_backward(x)
        ctx.axes = axes
        return prod_double_backward(x._be.xp, x._arr, gg._arr, axes)

    @staticmethod
    def backward(ctx, h):
        x, = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise RuntimeError("prod: derivatives of third and higher order with respect to "
                               "the input are not implemented")
        return None, ProdGradGrad.apply(x, h, ctx.axes)


class ProdGrad(ArrayFunction):
    """gy * (product of the others) -- the backward of prod, as a differentiable op."""
    node_name = "ProdBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, axes, keepdim):
        ctx.save_for_backward(x, gy)
        ctx.axes, ctx.keepdim = axes, keepdim
        return prod_backward(x._be.xp, x._arr, gy._arr, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):
        x, gy = ctx.saved_tensors
        axes, keepdim = _all_axes(ctx.axes, x._arr.ndim), ctx.keepdim
        gx = ggy = None
        if ctx.needs_input_grad[0]:
            gx = _keep(gy, x._arr.shape, axes, keepdim) * ProdGradGrad.apply(x, gg, axes)
        if ctx.needs_input_grad[1]:
            ggy = sum(gg * ProdGrad.apply(x, _ones(gy), ctx.axes, keepdim), axes, keepdim)
        return gx, ggy


class Prod(ArrayFunction):
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim, dt):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        if dt == x._arr.dtype:  # float16, bfloat16: multiplied in float32, rounded once
            return _dtype.in_opmath(lambda xp, a: xp.asarray(a.prod(axis=axes, keepdims=keepdim)),
                                    x._be.xp, x._arr)
        return x._arr.prod(axis=axes, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return ProdGrad.apply(x, gy.to(x.dtype), ctx.axes, ctx.keepdim)


class ProdAll(Prod):
    node_name = "ProdBackward0"


@autocast_op(cpu=FP32, cuda=FP32_SET_OPT_DTYPE)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor

    The product of all elements, or along the int ``dim``; bool and integer inputs multiply in
    int64. Gradient: the product of the other elements, found without division, so zeros are
    fine."""
    dt = _acc_dtype(input, dtype)
    if dim is None:
        return ProdAll.apply(input, None, False, dt)
    axes = _all_axes(_wrap_dim(_int_dim("prod", dim), input._arr.ndim), input._arr.ndim)
    return Prod.apply(input, axes, keepdim, dt)


# ---- norm ----------------------------------------------------------------------------------

def _vector_norm(xp, a, p, axes, keepdim):
    r = dict(axis=axes, keepdims=keepdim)
    if p == 2:
        return xp.sqrt((a * a).sum(**r))
    if p == 1:
        return xp.abs(a).sum(**r)
    if p == 0:
        return (a != 0).sum(**r, dtype=a.dtype)
    if p == math.inf:
        return xp.abs(a).max(**r)
    if p == -math.inf:
        return xp.abs(a).min(**r)
    with np.errstate(divide="ignore"):
        return (xp.abs(a) ** p).sum(**r) ** a.dtype.type(1 / p)


class Norm(ArrayFunction):
    """The vector p-norm over ``axes`` (p = 2 for 'fro')."""
    node_name = "LinalgVectorNormBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return _dtype.in_opmath(_vector_norm, x._be.xp, x._arr, p, axes, keepdim)


    @staticmethod
    def backward(ctx, gy):
        abs, sign, where = _ew.abs, _ew.sign, _ew.where
        x, y = ctx.saved_tensors
        p, axes, keepdim = ctx.p, ctx.axes, ctx.keepdim
        if p == 0:
            return None
        if p in (math.inf, -math.inf):
            return sign(x) * ExtremumGrad.apply(abs(x), y, gy, axes, keepdim)
        g = _keep(gy, x._arr.shape, axes, keepdim)
        if p == 1:
            return sign(x) * g
        y = _keep(y, x._arr.shape, axes, keepdim)
        safe = where(y == 0, 1.0, y)  # a zero norm: every x is 0, and so is the gradient
        if p == 2:
            return x * (g / safe)
        scaled = sign(x) * where(x == 0, 1.0, abs(x)) ** (p - 1)  # 0 at x == 0, never inf
        return scaled * (g / safe ** (p - 1))
@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """norm(input, p='fro', dim=None, keepdim=False, dtype=None) -> Tensor

    The vector p-norm over ``dim`` (an int or a tuple; None: all elements); 'fro' is p=2, and
    p may be inf, -inf or 0 (the nonzero count); 'nuc' is not supported. Floating input only
    (``dtype`` casts first). Gradient: 0 at a zero norm; for p=+-inf split among ties."""
    if dtype is not None:
        input = input.to(dtype)
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {input.dtype.scalar_name}")
    dims = _dims_list(dim)
    if isinstance(p, str):
        if p != "fro" and p != "nuc":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if dim is not None and len(dims) > 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(map(str, dims)))
        if p == "nuc":
            raise NotImplementedError("gradcore: the nuclear norm (p='nuc') is not supported")
        p = 2
    p = float(p)
    axes = _all_axes(dims, input._arr.ndim)
    if p in (math.inf, -math.inf) and input._arr.size == 0:
        if _axes(dims, input._arr.ndim) is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if input._arr.shape[_wrap_dim(d, input._arr.ndim)] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   f"operation does not have an identity")
    return Norm.apply(input, p, axes, keepdim)


# ---- cumsum --------------------------------------------------------------------------------

def cumsum_backward(xp, g, axis):
    """The reversed cumulative sum along ``axis`` (None: a 0-d tensor, returned as is)."""
    if axis is None:
        return xp.array(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


class CumsumGrad(ArrayFunction):
    """The reversed cumulative sum (the backward of cumsum); its own backward is cumsum."""
    node_name = "CumsumBackwardBackward0"

    @staticmethod
    def forward(ctx, g, axis):
        ctx.axis = axis
        return _dtype.in_opmath(cumsum_backward, g._be.xp, g._arr, axis)  # float16: in float32

    @staticmethod
    def backward(ctx, gg):
        return Cumsum.apply(gg, ctx.axis, None)


class Cumsum(ArrayFunction):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, axis, dt):
        ctx.axis, ctx.dtype = axis, x._arr.dtype
        a = x._arr
        if axis is None:  # a 0-d tensor
            return x._be.xp.array(a, dtype=dt or a.dtype)
        if dt is None or dt == a.dtype:  # float16, bfloat16: accumulated in float32
            return _dtype.in_opmath(lambda xp, a: xp.cumsum(a, axis=axis), x._be.xp, a)
        return x._be.xp.cumsum(a, axis=axis, dtype=dt)

    @staticmethod
    def backward(ctx, gy):
        return _cast(CumsumGrad.apply(gy, ctx.axis), ctx.dtype)
@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def cumsum(input, dim, *, dtype=None):
    """cumsum(input, dim, *, dtype=None) -> Tensor

    Running sums along ``dim``: out[i] = input[0] + ... + input[i]; bool and integer inputs add
    up in int64. Gradient: the reversed cumulative sum of the incoming gradient."""
    axis = _wrap_dim(dim, input._arr.ndim)
    return Cumsum.apply(input, axis if input._arr.ndim else None, _acc_dtype(input, dtype))


METHODS = {"sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin,
           "argmax": argmax, "argmin": argmin, "all": all, "any": any,
           "count_nonzero": count_nonzero, "var": var, "std": std, "logsumexp": logsumexp,
           "prod": prod, "norm": norm, "cumsum": cumsum}
FUNCTIONS = dict(METHODS)
