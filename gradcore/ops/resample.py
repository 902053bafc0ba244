"""Resampling and padding: pad, interpolate, grid_sample, affine_grid, fold/unfold,
pixel_shuffle / pixel_unshuffle, channel_shuffle.

* pad: constant padding is one node (ConstantPadNdBackward0) whose backward is constant
  padding again with the pads negated (negative pads crop).  reflect / replicate / circular
  are gathers along each padded dim by an index map (ReflectionPad2DBackward0 ...); their
  backward scatter-adds along the same maps, and its backward is the gather again.
* interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear) is separable:
  one (out, in) matrix per spatial dim, built on the host with PyTorch's index arithmetic
  (its float32 math for nearest, the input's opmath for the others), applied as matmuls.
  The backward applies the transposes; the transposes' backward is the forward again.
  'area' is adaptive average pooling, as in PyTorch.  antialias=True (bilinear, bicubic) is
  one more matrix per dim: PyTorch's separable antialias weights (UpsampleBilinear2DAa...).
* grid_sample and affine_grid are one node each (GridSampler2DBackward0 / 3D,
  AffineGridGeneratorBackward0) over a composite of Tensor ops: forward runs it without a
  graph, backward differentiates it (so double backward works).  grid_sample's composite is
  N-d (bilinear / trilinear, nearest, and bicubic on 4-D: 16 taps, each padded on its own
  as PyTorch's): one plane gather reads every corner at once (its backward a bincount,
  ops/windows.py's), so gradients reach input and grid through few nodes.
* unfold / fold are ops/windows.py's im2col / col2im, each the other's backward.
"""
import functools
import math
import numbers
import warnings

import numpy as np

from .. import _autocast
from ..autograd.engine import grad as _autograd_grad
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..tensor import Tensor, _wrap
from . import conv as _conv, elementwise as E, join, windows
from .out import caller_level


def _tuple(v, n):
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    v = tuple(int(a) for a in v)
    if len(v) == 1 and n > 1:
        return v * n
    return v


# ---- pad ----------------------------------------------------------------------------------

def _pad_pairs(ndim, pad):
    """[(dim, before, after)] from PyTorch's pad tuple (last dim first)."""
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


class ConstantPadNd(ArrayFunction):
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pad, value):
        ctx.pad = pad
        a = x._arr
        xp = x._be.xp
        shape = list(a.shape)
        src, dst = [slice(None)] * a.ndim, [slice(None)] * a.ndim
        for d, before, after in _pad_pairs(a.ndim, pad):
            n = a.shape[d]
            shape[d] = n + before + after
            src[d] = slice(max(-before, 0), n - max(-after, 0))
            dst[d] = slice(max(before, 0), shape[d] - max(after, 0))
        out = xp.empty(tuple(shape), dtype=a.dtype)
        out.fill(value)
        out[tuple(dst)] = a[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, gy):
        return ConstantPadNd.apply(gy, tuple(-p for p in ctx.pad), 0)


def _gather_along(xp, a, maps):
    for d, idx in maps:
        a = xp.take(a, idx, axis=d)
    return a


def _scatter_along(be, g, maps, shape):
    for d, idx in reversed(maps):
        sh = list(g.shape)
        sh[d] = shape[d]
        out = be.xp.zeros(tuple(sh), dtype=g.dtype)
        be.index_add_(out, (slice(None),) * d + (idx,), g)
        g = out
    return g


class _IndexPad(ArrayFunction):
    """x gathered along each dim of ``maps`` [(dim, index array)]."""

    @classmethod
    def forward(cls, ctx, x, maps):
        ctx.maps, ctx.shape = maps, x._arr.shape
        if cls.node_name != "CopySlices":  # reflect / replicate: PyTorch's backward takes self
            ctx.save_for_backward(x)
        return _gather_along(x._be.xp, x._arr, maps)

    @classmethod
    def backward(cls, ctx, gy):
        x = ctx.saved_tensors[0] if cls.node_name != "CopySlices" else None
        return cls.grad_cls.apply(gy, x, ctx.maps, ctx.shape)


class _IndexPadGrad(ArrayFunction):
    """A pad's gradient: gy scattered back; x (when given: reflect and replicate, whose
    PyTorch backward takes self) is an input with gradient 0, so under create_graph the
    gradient requires grad as PyTorch's does."""

    @staticmethod
    def forward(ctx, gy, x, maps, shape):
        ctx.maps, ctx.with_x = maps, x is not None
        ctx.shape_of_x = shape
        return _scatter_along(gy._be, gy._arr, maps, shape)

    @classmethod
    def backward(cls, ctx, gg):
        gy = cls.fwd_cls.apply(gg, ctx.maps)
        if not ctx.with_x:
            return gy
        return gy, gg.new_zeros(ctx.shape_of_x) if ctx.needs_input_grad[1] else None


