"""Distances, similarities and the other functional extras: cosine_similarity,
pairwise_distance, pdist, one_hot, embedding_bag, bilinear.

Most are compositions of Tensor ops, as they are in PyTorch (cosine_similarity's norms are
clamped at eps under no_grad, so the clamp passes the gradient through, as PyTorch's;
pairwise_distance is ``norm(x1 - x2 + eps, p, -1)``; bilinear an einsum).  pdist and
embedding_bag are one node each, as PyTorch's (PdistBackward0, EmbeddingBagBackward0), and so
is each one's gradient under create_graph (PdistBackwardBackward0,
EmbeddingBagBackwardBackward0): the gradient is written once, as Tensor ops (pdist: PyTorch's
_pdist_backward; embedding_bag: the vector-Jacobian product of its composite, which gathers
each bag's rows into a padded (bags, longest bag, dim) block and reduces it), and
``_vjp_node`` makes it a node whose own backward is that formula's vector-Jacobian product.
(PyTorch raises NotImplementedError for both double backwards; gradcore computes them.)
"""
import functools
import math

import numpy as np

from .._autocast import FP32, PROMOTE, autocast_op
from .. import _dtype
from ..autograd.engine import grad as _autograd_grad
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import check_index_saveable, enable_grad, is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from . import elementwise as E, reduction as _reduction
from .factories import zeros
from .join import cat
from .normalization import _padding_index, embedding


_SLOT = object()  # where a Tensor argument goes in _vjp_node's saved argument list


def _vjp_node(node, formula):
    """The ``apply`` of one node named ``node`` computing ``formula(*args)`` (Tensor ops, one
    Tensor result; Tensors and plain parameters positionally).  Its backward is formula's
    vector-Jacobian product, by autograd on aliases of its Tensor arguments (recorded under
    create_graph, so every higher derivative comes from the same formula)."""

    def forward(ctx, *args):
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        ctx.args = [_SLOT if isinstance(a, Tensor) else a for a in args]
        with no_grad():
            return formula(*args)._arr

    def backward(ctx, gg):
        create, needs = is_grad_enabled(), ctx.needs_input_grad
        saved = ctx.saved_tensors
        with enable_grad():
            alias = [t.view_as(t) if create else t.detach().requires_grad_(n)
                     for t, n in zip(saved, needs)]
            it = iter(alias)
            out = formula(*[next(it) if a is _SLOT else a for a in ctx.args])
        want = [a for a, n in zip(alias, needs) if n]
        got = iter(_autograd_grad(out, want, gg, create_graph=create, retain_graph=True,
                                  allow_unused=True))
        grads = [(next(got) if n else None) for n in needs]
        grads = [g if g is not None or not n else t.new_zeros(t.shape)
                 for g, n, t in zip(grads, needs, saved)]
        return tuple(grads) if len(grads) > 1 else grads[0]

    return type(node.replace("Backward", "") + "Function", (ArrayFunction,), dict(
        node_name=node, __doc__=formula.__doc__, forward=staticmethod(forward),
        backward=staticmethod(backward))).apply


def _vector_norm(x, p, dim, keepdim):
    """linalg.vector_norm's op (ops/reduction.py's norm; ops import nothing above them)."""
    return _reduction.norm(x, float(p), dim, keepdim)
@autocast_op(cuda=FP32)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor

    sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim``, x1 and x2 broadcast
    to one shape; each norm is clamped at eps (under no_grad, as PyTorch: the gradient
    passes through the clamp)."""
    dt = _dtype.result_type(x1, x2)
    if not dt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{dt.scalar_name}")
    shape = _broadcast(x1, x2)
    x1, x2 = (t.to(dt).expand(shape) for t in (x1, x2))
    n1 = _vector_norm(x1, 2, dim, True).clone()
    n2 = _vector_norm(x2, 2, dim, True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast(x1, x2):
    from .shape import broadcast_shapes
    return broadcast_shapes(x1.shape, x2.shape)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor

    The p-norm of x1 - x2 + eps along the last dim (of the broadcast shape): one distance per
    pair of rows."""
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim)


