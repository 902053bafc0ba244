"""Elementwise ops: arithmetic (with PyTorch's promotion and broadcasting), unary math,
comparisons, where, clamp, maximum/minimum, clone.

Each backward that has a backend kernel calls it through a ``*Grad`` Function: its forward is
the kernel, its backward is the kernel's own derivative in Tensor ops, so double backward works
with the same first-order path (Chainer's "backward is just more ops").
"""
import math
import numbers

import numpy as np

from . import bitselect
from .._autocast import FP32, PROMOTE, autocast_declared, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction, _ArrayNode
from ..backend.kernels import kernel
from ..tensor import Tensor
from .declare import OPS, TENSOR, binary, in_opmath_backward, unary, widen_for
from .scaled_add import add_scaled
from .shape import broadcast_shapes, sum_to


# ---- operand handling ----------------------------------------------------------------------

def _check_scalar(x, op):
    if not isinstance(x, (numbers.Number, np.bool_)):
        raise TypeError(f"unsupported operand type(s) for {op}: 'Tensor' and "
                        f"'{type(x).__name__}'")


def _promote(a, b, op, floating=False):
    """Bring a binary op's operands (Tensors or Python scalars) to the result dtype."""
    # Fast paths: same-dtype tensors, or a Python float/int that keeps the tensor's dtype.
    # (kind "f" is float16/32/64 only: bfloat16, kind "V", takes _promote_slow, which asks
    # _dtype; a fast path that misses is only slower.)
    if isinstance(a, Tensor):
        kind = a._arr.dtype.kind
        if isinstance(b, Tensor):
            if b._arr.dtype is a._arr.dtype and (kind == "f" or not floating):
                return a, b
        elif (type(b) is float and kind == "f") or (type(b) is int and (
                kind == "f" or kind in "iu" and not floating)):
            return a, b
    elif isinstance(b, Tensor):
        kind = b._arr.dtype.kind
        if (type(a) is float and kind == "f") or (type(a) is int and (
                kind == "f" or kind in "iu" and not floating)):
            return a, b
    return _promote_slow(a, b, op, floating)


def _promote_slow(a, b, op, floating):
    # A NumPy scalar takes part as the Python number it holds, as in PyTorch (NumPy itself
    # would let an np.float64 turn a float32 array's result into float64).
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(b, np.generic):
        b = b.item()
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if not ta:
        _check_scalar(a, op)
    if not tb:
        _check_scalar(b, op)
    dt = _dtype.result_type(a, b)
    if floating and not (dt.is_floating_point or dt.is_complex):
        dt = _dtype.get_default_dtype()
    if ta and a._arr.dtype != dt.np:
        a = a.to(dt)
    if tb and b._arr.dtype != dt.np:
        b = b.to(dt)
    return a, b


def _arr(x):
    return x._arr if isinstance(x, Tensor) else x


def _broadcast_error(a, b):
    """PyTorch's error for shapes that don't broadcast (raised by broadcast_shapes)."""
    broadcast_shapes(getattr(a, "shape", ()), getattr(b, "shape", ()))
    return RuntimeError(f"shapes {list(a.shape)} and {list(getattr(b, 'shape', ()))} cannot be "
                        "broadcast together")


def _binary_forward(fn, a, b):
    try:
        return fn(_arr(a), _arr(b))
    except ValueError:
        raise _broadcast_error(a, b) from None


def _unbroadcast(g, x):
    """The gradient for operand ``x``: summed down to its shape (None for scalars)."""
    if g is None or not isinstance(x, Tensor):
        return None
    return sum_to(g, x._arr.shape)


def _sum_to_arr(be, g, shape):
    """``sum_to`` for the array backwards (``g`` may be None)."""
    return g if g is None or g.shape == shape else be.sum_to(g, shape)


# ---- add / sub -----------------------------------------------------------------------------

class Add(ArrayFunction):
    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        if isinstance(b, Tensor):
            y = b._arr
            ctx.shapes = a._arr.shape, y.shape
        else:
            y = b
            ctx.shapes = a._arr.shape, None
        try:
            if alpha != 1:  # one fused multiply-add, as PyTorch's CPU kernel (scaled_add.py)
                return add_scaled(a._be.xp, a._arr, y, alpha)
            if a._arr.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
                return _dtype.in_opmath(_add, a._be.xp, a._arr, y, alpha)
            return a._arr + y
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, gy):
        sa, sb = ctx.shapes
        if sb is None:  # tensor + scalar
            return sum_to(gy, sa)
        gb = gy if ctx.alpha == 1 else gy * ctx.alpha
        return sum_to(gy, sa), sum_to(gb, sb)

    @staticmethod
    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return in_opmath_backward(Add.array_backward, ctx, gy)
        sa, sb = ctx.shapes
        ga = gy if gy.shape == sa else ctx._be.sum_to(gy, sa)
        if sb is None:
            return ga
        gb = gy if ctx.alpha == 1 else gy * ctx.alpha
        return ga, _sum_to_arr(ctx._be, gb, sb)


class Sub(ArrayFunction):
    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        ctx.shapes = a._arr.shape, _shape_of(b)
        y = b._arr if isinstance(b, Tensor) else b
        try:
            if alpha != 1:
                return add_scaled(a._be.xp, a._arr, y, -alpha)
            if a._arr.dtype.char in _REDUCED:
                return _dtype.in_opmath(_add, a._be.xp, a._arr, y, -alpha)
            return a._arr - y
        except ValueError:
            raise _broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, gy):
        sa, sb = ctx.shapes
        if sb is None:  # tensor - scalar
            return sum_to(gy, sa)
        return sum_to(gy, sa), sum_to(gy * -ctx.alpha, sb)

    @staticmethod
    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return in_opmath_backward(Sub.array_backward, ctx, gy)
        sa, sb = ctx.shapes
        ga = _sum_to_arr(ctx._be, gy, sa)
        if sb is None:
            return ga
        return ga, _sum_to_arr(ctx._be, gy * -ctx.alpha, sb)


