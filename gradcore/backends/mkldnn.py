"""torch.backends.mkldnn: oneDNN (MKL-DNN).  gradcore's CPU ops are NumPy's and do not use
oneDNN, so ``is_available()`` is False; ``enabled`` (default True) is recorded, with
PyTorch's check, and ``flags(enabled=False)`` sets it for a block."""
import contextlib

from ._flags import allow_mutation, check_bool, flag, flag_module

_state = {"enabled": True}


def is_available():
    """is_available() -> bool: False; gradcore does not use oneDNN."""
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """set_flags(_enabled=None, ...) -> the old flags (a tuple set_flags(*old) restores)."""
    old = (_state["enabled"],)
    if _enabled is not None:
        _state["enabled"] = check_bool(_enabled, "set_enabled_mkldnn")
    return old


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision='none')

    A context manager: ``mkldnn.enabled`` is ``enabled`` inside the block, its old value
    after."""
    with allow_mutation():
        old = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        with allow_mutation():
            set_flags(*old)


flag_module(__name__, "MkldnnModule",
            enabled=flag(_state, "enabled", "set_enabled_mkldnn",
                         "mkldnn.enabled -> bool (recorded; oneDNN is unused)"))
