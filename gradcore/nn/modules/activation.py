"""Activation modules: ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax."""
from .. import functional as F
from ..module import Module


__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]

class ReLU(Module):
    """ReLU(inplace=False)

    The rectified linear unit, elementwise: ``y = max(x, 0)``.

    Args:
        inplace: write the result into the input instead of a new tensor. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.ReLU()
        >>> m(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """LeakyReLU(negative_slope=0.01, inplace=False)

    A ReLU with a small slope for negative inputs, elementwise:
    ``y = x if x >= 0 else negative_slope * x``.

    Args:
        negative_slope: the slope for x < 0. Default: 0.01.
        inplace: write the result into the input instead of a new tensor. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.LeakyReLU(0.1)
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                            else "")


class GELU(Module):
    """GELU(approximate='none')

    The Gaussian error linear unit, elementwise: ``y = x * Phi(x)``, Phi the standard normal
    CDF; ``'tanh'``: ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``.

    Args:
        approximate: ``'none'`` (the exact erf form) or ``'tanh'``. Default: ``'none'``.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.GELU()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """Sigmoid()

    The logistic function, elementwise: ``y = 1 / (1 + exp(-x))``.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Sigmoid()
        >>> m(torch.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Tanh()

    The hyperbolic tangent, elementwise: ``y = (exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Tanh()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """

    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    """Softmax(dim=None)

    Rescales along ``dim`` to probabilities that sum to 1: ``y_i = exp(x_i) / sum_j exp(x_j)``.

    Args:
        dim: the dim to normalize over. Default: None, deprecated: it warns and takes 0 for
            0-, 1- and 3-D input, else 1 (as PyTorch); pass it.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Softmax(dim=1)
        >>> m(torch.zeros(2, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500],
                [0.2500, 0.2500, 0.2500, 0.2500]])
    """

    fn = staticmethod(F.softmax)

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return self.fn(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """LogSoftmax(dim=None)

    The log of Softmax along ``dim``, computed stably: ``y_i = x_i - log(sum_j exp(x_j))``;
    what NLLLoss takes as input.

    Args:
        dim: the dim to normalize over. Default: None, deprecated (as in Softmax); pass it.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.LogSoftmax(dim=1)
        >>> m(torch.zeros(1, 4))
        tensor([[-1.3863, -1.3863, -1.3863, -1.3863]])
    """

    fn = staticmethod(F.log_softmax)
