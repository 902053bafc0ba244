"""The connectionist temporal classification loss: ``ctc_loss`` (nn.functional's, reduction by
name) and ``gradcore.ctc_loss`` (PyTorch's top-level one, reduction by its enum 0 / 1 / 2).

As PyTorch's, the loss is one node, ``CtcLossBackward0`` (its ``_ctc_loss``: the negative log
likelihood per batch element), with zero_infinity's ``where`` and the reduction composed on
top.  Forward: the alpha recursion of Graves et al. (2006) in log space, one step per time
step, each step vectorised over the batch and the extended label sequence (blank, l1, blank,
l2, ..., blank) on ``xp``.  Backward: the beta recursion the same way, then PyTorch's
ctc_loss_backward formula

    grad[t, n, c] = (exp(lp[t, n, c]) - exp(log sum_{s: l'_s = c} alpha_t(s) beta_t(s)
                     + nll[n] - lp[t, n, c])) * gy[n]        (0 for t >= input_lengths[n])

whose ``exp(lp)`` term is the gradient of the log_softmax that PyTorch assumes produced
``log_probs``: through a log_softmax it cancels exactly (what gradcheck checks), on raw inputs
it is PyTorch's number, not the derivative.  The backward is not differentiable again, as in
PyTorch (``derivative for aten::_ctc_loss_backward is not implemented``).

One deliberate difference: a target label outside [0, C) raises here (PyTorch reads out of
bounds)."""
import numpy as np

from .._autocast import FP32, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor
from .elementwise import _NotImplementedNode, clamp_min, where
from .factories import tensor as _tensor, zeros
from .loss import _reduction_enum

_CHECKING = " (while checking arguments for ctc_loss_allocate_outputs)"
_SIGNATURES = (
    "(Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints "
    "target_lengths, int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = "
    "False)",
    "(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank "
    "= 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)")
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}
_ONE_HOT_LIMIT = 4096  # (2S+1) * C up to which _by_label multiplies (C=20, S=10: 11 us
#                        against 150 us for np.add.at; C=5000, S=50: 106 ms against 30 ms)


# ---- the arguments -------------------------------------------------------------------------

def _type_name(v, inner=False):
    """A value's type as PyTorch's argument parser names it."""
    if isinstance(v, Tensor):
        return "Tensor"
    if inner and isinstance(v, list):
        return "list of [" + ", ".join(_type_name(x) for x in v) + "]"
    if inner and isinstance(v, tuple):
        one = "," if len(v) == 1 else ""  # Python's repr of a 1-tuple: "(int,)"
        return "tuple of (" + ", ".join(_type_name(x) for x in v) + one + ")"
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _int_like(v):
    if isinstance(v, Tensor):
        return v.ndim == 0 and v._arr.dtype.kind in "iu"
    return isinstance(v, (int, np.integer))


def _int_list(v):
    return isinstance(v, (list, tuple)) and all(_int_like(x) for x in v)


def _check_types(args):
    """PyTorch's argument parser on ctc_loss's two overloads (lengths as int sequences or as
    Tensors): a TypeError worded as its, naming every argument's type."""
    lp, tg, il, tl, blank, reduction, zero_infinity = args
    tensors = isinstance(lp, Tensor) and isinstance(tg, Tensor)
    lists = _int_list(il) and _int_list(tl)
    both = isinstance(il, Tensor) and isinstance(tl, Tensor)
    if tensors and (lists or both) and _int_like(blank) and _int_like(reduction) and \
            type(zero_infinity) is bool:
        return
    lines = []
    for sig, tensor_lengths in zip(_SIGNATURES, (False, True)):
        marks = []  # as PyTorch marks them: its check of int and int-list arguments fails here
        for i, v in enumerate(args):
            ok = isinstance(v, Tensor) and (i < 2 or (i < 4 and tensor_lengths))
            name = _type_name(v, inner=True)
            marks.append(name if ok else f"!{name}!")
        lines.append(f" * {sig}\n      didn't match because some of the arguments have invalid "
                     f"types: ({', '.join(marks)})\n")
    got = ", ".join(_type_name(v) for v in args)
    raise TypeError(f"ctc_loss() received an invalid combination of arguments - got ({got}), "
                    f"but expected one of:\n" + "".join(lines))


