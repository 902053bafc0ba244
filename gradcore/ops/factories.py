"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye, rand, randn,
randint, randperm, *_like, from_numpy, as_tensor."""
import numbers
import warnings

import numpy as np

from .. import _dtype
from .._deterministic import fill_uninitialized
from .._generator import draw_backend
from .._settings import default_device_or
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
        elif isinstance(x, numbers.Complex):
            kinds.add(_dtype.get_default_dtype().to_complex())
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
    """tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor

    A new leaf tensor holding a copy of ``data``: a Python number, a nested list or tuple
    (which may hold tensors), a NumPy array or a Tensor.  Without ``dtype`` it is inferred:
    bool, int64, or the default float dtype; ``pin_memory`` is accepted and ignored."""
    be = get_backend(default_device_or(device if device is not None else
                     (data.device if isinstance(data, Tensor) else None)))
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
    """as_tensor(data, dtype=None, device=None) -> Tensor

    ``data`` as a tensor, copying only when needed: a Tensor already of that dtype and device
    is returned itself, a NumPy array (with no dtype or device given) shares its memory, as
    from_numpy; anything else is copied, as tensor(data, dtype=dtype, device=device)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and device is None and dtype is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    """from_numpy(ndarray) -> Tensor

    A CPU tensor sharing memory (and dtype) with the NumPy array ``ndarray``: writes to either
    show in the other.  Supported dtypes: float64/32/16, int64/32/16, int8, uint8, bool."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if not ndarray.flags.writeable:
        _warn_not_writable()
    return _wrap(ndarray, cpu_backend())


_WARNED_NOT_WRITABLE = []


def _warn_not_writable():
    """PyTorch's warning for a read-only array shared by from_numpy/as_tensor, once per
    process (NumPy refuses the writes here, where PyTorch's are undefined behaviour)."""
    if not _WARNED_NOT_WRITABLE:
        _WARNED_NOT_WRITABLE.append(True)
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. This means writing to this tensor will result in "
                      "undefined behavior. You may want to copy the array to protect its data or "
                      "make it writable before converting it to a tensor. This type of warning "
                      "will be suppressed for the rest of this program.", UserWarning,
                      stacklevel=3)


def _factory(size, dtype, device, requires_grad, make):
    be = get_backend(default_device_or(device))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    shape = _shape_arg(size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    return _finish(make(be, shape, dt), be, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """zeros(*size, *, out=None, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` (ints, or one list/tuple/Size) filled with 0, of the default
    float dtype unless ``dtype`` is given (``out=``: see ops/out.py)."""
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.zeros(s, dtype=dt.np))


def ones(*size, dtype=None, device=None, requires_grad=False):
    """ones(*size, *, out=None, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` (ints, or one list/tuple/Size) filled with 1, of the default
    float dtype unless ``dtype`` is given (``out=``: see ops/out.py)."""
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.ones(s, dtype=dt.np))


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None):
    """empty(*size, *, dtype=None, device=None, requires_grad=False) -> Tensor

    An uninitialized tensor of shape ``size`` (ints, or one list/tuple/Size), of the default
    float dtype unless ``dtype`` is given; its values are whatever memory held (NaN, or an
    integer dtype's largest value, under use_deterministic_algorithms(True) with
    torch.utils.deterministic.fill_uninitialized_memory, as PyTorch's)."""
    return _factory(size, dtype, device, requires_grad,
                    lambda be, s, dt: fill_uninitialized(be.xp.empty(s, dtype=dt.np)))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """empty_strided(size, stride, *, dtype=None, layout=None, device=None,
        requires_grad=False, pin_memory=False) -> Tensor

    An uninitialized tensor of shape ``size`` laid out with ``stride`` (in elements) over a
    new buffer just large enough; filled as empty's under deterministic algorithms."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")

    def make(be, shape, dt):
        n = 0 if 0 in shape else 1 + sum((k - 1) * s for k, s in zip(shape, stride))
        base = fill_uninitialized(be.xp.empty(n, dtype=dt.np))
        step = base.itemsize
        return be.xp.lib.stride_tricks.as_strided(base, shape, [s * step for s in stride])
    return _factory(size, dtype, device, requires_grad, make)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` (a list or tuple) filled with ``fill_value``.  Without
    ``dtype`` it follows the value: bool, int64 for an int, else the default float dtype."""
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _factory((tuple(size),), dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.full(s, fill_value, dtype=dt.np))


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """rand(*size, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` of samples uniform on [0, 1), drawn from ``generator`` or the
    global RNG; floating dtypes only (the default float dtype unless given)."""
    return _factory(size, dtype, device, requires_grad, lambda be, s, dt: _floating(
        dt, "rand") and draw_backend(be, generator, "rand").rand(s, dt.np))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """randn(*size, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` of standard normal samples (mean 0, variance 1), drawn from
    ``generator`` or the global RNG; floating dtypes only (the default float dtype unless
    given)."""
    return _factory(size, dtype, device, requires_grad, lambda be, s, dt: _floating(
        dt, "randn") and draw_backend(be, generator, "randn").randn(s, dt.np))


