"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye, rand, randn,
randint, randperm, *_like, from_numpy, as_tensor."""
import numbers

import numpy as np

from .. import _dtype
from .._generator import draw_backend
from ..backend import cpu_backend, get_backend
from ..tensor import Tensor, _wrap
from .shape import _shape_arg


def _finish(arr, be, requires_grad):
    t = _wrap(arr, be)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """PyTorch's inference for Python data: bool, int64, or the default float dtype."""
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(data.dtype)
    kinds = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, (bool, np.bool_)):
            kinds.add(_dtype.bool)
        elif isinstance(x, (numbers.Integral,)):
            kinds.add(_dtype.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(_dtype.get_default_dtype())
        elif isinstance(x, np.ndarray):
            kinds.add(_dtype.from_numpy_dtype(x.dtype))
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    dt = None
    for k in kinds:
        dt = k if dt is None else _dtype.promote_types(dt, k)
    return dt or _dtype.get_default_dtype()


def _host(data):
    """Nested lists may hold Tensors (0-d or not): turn them into host values."""
    if isinstance(data, Tensor):
        return data._be.to_host(data._arr)
    if isinstance(data, (list, tuple)) and any(isinstance(x, (Tensor, list, tuple)) for x in data):
        return [_host(x) for x in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (Python numbers, nested lists, arrays)."""
    be = get_backend(device if device is not None else
                     (data.device if isinstance(data, Tensor) else None))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    host = _host(data)
    try:
        arr = np.array(host, dtype=dt.np)
    except ValueError as e:
        raise ValueError(f"expected sequence of equal-length lists: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return _finish(be.from_host(arr), be, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and device is None and dtype is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """A CPU tensor sharing memory with ``ndarray`` (as torch.from_numpy)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray, cpu_backend())


def _factory(size, dtype, device, requires_grad, make):
    be = get_backend(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    return _finish(make(be, shape, dt), be, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.zeros(s, dtype=dt.np))


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.ones(s, dtype=dt.np))


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.empty(s, dtype=dt.np))


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _factory((tuple(size),), dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.full(s, fill_value, dtype=dt.np))


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _factory(size, dtype, device, requires_grad, lambda be, s, dt: _floating(
        dt, "rand") and draw_backend(be, generator, "rand").rand(s, dt.np))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _factory(size, dtype, device, requires_grad, lambda be, s, dt: _floating(
        dt, "randn") and draw_backend(be, generator, "randn").randn(s, dt.np))


def _floating(dt, name):
    if not dt.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{dt.name.capitalize()}'")
    return True


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """randint(high, size) or randint(low, high, size); int64 by default."""
    if size is None:
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint() missing the size argument")
    if high is None or size is None:
        raise TypeError("randint() received an invalid combination of arguments")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _factory((tuple(size),), dtype or _dtype.int64, device, requires_grad,
                    lambda be, s, dt: draw_backend(be, generator, "randint").randint(
                        low, high, s, dt.np))


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    return _factory((), dtype or _dtype.int64, device, requires_grad,
                    lambda be, s, dt: draw_backend(be, generator, "randperm").randperm(
                        n, dt.np))


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = (_dtype.int64 if all(isinstance(v, numbers.Integral) for v in (start, end, step))
                 else _dtype.get_default_dtype())
    dt = _dtype.to_dtype(dtype)
    be = get_backend(device)
    n = max(int(np.ceil((end - start) / step)), 0)
    arr = (start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step)
    return _finish(be.from_host(arr.astype(dt.np)), be, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    be = get_backend(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.linspace(start, end, steps, dtype=np.float64).astype(dt.np)
    return _finish(be.from_host(arr), be, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    t = linspace(start, end, steps, dtype=_dtype.float64, device=device)
    return _finish((base ** t._arr).astype(
        (_dtype.to_dtype(dtype) if dtype else _dtype.get_default_dtype()).np), t._be,
        requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _factory((), dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.eye(n, n if m is None else m, dtype=dt.np))


def _like(input, dtype, device, requires_grad, fn, *args):
    return fn(*args, dtype=dtype or input.dtype, device=device or input.device,
              requires_grad=requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, dtype, device, requires_grad, zeros, input._arr.shape)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, dtype, device, requires_grad, ones, input._arr.shape)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, dtype, device, requires_grad, empty, input._arr.shape)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, dtype, device, requires_grad, full, input._arr.shape, fill_value)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, dtype, device, requires_grad, rand, input._arr.shape)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, dtype, device, requires_grad, randn, input._arr.shape)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._arr.shape, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


# ---- Tensor.new_*: a new tensor with self's dtype and device unless given --------------------

def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def _new_full(self, size, value, dtype, device, requires_grad):
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return full(size, value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return _new_full(self, size, 0, dtype, device, requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return _new_full(self, size, 1, dtype, device, requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return _new_full(self, tuple(size), fill_value, dtype, device, requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return _new_full(self, size, 0, dtype, device, requires_grad)


METHODS = {"new_tensor": new_tensor, "new_zeros": new_zeros, "new_ones": new_ones,
           "new_full": new_full, "new_empty": new_empty}

FUNCTIONS = {
    "tensor": tensor, "as_tensor": as_tensor, "from_numpy": from_numpy, "zeros": zeros,
    "ones": ones, "empty": empty, "full": full, "rand": rand, "randn": randn,
    "randint": randint, "randperm": randperm, "arange": arange, "linspace": linspace,
    "logspace": logspace, "eye": eye, "zeros_like": zeros_like, "ones_like": ones_like,
    "empty_like": empty_like, "full_like": full_like, "rand_like": rand_like,
    "randn_like": randn_like, "randint_like": randint_like,
}
