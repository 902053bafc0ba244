"""torch.backends.cudnn: cuDNN's flags (enabled, benchmark, deterministic, allow_tf32) and
``flags(...)``.  gradcore does not use cuDNN (its CUDA convolutions are its own kernels and
CuPy's GEMMs): ``is_available()`` is False and ``version()`` None, and the flags are recorded
with PyTorch's defaults and checks, so code that sets them runs unchanged.

    gradcore.backends.cudnn.benchmark = True
    with gradcore.backends.cudnn.flags(enabled=False): ...
"""
import contextlib

from ._flags import allow_mutation, check_bool, flag, flag_module

_state = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}
_SETTERS = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
            "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"}


def is_available():
    """is_available() -> bool: False; gradcore does not use cuDNN."""
    return False


def version():
    """version() -> None: there is no cuDNN in gradcore (PyTorch returns None without one)."""
    return None


def is_acceptable(tensor):
    """is_acceptable(tensor) -> bool: whether cuDNN would take ``tensor``: never here."""
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None):
    """set_flags(_enabled=None, _benchmark=None, ..., _allow_tf32=None) -> the old flags

    Set the flags given (None leaves one) and return the previous ones, a tuple in
    PyTorch's order (enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
    fp32_precision, depthwise_kernel), which set_flags(*old) restores."""
    old = (_state["enabled"], _state["benchmark"], None, _state["deterministic"],
           _state["allow_tf32"], "none", "auto")
    for key, value in (("enabled", _enabled), ("benchmark", _benchmark),
                       ("deterministic", _deterministic), ("allow_tf32", _allow_tf32)):
        if value is not None:
            _state[key] = check_bool(value, _SETTERS[key])
    return old


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
    allow_tf32=True, fp32_precision='none', depthwise_kernel='auto')

    A context manager: the cuDNN flags take these values inside the block (PyTorch's
    defaults, so ``flags()`` alone turns cuDNN off) and their old values after it."""
    with allow_mutation():
        old = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
                        fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        with allow_mutation():
            set_flags(*old)


flag_module(__name__, "CudnnModule", **{
    key: flag(_state, key, _SETTERS[key], f"cudnn.{key} -> bool (recorded; cuDNN is unused)")
    for key in _SETTERS}, benchmark_limit=None)