@functools.lru_cache(maxsize=None)
def _linear_pair(base, grad_base, node):
    """The Function of a linear resampling op named ``node`` (a subclass of ``base``) and its
    gradient's (of ``grad_base``, named as PyTorch names the backward's backward), each the
    other's backward; made once per node name."""
    name = node[:-len("Backward0")] if node.endswith("Backward0") else "Slice"  # CopySlices
    cls = type(name, (base,), {"node_name": node})
    grad = type(name + "Backward", (grad_base,), {"node_name": name + "BackwardBackward0"})
    cls.grad_cls, grad.fwd_cls = grad, cls
    return cls


def _pad_class(node):
    return _linear_pair(_IndexPad, _IndexPadGrad, node)


_MODE_NODES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
               "circular": "CopySlices"}


def _pad_index(n, before, after, mode):
    i = np.arange(-before, n + after)
    if mode == "reflect":
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    # circular (as PyTorch): negative pads crop first, the positive ones wrap the cropped rows
    kept = np.arange(max(-before, 0), n - max(-after, 0))
    if not len(kept):
        return kept
    return kept[np.arange(-max(before, 0), len(kept) + max(after, 0)) % len(kept)]


def pad(input, pad, mode="constant", value=None):
    """pad(input, pad, mode='constant', value=None) -> Tensor

    Pad ``input``: ``pad`` = (left, right) for the last dim, then (top, bottom) for the one
    before, and so on.  Modes: 'constant' (``value``, default 0; negative pads crop, any
    number of dims), 'reflect', 'replicate' and 'circular' (the last 1, 2 or 3 dims of a
    batched or unbatched input).  Differentiable in ``input``."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    if mode == "constant":
        for d, before, after in _pad_pairs(input.ndim, pad):
            if input.shape[d] + before + after < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPadNd.apply(input, pad, 0 if value is None else value)
    if mode not in _MODE_NODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if _autocast.ACTIVE and (mode == "replicate" or mode == "reflect" and k < 3):
        input, = _autocast.cast({"cpu": _autocast.FP32}, input)  # PyTorch's CPU float32 list
    shape = tuple(input.shape)
    if mode != "circular":
        first = 1 if input.ndim == k + 2 else 0  # a batch may be empty, no other dim
        if any(shape[d] == 0 for d in range(first, input.ndim)):
            dims = {1: "2D or 3D", 2: "3D or 4D", 3: "4D or 5D"}[k]
            raise RuntimeError(f"Expected {dims} (batch mode) tensor with possibly 0 batch size "
                               f"and other non-zero dimensions for input, but got: "
                               f"{list(shape)}")
    maps = []
    for i, (d, before, after) in enumerate(_pad_pairs(input.ndim, pad)):
        n = shape[d]
        if mode == "reflect" and (before >= n or after >= n):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({before}, "
                               f"{after}) at dimension {d} of input {list(shape)}")
        if mode == "circular" and n + before + after < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if mode == "circular" and (before > n or after > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        maps.append((d, input._be.xp.asarray(_pad_index(n, before, after, mode))))
    return _pad_class(_MODE_NODES[mode].format(k)).apply(input, maps)


# ---- interpolate -----------------------------------------------------------------------------

def _opmath(dtype):
    return np.float64 if dtype == np.float64 else np.float32


def _source_scale(n_in, n_out, align_corners, scale, op):
    """PyTorch's area_pixel_compute_scale."""
    if align_corners:
        return op(n_in - 1) / op(n_out - 1) if n_out > 1 else op(0)
    if scale is not None and scale > 0:
        return op(1.0 / scale)
    return op(n_in) / op(n_out)


def _nearest_matrix(n_in, n_out, scale, exact):
    dst = np.arange(n_out)
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else (
        np.float32(n_in) / np.float32(n_out))
    if exact:
        src = np.floor((dst.astype(np.float32) + np.float32(0.5)) * s)
    elif n_out == n_in:
        src = dst
    elif n_out == 2 * n_in:
        src = dst >> 1
    else:
        src = np.floor(dst.astype(np.float32) * s)
    src = np.minimum(src.astype(np.int64), n_in - 1)
    m = np.zeros((n_out, n_in))
    m[dst, src] = 1
    return m


def _linear_matrix(n_in, n_out, align_corners, scale, op):
    s = _source_scale(n_in, n_out, align_corners, scale, op)
    dst = np.arange(n_out).astype(op)
    if align_corners:
        real = s * dst
    else:
        real = np.maximum(s * (dst + op(0.5)) - op(0.5), op(0))
    i0 = real.astype(np.int64)
    i1 = i0 + (i0 < n_in - 1)
    l1 = real - i0.astype(op)
    l0 = op(1) - l1
    m = np.zeros((n_out, n_in), dtype=op)
    rows = np.arange(n_out)
    np.add.at(m, (rows, i0), l0)
    np.add.at(m, (rows, i1), l1)
    return m


