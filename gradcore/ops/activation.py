"""Activations for nn beyond elementwise.py's: gelu (exact erf form and tanh form), leaky_relu,
relu_ (in place), dropout, and the rest of torch.nn's activations: silu, mish, hardswish,
hardsigmoid, log_sigmoid (declared once, ops/declare.py); elu / selu / celu, softplus, hardtanh
/ relu6, softshrink, hardshrink, threshold (ArrayFunctions with parameters, one node each as
PyTorch's); glu, prelu and rrelu (their own nodes); softmin, softsign and tanhshrink
(compositions, as PyTorch's).

leaky_relu's and gelu's derivatives are registered kernels (backend/kernels.py), whose
references are also their create_graph backwards (gelu's through ``kernel_op``, for PyTorch's
node name GeluBackwardBackward0; its erf is ops/special.py's).  dropout is
``input * noise`` (MulBackward0, as PyTorch), the noise drawn from the backend's generator.
"""
import math
import warnings

import numpy as np

from .._autocast import FP32, LOWER, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..backend.kernels import kernel
from ..tensor import Tensor, _wrap, _wrap_dim
from . import elementwise as E
from .declare import OPS, TENSOR, kernel_op, unary
from .shape import sum_to
from .unary_math import _op
from .join import cat as _cat
from .softmax import softmax as _softmax
from .special import erf_array, erf_of
from .inplace import METHODS as _INPLACE, inplace as _inplace
from . import feature_dropout as _FD

relu_ = _INPLACE["relu_"]


def _check_floating(x, kernel):
    if not isinstance(x, Tensor):
        raise TypeError(f"{kernel}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if not _dtype.is_floating(x._arr.dtype):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{x.dtype.scalar_name}'")


# ---- gelu ----------------------------------------------------------------------------------

_GELU_KAPPA = 0.044715
_GELU_BETA = math.sqrt(2 / math.pi)
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _opmath(x):
    """Half precision is computed in float32, as PyTorch does (arrays; Tensors as they are)."""
    if isinstance(x, Tensor) or not hasattr(x, "dtype"):
        return x
    return x.astype(_dtype.opmath(x.dtype), copy=False)


def _gelu(xp, x, approximate):
    """'none': x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); 'tanh': 0.5 x (1 + tanh(sqrt(2/pi)
    (x + 0.044715 x^3)))."""
    a = _opmath(x)
    with np.errstate(invalid="ignore", over="ignore"):  # -inf * 0 is nan, as PyTorch
        if approximate == "tanh":
            out = 0.5 * a * (1 + xp.tanh(_GELU_BETA * (a + _GELU_KAPPA * (a * a * a))))
        else:
            out = 0.5 * a * (1 + erf_array(xp, a * _SQRT1_2))
    return out.astype(x.dtype, copy=False)


@kernel("unary", functors=("gelu_backward", "gelu_tanh_backward"), quiet=True,
        params=lambda approximate: ("gelu_tanh_backward" if approximate == "tanh"
                                    else "gelu_backward", 0.0, 0.0))
def gelu_backward(F, x, gy, approximate):
    """gelu's derivative times gy: Phi(x) + x phi(x) (tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2)
    u', t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3)); half precision in float32."""
    a, g = _opmath(x), _opmath(gy)
    if approximate == "tanh":
        x_sq = a * a
        t = F.tanh(_GELU_BETA * (a + _GELU_KAPPA * x_sq * a))
        deriv = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * (_GELU_BETA * (1 + 3 * _GELU_KAPPA * x_sq))
    else:
        deriv = 0.5 * (1 + erf_of(F, a * _SQRT1_2)) + a * (_INV_SQRT_2PI * F.exp(-0.5 * a * a))
    out = g * deriv
    return out if g is gy else out.astype(gy.dtype)


_gelu_grad = kernel_op(gelu_backward, "GeluBackwardBackward0")


class Gelu(ArrayFunction):
    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return _gelu(x._be.xp, x._arr, approximate)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return _gelu_grad(x, gy, ctx.approximate)

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return gelu_backward(ctx._be, x, gy, ctx.approximate)


