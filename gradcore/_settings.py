"""Global settings PyTorch code calls: torch.compile (the identity here), the default device
that factory functions without ``device=`` use, float32 matmul precision, flush-denormal,
warn-always and the inter-op thread count.

gradcore has no compiler, so ``compile`` returns the model or function unchanged (also as a
decorator, with or without arguments); matmul precision is recorded (NumPy and CuPy always
compute float32 matmuls in float32, i.e. "highest"); ``set_flush_denormal`` returns False (NumPy
gives no control of the FTZ/DAZ flags) and changes nothing.
"""
import os
import warnings

from ._device import _default, as_device

_state = {"precision": "highest", "warn_always": False,
          "interop": os.cpu_count() or 1}


def compile(model=None, *, fullgraph=False, dynamic=None,  # noqa: A001  (PyTorch's name)
            backend="inductor", mode=None, options=None, disable=False, **kwargs):
    """compile(model=None, *, fullgraph=False, dynamic=None, backend='inductor', mode=None,
    options=None, disable=False, ...) -> the model

    gradcore has no graph compiler: ``compile(m)`` returns ``m`` itself, unchanged, so code
    written for torch.compile runs eagerly.  Used as ``@compile`` or ``@compile(mode=...)``
    it decorates to the function itself."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is "
                             "provided.")  # PyTorch 2.13's assert in torch.compile
    return model


def set_default_device(device):
    """set_default_device(device) -> None

    The device factory functions (zeros, ones, empty, rand, randn, tensor, arange, full, ...)
    use when called without ``device=``; ``None`` restores the CPU."""
    _default["device"] = None if device is None else as_device(device)


def get_default_device():
    """get_default_device() -> device

    The device set_default_device set (at start: cpu)."""
    return _default["device"] or as_device("cpu")


def default_device_or(device):
    """``device`` when given, else the default device set by set_default_device (or None)."""
    return device if device is not None else _default["device"]


def set_float32_matmul_precision(precision):
    """set_float32_matmul_precision(precision) -> None

    Record 'highest', 'high' or 'medium' (others warn and change nothing, as PyTorch); NumPy
    and CuPy compute float32 matmuls in float32 whatever is set."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision():
    """get_float32_matmul_precision() -> str: what set_float32_matmul_precision last set."""
    return _state["precision"]


def set_flush_denormal(mode):
    """set_flush_denormal(mode) -> bool

    PyTorch returns True where the CPU's flush-to-zero flags can be set; NumPy gives no
    control of them, so this returns False (unsupported) and denormals stay."""
    return False


def set_warn_always(b):
    """set_warn_always(b) -> None: record whether once-only warnings should always warn."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    """is_warn_always_enabled() -> bool: what set_warn_always last set (False at start)."""
    return _state["warn_always"]


def set_num_interop_threads(int):  # noqa: A002  (PyTorch's argument name)
    """set_num_interop_threads(int) -> None

    Record the inter-op thread count (gradcore runs ops one after another)."""
    if not isinstance(int, type(1)) or isinstance(int, bool) or int <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    _state["interop"] = int


def get_num_interop_threads():
    """get_num_interop_threads() -> int: the count set_num_interop_threads recorded."""
    return _state["interop"]


__all__ = ["compile", "set_default_device", "get_default_device",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "set_flush_denormal",
           "set_warn_always", "is_warn_always_enabled", "set_num_interop_threads",
           "get_num_interop_threads"]
