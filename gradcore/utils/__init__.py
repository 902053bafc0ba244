"""gradcore.utils: data loading, activation checkpointing, the determinism flag."""
from . import data, checkpoint, deterministic  # noqa: F401
