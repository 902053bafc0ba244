"""Backends: one per array library, the same surface in each.

``get_backend(device)`` returns the backend of a device: NumPy for "cpu", CuPy for "cuda:N"
(imported only when first asked for).  A backend knows nothing of Tensors.

A CUDA backend is cached only once it is built: when CuPy, the driver, the device or a CUDA
library is missing, ``get_backend`` raises the error PyTorch raises there (cuda_runtime.py says
which) and caches nothing, so every later call checks again and raises the same clear error.
"""
from .._device import as_device
from .cuda_runtime import _lazy_init, _missing_library
from .host_memory import tune_malloc
from .numpy_backend import DEFAULT_SEED, NumpyBackend

tune_malloc()  # glibc's malloc settings for training loops (host_memory.py says why)

_seed = [DEFAULT_SEED]  # the last manual_seed, for CUDA backends made after it
_cpu = NumpyBackend(DEFAULT_SEED)
_cuda = {}


def get_backend(device=None):
    d = as_device(device)
    if d.type == "cpu":
        return _cpu
    index = 0 if d.index is None else d.index
    be = _cuda.get(index)
    if be is None:
        be = _cuda[index] = _make_cuda_backend(index)
    return be


def _make_cuda_backend(index):
    _lazy_init(index)  # no CuPy / driver / GPU / cuda:index / NVRTC: PyTorch's error, now
    from .cupy_backend import CupyBackend
    try:
        return CupyBackend(index, _seed[0])
    except Exception as e:  # a CUDA library CuPy loads on first use (cuRAND, ...) missing
        err = _missing_library(e)
        if err is None:
            raise
        raise err from e


def cpu_backend():
    return _cpu


def manual_seed(seed):
    """Seed the CPU generator and every CUDA generator already made (new ones use the seed)."""
    _seed[0] = seed
    _cpu.manual_seed(seed)
    for be in _cuda.values():
        be.manual_seed(seed)