class Rsub(Sub):
    """scalar - tensor."""
    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, b, a, alpha):
        ctx.alpha = alpha
        xp, arr = b._be.xp, b._arr
        if alpha != 1:
            return add_scaled(xp, xp.asarray(a, dtype=arr.dtype), arr, -alpha)
        if arr.dtype.char in _REDUCED:
            return _dtype.in_opmath(_rsub, xp, arr, a, alpha)
        return a - arr

    @staticmethod
    def backward(ctx, gy):
        return gy * -ctx.alpha

    @staticmethod
    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED:  # float16, bfloat16: in float32, rounded once
            return in_opmath_backward(Rsub.array_backward, ctx, gy)
        return gy * -ctx.alpha


def _shape_of(x):
    return x._arr.shape if isinstance(x, Tensor) else None


# float16 / bfloat16 forms, run by _dtype.in_opmath: in float32, Python numbers unrounded
_REDUCED = _dtype.REDUCED_CHARS


def _add(xp, a, y, alpha):
    return a + (y if alpha == 1 else y * alpha)


def _rsub(xp, b, a, alpha):
    return a - b * alpha


def _mul(xp, a, b):
    return a * b


def _div(xp, a, b):
    return a / b


def add(input, other, *, alpha=1):
    """add(input, other, *, alpha=1) -> Tensor

    input + alpha * other, with PyTorch's type promotion and broadcasting (other may be a
    Python number; alpha a number or a 0-d tensor)."""
    if type(alpha) is Tensor:
        alpha = alpha.item()
    if type(other) is Tensor and type(input) is Tensor and other._arr.dtype is input._arr.dtype:
        return Add.apply(input, other, alpha)  # the common case, without _promote's checks
    a, b = _promote(input, other, "+")
    if not isinstance(a, Tensor):  # scalar + tensor
        a, b = b, a
    return Add.apply(a, b, alpha)


def _is_bool(x):
    return isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) is _dtype.bool


def sub(input, other, *, alpha=1):
    """sub(input, other, *, alpha=1) -> Tensor

    input - alpha * other, with type promotion and broadcasting (not for bool tensors)."""
    if type(alpha) is Tensor:
        alpha = alpha.item()
    if _is_bool(input) or _is_bool(other):
        _refuse_bool_sub()
    a, b = _promote(input, other, "-")
    if not isinstance(a, Tensor):  # sub(2, t): the number as a 0-d tensor (SubBackward0)
        a = _full_like_scalar(b, a)
    return Sub.apply(a, b, alpha)


def _refuse_bool_sub():
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


class RsubTensors(Sub):
    """rsub of two tensors: other - alpha * input (its inputs in that order)."""
    node_name = "RsubBackward0"


def rsub(input, other, *, alpha=1):
    """rsub(input, other, *, alpha=1) -> Tensor

    other - alpha * input (the reflected subtraction; ``number - tensor`` too)."""
    if type(alpha) is Tensor:
        alpha = alpha.item()
    if _is_bool(input) or _is_bool(other):
        _refuse_bool_sub()
    a, b = _promote(other, input, "-")
    if not isinstance(a, Tensor):  # a number other: RsubBackward1
        return Rsub.apply(b, a, alpha)
    return RsubTensors.apply(a, b, alpha)


# ---- mul / div -----------------------------------------------------------------------------

_BOTH = (True, True)


@kernel("binary")
def mul_backward(F, a, b, gy, need=_BOTH):
    """The gradients of a * b that ``need`` asks for (the CUDA kernel makes both at once)."""
    return gy * b if need[0] else None, gy * a if need[1] else None


@kernel("binary", quiet=True)
def div_backward(F, a, b, gy, need=_BOTH):
    ga = gy / b
    return ga if need[0] else None, -ga * a / b if need[1] else None


class Mul(ArrayFunction):
    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, Tensor):
            ctx.save_for_backward(a, b)
            ctx.scalar = None
            try:
                return a._arr * b._arr
            except ValueError:
                raise _broadcast_error(a, b) from None
        ctx.scalar = b
        if a._arr.dtype.char in _REDUCED:  # the number is not rounded to float16 first
            return _dtype.in_opmath(_mul, a._be.xp, a._arr, b)
        return a._arr * b

    @staticmethod
    def backward(ctx, gy):
        if ctx.scalar is not None:
            return gy * ctx.scalar
        a, b = ctx.saved_tensors
        ga, gb = mul_backward.reference(TENSOR, a, b, gy, ctx.needs_input_grad)
        return _unbroadcast(ga, a), _unbroadcast(gb, b)

    @staticmethod
    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED and (ctx.scalar is not None  # in float32, once
                                          or widen_for(ctx, gy, mul_backward)):
            return in_opmath_backward(Mul.array_backward, ctx, gy)
        if ctx.scalar is not None:
            return gy * ctx.scalar
        a, b = ctx.saved_arrays
        be = ctx._be
        if be.launches_kernels:
            ga, gb = be.launch(mul_backward, a, b, gy, ctx.needs_input_grad)
        else:  # mul_backward(be, ...), one frame fewer on the hottest backward
            ga, gb = mul_backward.reference(be.xp, a, b, gy, ctx.needs_input_grad)
        return _sum_to_arr(be, ga, a.shape), _sum_to_arr(be, gb, b.shape)