def gelu(input, approximate="none"):
    """gelu(input, approximate='none') -> Tensor

    x * Phi(x), Phi the standard normal CDF (exact erf form), elementwise; approximate='tanh'
    uses 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).  Floating inputs only.
    Derivative (exact form): Phi(x) + x * phi(x), phi the normal density."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate)


# ---- leaky_relu ----------------------------------------------------------------------------

@kernel("unary", params=lambda slope: ("leaky_relu_backward", slope, 0.0))
def leaky_relu_backward(F, x, gy, negative_slope):
    return F.where(x > 0, gy, gy * negative_slope)


class LeakyRelu(ArrayFunction):
    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        a = x._arr
        return x._be.xp.where(a > 0, a, a * negative_slope)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        return leaky_relu_backward.reference(TENSOR, x, gy, ctx.slope)

    @staticmethod
    def array_backward(ctx, gy):
        x, = ctx.saved_arrays
        return leaky_relu_backward(ctx._be, x, gy, ctx.slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor

    x where x > 0, else negative_slope * x, elementwise; ``inplace`` overwrites input.
    Floating inputs only.  Derivative: 1 where x > 0, else negative_slope."""
    _check_floating(input, "leaky_relu_cpu")
    if inplace:
        return _inplace(input, LeakyRelu.apply, negative_slope)
    return LeakyRelu.apply(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu_(input, negative_slope=0.01) -> Tensor

    leaky_relu written into ``input``, which it returns."""
    return leaky_relu(input, negative_slope, inplace=True)


# ---- dropout -------------------------------------------------------------------------------

def dropout(input, p=0.5, training=True, inplace=False):
    """dropout(input, p=0.5, training=True, inplace=False) -> Tensor

    Zero each element with probability p and scale the rest by 1 / (1 - p); with
    training=False (or p=0) the input itself is returned.  The noise is Bernoulli(1 - p) from
    the tensor's backend generator, divided by (1 - p) in the tensor's dtype, as PyTorch; the
    result is ``input * noise`` (MulBackward0), so the gradient is gy * noise."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    be, arr = input._be, input._arr
    if p == 1:
        noise = be.xp.zeros((), dtype=arr.dtype)
    else:
        _FD.refuse_integral(input)
        q = 1 - p  # PyTorch: empty_like(input).bernoulli_(1 - p).div_(1 - p)
        noise = be._rng.bernoulli(arr.shape, q, arr.dtype) / arr.dtype.type(q)
    noise = _wrap(noise, be)
    if inplace:
        return _INPLACE["mul_"](input, noise)
    return E.mul(input, noise)


def _dropout_function(input, p, train):
    """dropout(input, p, train) -> Tensor

    PyTorch's top-level form of nn.functional.dropout: dropout(input, p, training=train)."""
    return dropout(input, p, train)


def _dropout_inplace(input, p, train):
    """dropout_(input, p, train) -> Tensor

    dropout(input, p, train) written into input, which it returns."""
    return dropout(input, p, train, inplace=True)


# ---- the rest of torch.nn's activations ----------------------------------------------------

def _floating_only(kernel):
    """A declaration's ``check``: PyTorch's NotImplementedError for integer and bool input."""
    def check(x):
        if not _dtype.is_floating(x._arr.dtype):
            raise NotImplementedError(f"\"{kernel}_{x.device.type}\" not implemented for "
                                      f"'{x.dtype.scalar_name}'")
    return check


def _quiet(fn):
    """The forward ``fn(xp, x, *params)`` in opmath (float16 in float32), cast back, NumPy's
    floating-point warnings off (exp overflowing to inf is part of the answer)."""
    def forward(xp, x, *params):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fn(xp, _opmath(x), *params).astype(x.dtype, copy=False)
    forward.__name__, forward.__module__ = fn.__name__, fn.__module__
    return forward


def _sigmoid_of(F, x):
    """sigmoid in a derivative's vocabulary: gradcore's op on Tensors, its forward on arrays
    (the same arithmetic: the two backward paths agree bit for bit)."""
    if F is TENSOR:
        return OPS["sigmoid"].function(x)
    return E._sigmoid(F, x)


def _softplus_of(F, x):
    """log(1 + exp(x)) computed stably, in a derivative's vocabulary."""
    return F.where(x > 0, x, F.zeros_like(x)) + _op(F, "log1p", F.exp(-_op(F, "abs", x)))


def _silu_grad(F, x, gy):
    s = _sigmoid_of(F, x)
    return gy * (s * (1 + x * (1 - s)))


def _mish_grad(F, x, gy):
    t = F.tanh(_softplus_of(F, x))
    return gy * (t + x * _sigmoid_of(F, x) * (1 - t * t))


def _hardswish_grad(F, x, gy):
    return F.where(x <= -3, F.zeros_like(gy), F.where(x < 3, gy * (x / 3 + 0.5), gy))


_ONE_SIXTH_F32 = float(np.float32(1.0 / 6.0))  # PyTorch's constant (1.0f / 6.0f), every dtype


def _hardsigmoid_grad(F, x, gy):
    return F.where((x > -3) & (x < 3), gy * _ONE_SIXTH_F32, F.zeros_like(gy))


def _log_sigmoid_grad(F, x, gy):
    return gy * _sigmoid_of(F, -x)


@_quiet
def _silu_forward(xp, x):
    return x / (1 + xp.exp(-x))


@_quiet
def _mish_forward(xp, x):
    return x * xp.tanh(xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x))))


