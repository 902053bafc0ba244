"""Dropout's variants: channel-wise (feature) dropout, alpha dropout and feature alpha dropout
(torch.feature_dropout / alpha_dropout / feature_alpha_dropout and their in-place forms),
nn.functional's dropout1d / dropout2d / dropout3d / alpha_dropout / feature_alpha_dropout,
and gumbel_softmax.

All follow ATen's ``_dropout_impl``: the noise is ``empty(shape).bernoulli_(1 - p)`` drawn from
the tensor's backend generator (for feature dropout one draw per (N, C), shape
``(N, C, 1, ...)``), so under the same seed the masks are PyTorch's; plain dropout divides it
by 1 - p and returns ``input * noise``; alpha dropout keeps SELU's mean and variance:
``a = 1 / sqrt((alpha^2 p + 1)(1 - p))``, ``b = (noise - 1) * alpha * a + alpha * a * p``,
result ``input * (noise * a) + b``.  gumbel_softmax is PyTorch's composition
(``-empty_like(logits).exponential_().log()`` Gumbel noise; hard: straight-through).
"""
import math
import warnings

from .. import _dtype
from ..tensor import _wrap
from . import elementwise as E
from .inplace import METHODS as _INPLACE

_SELU_ALPHA = 1.7580993408473766  # ATen's alpha' = -lambda * alpha of SELU


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def refuse_integral(input, alpha=False):
    """PyTorch's error for dropout of a non-floating input (its noise, in input's dtype, is
    divided by 1 - p in place; alpha dropout's bool noise + (-1) is Long first)."""
    if not (_dtype.is_floating(input._arr.dtype) or input.dtype.is_complex):
        name = "Long" if alpha and input.dtype.name == "bool" else input.dtype.scalar_name
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{name}")


def _dropout_impl(input, p, train, feature, alpha, inplace):
    """ATen's _dropout_impl<feature_dropout, alpha_dropout, inplace>(input, p, train)."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p:g}")
    if p == 0 or not train or input.numel() == 0:
        return input
    be, arr = input._be, input._arr
    mul = _INPLACE["mul_"] if inplace else E.mul
    if p == 1:
        return mul(input, _wrap(be.xp.zeros((), dtype=arr.dtype), be))
    if feature:
        if arr.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = arr.shape[:2] + (1,) * (arr.ndim - 2)
    else:
        shape = arr.shape
    refuse_integral(input, alpha)
    t = arr.dtype.type
    noise = be._rng.bernoulli(shape, 1 - p, arr.dtype)
    if not alpha:
        return mul(input, _wrap(noise / t(1 - p), be))
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    b = (noise + t(-1)) * t(_SELU_ALPHA * a) + t(_SELU_ALPHA * a * p)
    out = mul(input, _wrap(noise * t(a), be))
    return _INPLACE["add_"](out, _wrap(b, be))


def feature_dropout(input, p, train):
    """feature_dropout(input, p, train) -> Tensor

    Zero whole channels (dim 1) with probability p, scaling the rest by 1 / (1 - p)."""
    return _dropout_impl(input, p, train, True, False, False)


def feature_dropout_(input, p, train):
    """feature_dropout_(input, p, train) -> Tensor: feature_dropout written into input."""
    return _dropout_impl(input, p, train, True, False, True)


def _alpha_dropout(input, p, train):
    """alpha_dropout(input, p, train) -> Tensor

    Alpha dropout (keeps a SELU network's mean and variance): dropped elements are set to
    SELU's negative saturation, then an affine map restores mean 0 and variance 1."""
    return _dropout_impl(input, p, train, False, True, False)


def _alpha_dropout_(input, p, train):
    """alpha_dropout_(input, p, train) -> Tensor: alpha_dropout written into input."""
    return _dropout_impl(input, p, train, False, True, True)


def _feature_alpha_dropout(input, p, train):
    """feature_alpha_dropout(input, p, train) -> Tensor: alpha dropout of whole channels."""
    return _dropout_impl(input, p, train, True, True, False)


def _feature_alpha_dropout_(input, p, train):
    """feature_alpha_dropout_(input, p, train) -> Tensor: written into input."""
    return _dropout_impl(input, p, train, True, True, True)


# ---- nn.functional's forms ------------------------------------------------------------------

def _feature(input, p, training, inplace):
    return (feature_dropout_ if inplace else feature_dropout)(input, p, training)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """dropout1d(input, p=0.5, training=True, inplace=False) -> Tensor

    Channel-wise dropout of (N, C, L) or (C, L) input: each channel is zeroed with
    probability p (one Bernoulli draw per channel), the rest scaled by 1 / (1 - p)."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs).")
    if inp_dim == 3:
        return _feature(input, p, training, inplace)
    input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _feature(input, p, training, inplace)
    return result.squeeze_(0) if inplace else result.squeeze(0)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """dropout2d(input, p=0.5, training=True, inplace=False) -> Tensor

    Channel-wise dropout of (N, C, H, W) input.  As PyTorch, other ranks warn (deprecated),
    and 3-D input is taken as (N, C, L) -- dropout1d's behaviour -- with a warning."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2)
    if inp_dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature(input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """dropout3d(input, p=0.5, training=True, inplace=False) -> Tensor

    Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) input; other ranks warn
    (deprecated), as PyTorch."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2)
    if inp_dim == 5:
        return _feature(input, p, training, inplace)
    input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _feature(input, p, training, inplace)
    return result.squeeze_(0) if inplace else result.squeeze(0)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor

    Alpha dropout (see torch.alpha_dropout); note training defaults to False, as PyTorch."""
    _check_p(p)
    return (_alpha_dropout_ if inplace else _alpha_dropout)(input, p, training)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """feature_alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor

    Alpha dropout of whole channels (dim 1); training defaults to False, as PyTorch."""
    _check_p(p)
    return (_feature_alpha_dropout_ if inplace else _feature_alpha_dropout)(input, p, training)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1) -> Tensor

    A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau, dim)`` with
    ``g = -log(Exponential(1))`` drawn as PyTorch (same seed, same numbers).  ``hard=True``
    returns the one-hot of the argmax with the soft sample's gradient (straight-through).
    ``eps`` is deprecated and unused (it warns when given), as PyTorch."""
    from .factories import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


FUNCTIONS = {"feature_dropout": feature_dropout, "feature_dropout_": feature_dropout_,
             "alpha_dropout": _alpha_dropout, "alpha_dropout_": _alpha_dropout_,
             "feature_alpha_dropout": _feature_alpha_dropout,
             "feature_alpha_dropout_": _feature_alpha_dropout_}
FUNCTIONAL = {"dropout1d": dropout1d, "dropout2d": dropout2d, "dropout3d": dropout3d,
              "alpha_dropout": alpha_dropout, "feature_alpha_dropout": feature_alpha_dropout,
              "gumbel_softmax": gumbel_softmax}
