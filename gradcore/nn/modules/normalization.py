"""LayerNorm, RMSNorm, GroupNorm, LocalResponseNorm."""
import numbers

from ...ops import factories
from ...ops.normalization import group_norm, layer_norm, local_response_norm, rms_norm
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["LayerNorm", "RMSNorm", "GroupNorm", "LocalResponseNorm"]

def _affine_parameters(module, shape, affine, bias, device, dtype):
    """A norm layer's ``weight`` and ``bias`` (parameters of ``shape``, bias only with
    ``bias``), registered as None without ``affine``; reset_parameters fills them."""
    kw = {"device": device, "dtype": dtype}
    module.register_parameter("weight", Parameter(factories.empty(shape, **kw)) if affine
                              else None)
    module.register_parameter("bias", Parameter(factories.empty(shape, **kw))
                              if affine and bias else None)


def _reset_affine(module):
    """weight to ones, bias to zeros (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None,
    dtype=None)

    Normalizes each sample over its trailing ``normalized_shape`` dims, then scales and
    shifts: ``y = (x - mean) / sqrt(var + eps) * weight + bias`` (var biased).

    Args:
        normalized_shape: the trailing dims to normalize over (an int for the last dim).
        eps: added to the variance for stability. Default: 1e-5.
        elementwise_affine: whether to learn ``weight`` (and ``bias``). Default: True.
        bias: whether to learn ``bias`` (with elementwise_affine). Default: True.
        device: the device of the parameters. Default: the default device.
        dtype: the dtype of the parameters. Default: the default dtype.

    Shape:
        (*, *normalized_shape) -> the same shape.

    Attributes:
        weight: normalized_shape, initialised to ones; None without elementwise_affine.
        bias: normalized_shape, initialised to zeros; None without it or with ``bias=False``.

    Example:
        >>> m = nn.LayerNorm(4)
        >>> m(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        tensor([[-1.3416, -0.4472,  0.4472,  1.3416]],
               grad_fn=<NativeLayerNormBackward0>)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """RMSNorm(normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None)

    Root-mean-square normalization over the trailing ``normalized_shape`` dims:
    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape: the trailing dims to normalize over (an int for the last dim).
        eps: added to the mean square; None: the input dtype's machine epsilon. Default: None.
        elementwise_affine: whether to learn ``weight``. Default: True.
        device: the device of the parameter. Default: the default device.
        dtype: the dtype of the parameter. Default: the default dtype.

    Shape:
        (*, *normalized_shape) -> the same shape.

    Attributes:
        weight: normalized_shape, initialised to ones; None without elementwise_affine.

    Example:
        >>> m = nn.RMSNorm([2, 3])
        >>> m(torch.randn(4, 2, 3)).shape
        gradcore.Size([4, 2, 3])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(factories.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """GroupNorm(num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None, *,
    bias=True)

    Splits the channels into ``num_groups`` groups and normalizes each group of each sample
    by its mean and biased variance, then scales and shifts per channel.

    Args:
        num_groups: the number of groups (it must divide num_channels).
        num_channels: C, the number of channels.
        eps: added to the variance for stability. Default: 1e-5.
        affine: whether to learn ``weight`` and ``bias`` per channel. Default: True.
        device: the device of the parameters. Default: the default device.
        dtype: the dtype of the parameters. Default: the default dtype.
        bias: (keyword only) whether to learn ``bias`` (with affine). Default: True.

    Shape:
        (N, C, *) -> the same shape.

    Attributes:
        weight: (C,), initialised to ones; None without affine.
        bias: (C,), initialised to zeros; None without affine or with ``bias=False``.

    Example:
        >>> m = nn.GroupNorm(3, 6)
        >>> m(torch.randn(20, 6, 10, 10)).shape
        gradcore.Size([20, 6, 10, 10])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, num_channels, affine, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """LocalResponseNorm(size, alpha=0.0001, beta=0.75, k=1.0)

    Normalizes each value by the energy of its ``size`` neighbouring channels:
    ``y = x / (k + alpha / size * sum(x^2 over the window))^beta``.

    Args:
        size: the number of neighbouring channels in the window.
        alpha: the multiplicative factor. Default: 0.0001.
        beta: the exponent. Default: 0.75.
        k: the additive factor. Default: 1.

    Shape:
        (N, C, *) -> the same shape (3 or more dims).

    Example:
        >>> m = nn.LocalResponseNorm(2)
        >>> m(torch.randn(32, 5, 24, 24)).shape
        gradcore.Size([32, 5, 24, 24])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
