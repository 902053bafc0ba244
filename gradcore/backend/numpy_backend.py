"""The NumPy backend: arrays on the host.

Transfer (the identity), the generator, ``launch(k, *args)`` -- a registered kernel
(backend/kernels.py) runs as its reference on NumPy arrays -- and two primitives: ``sum_to``
(broadcasting's inverse) and ``index_add_`` (the scatter-add; its trailing underscore: it
updates its first argument in place).  No op math lives here: the ops' forwards and the
kernels' references are written against ``xp`` next to their ops (ops/*.py), the optimizers'
rules with the optimizers.  A registered kernel is also reachable as ``be.<its name>(*args)``
(tests and tools use that).
"""
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
        if dtype == np.float16:  # float32 draws would round up to 1.0: 11-bit steps, as PyTorch
            u = self._rng.random(shape, dtype=np.float32)
            return (self.xp.floor(u * 2048) / 2048).astype(np.float16)
        return self._float(self._rng.random, shape, dtype)

    def randn(self, shape, dtype):
        return self._float(self._rng.standard_normal, shape, dtype)

    def randint(self, low, high, shape, dtype):
        return self._rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype, copy=False)

    def randperm(self, n, dtype):
        return self._rng.permutation(n).astype(dtype, copy=False)

    def poisson(self, lam, dtype):
        return self._rng.poisson(lam.astype(np.float64)).astype(dtype, copy=False)

    def standard_gamma(self, alpha, dtype):
        return self._rng.standard_gamma(alpha.astype(np.float64)).astype(dtype, copy=False)

    # ---- the broadcast's inverse (every binary op's backward) ---------------------------
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

    # ---- indexing: the scatter-add (ops/indexing.py's index_put and backwards use it) ------
    # ``idx`` is a tuple of integer arrays and slices, with NumPy's (= PyTorch's) placement
    # of the indexed dims.
    def index_add_(self, out, idx, values):
        """out[idx] += values, in place, with duplicate indices accumulating."""
        self.xp.add.at(out, idx, values)


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
