"""Backends: one per array library, the same surface in each.

``get_backend(device)`` returns the backend of a device: NumPy for "cpu", CuPy for "cuda:N"
(imported only when first asked for).  A backend knows nothing of Tensors.
"""
from .._device import as_device
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
        from .cupy_backend import CupyBackend
        be = _cuda[index] = CupyBackend(index, _seed[0])
    return be


def cpu_backend():
    return _cpu


def manual_seed(seed):
    """Seed the CPU generator and every CUDA generator already made (new ones use the seed)."""
    _seed[0] = seed
    _cpu.manual_seed(seed)
    for be in _cuda.values():
        be.manual_seed(seed)
