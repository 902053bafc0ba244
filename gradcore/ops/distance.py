"""Distances, similarities and the other functional extras: cosine_similarity,
pairwise_distance, pdist, one_hot, embedding_bag, bilinear.

All are compositions of Tensor ops, as most are in PyTorch (cosine_similarity's norms are
clamped at eps under no_grad, so the clamp passes the gradient through, as PyTorch's;
pairwise_distance is ``norm(x1 - x2 + eps, p, -1)``).  pdist gathers the row pairs (i < j)
and takes their norms; embedding_bag gathers each bag's rows into a padded (bags, longest
bag, dim) block and reduces it.
"""
import numpy as np

from .. import _dtype
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _wrap
from . import elementwise as E, reduction as _reduction
from .factories import zeros
from .join import cat
from .normalization import _padding_index, embedding

def _vector_norm(x, p, dim, keepdim):
    """linalg.vector_norm's op (ops/reduction.py's norm; ops import nothing above them)."""
    return _reduction.norm(x, float(p), dim, keepdim)


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


def pdist(input, p=2):
    """pdist(input, p=2) -> Tensor

    The p-norm distances between every pair of rows i < j of the (N, M) input, in row-major
    order of the upper triangle: N * (N - 1) / 2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    be = input._be
    ii, jj = _wrap(be.xp.asarray(i), be), _wrap(be.xp.asarray(j), be)
    return (input[ii] - input[jj]).norm(p, 1)


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
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
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
    rows = embedding(input, weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
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
    fill = -np.inf if mode == "max" else 0.0
    filler = _wrap(xp.full((1, dim), fill, dtype=weight._arr.dtype), be)
    block = cat([rows, filler], 0)[_wrap(safe, be)]  # (bags, longest, dim)
    count = valid.sum(axis=1)
    if mode == "max":
        if longest == 0:
            return zeros((nbags, dim), dtype=weight.dtype, device=weight.device)
        out = block.max(1).values
        empty = _wrap((count == 0)[:, None], be)
        return E.where(empty, E._full_like_scalar(out, 0.0), out)
    out = block.sum(1)
    if mode == "mean":
        denom = xp.maximum(count, 1).astype(weight._arr.dtype)[:, None]
        out = out / _wrap(denom, be)
    return out


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
