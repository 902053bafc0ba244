"""MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (PyTorch's arguments and reprs)."""
from ...ops.conv import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..module import Module


__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]

class MaxPool2d(Module):
    """MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)

    2-D max pooling over a (N, C, H, W) or (C, H, W) input: each output element is the
    maximum of a kernel_size window of its channel (padding counts as -inf).

    Args:
        kernel_size: the window's (kH, kW), or one int for both.
        stride: the step between windows, an int or a pair. Default: kernel_size.
        padding: implicit -inf padding on each side, at most half the kernel. Default: 0.
        dilation: the spacing between window elements. Default: 1.
        return_indices: forward returns (output, indices), the flat H * W index of each
            maximum in its channel. Default: False.
        ceil_mode: round the output size up instead of down. Default: False.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out) (or without N), with
        H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride + 1) (ceil in
        ceil_mode), and W_out alike.

    Example:
        >>> m = nn.MaxPool2d(2)
        >>> m(torch.arange(16.0).view(1, 1, 4, 4))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None)

    2-D average pooling over a (N, C, H, W) or (C, H, W) input: each output element is the
    mean of a kernel_size window of its channel.

    Args:
        kernel_size: the window's (kH, kW), or one int for both.
        stride: the step between windows, an int or a pair. Default: kernel_size.
        padding: implicit zero padding on each side, at most half the kernel. Default: 0.
        ceil_mode: round the output size up instead of down. Default: False.
        count_include_pad: count the padding zeros in the divisor. Default: True.
        divisor_override: divide every window's sum by this instead. Default: None.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out) (or without N), with
        H_out = floor((H + 2 * padding - kH) / stride + 1) (ceil in ceil_mode), and W_out alike.

    Example:
        >>> m = nn.AvgPool2d(2)
        >>> m(torch.arange(16.0).view(1, 1, 4, 4))
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """AdaptiveAvgPool2d(output_size)

    2-D average pooling to a fixed output size over a (N, C, H, W) or (C, H, W) input: the
    windows are chosen to tile the input (output row i averages rows floor(i * H / H_out) to
    ceil((i + 1) * H / H_out) - 1).

    Args:
        output_size: (H_out, W_out), or one int for both; None in the pair keeps that size.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out) (or without N).

    Example:
        >>> m = nn.AdaptiveAvgPool2d(1)
        >>> m(torch.randn(2, 16, 7, 7)).shape
        gradcore.Size([2, 16, 1, 1])
        >>> nn.AdaptiveAvgPool2d((None, 3))(torch.randn(2, 16, 7, 9)).shape
        gradcore.Size([2, 16, 7, 3])
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
