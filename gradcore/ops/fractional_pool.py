"""Fractional max pooling (Graham, 2014): fractional_max_pool2d / 3d.

Each plane's windows start where PyTorch's ``generate_intervals`` puts them, from one sample
in [0, 1) per plane and spatial dim (``_random_samples`` (N, C, d), drawn with ``rand`` when
not given; in 2-d sample 0 places the width's windows and sample 1 the height's, in 3-d
samples 0, 1, 2 the time's, height's and width's, as PyTorch's kernels); ops/windows.py's
``fractional_intervals`` and ``fractional_max_pool`` do the array math.  The backward is
max pooling's: each gradient scattered to its maximum's element (ops/conv.py's
``_MaxPoolGrad``, whose backward is the gather again), under PyTorch's node names.
"""
import numbers

from .._autocast import FP32, autocast_op
from ..autograd.function import ArrayFunction
from . import factories, windows
from .conv import _MaxPoolGrad, _batched, _list


class FractionalMaxPool2d(ArrayFunction):
    node_name = "FractionalMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, samples, kernel, out):
        a, nd = x._arr, len(kernel)
        xp = x._be.xp
        xb = _batched(a, nd)
        N, sizes = xb.shape[0], xb.shape[2:]
        u = samples._arr[:N]
        order = _SAMPLE_ORDER[nd]
        starts = [windows.fractional_intervals(xp, u[..., order[i]], n, o, k)
                  for i, (n, o, k) in enumerate(zip(sizes, out, kernel))]
        y, idx = windows.fractional_max_pool(xp, xb, starts, kernel)
        y, idx = y.reshape(a.shape[:-nd] + out), idx.reshape(a.shape[:-nd] + out)
        ctx.args = (idx, a.shape, True, nd, _GRAD[nd])
        return y, idx

    @staticmethod
    def backward(ctx, gy, _gidx):
        return (None if gy is None else ctx.args[-1].apply(gy, *ctx.args)), None


class FractionalMaxPool3d(FractionalMaxPool2d):
    node_name = "FractionalMaxPool3DBackward0"


class _FractionalMaxPool2dGrad(_MaxPoolGrad):
    node_name = "FractionalMaxPool2DBackwardBackward0"


class _FractionalMaxPool3dGrad(_MaxPoolGrad):
    node_name = "FractionalMaxPool3DBackwardBackward0"


_GRAD = {2: _FractionalMaxPool2dGrad, 3: _FractionalMaxPool3dGrad}
_SAMPLE_ORDER = {2: (1, 0), 3: (0, 1, 2)}  # which sample each spatial dim takes, as PyTorch
_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _ints(value, nd):
    """An int repeated nd times, or a sequence's ints as they are (PyTorch's IntArrayRef[nd]:
    a 1-element sequence is not broadcast, the length check refuses it)."""
    if isinstance(value, numbers.Integral):
        return [int(value)] * nd
    return [int(n) for n in _list(value)]


def _fractional_max_poolnd(nd, input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples):
    """PyTorch's fractional_max_pool2d / 3d (nd): its Python wrapper and its checks."""
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:  # a bare number: PyTorch's TypeError too
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = ([output_ratio] * nd if isinstance(output_ratio, numbers.Real)
                 else list(output_ratio))
        if len(ratio) < nd:  # PyTorch's wrapper indexes _pair / _triple's result
            raise IndexError("tuple index out of range")
        output_size = [int(input.size(i - nd) * r) for i, r in enumerate(ratio[:nd])]
    if _random_samples is None:
        n_batch = 1 if input.dim() == nd + 1 else input.size(0)
        _random_samples = factories.rand(n_batch, input.size(-nd - 1), nd, dtype=input.dtype,
                                         device=input.device)
    ints = "tuple of Ints" if nd == 2 else "tuple of three Ints"
    kernel, out = _ints(kernel_size, nd), _ints(output_size, nd)
    if len(kernel) != nd:
        raise RuntimeError(f"{name}: kernel_size must either be a single Int or {ints}")
    if len(out) != nd:
        raise RuntimeError(f"{name}: output_size must either be a single Int or {ints}")
    where = name + ("()" if nd == 2 else "_out()")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}: Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(input.shape)} with dimension {i} "
                               "being empty.")
    sizes = input.shape[-nd:]
    for dim, n, o, k in zip(_DIMS[nd], sizes, out, kernel):
        if o + k - 1 > n or nd == 3 and o + k - 1 == n:  # PyTorch's 3-d check is strict
            raise RuntimeError(f"{where}: pool {dim} {k} too large relative to input {dim} {n}")
    samples = _random_samples
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    batch = 1 if input.dim() == nd + 1 else input.shape[0]
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != input.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.shape[2]}.")
    if not input.is_floating_point():
        raise NotImplementedError(f'"{name}_out_frame" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    fn = FractionalMaxPool2d if nd == 2 else FractionalMaxPool3d
    y, idx = fn.apply(input, samples.detach(), tuple(kernel), tuple(out))
    return (y, idx) if return_indices else y


@autocast_op(cpu=FP32)
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None) -> Tensor

    Fractional max pooling of input (N, C, H, W) or (C, H, W): kernel_size windows at
    pseudo-random strides giving ``output_size`` (or input size times ``output_ratio``);
    ``_random_samples`` (N, C, 2) in [0, 1) places them (drawn when None); (output,
    indices) when return_indices."""
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio,
                                  return_indices, _random_samples)


@autocast_op(cpu=FP32)
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None) -> Tensor

    Fractional max pooling of input (N, C, T, H, W) or (C, T, H, W), as fractional_max_pool2d
    with ``_random_samples`` (N, C, 3); (output, indices) when return_indices."""
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio,
                                  return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,
    output_ratio=None, return_indices=False, _random_samples=None) -> (Tensor, Tensor)

    fractional_max_pool2d's (output, indices)."""
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio, True,
                                  _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,
    output_ratio=None, return_indices=False, _random_samples=None) -> (Tensor, Tensor)

    fractional_max_pool3d's (output, indices)."""
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio, True,
                                  _random_samples)


METHODS = {}
FUNCTIONS = {}
FUNCTIONAL = {f.__name__: f for f in (
    fractional_max_pool2d, fractional_max_pool3d, fractional_max_pool2d_with_indices,
    fractional_max_pool3d_with_indices)}
