"""gradcore.nn.parallel: DistributedDataParallel (``torch.nn.parallel``'s name), one replica
of a module per process with its gradients averaged during backward (``distributed.py``)."""
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DistributedDataParallel"]
