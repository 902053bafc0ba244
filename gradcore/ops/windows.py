"""The array math of convolution and pooling windows, over ``xp`` (NumPy or CuPy): im2col and
its transpose col2im, the convolution's input gradient, and max / avg / adaptive / fractional
pooling with their backwards -- what ops/conv.py's (and ops/fractional_pool.py's) Functions
compute on arrays.  Each function takes the
array module first and leaves its inputs alone.

Inputs are (N, C, *spatial) with any number d of spatial dims (1, 2 or 3 in use).  ``kernel``,
``stride``, ``dilation``, ``out`` and ``padding`` are d-tuples; ``padding`` counts the
elements added before the input along each dim, and after it as many are added as the windows
reach (so asymmetric 'same' padding and ceil_mode need nothing more).  Loops run over kernel
offsets only, never over pixels or the batch.
"""
import itertools
import math

import numpy as np

from .. import _dtype


def _padded_sizes(sizes, kernel, stride, padding, dilation, out):
    """Each dim's size after the leading padding and whatever the windows reach past it."""
    return tuple([max(p + n, (o - 1) * s + d * (k - 1) + 1) for n, k, s, p, d, o in
                  zip(sizes, kernel, stride, padding, dilation, out)])


def _inner(padding, sizes):
    """The slices of the input inside its padded copy."""
    return tuple(slice(p, p + n) for p, n in zip(padding, sizes))


def _taps(kernel):
    """Every kernel offset (i, j, ...), in C order."""
    return itertools.product(*(range(k) for k in kernel))


def _tap_slices(kernel, dilation, stride, out):
    """(tap, slices) for every kernel offset in C order: the slices of a padded input that
    offset ``tap`` reads for every output."""
    per_dim = [[slice(i * d, i * d + (o - 1) * s + 1, s) for i in range(k)]
               for k, d, s, o in zip(kernel, dilation, stride, out)]
    return zip(_taps(kernel), itertools.product(*per_dim))


def _pad_windows(xp, x, kernel, stride, padding, dilation, out, value=0):
    """``x`` padded with ``value``: ``padding`` before, and after up to the last window."""
    sizes = x.shape[2:]
    shape = _padded_sizes(sizes, kernel, stride, padding, dilation, out)
    if shape == sizes:
        return x
    if value == 0:
        buf = xp.zeros(x.shape[:2] + shape, dtype=x.dtype)
    else:  # np.full without its Python wrapper
        buf = xp.empty(x.shape[:2] + shape, dtype=x.dtype)
        buf.fill(value)
    buf[(slice(None), slice(None)) + _inner(padding, sizes)] = x
    return buf


def _view(xp, a, shape, strides):
    """A strided view of ``a`` from its first element.  On a C-contiguous NumPy array it is
    the ndarray constructor over ``a``'s buffer (which checks that the view stays inside it):
    as_strided's Python wrapper costs ~4 us, which small convolutions and pools feel."""
    if xp is np and a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _windows(xp, xpad, kernel, stride, dilation, out):
    """Strided view (N, C, *kernel, *out): [n, c, i, j, .., oh, ow, ..] is
    xpad[n, c, oh * sh + i * dh, ow * sw + j * dw, ..]."""
    st = xpad.strides
    return _view(xp, xpad, xpad.shape[:2] + tuple(kernel) + tuple(out),
                 st[:2] + tuple([s * d for s, d in zip(st[2:], dilation)])
                 + tuple([s * t for s, t in zip(st[2:], stride)]))


def im2col(xp, x, kernel, stride, padding, dilation, out):
    """The windows of ``x`` (zero padding) as a C-contiguous (N, C, *kernel, *out) array."""
    if (all(k == 1 for k in kernel) and all(s == 1 for s in stride) and not any(padding)
            and x.shape[2:] == tuple(out)):
        return x.reshape(x.shape[:2] + tuple(kernel) + x.shape[2:])
    xpad = _pad_windows(xp, x, kernel, stride, padding, dilation, out)
    return xp.ascontiguousarray(_windows(xp, xpad, kernel, stride, dilation, out))


