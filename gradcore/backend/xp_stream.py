"""An array library's own generator (CuPy's ``default_rng`` on CUDA) behind the draw methods
of mt19937.py's ``MT19937Stream``: the same names and arguments, so the samplers in
ops/random.py call either.  Its numbers are the library's, not PyTorch's (PyTorch's CUDA
streams are Philox); each distribution is a transform of its uniform and normal draws.
"""
import math

import numpy as np

from .. import _dtype


class XpStream:
    """Draws from ``xp.random.default_rng(seed)`` (xp: cupy, or numpy in tests)."""

    def __init__(self, xp, seed):
        self.xp = xp
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self.seed = int(seed)
        self._rng = self.xp.random.default_rng(self.seed)

    def _float(self, draw, shape, dtype):
        if dtype in (np.float32, np.float64):
            return draw(shape, dtype=dtype)
        return draw(shape, dtype=np.float32).astype(dtype)

    def uniform(self, shape, dtype, low=0.0, high=1.0):
        if _dtype.is_reduced(np.dtype(dtype)):  # steps of the mantissa (float16: 11 bits,
            # bfloat16: 8), as PyTorch: float32 draws would round up to 1
            steps = 1 << np.finfo(dtype).nmant + 1
            u = self._rng.random(shape, dtype=np.float32)
            u = self.xp.floor(u * steps) / steps
        else:
            u = self._float(self._rng.random, shape, dtype)
        if (low, high) != (0.0, 1.0):
            u = u * (high - low) + low
        return u.astype(dtype, copy=False)

    def rand(self, shape, dtype):
        return self.uniform(shape, dtype)

    def normal(self, shape, dtype, mean=0.0, std=1.0, vectorised=True):
        z = self._float(self._rng.standard_normal, shape, dtype)
        if mean != 0 or std != 1:
            z = z * std + mean
        return z.astype(dtype, copy=False)

    def randn(self, shape, dtype):
        return self.normal(shape, dtype)

    def log_normal(self, shape, dtype, mean, std):
        return self.xp.exp(self._rng.standard_normal(shape) * std + mean).astype(dtype)

    def randint(self, low, high, shape, dtype):
        if high - low > 1 << 63:  # wider than int64 can hold: two draws
            v = self._rng.integers(0, 1 << 32, size=(2,) + tuple(shape), dtype=np.int64)
            return ((v[0] << 32) ^ v[1]).astype(dtype)
        return self._rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype,
                                                                                 copy=False)

    def random_full(self, shape, dtype):
        """random_() with no bounds: integers 0 .. the dtype's top (floats: 2**mantissa)."""
        dtype = np.dtype(dtype)
        if dtype == np.bool_:
            top = 1
        elif _dtype.is_floating(dtype):
            top = 1 << np.finfo(dtype).nmant + 1
        else:
            top = int(np.iinfo(dtype).max)
        return self.randint(0, top + 1, shape, dtype)

    def randperm(self, n, dtype):
        return self._rng.permutation(n).astype(dtype, copy=False)

    def bernoulli(self, shape, p, dtype):
        return (self._rng.random(shape) < p).astype(dtype)

    def exponential(self, shape, dtype, lambd=1.0):
        return (-self.xp.log1p(-self._rng.random(shape)) / lambd).astype(dtype)

    def cauchy(self, shape, dtype, median, sigma):
        u = self._rng.random(shape)
        return (median + sigma * self.xp.tan(math.pi * (u - 0.5))).astype(dtype)

    def geometric(self, shape, dtype, p):
        xp = self.xp
        u = self._rng.random(shape)
        return xp.ceil(xp.log1p(-u) / math.log1p(-p)).clip(1).astype(dtype)

    def multinomial(self, w, num_samples, replacement):
        xp = self.xp
        rows, n = w.shape
        w = w.astype(np.float64)
        if replacement:  # inverse CDF of each row at uniform draws
            cdf = xp.cumsum(w, axis=1)
            cdf /= cdf[:, -1:]
            u = self._rng.random((rows, num_samples))
            idx = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
            return xp.minimum(idx, n - 1).astype(np.int64)
        e = -xp.log1p(-self._rng.random((rows, n)))  # the exponential race
        keys = xp.where(w > 0, e / xp.where(w > 0, w, 1), xp.inf)
        return xp.argsort(keys, axis=1)[:, :num_samples].astype(np.int64)

    def poisson(self, lam, dtype):
        return self._rng.poisson(lam.astype(np.float64)).astype(dtype, copy=False)

    def standard_gamma(self, alpha, dtype):
        return self._rng.standard_gamma(alpha.astype(np.float64)).astype(dtype, copy=False)

    def get_state(self):
        """The bit generator's state (a JSON-able dict)."""
        state = getattr(getattr(self._rng, "bit_generator", None), "state", None)
        if not isinstance(state, dict):
            raise RuntimeError("get_state() is not supported for this generator: its state "
                               "cannot be read")
        return state

    def set_state(self, state):
        self._rng.bit_generator.state = state
