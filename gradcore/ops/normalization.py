"""The ops behind nn's layers: linear, layer_norm, batch_norm, group_norm, instance_norm,
rms_norm, local_response_norm, normalize, embedding.

* linear is matmul / addmm, so the graph has PyTorch's node names: AddmmBackward0 for 2-D
  input (one node: the weight's transpose is folded in, linalg.Linear), a ViewBackward0 over
  it for other contiguous input, MmBackward0 etc. without bias.
* layer_norm, batch_norm and group_norm are one node each (NativeLayerNormBackward0 /
  NativeBatchNormBackward0 / NativeGroupNormBackward0): forward on arrays; backward in Tensor
  ops (_normalize_backward; group_norm views x as (N, G, C / G, rest) for it).  The
  first-order backward uses the mean and 1/std saved by forward; when a graph of the backward
  is being built (create_graph) it recomputes them from the saved input, so double backward
  is exact.
* instance_norm is PyTorch's: batch_norm over the input viewed as (1, N * C, *), the running
  statistics repeated N times and averaged back.  rms_norm, local_response_norm and normalize
  are composites of Tensor ops, as in PyTorch (their nodes are Mul / Div).
* embedding gathers rows; its backward is indexing's scatter-add (IndexGrad).
"""
import math

import numpy as np

from .. import _dtype
from .._info import finfo
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state
from ..sparse import CooArray
from ..tensor import Tensor, _wrap
from . import elementwise as E, linalg
from .indexing import IndexGrad, _index_on, _on
from .resample import pad
from .shape import sum_to


# ---- linear --------------------------------------------------------------------------------

def linear(input, weight, bias=None):
    """linear(input, weight, bias=None) -> Tensor

    ``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features),
    bias (out_features,) or None; the result is (*, out_features)."""
    if bias is None:
        return linalg.matmul(input, weight.t())
    if input.ndim == 2:
        return linalg.linear_addmm(bias, input, weight)
    if input.ndim and input.is_contiguous():  # PyTorch folds the batch into addmm's rows
        out = linalg.linear_addmm(bias, input.reshape(-1, input.shape[-1]), weight)
        return out.view(*input.shape[:-1], out.shape[-1])
    return linalg.matmul(input, weight.t()) + bias


# ---- layer_norm / batch_norm: one node each -------------------------------------------------

def _opmath(dt):
    """The dtype the statistics are computed in (float16, bfloat16: float32, as PyTorch)."""
    return _dtype.from_numpy_dtype(_dtype.opmath(dt.np))


def _moments(a, axes):
    mean = a.mean(axis=axes, keepdims=True)
    xc = a - mean
    return mean, (xc * xc).mean(axis=axes, keepdims=True)


class _Normalize(ArrayFunction):
    """y = (x - mean) * rstd * weight + bias, with mean and rstd given as arrays shaped to
    broadcast against x.  ``batch_stats``: they are x's own statistics over ``axes`` (so they
    depend on x); otherwise they are constants (batch_norm in eval mode).  weight and bias have
    ``wshape`` once reshaped (the normalized shape, or (1, C, 1, ...))."""

    @staticmethod
    def forward(ctx, x, w, b, axes, wshape, mean, rstd, batch_stats, eps):
        ctx.save_for_backward(x, w)
        ctx.axes, ctx.wshape, ctx.stats, ctx.batch_stats, ctx.eps = (
            axes, wshape, (mean, rstd), batch_stats, eps)
        ctx.b_meta = None if b is None else (b._arr.shape, b.dtype)
        return _normalize_array(x._arr, w, b, wshape, mean, rstd)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        return _normalize_backward(ctx, x, w, gy)


def _normalize_array(a, w, b, wshape, mean, rstd):
    """(a - mean) * rstd * weight + bias on arrays (half precision computed in float32)."""
    dt = a.dtype
    a = a.astype(_dtype.opmath(dt), copy=False)
    y = (a - mean) * rstd
    if w is not None:
        y = y * w._arr.reshape(wshape)
    if b is not None:
        y = y + b._arr.reshape(wshape)
    return y.astype(dt, copy=False)


