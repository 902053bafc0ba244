"""LayerNorm: normalize over the trailing ``normalized_shape`` dims, then scale and shift."""
import numbers

from ...ops import factories
from ...ops.normalization import layer_norm
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["LayerNorm"]

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
        if elementwise_affine:
            self.weight = Parameter(factories.empty(self.normalized_shape, device=device,
                                                    dtype=dtype))
            if bias:
                self.bias = Parameter(factories.empty(self.normalized_shape, device=device,
                                                      dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
