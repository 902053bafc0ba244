"""torch.cpu: the CPU as a device module, for code written against the accelerator API
(``is_available``, ``device_count``, ``current_device``, ``synchronize``, ``set_device``) and
the deprecated ``torch.cpu.amp`` (registered as ``gradcore.cpu.amp`` by the package)."""


def is_available():
    """is_available() -> bool: always True."""
    return True


def is_initialized():
    """is_initialized() -> bool: always True."""
    return True


def device_count():
    """device_count() -> int: 1."""
    return 1


def current_device():
    """current_device() -> str: "cpu"."""
    return "cpu"


def set_device(device):
    """set_device(device) -> None: a no-op, as PyTorch's for the CPU."""


def synchronize(device=None):
    """synchronize(device=None) -> None: CPU work is already finished when it returns."""
