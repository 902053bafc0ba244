"""Scans and reductions beyond reduction.py's: cumprod, cummax, cummin, logcumsumexp, diff,
aminmax, nansum, nanmean, std_mean, var_mean.

cummax/cummin are NumPy's maximum/minimum.accumulate and the index of the latest hit;
logcumsumexp (and cummax/cummin on CuPy) scan in log2(n) doubling steps (CuPy's ufuncs have no
``accumulate`` beyond add and multiply).
"""
import collections
import warnings

import numpy as np

from .._autocast import FP32, FP32_SET_OPT_DTYPE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import _wrap, _wrap_dim
from . import elementwise as _ew
from . import scan_jit
from .inplace import inplace
from .join import cat
from .reduction import (ExtremumGrad, MeanGrad, Std, SumGrad, _acc_dtype, _axes, _cast,
                        _return_type, _var_array, _var_backward, _var_std, sum)
from .sorting import _slab


def _scan(xp, arrays, axis, combine):
    """The inclusive scan of ``arrays`` (a tuple scanned together) along ``axis``:
    ``combine(xp, earlier, later)`` merges two prefixes, so it must be associative."""
    n, step = arrays[0].shape[axis], 1
    while step < n:
        new = combine(xp, tuple(_slab(a, axis, 0, n - step) for a in arrays),
                      tuple(_slab(a, axis, step, n) for a in arrays))
        arrays = tuple(xp.concatenate([_slab(a, axis, 0, step), c], axis)
                       for a, c in zip(arrays, new))
        step *= 2
    return arrays


def _cum_axis(x, dim):
    """The scanned axis (None for a 0-d input, which a scan returns as it is)."""
    axis = _wrap_dim(dim, x._arr.ndim)
    return axis if x._arr.ndim else None


# ---- cumprod: its gradient without dividing by zeros --------------------------------------------

class Cumprod(ArrayFunction):
    node_name = "CumprodBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, axis, dt):
        ctx.save_for_backward(x)
        ctx.axis, ctx.dtype = axis, x._arr.dtype
        if axis is None:
            return x._be.xp.array(x._arr, dtype=dt)
        if dt == x._arr.dtype:  # float16, bfloat16: multiplied in float32, rounded once
            return _dtype.in_opmath(lambda xp, a: xp.cumprod(a, axis=axis), x._be.xp, x._arr)
        return x._be.xp.cumprod(x._arr, axis=axis, dtype=dt)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return _cast(_cumprod_backward(x.to(y.dtype), y, gy, ctx.axis), ctx.dtype)

    @staticmethod
    def array_backward(ctx, gy):
        """The first-order gradient on arrays in O(n), as PyTorch's without grad mode (the
        Tensor-level ``backward`` above stays the differentiable one, for create_graph)."""
        x, y = ctx.saved_arrays
        if ctx.axis is None or y.dtype.type not in (np.float32, np.float64):
            return Cumprod.backward(ctx, _wrap(gy, ctx._be))._arr
        g = _cumprod_grad_array(ctx._be.xp, x.astype(y.dtype, copy=False), y, gy, ctx.axis)
        return g.astype(ctx.dtype, copy=False)


def _cumprod_grad_array(xp, x, y, gy, axis):
    """dx_k = sum_{j >= k} gy_j * prod_{i <= j, i != k} x_i in O(n), without recursion: before
    a slice's first zero z the reversed cumsum of gy * y over x_k; at z the reversed cumsum of
    gy_j * cumprod(x with x_z = 1)_j over z <= j < z2 (the next zero); after z, 0.  The same
    operations in the same order as ``_cumprod_backward``'s values (the same bits)."""
    def rev_cumsum(t):
        return xp.flip(xp.cumsum(xp.flip(t, axis), axis), axis)

    zeros = x == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        g = rev_cumsum(gy * y)
        if not bool(zeros.any()):
            return g / x
        seen = xp.cumsum(zeros, axis=axis, dtype=np.int64)
        before, span = seen == 0, seen == 1
        first = zeros & span
        g = g / xp.where(before, x, 1)
        at_zero = rev_cumsum(xp.where(span, gy * xp.cumprod(xp.where(first, 1, x), axis), 0))
        return xp.where(before, g, xp.where(first, at_zero, 0)).astype(y.dtype, copy=False)


