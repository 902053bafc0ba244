"""The NumPy backend: arrays on the host.

``launch(k, *args)`` runs a registered kernel (backend/kernels.py) as its reference on NumPy
arrays; a registered kernel is also reachable as ``be.<its name>(*args)`` (tests and tools
use that).  The kernel functions still defined here (until they move to their ops' kernel
declarations) are the reference the CUDA kernels are tested against; they are written against
``self.xp`` only, so the CuPy backend inherits them unchanged until a RawKernel replaces one
(see cupy_backend.py).  Each takes and returns arrays and leaves its inputs alone, except the
methods whose names end in ``_`` (``index_add_``): those update their first arguments in
place, as PyTorch's trailing underscore says.  (The optimizers' update rules live with the
optimizers: gradcore/optim/.)
"""
import math

import numpy as np

from .._device import CPU
from . import kernels


DEFAULT_SEED = 67280421310721  # PyTorch's: an unseeded process draws the same numbers each run


class NumpyBackend:
    name = "numpy"
    xp = np
    device = CPU
    launches_kernels = False  # a registered kernel's reference is the NumPy kernel

    def __init__(self, seed=DEFAULT_SEED):
        self.manual_seed(seed)

    # ---- transfer -----------------------------------------------------------------------
    def to_host(self, arr):
        return arr

    def from_host(self, arr):
        return arr

    def asarray(self, data, dtype=None):
        return self.xp.asarray(data, dtype=dtype)

    def synchronize(self):
        pass

    # ---- registered kernels -------------------------------------------------------------
    def launch(self, k, *args):
        """Run kernel ``k``: its reference, on this backend's arrays."""
        return k(self, *args)


    # ---- random numbers -----------------------------------------------------------------
    def _make_rng(self, seed):
        return np.random.default_rng(seed)

    def manual_seed(self, seed):
        seed = DEFAULT_SEED if seed is None else seed
        self.initial_seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = self._make_rng(self.initial_seed)

    def _float(self, draw, shape, dtype):
        if dtype in (np.float32, np.float64):
            return draw(shape, dtype=dtype)
        return draw(shape, dtype=np.float32).astype(dtype)

    def rand(self, shape, dtype):
        return self._float(self._rng.random, shape, dtype)

    def randn(self, shape, dtype):
        return self._float(self._rng.standard_normal, shape, dtype)

    def randint(self, low, high, shape, dtype):
        return self._rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype, copy=False)

    def randperm(self, n, dtype):
        return self._rng.permutation(n).astype(dtype, copy=False)

    # ---- reduction backward -------------------------------------------------------------
    def sum_to(self, g, shape):
        """Sum ``g`` down to ``shape`` (the inverse of broadcasting ``shape`` to g.shape)."""
        shape = tuple(shape)
        gshape = g.shape
        if gshape == shape:
            return g
        lead = g.ndim - len(shape)
        axes = list(range(lead))
        for i, n in enumerate(shape):
            if n == 1 and gshape[i + lead] != 1:
                axes.append(i + lead)
        axes = tuple(axes)
        if type(g) is np.ndarray:  # ndarray.sum without its Python wrapper
            out = np.add.reduce(g, axis=axes, dtype=g.dtype, keepdims=True)
        else:
            out = g.sum(axis=axes, keepdims=True, dtype=g.dtype)
        return out.reshape(shape) if lead else out

    def _unsqueeze(self, gy, shape, axes, keepdim):
        """Give a reduction's result its reduced dims back (as size 1)."""
        if axes is None:
            return gy.reshape((1,) * len(shape))
        if not keepdim:
            gy = gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
        return gy

    def _broadcast(self, g, shape):
        out = self.xp.empty(shape, dtype=g.dtype)
        out[...] = g
        return out

    def sum_backward(self, gy, shape, axes, keepdim):
        """Gradient of sum over ``axes`` (None: all) of an input of ``shape``."""
        if axes is not None:  # a full sum's gradient broadcasts as it is
            gy = self._unsqueeze(gy, shape, axes, keepdim)
        return self._broadcast(gy, shape)

    def mean_backward(self, gy, shape, axes, keepdim):
        n = math.prod([shape[a] for a in axes] if axes is not None else shape)
        g = self._unsqueeze(gy, shape, axes, keepdim)
        scale = g.dtype.type(1.0 / n) if n else g.dtype.type(float("nan"))
        return self._broadcast(g * scale, shape)

    def extremum_backward(self, x, y, gy, axes, keepdim):
        """amax/amin (and full max/min): the gradient is shared evenly between the ties."""
        yk = self._unsqueeze(y, x.shape, axes, keepdim)
        mask = x == yk
        count = mask.sum(axis=axes, keepdims=True, dtype=x.dtype)
        return self._unsqueeze(gy, x.shape, axes, keepdim) / count * mask

    def index_backward_along(self, idx, gy, shape, axis, keepdim):
        """max(dim)/min(dim): the gradient goes to the index each value came from."""
        out = self.xp.zeros(shape, dtype=gy.dtype)
        if not keepdim:
            idx, gy = self.xp.expand_dims(idx, axis), self.xp.expand_dims(gy, axis)
        self.xp.put_along_axis(out, idx, gy, axis)
        return out

    def prod_backward(self, x, gy, axes, keepdim):
        """d prod / dx_i = product of the others, computed without dividing (zeros are fine)."""
        xp = self.xp
        axes = tuple(range(x.ndim)) if axes is None else axes
        rest = tuple(a for a in range(x.ndim) if a not in axes)
        moved = xp.transpose(x, rest + axes)
        flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)
        others = (left * right).reshape(moved.shape)
        others = xp.transpose(others, np.argsort(rest + axes))
        return others * self._unsqueeze(gy, x.shape, axes, keepdim)

    def take_along(self, g, idx, axis, keepdim):
        """g at ``idx`` along ``axis``: the backward of index_backward_along."""
        if not keepdim:
            idx = self.xp.expand_dims(idx, axis)
        out = self.xp.take_along_axis(g, idx, axis)
        return out if keepdim else out.squeeze(axis)

    def prod_double_backward(self, x, gg, axes):
        """G_k = sum_{j != k} gg_j * prod_{i not in (j, k)} x_i within each reduced slice: the
        t-coefficient of prod_{i != k} (x_i + t gg_i), from exclusive prefix and suffix
        products of dual numbers (no division, so zeros are fine)."""
        xp = self.xp
        axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
        rest = tuple(a for a in range(x.ndim) if a not in axes)
        moved = xp.transpose(x, rest + axes)
        xs = moved.reshape(moved.shape[:len(rest)] + (-1,))
        gs = xp.transpose(xp.broadcast_to(gg, x.shape), rest + axes).reshape(xs.shape)
        n = xs.shape[-1]

        def exclusive(order):  # (value, t-coefficient) of the product of the elements before k
            val, der = xp.zeros_like(xs), xp.zeros_like(xs)
            p, d = xp.ones_like(xs[..., 0]), xp.zeros_like(xs[..., 0])
            for k in order:
                val[..., k], der[..., k] = p, d
                p, d = p * xs[..., k], d * xs[..., k] + p * gs[..., k]
            return val, der

        pv, pd = exclusive(range(n))
        sv, sd = exclusive(range(n - 1, -1, -1))
        out = (pd * sv + pv * sd).reshape(moved.shape)
        return xp.transpose(out, np.argsort(rest + axes))

    def cumsum_backward(self, g, axis):
        """The reversed cumulative sum along ``axis`` (None: a 0-d tensor, returned as is)."""
        xp = self.xp
        if axis is None:
            return xp.array(g)
        return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)

    # ---- linear backward: y = x @ w.T + b ----------------------------------------------
    def linear_backward(self, gy, x, w, bias_shape, need_b, need_x, need_w):
        """The gradients of bias (summed to ``bias_shape``), input (gy @ w) and weight
        (gy.T @ x, C-contiguous like the weight) that are needed, in that order."""
        out = []
        if need_b:
            out.append(self.sum_to(gy, bias_shape))
        if need_x:
            out.append(self.xp.matmul(gy, w))
        if need_w:
            out.append(self.xp.matmul(gy.T, x))
        return tuple(out)

    # ---- indexing backward --------------------------------------------------------------
    # ``idx`` is a tuple of integer arrays and slices, with NumPy's (= PyTorch's) placement
    # of the indexed dims; ``key`` is a tuple of ints and slices (basic indexing).
    def index_add_(self, out, idx, values):
        """out[idx] += values, in place, with duplicate indices accumulating."""
        self.xp.add.at(out, idx, values)

    def index_put(self, x, idx, values, accumulate):
        """A copy of ``x`` with ``values`` written (accumulate: added) at ``x[idx]``."""
        out = x.copy()
        if accumulate:
            self.index_add_(out, idx, values)
        else:
            out[idx] = values
        return out

    def index_backward(self, gy, shape, idx):
        """Gradient of ``x[idx]`` for an ``x`` of ``shape``: a scatter-add of ``gy``."""
        out = self.xp.zeros(shape, dtype=gy.dtype)
        self.index_add_(out, idx, gy)
        return out

    def slice_backward(self, gy, shape, key):
        """Gradient of the view ``x[key]``: ``gy`` placed in zeros of ``shape``."""
        out = self.xp.zeros(shape, dtype=gy.dtype)
        out[key] = gy
        return out

    # ---- nn activations: erf, gelu (nn layers family) ------------------------------------
    # NumPy has no erf: these are Cephes' rational approximations (S. L. Moshier, public
    # domain; the ones scipy.special.erf compiles), evaluated in float64 for every dtype.
    # Within 2 ulp of math.erf over the whole float64 range.
    _ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
              7.00332514112805075473E3, 5.55923013010394962768E4)
    _ERF_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2,
              4.59432382970980127987E3, 2.26290000613890934246E4, 4.92673942608635921086E4)
    _ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
               4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
               9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
    _ERFC_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1,
               3.54937778887819891062E2, 9.75708501743205489753E2, 1.82390916687909736289E3,
               2.24633760818710981792E3, 1.65666309194161350182E3, 5.57535340817727675546E2)
    _ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
               6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
    _ERFC_S = (1.0, 2.26052863220117276590E0, 9.39603524938001434673E0,
               1.20489539808096656605E1, 1.70814450747565897222E1, 9.60896809063285878198E0,
               3.36907645100081516050E0)

    @staticmethod
    def _polyval(x, coefs):
        out = coefs[0]
        for c in coefs[1:]:
            out = out * x + c
        return out

    def erf(self, x):
        """erf(x) for a floating array: x * T(x^2) / U(x^2) for |x| <= 1, else
        1 - exp(-x^2) * P(|x|) / Q(|x|) (R / S beyond 8), with erf's sign."""
        xp = self.xp
        a = x.astype(np.float64)
        ax = xp.minimum(xp.abs(a), 10.0)  # erf(10) == 1 in float64; keeps inf out of P/Q
        z = ax * ax
        small = ax * self._polyval(z, self._ERF_T) / self._polyval(z, self._ERF_U)
        tail = xp.where(ax < 8.0,
                        self._polyval(ax, self._ERFC_P) / self._polyval(ax, self._ERFC_Q),
                        self._polyval(ax, self._ERFC_R) / self._polyval(ax, self._ERFC_S))
        out = xp.where(ax <= 1.0, small, 1.0 - xp.exp(-z) * tail)
        return xp.copysign(out, a).astype(x.dtype, copy=False)

    _SQRT1_2 = 0.70710678118654752440   # 1 / sqrt(2)
    _GELU_BETA = 0.79788456080286535588  # sqrt(2 / pi)
    _GELU_KAPPA = 0.044715
    _INV_SQRT_2PI = 0.39894228040143267794

    def _opmath(self, x):
        """Half precision is computed in float32, as PyTorch does."""
        return x.astype(np.float32) if x.dtype == np.float16 else x

    def gelu(self, x, approximate):
        """'none': x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); 'tanh': 0.5 x (1 + tanh(
        sqrt(2/pi) (x + 0.044715 x^3)))."""
        a = self._opmath(x)
        with np.errstate(invalid="ignore", over="ignore"):  # -inf * 0 is nan, as PyTorch
            if approximate == "tanh":
                inner = self._GELU_BETA * (a + self._GELU_KAPPA * (a * a * a))
                out = 0.5 * a * (1 + self.xp.tanh(inner))
            else:
                out = 0.5 * a * (1 + self.erf(a * self._SQRT1_2))
        return out.astype(x.dtype, copy=False)

    def gelu_backward(self, x, gy, approximate):
        xp = self.xp
        a, g = self._opmath(x), self._opmath(gy)
        with np.errstate(invalid="ignore", over="ignore"):
            if approximate == "tanh":
                x_sq = a * a
                t = xp.tanh(self._GELU_BETA * (a + self._GELU_KAPPA * x_sq * a))
                d_inner = self._GELU_BETA * (1 + 3 * self._GELU_KAPPA * x_sq)
                deriv = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * d_inner
            else:
                cdf = 0.5 * (1 + self.erf(a * self._SQRT1_2))
                deriv = cdf + a * (self._INV_SQRT_2PI * xp.exp(-0.5 * a * a))
            return (g * deriv).astype(gy.dtype, copy=False)

    # ---- loss backward (losses: ops/loss.py) --------------------------------------------
    # ---- convolution and pooling (windows over the last two dims) ---------------------------
    # Inputs are (N, C, H, W).  ``kernel``, ``stride``, ``dilation``, ``out_hw`` and ``padding``
    # are (h, w) pairs; ``padding`` counts the rows/cols added before the input, and after it
    # as many are added as the windows reach (so asymmetric 'same' padding and ceil_mode need
    # nothing more).  Loops run over kernel offsets only, never over pixels or the batch.
    def _pad_windows(self, x, kernel, stride, padding, dilation, out_hw, value=0):
        """``x`` padded with ``value``: ``padding`` before, and after up to the last window."""
        after = [max(0, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in
                 zip(out_hw, stride, dilation, kernel, x.shape[-2:], padding)]
        if not any(padding) and not any(after):
            return x
        N, C, H, W = x.shape
        (ph, pw), (ah, aw) = padding, after
        shape = (N, C, ph + H + ah, pw + W + aw)
        if value == 0:
            out = self.xp.zeros(shape, dtype=x.dtype)
        else:  # np.full without its Python wrapper
            out = self.xp.empty(shape, dtype=x.dtype)
            out.fill(value)
        out[:, :, ph:ph + H, pw:pw + W] = x
        return out

    def _windows(self, xpad, kernel, stride, dilation, out_hw):
        """Strided view (N, C, kh, kw, OH, OW): [n, c, i, j, oh, ow] is
        xpad[n, c, oh * sh + i * dh, ow * sw + j * dw]."""
        sn, sc, sh, sw = xpad.strides
        return self.xp.lib.stride_tricks.as_strided(
            xpad, xpad.shape[:2] + tuple(kernel) + tuple(out_hw),
            (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]))

    def im2col(self, x, kernel, stride, padding, dilation, out_hw):
        """The windows of ``x`` (zero padding) as a C-contiguous (N, C, kh, kw, OH, OW) array."""
        if (tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and not any(padding)
                and x.shape[-2:] == tuple(out_hw)):
            return x.reshape(x.shape[:2] + (1, 1) + x.shape[-2:])
        xpad = self._pad_windows(x, kernel, stride, padding, dilation, out_hw)
        return self.xp.ascontiguousarray(self._windows(xpad, kernel, stride, dilation, out_hw))

    def im2col_batch_last(self, x, kernel, stride, padding, dilation, out_hw):
        """The windows of ``x`` (zero padding) as a C-contiguous (OH, OW, C, kh, kw, N) array:
        x transposed once to (Hp, Wp, C, N), so the window copy moves runs of N values."""
        xp = self.xp
        N, C, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw), (OH, OW) = kernel, stride, padding, dilation, out_hw
        Hp = max(ph + H, (OH - 1) * sh + dh * (kh - 1) + 1)
        Wp = max(pw + W, (OW - 1) * sw + dw * (kw - 1) + 1)
        xt = xp.zeros((Hp, Wp, C, N), dtype=x.dtype)
        xt[ph:ph + H, pw:pw + W] = x.transpose(2, 3, 1, 0)
        s0, s1, s2, s3 = xt.strides
        return xp.ascontiguousarray(xp.lib.stride_tricks.as_strided(
            xt, (OH, OW, C, kh, kw, N), (s0 * sh, s1 * sw, s2, s0 * dh, s1 * dw, s3)))

    def col2im(self, cols, shape, stride, padding, dilation):
        """The transpose of im2col: every window value of ``cols`` (N, C, kh, kw, OH, OW) added
        to the pixel of an input of ``shape`` (N, C, H, W) it was taken from."""
        N, C, kh, kw, OH, OW = cols.shape
        H, W = shape[-2:]
        (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
        Hp = max(ph + H, (OH - 1) * sh + dh * (kh - 1) + 1)
        Wp = max(pw + W, (OW - 1) * sw + dw * (kw - 1) + 1)
        out = self.xp.zeros((N, C, Hp, Wp), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                out[:, :, i * dh:i * dh + (OH - 1) * sh + 1:sh,
                    j * dw:j * dw + (OW - 1) * sw + 1:sw] += cols[:, :, i, j]
        if (Hp, Wp) == (H, W):
            return out
        return self.xp.ascontiguousarray(out[:, :, ph:ph + H, pw:pw + W])

    def conv_input_grad(self, gy, w, shape, stride, padding, dilation):
        """conv2d's input gradient: the transposed convolution of gy (N, O, OH, OW) with w
        (O, C / g, kh, kw).  For a batch at least as wide as the output rows the batch goes
        innermost: one small matmul per output position (each under OpenBLAS's threading
        size, as the forward's) gives the columns as (OH, OW, C, kh, kw, N), and each tap is
        added to an (Hp, Wp, C, N) buffer in runs of N values, not of OW as col2im's."""
        xp = self.xp
        N, O, OH, OW = gy.shape
        C, H, W = shape[1:]
        _, Cg, kh, kw = w.shape
        g = C // Cg
        wt = w.reshape(g, O // g, Cg * kh * kw).transpose(0, 2, 1)
        if N < OW:
            cols = xp.matmul(wt, gy.reshape(N, g, O // g, OH * OW))
            return self.col2im(cols.reshape(N, C, kh, kw, OH, OW), shape, stride, padding,
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

    def max_pool2d(self, x, kernel, stride, padding, dilation, out_hw):
        """(values, int64 indices into each H*W plane): per window the first maximum, a NaN
        beating any number (the last NaN wins), padding never winning -- PyTorch's CPU rule."""
        xp = self.xp
        is_float = x.dtype.kind == "f"
        low = -np.inf if is_float else np.iinfo(x.dtype).min
        xpad = self._pad_windows(x, kernel, stride, padding, dilation, out_hw, low)
        win = self._windows(xpad, kernel, stride, dilation, out_hw)
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

    def max_pool2d_backward(self, gy, idx, shape, overlap=True):
        """Each gy added to the input pixel its window's maximum came from (``overlap``: the
        windows may share pixels, so the sums go through bincount)."""
        xp = self.xp
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

    def max_pool2d_double_backward(self, gg, idx):
        """gg at each window's maximum: the backward of max_pool2d_backward (a gather)."""
        N, C = idx.shape[:2]
        out = self.xp.take_along_axis(gg.reshape(N, C, math.prod(gg.shape[2:])),
                                      idx.reshape(N, C, math.prod(idx.shape[2:])), 2)
        return out.reshape(idx.shape)

    def _avg_pool_divisor(self, shape, kernel, stride, padding, out_hw, count_include_pad,
                          divisor_override):
        """What each window's sum is divided by: the override, or the window's size counting
        padding (not what ceil_mode adds past it) or counting input pixels only."""
        if divisor_override:
            return divisor_override
        xp = self.xp
        lens = []
        for n, k, s, p, o in zip(shape[-2:], kernel, stride, padding, out_hw):
            start = xp.arange(o, dtype=np.int64) * s - p
            end = xp.minimum(start + k, n + p)
            lens.append(end - start if count_include_pad
                        else xp.minimum(end, n) - xp.maximum(start, 0))
        return lens[0][:, None] * lens[1][None, :]

    def avg_pool2d(self, x, kernel, stride, padding, out_hw, count_include_pad,
                   divisor_override):
        """Window sums over the zero-padded input, divided as _avg_pool_divisor says (integer
        inputs: the quotient rounded toward zero, as PyTorch)."""
        xp = self.xp
        win = self._windows(self._pad_windows(x, kernel, stride, padding, (1, 1), out_hw),
                            kernel, stride, (1, 1), out_hw)
        acc = np.float32 if x.dtype == np.float16 else x.dtype
        total = win[:, :, 0, 0].astype(acc)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                if i or j:
                    total += win[:, :, i, j]
        div = self._avg_pool_divisor(x.shape, kernel, stride, padding, out_hw,
                                     count_include_pad, divisor_override)
        if x.dtype.kind != "f":
            return (xp.sign(total) * (xp.abs(total) // div)).astype(x.dtype, copy=False)
        return (total / xp.asarray(div, dtype=acc)).astype(x.dtype, copy=False)

    def avg_pool2d_backward(self, gy, shape, kernel, stride, padding, count_include_pad,
                            divisor_override):
        """Each gy / divisor spread over its window: col2im of the broadcast gradient."""
        div = self._avg_pool_divisor(shape, kernel, stride, padding, gy.shape[-2:],
                                     count_include_pad, divisor_override)
        g = gy / self.xp.asarray(div, dtype=gy.dtype)
        cols = self.xp.broadcast_to(g[:, :, None, None], g.shape[:2] + tuple(kernel)
                                    + g.shape[-2:])
        return self.col2im(cols, shape, stride, padding, (1, 1))

    def _adaptive_pool_matrix(self, n, o, dtype):
        """(o, n): row i averages the inputs floor(i * n / o) .. ceil((i + 1) * n / o) - 1."""
        xp = self.xp
        i = xp.arange(o, dtype=np.int64)[:, None]
        start, end = i * n // o, -(-(i + 1) * n // o)
        pos = xp.arange(n, dtype=np.int64)[None, :]
        return (((pos >= start) & (pos < end)) / (end - start)).astype(dtype)

    def adaptive_avg_pool2d(self, x, out_hw):
        """A @ x @ B.T with the averaging matrices of the two dims."""
        a = self._adaptive_pool_matrix(x.shape[-2], out_hw[0], x.dtype)
        b = self._adaptive_pool_matrix(x.shape[-1], out_hw[1], x.dtype)
        return self.xp.matmul(a, x @ b.T)

    def adaptive_avg_pool2d_backward(self, gy, shape):
        """A.T @ gy @ B: the transpose of adaptive_avg_pool2d."""
        a = self._adaptive_pool_matrix(shape[-2], gy.shape[-2], gy.dtype)
        b = self._adaptive_pool_matrix(shape[-1], gy.shape[-1], gy.dtype)
        return self.xp.matmul(a.T, gy @ b)


def _bind(k):
    """A registered kernel as a method too, ``be.<name>(*args)`` (tests and tools call it so;
    a ``__getattr__`` would slow every attribute lookup on a backend)."""
    if k.name in vars(NumpyBackend):
        raise ValueError(f"kernel {k.name} would hide NumpyBackend.{k.name}")

    def method(self, *args):
        return k(self, *args)
    method.__name__ = method.__qualname__ = k.name
    method.__doc__ = k.reference.__doc__
    setattr(NumpyBackend, k.name, method)


kernels.on_register(_bind)
