"""Activation modules: ReLU, LeakyReLU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax and the rest
of torch.nn's (SiLU ... Hardshrink): thin wrappers over nn.functional; PReLU's slopes are a
parameter."""
import warnings

from ...ops import factories
from .. import functional as F
from .. import init as _init
from ..module import Module
from ..parameter import Parameter


__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "SiLU",
           "Mish", "Hardswish", "Hardsigmoid", "SELU", "ELU", "CELU", "Softplus", "Hardtanh",
           "ReLU6", "PReLU", "RReLU", "LogSigmoid", "Softmin", "Softmax2d", "Threshold", "GLU",
           "Tanhshrink", "Softsign", "Softshrink", "Hardshrink"]

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


# ---- the rest of torch.nn's activations ----------------------------------------------------

class _Inplace(Module):
    """An activation whose only argument is ``inplace``: ``fn(input, inplace)``."""
    __constants__ = ["inplace"]
    fn = None

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self).fn(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SiLU(_Inplace):
    """SiLU(inplace=False)

    The sigmoid linear unit (swish), elementwise: ``y = x * sigmoid(x)``.

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.SiLU()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    fn = staticmethod(F.silu)


class Mish(_Inplace):
    """Mish(inplace=False)

    Elementwise ``y = x * tanh(softplus(x))``.

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Mish()
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """
    fn = staticmethod(F.mish)


class Hardswish(_Inplace):
    """Hardswish(inplace=False)

    Elementwise ``y = x * relu6(x + 3) / 6`` (0 below -3, x above 3).

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Hardswish()
        >>> m(torch.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.0000,  0.6667,  4.0000])
    """
    fn = staticmethod(F.hardswish)

    def extra_repr(self):  # PyTorch's repr leaves inplace out
        return ""


class Hardsigmoid(_Inplace):
    """Hardsigmoid(inplace=False)

    Elementwise ``y = relu6(x + 3) / 6`` (0 below -3, 1 above 3).

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Hardsigmoid()
        >>> m(torch.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    fn = staticmethod(F.hardsigmoid)

    def extra_repr(self):  # PyTorch's repr leaves inplace out
        return ""


class SELU(_Inplace):
    """SELU(inplace=False)

    The scaled ELU, elementwise: ``y = scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))``,
    alpha = 1.6732632423543772848, scale = 1.0507009873554804934.

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.SELU()
        >>> m(torch.tensor([-1.0, 1.0]))
        tensor([-1.1113,  1.0507])
    """
    fn = staticmethod(F.selu)


class ELU(Module):
    """ELU(alpha=1.0, inplace=False)

    The exponential linear unit, elementwise: ``y = x if x > 0 else alpha * (exp(x) - 1)``.

    Args:
        alpha: the value the negative side saturates to (times -1). Default: 1.0.
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.ELU()
        >>> m(torch.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    __constants__ = ["alpha", "inplace"]
    fn = staticmethod(F.elu)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return type(self).fn(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """CELU(alpha=1.0, inplace=False)

    The continuously differentiable ELU, elementwise:
    ``y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        alpha: the alpha of the formula (not 0). Default: 1.0.
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.CELU()
        >>> m(torch.tensor([-1.0, 1.0]))
        tensor([-0.6321,  1.0000])
    """
    fn = staticmethod(F.celu)


class Softplus(Module):
    """Softplus(beta=1.0, threshold=20.0)

    A smooth ReLU, elementwise: ``y = log(1 + exp(beta * x)) / beta``, and ``y = x`` where
    ``beta * x > threshold`` (for numerical stability).

    Args:
        beta: the beta of the formula. Default: 1.0.
        threshold: above it the function is linear. Default: 20.0.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Softplus()
        >>> m(torch.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """Hardtanh(min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None)

    Elementwise clamping: ``y = min(max(x, min_val), max_val)``.

    Args:
        min_val: the lower bound. Default: -1.0.
        max_val: the upper bound (>= min_val). Default: 1.0.
        inplace: write the result into the input. Default: False.
        min_value: deprecated name of min_val (it warns). Default: None.
        max_value: deprecated name of max_val (it warns). Default: None.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Hardtanh(-2, 2)
        >>> m(torch.tensor([-3.0, 0.5, 3.0]))
        tensor([-2.0000,  0.5000,  2.0000])
    """
    __constants__ = ["min_val", "max_val", "inplace"]

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return (f"min_val={self.min_val}, max_val={self.max_val}" +
                (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """ReLU6(inplace=False)

    Elementwise ``y = min(max(0, x), 6)``: Hardtanh(0, 6).

    Args:
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.ReLU6()
        >>> m(torch.tensor([-1.0, 3.0, 7.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class PReLU(Module):
    """PReLU(num_parameters=1, init=0.25, device=None, dtype=None)

    A leaky ReLU with a learned slope: ``y = x if x >= 0 else a * x``, with one ``a`` shared
    or one per channel (dim 1 of the input).

    Args:
        num_parameters: the number of slopes: 1, or the number of input channels. Default: 1.
        init: the initial value of the slopes. Default: 0.25.
        device: the device of the weight. Default: the default device.
        dtype: the dtype of the weight. Default: the default dtype.

    Shape:
        (*) -> (*), the same shape; with num_parameters > 1 the input is (N, C, *) with
        C = num_parameters.

    Attributes:
        weight: (num_parameters,), filled with ``init``.

    Example:
        >>> m = nn.PReLU()
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-0.2500,  2.0000], grad_fn=<PreluKernelBackward0>)
    """
    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(factories.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """RReLU(lower=0.125, upper=0.3333333333333333, inplace=False)

    The randomized leaky ReLU: ``y = x if x >= 0 else a * x``; in training each element's
    ``a`` is drawn from U(lower, upper), in eval it is (lower + upper) / 2.

    Args:
        lower: the lower bound of the slope's distribution. Default: 1/8.
        upper: the upper bound of the slope's distribution. Default: 1/3.
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.RReLU(0.1, 0.3).eval()
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-0.2000,  2.0000])
    """
    __constants__ = ["lower", "upper", "inplace"]

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return (f"lower={self.lower}, upper={self.upper}" +
                (", inplace=True" if self.inplace else ""))


class LogSigmoid(Module):
    """LogSigmoid()

    Elementwise ``y = log(1 / (1 + exp(-x)))``, computed stably.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.LogSigmoid()
        >>> m(torch.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Softmin(Module):
    """Softmin(dim=None)

    Softmax of the negated input along ``dim``: ``y_i = exp(-x_i) / sum_j exp(-x_j)``.

    Args:
        dim: the dim to normalize over. Default: None, deprecated (as in Softmax); pass it.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Softmin(dim=0)
        >>> m(torch.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """
    __constants__ = ["dim"]

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax2d()

    Softmax over the channels at each spatial location: softmax along dim -3.

    Shape:
        (N, C, H, W) or (C, H, W) -> the same shape.

    Example:
        >>> m = nn.Softmax2d()
        >>> m(torch.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5000, 0.5000])
    """

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             f"instead")
        return F.softmax(input, -3, _stacklevel=5)


class Threshold(Module):
    """Threshold(threshold, value, inplace=False)

    Elementwise ``y = x if x > threshold else value``.

    Args:
        threshold: the value to threshold at.
        value: the value replacing the elements at or below the threshold.
        inplace: write the result into the input. Default: False.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Threshold(0.1, 20)
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([20.,  1.])
    """
    __constants__ = ["threshold", "value", "inplace"]

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return (f"threshold={self.threshold}, value={self.value}" +
                (", inplace=True" if self.inplace else ""))


class GLU(Module):
    """GLU(dim=-1)

    The gated linear unit: ``y = a * sigmoid(b)``, a and b the two halves of the input along
    ``dim``.

    Args:
        dim: the dim to split in half. Default: -1.

    Shape:
        (*, 2N, *) -> (*, N, *).

    Example:
        >>> m = nn.GLU()
        >>> m(torch.randn(4, 2)).shape
        gradcore.Size([4, 1])
    """
    __constants__ = ["dim"]

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Tanhshrink(Module):
    """Tanhshrink()

    Elementwise ``y = x - tanh(x)``.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Tanhshrink()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input):
        return F.tanhshrink(input)


class Softsign(Module):
    """Softsign()

    Elementwise ``y = x / (1 + |x|)``.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Softsign()
        >>> m(torch.tensor([1.0]))
        tensor([0.5000])
    """

    def forward(self, input):
        return F.softsign(input)


class Softshrink(Module):
    """Softshrink(lambd=0.5)

    Elementwise ``y = x - lambd if x > lambd, x + lambd if x < -lambd, else 0``.

    Args:
        lambd: the half-width of the dead zone (>= 0). Default: 0.5.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Softshrink()
        >>> m(torch.tensor([-1.0, 0.2, 1.0]))
        tensor([-0.5000,  0.0000,  0.5000])
    """
    __constants__ = ["lambd"]
    fn = staticmethod(F.softshrink)

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return type(self).fn(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    """Hardshrink(lambd=0.5)

    Elementwise ``y = x if |x| > lambd else 0``.

    Args:
        lambd: the half-width of the zeroed band. Default: 0.5.

    Shape:
        (*) -> (*), the same shape.

    Example:
        >>> m = nn.Hardshrink()
        >>> m(torch.tensor([-1.0, 0.2, 1.0]))
        tensor([-1.,  0.,  1.])
    """
    fn = staticmethod(F.hardshrink)