@_quiet
def _hardswish_forward(xp, x):
    return x * xp.clip(x + 3, 0, 6) / 6


@_quiet
def _hardsigmoid_forward(xp, x):
    return xp.clip(x + 3, 0, 6) / 6


@_quiet
def _log_sigmoid_forward(xp, x):
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


silu = unary("silu", _silu_forward, _silu_grad, node="SiluBackward0", inplace=False,
             check=_floating_only("silu"), doc=(
                 "silu(input) -> Tensor\n\nx * sigmoid(x), elementwise (the swish).  Floating "
                 "inputs only.  Derivative: s (1 + x (1 - s)), s = sigmoid(x)."))
mish = unary("mish", _mish_forward, _mish_grad, node="MishBackward0", inplace=False,
             check=_floating_only("mish"), doc=(
                 "mish(input) -> Tensor\n\nx * tanh(softplus(x)), elementwise.  Floating "
                 "inputs only.  Derivative: t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))."))
hardswish = unary("hardswish", _hardswish_forward, _hardswish_grad, node="HardswishBackward0",
                  inplace=False, check=_floating_only("hardswish"), doc=(
                      "hardswish(input) -> Tensor\n\nx * relu6(x + 3) / 6, elementwise.  "
                      "Floating inputs only.  Derivative: 0 up to -3, x / 3 + 1/2 on (-3, 3), "
                      "1 from 3 on."))
hardsigmoid = unary("hardsigmoid", _hardsigmoid_forward, _hardsigmoid_grad,
                    node="HardsigmoidBackward0", inplace=False,
                    check=_floating_only("hardsigmoid"), doc=(
                        "hardsigmoid(input) -> Tensor\n\nrelu6(x + 3) / 6, elementwise.  "
                        "Floating inputs only.  Derivative: 1/6 on (-3, 3), 0 elsewhere."))
log_sigmoid = unary("log_sigmoid", _log_sigmoid_forward, _log_sigmoid_grad,
                    node="LogSigmoidBackward0", inplace=False,
                    check=_floating_only("log_sigmoid"), doc=(
                        "log_sigmoid(input) -> Tensor\n\nlog(sigmoid(x)) = min(x, 0) - "
                        "log1p(exp(-|x|)), elementwise, computed stably.  Floating inputs "
                        "only.  Derivative: sigmoid(-x)."))


def _maybe_inplace(fn, input, inplace, *args):
    return _inplace(input, fn, *args) if inplace else fn(input, *args)


def _functional(op, name):
    """nn.functional's form of a declared activation: ``name(input, inplace=False)``."""
    def function(input, inplace=False):
        return _maybe_inplace(op, input, inplace)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"{name}(input, inplace=False) -> Tensor\n\n" +
                        op.__doc__.split("\n\n", 1)[1] +
                        "  ``inplace=True`` writes the result into input.")
    return function


_silu_functional = _functional(silu, "silu")
_mish_functional = _functional(mish, "mish")
_hardswish_functional = _functional(hardswish, "hardswish")
_hardsigmoid_functional = _functional(hardsigmoid, "hardsigmoid")


def logsigmoid(input):
    """logsigmoid(input) -> Tensor

    log(1 / (1 + exp(-x))), elementwise, computed stably (gradcore.log_sigmoid)."""
    return log_sigmoid(input)


class _Pointwise(ArrayFunction):
    """An elementwise op with parameters: ``f(xp, x, *params)`` forward (in opmath, quiet) and
    its derivative ``df(F, x, gy, *params)`` in the declarations' vocabulary, so the same
    function is the array backward and the differentiable Tensor backward."""

    @classmethod
    def forward(cls, ctx, x, *params):
        ctx.save_for_backward(x)
        ctx.params = params
        return cls.f(x._be.xp, x._arr, *params)

    @classmethod
    def backward(cls, ctx, gy):
        x, = ctx.saved_tensors
        return cls.df(TENSOR, x, gy, *ctx.params)

    @classmethod
    def array_backward(cls, ctx, gy):
        x, = ctx.saved_arrays
        with np.errstate(over="ignore", invalid="ignore"):
            return cls.df(ctx._be.xp, x, gy, *ctx.params)


