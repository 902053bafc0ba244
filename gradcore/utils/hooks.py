"""gradcore.utils.hooks: torch.utils.hooks -- RemovableHandle (the one class every hook
registration's handle is an instance of; it lives in autograd/hooks.py, with the hook state)
and unserializable_hook."""
from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook"]


def unserializable_hook(f):
    """unserializable_hook(f) -> f

    Mark ``f`` as a hook that need not survive serialization (sets
    ``f.__torch_unserializable__``, as PyTorch's decorator)."""
    f.__torch_unserializable__ = True
    return f