def _cubic_matrix(n_in, n_out, align_corners, scale, op):
    s = _source_scale(n_in, n_out, align_corners, scale, op)
    dst = np.arange(n_out).astype(op)
    real = s * dst if align_corners else s * (dst + op(0.5)) - op(0.5)
    i0 = np.floor(real)
    t = real - i0
    A = op(-0.75)

    def c1(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    coeffs = (c2(t + 1), c1(t), c1(1 - t), c2(2 - t))
    m = np.zeros((n_out, n_in), dtype=op)
    rows = np.arange(n_out)
    for k, c in enumerate(coeffs):
        idx = np.clip(i0.astype(np.int64) - 1 + k, 0, n_in - 1)
        np.add.at(m, (rows, idx), c)
    return m


def _aa_filter(mode, x):
    """PyTorch's antialias filters: the triangle (bilinear), Keys' cubic with a = -0.5
    (bicubic, Pillow's) and Lanczos with a = 3 (sinc(x) sinc(x / 3)), at |x|."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, 0)
    if mode == "lanczos":
        return np.where(x < 3, np.sinc(x) * np.sinc(x / x.dtype.type(3)), 0)
    a = x.dtype.type(-0.5)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0))


_AA_SIZE = {"bilinear": 2, "bicubic": 4, "lanczos": 6}  # each filter's interp_size


def _aa_matrix(n_in, n_out, align_corners, scale, op, mode):
    """(n_out, n_in): PyTorch's separable antialias weights (_compute_indices_min_size_
    weights_aa): output i's filter centred at scale * (i + 0.5), widened by the scale when
    downsampling, over the inputs it covers, normalized to sum 1 (in the opmath dtype)."""
    s = _source_scale(n_in, n_out, align_corners, scale, op)
    support = op(_AA_SIZE[mode]) * op(0.5)
    if s >= 1:
        support = support * s
    invscale = op(1) / s if s >= 1 else op(1)
    # every output at once (a loop over outputs cost ms): its window j in [lo, hi), padded
    # to the widest with zero weights, which leave the running sums as they are
    center = s * (np.arange(n_out).astype(op) + op(0.5))
    lo = np.maximum((center - support + op(0.5)).astype(np.int64), 0)
    hi = np.minimum((center + support + op(0.5)).astype(np.int64), n_in)
    width = max(int((hi - lo).max()), 0) if n_out else 0
    j = lo[:, None] + np.arange(width)
    inside = j < hi[:, None]
    w = _aa_filter(mode, (j.astype(op) - center[:, None] + op(0.5)) * invscale).astype(op)
    w = np.where(inside, w, op(0))
    total = w.cumsum(axis=1)[:, -1:] if width else np.zeros((n_out, 1), dtype=op)  # in order
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(total != 0, w / total, w)
    m = np.zeros((n_out, n_in), dtype=op)
    rows = np.broadcast_to(np.arange(n_out)[:, None], j.shape)
    m[rows[inside], j[inside]] = w[inside]
    return m


def _apply_mats(xp, a, mats):
    """``a`` with each spatial dim i (dim 2 + i) mapped by ``mats[i]`` (out, in), in the
    matrices' dtype (float32 for a float16 / bfloat16 ``a``: PyTorch's opmath, one rounding
    at the end)."""
    dtype = a.dtype
    a = a.astype(mats[0].dtype, copy=False) if mats else a
    for i, m in enumerate(mats):
        d = 2 + i
        a = xp.swapaxes(xp.matmul(xp.swapaxes(a, d, -1), m.T), d, -1)
    return xp.ascontiguousarray(a).astype(dtype, copy=False)


class _Upsample(ArrayFunction):
    @staticmethod
    def forward(ctx, x, mats):
        ctx.mats = mats
        return _apply_mats(x._be.xp, x._arr, mats)

    @classmethod
    def backward(cls, ctx, gy):
        return cls.grad_cls.apply(gy, ctx.mats)


class _UpsampleGrad(ArrayFunction):
    @staticmethod
    def forward(ctx, gy, mats):
        ctx.mats = mats
        return _apply_mats(gy._be.xp, gy._arr, [m.T for m in mats])

    @classmethod
    def backward(cls, ctx, gg):
        return cls.fwd_cls.apply(gg, ctx.mats)


def _upsample_class(node):
    return _linear_pair(_Upsample, _UpsampleGrad, node)


_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact",
          "lanczos")
_NEEDS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_UPSAMPLE_NODES = {"nearest": "UpsampleNearest{}DBackward0",
                   "nearest-exact": "UpsampleNearestExact{}DBackward0",
                   "linear": "UpsampleLinear1DBackward0",
                   "bilinear": "UpsampleBilinear2DBackward0",
                   "bicubic": "UpsampleBicubic2DBackward0",
                   "trilinear": "UpsampleTrilinear3DBackward0",
                   "lanczos": "UpsampleLanczos2DBackward0"}


def _is_integer(v):
    return isinstance(v, numbers.Integral) or (isinstance(v, Tensor) and not v.is_floating_point()
                                               and v.ndim == 0)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
        recompute_scale_factor=None, antialias=False) -> Tensor

    Resample the spatial dims of a (N, C, d1, ..., dK) input (K = 1, 2, 3) to ``size`` or by
    ``scale_factor`` (one for each dim or one for all).  Modes: 'nearest', 'nearest-exact',
    'linear' (3-D), 'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive
    average pooling).  ``align_corners`` (interpolating modes only) maps the corner pixels'
    centres onto each other; ``recompute_scale_factor`` computes the scale from the output
    size instead of using ``scale_factor``.  ``antialias`` (bilinear, bicubic
    and 'lanczos', which needs it; 4-D): PyTorch's separable antialias filter, widened by
    the scale when downsampling (a triangle, the cubic with a = -0.5, Lanczos-3),
    normalized per output."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
            out_size = [int(v) for v in size]
        else:
            out_size = [int(size)] * dim
    elif scale_factor is not None:
        out_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out_size = [int(input.shape[i + 2] * scales[i]) for i in range(dim)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode == "lanczos" and input.dim() == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if input.dim() not in (3, 4, 5) or mode not in _MODES or (mode == "lanczos"
                                                              and input.dim() != 4):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    if mode in _NEEDS and input.dim() != _NEEDS[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_NEEDS[mode]}D input")
    in_size = list(input.shape[2:])
    if out_size is None:
        out_size = [int(math.floor(n * s)) for n, s in zip(in_size, scales)]
    if mode == "area":
        return _area(input, out_size)
    if _autocast.ACTIVE:  # upsample_*: PyTorch's CUDA float32 list ('area' is a pooling)
        input, = _autocast.cast({"cuda": _autocast.FP32}, input)
    if min(in_size) <= 0 or min(out_size) <= 0:
        names = ("D", "H", "W")[3 - dim:]
        fmt = ", ".join(f"{n}: {v}" for n, v in zip(names, in_size))
        fmo = ", ".join(f"{n}: {v}" for n, v in zip(names, out_size))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({fmt}) output ({fmo})")
    if math.prod(input.shape[1:]) == 0:  # upsample_*d_common_check: C = 0
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor "
                           f"with sizes {list(input.shape)}")
    if antialias and input._arr.dtype not in (np.float32, np.float64):  # no half kernels
        raise NotImplementedError(f"\"compute_index_ranges_weights\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    if not input.is_floating_point():
        kernel = "compute_index_ranges_weights" if antialias else f"upsample_{mode}{dim}d"
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    op = _opmath(input._arr.dtype)
    scales = scales or [None] * dim
    mats = []
    for n_in, n_out, s in zip(in_size, out_size, scales):
        if antialias:
            m = _aa_matrix(n_in, n_out, align_corners, s, op, mode)
        elif mode in ("nearest", "nearest-exact"):
            m = _nearest_matrix(n_in, n_out, s, mode == "nearest-exact")
        elif mode == "bicubic":
            m = _cubic_matrix(n_in, n_out, align_corners, s, op)
        else:
            m = _linear_matrix(n_in, n_out, align_corners, s, op)
        mats.append(input._be.xp.asarray(m.astype(op)))  # float32 for float16 (opmath)
    node = _UPSAMPLE_NODES[mode].format(dim)
    if antialias:  # UpsampleBilinear2DAaBackward0, UpsampleBicubic2DAaBackward0
        node = node.replace("2DBackward0", "2DAaBackward0")
    return _upsample_class(node).apply(input, mats)


def _area(input, out_size):
    """mode='area': adaptive average pooling, as PyTorch (1-D through the 2-D pool)."""
    if input.dim() == 3:
        return _conv.adaptive_avg_pool2d(input.unsqueeze(-2), (1, out_size[0])).squeeze(-2)
    if input.dim() == 4:
        return _conv.adaptive_avg_pool2d(input, out_size)
    xp = input._be.xp
    mats = [xp.asarray(windows._adaptive_pool_matrix(np, n, o, input._arr.dtype))
            for n, o in zip(input.shape[2:], out_size)]
    return _upsample_class("AdaptiveAvgPool3DBackward0").apply(input, mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None) -> Tensor

    Deprecated alias of interpolate (it warns)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """upsample_nearest(input, size=None, scale_factor=None) -> Tensor

    Deprecated: interpolate(..., mode='nearest') (it warns)."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """upsample_bilinear(input, size=None, scale_factor=None) -> Tensor

    Deprecated: interpolate(..., mode='bilinear', align_corners=True) (it warns)."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use "
                  "nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- composites as one node: grid_sample, affine_grid ---------------------------------------

