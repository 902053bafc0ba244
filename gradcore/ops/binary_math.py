"""Binary and ternary elementwise math: hypot, logaddexp(2), xlogy, copysign, nextafter,
heaviside, gcd, lcm, float_power, bitwise shifts, lerp, addcmul, addcdiv, and the comparison
helpers isclose, allclose, equal, isin, isreal, is_nonzero, is_complex.

The differentiable binary ops of two tensors are declared (ops/declare.py); a derivative that
needs the op itself calls ``_op(F, name, ...)``: the declared function on Tensors, its array
forward on arrays.  lerp / addcmul / addcdiv are ArrayFunctions with Tensor-op backwards.  The
integer-only ops and the comparisons record no node.  ``INPLACE`` holds the out-of-place
functions of the non-declared ops whose in-place forms (``lerp_``, ``gcd_``, ``<<=`` ...)
PyTorch has: ops/inplace.py makes those forms (this module cannot import it: it imports us).
"""
import numbers

import numpy as np

from .._autocast import PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from . import elementwise as E
from .declare import TENSOR, binary
from .shape import broadcast_shapes, sum_to

# ---- operands and PyTorch's refusals ---------------------------------------------------------



def _not_implemented(kernel, t):
    return NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype.scalar_name}\'')


def _on(name, t):
    """A kernel's name as PyTorch's dispatcher reports it: ``hypot_cpu``, ``hypot_cuda``."""
    return f"{name}_{t._be.device.type}"


