"""Conv2d (PyTorch's attributes, initialisation, padding modes and repr)."""
import math

import numpy as np

from ...ops import factories
from ...ops.conv import conv2d
from .. import init
from ..module import Module
from ..parameter import Parameter


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
    """2-D convolution over (N, C, H, W) or (C, H, W) inputs, as torch.nn.Conv2d.

    weight: (out_channels, in_channels / groups, kh, kw) ~ kaiming_uniform_(a=sqrt(5));
    bias: (out_channels,) ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""

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
