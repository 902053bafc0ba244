"""Reductions: sum and mean (more come in reduction ops below), with ``dim`` as an int or a
tuple and ``keepdim``.  Backward kernels broadcast the gradient back (``sum_backward``...)."""
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import _wrap_dim


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


class SumGrad(ArrayFunction):
    """Broadcast a reduction's gradient back to the input shape: the backward of sum."""
    node_name = "SumBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return gy._be.sum_backward(gy._arr, shape, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return sum(gg, ctx.axes, ctx.keepdim) if ctx.axes is not None else sum(gg)


class Sum(ArrayFunction):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim, dt):
        ctx.shape, ctx.axes, ctx.keepdim = x._arr.shape, axes, keepdim
        return x._arr.sum(axis=axes, keepdims=keepdim, dtype=dt)

    @staticmethod
    def backward(ctx, gy):
        return SumGrad.apply(gy, ctx.shape, ctx.axes, ctx.keepdim)


class SumAll(Sum):
    node_name = "SumBackward0"


def _acc_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x._arr.dtype.kind in "biu":
        return _dtype.int64.np
    return x._arr.dtype


def sum(input, dim=None, keepdim=False, *, dtype=None):
    axes = _axes(dim, input._arr.ndim)
    dt = _acc_dtype(input, dtype)
    if axes is None:
        return SumAll.apply(input, None, keepdim, dt)
    return Sum.apply(input, axes, keepdim, dt)


class MeanGrad(SumGrad):
    node_name = "MeanBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return gy._be.mean_backward(gy._arr, shape, axes, keepdim)

    @staticmethod
    def backward(ctx, gg):
        return mean(gg, ctx.axes, ctx.keepdim) if ctx.axes is not None else mean(gg)


class Mean(ArrayFunction):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x._arr.shape, axes, keepdim
        return x._arr.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, gy):
        return MeanGrad.apply(gy, ctx.shape, ctx.axes, ctx.keepdim)


class MeanAll(Mean):
    node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._arr.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name.capitalize()}")
    axes = _axes(dim, input._arr.ndim)
    if axes is None:
        return MeanAll.apply(input, None, keepdim)
    return Mean.apply(input, axes, keepdim)


METHODS = {"sum": sum, "mean": mean}
FUNCTIONS = dict(METHODS)
