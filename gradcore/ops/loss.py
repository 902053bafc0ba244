"""Loss functions, under torch.nn.functional's names: mse_loss, l1_loss, smooth_l1_loss,
nll_loss, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss,
soft_margin_loss, multi_margin_loss, multilabel_margin_loss (ops with their own node, as
PyTorch's), and the compositions kl_div, poisson_nll_loss, gaussian_nll_loss,
multilabel_soft_margin_loss, margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss,
triplet_margin_loss, triplet_margin_with_distance_loss.  (ctc_loss: ops/ctc.py.)

As in PyTorch, mse / smooth L1 / nll / the two BCEs are ops with their own node, while l1_loss
and cross_entropy are compositions (cross_entropy = log_softmax + nll_loss, with label
smoothing and class-probability targets built from Tensor ops on top).  The mse, smooth L1 and
nll backward passes are backend kernels (``mse_loss_backward``, ``smooth_l1_loss_backward``,
``nll_loss_backward``) wrapped as differentiable ops; the BCE backward passes are Tensor ops.
"""
import math
import warnings

import numpy as np

from .._autocast import BANNED, FP32, autocast_op
from .bitselect import select
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state, check_index_saveable
from ..backend import capture
from ..backend.kernels import kernel
from .declare import TENSOR
from ..tensor import Tensor as _Tensor, _wrap
from .activation import log_sigmoid
from .binary_math import xlogy
from .elementwise import (_NotImplementedNode, _sigmoid, abs as _abs, clamp_min, exp, log,
                          minimum, sigmoid, where)
from .factories import ones_like, zeros_like
from .indexing import masked_fill
from .shape import broadcast_shapes, expand
from .softmax import log_softmax
from .reduction import mean_all
from .out import caller_level

# ---- the reduction argument ----------------------------------------------------------------


_REDUCTIONS = ("mean", "sum", "none")


def _reduction_enum(reduction):
    """PyTorch's ``_Reduction.get_enum``: 'none' | 'mean' | 'sum' (ValueError otherwise)."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=4)
        return "mean"
    if not isinstance(reduction, str) or reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(reduction, size_average, reduce):
    """The deprecated size_average / reduce flags mapped as PyTorch maps them (with its
    warning); ``reduction`` as given when neither is set."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=4)
    return ret


def _reduction(reduction, size_average=None, reduce=None):
    return _reduction_enum(_legacy_reduction(reduction, size_average, reduce))


def _reduce(xp, loss, reduction):
    """Reduce an elementwise loss array (a mean over nothing is nan, as 0/0)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return mean_all(loss) if loss.size else xp.full((), np.nan, dtype=loss.dtype)


def _mean_scale(reduction, x):
    """The factor a 'mean' puts on each element's gradient (x: a Tensor or an array)."""
    if reduction != "mean":
        return 1.0
    n = x._arr.size if isinstance(x, _Tensor) else x.size
    return 1.0 / n if n else float("nan")


def _no_grad_arg(fn, name, t):
    if t is not None and t.requires_grad and _state.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{name}'. This input cannot have requires_grad True.")


def _same_size_warning(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", stacklevel=4)


# ---- pointwise losses: reduce(f(input - target)) -------------------------------------------

@kernel("pointwise_loss", dtypes="fd")
def mse_loss_backward(F, x, t, gy, reduction):
    """d mse_loss / dx = 2 (x - t) gy, divided by x.size for reduction='mean' (gy: x's shape
    for 'none', 0-d otherwise; t: x's shape)."""
    n = math.prod(x.shape)  # (arrays and Tensors alike)
    norm = 2.0 / n if reduction == "mean" and n else 2.0
    return (x - t) * norm * gy


@kernel("pointwise_loss", dtypes="fd")
def smooth_l1_loss_backward(F, x, t, gy, reduction, beta):
    """d smooth_l1_loss / dx = clip((x - t) / beta, -1, 1) gy (/ x.size for a mean)."""
    n = math.prod(x.shape)
    norm = 1.0 / n if reduction == "mean" and n else 1.0
    d = x - t
    return F.clip(d if beta == 1.0 else d / beta, -1, 1) * norm * gy  # (d / 1 is d)


class _PointwiseLoss(ArrayFunction):
    """reduce(f(x - t)) for same-shaped, same-dtype x and t (both differentiable); ``grad``,
    its derivative, a kernel whose reference is also the create_graph backward."""
    grad = None

    @classmethod
    def forward(cls, ctx, x, t, reduction, *params):
        ctx.save_for_backward(x, t)
        ctx.reduction, ctx.params = reduction, params
        xp = x._be.xp
        return _reduce(xp, cls.f(xp, x._arr - t._arr, *params), reduction)

    @classmethod
    def backward(cls, ctx, gy):
        x, t = ctx.saved_tensors
        gx = cls.grad.reference(TENSOR, x, t, gy, ctx.reduction, *ctx.params)
        need_x, need_t = ctx.needs_input_grad
        return (gx if need_x else None), (-gx if need_t else None)

    @classmethod
    def array_backward(cls, ctx, gy):
        x, t = ctx.saved_arrays
        gx = cls.grad(ctx._be, x, t, gy, ctx.reduction, *ctx.params)
        need_x, need_t = ctx.needs_input_grad
        return (gx if need_x else None), (-gx if need_t else None)


class MseLoss(_PointwiseLoss):
    node_name = "MseLossBackward0"
    grad = mse_loss_backward

    @staticmethod
    def f(xp, d):
        return d * d


class SmoothL1Loss(_PointwiseLoss):
    node_name = "SmoothL1LossBackward0"
    grad = smooth_l1_loss_backward

    @staticmethod
    def f(xp, d, beta):
        z = xp.abs(d)
        half_sq = 0.5 * z * z
        return select(xp, z < beta, half_sq if beta == 1.0 else half_sq / beta, z - 0.5 * beta)


def _pointwise_args(input, target, size_average, reduce, reduction, kernel=None):
    """PyTorch's preamble of mse/l1/smooth_l1: the size warning, the legacy flags, then
    input and target broadcast to one shape and promoted to one dtype."""
    if (input._arr.shape == target._arr.shape and input._arr.dtype is target._arr.dtype
            and _dtype.is_floating(input._arr.dtype) and size_average is None and reduce is None):
        return input, target, reduction  # the common case: nothing to warn, cast or expand
    _same_size_warning(input, target)
    reduction = _legacy_reduction(reduction, size_average, reduce)
    shape = broadcast_shapes(input.shape, target.shape)
    dt = _dtype.result_type(input, target)
    if kernel is not None and not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}_{input.device.type}" not implemented for '
                                  f"'{dt.scalar_name}'")
    input, target = (t if t.dtype is dt else t.to(dt) for t in (input, target))
    input, target = (t if t.shape == shape else expand(t, shape) for t in (input, target))
    return input, target, reduction


