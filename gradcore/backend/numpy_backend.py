"""The NumPy backend: arrays on the host, and every backward kernel in plain array code.

These kernel functions are the reference the CUDA kernels are tested against.  They are
written against ``self.xp`` only, so the CuPy backend inherits them unchanged until a RawKernel
replaces one (see cupy_backend.py).  Each takes and returns arrays; none modifies its inputs.
"""
import math

import numpy as np

from .._device import CPU


class NumpyBackend:
    name = "numpy"
    xp = np
    device = CPU

    def __init__(self):
        self._rng = np.random.default_rng()

    # ---- transfer -----------------------------------------------------------------------
    def to_host(self, arr):
        return arr

    def from_host(self, arr):
        return arr

    def asarray(self, data, dtype=None):
        return self.xp.asarray(data, dtype=dtype)

    def synchronize(self):
        pass

    # ---- random numbers -----------------------------------------------------------------
    def _make_rng(self, seed):
        return np.random.default_rng(seed)

    def manual_seed(self, seed):
        self._rng = self._make_rng(int(seed) & 0xFFFF_FFFF_FFFF_FFFF)

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
        if g.shape == tuple(shape):
            return g
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                          if n == 1 and g.shape[i + lead] != 1)
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
        return self._broadcast(self._unsqueeze(gy, shape, axes, keepdim), shape)

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

    def softmax_backward(self, y, gy, axis):
        gyy = gy * y
        return gyy - y * gyy.sum(axis=axis, keepdims=True)

    def log_softmax_backward(self, y, gy, axis):
        return gy - self.xp.exp(y) * gy.sum(axis=axis, keepdims=True)

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

    # ---- elementwise backward (unary: saved value s, incoming gradient gy) --------------
    def relu_backward(self, y, gy):
        return gy * (y > 0)

    def sigmoid_backward(self, y, gy):
        return gy * y * (1 - y)

    def tanh_backward(self, y, gy):
        return gy * (1 - y * y)

    def exp_backward(self, y, gy):
        return gy * y

    def log_backward(self, x, gy):
        return gy / x

    def sqrt_backward(self, y, gy):
        return gy / (2 * y)

    def abs_backward(self, x, gy):
        return gy * self.xp.sign(x)

    def sin_backward(self, x, gy):
        return gy * self.xp.cos(x)

    def cos_backward(self, x, gy):
        return -gy * self.xp.sin(x)

    def pow_backward(self, x, gy, exponent):
        """d x**e / dx for a scalar exponent (zero where e == 0, as PyTorch)."""
        if exponent == 0:
            return self.xp.zeros_like(gy)
        return gy * exponent * x ** (exponent - 1)

    def clamp_backward(self, x, gy, lo, hi):
        """The gradient passes where lo <= x <= hi (bounds are scalars, arrays or None)."""
        mask = True
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            mask = mask & (x <= hi)
        return gy * mask

    # ---- elementwise backward (binary: both gradients at once, before sum_to) -----------
    def mul_backward(self, a, b, gy):
        return gy * b, gy * a

    def div_backward(self, a, b, gy):
        ga = gy / b
        return ga, -ga * a / b

    def pow_tensor_backward(self, a, b, y, gy):
        xp = self.xp
        ga = xp.where(b == 0, 0, gy * b * a ** (b - 1)).astype(gy.dtype, copy=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = xp.where((a == 0) & (b >= 0), 0, gy * y * xp.log(a)).astype(gy.dtype, copy=False)
        return ga, gb

    def maximum_backward(self, a, b, gy):
        """Ties share the gradient half and half, as PyTorch does."""
        half = gy * gy.dtype.type(0.5)
        return (self.xp.where(a > b, gy, self.xp.where(a == b, half, 0)).astype(gy.dtype),
                self.xp.where(b > a, gy, self.xp.where(a == b, half, 0)).astype(gy.dtype))

    def minimum_backward(self, a, b, gy):
        return self.maximum_backward(b, a, gy)

    def where_backward(self, cond, gy):
        zero = gy.dtype.type(0)
        return self.xp.where(cond, gy, zero), self.xp.where(cond, zero, gy)

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