def _host_lengths(v, what):
    """Lengths on the host as int64: a Tensor (any device, integral, flattened) or ints."""
    if isinstance(v, Tensor):
        if v._arr.dtype.kind not in "iu":
            raise RuntimeError(f"{what} must be integral")
        return np.asarray(v.detach().cpu()._arr, dtype=np.int64).reshape(-1)
    return np.asarray([int(x) for x in v], dtype=np.int64)


def _check(lp, targets, il, tl, blank):
    """PyTorch's checks of ctc_loss_allocate_outputs, in its order."""
    if lp.dtype not in (_dtype.float32, _dtype.float64):
        raise NotImplementedError(f'"ctc_loss_{lp.device.type}" not implemented for '
                                  f"'{lp.dtype.scalar_name}'")
    if lp.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor "
                           f"for argument #1 'log_probs'{_CHECKING}")
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional "
                           f"tensor for argument #2 'targets'{_CHECKING}")
    t, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if il.size != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if (tl < 0).any():
        raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value "
                           f"{tl[tl < 0][0]}{_CHECKING}")
    want = int(tl.sum()) if targets.ndim == 1 else n
    if targets.shape[0] != want:
        raise RuntimeError(f"Expected tensor to have size {want} at dimension 0, but got size "
                           f"{targets.shape[0]} for argument #2 'targets'{_CHECKING}")
    longest = int(tl.max())
    if targets.ndim == 2 and targets.shape[1] < longest:
        raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but "
                           f"got size {targets.shape[1]} for argument #2 'targets'{_CHECKING}")
    bad = (il < 0) | (il > t)
    if bad.any():
        v = il[bad][0]
        bound = "at least 0" if v < 0 else f"at most {t}"
        raise RuntimeError(f"Expected input_lengths to have value {bound}, but got value {v}"
                           f"{_CHECKING}")


def _extended(xp, targets, tl, n_classes, blank):
    """The extended label sequences (N, 2S+1), S the longest target: blank, l1, blank, l2, ...,
    blank, padded with blanks; targets padded (N, >=S) or concatenated (sum of lengths,)."""
    tg = targets._arr
    n, longest = tl.size, int(tl.max())
    pos = xp.arange(longest)
    lengths = xp.asarray(tl)
    if tg.ndim == 1:
        starts = xp.asarray(np.cumsum(tl) - tl)
        idx = xp.minimum(starts[:, None] + pos[None, :], max(tg.shape[0] - 1, 0))
        labels = tg[idx] if tg.shape[0] else xp.zeros((n, longest), dtype=np.int64)
    else:
        labels = tg[:, :longest]
    inside = pos[None, :] < lengths[:, None]
    out = inside & ((labels < 0) | (labels >= n_classes))
    if bool(out.any()):
        raise RuntimeError(f"Expected targets to have values in [0, {n_classes}), but got value "
                           f"{int(labels[out][0])}{_CHECKING}")
    ext = xp.full((n, 2 * longest + 1), blank, dtype=np.int64)
    ext[:, 1::2] = xp.where(inside, labels, blank)
    return ext


# ---- the recursions ------------------------------------------------------------------------

def _ctc_forward(xp, lp, ext, il, tl):
    """The log alphas (T, N, 2S+3: two -inf columns in front), the log probabilities of the
    extended labels (-inf past each target) and the skip mask (0 where s - 2 -> s is allowed,
    -inf elsewhere), and the negative log likelihoods (N,)."""
    t_max, n, _ = lp.shape
    width = ext.shape[1]
    neg = -np.inf
    s = xp.arange(width)
    lengths = xp.asarray(tl)
    lpv = lp[:, xp.arange(n)[:, None], ext]  # (T, N, 2S+1)
    lpv = lpv + xp.where(s[None, :] < 2 * lengths[:, None] + 1, 0.0, neg).astype(lp.dtype)
    skip = xp.full((n, width), neg, dtype=lp.dtype)
    skip[:, 2:] = xp.where(ext[:, 2:] != ext[:, :-2], 0.0, neg)
    alpha = xp.full((t_max, n, width + 2), neg, dtype=lp.dtype)
    alpha[0, :, 2:4] = lpv[0, :, :2]
    # alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) + skip) + lp;
    # the views made once (a step is ~6 us: what Python adds to it shows)
    at, at1, at2 = list(alpha[:, :, 2:]), list(alpha[:, :, 1:-1]), list(alpha[:, :, :-2])
    lpt = list(lpv)
    buf, tmp = xp.empty((n, width), dtype=lp.dtype), xp.empty((n, width), dtype=lp.dtype)
    for t in range(1, int(il.max())):
        xp.logaddexp(at[t - 1], at1[t - 1], out=buf)
        xp.add(at2[t - 1], skip, out=tmp)
        xp.logaddexp(buf, tmp, out=buf)
        xp.add(buf, lpt[t], out=at[t])
    rows, last = xp.arange(n), xp.asarray(np.maximum(il - 1, 0))
    nll = -xp.logaddexp(alpha[last, rows, 2 * lengths + 2], alpha[last, rows, 2 * lengths + 1])
    empty = xp.where(lengths == 0, 0.0, np.inf).astype(lp.dtype)
    nll = xp.where(xp.asarray(il) == 0, empty, nll)
    return alpha, lpv, skip, nll