def _weighted(errors, weight, input, reduction):
    """mse_loss / l1_loss with an elementwise ``weight`` (composed, as PyTorch does)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    errors = errors * weight
    if reduction == "none":
        return errors
    if reduction == "sum":
        return errors.sum()
    if reduction == "mean":
        return errors.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     f"'sum'.")


@autocast_op(cpu=FP32, cuda=FP32)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)
        -> Tensor

    The squared error (input - target) ** 2 per element (broadcast, with a warning when the
    shapes differ), reduced by ``reduction``: 'mean' (default), 'sum' or 'none'.  ``weight``
    scales each element; its 'mean' divides by weight.sum().  size_average / reduce: the
    deprecated flags.  Gradient: 2 * (input - target) * gy, divided by numel for 'mean'."""
    input, target, reduction = _pointwise_args(input, target, size_average, reduce, reduction,
                                               "mse")
    if weight is not None:
        return _weighted((input - target).pow(2), weight, input, reduction)
    return MseLoss.apply(input, target, _reduction_enum(reduction))


@autocast_op(cpu=FP32, cuda=FP32)
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None)
        -> Tensor

    The absolute error |input - target| per element (broadcast), reduced by ``reduction``:
    'mean' (default), 'sum' or 'none'; ``weight`` scales each element (its 'mean' divides by
    weight.sum()).  Gradient: sign(input - target) * gy (0 where equal), / numel for 'mean'."""
    input, target, reduction = _pointwise_args(input, target, size_average, reduce, reduction)
    errors = _abs(input - target)
    if weight is not None:
        return _weighted(errors, weight, input, reduction)
    reduction = _reduction_enum(reduction)
    return errors if reduction == "none" else errors.sum() if reduction == "sum" else \
        errors.mean()


@autocast_op(cpu=FP32, cuda=FP32)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0)
        -> Tensor

    Per element, with d = input - target: 0.5 * d ** 2 / beta where |d| < beta, else
    |d| - 0.5 * beta (beta=0 is l1_loss), reduced by ``reduction`` ('mean' by default).
    Gradient: d / beta inside the band, sign(d) outside, times gy (/ numel for 'mean')."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, size_average, reduce, reduction)
    input, target, reduction = _pointwise_args(input, target, size_average, reduce, reduction,
                                               "smooth_l1")
    return SmoothL1Loss.apply(input, target, _reduction_enum(reduction), float(beta))


# ---- negative log likelihood ---------------------------------------------------------------

@kernel("nll", dtypes="fd")
def nll_loss_backward(xp, gy, target, weight, total_weight, shape, reduction,
                      ignore_index):
    """d nll_loss / d input for an input of ``shape`` (classes on axis 1; axis 0 when
    1-d): -weight[t] * gy (/ total_weight for 'mean') at each target's class, zero
    elsewhere and for targets equal to ignore_index (weight None: all ones).  Each target
    writes its one element of a zero gradient (an ignored target writes 0 at class 0)."""
    full = (1,) + tuple(shape) if len(shape) == 1 else tuple(shape)
    n, c = full[0], full[1]
    s = math.prod(full[2:])
    t = target.reshape(n, s).astype(np.int64, copy=False)
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    g = gy.reshape(t.shape) if reduction == "none" else gy
    coef = -(weight[safe] * g) if weight is not None else -g
    if reduction == "mean":
        if total_weight:
            coef = coef / total_weight
        else:  # every target ignored: 0 / 0
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = coef / total_weight
    coef = xp.where(valid, coef, 0)
    if s == 1:
        out = xp.zeros((n, c), dtype=gy.dtype)
        out[xp.arange(n), safe[:, 0]] = coef[:, 0]
    else:
        out = xp.zeros((n, c, s), dtype=gy.dtype)
        out[xp.arange(n)[:, None], safe, xp.arange(s)[None, :]] = coef
    return out.reshape(shape)


class NllLossGrad(ArrayFunction):
    """nll_loss's input gradient (the kernel above, whose reference indexes arrays, so it is
    not the create_graph path itself).  It is linear in gy and its transpose is nll_loss
    itself, which gives its backward."""
    node_name = "NllLossBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, target, weight, shape, reduction, ignore_index, total_weight):
        ctx.target, ctx.weight = target, weight
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        w = None if weight is None else weight._arr
        return nll_loss_backward(gy._be, gy._arr, target._arr, w, total_weight, shape,
                                 reduction, ignore_index)

    @staticmethod
    def backward(ctx, gg):
        ggy = NllLoss.apply(gg, ctx.target, ctx.weight, ctx.reduction, ctx.ignore_index)
        return (ggy, None) + ((None,) if ctx.weight is not None else ())


class NllLoss(ArrayFunction):
    """-weight[t] * x[t] per sample (0 where t == ignore_index), classes on axis 1 (axis 0 for
    a 1-d input); a 'mean' divides by the summed weights of the targets not ignored."""
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, reduction, ignore_index):
        xp, a, t = x._be.xp, x._arr, target._arr
        if a.ndim == 1:
            a, t = a[None], t.reshape(1)
        t = t.astype(np.int64, copy=False)
        c = a.shape[1]
        valid = None  # every target counts: in range (a negative one wraps round) and kept
        # (the host reads of the targets are left out while a CUDA graph is captured)
        if capture.host_checks() and bool((t.view(np.uint64) >= c).any()) \
                or 0 <= ignore_index < c:
            valid = t != ignore_index
            bad = valid & ((t < 0) | (t >= c))
            if capture.host_checks() and bool(bad.any()):
                raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        safe = t if valid is None else xp.where(valid, t, 0)
        if a.ndim == 2:
            picked = a[xp.arange(a.shape[0]), safe]
        else:
            picked = xp.take_along_axis(a, safe[:, None], axis=1)[:, 0]
        if weight is not None:
            w = weight._arr[safe]
            if valid is None:
                loss = -(w * picked)
            else:
                w = xp.where(valid, w, 0)
                loss = xp.where(valid, -(w * picked), 0)
            total = w.sum()
        elif valid is None:  # a weight of one per target
            loss, total = -picked, a.dtype.type(t.size)
        else:
            loss, total = xp.where(valid, -picked, 0), valid.sum(dtype=a.dtype)
        ctx.target, ctx.weight, ctx.shape, ctx.total = target, weight, x._arr.shape, total
        ctx.reduction, ctx.ignore_index = reduction, ignore_index
        if reduction == "none":
            return loss.reshape(target._arr.shape if x._arr.ndim > 1 else ())
        if reduction == "sum":
            return loss.sum()
        if weight is None and valid is None and t.size:  # a count: no 0 / 0
            return loss.sum() / total
        with np.errstate(invalid="ignore", divide="ignore"):
            return loss.sum() / total

    @staticmethod
    def backward(ctx, gy):
        gx = NllLossGrad.apply(gy, ctx.target, ctx.weight, ctx.shape, ctx.reduction,
                               ctx.ignore_index, ctx.total)
        return (gx, None) + ((None,) if ctx.weight is not None else ())

    @staticmethod
    def array_backward(ctx, gy):
        w = None if ctx.weight is None else ctx.weight._arr
        gx = nll_loss_backward(ctx._be, gy, ctx.target._arr, w, ctx.total, ctx.shape,
                               ctx.reduction, ctx.ignore_index)
        return (gx, None) + ((None,) if ctx.weight is not None else ())


class NllLoss2d(NllLoss):
    node_name = "NllLoss2DBackward0"


def _check_nll(input, target, weight, spatial):
    if target._arr.dtype.char not in "lqB" or target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{target.dtype.scalar_name}")
    name = "nll_loss2d_forward" if spatial else "nll_loss"
    if not _dtype.is_floating(input._arr.dtype):
        raise NotImplementedError(f'"{name}_out_frame" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    if weight is None:
        return
    n_classes = input.shape[1 if input.ndim > 1 else 0]
    if weight.ndim != 1 or weight.numel() != n_classes:
        if spatial:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes"
                           f" or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{weight.dtype.scalar_name}")
    _no_grad_arg("nll_loss2d_forward" if spatial else "nll_loss_forward", "weight", weight)


def _nll_loss_nd(input, target, weight, reduction, ignore_index):
    """PyTorch's nll_loss_nd: (C,), (N, C) -> NllLoss; (N, C, H, W) -> NllLoss2d; other
    (N, C, d1, ...) viewed as (N, C, 1, -1) for NllLoss2d."""
    shape, tshape = input._arr.shape, target._arr.shape
    nd = len(shape)
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    check_index_saveable(input, target)  # the node keeps target's array for backward
    if nd != 1 and (not tshape or shape[0] != tshape[0]):
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target "
                         f"batch_size ({tshape[0] if tshape else 0}).")
    if nd <= 2:
        _check_nll(input, target, weight, False)
        if len(tshape) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1 and len(tshape) == 1 and tshape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0]}")
        return NllLoss.apply(input, target, weight, reduction, ignore_index)
    n, c = input.shape[:2]
    if nd == 4:
        if target.ndim != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.ndim}")
        if target.shape[1:] != input.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
        _check_nll(input, target, weight, True)
        return NllLoss2d.apply(input, target, weight, reduction, ignore_index)
    out_size = (n,) + tuple(input.shape[2:])
    if target.shape[1:] != input.shape[2:]:
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    flat = (1, -1) if input.numel() else (0, 0)
    x = input.contiguous().view(n, c, *flat)
    t = target.contiguous().view(n, *flat) if target.numel() else target.view(n, 0, 0)
    out = _nll_loss_nd(x, t, weight, reduction, ignore_index)
    return out.view(out_size) if reduction == "none" else out


@autocast_op(cpu=FP32, cuda=FP32)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
        reduction='mean') -> Tensor

    The negative log likelihood -weight[c] * input[n, c] at each target class c: ``input`` is
    log-probabilities (N, C), (C,) or (N, C, d1, ...), ``target`` class indices (N,), () or
    (N, d1, ...) (int64 or uint8).  Targets equal to ignore_index add nothing; 'mean' (the
    default) divides by the summed weights of the other targets, 'sum' adds, 'none' keeps
    the per-target losses.  Gradient: -weight[c] * gy at each target's class, 0 elsewhere,
    divided by that weight sum for 'mean'."""
    reduction = _reduction(reduction, size_average, reduce)
    return _nll_loss_nd(input, target, weight, reduction, ignore_index)


