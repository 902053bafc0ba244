"""The NumPy backend: arrays on the host.

Transfer (the identity), the generator, ``launch(k, *args)`` -- a registered kernel
(backend/kernels.py) runs as its reference on NumPy arrays -- and two primitives: ``sum_to``
(broadcasting's inverse) and ``index_add_`` (the scatter-add; its trailing underscore: it
updates its first argument in place).  No op math lives here: the ops' forwards and the
kernels' references are written against ``xp`` next to their ops (ops/*.py), the optimizers'
rules with the optimizers.  A registered kernel is also reachable as ``be.<its name>(*args)``
(tests and tools use that).
"""
import os

import numpy as np

from .. import _dtype
from .._device import CPU
from . import kernels
from .mt19937 import MT19937Stream


DEFAULT_SEED = 67280421310721  # PyTorch's seed of a new Generator()


def nondeterministic_seed():
    """A fresh 64-bit seed from the OS (an unseeded process's, as PyTorch's)."""
    return int.from_bytes(os.urandom(8), "little")


class NumpyBackend:
    name = "numpy"
    xp = np
    device = CPU
    launches_kernels = False  # a registered kernel's reference is the NumPy kernel

    def __init__(self, seed=None):
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


    # ---- random numbers: the generator's stream (mt19937.py: PyTorch's CPU algorithm) -----
    def _make_rng(self, seed):
        return MT19937Stream(seed)

    def manual_seed(self, seed):
        """Reseed (None: a fresh nondeterministic 64-bit seed, as an unseeded PyTorch)."""
        seed = nondeterministic_seed() if seed is None else seed
        self.initial_seed = int(seed) & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = self._make_rng(self.initial_seed)

    def rand(self, shape, dtype):
        return self._rng.rand(shape, dtype)

    def randn(self, shape, dtype):
        return self._rng.randn(shape, dtype)

    def randint(self, low, high, shape, dtype):
        return self._rng.randint(low, high, shape, dtype)

    def randperm(self, n, dtype):
        return self._rng.randperm(n, dtype)

    def poisson(self, lam, dtype):
        return self._rng.poisson(lam, dtype)

    def standard_gamma(self, alpha, dtype):
        return self._rng.standard_gamma(alpha, dtype)

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
        acc = _dtype.opmath(g.dtype)  # float16, bfloat16: accumulated in float32 (PyTorch)
        if type(g) is np.ndarray:  # ndarray.sum without its Python wrapper
            out = np.add.reduce(g, axis=axes, dtype=acc, keepdims=True)
        else:
            out = g.sum(axis=axes, keepdims=True, dtype=acc)
        if acc is not g.dtype:
            out = out.astype(g.dtype)
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
