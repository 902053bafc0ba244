"""PyTorch's legacy constructors and the factories older programs call: FloatTensor,
LongTensor ... (classes whose isinstance test is "a CPU tensor of this dtype", as torch's
tensortype metaclass), Tensor.new, asarray, scalar_tensor, fill, range (deprecated),
frombuffer, empty_permuted and set_default_tensor_type (deprecated).

Above ops/ (it builds on the factories); binds ``Tensor.new``.
"""
import math
import warnings

import numpy as np

from . import _dtype
from ._device import device as _device
from .autograd.function import ArrayFunction
from .backend import get_backend
from .ops import factories
from .tensor import Size, Tensor, _wrap

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "asarray",
           "scalar_tensor", "fill", "range", "frombuffer", "empty_permuted",
           "set_default_tensor_type"]

_range = range


def _options(dt, device):
    return (f"TensorOptions(dtype={dt}, device={device}, layout=Strided, requires_grad=false "
            f"(default), pinned_memory=false (default), memory_format=(nullopt))")


_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def _legacy_new(dt, be, args, device_name):
    """What torch's legacy constructor makes of ``args`` for dtype ``dt`` on backend ``be``."""
    if not args:
        return _wrap(be.xp.empty((0,), dtype=dt.np), be)
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src.dtype is not dt or src._be is not be:
            raise TypeError(f"expected {_options(_C_NAMES[dt.name], device_name)} (got "
                            f"{_options(_C_NAMES[src.dtype.name], src.device.type)})")
        t = _wrap(src._arr, be)
        t._vc = src._version_counter()
        return t
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args) or (
            len(args) == 1 and isinstance(args[0], Size)):
        shape = tuple(args[0]) if isinstance(args[0], Size) else tuple(args)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                               f"{list(shape)}")
        return _wrap(be.xp.zeros(shape, dtype=dt.np), be)
    if len(args) == 1 and isinstance(args[0], str):
        raise TypeError("new(): invalid data type 'str'")
    if len(args) == 1:
        return factories.tensor(args[0], dtype=dt, device=be.device)
    raise TypeError(f"new() received an invalid combination of arguments - got "
                    f"({', '.join(type(a).__name__ for a in args)})")


class _TensorType(type):
    """The metaclass of the legacy constructors: calling one builds a tensor of its dtype
    (sizes -> zeros, data -> a copy, a tensor of its dtype -> an alias), and isinstance is
    true for CPU tensors of that dtype."""

    def __call__(cls, *args, device=None):
        kind = "cpu" if device is None else _device(device).type
        if kind != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device "
                               f"type: {kind} was passed")
        return _legacy_new(cls.dtype, get_backend(None), args, "cpu")

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.is_cpu and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'gradcore.{cls.__name__}'>"


def _legacy(name, dt):
    return _TensorType(name, (), {
        "dtype": dt, "is_cuda": False, "is_sparse": False,
        "__doc__": f"{name}(*sizes) / {name}(data) / {name}(tensor): PyTorch's legacy "
                   f"constructor of CPU {dt.name} tensors (sizes give zeros)."})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", _dtype.bfloat16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)
BoolTensor = _legacy("BoolTensor", _dtype.bool)
_BY_NAME = {f"torch.{c.__name__}": c for c in (
    FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor, ShortTensor,
    CharTensor, ByteTensor, BoolTensor)}