# ---- cross entropy -------------------------------------------------------------------------

def _class_view(weight, ndim, class_dim):
    """The per-class weight shaped to broadcast along ``class_dim`` of an ``ndim``-d input."""
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _check_smoothing(label_smoothing):
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    """Class-probability targets: -sum(target * log_softmax(input) * weight) per sample."""
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_view(weight, input.ndim, class_dim)
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    return total / (input.numel() // n_classes) if input.numel() else total * float("nan")


def _cross_entropy_smoothed(input, target, weight, reduction, ignore_index, label_smoothing,
                            class_dim):
    """Class-index targets with label smoothing: (1 - eps) * nll + eps / C * (the loss
    against a uniform target), with weights and ignored targets as PyTorch applies them."""
    _check_smoothing(label_smoothing)
    logp = log_softmax(input, class_dim)
    nll = _nll_loss_nd(logp, target, weight, reduction, ignore_index)
    n_classes = input.shape[class_dim]
    ignore = target == ignore_index
    if weight is not None:
        smooth = -(logp * _class_view(weight, logp.ndim, class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = masked_fill(smooth, ignore, 0.0)
    if reduction == "mean":
        if weight is not None:
            target_weights = weight[masked_fill(target.long(), ignore, 0)]
            smooth = smooth.sum() / masked_fill(target_weights, ignore, 0.0).sum()
        else:
            smooth = smooth.sum() / (~ignore).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


@autocast_op(cpu=FP32, cuda=FP32)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
        reduce=None, reduction='mean', label_smoothing=0.0) -> Tensor

    nll_loss(log_softmax(input, 1), target, ...) for unnormalized logits ``input`` (N, C),
    (C,) or (N, C, d1, ...), classes on dim 1 (dim 0 for 1-d); ``target`` holds class indices
    or, when of input's shape, class probabilities.  label_smoothing mixes the target with
    the uniform distribution; reduction='mean' by default (weighted as nll_loss).  Gradient
    (unweighted): softmax(input) minus the one-hot target, divided by the number of targets
    (the batch) for 'mean'."""
    if size_average is not None or reduce is not None or reduction not in _REDUCTIONS:
        reduction = _reduction(reduction, size_average, reduce)
    class_dim = 0 if input._arr.ndim == 1 else 1
    if input._arr.shape == target._arr.shape:
        if not target.is_floating_point():
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {target.dtype.scalar_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_dim)
    if label_smoothing > 0.0:
        return _cross_entropy_smoothed(input, target, weight, reduction, ignore_index,
                                       label_smoothing, class_dim)
    return _nll_loss_nd(log_softmax(input, class_dim), target, weight, reduction, ignore_index)


# ---- binary cross entropy ------------------------------------------------------------------

class BinaryCrossEntropy(ArrayFunction):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as PyTorch."""
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction):
        ctx.save_for_backward(x, t, w)
        ctx.reduction = reduction
        xp, a, b = x._be.xp, x._arr, t._arr
        for arr, what in ((a, "input"), (b, "target")):  # (a NaN fails both tests)
            if arr.size and capture.host_checks() and not (bool(arr.min() >= 0)
                                                           and bool(arr.max() <= 1)):
                raise RuntimeError(f"all elements of {what} should be between 0 and 1")
        with np.errstate(divide="ignore"):
            loss = (b - 1) * xp.maximum(xp.log1p(-a), -100) - b * xp.maximum(xp.log(a), -100)
        if w is not None:
            loss = loss * w._arr
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, gy):
        x, t, w = ctx.saved_tensors
        return _bce_grads(TENSOR, ctx, x, t, w, gy)

    @staticmethod
    def array_backward(ctx, gy):
        x, t, w = ctx.saved_arrays
        if x.dtype.char not in "fd":  # half precision: the Tensor ops' rounding
            return _on_arrays(BinaryCrossEntropy.backward, ctx, gy)
        return _bce_grads(ctx._be.xp, ctx, x, t, w, gy)


