"""torch.backends.mkl: whether Intel MKL does the CPU's linear algebra, i.e. whether the
installed NumPy was built against MKL (NumPy's wheels use OpenBLAS)."""
import numpy as np


def is_available():
    """is_available() -> bool: True when NumPy's BLAS is MKL."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):  # NumPy before 1.26 has no mode=
        return False
    return "mkl" in str(blas.get("name", "")).lower()
