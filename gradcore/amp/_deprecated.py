"""``torch.cuda.amp`` and ``torch.cpu.amp``: PyTorch's deprecated spellings of
``torch.amp.GradScaler("cuda" | "cpu", ...)``, ``torch.amp.autocast("cuda" | "cpu", ...)`` and
(CUDA) ``torch.amp.custom_fwd/custom_bwd(..., device_type="cuda")``, each with its
FutureWarning.  They are modules (``from torch.cuda.amp import autocast, GradScaler`` works):
the package registers them as ``gradcore.cuda.amp`` and ``gradcore.cpu.amp``."""
import functools
import sys
import types
import warnings

from .. import _dtype
from .autocast_mode import autocast, custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
from .grad_scaler import GradScaler


def _deprecated_scaler(device):
    class DeprecatedGradScaler(GradScaler):
        __doc__ = (f"torch.{device}.amp.GradScaler(...): torch.amp.GradScaler({device!r}, ...) "
                   "with a FutureWarning.")

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                     growth_interval=2000, enabled=True):
            warnings.warn(f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
                          f"`torch.amp.GradScaler('{device}', args...)` instead.",
                          FutureWarning, stacklevel=2)
            super().__init__(device, init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval,
                             enabled=enabled)
    DeprecatedGradScaler.__name__ = DeprecatedGradScaler.__qualname__ = "GradScaler"
    DeprecatedGradScaler.__module__ = f"gradcore.{device}.amp"
    return DeprecatedGradScaler


def _deprecated_autocast(device, default_dtype):
    class DeprecatedAutocast(autocast):
        __doc__ = (f"torch.{device}.amp.autocast(enabled=True, dtype=..., cache_enabled=True): "
                   f"torch.amp.autocast({device!r}, ...) with a FutureWarning.")

        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            warnings.warn(f"`torch.{device}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device}', args...)` instead.",
                          FutureWarning, stacklevel=2)
            super().__init__(device, dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
    DeprecatedAutocast.__name__ = DeprecatedAutocast.__qualname__ = "autocast"
    DeprecatedAutocast.__module__ = f"gradcore.{device}.amp"
    return DeprecatedAutocast


def custom_fwd(fwd=None, *, cast_inputs=None):
    """torch.cuda.amp.custom_fwd: torch.amp.custom_fwd(..., device_type="cuda"), deprecated."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.",
                  FutureWarning, stacklevel=2)
    if fwd is None:
        return functools.partial(_custom_fwd, device_type="cuda", cast_inputs=cast_inputs)
    return _custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """torch.cuda.amp.custom_bwd: torch.amp.custom_bwd(..., device_type="cuda"), deprecated."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.",
                  FutureWarning, stacklevel=2)
    return _custom_bwd(bwd, device_type="cuda")


def _module(name, doc, **members):
    mod = types.ModuleType(name, doc)
    mod.__dict__.update(members)
    sys.modules[name] = mod
    return mod


cuda_amp = _module("gradcore.cuda.amp", "torch.cuda.amp: deprecated spellings of torch.amp.",
                   GradScaler=_deprecated_scaler("cuda"),
                   autocast=_deprecated_autocast("cuda", _dtype.float16),
                   custom_fwd=custom_fwd, custom_bwd=custom_bwd)
cpu_amp = _module("gradcore.cpu.amp", "torch.cpu.amp: deprecated spellings of torch.amp.",
                  GradScaler=_deprecated_scaler("cpu"),
                  autocast=_deprecated_autocast("cpu", _dtype.bfloat16))