class Elu(_Pointwise):
    """scale * x for x > 0, scale * alpha * (exp(input_scale * x) - 1) otherwise."""
    node_name = "EluBackward0"

    @staticmethod
    @_quiet
    def f(xp, x, alpha, scale, input_scale):
        return xp.where(x > 0, x * scale, xp.expm1(x * input_scale) * (alpha * scale))

    @staticmethod
    def df(F, x, gy, alpha, scale, input_scale):
        neg = F.where(x > 0, F.zeros_like(x), x)  # exp of the negative part only
        return F.where(x > 0, gy * scale, gy * (alpha * scale * input_scale) *
                       F.exp(neg * input_scale))


class Celu(Elu):
    node_name = "CeluBackward0"


class EluInplace(Elu):
    node_name = "EluBackward1"  # PyTorch's node of elu_ / selu_ (it saves the result)


class CeluInplace(Elu):
    node_name = "CeluBackward1"


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """elu(input, alpha=1.0, inplace=False) -> Tensor

    x for x > 0, alpha * (exp(x) - 1) otherwise, elementwise; ``inplace`` overwrites input.
    Floating inputs only.  Derivative: 1 for x > 0, alpha * exp(x) otherwise."""
    _check_floating(input, f"elu_{input.device.type}")
    return _maybe_inplace((EluInplace if inplace else Elu).apply, input, inplace, float(alpha),
                          1.0, 1.0)


def elu_(input, alpha=1.0):
    """elu_(input, alpha=1.0) -> Tensor

    elu, in place."""
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """selu(input, inplace=False) -> Tensor

    scale * elu(x, alpha), elementwise, with alpha = 1.6732632423543772848 and
    scale = 1.0507009873554804934 (self-normalizing); ``inplace`` overwrites input."""
    _check_floating(input, f"elu_{input.device.type}")
    return _maybe_inplace((EluInplace if inplace else Elu).apply, input, inplace, _SELU_ALPHA,
                          _SELU_SCALE, 1.0)