def _cumprod_backward(x, y, gy, axis):
    """dx_k = sum_{j >= k} gy_j * prod_{i <= j, i != k} x_i (y = cumprod(x)). Before a slice's
    first zero z that is the reversed cumsum of gy * y over x_k. From z on it is the same
    gradient for x with x_z taken as 1 (recursively: the later zeros), times x_z after z: an
    identity in x, so the result is differentiable at the zeros too (double backward)."""
    if axis is None:
        return gy
    where = _ew.where

    def rev_cumsum(t):
        return t.flip((axis,)).cumsum(axis).flip((axis,))

    xp, be = x._be.xp, x._be
    zeros = x._arr == 0
    seen = xp.cumsum(zeros, axis=axis)
    before = _wrap(seen == 0, be)
    g = rev_cumsum(gy * y) / where(before, x, 1.0)
    if not bool(zeros.any()):
        return g
    first = _wrap(zeros & (seen == 1), be)
    x_z = where(first, x, 0.0).sum(axis, keepdim=True)  # 0, but it carries x_z's gradient
    x1 = where(first, 1.0, x)
    rest = _cumprod_backward(x1, cumprod(x1, axis), gy, axis)
    return where(before, g, where(first, 1.0, x_z) * rest)


@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def cumprod(input, dim, *, dtype=None):
    """cumprod(input, dim, *, dtype=None) -> Tensor

    Running products along ``dim``: out[i] = input[0] * ... * input[i]; bool and integer inputs
    multiply in int64. Gradient: sum_{j >= i} grad[j] * out[j] / input[i], found without
    dividing by zero (zeros in the input are fine, also for double backward)."""
    return Cumprod.apply(input, _cum_axis(input, dim), _acc_dtype(input, dtype))


def cumprod_(self, dim, *, dtype=None):
    """cumprod_(dim, *, dtype=None) -> Tensor

    cumprod done in place on self; returns self."""
    return inplace(self, lambda t: cumprod(t, dim, dtype=dtype))


# ---- cummax / cummin -----------------------------------------------------------------------------

def _running(xp, name, a, axis):
    """The running ``xp.<name>`` (maximum or minimum: NaN propagates) along ``axis``: NumPy's
    ufunc.accumulate; CuPy's accumulates only add and multiply, so log2(n) doubling steps."""
    ufunc = getattr(xp, name)
    if xp is np:
        return ufunc.accumulate(a, axis=axis)
    return _scan(xp, (a,), axis, lambda xp, e, l: (ufunc(e[0], l[0]),))[0]


class Cummax(ArrayFunction):
    """(values, indices) of the running maximum; gradient: added up at the indices."""
    node_name = "CummaxBackward0"
    extremum = "maximum"

    @classmethod
    def forward(cls, ctx, x, axis):
        xp, a = x._be.xp, x._arr
        if axis is None:
            values, idx = a.copy(), xp.zeros((), dtype=np.int64)
        else:  # the running extremum, then where it was last reached (an index is a hit where
            # the element is the running extremum or NaN; the latest hit so far is the index)
            pos = xp.arange(a.shape[axis], dtype=np.int64).reshape(
                (-1,) + (1,) * (a.ndim - axis - 1))
            out = scan_jit.running(a, axis, cls.extremum == "maximum") if xp is np else None
            if out is None:
                run = _running(xp, cls.extremum, a, axis)
                hit = (a == run) | (a != a)
                idx = _running(xp, "maximum", xp.where(hit, pos, 0), axis)
                values = xp.take_along_axis(a, idx, axis)  # the element (the sign of a zero)
            else:
                values, idx = out
        ctx.idx, ctx.axis = idx, axis
        return values, idx

    @staticmethod
    def backward(ctx, gy, gi):
        if ctx.axis is None:
            return gy
        return gy.new_zeros(gy.shape).scatter_add(ctx.axis, _wrap(ctx.idx, gy._be), gy)

    @staticmethod
    def array_backward(ctx, gy, gi):
        """scatter_add's sums in one compiled pass where there is one, else ``backward``."""
        if ctx.axis is not None and ctx._be.xp is np:
            g = scan_jit.add_at_indices(gy, ctx.idx, ctx.axis)
            if g is not None:
                return g
        return Cummax.backward(ctx, _wrap(gy, ctx._be), None)._arr