def _by_label(be, e, ext, n_classes):
    """sum over s with ext[n, s] == c of e[t, n, s], (T, N, 2S+1) -> (T, N, C): a product
    with the one-hot labels while that is small, else a scatter-add (its cost has no
    (2S+1) * C term: a large vocabulary)."""
    xp = be.xp
    t_max, n, width = e.shape
    if width * n_classes <= _ONE_HOT_LIMIT:
        onehot = (ext[:, :, None] == xp.arange(n_classes)).astype(e.dtype)  # (N, 2S+1, C)
        return xp.matmul(e.transpose(1, 0, 2), onehot).transpose(1, 0, 2)
    out = xp.zeros((n * n_classes, t_max), dtype=e.dtype)
    flat = (xp.arange(n)[:, None] * n_classes + ext).reshape(-1)
    be.index_add_(out, flat, xp.ascontiguousarray(e.transpose(1, 2, 0)).reshape(-1, t_max))
    return out.reshape(n, n_classes, t_max).transpose(2, 0, 1)


def _ctc_backward(be, lp, gy, alpha, lpv, skip, nll, ext, il, tl, zero_infinity):
    """PyTorch's ctc_loss_backward on arrays: the betas, then the formula of the module
    docstring; gy (N,)."""
    xp = be.xp
    t_max, n, n_classes = lp.shape
    width = ext.shape[1]
    neg = -np.inf
    s = xp.arange(width)
    lengths, inputs = xp.asarray(tl), xp.asarray(il)
    skip_b = xp.full((n, width), neg, dtype=lp.dtype)  # s -> s + 2 allowed
    skip_b[:, :-2] = skip[:, 2:]
    final = (s[None, :] == 2 * lengths[:, None]) | (s[None, :] == 2 * lengths[:, None] - 1)
    final = xp.where(final, 0.0, neg).astype(lp.dtype)
    # The betas in a frame where every input ends at the same step, span - 1 (element b
    # shifted by span - il[b]): one start, no per-element test in the loop.
    span, rows = int(il.max()), xp.arange(n)[None, :]
    shift = xp.asarray(span - il)
    lps = lpv[xp.maximum(xp.arange(span)[:, None] - shift[None, :], 0), rows]
    beta = xp.full((span + 1, n, width + 2), neg, dtype=lp.dtype)  # row span: -inf
    if span:
        beta[span - 1, :, :-2] = lps[span - 1] + final
    bt, bt1, bt2 = list(beta[:, :, :-2]), list(beta[:, :, 1:-1]), list(beta[:, :, 2:])
    buf, tmp = xp.empty((n, width), dtype=lp.dtype), xp.empty((n, width), dtype=lp.dtype)
    for u in range(span - 2, -1, -1):
        xp.logaddexp(bt[u + 1], bt1[u + 1], out=buf)
        xp.add(bt2[u + 1], skip_b, out=tmp)
        xp.logaddexp(buf, tmp, out=buf)
        xp.add(buf, lps[u], out=bt[u])
    # back in the input's frame (-inf from the input's end on: row span)
    beta = beta[xp.minimum(xp.arange(t_max)[:, None] + shift[None, :], span), rows]
    ab = alpha[:, :, 2:] + beta[:, :, :-2]  # log alpha_t(s) beta_t(s), (T, N, 2S+1)
    m = ab.max(axis=2, keepdims=True)
    m = xp.where(m == neg, 0.0, m)
    collected = _by_label(be, xp.exp(ab - m), ext, n_classes)
    log_ab = xp.log(collected) + m  # (T, N, C), -inf where no s has label c
    grad = (xp.exp(lp) - xp.exp(log_ab + nll[None, :, None] - lp)) * gy[None, :, None]
    keep = xp.arange(t_max)[:, None] < inputs[None, :]
    if zero_infinity:
        keep = keep & (nll != np.inf)[None, :]
    return xp.where(keep[:, :, None], grad, 0).astype(lp.dtype, copy=False)


