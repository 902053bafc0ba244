"""make_tensor: a random tensor of a given shape, dtype and device, with PyTorch's default
value ranges (torch.testing.make_tensor); its values are gradcore's draws, not PyTorch's."""
import collections.abc
import math
import warnings

from .. import _dtype
from .._info import finfo, iinfo
from ..ops.complex_ops import view_as_real
from ..ops.factories import empty, randint

_INTEGRAL = (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)
_FLOATING = (_dtype.float16, _dtype.bfloat16, _dtype.float32, _dtype.float64)
_COMPLEX = (_dtype.complex64, _dtype.complex128)
_REAL = {_dtype.complex64: _dtype.float32, _dtype.complex128: _dtype.float64}


def _finfo(dtype):
    """finfo of ``dtype``, a complex dtype's being its parts' (as torch.finfo(complex64))."""
    return finfo(_REAL.get(dtype, dtype))


def _low_high(low, high, dtype, lowest, highest, default_low, default_high):
    """PyTorch's checks and clamping of [low, high) for ``dtype``."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype in _FLOATING + _COMPLEX:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                         f"{high}), but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype is _dtype.bool or dtype in _INTEGRAL:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
    noncontiguous=False, exclude_zero=False, memory_format=None) -> Tensor

    A tensor of ``shape`` (ints, or one sequence) with values drawn uniformly from [low,
    high): by default [0, 2) for bool, [0, 10) for uint8, [-9, 10) for signed integers and
    [-9, 9) for floating and complex dtypes (real and imaginary parts); bounds outside the
    dtype's finite range are clamped to it.  ``noncontiguous`` makes it a strided view (when
    it has two or more elements); ``exclude_zero`` replaces zeros with 1 (bool, integers) or
    the dtype's ``finfo.tiny``.  Raises ValueError for requires_grad with a non-floating
    dtype, low >= high or a NaN bound, as PyTorch's."""
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    if requires_grad and (dtype is _dtype.bool or dtype in _INTEGRAL):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is _dtype.bool:
        low, high = _low_high(low, high, dtype, 0, 2, 0, 2)
        result = randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = iinfo(dtype)
        low, high = _low_high(low, high, dtype, info.min,
                              info.max + (1 if dtype is not _dtype.int64 else 0),
                              0 if dtype is _dtype.uint8 else -9, 10)
        result = randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _FLOATING + _COMPLEX:
        info = _finfo(dtype)
        low, high = _low_high(low, high, dtype, info.min, info.max, -9, 9)
        result = empty(shape, device=device, dtype=dtype)
        target = view_as_real(result) if dtype in _COMPLEX else result
        if high - low >= info.max:  # the span overflows: draw half of it, then double
            target.uniform_(low / 2, high / 2).mul_(2)
        else:
            target.uniform_(low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = (1 if dtype is _dtype.bool or dtype in _INTEGRAL
                               else _finfo(dtype).tiny)
    if dtype in _FLOATING + _COMPLEX:
        result.requires_grad = requires_grad
    return result