class Cummin(Cummax):
    node_name = "CumminBackward0"
    extremum = "minimum"


_cummax_t, _cummin_t = _return_type("cummax"), _return_type("cummin")


def cummax(input, dim):
    """cummax(input, dim) -> (Tensor, LongTensor)

    A named tuple (values, indices) of the running maximum along ``dim`` and where it was
    last reached (ties go to the later index; from the first NaN on, NaN at the latest NaN).
    Gradient: each value's gradient added up at its index."""
    return _cummax_t(*Cummax.apply(input, _cum_axis(input, dim)))


def cummin(input, dim):
    """cummin(input, dim) -> (Tensor, LongTensor)

    A named tuple (values, indices) of the running minimum along ``dim``, as cummax."""
    return _cummin_t(*Cummin.apply(input, _cum_axis(input, dim)))


# ---- logcumsumexp --------------------------------------------------------------------------------

class Logcumsumexp(ArrayFunction):
    node_name = "LogcumsumexpBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.save_for_backward(x)
        ctx.axis = axis
        if axis is None:
            return x._arr.copy()
        out = scan_jit.logcumsumexp(x._arr, axis) if x._be.xp is np else None
        if out is not None:
            return out
        return _dtype.in_opmath(lambda xp, a: _scan(xp, (a,), axis, lambda xp, e, l: (
            xp.logaddexp(e[0], l[0]),))[0], x._be.xp, x._arr)

    @staticmethod
    def backward(ctx, gy):
        """sum_{j >= k} gy_j exp(x_k - y_j), as PyTorch: the positive and negative parts of gy
        each through a reversed logcumsumexp of log|gy| - y, so nothing overflows."""
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            return gy
        where, lowest = _ew.where, float(np.finfo(y._arr.dtype).min)
        log_abs = gy.abs().log()

        def part(mask):
            t = (where(mask, log_abs, lowest) - y).flip((axis,))
            return (logcumsumexp(t, axis).flip((axis,)) + x).exp()
        return part(gy > 0) - part(gy < 0)

    @staticmethod
    def array_backward(ctx, gy):
        """``backward``'s steps on the arrays (the same ops in the same order: the same bits),
        where the compiled scan runs; else ``backward`` itself."""
        x, y = ctx.saved_arrays
        axis, xp = ctx.axis, ctx._be.xp
        if axis is None or xp is not np or not scan_jit.takes_logcumsumexp(y.dtype):
            return Logcumsumexp.backward(ctx, _wrap(gy, ctx._be))._arr
        lowest = np.finfo(y.dtype).min
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_abs = xp.log(xp.abs(gy))

            def part(mask):
                t = xp.flip(xp.where(mask, log_abs, lowest) - y, axis)
                return xp.exp(xp.flip(scan_jit.logcumsumexp(t, axis), axis) + x)
            return part(gy > 0) - part(gy < 0)


def logcumsumexp(input, dim):
    """logcumsumexp(input, dim) -> Tensor

    log(cumsum(exp(input))) along ``dim``, computed without overflow (a scan of logaddexp).
    Floating input only. Gradient: sum over j >= i of grad[j] * exp(input[i] - out[j])."""
    if not _dtype.is_floating(input._arr.dtype):
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return Logcumsumexp.apply(input, _cum_axis(input, dim))


# ---- diff ----------------------------------------------------------------------------------------