def im2col_batch_last(xp, x, kernel, stride, padding, dilation, out):
    """The windows of ``x`` (zero padding) as a C-contiguous (*out, C, *kernel, N) array:
    x transposed once to (*padded, C, N), so the window copy moves runs of N values."""
    N, C = x.shape[:2]
    nd = x.ndim - 2
    sizes = _padded_sizes(x.shape[2:], kernel, stride, padding, dilation, out)
    xt = xp.zeros(sizes + (C, N), dtype=x.dtype)
    xt[_inner(padding, x.shape[2:])] = x.transpose(tuple(range(2, 2 + nd)) + (1, 0))
    st = xt.strides
    return xp.ascontiguousarray(_view(
        xp, xt, tuple(out) + (C,) + tuple(kernel) + (N,),
        tuple(s * t for s, t in zip(st[:nd], stride)) + (st[nd],)
        + tuple(s * d for s, d in zip(st[:nd], dilation)) + (st[nd + 1],)))


def col2im(xp, cols, shape, stride, padding, dilation):
    """The transpose of im2col: every window value of ``cols`` (N, C, *kernel, *out) added
    to the element of an input of ``shape`` (N, C, *spatial) it was taken from."""
    nd = len(shape) - 2
    kernel, out = cols.shape[2:2 + nd], cols.shape[2 + nd:]
    sizes = tuple(shape[2:])
    padded = _padded_sizes(sizes, kernel, stride, padding, dilation, out)
    buf = xp.zeros(cols.shape[:2] + padded, dtype=cols.dtype)
    every = (slice(None), slice(None))
    for tap, sl in _tap_slices(kernel, dilation, stride, out):
        buf[every + sl] += cols[every + tap]
    if padded == sizes:
        return buf
    return xp.ascontiguousarray(buf[every + _inner(padding, sizes)])