def _floating(dt, name):
    if not dt.is_floating_point:
        raise RuntimeError(f"\"{name}\" not implemented for '{dt.name.capitalize()}'")
    return True


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """randint(low=0, high, size, *, generator=None, dtype=None, device=None,
        requires_grad=False) -> Tensor

    A tensor of shape ``size`` (a tuple) of integers drawn uniformly from [low, high), as
    randint(high, size) or randint(low, high, size); int64 unless ``dtype`` is given."""
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
    """randperm(n, *, generator=None, dtype=gradcore.int64, device=None, requires_grad=False)
        -> Tensor

    A random permutation of 0 .. n - 1 (a 1-d tensor of length n), drawn from ``generator``
    or the global RNG."""
    return _factory((), dtype or _dtype.int64, device, requires_grad,
                    lambda be, s, dt: draw_backend(be, generator, "randperm").randperm(
                        n, dt.np))


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """arange(start=0, end, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor

    The 1-d tensor start, start + step, ... up to but excluding ``end`` (ceil((end - start) /
    step) values); arange(end) starts at 0.  int64 when all three are ints, else the default
    float dtype."""
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
    be = get_backend(default_device_or(device))
    n = max(int(np.ceil((end - start) / step)), 0)
    arr = (start + np.arange(n, dtype=np.float64 if dt.is_floating_point else np.int64) * step)
    return _finish(be.from_host(arr.astype(dt.np)), be, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A 1-d tensor of ``steps`` evenly spaced values from ``start`` to ``end``, both included
    (computed in float64, then cast; the default float dtype unless given)."""
    be = get_backend(default_device_or(device))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.linspace(start, end, steps, dtype=np.float64).astype(dt.np)
    return _finish(be.from_host(arr), be, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False)
        -> Tensor

    ``base ** linspace(start, end, steps)``: ``steps`` values spaced evenly on a log scale
    from base ** start to base ** end (the default float dtype unless given)."""
    t = linspace(start, end, steps, dtype=_dtype.float64, device=device)
    return _finish((base ** t._arr).astype(
        (_dtype.to_dtype(dtype) if dtype else _dtype.get_default_dtype()).np), t._be,
        requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor

    The (n, m) 2-d tensor with ones on the main diagonal and zeros elsewhere (m defaults to
    n: the identity matrix); the default float dtype unless given."""
    return _factory((), dtype, device, requires_grad,
                    lambda be, s, dt: be.xp.eye(n, n if m is None else m, dtype=dt.np))


def _like(input, dtype, device, requires_grad, fn, *args):
    return fn(*args, dtype=dtype or input.dtype, device=device or input.device,
              requires_grad=requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """zeros_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of ``input``'s shape filled with 0, with ``input``'s dtype and device unless
    given; ``memory_format`` is accepted and ignored."""
    return _like(input, dtype, device, requires_grad, zeros, input._arr.shape)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """ones_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of ``input``'s shape filled with 1, with ``input``'s dtype and device unless
    given; ``memory_format`` is accepted and ignored."""
    return _like(input, dtype, device, requires_grad, ones, input._arr.shape)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """empty_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor

    An uninitialized tensor of ``input``'s shape, with ``input``'s dtype and device unless
    given; ``memory_format`` is accepted and ignored."""
    return _like(input, dtype, device, requires_grad, empty, input._arr.shape)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of ``input``'s shape filled with ``fill_value``, with ``input``'s dtype and device
    unless given (the value does not change the dtype)."""
    return _like(input, dtype, device, requires_grad, full, input._arr.shape, fill_value)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """rand_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of ``input``'s shape of samples uniform on [0, 1), drawn from the global RNG, with
    ``input``'s dtype and device unless given (floating only); ``memory_format`` is ignored."""
    return _like(input, dtype, device, requires_grad, rand, input._arr.shape)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """randn_like(input, *, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of ``input``'s shape of standard normal samples, drawn from the global RNG, with
    ``input``'s dtype and device unless given (floating only); ``memory_format`` is ignored."""
    return _like(input, dtype, device, requires_grad, randn, input._arr.shape)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    """randint_like(input, low=0, high, *, dtype=None, device=None, requires_grad=False)
        -> Tensor

    A tensor of ``input``'s shape of integers drawn uniformly from [low, high) (one bound:
    [0, high)), with ``input``'s dtype and device unless given."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._arr.shape, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


# ---- Tensor.new_*: a new tensor with self's dtype and device unless given --------------------

def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """new_tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor

    A new leaf tensor holding a copy of ``data`` (as gradcore.tensor), with self's dtype and
    device unless given."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def _new_full(self, size, value, dtype, device, requires_grad):
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return full(size, value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    """new_zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` (ints or one sequence) filled with 0, with self's dtype
    and device unless given."""
    return _new_full(self, size, 0, dtype, device, requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    """new_ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` (ints or one sequence) filled with 1, with self's dtype
    and device unless given."""
    return _new_full(self, size, 1, dtype, device, requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    """new_full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor

    A tensor of shape ``size`` filled with ``fill_value``, with self's dtype and device unless
    given."""
    return _new_full(self, tuple(size), fill_value, dtype, device, requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    """new_empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor

    An uninitialized tensor of shape ``size`` (ints or one sequence; gradcore fills it with
    zeros, or as empty's under deterministic algorithms), with self's dtype and device unless
    given."""
    out = _new_full(self, size, 0, dtype, device, requires_grad)
    fill_uninitialized(out._arr)
    return out


METHODS = {"new_tensor": new_tensor, "new_zeros": new_zeros, "new_ones": new_ones,
           "new_full": new_full, "new_empty": new_empty}

FUNCTIONS = {
    "tensor": tensor, "as_tensor": as_tensor, "from_numpy": from_numpy, "zeros": zeros,
    "ones": ones, "empty": empty, "empty_strided": empty_strided, "full": full, "rand": rand,
    "randn": randn, "randint": randint, "randperm": randperm, "arange": arange,
    "linspace": linspace, "logspace": logspace, "eye": eye, "zeros_like": zeros_like, "ones_like": ones_like,
    "empty_like": empty_like, "full_like": full_like, "rand_like": rand_like,
    "randn_like": randn_like, "randint_like": randint_like,
}
