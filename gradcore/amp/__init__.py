"""torch.amp: mixed precision.  ``GradScaler`` (dynamic loss scaling, ``grad_scaler.py``) and the
deprecated ``torch.cuda.amp`` / ``torch.cpu.amp`` spellings of it (``_deprecated.py``, bound
onto ``gradcore.cuda`` / ``gradcore.cpu`` by the package).  ``autocast`` is not built yet."""
from .grad_scaler import GradScaler, OptState

__all__ = ["GradScaler", "OptState"]
