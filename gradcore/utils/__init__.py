"""gradcore.utils: data loading, activation checkpointing, determinism, DLPack, hooks
(RemovableHandle), safetensors."""
from . import data, checkpoint, deterministic, dlpack, hooks, safetensors  # noqa: F401
