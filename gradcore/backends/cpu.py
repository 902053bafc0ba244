"""torch.backends.cpu: the CPU's vector capability, as PyTorch names it ('AVX512', 'AVX2',
'DEFAULT'), read from the features NumPy detected at start (NumPy dispatches its own loops
on them)."""
import numpy as np

__all__ = ["get_cpu_capability"]


def _features():
    core = getattr(np, "_core", None) or np.core
    return getattr(core._multiarray_umath, "__cpu_features__", {})


def get_cpu_capability():
    """get_cpu_capability() -> str

    'AVX512' when the CPU has AVX512 F, BW, VL and DQ (PyTorch's test), else 'AVX2' with AVX2
    and FMA, else 'DEFAULT' (also on non-x86 CPUs)."""
    f = _features()
    if all(f.get(k) for k in ("AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ")):
        return "AVX512"
    if f.get("AVX2") and f.get("FMA3"):
        return "AVX2"
    return "DEFAULT"