def diff(input, n=1, dim=-1, prepend=None, append=None):
    """diff(input, n=1, dim=-1, prepend=None, append=None) -> Tensor

    The n-th forward difference along ``dim``: out[i] = input[i + 1] - input[i], n times, after
    joining ``prepend`` and ``append`` (same number of dims) on either side; bool input gives
    the xor. Gradient: through the subtractions."""
    if not input._arr.ndim:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = _wrap_dim(dim, input._arr.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    for t in parts:
        if t._arr.ndim != input._arr.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        m = x._arr.shape[axis]
        if m == 0:
            break
        hi, lo = x.narrow(axis, 1, m - 1), x.narrow(axis, 0, m - 1)
        x = hi.logical_xor(lo) if x._arr.dtype == np.bool_ else hi - lo
    return input.clone() if x is input else x  # n=0: a copy, as PyTorch


# ---- aminmax -------------------------------------------------------------------------------------

def _aminmax_type():
    cls = collections.namedtuple("aminmax", ["min", "max"])
    cls.__module__ = "gradcore.return_types"
    cls.__repr__ = lambda self: (f"gradcore.return_types.aminmax(\nmin={self.min!r},\n"
                                 f"max={self.max!r})")
    return cls


_aminmax_t = _aminmax_type()


class Aminmax(ArrayFunction):
    """(min, max) over ``axes`` (None: all); each gradient split evenly among the ties."""
    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        a, xp = x._arr, x._be.xp
        lo = xp.asarray(a.min(axis=axes, keepdims=keepdim))
        hi = xp.asarray(a.max(axis=axes, keepdims=keepdim))
        ctx.lo, ctx.hi = lo, hi
        return lo, hi

    @staticmethod
    def backward(ctx, gmin, gmax):
        x, = ctx.saved_tensors
        grads = [ExtremumGrad.apply(x, _wrap(y, x._be), g, ctx.axes, ctx.keepdim)
                 for y, g in ((ctx.lo, gmin), (ctx.hi, gmax)) if g is not None]
        return grads[0] if len(grads) == 1 else grads[0] + grads[1]


def aminmax(input, *, dim=None, keepdim=False):
    """aminmax(input, *, dim=None, keepdim=False) -> (Tensor, Tensor)

    A named tuple (min, max) of all elements, or over the int ``dim``. Gradient: each split
    evenly among the elements equal to it."""
    a = input._arr
    if dim is None:
        if not a.size:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        return _aminmax_t(*Aminmax.apply(input, None, keepdim))
    axis = _wrap_dim(dim, a.ndim)
    if a.ndim and not a.shape[axis]:
        raise IndexError(f"aminmax: Expected reduction dim {axis} to have non-zero size.")
    return _aminmax_t(*Aminmax.apply(input, _axes(axis, a.ndim), keepdim))


# ---- nansum / nanmean ----------------------------------------------------------------------------

class Nansum(ArrayFunction):
    node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, dt):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim, ctx.dtype = axes, keepdim, x._arr.dtype
        if dt is None or dt == x._arr.dtype:  # float16, bfloat16: accumulated in float32
            return _dtype.in_opmath(lambda xp, a: xp.asarray(xp.nansum(a, axis=axes,
                                                                       keepdims=keepdim)),
                                    x._be.xp, x._arr)
        return x._be.xp.asarray(x._be.xp.nansum(x._arr, axis=axes, keepdims=keepdim, dtype=dt))

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        g = SumGrad.apply(gy, x._arr.shape, ctx.axes, ctx.keepdim)
        return _cast(g * x.isnan().logical_not(), ctx.dtype)  # inf * 0: NaN, as PyTorch


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """nansum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor

    sum, with NaN counted as zero; bool and integer inputs sum in int64. Gradient: sum's,
    times zero at the NaNs."""
    axes = _axes(dim, input._arr.ndim)
    return Nansum.apply(input, axes, keepdim, _acc_dtype(input, dtype))


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """nanmean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor

    The mean of the non-NaN elements (nan where there are none): nansum over their count.
    Floating input only."""
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {input.dtype.scalar_name}")
    count = sum(input.isnan().logical_not(), dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


# ---- var_mean / std_mean -------------------------------------------------------------------------

class VarMean(ArrayFunction):
    """(var, mean) in one node; gradient: var's plus mean's."""
    node_name = "VarMeanBackward0"
    label = "var_mean"

    @classmethod
    def forward(cls, ctx, x, axes, correction, keepdim):
        ctx.save_for_backward(x)
        ctx.params = (axes, correction, keepdim)
        def var_mean(xp, a):  # float16, bfloat16: in float32, rounded once
            v = _var_array(cls.label, a, axes, correction, keepdim)
            return cls.finish(xp, v), xp.asarray(a.mean(axis=axes, keepdims=keepdim))
        return _dtype.in_opmath(var_mean, x._be.xp, x._arr)

    finish = staticmethod(lambda xp, v: v)

    @classmethod
    def backward(cls, ctx, gv, gm):
        x, = ctx.saved_tensors
        axes, correction, keepdim = ctx.params
        g = None
        if gv is not None:
            g = cls.spread(x, gv, ctx.params)
        if gm is not None:
            gmean = MeanGrad.apply(gm, x._arr.shape, axes, keepdim)
            g = gmean if g is None else g + gmean
        return g

    spread = staticmethod(lambda x, gv, params: _var_backward(x, gv, *params))


def _std_spread(x, gs, params):
    axes, correction, keepdim = params
    y = Std.apply(x, axes, correction, keepdim)
    return _var_backward(x, gs / (2 * _ew.where(y == 0, 1.0, y)), *params)


class StdMean(VarMean):
    node_name = "StdMeanBackward0"
    label = "std_mean"
    finish = staticmethod(lambda xp, v: xp.sqrt(v))
    spread = staticmethod(_std_spread)


def _moments(cls, input, dim, unbiased, keepdim, correction):
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"{cls.label} only support floating point and complex dtypes")
    return _var_std(cls, cls.label, input, dim, unbiased, keepdim, correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None)
        -> (Tensor, Tensor)

    (var(input, dim, ...), mean(input, dim, keepdim)) in one pass, with var's ``correction``
    and ``unbiased``."""
    return _moments(VarMean, input, dim, unbiased, keepdim, correction)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None)
        -> (Tensor, Tensor)

    (std(input, dim, ...), mean(input, dim, keepdim)) in one pass, with std's ``correction``
    and ``unbiased``. Gradient: std's (0 where the std is 0) plus mean's."""
    return _moments(StdMean, input, dim, unbiased, keepdim, correction)