def _normalize_backward(ctx, x, w, gy):
    """_Normalize's gradients for x (shaped as forward normalized it), weight and bias."""
    needs = list(ctx.needs_input_grad)
    need_x = needs.pop(0)
    need_w = w is not None and needs.pop(0)
    need_b = ctx.b_meta is not None and needs.pop(0)
    op = _opmath(x.dtype)
    x_, gy_ = x.to(op), gy.to(op)
    xhat, rstd = _normalized(ctx, x_)
    gx = gw = gb = None
    if need_x:
        g = gy_ if w is None else gy_ * w.to(op).reshape(ctx.wshape)
        if ctx.batch_stats:
            axes = ctx.axes
            gx = rstd * (g - g.mean(axes, True) - xhat * (g * xhat).mean(axes, True))
        else:
            gx = g * rstd
        gx = gx.to(x.dtype)
    if need_w:
        gw = sum_to(gy_ * xhat, ctx.wshape).reshape(w.shape).to(w.dtype)
    if need_b:
        b_shape, b_dtype = ctx.b_meta
        gb = sum_to(gy_, ctx.wshape).reshape(b_shape).to(b_dtype)
    out = (gx,) + ((gw,) if w is not None else ()) + ((gb,) if ctx.b_meta else ())
    return out if len(out) > 1 else gx


def _normalized(ctx, x):
    """(xhat, rstd) as Tensors: recomputed from x when building a graph of the backward and
    the statistics depend on x; else from the arrays forward saved."""
    be = x._be
    if ctx.batch_stats and _state.enabled:
        mean = x.mean(ctx.axes, True)
        xc = x - mean
        rstd = E.rsqrt((xc * xc).mean(ctx.axes, True) + ctx.eps)
        return xc * rstd, rstd
    mean, rstd = (_wrap(s, be) for s in ctx.stats)
    return (x - mean) * rstd, rstd


class NativeLayerNorm(_Normalize):
    node_name = "NativeLayerNormBackward0"


class NativeBatchNorm(_Normalize):
    node_name = "NativeBatchNormBackward0"


def _rstd(xp, var, eps):
    return 1 / xp.sqrt(var + eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05) -> Tensor

    (x - mean) / sqrt(var + eps) * weight + bias, the mean and biased variance taken over the
    last len(normalized_shape) dims, which must equal ``normalized_shape`` (an int or a
    sequence); weight and bias, when given, have that shape.  Floating inputs only (half
    precision computes the statistics in float32)."""
    shape = ((normalized_shape,) if isinstance(normalized_shape, int)
             else tuple(int(n) for n in normalized_shape))
    k = len(shape)
    if not k:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    n = input.ndim
    if n < k or tuple(input.shape[n - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"\"LayerNormKernelImpl\" not implemented for "
                           f"'{input.dtype.scalar_name}'")
    axes = tuple(range(n - k, n))
    a = input._arr.astype(_opmath(input.dtype).np, copy=False)
    mean, var = _moments(a, axes)
    return NativeLayerNorm.apply(input, weight, bias, axes, shape, mean,
                                 _rstd(input._be.xp, var, eps), True, eps)


def _verify_batch_size(size):
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
        momentum=0.1, eps=1e-05) -> Tensor

    Normalize each channel (dim 1 of (N, C, ...)) by the batch's statistics (training) or the
    running ones, then scale by weight and shift by bias (each (C,) or None).  In training the
    running statistics, when given, are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the unbiased batch variance
    (normalizing uses the biased one)."""
    size = input.shape
    if training:
        _verify_batch_size(size)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.size(1)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            _check_channels(name, t, c)
        elif not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _check_channels(name, t, c)
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"\"batch_norm\" not implemented for '{input.dtype.scalar_name}'")
    xp = input._be.xp
    axes = (0,) + tuple(range(2, input.ndim))
    wshape = (1, c) + (1,) * (input.ndim - 2)
    op = _opmath(input.dtype).np
    if training:
        mean, var = _moments(input._arr.astype(op, copy=False), axes)
        if running_mean is not None or running_var is not None:
            n = input.numel() // c
            _update_stats(running_mean, mean, momentum)
            _update_stats(running_var, var * (n / max(n - 1, 1)), momentum)
    else:
        mean = _on(input, running_mean).astype(op).reshape(wshape)
        var = _on(input, running_var).astype(op).reshape(wshape)
    return NativeBatchNorm.apply(input, weight, bias, axes, wshape, mean, _rstd(xp, var, eps),
                                 training, eps)


def _check_channels(name, t, c):
    if t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _update_stats(running, batch, momentum):
    """running <- momentum * batch + (1 - momentum) * running, in place (not recorded)."""
    if running is None:
        return
    arr = running._arr
    new = momentum * batch.reshape(arr.shape) + (1 - momentum) * arr
    arr[...] = new.astype(arr.dtype, copy=False)
    running._bump_version()


