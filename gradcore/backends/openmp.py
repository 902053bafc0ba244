"""torch.backends.openmp: gradcore's own CPU code runs no OpenMP parallel regions (NumPy's
BLAS may thread on its own; set_num_threads limits it)."""


def is_available():
    """is_available() -> bool: False; gradcore is not built with OpenMP."""
    return False
