"""torch.backends.mps: Apple's Metal backend, which gradcore has not (NumPy or CuPy only)."""


def is_available():
    """is_available() -> bool: False; gradcore has no MPS backend."""
    return False


def is_built():
    """is_built() -> bool: False; gradcore is not built with MPS."""
    return False
