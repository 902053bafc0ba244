"""torch.autocast / torch.amp.autocast: a region (context manager or decorator) in which the ops
on PyTorch's lists run in lower precision or in float32 (the rules: ``gradcore/_autocast.py``),
and ``custom_fwd`` / ``custom_bwd`` for custom autograd Functions."""
import functools
import warnings

from .. import _autocast
from .._device import device as _device

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available"]


def is_autocast_available(device_type):
    """Whether autocast supports ``device_type`` here ("cpu" and "cuda")."""
    return device_type in _autocast.DEVICE_TYPES


def _check_device_type(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    _device(device_type)  # PyTorch's error for a string that names no device type
    if not is_autocast_available(device_type):
        raise RuntimeError(f"User specified an unsupported autocast device_type "
                           f"'{device_type}'")


class autocast:
    """autocast(device_type, dtype=None, enabled=True, cache_enabled=None)

    Inside the region, matmuls, linear, convolutions and attention on ``device_type`` tensors
    compute in ``dtype`` (default: bfloat16 on the CPU, float16 on CUDA), losses and the other
    ops on that device type's float32 list in float32, and the rest in their inputs' dtypes,
    as PyTorch's per-device autocast lists say (``gradcore/_autocast.py``).  With
    ``cache_enabled`` (default: the thread's setting, initially True) the casts of float32
    weights are made once per outermost region.  Usable as a context manager or a decorator;
    regions nest."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        _check_device_type(device_type)
        self.device = device_type
        self.fast_dtype = _autocast.get_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = (_autocast.cache_enabled() if cache_enabled is None
                               else cache_enabled)
        enabled = bool(enabled)
        if enabled and device_type == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", stacklevel=2)
                enabled = False
        if enabled and self.fast_dtype not in _autocast.SUPPORTED[device_type]:
            if device_type == "cpu":
                warnings.warn("In CPU autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCPU Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", stacklevel=2)
            else:
                warnings.warn("In CUDA autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCUDA Autocast only supports dtypes of "
                              "torch.float16 and torch.bfloat16 currently.", stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        d = self.device
        self.prev = _autocast.is_enabled(d)
        self.prev_fastdtype = _autocast.get_dtype(d)
        self.prev_cache_enabled = _autocast.cache_enabled()
        _autocast.set_enabled(d, self._enabled)
        _autocast.set_dtype(d, self.fast_dtype)
        _autocast.set_cache_enabled(self._cache_enabled)
        _autocast.nesting(1)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if _autocast.nesting(-1) == 0:  # the outermost region: its cached casts go
            _autocast.clear_cache()
        _autocast.set_enabled(self.device, self.prev)
        _autocast.set_dtype(self.device, self.prev_fastdtype)
        _autocast.set_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorate a custom Function's ``forward``: inside an autocast region of ``device_type``
    with ``cast_inputs`` (a floating dtype), its floating tensor arguments are cast to it and
    it runs with autocast off; otherwise it runs under the region's state, which ``custom_bwd``
    then restores for the backward."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = _autocast.get_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = _autocast.is_enabled(device_type)
            return fwd(*args, **kwargs)
        autocast_context = _autocast.is_enabled(device_type)
        ctx._fwd_used_autocast = False
        if autocast_context:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **dict(zip(kwargs, _cast(tuple(kwargs.values()), device_type,
                                                    cast_inputs))))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorate a custom Function's ``backward``: it runs under the autocast state its
    ``custom_fwd`` forward saw."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast,
                      dtype=ctx._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd


def _cast(values, device_type, dtype):
    out = []
    for v in values:
        if _autocast._eligible(v, device_type):
            v = v.to(dtype)
        elif isinstance(v, (list, tuple)):
            v = type(v)(_cast(v, device_type, dtype))
        out.append(v)
    return tuple(out)


# ---- torch's top-level autocast functions ------------------------------------------------

def is_autocast_enabled(device_type=None):
    """Whether an autocast region of ``device_type`` (default "cuda") is open on this thread."""
    if device_type is None:
        return _autocast.is_enabled("cuda")
    _device(device_type)
    return _autocast.is_enabled(device_type)


def get_autocast_dtype(device_type):
    """The low-precision dtype of ``device_type``'s autocast (bfloat16 on the CPU and float16
    on CUDA unless set)."""
    _device(device_type)
    if not is_autocast_available(device_type):
        raise RuntimeError(f"User specified an unsupported autocast device_type "
                           f"'{device_type}'")
    return _autocast.get_dtype(device_type)


def set_autocast_enabled(device_type, enabled=None):
    """set_autocast_enabled(device_type, enabled); the one-argument form (CUDA) is
    PyTorch's deprecated spelling."""
    if enabled is None:  # set_autocast_enabled(enabled)
        device_type, enabled = "cuda", device_type
    _check_device_type(device_type)
    _autocast.set_enabled(device_type, enabled)


def set_autocast_dtype(device_type, dtype):
    """The dtype the next autocast region of ``device_type`` uses when given none."""
    _check_device_type(device_type)
    _autocast.set_dtype(device_type, dtype)


def is_autocast_cache_enabled():
    """Whether autocast regions cache the low-precision casts of float32 weights (leaves that
    require grad) on this thread (``_autocast.py``)."""
    return _autocast.cache_enabled()


def set_autocast_cache_enabled(enabled):
    """Turn the cast cache of autocast regions on or off for this thread."""
    _autocast.set_cache_enabled(enabled)


def clear_autocast_cache():
    """Drop every cached cast (the outermost region's exit does it too)."""
    _autocast.clear_cache()


def autocast_increment_nesting():
    """One autocast region deeper on this thread; returns the depth."""
    return _autocast.nesting(1)


def autocast_decrement_nesting():
    """One autocast region shallower on this thread; returns the depth."""
    return _autocast.nesting(-1)


def _deprecated(old, new):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled():
    """Deprecated: ``is_autocast_enabled("cpu")``."""
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return _autocast.is_enabled("cpu")


def get_autocast_cpu_dtype():
    """Deprecated: ``get_autocast_dtype("cpu")``."""
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return _autocast.get_dtype("cpu")


def get_autocast_gpu_dtype():
    """Deprecated: ``get_autocast_dtype("cuda")``."""
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return _autocast.get_dtype("cuda")


TORCH_FUNCTIONS = {f.__name__: f for f in (
    is_autocast_enabled, get_autocast_dtype, set_autocast_enabled, set_autocast_dtype,
    is_autocast_cache_enabled, set_autocast_cache_enabled, clear_autocast_cache,
    autocast_increment_nesting, autocast_decrement_nesting, is_autocast_cpu_enabled,
    get_autocast_cpu_dtype, get_autocast_gpu_dtype)}
TORCH_FUNCTIONS["autocast"] = autocast
