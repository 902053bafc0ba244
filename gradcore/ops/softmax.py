"""softmax and log_softmax along a dim, numerically stable (the max is subtracted first).

Their backward passes are registered kernels (``softmax_backward`` / ``log_softmax_backward``:
a warp per row or a thread per column on CUDA); each kernel's reference is also the op's
create_graph backward, so double backward needs nothing more.
"""
import numpy as np

from .._autocast import FP32_SET_OPT_DTYPE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..backend.kernels import kernel
from ..tensor import _wrap_dim
from .declare import TENSOR


def _reduce_keep(F, ufunc, a, axis):
    """``ufunc`` (np.add or np.maximum) reduced over axis with keepdims: on a NumPy array
    directly, without np.sum's / ndarray.max's Python wrappers (~2-3 us on a tiny array);
    else ``F.sum`` / ``a.max`` (CuPy arrays, Tensors)."""
    if type(a) is np.ndarray:
        return ufunc.reduce(a, axis=axis, keepdims=True)
    if ufunc is np.add:
        return F.sum(a, axis=axis, keepdims=True)
    return a.max(axis=axis, keepdims=True)


def _shifted(xp, a, axis):
    """a - max(a) along axis (an all -inf slice stays -inf - -inf = nan, as PyTorch)."""
    return a - _reduce_keep(xp, np.maximum, a, axis)


# No np.errstate here (~1.5 us a call): an all -inf slice's nan warns from this module, which
# gradcore/__init__'s filter silences; where a filter makes it an error, apply reruns quietly.
def _softmax(xp, a, axis):
    e = xp.exp(_shifted(xp, a, axis))
    e /= _reduce_keep(xp, np.add, e, axis)  # (in place: e is this function's own array)
    return e


def _log_softmax(xp, a, axis):
    s = _shifted(xp, a, axis)
    s -= xp.log(_reduce_keep(xp, np.add, xp.exp(s), axis))
    return s


@kernel("softmax", dtypes="fd")
def softmax_backward(F, y, gy, axis):
    """y * (gy - sum(gy * y)) along axis, from the output y."""
    gyy = gy * y
    return gyy - y * _reduce_keep(F, np.add, gyy, axis)


@kernel("softmax", dtypes="fd")
def log_softmax_backward(F, y, gy, axis):
    """gy - exp(y) * sum(gy) along axis, from the output y."""
    return gy - F.exp(y) * _reduce_keep(F, np.add, gy, axis)


class Softmax(ArrayFunction):
    node_name = "SoftmaxBackward0"
    save_output = True
    grad = softmax_backward  # its backward: a kernel of the saved output (LogSoftmax's too)

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp, a = x._be.xp, x._arr
        if not a.size:
            return a.copy()
        return _dtype.in_opmath(_softmax, xp, a, axis)

    @classmethod
    def backward(cls, ctx, gy):
        y, = ctx.saved_tensors
        return cls.grad.reference(TENSOR, y, gy, ctx.axis)

    @classmethod
    def array_backward(cls, ctx, gy):  # float16, bfloat16: in float32, rounded once (PyTorch)
        y, = ctx.saved_arrays
        be, grad, axis = ctx._be, cls.grad, ctx.axis
        if gy.dtype.char in _dtype.REDUCED_CHARS:
            return _dtype.in_opmath(lambda xp, y, gy: grad(be, y, gy, axis), be.xp, y, gy)
        return grad(be, y, gy, axis)


class LogSoftmax(Softmax):
    node_name = "LogSoftmaxBackward0"
    grad = log_softmax_backward

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp, a = x._be.xp, x._arr
        if not a.size:
            return a.copy()
        return _dtype.in_opmath(_log_softmax, xp, a, axis)


def _apply(cls, name, x, dim, dtype):
    if dtype is not None:
        x = x.to(dtype)
    n = x._arr.ndim
    axis = _wrap_dim(dim, n)
    if not _dtype.is_floating(x._arr.dtype):
        kernel = f"{name}_lastdim_kernel_impl" if axis == max(n - 1, 0) else f"{name}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{x.dtype.scalar_name}\'')
    return cls.apply(x, axis if n else None)
@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def softmax(input, dim, dtype=None):
    """softmax(input, dim, dtype=None) -> Tensor

    exp(input) / sum(exp(input)) along ``dim`` (required): each slice along ``dim`` becomes
    positive and sums to 1, computed with the max subtracted first.  ``dtype`` casts the input
    first; floating inputs only.  Derivative: y * (gy - sum(gy * y, dim)), from the output y."""
    return _apply(Softmax, "softmax", input, dim, dtype)
@autocast_op(cuda=FP32_SET_OPT_DTYPE)
def log_softmax(input, dim, dtype=None):
    """log_softmax(input, dim, dtype=None) -> Tensor

    log(softmax(input, dim)), computed stably as input - max - log(sum(exp(input - max))) along
    ``dim`` (required).  ``dtype`` casts the input first; floating inputs only.
    Derivative: gy - exp(y) * sum(gy, dim), from the output y."""
    return _apply(LogSoftmax, "log_softmax", input, dim, dtype)


METHODS = {"softmax": softmax, "log_softmax": log_softmax}
FUNCTIONS = dict(METHODS)
