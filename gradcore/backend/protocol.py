"""What a backend provides: the protocol ``NumpyBackend`` and ``CupyBackend`` implement.

A backend owns one device's arrays.  It holds transfer, random numbers, memory and the launch
of registered kernels -- not op math: an op's math is its declaration's forward and its
kernels' references (backend/kernels.py), written against ``xp``.  Ops reach a backend only
through ``tensor._be`` and these members; ``tests/test_backend_protocol.py`` checks both
backends against the protocol, and that gradcore uses every member of it.

Two primitives that are no op's: ``sum_to`` (broadcasting's inverse, in every binary op's
backward; deterministic passes on CUDA) and ``index_add_`` (the scatter-add: np.add.at,
cupyx.scatter_add).  A new device type is served by ``backend.register_backend``.
"""
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Backend(Protocol):
    name: str             # "numpy", "cupy"
    xp: Any               # the array module: numpy or cupy (or numpy for a test CUDA backend)
    device: Any           # the gradcore.device its arrays live on
    launches_kernels: bool  # False: a kernel's reference is its kernel (NumPy)

    # ---- transfer and memory ------------------------------------------------------------
    def to_host(self, arr):
        """``arr`` as a NumPy array (itself on the CPU)."""

    def from_host(self, arr):
        """A NumPy array as one of this backend's arrays."""

    def asarray(self, data, dtype=None):
        """Python data or an array as one of this backend's arrays."""

    def synchronize(self):
        """Wait for the device's queued work."""

    # ---- random numbers -----------------------------------------------------------------
    def manual_seed(self, seed):
        """Reseed this backend's generator."""

    def rand(self, shape, dtype):
        """Uniform [0, 1) draws."""

    def randn(self, shape, dtype):
        """Standard normal draws."""

    def randint(self, low, high, shape, dtype):
        """Integers in [low, high)."""

    def randperm(self, n, dtype):
        """A random permutation of range(n)."""

    def poisson(self, lam, dtype):
        """Poisson draws of the rates ``lam`` (an array), as ``dtype``."""

    def standard_gamma(self, alpha, dtype):
        """Gamma(alpha, 1) draws of the concentrations ``alpha`` (an array), as ``dtype``."""

    # ---- kernels ------------------------------------------------------------------------
    def launch(self, k, *args):
        """Run a registered kernel on this backend's arrays (its RawKernel, or its reference
        where the launcher declines or the backend launches none)."""

    def sum_to(self, g, shape):
        """``g`` summed down to ``shape`` (broadcasting's inverse), deterministic."""

    def index_add_(self, out, idx, values):
        """``out[idx] += values`` in place, duplicate indices accumulating."""
