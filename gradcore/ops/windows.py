"""The array math of convolution and pooling windows, over ``xp`` (NumPy or CuPy): im2col and
its transpose col2im, conv2d's input gradient, and max / avg / adaptive-avg pooling with their
backwards -- what ops/conv.py's Functions compute on arrays.  Each function takes the array
module first and leaves its inputs alone.

Inputs are (N, C, H, W).  ``kernel``, ``stride``, ``dilation``, ``out_hw`` and ``padding``
are (h, w) pairs; ``padding`` counts the rows/cols added before the input, and after it
as many are added as the windows reach (so asymmetric 'same' padding and ceil_mode need
nothing more).  Loops run over kernel offsets only, never over pixels or the batch.
"""
import math

import numpy as np


def _pad_windows(xp, x, kernel, stride, padding, dilation, out_hw, value=0):
    """``x`` padded with ``value``: ``padding`` before, and after up to the last window."""
    after = [max(0, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in
             zip(out_hw, stride, dilation, kernel, x.shape[-2:], padding)]
    if not any(padding) and not any(after):
        return x
    N, C, H, W = x.shape
    (ph, pw), (ah, aw) = padding, after
    shape = (N, C, ph + H + ah, pw + W + aw)
    if value == 0:
        out = xp.zeros(shape, dtype=x.dtype)
    else:  # np.full without its Python wrapper
        out = xp.empty(shape, dtype=x.dtype)
        out.fill(value)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


def _windows(xp, xpad, kernel, stride, dilation, out_hw):
    """Strided view (N, C, kh, kw, OH, OW): [n, c, i, j, oh, ow] is
    xpad[n, c, oh * sh + i * dh, ow * sw + j * dw]."""
    sn, sc, sh, sw = xpad.strides
    return xp.lib.stride_tricks.as_strided(
        xpad, xpad.shape[:2] + tuple(kernel) + tuple(out_hw),
        (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]))


def im2col(xp, x, kernel, stride, padding, dilation, out_hw):
    """The windows of ``x`` (zero padding) as a C-contiguous (N, C, kh, kw, OH, OW) array."""
    if (tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(padding)
            and x.shape[-2:] == tuple(out_hw)):
        return x.reshape(x.shape[:2] + (1, 1) + x.shape[-2:])
    xpad = _pad_windows(xp, x, kernel, stride, padding, dilation, out_hw)
    return xp.ascontiguousarray(_windows(xp, xpad, kernel, stride, dilation, out_hw))


