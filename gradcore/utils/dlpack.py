"""gradcore.utils.dlpack: PyTorch's torch.utils.dlpack -- ``to_dlpack(tensor)`` (a legacy
capsule), ``from_dlpack(ext_tensor)`` (a protocol object or a capsule) and ``DLDeviceType``.
They are ``gradcore.to_dlpack`` / ``gradcore.from_dlpack`` (ops/dlpack.py holds them)."""
from ..ops.dlpack import DLDeviceType, from_dlpack, to_dlpack  # noqa: F401

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]