class CtcLossGrad(ArrayFunction):
    """ctc_loss's gradient as a node of its own, so that a create_graph backward records one:
    PyTorch has no derivative for it (``NotImplemented``)."""
    node_name = "NotImplemented"
    _node_base = _NotImplementedNode

    @staticmethod
    def forward(ctx, gy, lp, state):
        return _ctc_backward(lp._be, lp._arr, gy._arr, *state)

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


class CtcLoss(ArrayFunction):
    """The CTC negative log likelihood per batch element of log_probs (T, N, C), for extended
    labels ``ext`` (N, 2S+1) and host int64 lengths; PyTorch's ``_ctc_loss``."""
    node_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, lp, ext, il, tl, zero_infinity):
        xp = lp._be.xp
        with np.errstate(all="ignore"):
            alpha, lpv, skip, nll = _ctc_forward(xp, lp._arr, ext, il, tl)
        ctx.save_for_backward(lp)
        ctx.state = (alpha, lpv, skip, nll.copy(), ext, il, tl, zero_infinity)
        return nll

    @staticmethod
    def backward(ctx, gy):
        lp, = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return CtcLossGrad.apply(gy, lp, ctx.state)

    @staticmethod
    def array_backward(ctx, gy):
        lp, = ctx.saved_arrays
        with np.errstate(all="ignore"):
            return _ctc_backward(ctx._be, lp, gy, *ctx.state)


def _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
              zero_infinity):
    """PyTorch's ctc_loss_impl with a reduction name."""
    il = _host_lengths(input_lengths, "input_lengths")
    tl = _host_lengths(target_lengths, "target_lengths")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    blank = int(blank)
    _check(lp, targets, il, tl, blank)
    tg = targets.detach().to(lp.device, _dtype.int64)
    ext = _extended(lp._be.xp, tg, tl, lp.shape[2], blank)
    res = CtcLoss.apply(lp, ext, il, tl, zero_infinity)
    if zero_infinity:
        res = where(res == float("inf"), zeros((), dtype=res.dtype, device=res.device), res)
    if reduction == "mean":
        return (res / clamp_min(_tensor(tl, dtype=res.dtype, device=res.device), 1)).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)


@autocast_op(cpu=FP32)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
        zero_infinity=False) -> Tensor

    The connectionist temporal classification loss: the negative log likelihood of each
    target sequence under every alignment of it (with ``blank``s and repeats) to
    ``log_probs``, (T, N, C) log-probabilities (log_softmax outputs) or unbatched (T, C).
    ``targets``: padded (N, S) or the targets concatenated (sum(target_lengths),), class
    indices other than blank; input_lengths / target_lengths: one per batch element, Tensors
    or tuples of ints.  reduction 'mean' (default) divides each loss by its target length
    (at least 1) and averages over the batch, 'sum' adds, 'none' keeps (N,).  zero_infinity
    zeroes the infinite losses (targets no alignment fits) and their gradients.  Gradient:
    PyTorch's (see gradcore/ops/ctc.py); not differentiable twice."""
    reduction = _reduction_enum(reduction)
    _check_types((log_probs, targets, input_lengths, target_lengths, blank, 1, zero_infinity))
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                     zero_infinity)


def ctc_loss_enum(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
                  zero_infinity=False):
    """ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
        zero_infinity=False) -> Tensor

    torch.ctc_loss: nn.functional.ctc_loss with the reduction as PyTorch's enum (0 'none',
    1 'mean', 2 'sum'; any other value reduces nothing)."""
    _check_types((log_probs, targets, input_lengths, target_lengths, blank, reduction,
                  zero_infinity))
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                     _REDUCTIONS.get(int(reduction), "none"), zero_infinity)


METHODS = {}
FUNCTIONS = {"ctc_loss": ctc_loss_enum}
FUNCTIONAL = {"ctc_loss": ctc_loss}