def im2col_batch_last(xp, x, kernel, stride, padding, dilation, out_hw):
    """The windows of ``x`` (zero padding) as a C-contiguous (OH, OW, C, kh, kw, N) array:
    x transposed once to (Hp, Wp, C, N), so the window copy moves runs of N values."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (OH, OW) = kernel, stride, padding, dilation, out_hw
    Hp = max(ph + H, (OH - 1) * sh + dh * (kh - 1) + 1)
    Wp = max(pw + W, (OW - 1) * sw + dw * (kw - 1) + 1)
    xt = xp.zeros((Hp, Wp, C, N), dtype=x.dtype)
    xt[ph:ph + H, pw:pw + W] = x.transpose(2, 3, 1, 0)
    s0, s1, s2, s3 = xt.strides
    return xp.ascontiguousarray(xp.lib.stride_tricks.as_strided(
        xt, (OH, OW, C, kh, kw, N), (s0 * sh, s1 * sw, s2, s0 * dh, s1 * dw, s3)))


def col2im(xp, cols, shape, stride, padding, dilation):
    """The transpose of im2col: every window value of ``cols`` (N, C, kh, kw, OH, OW) added
    to the pixel of an input of ``shape`` (N, C, H, W) it was taken from."""
    N, C, kh, kw, OH, OW = cols.shape
    H, W = shape[-2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Hp = max(ph + H, (OH - 1) * sh + dh * (kh - 1) + 1)
    Wp = max(pw + W, (OW - 1) * sw + dw * (kw - 1) + 1)
    out = xp.zeros((N, C, Hp, Wp), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + (OH - 1) * sh + 1:sh,
                j * dw:j * dw + (OW - 1) * sw + 1:sw] += cols[:, :, i, j]
    if (Hp, Wp) == (H, W):
        return out
    return xp.ascontiguousarray(out[:, :, ph:ph + H, pw:pw + W])


def conv_input_grad(xp, gy, w, shape, stride, padding, dilation):
    """conv2d's input gradient: the transposed convolution of gy (N, O, OH, OW) with w
    (O, C / g, kh, kw).  For a batch at least as wide as the output rows the batch goes
    innermost: one small matmul per output position (each under OpenBLAS's threading
    size, as the forward's) gives the columns as (OH, OW, C, kh, kw, N), and each tap is
    added to an (Hp, Wp, C, N) buffer in runs of N values, not of OW as col2im's."""
    N, O, OH, OW = gy.shape
    C, H, W = shape[1:]
    _, Cg, kh, kw = w.shape
    g = C // Cg
    wt = w.reshape(g, O // g, Cg * kh * kw).transpose(0, 2, 1)
    if N < OW:
        cols = xp.matmul(wt, gy.reshape(N, g, O // g, OH * OW))
        return col2im(xp, cols.reshape(N, C, kh, kw, OH, OW), shape, stride, padding,
                      dilation)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    Hp = max(ph + H, (OH - 1) * sh + dh * (kh - 1) + 1)
    Wp = max(pw + W, (OW - 1) * sw + dw * (kw - 1) + 1)
    gyt = xp.ascontiguousarray(gy.transpose(2, 3, 1, 0)).reshape(OH * OW, g, O // g, N)
    cols = xp.matmul(wt, gyt).reshape(OH, OW, C, kh, kw, N)
    out = xp.zeros((Hp, Wp, C, N), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[i * dh:i * dh + (OH - 1) * sh + 1:sh,
                j * dw:j * dw + (OW - 1) * sw + 1:sw] += cols[:, :, :, i, j]
    return xp.ascontiguousarray(out[ph:ph + H, pw:pw + W].transpose(3, 2, 0, 1))


def max_pool2d(xp, x, kernel, stride, padding, dilation, out_hw):
    """(values, int64 indices into each H*W plane): per window the first maximum, a NaN
    beating any number (the last NaN wins), padding never winning -- PyTorch's CPU rule."""
    is_float = x.dtype.kind == "f"
    low = -np.inf if is_float else np.iinfo(x.dtype).min
    xpad = _pad_windows(xp, x, kernel, stride, padding, dilation, out_hw, low)
    win = _windows(xp, xpad, kernel, stride, dilation, out_hw)
    (kh, kw), (dh, dw), (H, W) = kernel, dilation, x.shape[-2:]
    # one contiguous plane per kernel tap: every pass below is then a fast SIMD loop
    taps = xp.ascontiguousarray(win.transpose(2, 3, 0, 1, 4, 5)).reshape(
        (kh * kw,) + x.shape[:2] + tuple(out_hw))
    best = taps.max(axis=0)
    rows = xp.arange(out_hw[0], dtype=np.int64)[:, None] * stride[0] - padding[0]
    cols = xp.arange(out_hw[1], dtype=np.int64)[None, :] * stride[1] - padding[1]
    k = xp.zeros(best.shape, dtype=np.int8 if kh * kw < 128 else np.int32)
    for p in range(kh * kw - 1, -1, -1):  # backwards: the first tap hit is written last
        hit = taps[p] == best
        if xpad is not x:
            r, c = rows + p // kw * dh, cols + p % kw * dw
            hit &= (r >= 0) & (r < H) & (c >= 0) & (c < W)
        k += hit * (k.dtype.type(p) - k)
    if is_float:
        nan = xp.isnan(best)
        if nan.any():
            for p in range(kh * kw):
                k = xp.where(xp.isnan(taps[p]), k.dtype.type(p), k)
    # each tap's offset from its window's corner, looked up (int64 // and % cost 5x more)
    taps_off = xp.asarray([p // kw * dh * W + p % kw * dw for p in range(kh * kw)],
                          dtype=np.int64)
    return best, rows * W + cols + taps_off[k]


def max_pool2d_backward(xp, gy, idx, shape, overlap=True):
    """Each gy added to the input pixel its window's maximum came from (``overlap``: the
    windows may share pixels, so the sums go through bincount)."""
    N, C = gy.shape[:2]
    plane = shape[-2] * shape[-1]
    flat = (idx.reshape(N * C, math.prod(idx.shape[2:]))
            + xp.arange(N * C, dtype=np.int64)[:, None] * plane)
    if not overlap:
        out = xp.zeros(shape, dtype=gy.dtype)
        out.reshape(-1)[flat.reshape(-1)] = gy.reshape(-1)
        return out
    out = xp.bincount(flat.reshape(-1), weights=gy.reshape(-1), minlength=N * C * plane)
    return out.astype(gy.dtype, copy=False).reshape(shape)


def max_pool2d_double_backward(xp, gg, idx):
    """gg at each window's maximum: the backward of max_pool2d_backward (a gather)."""
    N, C = idx.shape[:2]
    out = xp.take_along_axis(gg.reshape(N, C, math.prod(gg.shape[2:])),
                             idx.reshape(N, C, math.prod(idx.shape[2:])), 2)
    return out.reshape(idx.shape)


def _avg_pool_divisor(xp, shape, kernel, stride, padding, out_hw, count_include_pad,
                      divisor_override):
    """What each window's sum is divided by: the override, or the window's size counting
    padding (not what ceil_mode adds past it) or counting input pixels only."""
    if divisor_override:
        return divisor_override
    lens = []
    for n, k, s, p, o in zip(shape[-2:], kernel, stride, padding, out_hw):
        start = xp.arange(o, dtype=np.int64) * s - p
        end = xp.minimum(start + k, n + p)
        lens.append(end - start if count_include_pad
                    else xp.minimum(end, n) - xp.maximum(start, 0))
    return lens[0][:, None] * lens[1][None, :]


def avg_pool2d(xp, x, kernel, stride, padding, out_hw, count_include_pad, divisor_override):
    """Window sums over the zero-padded input, divided as _avg_pool_divisor says (integer
    inputs: the quotient rounded toward zero, as PyTorch)."""
    win = _windows(xp, _pad_windows(xp, x, kernel, stride, padding, (1, 1), out_hw),
                   kernel, stride, (1, 1), out_hw)
    acc = np.float32 if x.dtype == np.float16 else x.dtype
    total = win[:, :, 0, 0].astype(acc)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            if i or j:
                total += win[:, :, i, j]
    div = _avg_pool_divisor(xp, x.shape, kernel, stride, padding, out_hw, count_include_pad,
                            divisor_override)
    if x.dtype.kind != "f":
        return (xp.sign(total) * (xp.abs(total) // div)).astype(x.dtype, copy=False)
    return (total / xp.asarray(div, dtype=acc)).astype(x.dtype, copy=False)


def avg_pool2d_backward(xp, gy, shape, kernel, stride, padding, count_include_pad,
                        divisor_override):
    """Each gy / divisor spread over its window: col2im of the broadcast gradient."""
    div = _avg_pool_divisor(xp, shape, kernel, stride, padding, gy.shape[-2:],
                            count_include_pad, divisor_override)
    g = gy / xp.asarray(div, dtype=gy.dtype)
    cols = xp.broadcast_to(g[:, :, None, None], g.shape[:2] + tuple(kernel) + g.shape[-2:])
    return col2im(xp, cols, shape, stride, padding, (1, 1))


def _adaptive_pool_matrix(xp, n, o, dtype):
    """(o, n): row i averages the inputs floor(i * n / o) .. ceil((i + 1) * n / o) - 1."""
    i = xp.arange(o, dtype=np.int64)[:, None]
    start, end = i * n // o, -(-(i + 1) * n // o)
    pos = xp.arange(n, dtype=np.int64)[None, :]
    return (((pos >= start) & (pos < end)) / (end - start)).astype(dtype)


def adaptive_avg_pool2d(xp, x, out_hw):
    """A @ x @ B.T with the averaging matrices of the two dims."""
    a = _adaptive_pool_matrix(xp, x.shape[-2], out_hw[0], x.dtype)
    b = _adaptive_pool_matrix(xp, x.shape[-1], out_hw[1], x.dtype)
    return xp.matmul(a, x @ b.T)


def adaptive_avg_pool2d_backward(xp, gy, shape):
    """A.T @ gy @ B: the transpose of adaptive_avg_pool2d."""
    a = _adaptive_pool_matrix(xp, shape[-2], gy.shape[-2], gy.dtype)
    b = _adaptive_pool_matrix(xp, shape[-1], gy.shape[-1], gy.dtype)
    return xp.matmul(a.T, gy @ b)
