"""The errors of gradcore.distributed, PyTorch's classes: DistError and its kinds."""

__all__ = ["DistError", "DistBackendError", "DistNetworkError", "DistStoreError"]


class DistError(RuntimeError):
    """DistError: an error of the distributed package (a RuntimeError, as PyTorch's)."""


class DistBackendError(DistError):
    """DistBackendError: a collective failed in its backend -- a peer that never joined it
    within the process group's timeout, a broken communicator."""


class DistNetworkError(DistError):
    """DistNetworkError: a connection to a peer or to the store failed."""


class DistStoreError(DistError):
    """DistStoreError: the rendezvous store timed out or failed (the NCCL id exchange)."""
