"""Device and dtype moves: ``Tensor.to`` and its shorthands (``cpu``, ``cuda``, ``float``,
``long`` ...), all one differentiable copy, ``ToCopyBackward0`` (its gradient goes back to the
source's device and dtype)."""
import numpy as np

from .. import _dtype
from .._device import device as _device_cls
from ..autograd.function import ArrayFunction
from ..backend import cpu_backend, get_backend
from ..tensor import Tensor


class ToCopy(ArrayFunction):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, be, dt):
        ctx.src_be, ctx.src_dtype = x._be, x.dtype
        ctx._be = be  # the node's backend is its output's: gradients arrive there
        arr = x._arr
        if be is not x._be:
            arr = be.from_host(x._be.to_host(arr))
        return arr.astype(dt.np, copy=arr is x._arr)

    @staticmethod
    def backward(ctx, gy):
        return to_copy(gy, ctx.src_be, ctx.src_dtype)


def to_copy(x, be, dt):
    """A copy of ``x`` on backend ``be`` with dtype ``dt`` (differentiable)."""
    out = ToCopy.apply(x, be, dt)
    if out._be is not be:
        out._be = be
    if out._node is not None and not dt.is_floating_point:
        out._node, out._rg = None, False
    return out


def parse_to(args, kwargs):
    """The (device, dtype) a ``to(...)`` call asks for, from positionals (device, dtype, a
    tensor to match, non_blocking), keywords; None for what it leaves as is."""
    dev, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, _dtype.dtype):
            dt = a
        elif isinstance(a, bool):  # non_blocking given positionally
            continue
        elif isinstance(a, (str, _device_cls, int)):
            dev = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    return dev, (None if dt is None else _dtype.to_dtype(dt))


def to(self, *args, **kwargs):
    """to(*args, **kwargs) -> Tensor

    A copy on another device and/or dtype: to(device), to(dtype), to(device, dtype),
    to(other) (other's device and dtype), with keywords device=, dtype=, copy=False,
    non_blocking= (ignored).  Returns self when nothing changes and copy is False; the
    gradient is moved and cast back to self's device and dtype."""
    if not kwargs and len(args) == 1 and type(args[0]) is _device_cls:
        d = args[0]  # the tutorial's x.to(device): nothing to do when already there
        here = self._be.device
        if d.type == here.type and d.index == here.index:
            return self
    copy = kwargs.pop("copy", False)
    dev, dt = parse_to(args, kwargs)
    be = self._be if dev is None else get_backend(dev)
    dt = self.dtype if dt is None else dt
    if be is self._be and dt.np == self._arr.dtype and not copy:
        return self
    return to_copy(self, be, dt)


def cpu(self, memory_format=None):
    """cpu(memory_format=None) -> Tensor

    This tensor in CPU memory: self when already there, else a copy (its gradient goes back
    to the source device)."""
    return self.to(cpu_backend().device)


def cuda(self, device=None, non_blocking=False, memory_format=None):
    """cuda(device=None, non_blocking=False, memory_format=None) -> Tensor

    This tensor in CUDA memory on ``device`` (an int ordinal, a string or a device; default:
    "cuda", i.e. cuda:0): self when already there, else a copy."""
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return self.to(device)


def type_(self, dtype=None, non_blocking=False):
    """type(dtype=None, non_blocking=False) -> str or Tensor

    With no argument, the type name, e.g. "gradcore.FloatTensor" (or "gradcore.cuda.
    FloatTensor"); with a dtype or a type name ("torch.DoubleTensor", "gradcore.cuda.
    LongTensor" ...), this tensor as that type (self when already of it)."""
    if dtype is None:
        prefix = "gradcore." if self.is_cpu else "gradcore.cuda."
        return prefix + self.dtype.scalar_name + "Tensor"
    if isinstance(dtype, str):
        parts = dtype.split(".")
        dt = _BY_TYPE_NAME.get(parts[-1])
        if (dt is None or parts[0] not in ("torch", "gradcore")
                or len(parts) != (3 if parts[1:2] == ["cuda"] else 2)):
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(device="cuda" if len(parts) == 3 else "cpu", dtype=dt)
    return self.to(getattr(dtype, "dtype", dtype))  # a dtype, or a legacy type (FloatTensor)


_BY_TYPE_NAME = {d.scalar_name + "Tensor": d for d in _dtype._ALL}


def _to_dtype(name, dt):
    def method(self):
        return self.to(dt)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{name}() -> Tensor\n\n``self.to({dt})``: a copy unless already {dt}."
    return method


def is_signed(self):
    """is_signed() -> bool

    Whether the dtype is signed (floating and signed integer dtypes; not uint8 or bool)."""
    return self.dtype.is_signed


def _nbytes(self):
    """nbytes -> int

    The bytes the elements take: numel() * element_size()."""
    return self._arr.nbytes


def _itemsize(self):
    """itemsize -> int

    The bytes one element takes (element_size())."""
    return self._arr.itemsize


def _host_only(self, name):
    if not self.is_cpu:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")


def apply_(self, callable):
    """apply_(callable) -> Tensor

    Each element replaced by callable(element), in place, on the CPU (slow: a Python call per
    element; for tensors that don't require grad)."""
    _host_only(self, "apply_")
    arr = self._arr
    values = [callable(v) for v in arr.reshape(-1).tolist()]
    arr[...] = np.array(values).astype(arr.dtype).reshape(arr.shape)  # views and strides too
    return self


def map_(self, tensor, callable):
    """map_(tensor, callable) -> Tensor

    Each element replaced by callable(element, the matching element of ``tensor`` broadcast to
    self's shape), in place, on the CPU (a Python call per element)."""
    _host_only(self, "map_")
    try:
        other = self._be.xp.broadcast_to(tensor._arr, self._arr.shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({self._arr.shape[-1]}) must match "
                           f"the existing size ({tensor._arr.shape[-1]}) at non-singleton "
                           f"dimension {self.dim() - 1}.  Target sizes: {list(self._arr.shape)}"
                           f".  Tensor sizes: {list(tensor._arr.shape)}") from None
    if tensor._arr.dtype != self._arr.dtype:
        raise TypeError(f"map_: expected torch.{self.dtype.scalar_name}Tensor for 'other' (got "
                        f"torch.{tensor.dtype.scalar_name}Tensor)")
    arr = self._arr
    values = [callable(a, b) for a, b in zip(arr.reshape(-1).tolist(),
                                            other.reshape(-1).tolist())]
    arr[...] = np.array(values).astype(arr.dtype).reshape(arr.shape)
    return self


def type_as(self, other):
    """type_as(other) -> Tensor

    ``self.to(other.dtype)``: this tensor cast to ``other``'s dtype (self when already of it);
    the device is kept."""
    return self.to(other.dtype)


METHODS = {"to": to, "cpu": cpu, "cuda": cuda, "type": type_, "type_as": type_as,
           "is_signed": is_signed, "nbytes": property(_nbytes), "itemsize": property(_itemsize),
           "apply_": apply_, "map_": map_}
METHODS.update({name: _to_dtype(name, dt) for name, dt in (
    ("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
    ("bfloat16", _dtype.bfloat16),
    ("long", _dtype.int64), ("int", _dtype.int32), ("bool", _dtype.bool))})