class _Composite(ArrayFunction):
    """One node over ``fn(*tensors, *params)`` written in Tensor ops: forward runs it without
    a graph; backward differentiates it (with a graph when the backward builds one)."""

    @classmethod
    def forward(cls, ctx, *args):
        n = cls.n_tensors
        tensors, params = args[:n], args[n:]
        ctx.save_for_backward(*tensors)
        ctx.params = params
        with no_grad():
            return cls.fn(*tensors, *params)._arr

    @classmethod
    def backward(cls, ctx, gy):
        tensors = ctx.saved_tensors
        needs = ctx.needs_input_grad
        create_graph = is_grad_enabled()
        with enable_grad():
            leaves = [t.view_as(t) if create_graph else t.detach().requires_grad_(bool(nd))
                      for t, nd in zip(tensors, needs)]
            out = cls.fn(*leaves, *ctx.params)
        wrt = [l for l, nd in zip(leaves, needs) if nd]
        if out.requires_grad:
            grads = list(_autograd_grad(out, wrt, gy, create_graph=create_graph,
                                        retain_graph=create_graph, allow_unused=True))
        else:  # no input reaches out (grid_sample 'nearest' with only the grid requiring grad)
            grads = [None] * len(wrt)
        res = []
        for t, nd in zip(tensors, needs):
            g = grads.pop(0) if nd else None
            if nd and g is None:
                g = t.new_zeros(t.shape)
            res.append(g)
        return tuple(res) if len(res) > 1 else res[0]


