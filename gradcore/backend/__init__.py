"""Backends: one per array library, the same surface in each.

``get_backend(device)`` returns the backend of a device: NumPy for "cpu", CuPy for "cuda:N"
(imported only when first asked for), or one a ``register_backend(device_type, factory)``
added.  A backend knows nothing of Tensors; ``protocol.py`` says what one provides.

A CUDA backend is cached only once it is built: when CuPy, the driver, the device or a CUDA
library is missing, ``get_backend`` raises the error PyTorch raises there (cuda_runtime.py says
which) and caches nothing, so every later call checks again and raises the same clear error.
"""
from .._device import as_device
from .cuda_runtime import _lazy_init, _missing_library
from .host_memory import tune_malloc
from .numpy_backend import DEFAULT_SEED, NumpyBackend  # noqa: F401  (DEFAULT_SEED: Generator())

tune_malloc()  # glibc's malloc settings for training loops (host_memory.py says why)

_seed = [None]  # the last manual_seed, for backends made after it (None: fresh, from the OS)
_cpu = NumpyBackend(None)  # an unseeded process draws new numbers each run, as PyTorch
_built = {}  # (device type, index) -> backend, for every type but "cpu"
_factories = {}  # device type -> factory(index, seed)


def register_backend(device_type, factory):
    """Serve devices of ``device_type`` with ``factory(index, seed) -> backend`` (built on first
    use, once per index, cached only once built: a factory that raises is asked again).  The
    type must be one gradcore.device accepts ("cpu", "cuda"); a new one goes there too."""
    _factories[device_type] = factory


def get_backend(device=None):
    d = as_device(device)
    if d.type == "cpu":
        return _cpu
    key = d.type, 0 if d.index is None else d.index
    be = _built.get(key)
    if be is None:
        factory = _factories.get(d.type)
        if factory is None:
            raise RuntimeError(f"gradcore has no backend for device type '{d.type}'")
        be = _built[key] = factory(key[1], _seed[0])
    return be


def _make_cuda_backend(index, seed):
    _lazy_init(index)  # no CuPy / driver / GPU / cuda:index / NVRTC: PyTorch's error, now
    from .cupy_backend import CupyBackend
    try:
        return CupyBackend(index, seed)
    except Exception as e:  # a CUDA library CuPy loads on first use (cuRAND, ...) missing
        err = _missing_library(e)
        if err is None:
            raise
        raise err from e


register_backend("cuda", _make_cuda_backend)


def cpu_backend():
    return _cpu


def manual_seed(seed):
    """Seed the CPU generator and every other backend's already made (new ones use the seed)."""
    _seed[0] = seed
    _cpu.manual_seed(seed)
    for be in _built.values():
        be.manual_seed(seed)
