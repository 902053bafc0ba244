"""Conv2d (PyTorch's attributes, initialisation, padding modes and repr)."""
import math

import numpy as np

from ...ops import factories
from ...ops.conv import conv2d
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["Conv2d"]

def _pair(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x, x)


def _pad_index(shape, dim, before, after, mode):
    """Where each row along ``dim`` of an input padded by ``mode`` comes from."""
    n = shape[dim]
    i = np.arange(-before, n + after)
    if mode == "reflect":
        if before >= n or after >= n:
            raise RuntimeError(f"Argument #{4 if dim == -1 else 6}: Padding size should be less "
                               f"than the corresponding input dimension, but got: padding "
                               f"({before}, {after}) at dimension {len(shape) + dim} of input "
                               f"{list(shape)}")
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if before > n or after > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    return i % n  # circular


def _pad(input, pads, mode):
    """F.pad(input, pads, mode) for the last two dims, pads = (left, right, top, bottom)."""
    shape = input.shape
    index = [(dim, _pad_index(shape, dim, before, after, mode))
             for dim, (before, after) in ((-1, pads[:2]), (-2, pads[2:]))]
    for dim, idx in index:
        input = input.index_select(dim, factories.tensor(idx, device=input.device))
    return input


class Conv2d(Module):
    """Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None)

    A 2-D convolution (cross-correlation, as in PyTorch) over a (N, C, H, W) or (C, H, W)
    input: ``y[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]`` (``*``: 2-D cross-correlation).

    Args:
        in_channels: C_in, the number of input channels.
        out_channels: C_out, the number of output channels.
        kernel_size: the kernel's (kH, kW), or one int for both.
        stride: the step between windows, an int or a pair. Default: 1.
        padding: added on each side, an int or a pair, or ``'valid'`` (none) or ``'same'``
            (output as large as the input; stride 1 only). Default: 0.
        dilation: the spacing between kernel elements, an int or a pair. Default: 1.
        groups: split the channels into this many groups convolved separately. Default: 1.
        bias: whether to learn an additive bias per output channel. Default: True.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Default: ``'zeros'``.
        device: the device of the parameters. Default: the default device.
        dtype: the dtype of the parameters. Default: the default dtype.

    Shape:
        (N, C_in, H, W) -> (N, C_out, H_out, W_out) (or without N), with
        H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]
        + 1), and W_out the same with the second entries.

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), kaiming_uniform_(a=sqrt(5)),
            which is U(-k, k) with k = 1 / sqrt(in_channels / groups * kH * kW).
        bias: (out_channels,), U(-k, k); None when ``bias=False``.

    Example:
        >>> m = nn.Conv2d(3, 8, 3, padding=1)
        >>> m(torch.randn(2, 3, 32, 32)).shape
        gradcore.Size([2, 8, 32, 32])
        >>> nn.Conv2d(3, 8, (3, 5), stride=2)(torch.randn(2, 3, 32, 32)).shape
        gradcore.Size([2, 8, 15, 14])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        kernel_size, stride, dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        padding = padding if isinstance(padding, str) else _pair(padding)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._reversed_padding()
        self.weight = Parameter(factories.empty(
            (out_channels, in_channels // groups) + kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _reversed_padding(self):
        """(left, right, top, bottom), as F.pad takes them; 'same' puts the odd one after."""
        if isinstance(self.padding, str):
            pads = [0, 0, 0, 0]
            if self.padding == "same":
                for i, (d, k) in zip((1, 0), zip(self.dilation, self.kernel_size)):
                    total = d * (k - 1)
                    pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
            return pads
        ph, pw = self.padding
        return (pw, pw, ph, ph)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            return conv2d(_pad(input, self._reversed_padding_repeated_twice, self.padding_mode),
                          weight, bias, self.stride, (0, 0), self.dilation, self.groups)
        return conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
