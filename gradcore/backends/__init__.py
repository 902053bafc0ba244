"""gradcore.backends: torch.backends, the per-library switches PyTorch code sets (cudnn, cuda,
mps, mkldnn, openmp, mkl, cpu).

Not to be confused with ``gradcore.backend`` (singular), the internal NumPy/CuPy array
backends.  gradcore uses none of cuDNN, cuBLAS's TF32 modes, oneDNN or MPS: each module says
what it records and what is real (``cpu.get_cpu_capability``, ``mkl.is_available``,
``cuda.matmul.allow_tf32`` = the float32 matmul precision).  ``disable_global_flags()`` makes
the flags settable only inside their ``flags()`` blocks, as PyTorch's.
"""
from ._flags import disable_global_flags, flags_frozen  # noqa: F401
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "disable_global_flags",
           "flags_frozen"]