@functools.lru_cache(maxsize=16)
def _triu(n):
    """pdist's pairs for N = n rows: (i, j), i < j in row-major order, and the (N, N) index
    of pair (i, j) -- or (j, i) -- in pdist's output, one past its end on the diagonal
    (NumPy arrays, read-only)."""
    i, j = np.triu_indices(n, 1)
    k = np.full((n, n), i.size, dtype=np.int64)
    k[i, j] = k[j, i] = np.arange(i.size)
    for a in (i, j, k):
        a.setflags(write=False)
    return i, j, k


def _pdist_backward(gy, x, dist, p):
    """PyTorch's _pdist_backward (its CPU kernel's cases): row i's gradient is the sum over
    j != i of d dist_ij / d x_i, a function of x_i - x_j, gy_ij and dist_ij (0 at a zero
    distance).  Computed over all N x N ordered pairs (the term is odd in x_i - x_j, so pair
    (j, i) gives row j its share), gathered, not scattered."""
    k = _wrap(x._be.xp.asarray(_triu(x.shape[0])[2]), x._be)
    diff = x.unsqueeze(1) - x.unsqueeze(0)  # (N, N, M): x_i - x_j
    # a zero past the end for the diagonal (dist is empty for N = 1)
    g = cat([gy, gy.new_zeros((1,))])[k].unsqueeze(2)
    d = cat([dist, dist.new_zeros((1,))])[k].unsqueeze(2)
    if p == 0:
        rows = diff * 0
    elif p == 1:
        rows = g * diff.sign()
    elif p == math.inf:
        rows = g * diff.sign() * (1 - (diff.abs() - d).abs().ceil().clamp(max=1))
    elif p == 2:  # 0 at a zero distance (there x_i - x_j is 0): only the division is kept off
        rows = diff * (g / E.where(d == 0, 1, d))
    else:
        zero = d == 0
        if p < 1:  # |diff| ** (p - 1) is inf at diff = 0: left out (as a 0 distance is)
            zero = zero | (diff == 0)
        # the left-out terms (the diagonal among them) read 1s, so no inf or nan reaches
        # their (zero) derivatives either
        diff = E.where(zero, 1, diff)
        d = E.where(zero, 1, d)
        if p < 2:
            rows = diff.sign() * diff.abs() ** (p - 1) * g / d ** (p - 1)
        else:
            rows = diff * diff.abs() ** (p - 2) * g / d ** (p - 1)
        rows = E.where(zero, 0, rows)
    return rows.sum(1)


_pdist_grad = _vjp_node("PdistBackwardBackward0", _pdist_backward)


class Pdist(ArrayFunction):
    node_name = "PdistBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        xp, a = x._be.xp, x._arr
        i, j, _ = _triu(a.shape[0])
        diff = a[xp.asarray(i)] - a[xp.asarray(j)]
        if p == 0:
            return (diff != 0).sum(-1).astype(a.dtype)
        if p == math.inf:
            return xp.abs(diff).max(-1) if diff.shape[-1] else diff.sum(-1)
        if p == 1:
            return xp.abs(diff).sum(-1)
        if p == 2:
            return xp.sqrt((diff * diff).sum(-1))
        return (xp.abs(diff) ** p).sum(-1) ** (1 / p)

    @staticmethod
    def backward(ctx, gy):
        x, dist = ctx.saved_tensors
        return _pdist_grad(gy, x, dist, ctx.p)