def _bce_grads(F, ctx, x, t, w, gy):
    """binary_cross_entropy's gradients, on arrays (F = xp) or Tensors (F = TENSOR)."""
    need_x, need_t = ctx.needs_input_grad[:2]
    g = (gy if w is None else gy * w) * _mean_scale(ctx.reduction, x)
    gx = gt = None
    if need_x:
        gx = g * (x - t) / (F.clip((1 - x) * x, 1e-12, None) if F is not TENSOR
                            else clamp_min((1 - x) * x, 1e-12))
    if need_t:
        with np.errstate(divide="ignore"):
            gt = g * (F.log(1 - x) - F.log(x))
    return (gx, gt) + ((None,) if w is not None else ())


def _on_arrays(backward, ctx, gy):
    """A Tensor-level ``backward`` run from array_backward: gradients wrapped and unwrapped."""
    out = backward(ctx, _wrap(gy, ctx._be))
    return tuple(None if g is None else g._arr for g in out)


def _log_sigmoid(x):
    return minimum(x, 0) - log(1 + exp(-_abs(x)))


class BinaryCrossEntropyWithLogits(ArrayFunction):
    """(1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x), times weight: BCE of sigmoid(x),
    computed stably from the logits."""
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        ctx.save_for_backward(x, t, w, pw)
        ctx.reduction = reduction
        xp, a, b = x._be.xp, x._arr, t._arr
        log_sig = xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))
        if pw is not None:
            log_sig = log_sig * ((pw._arr - 1) * b + 1)
        loss = (1 - b) * a - log_sig
        if w is not None:
            loss = loss * w._arr
        if loss.shape != a.shape:
            raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                               f"shape {list(loss.shape)}")
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, gy):
        x, t, w, pw = ctx.saved_tensors
        return _bce_logits_grads(sigmoid, _log_sigmoid, ctx, x, t, w, pw, gy)

    @staticmethod
    def array_backward(ctx, gy):
        x, t, w, pw = ctx.saved_arrays
        if x.dtype.char not in "fd":  # half precision: the Tensor ops' rounding
            return _on_arrays(BinaryCrossEntropyWithLogits.backward, ctx, gy)
        xp = ctx._be.xp
        return _bce_logits_grads(lambda a: _sigmoid(xp, a), lambda a: _log_sigmoid_array(xp, a),
                                 ctx, x, t, w, pw, gy)