def conv_input_grad(xp, gy, w, shape, stride, padding, dilation):
    """The convolution's input gradient (a transposed convolution): gy (N, O, *out) with w
    (O, C / g, *kernel) onto an input of ``shape`` (N, C, *spatial).  For a batch at least
    as wide as the last output dim the batch goes innermost: one small matmul per output
    position (each under OpenBLAS's threading size, as the forward's) gives the columns as
    (*out, C, *kernel, N), and each tap is added to a (*padded, C, N) buffer in runs of N
    values, not of the last output dim as col2im's."""
    N, O = gy.shape[:2]
    out = gy.shape[2:]
    nd = len(out)
    C, sizes = shape[1], tuple(shape[2:])
    Cg, kernel = w.shape[1], w.shape[2:]
    g = C // Cg
    wt = w.reshape(g, O // g, Cg * math.prod(kernel)).transpose(0, 2, 1)
    L = math.prod(out)
    if N < out[-1]:
        cols = xp.matmul(wt, gy.reshape(N, g, O // g, L))
        return col2im(xp, cols.reshape((N, C) + kernel + out), shape, stride, padding,
                      dilation)
    padded = _padded_sizes(sizes, kernel, stride, padding, dilation, out)
    gyt = xp.ascontiguousarray(gy.transpose(tuple(range(2, 2 + nd)) + (1, 0)))
    cols = xp.matmul(wt, gyt.reshape(L, g, O // g, N)).reshape(out + (C,) + kernel + (N,))
    buf = xp.zeros(padded + (C, N), dtype=cols.dtype)
    lead = (slice(None),) * (nd + 1)
    for tap, sl in _tap_slices(kernel, dilation, stride, out):
        buf[sl] += cols[lead + tap]
    inner = buf[_inner(padding, sizes)]
    return xp.ascontiguousarray(inner.transpose((nd + 1, nd) + tuple(range(nd))))


_SMALL = 1 << 15  # elements: below this a pass costs its call, above it its memory traffic
_MANY_TAPS = 64  # taps per window: above this one pass over all taps beats a call per tap


def _first_max(xp, taps, valid=None, best=None):
    """(best, k): per output the maximum over the taps (P, N, C, *out) (``best``, when the
    caller has it) and the tap it was first found at, ``valid(p)`` (a mask, or None)
    excluding taps that read padding; a NaN beats any number (the last NaN wins) --
    PyTorch's CPU rule."""
    P = taps.shape[0]
    if best is None:
        best = taps.max(axis=0)
    if valid is None and (taps.size <= _SMALL or P > _MANY_TAPS):
        k = (taps == best).argmax(axis=0)  # two calls; per tap below, but faster on large
        # inputs with few taps (a loop over thousands of taps costs a call each)
    else:  # the first tap hit has the largest weight P - p (branch-free SIMD passes)
        kt = np.int8 if P < 127 else np.int32
        k = xp.zeros(best.shape, dtype=kt)
        for p in range(P):
            hit = taps[p] == best
            mask = None if valid is None else valid(p)
            if mask is not None:
                hit &= mask
            xp.maximum(k, hit * kt(P - p), out=k)
        k = kt(P) - k
        if valid is not None:  # a window of padding only (no hit): tap 0, as before
            k %= kt(P)
    if _dtype.is_floating(taps.dtype):
        if best.size and xp.isnan(best.max()):  # max propagates NaN: one reduction finds it
            nan = xp.isnan(taps)  # the last NaN's tap, where a window has one
            last = (P - 1) - nan[::-1].argmax(axis=0)
            k = xp.where(nan.any(axis=0), last.astype(k.dtype), k)
    return best, k


def _plane_strides(sizes):
    """The flat index step of each spatial dim in a C-order (*sizes) plane."""
    return tuple([math.prod(sizes[i + 1:]) for i in range(len(sizes))])


def max_pool(xp, x, kernel, stride, padding, dilation, out):
    """(values, int64 indices into each flattened spatial plane): per window the first
    maximum, a NaN beating any number (the last NaN wins), padding never winning."""
    is_float = _dtype.is_floating(x.dtype)
    low = -np.inf if is_float else np.iinfo(x.dtype).min
    xpad = _pad_windows(xp, x, kernel, stride, padding, dilation, out, low)
    win = _windows(xp, xpad, kernel, stride, dilation, out)
    nd, sizes = len(kernel), x.shape[2:]
    P = math.prod(kernel)
    # one contiguous plane per kernel tap: every pass below is then a fast SIMD loop
    taps = xp.ascontiguousarray(win.transpose(
        tuple(range(2, 2 + nd)) + (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)))).reshape(
        (P,) + x.shape[:2] + tuple(out))
    edges = [i for i, (p, n) in enumerate(zip(padding, sizes)) if p or xpad.shape[2 + i] != n]
    best = taps.max(axis=0)
    # padding (the lowest value) can tie with a maximum only where the maximum is that value
    at_low = bool(edges) and bool((best == low).any())
    if at_low:  # each output's window corner along each dim, broadcast against the others
        offsets = list(_taps(kernel))
        corner = [(xp.arange(o, dtype=np.int64) * s - p).reshape((o,) + (1,) * (nd - 1 - i))
                  for i, (o, s, p) in enumerate(zip(out, stride, padding))]

    def valid(p):  # the taps' elements that lie inside the input (None: all of them)
        mask = None
        for i in edges:
            r = corner[i] + offsets[p][i] * dilation[i]
            m = (r >= 0) & (r < sizes[i])
            mask = m if mask is None else mask & m
        return mask
    best, k = _first_max(xp, taps, valid if at_low else None, best)
    plane = _plane_strides(sizes)
    base = None  # each window corner's flat index, (*out) broadcast
    taps_off = [0]  # each tap's offset from its window's corner, in C order
    for i, (o, s, p) in enumerate(zip(out, stride, padding)):
        c = xp.arange(-p * plane[i], (o * s - p) * plane[i], s * plane[i], dtype=np.int64)
        c = c.reshape((o,) + (1,) * (nd - 1 - i)) if i < nd - 1 else c
        base = c if base is None else base + c
        step = dilation[i] * plane[i]
        taps_off = [t + j * step for t in taps_off for j in range(kernel[i])]
    # looked up per output (int64 // and % cost 5x more)
    idx = base + xp.asarray(taps_off, dtype=np.int64)[k]
    if at_low:  # a window that reads only padding (dilation, ceil_mode) has no element: -1
        seen = None
        for p in range(P):
            m = valid(p)
            seen = m if seen is None else seen | m
        if seen is not None and not bool(seen.all()):
            idx = xp.where(seen, idx, -1)
    return best, idx


def max_pool_backward(xp, gy, idx, shape, overlap=True):
    """Each gy added to the input element its window's maximum came from (``overlap``: the
    windows may share elements, so the sums go through bincount).  An index of -1 (a window
    of padding only: its -inf depends on no element) gets no gradient."""
    N, C = gy.shape[:2]
    if overlap and idx.size and int(idx.min()) < 0:
        keep = idx >= 0  # a select: a nan or inf gy there is dropped too, not multiplied by 0
        gy, idx = xp.where(keep, gy, 0), xp.where(keep, idx, 0)
    plane = math.prod(shape[2:])
    flat = (idx.reshape(N * C, math.prod(idx.shape[2:]))
            + xp.arange(N * C, dtype=np.int64)[:, None] * plane)
    if not overlap:
        out = xp.zeros(shape, dtype=gy.dtype)
        out.reshape(-1)[flat.reshape(-1)] = gy.reshape(-1)
        return out
    out = xp.bincount(flat.reshape(-1), weights=gy.reshape(-1), minlength=N * C * plane)
    return out.astype(gy.dtype, copy=False).reshape(shape)


def max_pool_double_backward(xp, gg, idx):
    """gg at each window's maximum: the backward of max_pool_backward (a gather)."""
    N, C = idx.shape[:2]
    keep = idx >= 0 if idx.size and int(idx.min()) < 0 else None
    if keep is not None:
        idx = xp.where(keep, idx, 0)
    plane = math.prod(gg.shape[2:])  # one flat take: faster than take_along_axis
    flat = (idx.reshape(N * C, math.prod(idx.shape[2:]))
            + xp.arange(N * C, dtype=np.int64)[:, None] * plane)
    out = gg.reshape(-1).take(flat).reshape(idx.shape)
    return out if keep is None else xp.where(keep, out, 0)  # 0 there, whatever gg holds


def max_unpool(xp, x, idx, shape):
    """Each x written to the element of an output of ``shape`` (N, C, *spatial) that its
    index names within its plane (the transpose of the gather; a repeated index keeps one)."""
    N, C = x.shape[:2]
    plane = math.prod(shape[2:])
    flat = (idx.reshape(N * C, math.prod(idx.shape[2:]))  # spelled out: N may be 0
            + xp.arange(N * C, dtype=np.int64)[:, None] * plane)
    out = xp.zeros(shape, dtype=x.dtype)
    out.reshape(-1)[flat.reshape(-1)] = x.reshape(-1)
    return out


def _avg_pool_divisor(xp, shape, kernel, stride, padding, out, count_include_pad,
                      divisor_override):
    """What each window's sum is divided by: the override, or the window's size counting
    padding (not what ceil_mode adds past it) or counting input elements only."""
    if divisor_override:
        return divisor_override
    if not any(padding) and all((o - 1) * s + k <= n for n, k, s, o in
                                zip(shape[2:], kernel, stride, out)):
        return math.prod(kernel)  # every window inside the input
    nd = len(kernel)
    div = None
    for i, (n, k, s, p, o) in enumerate(zip(shape[2:], kernel, stride, padding, out)):
        start = xp.arange(o, dtype=np.int64) * s - p
        end = xp.minimum(start + k, n + p)
        lens = (end - start if count_include_pad
                else xp.minimum(end, n) - xp.maximum(start, 0)).reshape((o,) + (1,) * (nd - 1 - i))
        div = lens if div is None else div * lens
    return div


def avg_pool(xp, x, kernel, stride, padding, out, count_include_pad, divisor_override):
    """Window sums over the zero-padded input, divided as _avg_pool_divisor says (integer
    inputs: the quotient rounded toward zero, as PyTorch)."""
    ones = (1,) * len(kernel)
    win = _windows(xp, _pad_windows(xp, x, kernel, stride, padding, ones, out),
                   kernel, stride, ones, out)
    acc = _dtype.opmath(x.dtype)
    every = (slice(None), slice(None))
    total = win[every + (0,) * len(kernel)].astype(acc)
    for tap in _taps(kernel):
        if any(tap):
            total += win[every + tap]
    div = _avg_pool_divisor(xp, x.shape, kernel, stride, padding, out, count_include_pad,
                            divisor_override)
    if not _dtype.is_floating(x.dtype):
        return (xp.sign(total) * (xp.abs(total) // div)).astype(x.dtype, copy=False)
    return (total / xp.asarray(div, dtype=acc)).astype(x.dtype, copy=False)


def avg_pool_backward(xp, gy, shape, kernel, stride, padding, count_include_pad,
                      divisor_override):
    """Each gy / divisor spread over its window: col2im of the broadcast gradient."""
    nd = len(kernel)
    div = _avg_pool_divisor(xp, shape, kernel, stride, padding, gy.shape[2:],
                            count_include_pad, divisor_override)
    g = gy / xp.asarray(div, dtype=gy.dtype)
    out = gy.shape[2:]
    tiles = tuple(stride) == tuple(kernel) and all(o * k == n for n, k, o in
                                                   zip(shape[2:], kernel, out))
    if tiles and not any(padding):
        # the windows tile the input: each element takes its one window's value (a copy)
        split = sum(((o, 1) for o in out), ())
        return xp.broadcast_to(g.reshape(g.shape[:2] + split),
                               g.shape[:2] + sum(((o, k) for o, k in zip(out, kernel)), ())
                               ).reshape(shape)
    cols = xp.broadcast_to(g.reshape(g.shape[:2] + (1,) * nd + g.shape[2:]),
                           g.shape[:2] + tuple(kernel) + g.shape[2:])
    return col2im(xp, cols, shape, stride, padding, (1,) * nd)


def _adaptive_bounds(xp, n, o):
    """Adaptive window i along a dim of n onto o: floor(i * n / o) .. ceil((i + 1) * n / o)."""
    i = xp.arange(o, dtype=np.int64)
    return i * n // o, -(-(i + 1) * n // o)


def _adaptive_pool_matrix(xp, n, o, dtype):
    """(o, n): row i averages the inputs floor(i * n / o) .. ceil((i + 1) * n / o) - 1."""
    start, end = _adaptive_bounds(xp, n, o)
    start, end = start[:, None], end[:, None]
    pos = xp.arange(n, dtype=np.int64)[None, :]
    return (((pos >= start) & (pos < end)) / (end - start)).astype(dtype)


def _along(xp, x, mats):
    """x with each spatial dim i (the last len(mats)) multiplied by mats[i] (o_i, n_i)."""
    nd = len(mats)
    if nd == 2:  # A @ x @ B.T: two batched matmuls, no transposes
        return xp.matmul(mats[0], x @ mats[1].T)
    for i, m in enumerate(mats):
        axis = x.ndim - nd + i
        x = xp.moveaxis(xp.moveaxis(x, axis, -1) @ m.T, -1, axis)
    return xp.ascontiguousarray(x)


def adaptive_avg_pool(xp, x, out):
    """The averaging matrices of the spatial dims applied along each of them."""
    nd = len(out)
    return _along(xp, x, [_adaptive_pool_matrix(xp, n, o, x.dtype)
                          for n, o in zip(x.shape[-nd:], out)])


def adaptive_avg_pool_backward(xp, gy, shape, nd):
    """The transpose of adaptive_avg_pool over the last ``nd`` dims: each matrix transposed."""
    return _along(xp, gy, [_adaptive_pool_matrix(xp, n, o, gy.dtype).T
                           for n, o in zip(shape[-nd:], gy.shape[-nd:])])


def adaptive_max_pool(xp, x, out):
    """(values, int64 flat plane indices) of adaptive max pooling: window i along a dim
    covers floor(i * n / o) .. ceil((i + 1) * n / o) - 1.  Where every output size divides
    its input size the windows tile the input: max_pool with kernel = stride = n / o.
    Otherwise the maximum is taken one dim at a time, the last first (the window maximum of
    the row maxima, each row's first maximum, then the first row holding the largest: the
    first maximum in C order, and the last NaN in C order, as PyTorch's loop): per dim one
    gather per offset into the widest window (shorter windows repeat their last element,
    which never changes which maximum comes first)."""
    nd, sizes = len(out), x.shape[2:]
    if all(o and n % o == 0 for n, o in zip(sizes, out)):
        kernel = tuple(n // o for n, o in zip(sizes, out))
        return max_pool(xp, x, kernel, kernel, (0,) * nd, (1,) * nd, tuple(out))
    plane = _plane_strides(sizes)
    vals, flat = x, None  # flat: the chosen element's offset within the dims reduced so far
    for i in range(nd - 1, -1, -1):
        n, o, axis = sizes[i], out[i], 2 + i
        start, end = _adaptive_bounds(xp, n, o)
        width = int(max(-(-n // o) + 1, 1)) if o else 1
        pos = xp.minimum(start[None, :] + xp.arange(width, dtype=np.int64)[:, None],
                         end[None, :] - 1)  # (width, o)
        vals, k = _first_max(xp, xp.stack([xp.take(vals, pos[t], axis=axis)
                                           for t in range(width)]))
        shape = (o,) + (1,) * (nd - 1 - i)
        row = xp.minimum(start.reshape(shape) + k, end.reshape(shape) - 1)  # along dim i
        inner = 0 if flat is None else xp.take_along_axis(flat, row, axis)
        flat = row * plane[i] + inner
    return vals, flat


def fractional_intervals(xp, samples, n, o, k):
    """PyTorch's generate_intervals for every plane at once: the (..., o) int64 window starts
    along a dim of n for a pool of k, from one sample in [0, 1) per plane (``samples``
    (...,), its own dtype's arithmetic: alpha = (n - k) / (o - 1), start i =
    int((i + u) * alpha) - int(u * alpha), the last window ending at n)."""
    dt = samples.dtype.type
    starts = xp.empty(samples.shape + (o,), dtype=np.int64)
    if o > 1:
        alpha = dt(n - k) / dt(o - 1)
        i = xp.arange(o - 1).astype(samples.dtype)
        u = samples[..., None]
        starts[..., :-1] = (((i + u) * alpha).astype(np.int64)
                            - (u * alpha).astype(np.int64))
    if o > 0:
        starts[..., -1] = n - k
    return starts


def fractional_max_pool(xp, x, starts, kernel):
    """(values, int64 flat plane indices) of max pooling x (N, C, *sizes) over the windows
    of size ``kernel`` whose corners are ``starts`` (one (N, C, o_d) array per dim): per
    window the first maximum in C order, a NaN beating any number (the last NaN wins)."""
    N, C = x.shape[:2]
    nd, sizes = len(kernel), x.shape[2:]
    out = tuple(s.shape[-1] for s in starts)
    plane = _plane_strides(sizes)
    # each window's corner as a flat index, broadcast to (N, C, *out)
    corner = sum(s.reshape((N, C) + (1,) * i + (o,) + (1,) * (nd - 1 - i)) * st
                 for i, (s, o, st) in enumerate(zip(starts, out, plane)))
    corner = xp.broadcast_to(corner, (N, C) + out).reshape(N, C, math.prod(out))
    flat = x.reshape(N, C, math.prod(sizes))  # sizes spelled out: N may be 0
    offs = [sum(t * st for t, st in zip(tap, plane)) for tap in _taps(kernel)]
    taps = xp.stack([xp.take_along_axis(flat, corner + off, 2) for off in offs])
    best, k = _first_max(xp, taps)
    offs = xp.asarray(offs, dtype=np.int64)
    idx = corner + offs[k.astype(np.int64)]
    return best.reshape((N, C) + out), idx.reshape((N, C) + out)