def selu_(input):
    """selu_(input) -> Tensor

    selu, in place."""
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """celu(input, alpha=1.0, inplace=False) -> Tensor

    max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), elementwise (alpha != 0); ``inplace``
    overwrites input.  Derivative: 1 for x > 0, exp(x / alpha) otherwise."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _check_floating(input, f"elu_{input.device.type}")
    return _maybe_inplace((CeluInplace if inplace else Celu).apply, input, inplace,
                          float(alpha), 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    """celu_(input, alpha=1.0) -> Tensor

    celu, in place."""
    return celu(input, alpha, True)


class Softplus(_Pointwise):
    node_name = "SoftplusBackward0"

    @staticmethod
    @_quiet
    def f(xp, x, beta, threshold):
        z = x * beta
        return xp.where(z > threshold, x, xp.log1p(xp.exp(z)) / beta)

    @staticmethod
    def df(F, x, gy, beta, threshold):
        z = x * beta
        return F.where(z > threshold, gy, gy * _sigmoid_of(F, z))
@autocast_op(cuda=FP32)
def softplus(input, beta=1.0, threshold=20.0):
    """softplus(input, beta=1, threshold=20) -> Tensor

    log(1 + exp(beta * x)) / beta, elementwise, and x itself where beta * x > threshold.
    Floating inputs only.  Derivative: sigmoid(beta * x) (1 above the threshold)."""
    _check_floating(input, f"softplus_{input.device.type}")
    return Softplus.apply(input, beta, threshold)


class Hardtanh(_Pointwise):
    node_name = "HardtanhBackward0"

    @staticmethod
    def f(xp, x, lo, hi):
        out = xp.clip(x, lo, hi)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def df(F, x, gy, lo, hi):
        return F.where((x > lo) & (x < hi), gy, F.zeros_like(gy))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor

    input clamped to [min_val, max_val], elementwise; ``inplace`` overwrites input.
    Derivative: 1 strictly inside (min_val, max_val), 0 elsewhere."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(Hardtanh.apply, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh_(input, min_val=-1., max_val=1.) -> Tensor

    hardtanh, in place."""
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """relu6(input, inplace=False) -> Tensor

    min(max(0, x), 6), elementwise: hardtanh(input, 0, 6) (HardtanhBackward0, as PyTorch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _check_lambd(input, lambd):
    if lambd < 0:
        info = np.finfo(input._arr.dtype) if _dtype.is_floating(input._arr.dtype) else None
        top = f"{float(info.max):g}" if info is not None else "inf"
        raise RuntimeError(f"lambda must be in range [0, {top}] for input dtype "
                           f"{input.dtype.scalar_name}, but found {float(lambd):g}")


class Softshrink(_Pointwise):
    node_name = "SoftshrinkBackward0"

    @staticmethod
    def f(xp, x, lambd):
        out = xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def df(F, x, gy, lambd):
        return F.where((x >= -lambd) & (x <= lambd), F.zeros_like(gy), gy)


class Hardshrink(_Pointwise):
    node_name = "HardshrinkBackward0"

    @staticmethod
    def f(xp, x, lambd):
        return xp.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)

    df = Softshrink.df


def softshrink(input, lambd=0.5):
    """softshrink(input, lambd=0.5) -> Tensor

    x - lambd above lambd, x + lambd below -lambd, 0 between, elementwise (lambd >= 0).
    Floating inputs only.  Derivative: 1 outside [-lambd, lambd], 0 inside."""
    _check_floating(input, "softshrink_check")
    _check_lambd(input, lambd)
    return Softshrink.apply(input, lambd)


def hardshrink(input, lambd=0.5):
    """hardshrink(input, lambd=0.5) -> Tensor

    x where |x| > lambd, else 0, elementwise.  Floating inputs only.  Derivative: 1 outside
    [-lambd, lambd], 0 inside."""
    _check_floating(input, f"hardshrink_{input.device.type}")
    return Hardshrink.apply(input, lambd)


class Threshold(_Pointwise):
    node_name = "ThresholdBackward0"

    @staticmethod
    def f(xp, x, threshold, value):
        return xp.where(x > threshold, x, value).astype(x.dtype, copy=False)

    @staticmethod
    def df(F, x, gy, threshold, value):
        return F.where(x > threshold, gy, F.zeros_like(gy))


class ThresholdInplace(Threshold):
    node_name = "ThresholdBackward1"


def threshold(input, threshold, value, inplace=False):
    """threshold(input, threshold, value, inplace=False) -> Tensor

    x where x > threshold, else value, elementwise; ``inplace`` overwrites input.
    Derivative: 1 where x > threshold, 0 elsewhere."""
    return _maybe_inplace((ThresholdInplace if inplace else Threshold).apply, input, inplace,
                          threshold, value)


def threshold_(input, threshold, value):
    """threshold_(input, threshold, value) -> Tensor

    threshold, in place."""
    return _maybe_inplace(ThresholdInplace.apply, input, True, threshold, value)


# ---- glu, prelu, rrelu -----------------------------------------------------------------------

class Glu(ArrayFunction):
    """a * sigmoid(b), a and b the halves of the input along ``dim``."""
    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.save_for_backward(x)
        ctx.dim = dim
        a, b = x._be.xp.split(x._arr, 2, axis=dim)
        return a * _sigmoid_of(x._be.xp, b)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors
        a, b = x.chunk(2, ctx.dim)
        s = E.sigmoid(b)
        return _cat([gy * s, gy * a * s * (1 - s)], ctx.dim)


def glu(input, dim=-1):
    """glu(input, dim=-1) -> Tensor

    The gated linear unit: a * sigmoid(b), where a and b are the first and second halves
    of input along ``dim`` (its size must be even).  Floating inputs only."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    _check_floating(input, f"glu_{input.device.type}")
    return Glu.apply(input, d)


class Prelu(ArrayFunction):
    """x for x > 0, weight * x otherwise, weight broadcast along the channel dim (1)."""
    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w, wshape):
        ctx.save_for_backward(x, w)
        ctx.wshape = wshape
        a = x._arr
        return x._be.xp.where(a > 0, a, a * w._arr.reshape(wshape))

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad
        wv = w.reshape(ctx.wshape)
        pos = x > 0
        gx = E.where(pos, gy, gy * wv) if need_x else None
        gw = None
        if need_w:
            gw = sum_to(E.where(pos, TENSOR.zeros_like(gy), x * gy), ctx.wshape).reshape(w.shape)
        return gx, gw