class Div(ArrayFunction):
    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(b, Tensor):
            ctx.save_for_backward(a, b)
            ctx.scalar = None
            return _binary_forward(_np_div, a, b)
        ctx.scalar = b
        if a._arr.dtype.char in _REDUCED:
            return _dtype.in_opmath(_div, a._be.xp, a._arr, b)
        return a._arr / b

    @staticmethod
    def backward(ctx, gy):
        if ctx.scalar is not None:
            return gy / ctx.scalar
        a, b = ctx.saved_tensors
        ga, gb = div_backward.reference(TENSOR, a, b, gy, ctx.needs_input_grad)
        return _unbroadcast(ga, a), _unbroadcast(gb, b)

    @staticmethod
    def array_backward(ctx, gy):
        if gy.dtype.char in _REDUCED and (ctx.scalar is not None  # in float32, once
                                          or widen_for(ctx, gy, div_backward)):
            return in_opmath_backward(Div.array_backward, ctx, gy)
        if ctx.scalar is not None:
            return gy / ctx.scalar
        a, b = ctx.saved_arrays
        be = ctx._be
        ga, gb = div_backward(be, a, b, gy, ctx.needs_input_grad)
        return _sum_to_arr(be, ga, a.shape), _sum_to_arr(be, gb, b.shape)


