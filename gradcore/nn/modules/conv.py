"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (PyTorch's attributes, initialisation, padding
modes and repr)."""
import math

from ...ops import factories
from ...ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,
                         conv_transpose3d)
from ...ops.resample import pad
from .. import init
from ..module import Module
from ..parameter import Parameter


__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]


def _ntuple(x, n):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n


def _pair(x):
    return _ntuple(x, 2)


class _ConvNd(Module):
    """What Conv1d/2d/3d and ConvTranspose1d/2d/3d share: arguments, parameters, init, repr."""
    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):
        super().__init__()
        n = self._dims
        kernel_size, stride = _ntuple(kernel_size, n), _ntuple(stride, n)
        dilation = _ntuple(dilation, n)
        padding = padding if isinstance(padding, str) else _ntuple(padding, n)
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
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._reversed_padding()
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(factories.empty(shape + kernel_size, device=device,
                                                dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _reversed_padding(self):
        """The padding as F.pad takes it (last dim first); 'same' puts the odd one after."""
        if isinstance(self.padding, str):
            pads = [0, 0] * self._dims
            if self.padding == "same":
                for i, (d, k) in zip(range(self._dims - 1, -1, -1),
                                     zip(self.dilation, self.kernel_size)):
                    total = d * (k - 1)
                    pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
            return pads
        return tuple(p for v in reversed(self.padding) for p in (v, v))

    def reset_parameters(self):
        """Re-draw weight (kaiming_uniform_, a = sqrt(5)) and bias (U(-1/sqrt(fan_in), ..))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

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


class _Conv(_ConvNd):
    """The forward of Conv1d/2d/3d: padding_mode through F.pad (PyTorch's pad nodes:
    ReflectionPad2DBackward0 ...), then the convolution."""
    _conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        conv = type(self)._conv
        if self.padding_mode != "zeros":
            return conv(pad(input, self._reversed_padding_repeated_twice, self.padding_mode),
                        weight, bias, self.stride, (0,) * self._dims, self.dilation,
                        self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv2d(_Conv):
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

    _dims = 2
    _conv = staticmethod(conv2d)


class Conv1d(_Conv):
    """Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None)

    A 1-D convolution (cross-correlation) over a (N, C, L) or (C, L) input:
    ``y[n, o] = bias[o] + sum_c weight[o, c] * x[n, c]``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
        padding_mode, device, dtype: as Conv2d's, with one int per spatial dim.

    Shape:
        (N, C_in, L) -> (N, C_out, L_out) (or without N), with
        L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1).

    Attributes:
        weight: (out_channels, in_channels / groups, kL), U(-k, k) with
            k = 1 / sqrt(in_channels / groups * kL).
        bias: (out_channels,), U(-k, k); None when ``bias=False``.

    Example:
        >>> nn.Conv1d(16, 33, 3, stride=2)(torch.randn(20, 16, 50)).shape
        gradcore.Size([20, 33, 24])
    """
    _dims = 1
    _conv = staticmethod(conv1d)


class Conv3d(_Conv):
    """Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True, padding_mode='zeros', device=None, dtype=None)

    A 3-D convolution (cross-correlation) over a (N, C, D, H, W) or (C, D, H, W) input.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
        padding_mode, device, dtype: as Conv2d's, with three ints per tuple.

    Shape:
        (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out) (or without N), each output size
        floor((n + 2 * padding - dilation * (k - 1) - 1) / stride + 1).

    Attributes:
        weight: (out_channels, in_channels / groups, kD, kH, kW), U(-k, k) with
            k = 1 / sqrt(in_channels / groups * kD * kH * kW).
        bias: (out_channels,), U(-k, k); None when ``bias=False``.

    Example:
        >>> nn.Conv3d(4, 8, 3, padding=1)(torch.randn(2, 4, 5, 6, 7)).shape
        gradcore.Size([2, 8, 5, 6, 7])
    """
    _dims = 3
    _conv = staticmethod(conv3d)


class _ConvTransposeNd(_ConvNd):
    """The forward of ConvTranspose1d/2d/3d: output_padding (or output_size) and the
    transposed convolution."""
    _transposed = True
    _conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f"{self.__class__.__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def _output_padding(self, input, output_size, stride, padding, kernel_size,
                        num_spatial_dims, dilation=None):
        """The output_padding that makes the output ``output_size`` (PyTorch's checks)."""
        if output_size is None:
            return tuple(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        output_size = list(output_size)
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, "
                             f"output_size must have {num_spatial_dims} or "
                             f"{num_non_spatial_dims + num_spatial_dims} elements (got "
                             f"{len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1)
                        * (kernel_size[d] - 1) + 1)
            min_sizes.append(dim_size)
            max_sizes.append(dim_size + stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {min_sizes} to {max_sizes} (for an input of "
                                 f"torch.Size({list(input.shape[2:])}))")
        return tuple(s - lo for s, lo in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for "
                             f"{self.__class__.__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, self._dims, self.dilation)
        return type(self)._conv(input, self.weight, self.bias, self.stride, self.padding,
                                output_padding, self.groups, self.dilation)


_TRANSPOSE_DOC = """ConvTranspose{n}d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None,
    dtype=None)

    A {n}-D transposed convolution ("deconvolution") over a {shape} input: the gradient
    of Conv{n}d with respect to its input, so Conv{n}d's output sizes map back.

    Args:
        in_channels: C_in, the number of input channels.
        out_channels: C_out, the number of output channels.
        kernel_size: the kernel's size, an int or {n} ints.
        stride: the step between windows. Default: 1.
        padding: ``dilation * (kernel_size - 1) - padding`` zeros added on each side of the
            input. Default: 0.
        output_padding: extra size added on one side of each output dim (less than stride
            or dilation). Default: 0.
        groups: split the channels into this many groups. Default: 1.
        bias: whether to learn an additive bias. Default: True.
        dilation: the spacing between kernel elements. Default: 1.
        padding_mode: only ``'zeros'``.
        device, dtype: of the parameters.

    Shape:
        {shape} -> (N, C_out, ...) with each output size
        (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1; forward's
        ``output_size`` picks the output_padding that gives that size.

    Attributes:
        weight: (in_channels, out_channels / groups, *kernel_size), U(-k, k) with
            k = 1 / sqrt(out_channels / groups * prod(kernel_size)).
        bias: (out_channels,), U(-k, k); None when ``bias=False``.

    Example:
        >>> m = nn.ConvTranspose{n}d(4, 2, 3, stride=2)
        >>> m(torch.randn({example})).shape
        gradcore.Size([{result}])
    """


class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = _TRANSPOSE_DOC.format(n=1, shape="(N, C_in, L) or (C_in, L)",
                                    example="1, 4, 5", result="1, 2, 11")
    _dims = 1
    _conv = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = _TRANSPOSE_DOC.format(n=2, shape="(N, C_in, H, W) or (C_in, H, W)",
                                    example="1, 4, 5, 6", result="1, 2, 11, 13")
    _dims = 2
    _conv = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = _TRANSPOSE_DOC.format(n=3, shape="(N, C_in, D, H, W) or (C_in, D, H, W)",
                                    example="1, 4, 2, 3, 4", result="1, 2, 5, 7, 9")
    _dims = 3
    _conv = staticmethod(conv_transpose3d)
