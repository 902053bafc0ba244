"""The ops behind nn's layers: linear, layer_norm, batch_norm, group_norm, instance_norm,
rms_norm, local_response_norm, normalize, embedding.

* linear is matmul / addmm, so the graph has PyTorch's node names: AddmmBackward0 for 2-D
  input (one node: the weight's transpose is folded in, linalg.Linear), a ViewBackward0 over
  it for other contiguous input, MmBackward0 etc. without bias.
* layer_norm, batch_norm and group_norm are one node each (NativeLayerNormBackward0 /
  NativeBatchNormBackward0 / NativeGroupNormBackward0): forward on arrays; backward one
  formula (_grads) run on arrays at first order (``array_backward``, from the mean and 1/std
  forward saved) and on Tensors under create_graph, where the statistics are recomputed from
  the saved input so that double backward is exact (group_norm views x as (N, G, C / G,
  rest) for it).
* instance_norm is PyTorch's: batch_norm over the input viewed as (1, N * C, *), the running
  statistics repeated N times and averaged back.  rms_norm, local_response_norm and normalize
  are composites of Tensor ops, as in PyTorch (their nodes are Mul / Div).
* embedding gathers rows; its backward is indexing's scatter-add (IndexGrad).
"""
import math

import numpy as np

from .._autocast import FP32, LOWER, autocast_op
from .. import _dtype
from ..backend import capture
from .._info import finfo
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state
from ..sparse import CooArray
from ..tensor import Tensor, _wrap
from . import elementwise as E, linalg
from .indexing import IndexGrad, _index_on, _on
from .resample import pad


# ---- linear --------------------------------------------------------------------------------

@autocast_op(cpu=LOWER, cuda=LOWER)
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


# ---- layer_norm / batch_norm / group_norm: one node each ------------------------------------

def _opmath(dt):
    """The dtype the statistics are computed in (float16, bfloat16: float32, as PyTorch)."""
    return _dtype.from_numpy_dtype(_dtype.opmath(dt.np))


def _count(shape, axes):
    n = 1
    for i in axes:
        n *= shape[i]
    return n


def _mean_keep(a, axes, count):
    """``a.mean(axis=axes, keepdims=True)`` of a float32/64 array; on NumPy the same pairwise
    sum divided by the count, without ndarray.mean's Python wrapper (~3 us on a tiny array)."""
    if type(a) is np.ndarray and count:
        return np.add.reduce(a, axis=axes, keepdims=True) / count
    return a.mean(axis=axes, keepdims=True)


def _moments(a, axes):
    """(mean, a - mean, biased variance) over ``axes``, the reduced dims kept as size 1."""
    count = _count(a.shape, axes)
    mean = _mean_keep(a, axes, count)
    xc = a - mean
    return mean, xc, _mean_keep(xc * xc, axes, count)


class _Normalize(ArrayFunction):
    """y = (x - mean) * rstd * weight + bias over ``axes`` of x, weight and bias reshaped to
    ``wshape`` (the normalized shape, or (1, C, 1, ...)).  ``stats``: None -- x's own
    statistics, computed here; else (mean, x - mean or None, var) arrays shaped to broadcast
    against x (batch_norm's).  ``batch_stats``: the statistics are x's own (so they depend on
    x: its gradient has the two mean terms); otherwise they are constants (batch_norm in eval
    mode).  The node keeps x, weight and the arrays mean and rstd, as PyTorch's.

    Where weight and bias vary only along dims the statistics do not (batch_norm, group_norm)
    the output is PyTorch's ``x * alpha + beta`` (alpha = rstd * weight, beta = bias - mean *
    alpha: two passes over x).  Backward is one formula (``_grads``) on arrays at first order
    and on Tensors under create_graph, where x's statistics are recomputed from the saved
    input in Tensor ops so that double backward is exact."""

    @staticmethod
    def forward(ctx, x, w, b, axes, wshape, batch_stats, eps, stats=None):
        return _normalize_forward(ctx, x, x._arr, w, b, axes, wshape, batch_stats, eps, stats,
                                  None)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        gshape = ctx.gshape
        if gshape is not None:
            x, gy = x.reshape(gshape), gy.reshape(gshape)
        op = _opmath(x.dtype)
        x_, gy_ = x.to(op), gy.to(op)
        xc, rstd = _centered(ctx, x_)
        wr = None if w is None else w.to(op).reshape(ctx.wshape)
        gx, gw, gb = _grads(ctx, _needs(ctx, w), gy_, xc, rstd, wr, _sum_keep_tensor)
        if gx is not None:
            gx = gx.to(x.dtype)
            if gshape is not None:
                gx = gx.reshape(ctx.x_shape)
        if gw is not None:
            gw = gw.reshape(w.shape).to(w.dtype)
        if gb is not None:
            b_shape, b_dtype = ctx.b_meta
            gb = gb.reshape(b_shape).to(b_dtype)
        return _grad_tuple(ctx, w, gx, gw, gb)

    @staticmethod
    def array_backward(ctx, gy):
        x, w = ctx.saved_arrays
        gshape = ctx.gshape
        if gshape is not None:
            x, gy = x.reshape(gshape), gy.reshape(gshape)
        dt = x.dtype
        op = _dtype.opmath(dt)
        if dt is not op:
            x, gy = x.astype(op), gy.astype(op)
        mean, rstd = ctx.stats
        wr = None if w is None else w.astype(op, copy=False).reshape(ctx.wshape)
        gx, gw, gb = _grads(ctx, _needs(ctx, w), gy, x - mean, rstd, wr, _sum_keep_array)
        if gx is not None:
            gx = gx.astype(dt, copy=False)
            if gshape is not None:
                gx = gx.reshape(ctx.x_shape)
        if gw is not None:
            gw = gw.reshape(w.shape).astype(w.dtype, copy=False)
        if gb is not None:
            b_shape, b_dtype = ctx.b_meta
            gb = gb.reshape(b_shape).astype(b_dtype.np, copy=False)
        return _grad_tuple(ctx, w, gx, gw, gb)