def _need_tensors(name, args, names):
    for pos, (arg, t) in enumerate(zip(names, args), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")


def _invalid_combination(name, args, signatures):
    got = ", ".join(type(a).__name__ for a in args)
    lines = "".join(f" * {s}\n" for s in signatures)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{lines}")


def _binary_signatures(first="input", second="other", scalar_first=True):
    out = [f"(Tensor {first}, Tensor {second}, *, Tensor out = None)"]
    if scalar_first:
        out.append(f"(Number self, Tensor {second}, *, Tensor out = None)")
    return out + [f"(Tensor {first}, Number {second}, *, Tensor out = None)"]


def _scalar_like(like, value):
    """A Python scalar as a 0-d tensor of ``like``'s dtype, integers wrapping as in PyTorch
    (-3 as uint8 is 253)."""
    return _wrap(like._be.xp.asarray(np.asarray(value).astype(like._arr.dtype)), like._be)


def _tensor_pair(input, other, name, floating=False):
    """Both operands promoted to the result dtype, a Python scalar as a 0-d tensor."""
    a, b = E._promote(input, other, name, floating)
    if not isinstance(a, Tensor):
        a = _scalar_like(b, a)
    if not isinstance(b, Tensor):
        b = _scalar_like(a, b)
    return a, b


def _floating_tensors(name, names=("input", "other")):
    """A promote rule: two tensors (TypeError otherwise) of a floating result dtype, as
    PyTorch's hypot / logaddexp / nextafter kernels require."""
    def promote(input, other):
        _need_tensors(name, (input, other), names)
        a, b = E._promote(input, other, name)
        if not a.dtype.is_floating_point:
            raise _not_implemented(_on(name, a), a)
        return a, b
    return promote


def _xlogy_operands(input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise _invalid_combination("xlogy", (input, other), _binary_signatures())
    return _tensor_pair(input, other, "xlogy", floating=True)


def _copysign_operands(input, other):
    if not isinstance(input, Tensor):
        raise _invalid_combination("copysign", (input, other),
                                   _binary_signatures(scalar_first=False))
    return _tensor_pair(input, other, "copysign", floating=True)


# ---- the declared ops ------------------------------------------------------------------------

def _xlogy(xp, x, y):
    """x * log(y), 0 where x == 0, nan where y is nan (PyTorch's xlogy)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * xp.log(y)
    return xp.where(y != y, y, xp.where(x == 0, 0, out))


def _hypot(xp, a, b):
    return xp.hypot(a, b)


def _copysign(xp, a, b):
    return xp.copysign(a, b)


_FORWARD = {"xlogy": _xlogy, "hypot": _hypot, "copysign": _copysign}


def _op(F, name, a, b):
    """The op ``name`` in a derivative's vocabulary ``F``: the declared op on Tensors (so the
    derivative stays differentiable), its forward on arrays."""
    return globals()[name](a, b) if F is TENSOR else _FORWARD[name](F, a, b)


def _hypot_backward(F, a, b, gy):
    r = _op(F, "hypot", a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return gy * a / r, gy * b / r


def _logaddexp_backward(F, a, b, gy):
    with np.errstate(over="ignore", invalid="ignore"):
        return gy / (1 + F.exp(b - a)), gy / (1 + F.exp(a - b))


def _logaddexp2_backward(F, a, b, gy):
    with np.errstate(over="ignore", invalid="ignore"):
        return gy / (1 + 2 ** (b - a)), gy / (1 + 2 ** (a - b))


def _xlogy_backward(F, a, b, gy):
    with np.errstate(divide="ignore", invalid="ignore"):
        ga = F.where((a == 0) & (b <= 0), 0, _op(F, "xlogy", gy, b))
        return ga, gy * a / b


def _copysign_backward(F, a, b, gy):
    """d/da: copysign(a, b) / a (+-1), 0 where a == 0; d/db: 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = F.where(a == 0, 0, _op(F, "copysign", a, b) / a)
    return gy * ratio, F.zeros_like(gy)


hypot = binary("hypot", _hypot, _hypot_backward, node="HypotBackward0",
               promote=_floating_tensors("hypot"),
               doc="hypot(input, other) -> Tensor\n\nsqrt(input**2 + other**2), elementwise "
               "without overflow, for floating results (integer inputs only beside a floating "
               "one).  Derivative: (input, other) * gy / result.")
logaddexp = binary("logaddexp", lambda xp, a, b: xp.logaddexp(a, b), _logaddexp_backward,
                   node="LogaddexpBackward0", promote=_floating_tensors("logaddexp"),
                   inplace=False, doc="logaddexp(input, other) -> Tensor\n\nlog(exp(input) + "
                   "exp(other)), elementwise and stable.  Derivative: gy / (1 + exp(other - "
                   "input)) for input, symmetrically for other.")
logaddexp2 = binary("logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b), _logaddexp2_backward,
                    node="Logaddexp2Backward0", promote=_floating_tensors("logaddexp2"),
                    inplace=False, doc="logaddexp2(input, other) -> Tensor\n\nlog2(2**input "
                    "+ 2**other), elementwise and stable.  Derivative: gy / (1 + 2**(other - "
                    "input)) for input, symmetrically for other.")
xlogy = binary("xlogy", _xlogy, _xlogy_backward, node="XlogyBackward0",
               scalar_nodes=("XlogyBackward1", "XlogyBackward2"), promote=_xlogy_operands,
               doc="xlogy(input, other) -> Tensor\n\ninput * log(other), 0 where input is 0 "
               "(nan where other is nan); either may be a Python number, integers give floats.  "
               "Derivatives: log(other) (0 where input == 0 and other <= 0), input / other.")
copysign = binary("copysign", _copysign, _copysign_backward, node="CopysignBackward0",
                  scalar_nodes=(None, "CopysignBackward1"), promote=_copysign_operands,
                  doc="copysign(input, other) -> Tensor\n\nThe magnitude of input with the sign "
                  "(bit) of other, elementwise; other may be a Python number, integers give "
                  "floats.  Derivative: +-1 for input (0 where it is 0), 0 for other.")
nextafter = binary("nextafter", lambda xp, a, b: xp.nextafter(a, b),
                   lambda F, a, b, gy: (F.where(a != b, gy, 0), F.zeros_like(gy)),
                   node="NextafterBackward0", promote=_floating_tensors("nextafter"),
                   opmath=False,
                   doc="nextafter(input, other) -> Tensor\n\nThe next floating-point value "
                   "after input towards other, elementwise.  Gradient as PyTorch's: gy for "
                   "input (0 where input == other), 0 for other.")



def _tensor_operands(name):
    """A promote rule: two tensors (TypeError otherwise), promoted as PyTorch's fmax/fmin."""
    def promote(input, other):
        _need_tensors(name, (input, other), ("input", "other"))
        return E._promote(input, other, name)
    return promote


def _fmax_backward(F, a, b, gy):
    """PyTorch's: all of gy to input where input >= other or other is nan, else to other."""
    to_a = (a >= b) | (b != b)
    return F.where(to_a, gy, 0), F.where(to_a, 0, gy)


def _fmin_backward(F, a, b, gy):
    to_a = (a <= b) | (b != b)
    return F.where(to_a, gy, 0), F.where(to_a, 0, gy)


fmax = binary("fmax", lambda xp, a, b: xp.fmax(a, b), _fmax_backward, node="FmaxBackward0",
              promote=_tensor_operands("fmax"), inplace=False,
              doc="fmax(input, other) -> Tensor\n\nThe larger of each pair of elements, "
              "ignoring nan (nan only where both are).  Gradient as PyTorch's: to input where "
              "input >= other or other is nan, else to other.")
fmin = binary("fmin", lambda xp, a, b: xp.fmin(a, b), _fmin_backward, node="FminBackward0",
              promote=_tensor_operands("fmin"), inplace=False,
              doc="fmin(input, other) -> Tensor\n\nThe smaller of each pair of elements, "
              "ignoring nan (nan only where both are).  Gradient as PyTorch's: to input where "
              "input <= other or other is nan, else to other.")

# ---- heaviside, gcd, lcm, shifts: no derivative ----------------------------------------------

class Heaviside(E.FloorDivide):
    """heaviside: PyTorch has no derivative for it (its node raises)."""
    node_name = "NotImplemented"
    aten = "heaviside"

    @staticmethod
    def forward(ctx, a, v):
        xp = a._be.xp
        return E._binary_forward(
            lambda x, y: xp.where(x == 0, y, x > 0).astype(x.dtype, copy=False), a, v)


def heaviside(input, values):
    """heaviside(input, values) -> Tensor

    The Heaviside step: 0 where input < 0 (or nan), values where input == 0, 1 where input > 0;
    both tensors of one dtype.  Not differentiable, as in PyTorch."""
    _need_tensors("heaviside", (input, values), ("input", "values"))
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    return Heaviside.apply(input, values)


class _IntegerOp(ArrayFunction):
    """An integer-only elementwise op ``fn(xp, a, b)`` of two promoted tensors."""
    node_name = "IntegerOp"
    differentiable = False

    @staticmethod
    def forward(ctx, a, b, fn):
        xp = a._be.xp
        return E._binary_forward(lambda x, y: fn(xp, x, y), a, b)


def _integer_op(kernel, fn, a, b):
    if a.dtype._cat != _dtype._INT:
        raise _not_implemented(_on(kernel, a), a)
    return _IntegerOp.apply(a, b, fn)


def gcd(input, other):
    """gcd(input, other) -> Tensor

    The greatest common divisor of each pair of integers (non-negative; gcd(0, 0) == 0)."""
    _need_tensors("gcd", (input, other), ("input", "other"))
    return _integer_op("gcd", lambda xp, x, y: xp.gcd(x, y), *E._promote(input, other, "gcd"))


def lcm(input, other):
    """lcm(input, other) -> Tensor

    The least common multiple of each pair of integers (non-negative; 0 if either is 0)."""
    _need_tensors("lcm", (input, other), ("input", "other"))
    return _integer_op("lcm", lambda xp, x, y: xp.lcm(x, y), *E._promote(input, other, "lcm"))


def _shift_left(xp, a, b):
    bits = a.dtype.itemsize * 8
    ok = (b >= 0) & (b < bits)
    return xp.where(ok, a << xp.where(ok, b, 0), 0)  # shifted out entirely: 0, as PyTorch


def _shift_right(xp, a, b):
    bits = a.dtype.itemsize * 8
    ok = (b >= 0) & (b < bits)
    if a.dtype.kind == "u":
        return xp.where(ok, a >> xp.where(ok, b, 0), 0)
    return a >> xp.where(ok, b, bits - 1)  # shifted out entirely: the sign, as PyTorch


def _shift(name, kernel, fn, input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        types = ", ".join(f"!{type(x).__name__}!" for x in (input, other))
        raise _invalid_combination(name, (input, other), [
            "(Tensor input, Tensor other, *, Tensor out = None)",
            "(Number self, Tensor other)\n      didn't match because some of the arguments "
            f"have invalid types: ({types})",
            "(Tensor input, Number other, *, Tensor out = None)"])
    return _integer_op(kernel, fn, *_tensor_pair(input, other, name))


def bitwise_left_shift(input, other):
    """bitwise_left_shift(input, other) -> Tensor

    input << other for integers (either may be a Python number); shifts by a negative amount
    or by the width or more give 0."""
    return _shift("bitwise_left_shift", "lshift", _shift_left, input, other)


def bitwise_right_shift(input, other):
    """bitwise_right_shift(input, other) -> Tensor

    input >> other for integers, arithmetic (sign-filling); shifts by a negative amount or by
    the width or more give the sign (0 or -1)."""
    return _shift("bitwise_right_shift", "rshift", _shift_right, input, other)


# ---- float_power -----------------------------------------------------------------------------

def float_power(input, exponent):
    """float_power(input, exponent) -> Tensor

    pow computed in float64 (tensors are converted first; the gradient comes back in each
    input's dtype): either may be a Python number."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise _invalid_combination("float_power", (input, exponent),
                                   _binary_signatures("input", "exponent"))
    return E.pow(*(x.to(_dtype.float64) if isinstance(x, Tensor) else x
                   for x in (input, exponent)))


def _float_power_into(input, exponent):
    if input.dtype is not _dtype.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {input.dtype.scalar_name} "
                           "but the operation's result requires dtype Double")
    return float_power(input, exponent)


_float_power_into.__name__ = "float_power"  # the in-place form is float_power_


# ---- lerp, addcmul, addcdiv ------------------------------------------------------------------

def _ternary(fn, *args):
    """fn over the Tensor arguments' arrays (other arguments as they are); float16 and
    bfloat16 in float32, rounded once, as PyTorch computes them (``_dtype.in_opmath``)."""
    arrays = [a._arr if isinstance(a, Tensor) else a for a in args]
    try:
        return _dtype.in_opmath(lambda xp, *a: fn(*a), args[0]._be.xp, *arrays)
    except ValueError:  # shapes that don't broadcast: PyTorch's error
        broadcast_shapes(*(a._arr.shape for a in args if isinstance(a, Tensor)))
        raise


def _lerp_from_input(x, y, w):
    return x + w * (y - x)


def _lerp_from_end(x, y, w):
    return y - (y - x) * (1 - w)


class LerpScalar(ArrayFunction):
    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, e, w):
        ctx.shapes, ctx.w = (a._arr.shape, e._arr.shape), w
        # PyTorch's lerp: from the nearer end, so lerp(a, b, 1) is exactly b
        return _ternary(_lerp_from_input if abs(w) < 0.5 else _lerp_from_end, a, e, w)

    @staticmethod
    def backward(ctx, gy):
        sa, se = ctx.shapes
        w = ctx.w
        return sum_to(gy * (1 - w), sa), sum_to(gy * w, se)


class LerpTensor(ArrayFunction):
    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, e, w):
        ctx.save_for_backward(a, e, w)
        xp = a._be.xp
        return _ternary(lambda x, y, v: xp.where(xp.abs(v) < 0.5, _lerp_from_input(x, y, v),
                                                 _lerp_from_end(x, y, v)), a, e, w)

    @staticmethod
    def backward(ctx, gy):
        a, e, w = ctx.saved_tensors
        na, ne, nw = ctx.needs_input_grad
        return (sum_to(gy * (1 - w), a.shape) if na else None,
                sum_to(gy * w, e.shape) if ne else None,
                sum_to(gy * (e - a), w.shape) if nw else None)


def _check_number(value, dt):
    if isinstance(value, complex):
        raise RuntimeError(f"value cannot be converted to type {_dtype.CPP_NAMES[dt.name]} "
                           "without overflow")


def lerp(input, end, weight):
    """lerp(input, end, weight) -> Tensor

    input + weight * (end - input), with broadcasting; weight is a number or a tensor (of
    input's dtype unless 0-d); end has input's dtype.  Derivatives: 1 - weight, weight,
    end - input."""
    if not (isinstance(input, Tensor) and isinstance(end, Tensor)) or not isinstance(
            weight, (Tensor, numbers.Number)):
        raise _invalid_combination("lerp", (input, end, weight), [
            "(Tensor input, Tensor end, Tensor weight, *, Tensor out = None)",
            "(Tensor input, Tensor end, Number weight, *, Tensor out = None)"])
    dt = input.dtype
    checks = [("end", end)] + ([("weight", weight)] if isinstance(weight, Tensor)
                               and weight.dim() else [])
    for what, t in checks:
        if t.dtype is not dt:
            raise RuntimeError(f"expected dtype {_dtype.CPP_NAMES[dt.name]} for `{what}` but "
                               f"got dtype {_dtype.CPP_NAMES[t.dtype.name]}")
    tensor_weight = isinstance(weight, Tensor)
    if not dt.is_floating_point:
        raise _not_implemented("lerp_kernel_tensor" if tensor_weight else "lerp_kernel_scalar",
                               input)
    if not tensor_weight:
        _check_number(weight, dt)
        return LerpScalar.apply(input, end, weight)
    return LerpTensor.apply(input, end, weight if weight.dtype is dt else weight.to(dt))


class Addcmul(ArrayFunction):
    """input + value * tensor1 * tensor2."""
    node_name = "AddcmulBackward0"

    @classmethod
    def forward(cls, ctx, a, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value, ctx.shape = value, a._arr.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return _ternary(cls.combine, a, t1, t2, value)

    @staticmethod
    def combine(x, y, z, v):
        return x + v * y * z

    @staticmethod
    def grads(t1, t2, gy, v):  # in PyTorch's order (its float16 rounds at the same steps)
        return gy * (t2 * v), gy * (t1 * v)

    @classmethod
    def backward(cls, ctx, gy):
        t1, t2 = ctx.saved_tensors
        na, n1, n2 = ctx.needs_input_grad
        g1, g2 = cls.grads(t1, t2, gy, ctx.value)
        return (sum_to(gy, ctx.shape) if na else None, sum_to(g1, t1.shape) if n1 else None,
                sum_to(g2, t2.shape) if n2 else None)


class Addcdiv(Addcmul):
    """input + value * tensor1 / tensor2."""
    node_name = "AddcdivBackward0"

    @staticmethod
    def combine(x, y, z, v):
        return x + v * y / z

    @staticmethod
    def grads(t1, t2, gy, v):  # in PyTorch's order
        return gy * (v / t2), -gy * (v * t1 / (t2 * t2))


_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes.")


def _addc(cls, name, input, tensor1, tensor2, value):
    _need_tensors(name, (input, tensor1, tensor2), ("input", "tensor1", "tensor2"))
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{name}(): argument 'value' must be Number, not "
                        f"{type(value).__name__}")
    if cls is Addcdiv and not (tensor1.dtype.is_floating_point
                               or tensor2.dtype.is_floating_point):
        raise RuntimeError(_ADDCDIV_INTEGER)
    dt = _dtype.result_type(input, tensor1, tensor2)
    if dt is _dtype.bool:
        raise _not_implemented(_on(name, input) + "_out", input)
    _check_number(value, dt)
    if not dt.is_floating_point:
        value = int(value)  # PyTorch casts the scalar to the integer dtype
    return cls.apply(*(t if t.dtype is dt else t.to(dt) for t in (input, tensor1, tensor2)),
                     value)
@autocast_op(cuda=PROMOTE)
def addcmul(input, tensor1, tensor2, *, value=1):
    """addcmul(input, tensor1, tensor2, *, value=1) -> Tensor

    input + value * tensor1 * tensor2, with broadcasting and type promotion.  Derivatives: 1,
    value * tensor2, value * tensor1."""
    return _addc(Addcmul, "addcmul", input, tensor1, tensor2, value)
@autocast_op(cuda=PROMOTE)
def addcdiv(input, tensor1, tensor2, *, value=1):
    """addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor

    input + value * tensor1 / tensor2, with broadcasting and type promotion (not for two
    integer tensors).  Derivatives: 1, value / tensor2, -value * tensor1 / tensor2**2."""
    return _addc(Addcdiv, "addcdiv", input, tensor1, tensor2, value)


# ---- comparisons and predicates (no gradient) ------------------------------------------------

def _close_arrays(a, b, rtol, atol, equal_nan):
    """PyTorch's isclose on two arrays of one dtype: equal, or |a - b| <= atol + |rtol * b|
    and finite (integers and bools compared in the default float dtype)."""
    xp = a._be.xp
    x, y = a._arr, b._arr
    close = _ternary(lambda u, v: u == v, a, b)
    if equal_nan:
        close = close | (xp.isnan(x) & xp.isnan(y))
    if rtol == 0 and atol == 0:
        return close
    if not a.dtype.is_floating_point and not a.dtype.is_complex:
        dt = _dtype.get_default_dtype().np
        x, y = x.astype(dt), y.astype(dt)
    with np.errstate(invalid="ignore", over="ignore"):
        err = xp.abs(x - y)
        return close | (xp.isfinite(err) & (err <= atol + xp.abs(rtol * y)))


def _checked_close(name, input, other, rtol, atol):
    _need_tensors(name, (input, other), ("input", "other"))
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype.scalar_name} did not match {other.dtype.scalar_name}")
    for what, v in (("rtol", rtol), ("atol", atol)):
        if not v >= 0:
            raise RuntimeError(f"{what} must be greater than or equal to zero, but got {v}")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor

    A bool tensor: True where |input - other| <= atol + rtol * |other| (or they are equal;
    nans equal each other only with equal_nan).  Both of one dtype, broadcasting."""
    _checked_close("isclose", input, other, rtol, atol)
    return _wrap(_close_arrays(input, other, rtol, atol, equal_nan), input._be)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool

    Whether isclose(input, other, ...) holds everywhere."""
    _checked_close("allclose", input, other, rtol, atol)
    return bool(_close_arrays(input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    """equal(input, other) -> bool

    True if both tensors have the same shape and the same values (nan equals nothing)."""
    _need_tensors("equal", (input, other), ("input", "other"))
    if input.shape != other.shape:
        return False
    return bool(input._be.xp.array_equal(input._arr, other._arr))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """isin(elements, test_elements, *, assume_unique=False, invert=False) -> Tensor

    A bool tensor of elements' shape: True where the element occurs in test_elements (False
    with invert).  Either may be a Python number; bool inputs are refused, as in PyTorch."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise _invalid_combination("isin", (elements, test_elements), [
            "(Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool "
            "invert = False, Tensor out = None)",
            "(Number element, Tensor test_elements, *, bool assume_unique = False, bool invert "
            "= False, Tensor out = None)",
            "(Tensor elements, Number test_element, *, bool assume_unique = False, bool invert "
            "= False, Tensor out = None)"])
    for x in (elements, test_elements):
        if isinstance(x, (bool, np.bool_)) or getattr(x, "dtype", None) is _dtype.bool:
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    a, b = _tensor_pair(elements, test_elements, "isin")
    out = a._be.xp.isin(a._arr, b._arr, assume_unique=assume_unique, invert=invert)
    return _wrap(out, a._be)