def new(self, *args, device=None):
    """new(*args, device=None) -> Tensor

    PyTorch's legacy constructor in self's dtype and device: new() is empty, new(2, 3)
    uninitialized of that size (zeros in gradcore), new(data) a copy of data, new(tensor) an
    alias of a tensor of self's dtype.  Prefer new_empty / new_tensor."""
    be = self._be if device is None else get_backend(device)
    return _legacy_new(self.dtype, be, args, be.device.type)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor

    obj as a tensor, sharing memory with a tensor or NumPy array when dtype and device allow
    and copy is not True (copy=False refuses to copy); other data (lists, numbers) is copied
    with PyTorch's dtype inference."""
    dt = None if dtype is None else _dtype.to_dtype(dtype)
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray):
        t = obj if isinstance(obj, Tensor) else factories.from_numpy(obj)
        be = t._be if device is None else get_backend(device)
        same = (dt is None or dt is t.dtype) and be is t._be
        if not same and copy is False:
            raise ValueError(f"can't alias tensor from device '{t.device}' to '{be.device}'."
                             if be is not t._be else f"can't alias tensor with dtype "
                             f"'{t.dtype.scalar_name}' into dtype '{dt.scalar_name}'.")
        if same and not copy:
            out = t
        else:
            out = t.detach().to(device=be.device, dtype=dt or t.dtype, copy=True)
    else:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        out = factories.tensor(obj, dtype=dt, device=device)
    if requires_grad:
        out = out.detach() if out is obj else out
        out.requires_grad_(True)
    return out


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A 0-d tensor holding ``s``, in the default float dtype unless ``dtype`` is given."""
    return factories.full((), s, dtype=dtype or _dtype.get_default_dtype(), device=device,
                          requires_grad=requires_grad)


class _Fill(ArrayFunction):
    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, x, value):
        return x._be.xp.full(x._arr.shape, value, dtype=x._arr.dtype)

    @staticmethod
    def backward(ctx, gy):
        return gy.new_zeros(gy.shape)


class _FillTensor(ArrayFunction):
    node_name = "FillBackward1"

    @staticmethod
    def forward(ctx, x, value):
        ctx.dtype = value.dtype
        return x._be.xp.full(x._arr.shape, value._arr, dtype=x._arr.dtype)

    @staticmethod
    def backward(ctx, gy):
        return gy.new_zeros(gy.shape), gy.sum().to(ctx.dtype)


def fill(input, value):
    """fill(input, value) -> Tensor

    A new tensor of input's shape, dtype and device with every element ``value`` (a number
    or a 0-d tensor). Gradient: 0 for input, the sum of the gradient for a tensor value."""
    if isinstance(value, Tensor):
        if value._arr.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._arr.ndim} dimensions.")
        return _FillTensor.apply(input, value)
    return _Fill.apply(input, value)


def range(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """range(start, end, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor

    Deprecated (PyTorch's warning; use arange): floor((end - start) / step) + 1 values
    start, start + step, ... up to and including end, in the default float dtype."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    be = get_backend(device)
    wide = np.float64 if dt.is_floating_point else np.int64
    arr = (start + be.xp.arange(n, dtype=wide) * step).astype(dt.np)
    t = _wrap(arr, be)
    return t.requires_grad_(True) if requires_grad else t


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor

    A 1-D CPU tensor over an object with the buffer protocol (bytes, bytearray, array ...),
    sharing its memory: ``count`` elements (-1: all) from byte ``offset``."""
    dt = _dtype.to_dtype(dtype)
    nbytes = memoryview(buffer).nbytes
    if nbytes <= 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({nbytes} bytes) minus 1")
    if count < 0 and (nbytes - offset) % dt.itemsize:
        raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} "
                         f"bytes) must be a multiple of element size ({dt.itemsize})")
    if count > 0 and count * dt.itemsize > nbytes - offset:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after "
                         f"offset ({offset} bytes) must not be greater than actual buffer "
                         f"length ({nbytes} bytes)")
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    t = _wrap(arr, get_backend(None))
    return t.requires_grad_(True) if requires_grad else t


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):
    """empty_permuted(size, physical_layout, *, dtype=None, device=None,
    requires_grad=False) -> Tensor

    An uninitialized tensor of ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first): empty_permuted((2, 3, 4), (0, 2, 1)) has strides
    (12, 1, 3)."""
    size, perm = tuple(size), tuple(physical_layout)
    if sorted(perm) != list(_range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(perm)}" if len(perm) != len(size)
                           else "Dimension out of range / duplicated in physical_layout")
    phys = factories.empty([size[p] for p in perm], dtype=dtype, device=device)
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    t = _wrap(phys._arr.transpose(inv), phys._be)
    return t.requires_grad_(True) if requires_grad else t


def set_default_tensor_type(t):
    """set_default_tensor_type(t) -> None

    Deprecated (PyTorch's warning; use set_default_dtype): a legacy type such as
    gradcore.DoubleTensor, or its name 'torch.DoubleTensor', sets the default float dtype."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        if t not in _BY_NAME:
            raise TypeError(f"invalid type: '{t}'")
        t = _BY_NAME[t]
    if not isinstance(t, _TensorType) or not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)


Tensor.new = new