# ---- the trapezoidal rule; cov, corrcoef, dist: compositions of differentiable ops ----------

def _spacing(name, y, x, dx, dim):
    """(dim, the widths along dim: a tensor broadcasting against y's, or a number)."""
    d = _wrap_dim(dim, y.dim())
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"Tensor, dx={type(dx).__name__}), but expected one of:\n"
                        " * (Tensor y, Tensor x, *, int dim = -1)\n"
                        " * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    if x is None:
        return d, 1 if dx is None else dx
    if x.dim() == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        widths = x.diff()
        return d, widths.reshape((-1,) + (1,) * (y.dim() - 1 - d))
    return d, x.diff(dim=dim)


def _floating(y):
    if y.dtype.is_floating_point or y.dtype.is_complex:
        return y
    return y.to(_dtype.get_default_dtype())


def _pairs(y, d):
    n = y.shape[d]
    return y.narrow(d, 1, n - 1), y.narrow(d, 0, n - 1)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The trapezoidal rule along dim, with sample points x (1-D, or y's shape) or a constant
    spacing dx (default 1); integer y gives the default float dtype."""
    d, w = _spacing("trapezoid", y, x, dx, dim)
    y = _floating(y)
    if y.shape[d] == 0:
        return y.sum(d) * 0
    hi, lo = _pairs(y, d)
    return ((hi + lo) * w).sum(d) * 0.5


def trapz(y, x=None, *, dx=None, dim=-1):
    """trapz(y, x=None, *, dx=None, dim=-1) -> Tensor

    trapezoid under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The running trapezoidal rule along dim (one element fewer than y there)."""
    d, w = _spacing("cumulative_trapezoid", y, x, dx, dim)
    y = _floating(y)
    if y.shape[d] == 0:
        return y
    hi, lo = _pairs(y, d)
    return ((hi + lo) * w * 0.5).cumsum(d)


def cov(input, *, correction=1, fweights=None, aweights=None, _name="cov"):
    """cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor

    The covariance matrix of input's rows (variables) over its columns (observations), with
    frequency and/or observation weights, as PyTorch computes it (its checks and warning)."""
    if isinstance(correction, bool) or not isinstance(correction, int):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    if input.dim() > 2:
        raise RuntimeError(f"{_name}(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.dim()} dimensions")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.dim() > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but "
                               f"got {name} with {wt.dim()} dimensions")
        if wt.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {n}")
        if name == "fweights" and wt.dtype.is_floating_point:
            raise RuntimeError("cov(): expected fweights to have integral dtype but got "
                               f"fweights with {wt.dtype.scalar_name} dtype")
        if name == "aweights" and not wt.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype but "
                               f"got aweights with {wt.dtype.scalar_name} dtype")
        w = wt if w is None else w * wt
    w_sum = w.sum() if w is not None else n
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    norm_value = float(norm)
    if norm_value <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", RuntimeWarning, stacklevel=2)
        norm = norm * 0 if not isinstance(norm, (int, float)) else 0
    x = _floating(x)
    avg = (x * w if w is not None else x).sum(1) / w_sum
    x = x - avg.unsqueeze(1)
    c = x.matmul((x * w if w is not None else x).t().conj())
    return (c / norm).squeeze()


def corrcoef(input):
    """corrcoef(input) -> Tensor

    The Pearson correlation coefficients of input's rows (cov normalised by the standard
    deviations, clipped to [-1, 1])."""
    c = cov(input, _name="corrcoef")
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c if c.dtype.is_complex else c.clamp(-1, 1)
@autocast_op(cuda=FP32)
def dist(input, other, p=2):
    """dist(input, other, p=2) -> Tensor

    The p-norm of input - other (broadcast), flattened.  Gradient: the norm's."""
    return (input - other).norm(p)