# ---- group_norm / instance_norm / rms_norm / local_response_norm / normalize ---------------

class NativeGroupNorm(ArrayFunction):
    """group_norm as _Normalize over x viewed as (N, G, C / G, rest): the statistics over
    the last two dims, weight and bias per channel (shaped (1, G, C / G, 1))."""
    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, groups, eps):
        ctx.save_for_backward(x, w)
        a = x._arr
        gshape = (a.shape[0], groups, a.shape[1] // groups, math.prod(a.shape[2:]))
        ar = a.reshape(gshape)
        mean, var = _moments(ar.astype(_opmath(x.dtype).np, copy=False), (2, 3))
        rstd = _rstd(x._be.xp, var, eps)
        wshape = (1, groups, a.shape[1] // groups, 1)
        ctx.axes, ctx.wshape, ctx.stats, ctx.batch_stats, ctx.eps = (
            (2, 3), wshape, (mean, rstd), True, eps)
        ctx.gshape = gshape
        ctx.b_meta = None if b is None else (b._arr.shape, b.dtype)
        return _normalize_array(ar, w, b, wshape, mean, rstd).reshape(a.shape)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        out = _normalize_backward(ctx, x.reshape(ctx.gshape), w, gy.reshape(ctx.gshape))
        if isinstance(out, tuple):
            return (None if out[0] is None else out[0].reshape(x.shape),) + out[1:]
        return out.reshape(x.shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """group_norm(input, num_groups, weight=None, bias=None, eps=1e-05) -> Tensor

    Split the C channels of (N, C, *) input into num_groups groups and normalize each group
    of each sample by its mean and biased variance; then scale and shift per channel by
    weight and bias ((C,) or None)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.shape[0] * input.shape[1] // num_groups, num_groups]
                       + list(input.shape[2:]))
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"\"GroupNormKernelImpl\" not implemented for "
                           f"'{input.dtype.scalar_name}'")
    return NativeGroupNorm.apply(input, weight, bias, num_groups, eps)


def _verify_spatial_size(size):
    n = 1
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(size)})")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
        use_input_stats=True, momentum=0.1, eps=1e-05) -> Tensor

    Normalize each channel of each sample of (N, C, *) input by its own mean and biased
    variance (use_input_stats) or by the running statistics; weight and bias per channel.
    With use_input_stats the running statistics, when given, move towards the batch's
    average of the per-sample statistics (unbiased variances), as PyTorch: batch_norm over
    the input viewed as (1, N * C, *)."""
    if use_input_stats:
        _verify_spatial_size(input.shape)
    b, c = input.shape[0], input.shape[1]
    shape = (1, b * c) + tuple(input.shape[2:])
    x = input.contiguous().view(*shape)

    def rep(t):
        return None if t is None else t.repeat(b)
    rm, rv = (None if t is None else rep(t.detach()) for t in (running_mean, running_var))
    out = batch_norm(x, rm, rv, rep(weight), rep(bias), use_input_stats, momentum, eps)
    for run, new in ((running_mean, rm), (running_var, rv)):
        if run is not None:
            arr = run._arr
            arr[...] = new._arr.reshape(b, c).mean(axis=0).astype(arr.dtype, copy=False)
            run._bump_version()
    return out.view_as(input)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor

    input / sqrt(mean(input^2) + eps) * weight, the mean over the trailing
    ``normalized_shape`` dims; eps=None is the input dtype's machine epsilon."""
    shape = ((normalized_shape,) if isinstance(normalized_shape, int)
             else tuple(int(n) for n in normalized_shape))
    k, n = len(shape), input.ndim
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(shape)}")
    if n < k or tuple(input.shape[n - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"rms_norm\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    if eps is None:
        eps = finfo(input.dtype).eps
    dims = tuple(range(n - k, n))
    op = _opmath(input.dtype)
    x = input.to(op)
    y = (x * E.rsqrt((x * x).mean(dims, True) + eps)).to(input.dtype)
    return y if weight is None else y * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0) -> Tensor

    input / (k + alpha / size * sum of input^2 over ``size`` neighbouring channels)^beta,
    the window over dim 1 of (N, C, *) input, zero-padded by size // 2 before and
    (size - 1) // 2 after."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    c = input.shape[1]
    padded = pad(sq.movedim(1, -1), (size // 2, (size - 1) // 2)).movedim(-1, 1)
    acc = padded.narrow(1, 0, c)
    for i in range(1, size):
        acc = acc + padded.narrow(1, i, c)
    div = (acc / size * alpha + k) ** beta
    return input / div


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """normalize(input, p=2.0, dim=1, eps=1e-12, out=None) -> Tensor

    input / max(||input||_p, eps), the norm along ``dim`` (each slice scaled to unit
    p-norm; ``out=``: nn.functional's, ops/out.py)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


# ---- embedding -----------------------------------------------------------------------------

class Embedding(ArrayFunction):
    """weight[indices]; the gradient scatter-adds rows (``scale``: per-index factors for
    padding_idx (0) and scale_grad_by_freq (1 / count), or None)."""
    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, idx, scale, sparse=None):
        ctx.idx, ctx.shape, ctx.scale, ctx.sparse = idx, weight._arr.shape, scale, sparse
        return weight._arr[idx]

    @staticmethod
    def backward(ctx, gy):
        if ctx.sparse is not None:  # (padding_idx, scale_grad_by_freq): a COO gradient
            return _sparse_embedding_grad(ctx, gy)
        if ctx.scale is not None:
            gy = gy * _wrap(ctx.scale, gy._be)
        return IndexGrad.apply(gy, ctx.shape, (ctx.idx,))


def _sparse_embedding_grad(ctx, gy):
    """PyTorch's embedding_sparse_backward: indices = the looked-up rows (1, n), values =
    the output gradient's rows, the padding_idx entries left out; not coalesced."""
    padding_idx, by_freq = ctx.sparse
    if by_freq:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                           "gradients")
    be = gy._be
    idx = ctx.idx.reshape(-1)
    values = gy._arr.reshape(-1, ctx.shape[1])
    if padding_idx is not None:
        keep = idx != padding_idx
        idx, values = idx[keep], values[keep]
    coo = CooArray(idx.astype(np.int64).reshape(1, -1), values, ctx.shape, False, be)
    return _wrap(coo, be)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
        scale_grad_by_freq=False, sparse=False) -> Tensor

    Look up rows of ``weight`` (num_embeddings, dim) at the integer indices ``input`` (int64 or
    int32, any shape): the result is input.shape + (dim,).  The gradient adds each output
    row's gradient into its weight row; padding_idx's row gets none; scale_grad_by_freq
    divides by how often each index occurs in the batch.  max_norm renormalizes the looked-up
    rows of weight in place (norm_type norm); sparse=True makes weight's gradient a sparse
    COO tensor (the looked-up rows, uncoalesced, padding_idx's left out)."""
    if not isinstance(input, Tensor) or input._arr.dtype not in (np.int64, np.int32):
        got = input.type() if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {got} instead (while "
                           f"checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    padding_idx = _padding_index(padding_idx, num)
    idx = _index_on(weight, input)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    if sparse:  # the gradient is a COO tensor (its node checks scale_grad_by_freq)
        return Embedding.apply(weight, idx, None, (padding_idx, scale_grad_by_freq))
    scale = None
    if padding_idx is not None or scale_grad_by_freq:
        xp = weight._be.xp
        scale = xp.ones(idx.shape, dtype=weight._arr.dtype)
        if scale_grad_by_freq:
            counts = xp.bincount(idx.reshape(-1), minlength=num)
            scale = scale / counts[idx]
        if padding_idx is not None:
            scale = scale * (idx != padding_idx)
        scale = scale.astype(weight._arr.dtype, copy=False)[..., None]
    return Embedding.apply(weight, idx, scale)


def _padding_index(padding_idx, num):
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _embedding_renorm_(weight, idx, max_norm, norm_type):
    """Rows of ``weight`` used by ``idx`` whose norm exceeds max_norm are scaled down to it,
    in place and unrecorded (PyTorch's embedding_renorm_)."""
    xp = weight._be.xp
    rows = xp.unique(idx.reshape(-1))
    w = weight._arr[rows]
    a = xp.abs(w)
    if norm_type == float("inf"):
        norms = a.max(axis=1)
    else:
        norms = (a ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    factor = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    weight._arr[rows] = w * factor[:, None]
    weight._bump_version()


METHODS = {}
FUNCTIONS = {"group_norm": group_norm, "rms_norm": rms_norm}
FUNCTIONAL = {"group_norm": group_norm, "instance_norm": instance_norm, "rms_norm": rms_norm,
              "local_response_norm": local_response_norm, "normalize": normalize,
              "layer_norm": layer_norm, "batch_norm": batch_norm}