def isreal(input):
    """isreal(input) -> Tensor

    A bool tensor: True where the element is real (its imaginary part is 0; everywhere for a
    real dtype)."""
    _need_tensors("isreal", (input,), ("input",))
    xp, arr = input._be.xp, input._arr
    if arr.dtype.kind == "c":
        return _wrap(arr.imag == 0, input._be)
    return _wrap(xp.ones(arr.shape, dtype=np.bool_), input._be)


def is_nonzero(input):
    """is_nonzero(input) -> bool

    Whether the single element of input is nonzero (RuntimeError for 0 or several)."""
    _need_tensors("is_nonzero", (input,), ("input",))
    n = input.numel()
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with " + (
            "no values is ambiguous" if n == 0 else "more than one value is ambiguous"))
    return bool(input.item())


def is_complex(input):
    """is_complex(input) -> bool

    Whether input has a complex dtype (complex64, complex128)."""
    _need_tensors("is_complex", (input,), ("input",))
    return input._arr.dtype.kind == "c"


# ---- operators and the tables ----------------------------------------------------------------

def _lshift(self, other):
    """__lshift__(other) -> Tensor

    self << other (see gradcore.bitwise_left_shift)."""
    return bitwise_left_shift(self, other)


def _rshift(self, other):
    """__rshift__(other) -> Tensor

    self >> other (see gradcore.bitwise_right_shift)."""
    return bitwise_right_shift(self, other)


