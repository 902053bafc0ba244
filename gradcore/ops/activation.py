"""Activations for nn beyond elementwise.py's: gelu (exact erf form and tanh form), leaky_relu,
relu_ (in place) and dropout.

leaky_relu's and gelu's derivatives are registered kernels (backend/kernels.py), whose
references are also their create_graph backwards (gelu's through ``kernel_op``, for PyTorch's
node name GeluBackwardBackward0; its erf is ops/special.py's).  dropout is
``input * noise`` (MulBackward0, as PyTorch), the noise drawn from the backend's generator.
"""
import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..backend.kernels import kernel
from ..tensor import Tensor, _wrap
from . import elementwise as E
from .declare import TENSOR, kernel_op
from .special import erf_array, erf_of
from .inplace import METHODS as _INPLACE, inplace as _inplace

relu_ = _INPLACE["relu_"]


def _check_floating(x, kernel):
    if not isinstance(x, Tensor):
        raise TypeError(f"{kernel}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")
    if x._arr.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{x.dtype.scalar_name}'")


# ---- gelu ----------------------------------------------------------------------------------

_GELU_KAPPA = 0.044715
_GELU_BETA = math.sqrt(2 / math.pi)
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _opmath(x):
    """Half precision is computed in float32, as PyTorch does (arrays; Tensors as they are)."""
    return x.astype(np.float32) if getattr(x, "dtype", None) == np.float16 else x


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
        q = 1 - p
        noise = (be.rand(arr.shape, arr.dtype) < q).astype(arr.dtype) / arr.dtype.type(q)
    noise = _wrap(noise, be)
    if inplace:
        return _INPLACE["mul_"](input, noise)
    return E.mul(input, noise)


def _dropout_function(input, p, train):
    """dropout(input, p, train) -> Tensor

    PyTorch's top-level form of nn.functional.dropout: dropout(input, p, training=train)."""
    return dropout(input, p, train)


METHODS = {}
FUNCTIONS = {"dropout": _dropout_function}
