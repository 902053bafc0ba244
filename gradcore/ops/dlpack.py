"""DLPack: zero-copy exchange of tensors with NumPy, CuPy, PyTorch, JAX ... both ways.

``Tensor.__dlpack__`` / ``__dlpack_device__`` (the array API's protocol), ``from_dlpack`` and
``to_dlpack`` (PyTorch's names, also in ``gradcore.utils.dlpack``).  The backend array's own
library does the work -- NumPy's ``ndarray.__dlpack__`` / ``numpy.from_dlpack`` on the CPU,
CuPy's on CUDA, which also keeps the protocol's stream promise there (``stream=`` goes to
CuPy's ``__dlpack__``; CuPy's ``from_dlpack`` hands the producer CuPy's current stream, the
one gradcore's CUDA ops run on).  gradcore adds PyTorch's checks and errors, bfloat16 on the
CPU and writable legacy capsules (backend/dlpack_capsule.py says how).
"""
import enum

import numpy as np

from .. import _dtype
from .._device import as_device
from ..backend import dlpack_capsule as _cap, get_backend
from ..sparse import CooArray
from ..tensor import Tensor, _wrap


class DLDeviceType(enum.IntEnum):
    """DLDeviceType: the device codes of the DLPack specification (PyTorch's enum)."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


_HOST = (DLDeviceType.kDLCPU, DLDeviceType.kDLCUDAHost, DLDeviceType.kDLROCMHost)
_CUDA = (DLDeviceType.kDLCUDA, DLDeviceType.kDLCUDAManaged)


def _is_bf16(arr):
    return _dtype._FROM_NP.get(arr.dtype) is _dtype.bfloat16


def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """__dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None) -> PyCapsule

    The tensor as a DLPack capsule sharing its memory (the array API's protocol: a consumer's
    ``from_dlpack`` calls it).  ``stream``: on CUDA the consumer's stream (an int; None: the
    legacy default stream, -1: no synchronization), passed to CuPy, which makes that stream
    wait for the work queued on gradcore's; on the CPU only None or -1.  ``max_version``:
    the newest DLPack version the consumer reads (None: a legacy ``"dltensor"`` capsule);
    ``dl_device`` and ``copy`` as the array API says.  A tensor that requires grad is refused
    (BufferError, as PyTorch: export ``tensor.detach()``)."""
    if self._rg:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    arr = self._arr
    if type(arr) is CooArray:
        raise BufferError("Can't export tensors with layout other than torch.strided")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    kwargs = {}
    if self._be.device.type == "cpu":
        if stream is not None and stream != -1:
            raise AssertionError("stream should be None on cpu.")
    else:
        kwargs["stream"] = stream
    for name, value in (("max_version", max_version), ("dl_device", dl_device), ("copy", copy)):
        if value is not None:
            kwargs[name] = value
    if _is_bf16(arr) and self._be.device.type == "cpu":  # NumPy exports no bfloat16: as uint16
        return _cap.retag(arr.view(np.uint16).__dlpack__(**kwargs), _cap.KDL_BFLOAT, 16)
    return arr.__dlpack__(**kwargs)


def __dlpack_device__(self):
    """__dlpack_device__() -> (DLDeviceType, int)

    Where the tensor's memory is, in DLPack's terms: (kDLCPU, 0) or (kDLCUDA, index)."""
    d = self._be.device
    if d.type == "cpu":
        return DLDeviceType.kDLCPU, 0
    if d.type == "cuda":
        return DLDeviceType.kDLCUDA, d.index or 0
    raise ValueError(f"Unknown device type {d.type} for Dlpack")


class _Capsule:
    """A bare capsule dressed as a protocol object, for numpy.from_dlpack (which takes no
    capsule): it hands the capsule over once."""
    __slots__ = ("capsule", "device")

    def __init__(self, capsule, device):
        self.capsule, self.device = capsule, device

    def __dlpack__(self, **kwargs):
        capsule, self.capsule = self.capsule, None
        if capsule is None:
            raise RuntimeError(_cap.INVALID)
        return capsule

    def __dlpack_device__(self):
        return self.device


def _host_array(capsule, device):
    """The NumPy array of an unconsumed capsule on the host (bfloat16 included)."""
    code, bits, _ = _cap.dtype_of(capsule)
    bf16 = code == _cap.KDL_BFLOAT and bits == 16
    if bf16:
        _cap.retag(capsule, _cap.KDL_UINT, 16)
    arr = np.from_dlpack(_Capsule(_cap.versioned(capsule), device))
    return arr.view(_dtype.bfloat16.np) if bf16 else arr


def _export(ext, copy):
    """The producer's capsule, asked for as numpy.from_dlpack and torch.from_dlpack ask (DLPack
    1.0 first, then older signatures); and whether ``copy`` still has to be done here."""
    kwargs = {"max_version": (1, 0)}
    if copy is not None:
        kwargs["copy"] = copy
    try:
        return ext.__dlpack__(**kwargs), False
    except TypeError:
        pass
    kwargs.pop("max_version")
    try:
        return ext.__dlpack__(**kwargs), False
    except TypeError:
        if copy is None:
            raise
    return ext.__dlpack__(), bool(copy)


def _wrap_array(arr, be, ext):
    if arr.dtype not in _dtype._FROM_NP:
        raise TypeError(f"from_dlpack: gradcore has no dtype for {arr.dtype} data "
                        f"(from {type(ext).__name__})")
    return _wrap(arr, be)


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """from_dlpack(ext_tensor, *, device=None, copy=None) -> Tensor

    A tensor sharing the memory of ``ext_tensor``: any object with ``__dlpack__`` (a NumPy
    or CuPy array, a PyTorch tensor, a JAX array ...) or a DLPack capsule (``to_dlpack``'s).
    Writes through either side are seen by the other.  Host memory becomes a CPU tensor
    (NumPy), CUDA memory a ``cuda:N`` one (CuPy).  ``device``: where the result must be (a
    different device than the source's copies: not allowed with ``copy=False``); ``copy``:
    True always copies, False never, None when needed.  A capsule can be consumed once.

        t = gradcore.from_dlpack(numpy_array)       # t[0] = 1 writes numpy_array[0]
    """
    if not hasattr(ext_tensor, "__dlpack__"):
        if device is not None or copy is not None:
            raise AssertionError("device and copy kwargs not supported when ext_tensor is "
                                 "already a DLPack capsule.")
        src = tuple(_cap.device_of(ext_tensor))
        return _from_source(ext_tensor, src, None)
    src = tuple(ext_tensor.__dlpack_device__())
    if device is not None:
        target = as_device(device)
        want = ((DLDeviceType.kDLCPU, 0) if target.type == "cpu" else
                (DLDeviceType.kDLCUDA, target.index or 0))
        if tuple(map(int, want)) != tuple(map(int, src)):
            if copy is False:
                raise ValueError(f"cannot move DLPack tensor from device {src} to "
                                 f"({int(want[0])}, {want[1]}) without copying. Set copy=None "
                                 "or copy=True.")
            return from_dlpack(ext_tensor).to(target)
    return _from_source(ext_tensor, src, copy)


def _from_source(ext, src, copy):
    kind, index = src
    if kind in _HOST:
        capsule, copy_here = (ext, False) if _cap.is_capsule(ext) else _export(ext, copy)
        arr = _host_array(capsule, (int(kind), index))
        if copy_here:
            arr = arr.copy()
        return _wrap_array(arr, get_backend("cpu"), ext)
    if kind in _CUDA:
        be = get_backend(f"cuda:{index}")
        # CuPy asks the producer itself, with its current stream (gradcore's), and takes capsules
        arr = be.xp.from_dlpack(ext) if copy is None else be.xp.from_dlpack(ext, copy=copy)
        return _wrap_array(arr, be, ext)
    raise BufferError(f"from_dlpack: gradcore has no device for DLPack device {src}")


def to_dlpack(tensor):
    """to_dlpack(tensor) -> PyCapsule

    A legacy DLPack capsule (``"dltensor"``) sharing the tensor's memory, for a consumer's
    ``from_dlpack``; consume it once.  As PyTorch's, it exports a tensor that requires grad
    too (its data).  Prefer passing the tensor itself to the consumer's from_dlpack."""
    if not isinstance(tensor, Tensor):
        raise TypeError("_to_dlpack(): argument 'data' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    arr = tensor._arr
    if type(arr) is CooArray:
        raise BufferError("Can't export tensors with layout other than torch.strided")
    if _is_bf16(arr) and tensor._be.device.type == "cpu":
        return _cap.retag(arr.view(np.uint16).__dlpack__(), _cap.KDL_BFLOAT, 16)
    return arr.__dlpack__()


METHODS = {"__dlpack__": __dlpack__, "__dlpack_device__": __dlpack_device__}
FUNCTIONS = {"from_dlpack": from_dlpack, "to_dlpack": to_dlpack}