def _log_sigmoid_array(xp, a):
    """_log_sigmoid on an array."""
    return xp.minimum(a, 0) - xp.log(1 + xp.exp(-xp.abs(a)))


def _bce_logits_grads(sigmoid, log_sigmoid, ctx, x, t, w, pw, gy):
    """binary_cross_entropy_with_logits' gradients, on arrays or Tensors (with that kind's
    sigmoid and log_sigmoid)."""
    need_x, need_t = ctx.needs_input_grad[:2]
    g = (gy if w is None else gy * w) * _mean_scale(ctx.reduction, x)
    gx = gt = None
    if need_x:
        if pw is None:
            gx = (sigmoid(x) - t) * g
        else:
            pt = pw * t
            gx = ((pt + 1 - t) * sigmoid(x) - pt) * g
    if need_t:
        gt = (-x if pw is None else log_sigmoid(-x) - log_sigmoid(x) * pw) * g
    return (gx, gt) + tuple(None for p in (w, pw) if p is not None)


def _size_broadcast(*shapes):
    """torch.broadcast_shapes (the Python one binary_cross_entropy uses: its error message)."""
    common = [1] * max(len(s) for s in shapes)
    for i, shape in enumerate(shapes):
        for idx in range(-1, -1 - len(shape), -1):
            if common[idx] == 1:
                common[idx] = shape[idx]
            elif shape[idx] not in (1, common[idx]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[idx]} "
                                   f"at {idx}! Mismatching argument at index {i} had {shape}; "
                                   f"but expected shape should be broadcastable to {common}")
    return tuple(common)


def _as(t, dt):
    return t if t is None or t.dtype is dt else t.to(dt)


@autocast_op(cpu=FP32, cuda=BANNED)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
        reduction='mean') -> Tensor

    -weight * (t log(x) + (1 - t) log(1 - x)) per element, for probabilities x = input and
    targets t of the same shape, both in [0, 1]; each log is clamped at -100.  reduction:
    'mean' (default), 'sum' or 'none'.  Gradient: (x - t) / (x (1 - x)) * weight * gy
    (the denominator clamped at 1e-12), / numel for 'mean'."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the "
                         f"same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_name} but expected "
                           f"{input.dtype.scalar_name}")
    if weight is not None:
        _no_grad_arg("binary_cross_entropy", "weight", weight)
        weight = expand(_as(weight, input.dtype), _size_broadcast(target.shape, weight.shape))
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


@autocast_op(cpu=FP32, cuda=FP32)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
        reduce=None, reduction='mean', pos_weight=None) -> Tensor

    binary_cross_entropy(sigmoid(input), target), computed stably from the logits ``input``;
    ``pos_weight`` (broadcast against target, e.g. one per class) scales the positive term,
    ``weight`` each element.  reduction='mean' by default.  Gradient: (sigmoid(input) -
    target) * weight * gy (with pos_weight p: ((p t + 1 - t) sigmoid(input) - p t)), / numel
    for 'mean'."""
    reduction = _reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    fn = "binary_cross_entropy_with_logits"
    _no_grad_arg(fn, "weight", weight)
    _no_grad_arg(fn, "pos_weight", pos_weight)
    dt = _dtype.result_type(input, target)
    if not dt.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{dt.scalar_name}")
    if pos_weight is not None:
        broadcast_shapes(pos_weight.shape, target.shape)
    if weight is not None:
        broadcast_shapes(input.shape, weight.shape)
    return BinaryCrossEntropyWithLogits.apply(_as(input, dt), _as(target, dt), _as(weight, dt),
                                              _as(pos_weight, dt), reduction)


# ---- more pointwise and margin losses -------------------------------------------------------

class _Derivative:
    """A loss derivative ``grad(F, x, t, gy, reduction, *params)`` written once in the
    declarations' vocabulary, in the shape _PointwiseLoss takes a registered kernel in (its
    ``reference`` on Tensors, a call on a backend), for a derivative with no CUDA functor."""

    def __init__(self, fn):
        self.reference = fn
        self.__doc__ = fn.__doc__

    def __call__(self, be, *args):
        return self.reference(be.xp, *args)


@_Derivative
def huber_loss_backward(F, x, t, gy, reduction, delta):
    """d huber_loss / dx = clip(x - t, -delta, delta) gy (/ x.size for a mean)."""
    n = math.prod(x.shape)
    norm = 1.0 / n if reduction == "mean" and n else 1.0
    return F.clip(x - t, -delta, delta) * norm * gy


class HuberLoss(_PointwiseLoss):
    node_name = "HuberLossBackward0"
    grad = huber_loss_backward

    @staticmethod
    def f(xp, d, delta):
        z = xp.abs(d)
        return select(xp, z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))


@autocast_op(cpu=FP32, cuda=FP32)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """huber_loss(input, target, reduction='mean', delta=1.0, weight=None) -> Tensor

    Per element, with d = input - target: 0.5 * d ** 2 where |d| < delta, else
    delta * (|d| - 0.5 * delta) (smooth_l1_loss times delta), reduced by ``reduction``;
    ``weight`` (input's shape) scales each element.  Gradient: clip(d, -delta, delta) * gy
    (/ numel for 'mean')."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target, _ = _pointwise_args(input, target, None, None, reduction, "huber")
    if weight is None:
        return HuberLoss.apply(input, target, _reduction_enum(reduction), float(delta))
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = HuberLoss.apply(input, target, "none", float(delta)) * weight
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         f"'sum'.")
    return _apply_reduction(loss, reduction)


