"""The CuPy backend: arrays on ``cuda:N``.

It has the NumPy backend's surface; the kernel functions are inherited (they are written
against ``self.xp``) until a RawKernel from ``kernels/*.cu`` replaces one.  Every RawKernel is
loaded through ``load_module`` -- the one loader seam -- so tests can hand in another loader
(for instance one that runs the same ``.cu`` source on the CPU) with ``set_loader``.
"""
import os

from .._device import device
from .numpy_backend import NumpyBackend


def kernels_dir():
    """Where the ``.cu`` sources are: inside the installed package, or the checkout's kernels/."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for cand in (os.path.join(here, "kernels"), os.path.join(os.path.dirname(here), "kernels")):
        if os.path.isdir(cand):
            return cand
    raise FileNotFoundError("gradcore's kernels/ directory is missing from this installation")


def _cupy_loader(path, name_expressions, options=()):
    import cupy
    with open(path) as f:
        code = f.read()
    return cupy.RawModule(code=code, options=tuple(options),
                          name_expressions=tuple(name_expressions))


_loader = [_cupy_loader]


def set_loader(loader):
    """Swap the function that turns a .cu file into a module (returns the previous one)."""
    prev, _loader[0] = _loader[0], loader
    _modules.clear()
    return prev


_modules = {}


def load_module(path, name_expressions, options=("--std=c++17",)):
    """Compile (once per device, file and instantiations) and return a module whose
    ``get_function(name)(grid, block, args)`` launches a kernel."""
    key = (path, tuple(name_expressions), tuple(options))
    mod = _modules.get(key)
    if mod is None:
        mod = _modules[key] = _loader[0](path, name_expressions, options)
    return mod


class CupyBackend(NumpyBackend):
    name = "cupy"

    def __init__(self, index, seed=None):
        import cupy
        self.xp = cupy
        self.index = index
        self.device = device("cuda", index)
        self._cuda_device = cupy.cuda.Device(index)
        with self._cuda_device:
            self._rng = self._make_rng(seed)

    def to_host(self, arr):
        return self.xp.asnumpy(arr)

    def from_host(self, arr):
        with self._cuda_device:
            return self.xp.asarray(arr)

    def asarray(self, data, dtype=None):
        with self._cuda_device:
            return self.xp.asarray(data, dtype=dtype)

    def synchronize(self):
        self._cuda_device.synchronize()

    def _make_rng(self, seed):
        return self.xp.random.default_rng(seed)

    def manual_seed(self, seed):
        with self._cuda_device:
            super().manual_seed(seed)

    def index_add_(self, out, idx, values):
        """out[idx] += values with atomics (cupyx.scatter_add); other dtypes via the host."""
        if out.dtype.char in "efdIiL":
            import cupyx
            cupyx.scatter_add(out, idx, values)
            return
        import numpy as np
        host = self.to_host(out)
        np.add.at(host, tuple(self.to_host(i) if isinstance(i, self.xp.ndarray) else i
                              for i in idx), self.to_host(self.xp.asarray(values)))
        out[...] = self.from_host(host)