@autocast_op(cpu=LOWER, cuda=LOWER)
def prelu(input, weight):
    """prelu(input, weight) -> Tensor

    x for x > 0, weight * x otherwise, elementwise; ``weight`` has one element or one per
    channel (dim 1 of the input).  Gradients: to input, 1 or weight; to weight, x summed
    over the non-positive elements of each channel."""
    _check_floating(input, f"prelu_{input.device.type}")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")
    if weight.ndim > 1 and n != 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if n == 1 or input.ndim < 2:
        wshape = ()
    else:
        wshape = (n,) + (1,) * (input.ndim - 2)
    return Prelu.apply(input, weight, wshape)


class RreluWithNoise(ArrayFunction):
    """x * noise, noise = 1 for x > 0 and the drawn (training) or mean (eval) slope else."""
    node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, noise):
        ctx.noise = noise
        return x._arr * noise._arr

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.noise, None


class RreluWithNoiseInplace(RreluWithNoise):
    node_name = "RreluWithNoiseBackward1"


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """rrelu(input, lower=1./8, upper=1./3, training=False, inplace=False) -> Tensor

    The randomized leaky ReLU: x for x > 0, a * x otherwise, where in training each element's
    slope a is drawn from U(lower, upper) (the backend generator) and in eval a is
    (lower + upper) / 2.  Floating inputs only; ``inplace`` overwrites input."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _check_floating(input, f"leaky_relu_{input.device.type}")
    be, a = input._be, input._arr
    if training:  # PyTorch: a float64 U(lower, upper) draw for each x <= 0, in order, the
        neg = a <= 0  # bounds first rounded to the opmath dtype (float32 below float64)
        op = np.float64 if a.dtype == np.float64 else np.float32
        noise = be.xp.ones(a.shape, dtype=a.dtype)
        noise[neg] = be._rng.uniform((int(neg.sum()),), np.float64, float(op(lower)),
                                     float(op(upper))).astype(op).astype(a.dtype)
    else:
        noise = be.xp.where(a > 0, a.dtype.type(1), a.dtype.type((lower + upper) / 2))
    noise = _wrap(noise.astype(a.dtype, copy=False), be)
    return _maybe_inplace((RreluWithNoiseInplace if inplace else RreluWithNoise).apply, input,
                          inplace, noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu_(input, lower=1./8, upper=1./3, training=False) -> Tensor

    rrelu, in place."""
    return rrelu(input, lower, upper, training, True)


# ---- compositions --------------------------------------------------------------------------

def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(input, dim=None, _stacklevel=3, dtype=None) -> Tensor

    softmax(-input, dim): exp(-x_i) / sum_j exp(-x_j) along ``dim`` (computed in ``dtype``
    when given); ``dim=None`` is deprecated and picks the dim as softmax does."""
    if dim is None:  # nn.functional._softmax_dim's rule (ops must not import nn)
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=_stacklevel - 1)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return _softmax(E.neg(input), dim, dtype=dtype)


def softsign(input):
    """softsign(input) -> Tensor

    x / (1 + |x|), elementwise (a composition, as PyTorch's)."""
    return input / (E.abs(input) + 1)


def tanhshrink(input):
    """tanhshrink(input) -> Tensor

    x - tanh(x), elementwise (a composition, as PyTorch's)."""
    return input - E.tanh(input)


METHODS = {"hardshrink": hardshrink, "prelu": prelu}
FUNCTIONS = {"dropout": _dropout_function, "dropout_": _dropout_inplace, "selu": selu, "selu_": selu_, "celu": celu,
             "celu_": celu_, "threshold": threshold, "threshold_": threshold_, "rrelu": rrelu,
             "rrelu_": rrelu_, "hardshrink": hardshrink, "prelu": prelu}
FUNCTIONAL = {
    "silu": _silu_functional, "mish": _mish_functional, "hardswish": _hardswish_functional, "hardsigmoid": _hardsigmoid_functional,
    "logsigmoid": logsigmoid, "elu": elu, "elu_": elu_, "selu": selu, "selu_": selu_,
    "celu": celu, "celu_": celu_, "softplus": softplus, "hardtanh": hardtanh,
    "hardtanh_": hardtanh_, "relu6": relu6, "softshrink": softshrink, "hardshrink": hardshrink,
    "threshold": threshold, "threshold_": threshold_, "glu": glu, "prelu": prelu,
    "rrelu": rrelu, "rrelu_": rrelu_, "softmin": softmin, "softsign": softsign,
    "tanhshrink": tanhshrink, "leaky_relu_": leaky_relu_, **_FD.FUNCTIONAL,
}
FUNCTIONS.update(_FD.FUNCTIONS)  # torch.feature_dropout, alpha_dropout, ... (feature_dropout.py)
