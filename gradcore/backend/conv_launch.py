"""Launch planning for kernels/conv.cu: the implicit-GEMM convolution on CUDA.

``CupyBackend._launch_conv`` hands the three convolution kernels (registered in ops/conv.py:
conv_forward, conv_input_grad, conv_weight_grad) here.  Each function returns the result, or
None to decline (the CuPy-ops route: the kernel's reference, the im2col path): a dtype the
kernel isn't instantiated for (integers, bool, complex; it has float16, bfloat16, float32,
float64), mixed dtypes, empty tensors, or more than 3 spatial dims.  Arrays are made C-contiguous first; 1-d and 2-d convolutions run as 3-d ones
with unit leading dims (``CONV_GEOM``).  Pure functions of shapes, no CuPy import: a
``CupyBackend(0, xp=numpy)`` runs them against an emulating loader.
"""
import math

import numpy as np

CONV = "conv.cu"
TILE_M = TILE_N = 64   # = GC_CONV_BM / GC_CONV_BN at 256 threads
STEP = 8               # = GC_CONV_BK
# conv_weight_grad: the reduction over (n, p) is cut into chunks so that about SPLIT_TILES
# tiles run (a constant, so the chunks -- and the bits -- depend on the shape only)
SPLIT_TILES = 1024
MIN_CHUNK = 256

# struct ConvGeom of kernels/conv.cu, passed by value as a one-element structured array
CONV_GEOM = np.dtype([(n, "<i8") for n in (
    "N", "C", "D", "H", "W", "O", "oD", "oH", "oW", "kD", "kH", "kW", "sD", "sH", "sW",
    "pD", "pH", "pW", "dD", "dH", "dW", "groups", "splits", "chunk")])


def _cdiv(a, b):
    return -(-a // b)


def conv_geom(x_shape, w_shape, out, geom, splits=1, chunk=0):
    """The ConvGeom of input ``x_shape`` (N, C, *sizes), weight ``w_shape`` (O, C/g,
    *kernel), output sizes ``out`` and ``geom`` (ops/conv._ConvGeom: stride, lead padding,
    dilation, groups), spatial dims padded to 3 with unit dims in front."""
    nd = len(x_shape) - 2
    lead = 3 - nd

    def three(v, fill):
        return (fill,) * lead + tuple(int(a) for a in v)

    g = np.zeros(1, dtype=CONV_GEOM)
    vals = ((x_shape[0], x_shape[1]) + three(x_shape[2:], 1) + (w_shape[0],) + three(out, 1)
            + three(w_shape[2:], 1) + three(geom.stride, 1) + three(geom.lead, 0)
            + three(geom.dilation, 1) + (geom.groups, splits, chunk))
    for name, v in zip(CONV_GEOM.names, vals):
        g[name] = v
    return g


def _usable(*arrays):
    """The arrays share a dtype the kernels are instantiated for, have 3-5 dims, no zeros."""
    dt = arrays[0].dtype
    return (dt.char in "efdE" and all(a.dtype == dt and a.size > 0 for a in arrays)
            and 3 <= arrays[0].ndim <= 5)


def forward(be, x, w, b, geom):
    """y = conv(x, w) (+ b): one launch of conv_forward."""
    if not _usable(x, w, *(() if b is None else (b,))) or w.ndim != x.ndim:
        return None
    out = tuple(geom.out_size(x.shape[2:], w.shape[2:]))
    N, O, g = x.shape[0], w.shape[0], geom.groups
    L = math.prod(out)
    if L == 0:
        return None
    x, w = be._contiguous(x, w)
    bias = x if b is None else be._contiguous(b)[0]
    y = be.xp.empty((N, O) + out, dtype=x.dtype)
    tiles = g * _cdiv(O // g, TILE_M) * _cdiv(N * L, TILE_N)
    be._launch(CONV, "conv_forward<{T}>", x.dtype, tiles,
               (x, w, bias, y, conv_geom(x.shape, w.shape, out, geom), np.int32(b is not None)),
               per_block=1)
    return y


def input_grad(be, gy, w, geom, in_shape):
    """gx = conv's transpose in x (also the transposed convolution's forward), of shape
    ``in_shape``: one launch of conv_input_grad."""
    in_shape = tuple(int(n) for n in in_shape)
    if not _usable(gy, w) or w.ndim != gy.ndim or len(in_shape) != gy.ndim \
            or math.prod(in_shape) == 0:
        return None
    gy, w = be._contiguous(gy, w)
    N, C, g = in_shape[0], in_shape[1], geom.groups
    gx = be.xp.empty(in_shape, dtype=gy.dtype)
    tiles = g * _cdiv(C // g, TILE_M) * _cdiv(N * math.prod(in_shape[2:]), TILE_N)
    be._launch(CONV, "conv_input_grad<{T}>", gy.dtype, tiles,
               (gy, w, gx, conv_geom(in_shape, w.shape, gy.shape[2:], geom)), per_block=1)
    return gx


def weight_split(rows, cols, groups, depth):
    """(splits, chunk) of conv_weight_grad's reduction over ``depth`` = N * L positions."""
    base = groups * _cdiv(rows, TILE_M) * _cdiv(cols, TILE_N)
    splits = max(1, min(_cdiv(SPLIT_TILES, base), depth // MIN_CHUNK))  # chunks >= MIN_CHUNK
    chunk = _cdiv(_cdiv(depth, splits), STEP) * STEP
    return _cdiv(depth, chunk), chunk


def weight_grad(be, x, gy, geom, w_shape):
    """gw = conv's transpose in w: conv_weight_grad's partial sums over chunks of the batch
    and positions (in opmath: float32 for float16 and bfloat16), summed by sum_to's deterministic passes,
    rounded once to the storage type."""
    w_shape = tuple(int(n) for n in w_shape)
    if not _usable(x, gy) or gy.ndim != x.ndim or len(w_shape) != x.ndim \
            or math.prod(w_shape) == 0:
        return None
    x, gy = be._contiguous(x, gy)
    dt, g = x.dtype, geom.groups
    O, cols = w_shape[0], math.prod(w_shape[1:])
    depth = gy.shape[0] * math.prod(gy.shape[2:])
    splits, chunk = weight_split(O // g, cols, g, depth)
    acc = np.float32 if dt.char in "eE" else dt
    part = be.xp.empty((splits, O, cols), dtype=acc)
    tiles = splits * g * _cdiv(O // g, TILE_M) * _cdiv(cols, TILE_N)
    be._launch(CONV, "conv_weight_grad<{T}>", dt, tiles,
               (x, gy, part, conv_geom(x.shape, w_shape, gy.shape[2:], geom, splits, chunk)),
               per_block=1)
    gw = part[0] if splits == 1 else be.sum_to(part, (1, O, cols))
    return gw.reshape(w_shape).astype(dt, copy=False)
