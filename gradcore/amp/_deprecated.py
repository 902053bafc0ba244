"""``torch.cuda.amp.GradScaler`` and ``torch.cpu.amp.GradScaler``: PyTorch's deprecated
spellings of ``torch.amp.GradScaler("cuda" | "cpu", ...)``, with its FutureWarning."""
import types
import warnings

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


cuda_amp = types.SimpleNamespace(GradScaler=_deprecated_scaler("cuda"))
cpu_amp = types.SimpleNamespace(GradScaler=_deprecated_scaler("cpu"))