def _composite(node, fn, n_tensors):
    return type(node[:-len("Backward0")], (_Composite,),
                {"node_name": node, "fn": staticmethod(fn), "n_tensors": n_tensors}).apply


class _PlaneGather(ArrayFunction):
    """x (N, C, *spatial) read at ``idx`` (N, C, ...) int64 flat indices into each plane
    (ops/windows.py's gather); its backward scatters through bincount (_PlaneScatter),
    cheaper than advanced indexing's add.at.  Internal to grid_sample's composite."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.idx, ctx.shape = idx, x._arr.shape
        return windows.max_pool_double_backward(x._be.xp, x._arr, idx)

    @staticmethod
    def backward(ctx, gy):
        return _PlaneScatter.apply(gy, ctx.idx, ctx.shape)


class _PlaneScatter(ArrayFunction):
    """_PlaneGather's transpose: each value added to the plane element its index names."""
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        return windows.max_pool_backward(g._be.xp, g._arr, idx, shape)

    @staticmethod
    def backward(ctx, gg):
        return _PlaneGather.apply(gg, ctx.idx)


def _unnormalize(g, size, align_corners):
    """grid values in [-1, 1] as source coordinates of a dim of ``size``."""
    if align_corners:
        return (g + 1) / 2 * (size - 1)
    return ((g + 1) * size - 1) / 2


def _pad_coord(c, size, padding_mode, align_corners):
    """PyTorch's compute_coordinates: a source coordinate clipped ('border') or reflected
    ('reflection') into the input; 'zeros' leaves it."""
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            c = _reflect(c, 0, 2 * (size - 1))
        else:
            c = _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def _reflect(c, twice_low, twice_high):
    if twice_low == twice_high:
        return c * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (c - low).abs()
    flips = (c.detach() / span).floor()
    extra = c - flips * span
    even = flips.remainder(2) == 0
    return E.where(even, extra, span - extra) + low