def _apply_reduction(loss, reduction):
    """PyTorch's apply_loss_reduction for the composed losses."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


class SoftMarginLoss(ArrayFunction):
    """log(1 + exp(-y x)) per element, reduced."""
    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        xp = x._be.xp
        with np.errstate(over="ignore"):
            loss = xp.log1p(xp.exp(-y._arr * x._arr))
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, gy):
        x, y = ctx.saved_tensors
        return -y * sigmoid(-y * x) * (gy * _mean_scale(ctx.reduction, x)), None


@autocast_op(cpu=FP32, cuda=FP32)
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')
        -> Tensor

    The two-class logistic loss log(1 + exp(-y * x)) per element, for targets y of +1 / -1
    (broadcast to input), reduced ('mean' by default).  Gradient: -y * sigmoid(-y x) * gy
    (/ numel for 'mean'); the target gets none."""
    reduction = _reduction(reduction, size_average, reduce)
    _no_grad_arg("soft_margin_loss", "target", target)
    if target.shape != input.shape:
        target = expand(target, broadcast_shapes(input.shape, target.shape))
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return SoftMarginLoss.apply(input, target, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
        reduction='mean') -> Tensor

    -(y log sigmoid(x) + (1 - y) log sigmoid(-x)) per element (times ``weight``), averaged
    over the classes (the last dim), then reduced over the samples (a composition, as
    PyTorch's)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(reduction, size_average, reduce)
    loss = -(target * log_sigmoid(input) + (1 - target) * log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return _apply_reduction(loss, reduction)


class MultiMarginLoss(ArrayFunction):
    """sum over i != y of max(0, margin - x[y] + x[i]) ** p (times weight[y]), / C per sample;
    input (N, C) (a (C,) input is one sample)."""
    node_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, p, margin, reduction):
        xp = x._be.xp
        a = x._arr.reshape(-1, x._arr.shape[-1]) if x._arr.ndim else x._arr.reshape(1, 1)
        t = target._arr.reshape(-1).astype(np.int64, copy=False)
        c = a.shape[1]
        if t.size and capture.host_checks() and bool(((t < 0) | (t >= c)).any()):
            raise RuntimeError("target out of range")
        z = margin - xp.take_along_axis(a, t[:, None], axis=1) + a
        keep = (z > 0) & (xp.arange(c)[None, :] != t[:, None])
        h = xp.where(keep, z if p == 1 else z * z, 0)
        if weight is not None:
            h = h * weight._arr[t][:, None]
        loss = h.sum(axis=1) / c
        ctx.save_for_backward(x)
        ctx.t, ctx.keep, ctx.weight, ctx.p, ctx.margin, ctx.reduction = (
            t, keep, weight, p, margin, reduction)
        if reduction == "none":
            return loss.reshape(target._arr.shape if x._arr.ndim > 1 else ())
        return _reduce(xp, loss, reduction)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        be, t = x._be, ctx.t
        n, c = len(t), (x.shape[-1] if x.ndim else 1)
        a = x.reshape(n, c)
        keep = _wrap(ctx.keep.astype(x._arr.dtype), be)
        if ctx.p == 1:
            coef = keep
        else:
            tt = _wrap(t[:, None], be)
            coef = 2 * (ctx.margin - a.gather(1, tt) + a) * keep
        if ctx.weight is not None:
            coef = coef * _wrap(ctx.weight._arr[t][:, None], be)
        g = gy.reshape(n, 1) if ctx.reduction == "none" else gy
        if ctx.reduction == "mean":
            g = g / n
        coef = coef * (g / c)
        onehot = _wrap((be.xp.arange(c)[None, :] == t[:, None]).astype(x._arr.dtype), be)
        gx = (coef - onehot * coef.sum(1, True)).reshape(x.shape)
        return (gx, None) + ((None,) if ctx.weight is not None else ())


@autocast_op(cpu=FP32, cuda=FP32)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """multi_margin_loss(input, target, p=1, margin=1, weight=None, size_average=None,
        reduce=None, reduction='mean') -> Tensor

    The multi-class hinge loss: per sample, sum over the classes i != y of
    max(0, margin - x[y] + x[i]) ** p (p = 1 or 2; times weight[y]) divided by C, for input
    (N, C) or (C,) and class-index targets (N,) / ().  Gradient: p * max(0, ...) ** (p - 1)
    at each violating class, minus their sum at the target class."""
    reduction = _reduction(reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input.ndim
    if nd > 2 or (nd == 2 and input.shape[1] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    n = input.shape[0] if nd == 2 else 1
    c = input.shape[-1] if nd else 1
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    check_index_saveable(input, target)  # the node keeps target's array for backward
    return MultiMarginLoss.apply(input, target, weight, p, float(margin), reduction)


def _multilabel_grad(gy, coef, reduction):
    """multilabel_margin_loss's input gradient on arrays: coef (N, C) times gy per sample
    (/ N for a mean)."""
    n = coef.shape[0]
    g = gy.reshape(n, 1) if reduction == "none" else gy
    if reduction == "mean" and n:
        g = g / n
    return coef * g


class MultilabelMarginLossGrad(ArrayFunction):
    """multilabel_margin_loss's gradient as its own node: PyTorch has no derivative for it."""
    node_name = "NotImplemented"
    _node_base = _NotImplementedNode

    @staticmethod
    def forward(ctx, gy, x, coef, reduction):
        return _multilabel_grad(gy._arr, coef, reduction).reshape(x._arr.shape)

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("derivative for aten::multilabel_margin_loss_backward is not "
                           "implemented")


class MultilabelMarginLoss(ArrayFunction):
    """sum over the listed targets j (those before the first -1) and the classes i that are no
    target of max(0, 1 - x[y_j] + x[i]), / C per sample; input (N, C), (C,) or ()."""
    node_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, target, reduction):
        xp = x._be.xp
        a = x._arr.reshape(-1, x._arr.shape[-1]) if x._arr.ndim else x._arr.reshape(1, 1)
        n, c = a.shape
        t = target._arr.reshape(n, c)
        listed = xp.cumsum(t < 0, axis=1) == 0  # the targets before the first -1
        k = int(listed.sum(axis=1).max()) if n else 0
        listed, safe = listed[:, :k], xp.where(listed, t, 0)[:, :k]  # (N, J): J <= C targets
        onehot = (safe[:, :, None] == xp.arange(c)) & listed[:, :, None]  # (N, J, C)
        is_target = onehot.any(axis=1)
        z = 1 - xp.take_along_axis(a, safe, axis=1)[:, :, None] + a[:, None, :]
        hit = listed[:, :, None] & ~is_target[:, None, :] & (z > 0)  # (N, J, C)
        loss = xp.where(hit, z, 0).sum(axis=(1, 2)) / c
        hits = hit.astype(a.dtype)
        coef = (hits.sum(axis=1) - (hits.sum(axis=2)[:, :, None] * onehot).sum(axis=1)) / c
        ctx.save_for_backward(x)
        ctx.coef, ctx.reduction = coef, reduction
        if reduction == "none":
            return loss.reshape(() if x._arr.ndim < 2 else (n,))
        if reduction == "sum":
            return loss.sum()
        with np.errstate(invalid="ignore"):
            return loss.sum() / n  # no samples: nan (PyTorch leaves it unwritten)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return MultilabelMarginLossGrad.apply(gy, x, ctx.coef, ctx.reduction), None

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return _multilabel_grad(gy, ctx.coef, ctx.reduction).reshape(x.shape), None


@autocast_op(cpu=FP32, cuda=FP32)
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean')
        -> Tensor

    The multi-class multi-label hinge loss: per sample, the sum over its target classes j and
    the classes i that are not targets of max(0, 1 - (x[j] - x[i])), divided by C.  input
    (N, C), (C,) or (); target the same shape, int64 class indices, the list ending at the
    first -1.  reduction 'mean' (over the samples; default), 'sum' or 'none'.  Gradient:
    +1/C at each violating class, minus their count / C at the target; not differentiable
    twice, as in PyTorch."""
    reduction = _reduction(reduction, size_average, reduce)
    nd = input.ndim
    if not (nd == 0 or (nd in (1, 2) and input.shape[-1] != 0)):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(input.shape)}")
    c = input.shape[-1] if nd else 1
    if nd <= 1:
        ok = target.ndim <= 1 and target.numel() == c
    else:
        ok = target.ndim == 2 and tuple(target.shape) == tuple(input.shape)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f'"multilabel_margin_loss_forward_out_frame" not implemented '
                                  f"for '{input.dtype.scalar_name}'")
    if target.dtype is not _dtype.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")
    if target.numel() and bool(((target._arr < -1) | (target._arr >= c)).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    check_index_saveable(input, target)  # the node keeps target's array for backward
    return MultilabelMarginLoss.apply(input, target, reduction)


@autocast_op(cpu=FP32, cuda=FP32)
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
        reduction='mean') -> Tensor

    max(0, -y * (x1 - x2) + margin) per element, y = +1 (x1 should rank higher) or -1,
    reduced (a composition, as PyTorch's)."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _apply_reduction(clamp_min(-target * (input1 - input2) + margin, 0), reduction)


@autocast_op(cpu=FP32, cuda=FP32)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
        reduction='mean') -> Tensor

    x where y == 1, max(0, margin - x) where y == -1 (both terms where y is neither), per
    element, reduced (a composition, as PyTorch's)."""
    reduction = _reduction(reduction, size_average, reduce)
    zeros = zeros_like(input)
    margin_clamp = clamp_min(margin - input, 0)
    out = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _apply_reduction(out, reduction)


_COSINE_EPS = 1e-12


@autocast_op(cpu=FP32, cuda=FP32)
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """cosine_embedding_loss(input1, input2, target, margin=0, size_average=None,
        reduce=None, reduction='mean') -> Tensor

    1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1, per pair of
    rows (inputs (N, D) with targets (N,), or (D,) with a 0-d target), reduced; the squared
    norms get 1e-12 added (a composition, as PyTorch's)."""
    reduction = _reduction(reduction, size_average, reduce)
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(td)
    mag1 = (input1 * input1).sum(td) + _COSINE_EPS
    mag2 = (input2 * input2).sum(td) + _COSINE_EPS
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    out = where(target == 1, 1 - cos, zeros) + where(target == -1, clamp_min(cos - margin, 0),
                                                     zeros)
    return _apply_reduction(out, reduction)


@autocast_op(cpu=FP32, cuda=FP32)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
        size_average=None, reduce=None, reduction='mean') -> Tensor

    max(0, margin + d(a, p) - d(a, n)) per triplet, d the pairwise p-norm distance (with eps
    added to the difference); ``swap`` takes min(d(a, n), d(p, n)) for the negative distance.
    Reduced (a composition, as PyTorch's)."""
    from .distance import pairwise_distance
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not a == pd == nd:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {pd}D, "
                           f"and negative {nd}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _apply_reduction(clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_with_distance_loss(anchor, positive, negative, *,
        distance_function=None, margin=1.0, swap=False, reduction='mean') -> Tensor

    max(0, margin + d(a, p) - d(a, n)) per triplet, for any distance ``d`` (a callable of two
    Tensors; pairwise_distance when None); ``swap`` takes min(d(a, n), d(p, n)) for the
    negative distance.  Reduced (a composition, as PyTorch's)."""
    from .distance import pairwise_distance
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not a == pd == nd:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {pd}D, "
                           f"and negative {nd}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    return _apply_reduction(clamp_min(margin + d_pos - d_neg, 0), reduction)


# ---- likelihood losses ----------------------------------------------------------------------

_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the "
                    "support size.'batchmean' divides only by the batch size, and aligns with "
                    "the KL div math definition.'mean' will be changed to behave the same as "
                    "'batchmean' in the next major release.")


@autocast_op(cpu=FP32, cuda=FP32)
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """kl_div(input, target, size_average=None, reduce=None, reduction='mean',
        log_target=False) -> Tensor

    The Kullback-Leibler divergence of log-probabilities ``input`` from ``target``: per
    element target * (log(target) - input) (0 where target is 0), or with log_target=True
    exp(target) * (target - input); reduced by 'mean' (over every element, with PyTorch's
    warning), 'batchmean' (the sum over the batch size, the KL divergence itself), 'sum' or
    'none' (a composition, as PyTorch's)."""
    if size_average is not None or reduce is not None:
        red = _legacy_reduction(reduction, size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(_KL_MEAN_WARNING, stacklevel=caller_level())
        red = "sum" if reduction == "batchmean" else _reduction_enum(reduction)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    out = _apply_reduction(loss, red)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.size()[0]
    return out


@autocast_op(cpu=FP32, cuda=FP32)
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """poisson_nll_loss(input, target, log_input=True, full=False, size_average=None,
        eps=1e-08, reduce=None, reduction='mean') -> Tensor

    The negative log likelihood of a Poisson target: exp(input) - target * input for a log
    rate (log_input=True), else input - target * log(input + eps); ``full`` adds the Stirling
    term target log target - target + 0.5 log(2 pi target) where target > 1.  Reduced (a
    composition, as PyTorch's)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(reduction, size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        stirling = target * log(target) - target + 0.5 * log(2 * math.pi * target)
        loss = loss + masked_fill(stirling, target <= 1, 0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction='mean') -> Tensor

    The negative log likelihood of ``target`` under N(input, var): 0.5 * (log(var) +
    (input - target) ** 2 / var) per element (plus 0.5 log(2 pi) when ``full``); ``var`` (a
    float, input's shape, or one dim short / one size-1 dim: homoscedastic) is clamped at
    eps without stopping its gradient.  Reduced (a composition, as PyTorch's)."""
    from ..autograd.grad_mode import no_grad
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


METHODS = {}
FUNCTIONS = {"kl_div": kl_div, "poisson_nll_loss": poisson_nll_loss,
             "margin_ranking_loss": margin_ranking_loss,
             "hinge_embedding_loss": hinge_embedding_loss,
             "cosine_embedding_loss": cosine_embedding_loss,
             "triplet_margin_loss": triplet_margin_loss}
FUNCTIONAL = {
    "huber_loss": huber_loss, "soft_margin_loss": soft_margin_loss,
    "multilabel_soft_margin_loss": multilabel_soft_margin_loss,
    "multi_margin_loss": multi_margin_loss, "margin_ranking_loss": margin_ranking_loss,
    "hinge_embedding_loss": hinge_embedding_loss, "cosine_embedding_loss": cosine_embedding_loss,
    "triplet_margin_loss": triplet_margin_loss, "kl_div": kl_div,
    "poisson_nll_loss": poisson_nll_loss, "gaussian_nll_loss": gaussian_nll_loss,
    "multilabel_margin_loss": multilabel_margin_loss,
    "triplet_margin_with_distance_loss": triplet_margin_with_distance_loss,
}
