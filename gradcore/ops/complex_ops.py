"""Complex tensors: real, imag, angle, conj, polar, complex, view_as_real / view_as_complex.

gradcore stores complex64 and complex128 and computes with them (arithmetic, exp, ...), but its
autograd does not differentiate complex tensors: a complex tensor can't require grad (compute
on .real and .imag for gradients).  ``real`` and ``imag`` of a complex tensor are views of it,
as in PyTorch.
"""
import math

import numpy as np

from .._autocast import FP32, autocast_op
from .. import _dtype
from ..tensor import _wrap


def _need_complex(t, what):
    if t._arr.dtype.kind != "c":
        raise RuntimeError(f"{what} is not implemented for tensors with non-complex dtypes.")


def real(input):
    """real(input) -> Tensor

    The real parts of a complex tensor, as a view of it; a real tensor itself."""
    if input._arr.dtype.kind != "c":
        return input
    return _wrap(input._arr.real, input._be)


def imag(input):
    """imag(input) -> Tensor

    The imaginary parts of a complex tensor, as a view of it (real tensors raise)."""
    _need_complex(input, "imag")
    return _wrap(input._arr.imag, input._be)


def angle(input):
    """angle(input) -> Tensor

    The argument of each element, in radians: atan2(imag, real) for complex tensors; for real
    ones pi where negative, else 0 (nan stays nan), in the default float dtype for integers."""
    arr, xp = input._arr, input._be.xp
    if arr.dtype.kind == "c":
        return _wrap(xp.angle(arr), input._be)
    if not _dtype.is_floating(arr.dtype):
        arr = arr.astype(_dtype.get_default_dtype().np)
    out = xp.where(arr < 0, arr.dtype.type(math.pi), arr.dtype.type(0))
    return _wrap(xp.where(arr != arr, arr, out), input._be)


def conj(input):
    """conj(input) -> Tensor

    The complex conjugate (a copy; gradcore has no lazy conjugate bit); a real tensor itself."""
    if input._arr.dtype.kind != "c":
        return input
    return _wrap(input._be.xp.conj(input._arr), input._be)


def resolve_conj(input):
    """resolve_conj(input) -> Tensor

    input itself: gradcore's conjugates are never lazy."""
    return input


def is_conj(input):
    """is_conj(input) -> bool

    False: gradcore's conjugates are never lazy."""
    return False


def complex(real, imag):
    """complex(real, imag) -> Tensor

    The complex tensor real + imag * 1j of two float tensors of one dtype (float32 ->
    complex64, float64 -> complex128)."""
    if real._arr.dtype != imag._arr.dtype or not _dtype.is_floating(real._arr.dtype):
        raise RuntimeError(f"Expected object of scalar type {real.dtype.scalar_name} but got "
                           f"scalar type {imag.dtype.scalar_name} for second argument"
                           if real._arr.dtype != imag._arr.dtype else
                           "Expected both inputs to be Half, Float or Double tensors but got "
                           f"{real.dtype.scalar_name} and {imag.dtype.scalar_name}")
    cdt = real.dtype.to_complex().np
    return _wrap(real._arr.astype(cdt) + imag._arr.astype(cdt) * 1j, real._be)


@autocast_op(cpu=FP32)
def polar(abs, angle):
    """polar(abs, angle) -> Tensor

    The complex tensor abs * (cos(angle) + sin(angle) * 1j)."""
    xp = abs._be.xp
    return complex(_wrap(abs._arr * xp.cos(angle._arr), abs._be),
                   _wrap(abs._arr * xp.sin(angle._arr), abs._be))


def view_as_real(input):
    """view_as_real(input) -> Tensor

    A complex tensor seen as a real one with a last dim of 2 (real, imaginary)."""
    _need_complex(input, "view_as_real")
    arr = input._arr
    return _wrap(arr.view(arr.real.dtype).reshape(arr.shape + (2,)), input._be)


def view_as_complex(input):
    """view_as_complex(input) -> Tensor

    A float tensor whose last dim is 2 seen as a complex one (float32 -> complex64)."""
    arr = input._arr
    if arr.dtype not in (np.float32, np.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype.scalar_name}")
    if not arr.shape or arr.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    arr = input._be.xp.ascontiguousarray(arr)
    return _wrap(arr.view(input.dtype.to_complex().np).reshape(arr.shape[:-1]), input._be)


METHODS = {"real": property(real, doc=real.__doc__), "imag": property(imag, doc=imag.__doc__),
           "angle": angle, "conj": conj, "resolve_conj": resolve_conj, "is_conj": is_conj}
FUNCTIONS = {"real": real, "imag": imag, "angle": angle, "conj": conj,
             "resolve_conj": resolve_conj, "is_conj": is_conj, "complex": complex,
             "polar": polar, "view_as_real": view_as_real, "view_as_complex": view_as_complex}