def _cubic_weights(t):
    """PyTorch's get_cubic_upsample_coefficients (A = -0.75) at offset t in [0, 1)."""
    A = -0.75

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _grid_sample_fn(input, grid, mode, padding_mode, align_corners):
    """(N, C, *spatial) sampled at grid (N, *out, nd), in Tensor ops.  The grid's last axis
    is (x, y[, z]): x indexes the last spatial dim.  Per spatial dim, the k integer
    positions a sample reads (nearest 1, linear 2, cubic 4) are stacked (k, N, *out) with
    their weights, selected to 0 where a position is outside (a select, not a product with
    the mask: a nan or inf grid gives 0, never nan, in the input's gradient -- and 0 in the
    output, as PyTorch's 3-d kernel; its 2-d one gives nan there); one gather reads every
    corner (clamped into the input), and the weighted sums run over the corners in
    PyTorch's order."""
    nd = input.dim() - 2
    (N, C), sizes = input.shape[:2], tuple(input.shape[2:])
    be = input._be

    def axis(pos, d, bounded=False):
        """Positions pos (k, N, *out) along spatial dim d: (clamped long index, bool inside
        mask); ``bounded``: first padded as padding_mode says (bicubic's taps)."""
        if bounded:
            pos = _pad_coord(pos, sizes[d], padding_mode, align_corners).trunc()
        return pos.clamp(0, sizes[d] - 1).long(), (pos >= 0) & (pos <= sizes[d] - 1)

    def corners(idx):
        """input at every combination of the dims' positions (idx: one (k_d, N, *out) per
        dim) -> (N, C, k_0, ..., k_{nd-1}, *out), through one plane gather."""
        ks = tuple(i.shape[0] for i in idx)
        rest = tuple(idx[0].shape[1:])
        flat = 0
        for d, (i, step) in enumerate(zip(idx, windows._plane_strides(sizes))):
            a = i._arr.reshape((1,) * d + (ks[d],) + (1,) * (nd - 1 - d) + rest)
            flat = flat + a * step
        flat = be.xp.moveaxis(be.xp.broadcast_to(flat, ks + rest), nd, 0)  # (N, *ks, *out)
        flat = be.xp.broadcast_to(flat[:, None], (N, C) + flat.shape[1:])
        return _PlaneGather.apply(input, flat)

    # source coordinates per spatial dim (D, H, W order): grid's last axis reversed
    src = [_unnormalize(grid[..., nd - 1 - d], sizes[d], align_corners) for d in range(nd)]
    if mode == "bicubic":
        iy, ix = src
        x0, y0 = ix.detach().floor(), iy.detach().floor()
        (yi, ym), (xi, xm) = (axis(join.stack([f + (k - 1) for k in range(4)]), d, True)
                              for d, f in ((0, y0), (1, x0)))
        wx = E.where(xm, join.stack(_cubic_weights(ix - x0)), 0.0).transpose(0, 1)
        wy = E.where(ym, join.stack(_cubic_weights(iy - y0)), 0.0).transpose(0, 1)
        v = corners([yi, xi])  # (N, C, 4, 4, Hg, Wg); wx, wy (N, 4, Hg, Wg)
        rows = (v * wx[:, None, None]).sum(3)  # each row's cubic along x, then along y
        return (rows * wy[:, None]).sum(2)
    src = [_pad_coord(c, size, padding_mode, align_corners) for c, size in zip(src, sizes)]
    if mode == "nearest":
        idx, masks = zip(*(axis(c.detach().round().unsqueeze(0), d) for d, c in enumerate(src)))
        v = corners(list(idx)).reshape((N, C) + tuple(grid.shape[1:-1]))
        inside = masks[0]
        for m in masks[1:]:
            inside = inside & m
        return E.where(inside[0].unsqueeze(1), v, 0.0)
    lo = [c.detach().floor() for c in src]
    idx, ws = [], []
    for d, (c, f) in enumerate(zip(src, lo)):
        i, m = axis(join.stack([f, f + 1]), d)
        idx.append(i)
        ws.append(E.where(m, join.stack([(f + 1) - c, c - f]), 0.0))
    # every corner's weight, the product x first as PyTorch's: (2, ..., 2, N, *out)
    rest = tuple(lo[0].shape)
    w = None
    for d in reversed(range(nd)):
        wd = ws[d].reshape((1,) * d + (2,) + (1,) * (nd - 1 - d) + rest)
        w = wd if w is None else w * wd
    K = 2 ** nd
    v = corners(idx).reshape((N, C, K) + rest[1:])
    w = w.reshape((K,) + rest).transpose(0, 1).unsqueeze(1)  # (N, 1, K, *out)
    return (v * w).sum(2)  # nw, ne, sw, se (, ...) in order


_grid_samplers = {2: _composite("GridSampler2DBackward0", _grid_sample_fn, 2),
                  3: _composite("GridSampler3DBackward0", _grid_sample_fn, 2)}

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


@_autocast.autocast_op(cpu=_autocast.FP32, cuda=_autocast.PROMOTE)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None)
        -> Tensor

    Sample a (N, C, H, W) input at the locations of ``grid`` (N, Hg, Wg, 2) -- or a
    (N, C, D, H, W) input at grid (N, Dg, Hg, Wg, 3) -- x, y (and z) in [-1, 1] across the
    input's width, height (and depth); the result is (N, C, Hg, Wg) (or (N, C, Dg, Hg, Wg)).
    mode: 'bilinear' (trilinear in 5-D), 'nearest' or 'bicubic' (4-D only, PyTorch's cubic
    convolution with A = -0.75, each tap padded on its own); padding_mode for locations
    outside: 'zeros', 'border' or 'reflection'; align_corners: -1 and 1 are the corner
    pixels' centres (True) or edges (False, the default, with a warning when unset).
    Differentiable in input and grid (the grid's gradient is zero for 'nearest')."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=caller_level())
        align_corners = False
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    nd = 2 if input.dim() == 4 else 3
    if input.dim() != nd + 2 or grid.dim() != nd + 2:
        raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same "
                           f"number of dimensions, but got {sizes}")
    if mode == "bicubic" and nd == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{grid.dtype.scalar_name}")
    if not input.is_floating_point():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 2 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return _grid_samplers[nd](input, grid, mode, padding_mode, bool(align_corners))


