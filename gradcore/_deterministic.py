"""PyTorch's determinism flags (use_deterministic_algorithms, its warn_only, and
torch.utils.deterministic.fill_uninitialized_memory), kept below every layer so the factories
can read them; ``fill_uninitialized`` is what empty / empty_like / new_empty / empty_strided
do with a new array when both are on: PyTorch's NaN for floating and complex dtypes, the
largest value for integer ones (True for bool)."""
import numpy as np

from . import _dtype

state = {"mode": False, "warn_only": False, "fill_uninitialized_memory": True}


def fill_uninitialized(arr):
    """``arr`` (a new NumPy or CuPy array), filled as PyTorch fills uninitialized memory when
    deterministic algorithms and fill_uninitialized_memory are both on; untouched otherwise."""
    if state["mode"] and state["fill_uninitialized_memory"] and arr.size:
        kind = arr.dtype.kind
        arr.fill(np.nan if _dtype.is_floating(arr.dtype) or kind == "c" else True if kind == "b"
                 else np.iinfo(arr.dtype).max)
    return arr
