"""gradcore.multiprocessing: torch.multiprocessing -- Python's multiprocessing, re-exported
whole, plus ``spawn`` / ``start_processes`` (spawn.py) and the sharing-strategy settings.

Tensors cross process boundaries by value (reductions.py registers them with
multiprocessing's ForkingPickler): one put on a Queue (or passed to a child) arrives as a copy,
not a shared-memory view as PyTorch's CPU tensors do; the sharing strategy is recorded only.
CUDA tensors cross as copies too (through the host).
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, SpawnContext, spawn, start_processes)
from .reductions import init_reductions

init_reductions()

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
           "ProcessExitedException", "ProcessException", "SpawnContext",
           *multiprocessing.__all__]

if sys.platform in ("darwin", "win32"):
    _strategy, _all_strategies = ["file_system"], {"file_system"}
else:
    _strategy, _all_strategies = ["file_descriptor"], {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """set_sharing_strategy(new_strategy) -> None

    Record the strategy for sharing CPU tensors (one of get_all_sharing_strategies());
    gradcore copies tensors between processes whatever is set."""
    if new_strategy not in _all_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_all_strategies}")
    _strategy[0] = new_strategy


def get_sharing_strategy():
    """get_sharing_strategy() -> str: the strategy set_sharing_strategy recorded."""
    return _strategy[0]


def get_all_sharing_strategies():
    """get_all_sharing_strategies() -> set of str: the strategies this system supports."""
    return _all_strategies