def _linspace_neg_one(xp, n, align_corners, dtype):
    if n <= 1:
        return xp.zeros(1, dtype=dtype)
    r = np.linspace(-1, 1, n, dtype=dtype)
    if not align_corners:
        r = r * (n - 1) / n
    return xp.asarray(r.astype(dtype))


def _affine_grid_fn(theta, size, align_corners):
    xp, be = theta._be.xp, theta._be
    dt = theta._arr.dtype
    spatial = size[2:]
    axes = [_linspace_neg_one(xp, n, align_corners, dt) for n in reversed(spatial)]  # x, y, z
    mesh = xp.meshgrid(*[axes[i] for i in reversed(range(len(axes)))], indexing="ij")
    coords = [mesh[len(mesh) - 1 - i] for i in range(len(mesh))]  # x first
    base = xp.stack(coords + [xp.ones_like(coords[0])], axis=-1).reshape(1, -1, len(coords) + 1)
    base = _wrap(xp.ascontiguousarray(xp.broadcast_to(base, (size[0],) + base.shape[1:])), be)
    out = base.bmm(theta.transpose(1, 2))
    return out.view(size[0], *spatial, len(spatial))


_affine_grid = _composite("AffineGridGeneratorBackward0", _affine_grid_fn, 1)


def affine_grid(theta, size, align_corners=None):
    """affine_grid(theta, size, align_corners=None) -> Tensor

    The sampling grid of a batch of affine maps for grid_sample: theta (N, 2, 3) and size
    (N, C, H, W) give (N, H, W, 2); theta (N, 3, 4) and size (N, C, D, H, W) give
    (N, D, H, W, 3).  Each output location's normalized coordinates [x, y, (z,) 1] times
    theta^T; align_corners as grid_sample's.  Differentiable in theta."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return _affine_grid(theta, size, bool(align_corners))


# ---- unfold / fold ---------------------------------------------------------------------------

class _Geom:
    __slots__ = ("kernel", "dilation", "padding", "stride")

    def __init__(self, kernel, dilation, padding, stride):
        self.kernel, self.dilation = _tuple(kernel, 2), _tuple(dilation, 2)
        self.padding, self.stride = _tuple(padding, 2), _tuple(stride, 2)

    def blocks(self, hw):
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, p, d, k, s in
                     zip(hw, self.padding, self.dilation, self.kernel, self.stride))


class Im2Col(ArrayFunction):
    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, geom):
        a = x._arr
        ctx.geom, ctx.hw = geom, a.shape[-2:]
        out_hw = geom.blocks(a.shape[-2:])
        cols = windows.im2col(x._be.xp, a if a.ndim == 4 else a[None], geom.kernel,
                              geom.stride, geom.padding, geom.dilation, out_hw)
        shape = (geom.kernel[0] * geom.kernel[1] * a.shape[-3], out_hw[0] * out_hw[1])
        return cols.reshape(a.shape[:-3] + shape)

    @staticmethod
    def backward(ctx, gy):
        return Col2Im.apply(gy, ctx.hw, ctx.geom)


class Col2Im(ArrayFunction):
    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, g, out_hw, geom):
        a = g._arr
        ctx.geom = geom
        N, CK = (a.shape[0], a.shape[1]) if a.ndim == 3 else (1, a.shape[0])
        kh, kw = geom.kernel
        C = CK // (kh * kw)
        bh, bw = geom.blocks(out_hw)
        cols = a.reshape(N, C, kh, kw, bh, bw)
        out = windows.col2im(g._be.xp, cols, (N, C) + tuple(out_hw), geom.stride,
                             geom.padding, geom.dilation)
        return out if a.ndim == 3 else out[0]

    @staticmethod
    def backward(ctx, gy):
        return Im2Col.apply(gy, ctx.geom)


def _geom_text(geom):
    return (f"kernel_size={geom.kernel}, dilation={geom.dilation}, padding={geom.padding}, "
            f"stride={geom.stride}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor

    The sliding local blocks of a (N, C, H, W) (or (C, H, W)) input as columns:
    (N, C * kh * kw, L), L the number of blocks (im2col, zero padding)."""
    geom = _Geom(kernel_size, dilation, padding, stride)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    hw = tuple(input.shape[-2:])
    blocks = geom.blocks(hw)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {hw}, kernel_size={geom.kernel}, "
                           f"dilation={geom.dilation}, padding={geom.padding}, calculated shape "
                           f"of the array of sliding blocks as {blocks}, but its components "
                           f"must be at least one.")
    return Im2Col.apply(input, geom)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor

    The inverse layout of unfold: columns (N, C * kh * kw, L) (or without N) summed into a
    (N, C, *output_size) tensor, overlapping values added (col2im)."""
    geom = _Geom(kernel_size, dilation, padding, stride)
    out_hw = _tuple(output_size, 2)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor with possibly 0 batch size "
                           f"and non-zero dimensions for input, but got: {list(input.shape)}")
    kk = geom.kernel[0] * geom.kernel[1]
    c_dim = input.dim() - 2
    if input.shape[c_dim] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={input.shape[c_dim]} and "
                           f"kernel_size={geom.kernel}.")
    blocks = geom.blocks(out_hw)
    if min(blocks) < 1:
        raise RuntimeError(f"Given output_size={out_hw}, {_geom_text(geom)}, calculated shape of "
                           f"the array of sliding blocks as {blocks}, but its components must "
                           f"be at least one.")
    L = input.shape[-1]
    if blocks[0] * blocks[1] != L:
        raise RuntimeError(f"Given output_size={out_hw}, {_geom_text(geom)}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but "
                           f"got input.size(2)={L}.")
    return Col2Im.apply(input, out_hw, geom)


# ---- pixel_shuffle / pixel_unshuffle ---------------------------------------------------------

def _shuffle(xp, a, r):
    *lead, C, H, W = a.shape
    a = a.reshape(*lead, C // (r * r), r, r, H, W)
    n = len(lead)
    a = a.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return xp.ascontiguousarray(a).reshape(*lead, C // (r * r), H * r, W * r)


def _unshuffle(xp, a, r):
    *lead, C, H, W = a.shape
    a = a.reshape(*lead, C, H // r, r, W // r, r)
    n = len(lead)
    a = a.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return xp.ascontiguousarray(a).reshape(*lead, C * r * r, H // r, W // r)


class PixelShuffle(ArrayFunction):
    node_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle(x._be.xp, x._arr, r)

    @staticmethod
    def backward(ctx, gy):
        return PixelUnshuffle.apply(gy, ctx.r)


class PixelUnshuffle(ArrayFunction):
    node_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _unshuffle(x._be.xp, x._arr, r)

    @staticmethod
    def backward(ctx, gy):
        return PixelShuffle.apply(gy, ctx.r)


def pixel_shuffle(input, upscale_factor):
    """pixel_shuffle(input, upscale_factor) -> Tensor

    (*, C * r^2, H, W) -> (*, C, H * r, W * r), r = upscale_factor: each group of r^2
    channels becomes an r x r block of pixels."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """pixel_unshuffle(input, downscale_factor) -> Tensor

    The inverse of pixel_shuffle: (*, C, H * r, W * r) -> (*, C * r^2, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    return PixelUnshuffle.apply(input, r)


# ---- channel_shuffle -------------------------------------------------------------------------

class ChannelShuffle(ArrayFunction):
    """(N, g, C / g, *) transposed to (N, C / g, g, *); its backward is the shuffle by C / g
    groups (the inverse permutation)."""
    node_name = "ChannelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, g):
        a = x._arr
        n, c = a.shape[:2]
        ctx.groups = c // g if g else 0
        out = a.reshape((n, g, c // g) + a.shape[2:]).swapaxes(1, 2)
        return x._be.xp.ascontiguousarray(out).reshape(a.shape)

    @staticmethod
    def backward(ctx, gy):
        if ctx.groups <= 0:  # C = 0: PyTorch's backward shuffles by C / g = 0 groups, refused
            raise RuntimeError("Number of groups to divide channels in must be positive. Value "
                               f"of groups:{ctx.groups}")
        return ChannelShuffle.apply(gy, ctx.groups)


def channel_shuffle(input, groups):
    """channel_shuffle(input, groups) -> Tensor

    Divide the channels of a (N, C, *) input into ``groups`` groups and interleave them:
    (N, g, C / g, *) rearranged as (N, C / g, g, *), the shape kept."""
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    return ChannelShuffle.apply(input, groups)


def native_channel_shuffle(input, groups):
    """native_channel_shuffle(input, groups) -> Tensor

    channel_shuffle's native kernel: the same result (PyTorch gives it no derivative; here
    it is channel_shuffle's)."""
    return channel_shuffle(input, groups)


METHODS = {}
FUNCTIONS = {"pixel_shuffle": pixel_shuffle, "pixel_unshuffle": pixel_unshuffle,
             "channel_shuffle": channel_shuffle, "native_channel_shuffle": native_channel_shuffle}
FUNCTIONAL = {"pad": pad, "interpolate": interpolate, "upsample": upsample,
              "upsample_nearest": upsample_nearest, "upsample_bilinear": upsample_bilinear,
              "grid_sample": grid_sample, "affine_grid": affine_grid, "unfold": unfold,
              "fold": fold, "pixel_shuffle": pixel_shuffle, "pixel_unshuffle": pixel_unshuffle,
              "channel_shuffle": channel_shuffle, "native_channel_shuffle": native_channel_shuffle}