def _rlshift(self, other):
    """__rlshift__(other) -> Tensor

    other << self, for a number other."""
    return bitwise_left_shift(other, self)


def _rrshift(self, other):
    """__rrshift__(other) -> Tensor

    other >> self, for a number other."""
    return bitwise_right_shift(other, self)



def ldexp(input, other):
    """ldexp(input, other) -> Tensor

    input * 2**other, as PyTorch computes it (``input * pow(2.0, other)``, in the dtype the
    two operands promote to; the default float dtype for integers).  Gradients: those of the
    product and the power (2**other for input: PyTorch's is 0 where an integer other < 0)."""
    _need_tensors("ldexp", (input, other), ("input", "other"))
    dt = _dtype.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        dt = _dtype.get_default_dtype()
    return input.to(dt) * (2.0 ** other).to(dt)


# the out-of-place functions whose in-place forms ops/inplace.py makes (``name_``)
INPLACE = {"heaviside": heaviside, "gcd": gcd, "lcm": lcm, "float_power": _float_power_into,
           "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
           "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "ldexp": ldexp}

METHODS = {
    "heaviside": heaviside, "gcd": gcd, "lcm": lcm, "float_power": float_power,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "isclose": isclose,
    "allclose": allclose, "equal": equal, "isreal": isreal, "is_nonzero": is_nonzero,
    "is_complex": is_complex, "bitwise_and": E.bitwise_and, "bitwise_or": E.bitwise_or,
    "bitwise_xor": E.bitwise_xor, "ldexp": ldexp, "greater_equal": E.ge,
    "less_equal": E.le, "not_equal": E.ne, "greater": E.gt, "less": E.lt,
    "__lshift__": _lshift, "__rshift__": _rshift, "__rlshift__": _rlshift,
    "__rrshift__": _rrshift,
}
FUNCTIONS = {k: v for k, v in METHODS.items() if not k.startswith("__")}
FUNCTIONS.update({"isin": isin, "bitwise_not": E.bitwise_not})
