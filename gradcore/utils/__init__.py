"""gradcore.utils: data loading, activation checkpointing, determinism, DLPack, safetensors."""
from . import data, checkpoint, deterministic, dlpack, safetensors  # noqa: F401
