"""Parameter initialisation with PyTorch's formulas and defaults.

Every function fills its tensor in place under no_grad and returns it; random values come from
gradcore's generator on the tensor's device (``gradcore.manual_seed``, or ``generator=``),
drawn as PyTorch draws them (``tensor.uniform_`` / ``tensor.normal_``, trunc_normal_'s two
samplers), so a seeded module holds PyTorch's initial weights on the CPU.
"""
import math
import warnings

from ..autograd.grad_mode import no_grad
from ..ops import factories
from ..ops.factories import empty_like
from ..ops.elementwise import where


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(values)
    return tensor


def _no_grad_uniform_(tensor, a, b, generator=None):
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _no_grad_normal_(tensor, mean, std, generator=None):
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def calculate_gain(nonlinearity, param=None):
    """calculate_gain(nonlinearity, param=None) -> float

    The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``, 0.01 by
    default), 3/4 for selu; ValueError for any other name."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = size(1) * receptive field, fan_out = size(0) * receptive field."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return tensor.size(1) * receptive_field_size, tensor.size(0) * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """uniform_(tensor, a=0.0, b=1.0, generator=None) -> Tensor

    Fill ``tensor`` in place with values drawn from U(a, b) and return it."""
    return _no_grad_uniform_(tensor, a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """normal_(tensor, mean=0.0, std=1.0, generator=None) -> Tensor

    Fill ``tensor`` in place with values drawn from N(mean, std^2) and return it."""
    return _no_grad_normal_(tensor, mean, std, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None) -> Tensor

    Fill ``tensor`` in place with N(mean, std^2) restricted to [a, b] (values outside are
    drawn again; a and b are absolute bounds, not in units of std) and return it."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    with no_grad():
        p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
        if p > 0.3:  # PyTorch's rejection of normal draws outside [a, b]
            lo = tensor.new_tensor(a).item()
            hi = tensor.new_tensor(b).item()
            result = tensor.normal_(mean, std, generator=generator)
            while True:
                mask = (result < lo) | (result > hi)
                if not bool(mask.any()):
                    break
                result = where(mask, empty_like(result).normal_(mean, std, generator=generator),
                               result)
            if tensor is not result:
                tensor.copy_(result)
            return tensor
        # a narrow window: uniform candidates on [a, b] accepted against the density's peak
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2

        def log_pdf(c):
            return ((c - mean) / std).pow(2).mul(-0.5).sub(log_peak)

        def accept_draw(c):
            return empty_like(tensor).uniform_(generator=generator).log_().gt(log_pdf(c))

        tensor.uniform_(a, b, generator=generator)
        pending = accept_draw(tensor)
        if bool(pending.any()):
            result = tensor.clone()
            while True:
                candidates = empty_like(tensor).uniform_(a, b, generator=generator)
                result = where(pending, candidates, result)
                pending = where(pending, accept_draw(candidates), pending)
                if not bool(pending.any()):
                    break
            tensor.copy_(result)
        return tensor


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def constant_(tensor, val):
    """constant_(tensor, val) -> Tensor

    Fill ``tensor`` in place with the value ``val`` and return it."""
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    """ones_(tensor) -> Tensor

    Fill ``tensor`` in place with ones and return it."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """zeros_(tensor) -> Tensor

    Fill ``tensor`` in place with zeros and return it."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """eye_(tensor) -> Tensor

    Fill a 2-D ``tensor`` in place with the identity matrix (ones on the diagonal, zeros
    elsewhere; rectangular shapes allowed) and return it."""
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, factories.eye(*tensor.shape, dtype=tensor.dtype,
                                       device=tensor.device))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """xavier_uniform_(tensor, gain=1.0, generator=None) -> Tensor

    Fill ``tensor`` (at least 2-D) in place with U(-a, a), a = gain * sqrt(6 / (fan_in +
    fan_out)) (Glorot & Bengio), and return it."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _no_grad_uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """xavier_normal_(tensor, gain=1.0, generator=None) -> Tensor

    Fill ``tensor`` (at least 2-D) in place with N(0, std^2), std = gain * sqrt(2 / (fan_in +
    fan_out)) (Glorot & Bengio), and return it."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _no_grad_normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)

    Fill ``tensor`` in place with U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al.),
    gain = calculate_gain(nonlinearity, a), fan = fan_in or fan_out by ``mode``; return it."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _no_grad_uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', generator=None)

    Fill ``tensor`` in place with N(0, std^2), std = gain / sqrt(fan) (He et al.), gain and fan
    as in kaiming_uniform_; return it."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return _no_grad_normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity),
                            generator)