@autocast_op(cuda=FP32)
def renorm(input, p, dim, maxnorm):
    """renorm(input, p, dim, maxnorm) -> Tensor

    Each slice of input along dim whose p-norm exceeds maxnorm scaled down to norm maxnorm
    (by maxnorm / (norm + 1e-7), as PyTorch).  Gradient: through the norm and the scale."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} "
                           f"dimensions")
    d = _wrap_dim(dim, input.dim())
    others = tuple(i for i in range(input.dim()) if i != d)
    norm = input.abs().pow(p).sum(others, keepdim=True).pow(1.0 / p) if p != 2 else \
        (input * input).sum(others, keepdim=True).sqrt()
    factor = _ew.where(norm > maxnorm, maxnorm / (norm + 1e-7), norm * 0 + 1)
    return input * factor


def renorm_(self, p, dim, maxnorm):
    """renorm_(p, dim, maxnorm) -> Tensor

    renorm done in place on self; returns self."""
    return inplace(self, lambda t: renorm(t, p, dim, maxnorm))

METHODS = {"cumprod": cumprod, "cumprod_": cumprod_, "cummax": cummax, "cummin": cummin,
           "logcumsumexp": logcumsumexp, "diff": diff, "aminmax": aminmax, "nansum": nansum,
           "nanmean": nanmean, "cov": cov, "corrcoef": corrcoef, "dist": dist,
           "renorm": renorm, "renorm_": renorm_}
FUNCTIONS = {k: v for k, v in METHODS.items() if k not in ("cumprod_", "renorm_")}
FUNCTIONS.update(var_mean=var_mean, std_mean=std_mean, trapezoid=trapezoid, trapz=trapz,
                 cumulative_trapezoid=cumulative_trapezoid)
