"""torch.amp: mixed precision.  ``autocast`` regions (``autocast_mode.py``; the casting rules the
ops consult: ``gradcore/_autocast.py``), ``custom_fwd`` / ``custom_bwd``, ``GradScaler``
(dynamic loss scaling, ``grad_scaler.py``) and the deprecated ``torch.cuda.amp`` /
``torch.cpu.amp`` spellings (``_deprecated.py``, bound onto ``gradcore.cuda`` / ``gradcore.cpu``
by the package)."""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available", "GradScaler",
           "OptState"]