@autocast_op(cuda=FP32)
def pdist(input, p=2):
    """pdist(input, p=2) -> Tensor

    The p-norm distances between every pair of rows i < j of the (N, M) input, in row-major
    order of the upper triangle: N * (N - 1) / 2 values. One node (PdistBackward0), with
    PyTorch's gradient (0 at a zero distance; p = inf: every coordinate attaining the max)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    return Pdist.apply(input, float(p))


def one_hot(tensor, num_classes=-1):
    """one_hot(tensor, num_classes=-1) -> LongTensor

    Class indices (int64, any shape) as one-hot vectors: shape tensor.shape + (num_classes,),
    1 at each index; num_classes=-1 takes max(tensor) + 1."""
    if not isinstance(tensor, Tensor) or tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    be, a = tensor._be, tensor._arr
    if a.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        n = num_classes
    else:
        if int(a.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        top = int(a.max())
        if num_classes == -1:
            n = top + 1
        else:
            if top >= num_classes:
                raise RuntimeError("Class values must be smaller than num_classes.")
            n = num_classes
    xp = be.xp
    out = (a[..., None] == xp.arange(n)).astype(np.int64)
    return _wrap(out, be)


_MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
        scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
        include_last_offset=False, padding_idx=None) -> Tensor

    The sum, mean or max of bags of embedding rows, without the intermediate lookup tensor
    of PyTorch's kernel: ``input`` (B, N) is B bags of N indices (offsets None), or a 1-D
    index list cut into bags at ``offsets`` (B,) (B + 1 with include_last_offset).
    per_sample_weights (mode 'sum' only) scales each looked-up row; indices equal to
    padding_idx are left out of their bag (and of its count for 'mean'); an empty bag gives
    zeros.  The result is (B, embedding_dim)."""
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:  # a sparse gradient is built for embedding only (gradcore/sparse.py)
        raise NotImplementedError("gradcore: embedding_bag(sparse=True) is not supported "
                                  "(embedding(sparse=True) is): use sparse=False")
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    for t in (weight, per_sample_weights):  # the nodes keep the indices and offsets
        check_index_saveable(t, input, offsets)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets)}")
        b, n = input.shape
        be = input._be
        offsets = _wrap(be.xp.arange(0, b * n, n, dtype=np.int64), be)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        include_last_offset = False
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    be = weight._be
    xp = be.xp
    idx = input._arr.astype(np.int64, copy=False)
    off = offsets._arr.astype(np.int64, copy=False)
    total = idx.shape[0]
    _check_bag_indices(be, idx, weight, mode, padding_idx)
    if off.size and int(off[0]) != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(off[0])}")
    if off.size and int(off[-1]) > total:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {total}, but "
                           f"got offsets[-1] of {int(off[-1])}")
    starts = off[:-1] if include_last_offset else off
    ends = xp.concatenate([starts[1:], xp.asarray([total], dtype=np.int64)]) \
        if not include_last_offset else off[1:]
    nbags = starts.shape[0]
    # the padded block: slot (bag, k) holds element starts[bag] + k, or an extra filler row
    lengths = ends - starts
    longest = int(lengths.max()) if nbags else 0
    k = xp.arange(longest, dtype=np.int64)
    pos = starts[:, None] + k[None, :]
    valid = k[None, :] < lengths[:, None]
    safe = xp.where(valid, pos, total)
    if padding_idx is not None:
        valid = valid & (xp.concatenate([idx, xp.asarray([-1], dtype=np.int64)])[safe]
                         != padding_idx)
        safe = xp.where(valid, pos, total)
    dim = weight.shape[1]
    if mode == "max" and longest == 0:
        return zeros((nbags, dim), dtype=weight.dtype, device=weight.device)
    if max_norm is not None:  # embedding's in-place renorm of the looked-up rows, first
        with no_grad():
            embedding(input, weight, None, max_norm, norm_type)
    bags = _Bags(input, scale_grad_by_freq, mode, safe, valid)
    return EmbeddingBag.apply(weight, per_sample_weights, bags)


def _check_bag_indices(be, idx, weight, mode, padding_idx):
    """PyTorch's CPU errors for an index outside [0, num_embeddings): its float32 sum / mean
    kernel without padding_idx names the position, the others the value only."""
    n = weight.shape[0]
    if not idx.size or (int(idx.min()) >= 0 and int(idx.max()) < n):
        return
    host = be.to_host(idx)
    pos = int(np.flatnonzero((host < 0) | (host >= n))[0])
    if weight.dtype.scalar_name == "Float" and mode != "max" and padding_idx is None:
        raise RuntimeError(f"Index {pos} of input takes value {int(host[pos])} which is not in "
                           f"the valid range [0, {n})")
    raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                       f"idx to be {int(host[pos])}")


class _Bags(tuple):
    """embedding_bag's layout (a plain parameter of its nodes): the index Tensor, whether
    gradients scale by frequency, the mode, and the padded block's slots (bags, longest bag)
    and their validity."""
    __slots__ = ()

    def __new__(cls, *fields):
        return tuple.__new__(cls, fields)


