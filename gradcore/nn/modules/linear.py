"""Linear, Identity, Flatten, Unflatten, Bilinear."""
import math

from ...ops import factories
from ...ops.distance import bilinear
from ...ops.normalization import linear
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["Linear", "Identity", "Flatten", "Unflatten", "Bilinear"]

class Identity(Module):
    """Identity(*args, **kwargs)

    A placeholder layer: forward returns its input unchanged (the same tensor).

    Args:
        *args, **kwargs: accepted and ignored (so it can stand in for any layer).

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Identity(54, unused_argument=0.1)
        >>> x = torch.randn(3, 5)
        >>> m(x) is x
        True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Linear(in_features, out_features, bias=True, device=None, dtype=None)

    An affine map of the last dim: ``y = x @ weight.T + bias``.

    Args:
        in_features: the size of each input sample (the last dim of the input).
        out_features: the size of each output sample.
        bias: whether to learn an additive bias. Default: True.
        device: the device of the parameters. Default: the default device.
        dtype: the dtype of the parameters. Default: the default dtype.

    Shape:
        (*, in_features) -> (*, out_features); * is any number of leading dims, or none.

    Attributes:
        weight: (out_features, in_features), kaiming_uniform_(a=sqrt(5)), which is
            U(-k, k) with k = 1 / sqrt(in_features).
        bias: (out_features,), U(-k, k); None when ``bias=False``.

    Example:
        >>> m = nn.Linear(20, 30)
        >>> m(torch.randn(128, 20)).shape
        gradcore.Size([128, 30])
        >>> m.weight.shape
        gradcore.Size([30, 20])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(factories.empty((out_features, in_features), device=device,
                                                dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # ``self.weight`` costs a Module.__getattr__ frame: read the table itself unless
        # something shadows it (an instance attribute, as pruning sets, or a parametrization's
        # class property, which also takes the entry out of _parameters)
        d = self.__dict__
        p = d["_parameters"]
        if "weight" in p and "bias" in p and "weight" not in d and "bias" not in d:
            return linear(input, p["weight"], p["bias"])
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten(start_dim=1, end_dim=-1)

    Flattens the dims start_dim..end_dim (both included) into one; by default every dim but
    the first (the batch).  It returns a view where the input's strides allow.

    Args:
        start_dim: the first dim to flatten. Default: 1.
        end_dim: the last dim to flatten. Default: -1.

    Shape:
        (N, *dims) -> (N, prod(dims)) with the defaults.

    Example:
        >>> m = nn.Flatten()
        >>> m(torch.randn(32, 1, 5, 5)).shape
        gradcore.Size([32, 25])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Unflatten(dim, unflattened_size)

    Splits the dim ``dim`` into several dims of sizes ``unflattened_size`` (the inverse of
    Flatten); one size may be -1 (inferred).

    Args:
        dim: the dim to split.
        unflattened_size: a tuple or list of ints whose product is the size of ``dim``.

    Shape:
        (*, S, *) -> (*, U1, ..., Un, *) with U1 * ... * Un = S.

    Example:
        >>> m = nn.Unflatten(1, (2, 5))
        >>> m(torch.randn(3, 10)).shape
        gradcore.Size([3, 2, 5])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of "
                                f"type {type(elem).__name__} at pos {idx}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Bilinear(Module):
    """Bilinear(in1_features, in2_features, out_features, bias=True, device=None, dtype=None)

    A bilinear map of two inputs: ``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``.

    Args:
        in1_features: the size of each sample of the first input (> 0).
        in2_features: the size of each sample of the second input.
        out_features: the size of each output sample.
        bias: whether to learn an additive bias. Default: True.
        device: the device of the parameters. Default: the default device.
        dtype: the dtype of the parameters. Default: the default dtype.

    Shape:
        input1 (*, in1_features), input2 (*, in2_features) with the same * ->
        (*, out_features).

    Attributes:
        weight: (out_features, in1_features, in2_features), U(-k, k) with
            k = 1 / sqrt(in1_features).
        bias: (out_features,), U(-k, k); None when ``bias=False``.

    Example:
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(torch.randn(128, 20), torch.randn(128, 30)).shape
        gradcore.Size([128, 40])
    """
    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(factories.empty((out_features, in1_features, in2_features),
                                                device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features="
                             f"{self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