def _normalize_forward(ctx, x, a, w, b, axes, wshape, batch_stats, eps, stats, gshape):
    """_Normalize's forward on x's array ``a`` (x's, or group_norm's view of it): the output
    array, in a's shape and x's dtype (half precision computed in float32)."""
    dt = a.dtype
    a = a.astype(_dtype.opmath(dt), copy=False)
    if stats is None:
        mean, xc, var = _moments(a, axes)
    else:
        mean, xc, var = stats
    rstd = 1 / x._be.xp.sqrt(var + eps)
    ctx.save_for_backward(x, w)
    nd = a.ndim
    lead = nd - len(wshape)  # the weight's gradient sums over the dims where wshape is 1
    w_axes = tuple(i for i in range(nd) if i < lead or wshape[i - lead] == 1)
    ctx.axes, ctx.wshape, ctx.stats, ctx.batch_stats, ctx.eps = (
        axes, wshape, (mean, rstd), batch_stats, eps)
    ctx.w_axes, ctx.count = w_axes, _count(a.shape, axes)
    ctx.gshape, ctx.x_shape = gshape, x._arr.shape
    ctx.b_meta = None if b is None else (b._arr.shape, b.dtype)
    if w is None and b is None:
        y = (a - mean if xc is None else xc) * rstd
    elif all(i in w_axes for i in axes):  # weight and bias constant along the statistics
        alpha = rstd if w is None else rstd * w._arr.reshape(wshape)
        beta = -mean * alpha if b is None else b._arr.reshape(wshape) - mean * alpha
        y = a * alpha
        y += beta
    else:  # layer_norm's: weight and bias along the normalized dims
        y = (a - mean if xc is None else xc) * rstd
        if w is not None:
            y = y * w._arr.reshape(wshape)
        if b is not None:
            y = y + b._arr.reshape(wshape)
    return y.astype(dt, copy=False)


def _sum_keep_array(a, axes):
    """The sum over ``axes`` (none: ``a`` itself), the dims kept as size 1, of an array."""
    if not axes:
        return a
    if type(a) is np.ndarray:  # without ndarray.sum's Python wrapper
        return np.add.reduce(a, axis=axes, keepdims=True)
    return a.sum(axis=axes, keepdims=True)


def _sum_keep_tensor(t, axes):
    """_sum_keep_array for Tensors."""
    return t.sum(axes, True) if axes else t


def _needs(ctx, w):
    """(need x, need weight, need bias) from the node's inputs (x, [weight], [bias])."""
    needs = ctx.needs_input_grad
    has_w = w is not None
    return (needs[0], has_w and needs[1],
            ctx.b_meta is not None and needs[1 + has_w])


def _grads(ctx, need, gy, xc, rstd, w, sum_keep):
    """The gradients of x, weight and bias (None where not needed), written once for arrays
    and Tensors: xc = x - mean, w the weight reshaped (or None), ``sum_keep(t, axes)`` the
    sum with the dims kept.  With R the statistics' dims, W the weight's summed dims and
    C = R & W, the full-size sums are over C only (the rest reduce the small results):

        gx = gy * rstd * w - xc * rstd^3 * sum_R(gy w xc) / n - rstd * sum_R(gy w) / n
        gw = sum_W(gy xc) rstd,  gb = sum_W(gy)   (batch statistics; else gx = gy rstd w)"""
    need_x, need_w, need_b = need
    axes, w_axes, n = ctx.axes, ctx.w_axes, ctx.count
    common = tuple(i for i in axes if i in w_axes)
    r_rest = tuple(i for i in axes if i not in common)
    w_rest = tuple(i for i in w_axes if i not in common)
    stats = need_x and ctx.batch_stats
    gx = gw = gb = None
    if stats or need_w:
        p = sum_keep(gy * xc, common)
    if stats or need_b:
        q = sum_keep(gy, common)
    scale = rstd if w is None else rstd * w
    if need_x:
        gx = gy * scale
        if stats:
            gsum = sum_keep(q if w is None else q * w, r_rest)
            dot = sum_keep(p if w is None else p * w, r_rest)
            gx = gx - xc * (rstd * rstd * rstd * dot / n) - rstd * gsum / n
    if need_w:
        gw = sum_keep(p * rstd, w_rest)
    if need_b:
        gb = sum_keep(q, w_rest)
    return gx, gw, gb