def _bag_reduce(weight, psw, bags):
    """embedding_bag as Tensor ops: the looked-up rows (times psw) gathered into the padded
    (bags, longest bag, dim) block -- empty slots read a filler row -- and reduced."""
    input, freq, mode, safe, valid = bags
    be, xp = weight._be, weight._be.xp
    rows = embedding(input, weight, None, None, 2, freq)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    fill = -np.inf if mode == "max" else 0.0
    filler = _wrap(xp.full((1, weight.shape[1]), fill, dtype=weight._arr.dtype), be)
    block = cat([rows, filler], 0)[_wrap(safe, be)]  # (bags, longest, dim)
    count = valid.sum(axis=1)
    if mode == "max":
        out = block.max(1).values
        empty = _wrap((count == 0)[:, None], be)
        return E.where(empty, E._full_like_scalar(out, 0.0), out)
    out = block.sum(1)
    if mode == "mean":
        out = out / _wrap(xp.maximum(count, 1).astype(weight._arr.dtype)[:, None], be)
    return out


def _bag_vjp(gy, weight, psw, bags, wrt):
    """The vector-Jacobian product of _bag_reduce with respect to argument ``wrt`` (0:
    weight, 1: per_sample_weights), itself differentiable under create_graph."""
    create = is_grad_enabled()
    with enable_grad():
        args = [weight, psw]
        t = args[wrt]
        args[wrt] = t.view_as(t) if create and t.requires_grad else t.detach().requires_grad_()
        if not create:
            args[1 - wrt] = None if args[1 - wrt] is None else args[1 - wrt].detach()
        out = _bag_reduce(args[0], args[1], bags)
    return _autograd_grad(out, [args[wrt]], gy, create_graph=create)[0]


def _bag_weight_grad(gy, weight, psw, bags):
    """embedding_bag's gradient for weight (PyTorch's _embedding_bag_backward): each bag's
    gradient sent to its rows (scaled by psw, 1 / count for 'mean', 1 / frequency with
    scale_grad_by_freq; 'max': to the row attaining each max)."""
    return _bag_vjp(gy, weight, psw, bags, 0)


_bag_grad = _vjp_node("EmbeddingBagBackwardBackward0", _bag_weight_grad)


class EmbeddingBag(ArrayFunction):
    node_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, weight, psw, bags):
        ctx.save_for_backward(weight, *(() if psw is None else (psw,)))
        ctx.bags = bags
        with no_grad():
            return _bag_reduce(weight, psw, bags)._arr

    @staticmethod
    def backward(ctx, gy):
        weight, *psw = ctx.saved_tensors
        psw = psw[0] if psw else None
        needs = ctx.needs_input_grad
        # weight goes in detached: the gradient is linear in gy (for 'max' too, piecewise), so
        # it does not depend on weight, and PyTorch's _embedding_bag_backward does not take it
        gw = _bag_grad(gy, weight.detach(), psw, ctx.bags) if needs[0] else None
        if psw is None:
            return gw
        return gw, _bag_vjp(gy, weight, psw, ctx.bags, 1) if needs[1] else None
@autocast_op(cuda=PROMOTE)
def bilinear(input1, input2, weight, bias=None):
    """bilinear(input1, input2, weight, bias=None) -> Tensor

    y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]: input1
    (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out,)."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for d, (n1, n2) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if n1 != n2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {n1} and {n2}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, but got "
                           f"{weight.dim()}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    from .contraction import einsum
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        if bias.dim() != 1 or bias.shape[0] != weight.shape[0]:
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                               f"{bias.shape[0] if bias.dim() else 0} but expected "
                               f"{weight.shape[0]}")
        out = out + bias
    return out


METHODS = {}
FUNCTIONS = {"cosine_similarity": cosine_similarity, "pairwise_distance": pairwise_distance,
             "pdist": pdist, "bilinear": bilinear}
FUNCTIONAL = {"cosine_similarity": cosine_similarity, "pairwise_distance": pairwise_distance,
              "pdist": pdist, "one_hot": one_hot, "embedding_bag": embedding_bag,
              "bilinear": bilinear}