def _np_div(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return x / y


def mul(input, other):
    """mul(input, other) -> Tensor

    input * other, with type promotion and broadcasting (other may be a Python number)."""
    if type(other) is Tensor and type(input) is Tensor and other._arr.dtype is input._arr.dtype:
        return Mul.apply(input, other)  # the common case, without _promote's checks
    a, b = _promote(input, other, "*")
    if not isinstance(a, Tensor):
        a, b = b, a
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    """div(input, other, *, rounding_mode=None) -> Tensor

    input / other.  Without rounding_mode it is true division (integers give floats);
    'trunc' rounds the quotient toward zero, 'floor' down (exact for integers, zero gradient)."""
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        a, b = _promote(input, other, "/")
        return RoundedDiv.apply(a, b, rounding_mode)
    a, b = _promote(input, other, "/", floating=True)
    if not isinstance(a, Tensor):  # div(2, t): the number as a 0-d tensor (DivBackward0)
        a = _full_like_scalar(b, a)
    return Div.apply(a, b)


def _rtruediv(self, other):
    """__rtruediv__(other) -> Tensor

    other / self for a number other: other * reciprocal(self), as PyTorch (MulBackward0)."""
    a, b = _promote(other, self, "/", floating=True)
    if not isinstance(a, Tensor):  # the method: under CUDA autocast, float32 as PyTorch's
        return Mul.apply(b.reciprocal(), a)
    return Div.apply(a, b)


# ---- rounded division, remainder, fmod -----------------------------------------------------
# Integers are divided in integer arithmetic, exactly; floats with PyTorch's algorithms.  These
# are written on xp's elementwise primitives because CuPy's float floor_divide and remainder
# are floor(a / b) and a - floor(a / b) * b (CuPy issue #7737; NumPy's match PyTorch but for
# the sign of a zero remainder), and CuPy's integer fmod goes through float64.

def _int_divmod(xp, mode, a, b):
    if mode == "floor":
        return xp.floor_divide(a, b)
    if mode == "remainder":
        return xp.remainder(a, b)
    q, r = xp.divmod(a, b)
    fix = (r != 0) & ((a < 0) != (b < 0))  # where truncating differs from flooring
    return q + fix if mode == "trunc" else xp.where(fix, r - b, r)  # fmod: the dividend's sign


def _float_divmod(xp, mode, a, b):
    if mode == "trunc":
        return xp.trunc(a / b)
    mod = xp.fmod(a, b)
    if mode == "fmod":
        return mod
    fix = (mod != 0) & ((b < 0) != (mod < 0))
    if mode == "remainder":  # a zero result keeps fmod's sign (NumPy's takes the divisor's)
        return xp.where(fix, mod + b, mod)
    # Python's float //, from the exact fmod rather than floor(a / b): 1. // 0.1 == 9.
    div = (a - mod) / b - fix
    fl = xp.floor(div)
    fl = fl + (div - fl > 0.5)
    q = a / b
    return xp.where(b == 0, q, xp.where(div == 0, xp.copysign(fl, q), fl))


def _divmod_arrays(xp, mode, x, y):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return (_int_divmod if x.dtype.kind in "iu" else _float_divmod)(xp, mode, x, y)


_KERNEL_NAMES = {"floor": "div_floor", "trunc": "div_trunc", "remainder": "remainder",
                 "fmod": "fmod"}


def _divmod(a, b, mode):
    """The ``mode`` ("floor", "trunc", "remainder", "fmod") division of promoted operands (one
    may be a Python scalar) as PyTorch computes it."""
    t = a if isinstance(a, Tensor) else b
    be, dt = t._be, t._arr.dtype
    if dt == np.bool_:
        raise NotImplementedError(f'"{_KERNEL_NAMES[mode]}_{be.device.type}" not implemented '
                                  f"for 'Bool'")
    # a scalar takes the tensor's dtype, integers wrapping as in PyTorch (int8 // 300 is // 44)
    x, y = (v._arr if isinstance(v, Tensor) else np.array(v).astype(dt)[()] for v in (a, b))
    try:
        out = _divmod_arrays(be.xp, mode, x, y)
    except ValueError:
        raise _broadcast_error(a, b) from None
    # PyTorch's CPU kernels check every integer divisor.  Its CUDA kernels don't (that would
    # need a device sync), and neither do we on CuPy, where the result is then unspecified.
    if dt.kind in "iu" and be.device.type == "cpu" and out.size and not y.all():
        raise RuntimeError("ZeroDivisionError")
    return out


class RoundedDiv(ArrayFunction):
    """div(rounding_mode='floor' | 'trunc'): piecewise constant, zero gradients (grad * 0)."""
    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        ctx.shapes = _shape_of(a), _shape_of(b)
        return _divmod(a, b, mode)

    @staticmethod
    def backward(ctx, gy):
        z = gy * 0
        return tuple(sum_to(z, s) for s in ctx.shapes if s is not None)

    @staticmethod
    def array_backward(ctx, gy):
        z = gy * 0
        return tuple(_sum_to_arr(ctx._be, z, s) for s in ctx.shapes if s is not None)


class Remainder(ArrayFunction):
    """remainder(tensor, tensor): d/da = 1, d/db = -a.div(b, rounding_mode=quotient)."""
    node_name = "RemainderBackward1"
    mode, quotient = "remainder", "floor"

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return _divmod(a, b, cls.mode)

    @classmethod
    def backward(cls, ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        gb = -gy * RoundedDiv.apply(a, b, cls.quotient) if need_b else None
        return _unbroadcast(gy if need_a else None, a), _unbroadcast(gb, b)

    @classmethod
    def array_backward(cls, ctx, gy):
        a, b = ctx.saved_arrays
        need_a, need_b = ctx.needs_input_grad
        be = ctx._be
        gb = -gy * _divmod_arrays(be.xp, cls.quotient, a, b) if need_b else None
        return _sum_to_arr(be, gy if need_a else None, a.shape), _sum_to_arr(be, gb, b.shape)


class Fmod(Remainder):
    node_name = "FmodBackward1"
    mode, quotient = "fmod", "trunc"


class RemainderScalar(ArrayFunction):
    """remainder(tensor, scalar): d/da = 1."""
    node_name = "RemainderBackward0"
    mode = "remainder"

    @classmethod
    def forward(cls, ctx, a, b):
        return _divmod(a, b, cls.mode)

    @staticmethod
    def backward(ctx, gy):
        return gy

    @staticmethod
    def array_backward(ctx, gy):
        return gy


class FmodScalar(RemainderScalar):
    node_name = "FmodBackward0"
    mode = "fmod"


class _NotImplementedNode(_ArrayNode):
    """PyTorch's node for an op without a derivative: type ``NotImplemented``, raises in
    backward."""

    def name(self):
        return "torch::autograd::NotImplemented"


class FloorDivide(ArrayFunction):
    """floor_divide: PyTorch has no derivative for it."""
    node_name = "NotImplemented"
    _node_base = _NotImplementedNode
    mode, aten = "floor", "floor_divide"

    @classmethod
    def forward(cls, ctx, a, b):
        return _divmod(a, b, cls.mode)

    @classmethod
    def backward(cls, ctx, gy):
        raise RuntimeError(f"derivative for aten::{cls.aten} is not implemented")


class RemainderScalarTensor(FloorDivide):
    """remainder(scalar, tensor): no derivative in PyTorch either."""
    node_name = "NotImplemented"
    mode = aten = "remainder"


def floor_divide(input, other):
    """floor_divide(input, other) -> Tensor

    input // other, rounded down (exact in integer arithmetic; integer division by zero raises
    on the CPU).  Not differentiable, as in PyTorch."""
    return FloorDivide.apply(*_promote(input, other, "//"))


def remainder(input, other):
    """remainder(input, other) -> Tensor

    Python's modulus: input - floor(input / other) * other, the sign of other (exact for
    integers).  Derivative: 1 for input, -floor(input / other) for other."""
    a, b = _promote(input, other, "%")
    if not isinstance(a, Tensor):
        return RemainderScalarTensor.apply(a, b)
    return (Remainder if isinstance(b, Tensor) else RemainderScalar).apply(a, b)


def fmod(input, other):
    """fmod(input, other) -> Tensor

    C's remainder: the sign of input (exact for integers).  Derivative: 1 for input,
    -trunc(input / other) for other."""
    if not isinstance(input, Tensor):  # PyTorch has no fmod(Scalar, Tensor)
        raise TypeError(f"fmod() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        f"of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n * (Tensor "
                        f"input, Number other, *, Tensor out = None)\n")
    a, b = _promote(input, other, "fmod")
    return (Fmod if isinstance(b, Tensor) else FmodScalar).apply(a, b)


def true_divide(input, other):
    """true_divide(input, other) -> Tensor

    input / other, always true division (an alias of div without rounding_mode)."""
    return div(input, other)


# ---- pow -----------------------------------------------------------------------------------

def _pow_params(exponent):
    if not _is_real(exponent):
        return None
    return "pow_backward", exponent, exponent - 1 if exponent else 0


# Not in double: CUDA's double pow is a subroutine that spills (float64 pow gradients take the
# CuPy-ops route, docs/kernels.md).
@kernel("unary", dtypes="ef", params=_pow_params, quiet=True)
def pow_backward(F, x, gy, exponent):
    """d x**e / dx for a scalar exponent (zero where e == 0, as PyTorch)."""
    if exponent == 0:
        return F.zeros_like(gy)
    return gy * exponent * x ** (exponent - 1)


def _is_real(v):
    return isinstance(v, numbers.Real)


class Pow(ArrayFunction):
    """tensor ** scalar."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        arr = x._arr
        if arr.dtype.kind in "iu" and isinstance(exponent, numbers.Integral) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2:
            return arr * arr
        return arr ** exponent

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return pow_backward.reference(TENSOR, x, gy, ctx.exponent)

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return pow_backward(ctx._be, x, gy, ctx.exponent)


@kernel("pow_tensor", dtypes="ef", quiet=True)
def pow_tensor_backward(F, a, b, y, gy):
    """Both gradients of y = a ** b: zero for a where b == 0, for b where a == 0 and b >= 0."""
    return (F.where(b == 0, 0, gy * b * a ** (b - 1)),
            F.where((a == 0) & (b >= 0), 0, gy * y * F.log(a)))


class PowTensor(ArrayFunction):
    """tensor ** tensor."""
    node_name = "PowBackward1"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary_forward(_np_pow, a, b)

    @staticmethod
    def backward(ctx, gy):
        a, b, y = ctx.saved_tensors
        ga, gb = pow_tensor_backward.reference(TENSOR, a, b, y, gy)
        need_a, need_b = ctx.needs_input_grad
        return _unbroadcast(ga if need_a else None, a), _unbroadcast(gb if need_b else None, b)

    @staticmethod
    def array_backward(ctx, gy):
        a, b, y = ctx.saved_arrays
        be = ctx._be
        ga, gb = pow_tensor_backward(be, a, b, y, gy)
        need_a, need_b = ctx.needs_input_grad
        return (_sum_to_arr(be, ga if need_a else None, a.shape),
                _sum_to_arr(be, gb if need_b else None, b.shape))


def _np_pow(x, y):
    return x ** y


class RPow(ArrayFunction):
    """scalar ** tensor."""
    node_name = "PowBackward2"
    save_output = True

    @staticmethod
    def forward(ctx, b, base):
        ctx.base = base
        return base ** b._arr

    @staticmethod
    def backward(ctx, gy):
        y, = ctx.saved_tensors
        if ctx.base == 0:
            return where(y == 0, 0.0, gy * y * float("-inf"))
        return gy * y * float(np.log(ctx.base))
@autocast_op(cuda=FP32)
def pow(input, exponent):
    """pow(input, exponent) -> Tensor

    input ** exponent, elementwise; either may be a tensor or a Python number.  Derivatives:
    exponent * input ** (exponent - 1), and input ** exponent * log(input) for a tensor exponent
    (0 where the base is 0 and the exponent >= 0)."""
    a, b = _promote(input, exponent, "**")
    if not isinstance(a, Tensor):
        return RPow.apply(b, a)
    if isinstance(b, Tensor):
        return PowTensor.apply(a, b)
    return Pow.apply(a, b)


def rpow(self, other):
    return pow(other, self)


def square(input):
    """square(input) -> Tensor

    input * input."""
    return pow(input, 2)


# ---- unary math: declared once (ops/declare.py), derivatives as kernels ---------------------
# Each derivative is a kernel (a functor of kernels/elementwise_backward.cu, same name) whose
# reference is what runs on NumPy, the CuPy fallback, and -- on Tensors -- the differentiable
# backward under create_graph.

@kernel("unary")
def relu_backward(F, y, gy):
    """PyTorch's threshold_backward: gy where not y <= 0 (a nan passes), else 0 -- also for an
    inf or nan gy, which ``gy * (y > 0)`` would turn into nan."""
    if F is np:  # arrays: the same selection, on the bits where np.where's branches are slow
        return bitselect.keep(F, ~(y <= 0), gy)
    return F.where(y <= 0, F.zeros_like(gy), gy)


@kernel("unary")
def sigmoid_backward(F, y, gy):
    return gy * y * (1 - y)


@kernel("unary")
def tanh_backward(F, y, gy):
    return gy * (1 - y * y)


@kernel("unary")
def exp_backward(F, y, gy):
    return gy * y


@kernel("unary", quiet=True)
def log_backward(F, x, gy):
    return gy / x


@kernel("unary", quiet=True)
def sqrt_backward(F, y, gy):
    return gy / (2 * y)


@kernel("unary")
def abs_backward(F, x, gy):
    return gy * F.sign(x)


@kernel("unary")
def sin_backward(F, x, gy):
    return gy * F.cos(x)


@kernel("unary")
def cos_backward(F, x, gy):
    return -gy * F.sin(x)


def _log(xp, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.log(x)


def _sqrt(xp, x):
    with np.errstate(invalid="ignore"):
        return xp.sqrt(x)


def _sigmoid(xp, x):
    # 1 / (1 + exp(-x)) overflows to inf harmlessly for very negative x; the warning NumPy
    # raises then is attributed to this module and dropped by gradcore's warnings filter
    # (gradcore/__init__.py), so no np.errstate here: it costs ~2 us a call (three per LSTM step)
    return 1 / (1 + xp.exp(-x))


def _no_bool_negation(x):
    if x._arr.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _reciprocal(xp, x):
    with np.errstate(divide="ignore"):
        return 1 / x


def _rsqrt(xp, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 / xp.sqrt(x)


exp = unary("exp", lambda xp, x: xp.exp(x), exp_backward, node="ExpBackward0", saves="output",
            floating=True, doc="exp(input) -> Tensor\n\n"
            "The exponential of each element: e ** input.")
log = unary("log", _log, log_backward, node="LogBackward0", floating=True, doc=(
    "log(input) -> Tensor\n\nThe natural logarithm of each element (-inf at 0, nan below)."))
sqrt = unary("sqrt", _sqrt, sqrt_backward, node="SqrtBackward0", saves="output",
             floating=True, doc="sqrt(input) -> Tensor\n\nThe square root of each element.")
sin = unary("sin", lambda xp, x: xp.sin(x), sin_backward, node="SinBackward0", floating=True,
            doc="sin(input) -> Tensor\n\nThe sine of each element (in radians).")
cos = unary("cos", lambda xp, x: xp.cos(x), cos_backward, node="CosBackward0", floating=True,
            doc="cos(input) -> Tensor\n\nThe cosine of each element (in radians).")
tanh = unary("tanh", lambda xp, x: xp.tanh(x), tanh_backward, node="TanhBackward0",
             saves="output", floating=True,
             doc="tanh(input) -> Tensor\n\nThe hyperbolic tangent of each element.")
sigmoid = unary("sigmoid", _sigmoid, sigmoid_backward, node="SigmoidBackward0", saves="output",
                floating=True, doc="sigmoid(input) -> Tensor\n\n1 / (1 + exp(-input)), "
                "elementwise (derivative: y * (1 - y), from the saved output).")
relu = unary("relu", lambda xp, x: xp.maximum(x, 0), relu_backward, node="ReluBackward0",
             saves="output", doc="relu(input) -> Tensor\n\nmax(input, 0), elementwise "
             "(derivative: 1 where the output is positive, else 0).")
abs = unary("abs", lambda xp, x: xp.abs(x), abs_backward, node="AbsBackward0",
            aliases=("absolute",), methods=("__abs__",),
            doc="abs(input) -> Tensor\n\nThe absolute value of each element (derivative: "
            "sign(input), 0 at 0).")
neg = unary("neg", lambda xp, x: -x, lambda F, gy: -gy, node="NegBackward0", saves=None,
            check=_no_bool_negation, aliases=("negative",), methods=("__neg__",),
            doc="neg(input) -> Tensor\n\n-input, elementwise (not for bool tensors).")
reciprocal = unary("reciprocal", _reciprocal, lambda F, y, gy: -gy * y * y,
                   node="ReciprocalBackward0", saves="output", floating=True,
                   doc="reciprocal(input) -> Tensor\n\n1 / input, elementwise.")
rsqrt = unary("rsqrt", _rsqrt, lambda F, y, gy: gy * y * y * y * -0.5, node="RsqrtBackward0",
              saves="output", floating=True,
              doc="rsqrt(input) -> Tensor\n\n1 / sqrt(input), elementwise.")


# ---- piecewise-constant ops: zero gradient ----------------------------------------------------

def _zero(F, gy):
    return F.zeros_like(gy)  # PyTorch's zeros_like(grad): 0 for an infinite or nan gy too


def _sign(xp, x):
    """PyTorch's sign: bool stays bool, nan gives 0 (NumPy's gives nan and has no bool loop)."""
    if x.dtype == np.bool_:
        return x.copy()
    out = xp.sign(x)
    return xp.where(out != out, 0, out).astype(out.dtype, copy=False) \
        if _dtype.is_floating(x.dtype) \
        else out


sign = unary("sign", _sign, _zero, node="SignBackward0", saves=None,
             doc="sign(input) -> Tensor\n\n-1, 0 or 1 by the sign of each element.")
floor = unary("floor", lambda xp, x: xp.floor(x), _zero, node="FloorBackward0", saves=None,
              doc="floor(input) -> Tensor\n\nThe largest integer <= each element.")
ceil = unary("ceil", lambda xp, x: xp.ceil(x), _zero, node="CeilBackward0", saves=None,
             doc="ceil(input) -> Tensor\n\nThe smallest integer >= each element.")
round = unary("round", lambda xp, x: xp.round(x), _zero, node="RoundBackward0", saves=None,
              doc="round(input) -> Tensor\n\nEach element rounded to the nearest integer, "
              "halves to even.")
trunc = unary("trunc", lambda xp, x: xp.trunc(x), _zero, node="TruncBackward0", saves=None,
              aliases=("fix",), doc="trunc(input) -> Tensor\n\nEach element rounded toward "
              "zero.")


# ---- clamp / maximum / minimum / where -----------------------------------------------------

def _clamp_params(lo, hi):
    if not all(v is None or _is_real(v) for v in (lo, hi)):
        return None  # tensor bounds: the reference
    return ("clamp_backward", -math.inf if lo is None else lo, math.inf if hi is None else hi)


@kernel("unary", params=_clamp_params)
def clamp_backward(F, x, gy, lo, hi):
    """The gradient passes where lo <= x <= hi (bounds: numbers, tensors or None)."""
    mask = True
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        mask = mask & (x <= hi)
    return gy * mask


class Clamp(ArrayFunction):
    """clamp with scalar bounds."""
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        if x._arr.dtype.char in _REDUCED:  # NumPy's clip would widen bfloat16 to float32
            return _dtype.in_opmath(lambda xp, a: xp.clip(a, lo, hi), x._be.xp, x._arr)
        return x._be.xp.clip(x._arr, lo, hi)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return clamp_backward.reference(TENSOR, x, gy, ctx.lo, ctx.hi)

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return clamp_backward(ctx._be, x, gy, ctx.lo, ctx.hi)


class ClampTensor(ArrayFunction):
    """clamp with tensor bounds (either may be None)."""
    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        xp = x._be.xp
        out = x._arr
        if lo is not None:
            out = _binary_forward(xp.maximum, out, lo)
        if hi is not None:
            out = _binary_forward(xp.minimum, out, hi)
        return out

    @staticmethod
    def backward(ctx, gy):
        x, lo, hi = ctx.saved_tensors
        gx = clamp_backward.reference(TENSOR, x, gy, lo, hi) if ctx.needs_input_grad[0] else None
        out = [_unbroadcast(gx, x)]
        if lo is not None:
            out.append(_unbroadcast(where(x < lo, gy, 0.0), lo))
        if hi is not None:
            out.append(_unbroadcast(where(x > hi, gy, 0.0), hi))
        return tuple(out)


class ClampMin(Clamp):
    node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    node_name = "ClampMaxBackward0"


class ClampMinTensor(ClampTensor):
    node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    node_name = "ClampMaxBackward1"


def clamp(input, min=None, max=None):
    """clamp(input, min=None, max=None) -> Tensor

    Each element limited to [min, max] (scalars or tensors, at least one given).  The gradient
    passes where min <= input <= max; a tensor bound gets it where it was the result."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return _clamp(input, min, max, Clamp, ClampTensor)


def _clamp(input, min, max, scalar_cls, tensor_cls):
    """clamp by ``scalar_cls`` (number bounds) or ``tensor_cls`` (a tensor bound): clamp's
    nodes, or clamp_min's and clamp_max's (PyTorch names them apart)."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = min if min is None or isinstance(min, Tensor) else _full_like_scalar(input, min)
        hi = max if max is None or isinstance(max, Tensor) else _full_like_scalar(input, max)
        return tensor_cls.apply(*[t for t in (input, lo, hi)])
    if not _dtype.is_floating(input._arr.dtype) and any(isinstance(v, float) for v in (min, max)):
        input = input.to(_dtype.get_default_dtype())
    return scalar_cls.apply(input, min, max)


def _full_like_scalar(like, value):
    from ..tensor import _wrap
    return _wrap(like._be.xp.asarray(value, dtype=like._arr.dtype), like._be)


def clamp_min(input, min):
    """clamp_min(input, min) -> Tensor

    clamp(input, min=min) (its node: ClampMinBackward0, or 1 for a tensor min)."""
    return _clamp(input, min, None, ClampMin, ClampMinTensor)


def clamp_max(input, max):
    """clamp_max(input, max) -> Tensor

    clamp(input, max=max) (its node: ClampMaxBackward0, or 1 for a tensor max)."""
    return _clamp(input, None, max, ClampMax, ClampMaxTensor)


clip = clamp


def _as_tensor_pair(a, b, op):
    a, b = _promote(a, b, op)
    if not isinstance(b, Tensor):
        b = _full_like_scalar(a, b)
    if not isinstance(a, Tensor):
        a = _full_like_scalar(b, a)
    return a, b


@kernel("binary")
def maximum_backward(F, a, b, gy):
    """Ties share the gradient half and half, as PyTorch's."""
    half = gy * 0.5
    return (F.where(a > b, gy, F.where(a == b, half, 0)),
            F.where(b > a, gy, F.where(a == b, half, 0)))


@kernel("binary")
def minimum_backward(F, a, b, gy):
    return maximum_backward.reference(F, b, a, gy)  # a's share first: where a < b


@kernel("binary", quiet=True)
def atan2_backward(F, a, b, gy):
    recip = 1 / (a * a + b * b)
    return gy * b * recip, gy * -a * recip


def _atan2_operands(input, other):
    for pos, (arg, t) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"atan2(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    return _promote(input, other, "atan2", floating=True)


maximum = binary("maximum", lambda xp, a, b: xp.maximum(a, b), maximum_backward,
                 node="MaximumBackward0", promote=lambda a, b: _as_tensor_pair(a, b, "maximum"),
                 doc="maximum(input, other) -> Tensor\n\nThe larger of each pair of elements "
                 "(broadcasting; nan if either is nan).  Where they tie, each gets half the "
                 "gradient.")
minimum = binary("minimum", lambda xp, a, b: xp.minimum(a, b), minimum_backward,
                 node="MinimumBackward0", promote=lambda a, b: _as_tensor_pair(a, b, "minimum"),
                 doc="minimum(input, other) -> Tensor\n\nThe smaller of each pair of "
                 "elements (broadcasting; nan if either is nan).  Where they tie, each gets "
                 "half the gradient.")
atan2 = binary("atan2", lambda xp, a, b: xp.arctan2(a, b), atan2_backward, node="Atan2Backward0",
               promote=_atan2_operands, aliases=("arctan2",),
               doc="atan2(input, other) -> Tensor\n\nThe angle of the point (other, input) "
               "from the positive x axis, in (-pi, pi], elementwise with broadcasting; integer "
               "inputs give floats.  Derivative: (other, -input) * gy / (input**2 + "
               "other**2).")


@kernel("where")
def where_backward(F, cond, gy):
    """(gy where cond, else 0; 0 where cond, else gy): the gradients of where's two inputs."""
    return F.where(cond, gy, 0), F.where(cond, 0, gy)


class Where(ArrayFunction):
    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.a, ctx.b = a._arr.shape, b._arr.shape
        try:
            return a._be.xp.where(cond._arr, a._arr, b._arr)
        except ValueError:
            broadcast_shapes(cond._arr.shape, a._arr.shape, b._arr.shape)
            raise

    @staticmethod
    def backward(ctx, gy):
        cond, = ctx.saved_tensors
        ga, gb = where_backward.reference(TENSOR, cond, gy)
        return None, sum_to(ga, ctx.a), sum_to(gb, ctx.b)

    @staticmethod
    def array_backward(ctx, gy):
        cond, = ctx.saved_arrays
        be = ctx._be
        ga, gb = where_backward(be, cond, gy)
        return None, _sum_to_arr(be, ga, ctx.a), _sum_to_arr(be, gb, ctx.b)


def where(condition, input=None, other=None):
    """where(condition, input, other) -> Tensor

    input where condition (a bool tensor) holds, else other, broadcasting all three; the
    gradient goes to whichever was taken.  where(condition) is condition.nonzero(as_tuple=True)."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor) or condition._arr.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {getattr(condition, 'dtype', type(condition).__name__)}")
    a, b = _promote(input, other, "where")
    if not isinstance(a, Tensor):
        a = _full_like_scalar(b if isinstance(b, Tensor) else condition.float(), a)
    if not isinstance(b, Tensor):
        b = _full_like_scalar(a, b)
    return Where.apply(condition, a, b)


def _where_method(self, condition, other):
    """where(condition, other) -> Tensor

    self where condition holds, else other (see gradcore.where)."""
    return where(condition, self, other)


# ---- comparisons and logic (no gradient) ---------------------------------------------------

def _compare(name, fn, doc):
    class Cmp(ArrayFunction):
        node_name = name
        differentiable = False

        @staticmethod
        def forward(ctx, a, b):
            return _binary_forward(fn, a, b)

    def op(input, other):
        if not isinstance(other, Tensor) and not isinstance(other, (numbers.Number, np.bool_)):
            return NotImplemented
        a, b = _promote(input, other, name)
        if not isinstance(a, Tensor):
            a = _full_like_scalar(b, a)
        return Cmp.apply(a, b)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"{name}(input, other) -> Tensor\n\n{doc}"
    return op


eq = _compare("eq", lambda x, y: x == y,
              'input == other, elementwise: a bool tensor (other may be a number).')
ne = _compare("ne", lambda x, y: x != y,
              'input != other, elementwise: a bool tensor.')
lt = _compare("lt", lambda x, y: x < y,
              'input < other, elementwise: a bool tensor.')
le = _compare("le", lambda x, y: x <= y,
              'input <= other, elementwise: a bool tensor.')
gt = _compare("gt", lambda x, y: x > y,
              'input > other, elementwise: a bool tensor.')
ge = _compare("ge", lambda x, y: x >= y,
              'input >= other, elementwise: a bool tensor.')
logical_and = _compare("logical_and", np.logical_and,
                       'A bool tensor: True where both are nonzero.')
logical_or = _compare("logical_or", np.logical_or,
                      'A bool tensor: True where either is nonzero.')
logical_xor = _compare("logical_xor", np.logical_xor,
                       'A bool tensor: True where exactly one is nonzero.')
bitwise_and = _compare("bitwise_and", lambda x, y: x & y,
                       'input & other for integer and bool tensors.')
bitwise_or = _compare("bitwise_or", lambda x, y: x | y,
                      'input | other for integer and bool tensors.')
bitwise_xor = _compare("bitwise_xor", lambda x, y: x ^ y,
                       'input ^ other for integer and bool tensors.')


class _Not(ArrayFunction):
    node_name = "logical_not"
    differentiable = False

    @staticmethod
    def forward(ctx, x, bitwise):
        if bitwise:
            if _dtype.is_floating(x._arr.dtype):
                raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
            return ~x._arr
        return x._be.xp.logical_not(x._arr)


def logical_not(input):
    """logical_not(input) -> Tensor

    A bool tensor: True where input is zero (False)."""
    return _Not.apply(input, False)


def bitwise_not(input):
    """bitwise_not(input) -> Tensor

    ~input for integer and bool tensors (logical not for bool)."""
    return _Not.apply(input, True)


def isnan(input):
    """isnan(input) -> Tensor

    A bool tensor: True where input is nan."""
    return ne(input, input)


def isinf(input):
    """isinf(input) -> Tensor

    A bool tensor: True where input is +inf or -inf."""
    return eq(abs(input), float("inf"))


def isfinite(input):
    """isfinite(input) -> Tensor

    A bool tensor: True where input is neither inf nor nan."""
    return lt(abs(input), float("inf")) if _dtype.is_floating(input._arr.dtype) \
        else eq(input, input)


# ---- clone ---------------------------------------------------------------------------------

class Clone(ArrayFunction):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x._arr.copy()

    @staticmethod
    def backward(ctx, gy):
        return gy


def clone(input, *, memory_format=None):
    """clone(input, *, memory_format=None) -> Tensor

    A copy of input with its own memory, in the graph (the gradient passes unchanged)."""
    return Clone.apply(input)


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": true_divide, "floor_divide": floor_divide,
    "remainder": remainder, "fmod": fmod, "pow": pow, "square": square, "clamp": clamp,
    "clip": clip,
    "clamp_min": clamp_min, "clamp_max": clamp_max,
    "where": _where_method,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "less": lt,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_not": bitwise_not, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "clone": clone,
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": rsub, "__mul__": mul,
    "__rmul__": mul, "__truediv__": div, "__rtruediv__": _rtruediv,
    "__floordiv__": floor_divide, "__rfloordiv__": lambda s, o: floor_divide(o, s),
    "__mod__": remainder, "__rmod__": lambda s, o: remainder(o, s), "__pow__": pow,
    "__rpow__": rpow,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
    "__invert__": bitwise_not,
}
FUNCTIONS = {k: v for k, v in METHODS.items() if not k.startswith("__")}
FUNCTIONS.update({"rsub": rsub, "where": where})
autocast_declared(OPS, ("exp", "log", "reciprocal", "rsqrt"), cuda=FP32)  # CUDA's float32 list
autocast_declared(OPS, ("atan2",), cuda=PROMOTE)  # CUDA's promote list