def _grad_tuple(ctx, w, gx, gw, gb):
    if w is None and ctx.b_meta is None:
        return gx
    return (gx,) + ((gw,) if w is not None else ()) + ((gb,) if ctx.b_meta else ())


def _centered(ctx, x):
    """(x - mean, rstd) as Tensors: recomputed from x when building a graph of the backward
    and the statistics depend on x; else from the arrays forward saved."""
    be = x._be
    if ctx.batch_stats and _state.enabled:
        xc = x - x.mean(ctx.axes, True)
        return xc, E.rsqrt((xc * xc).mean(ctx.axes, True) + ctx.eps)
    mean, rstd = (_wrap(s, be) for s in ctx.stats)
    return x - mean, rstd


class NativeLayerNorm(_Normalize):
    node_name = "NativeLayerNormBackward0"


class NativeBatchNorm(_Normalize):
    node_name = "NativeBatchNormBackward0"


class NativeGroupNorm(_Normalize):
    """_Normalize over x viewed as (N, G, C / G, rest): the statistics over the last two
    dims, weight and bias per channel (shaped (1, G, C / G, 1))."""
    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, groups, eps):
        a = x._arr
        cg = a.shape[1] // groups
        gshape = (a.shape[0], groups, cg, math.prod(a.shape[2:]))
        out = _normalize_forward(ctx, x, a.reshape(gshape), w, b, (2, 3), (1, groups, cg, 1),
                                 True, eps, None, gshape)
        return out.reshape(a.shape)
@autocast_op(cuda=FP32)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05) -> Tensor

    (x - mean) / sqrt(var + eps) * weight + bias, the mean and biased variance taken over the
    last len(normalized_shape) dims, which must equal ``normalized_shape`` (an int or a
    sequence); weight and bias, when given, have that shape.  Floating inputs only (half
    precision computes the statistics in float32)."""
    shape = ((normalized_shape,) if isinstance(normalized_shape, int)
             else tuple(map(int, normalized_shape)))
    k = len(shape)
    if not k:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._arr.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    n = input._arr.ndim
    if n < k or input._arr.shape[n - k:] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if not _dtype.is_floating(input._arr.dtype):
        raise RuntimeError(f"\"LayerNormKernelImpl\" not implemented for "
                           f"'{input.dtype.scalar_name}'")
    return NativeLayerNorm.apply(input, weight, bias, tuple(range(n - k, n)), shape, True, eps)


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
    axes = (0,) + tuple(range(2, input.ndim))
    wshape = (1, c) + (1,) * (input.ndim - 2)
    op = _dtype.opmath(input._arr.dtype)
    if training:
        mean, xc, var = stats = _moments(input._arr.astype(op, copy=False), axes)
        if running_mean is not None or running_var is not None:
            n = input._arr.size // c
            _update_stats(running_mean, mean, momentum)
            _update_stats(running_var, var * (n / max(n - 1, 1)), momentum)
    else:
        stats = (_on(input, running_mean).astype(op).reshape(wshape), None,
                 _on(input, running_var).astype(op).reshape(wshape))
    return NativeBatchNorm.apply(input, weight, bias, axes, wshape, training, eps, stats)


def _check_channels(name, t, c):
    if t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _update_stats(running, batch, momentum):
    """running <- momentum * batch + (1 - momentum) * running, in place (not recorded)."""
    if running is None:
        return
    arr = running._arr
    batch = batch.reshape(arr.shape)
    if batch.dtype == arr.dtype:  # the same sum, written in place
        arr *= 1 - momentum
        arr += momentum * batch
    else:
        arr[...] = (momentum * batch + (1 - momentum) * arr).astype(arr.dtype, copy=False)
    running._bump_version()


# ---- group_norm / instance_norm / rms_norm / local_response_norm / normalize ---------------
@autocast_op(cuda=FP32)
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
@autocast_op(cuda=FP32)
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
    if idx.size and capture.host_checks() and (int(idx.min()) < 0 or int(idx.max()) >= num):
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
