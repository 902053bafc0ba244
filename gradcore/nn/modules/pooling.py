"""The pooling layers: max / avg pools in 1, 2 and 3 dims, max unpooling, adaptive max and avg
pools, power-average pools, fractional max pools (PyTorch's arguments and reprs)."""
from ...ops import conv as F, fractional_pool
from ...ops.conv import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..module import Module


__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "AdaptiveMaxPool1d",
           "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d",
           "FractionalMaxPool3d"]


def _ntuple(x, n):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n

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


class MaxPool1d(MaxPool2d):
    """MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)

    1-D max pooling over a (N, C, L) or (C, L) input; the arguments as MaxPool2d's, one int
    each.

    Shape:
        (N, C, L) -> (N, C, L_out), L_out = floor((L + 2 * padding - dilation *
        (kernel_size - 1) - 1) / stride + 1) (ceil in ceil_mode).

    Example:
        >>> nn.MaxPool1d(2)(torch.arange(6.0).view(1, 1, 6))
        tensor([[[1., 3., 5.]]])
    """

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool3d(MaxPool2d):
    """MaxPool3d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)

    3-D max pooling over a (N, C, D, H, W) or (C, D, H, W) input; the arguments as
    MaxPool2d's, an int or three ints each (indices: flat in each D * H * W volume).

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), each as MaxPool2d's.

    Example:
        >>> nn.MaxPool3d(2)(torch.randn(2, 3, 4, 6, 8)).shape
        gradcore.Size([2, 3, 2, 3, 4])
    """

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)

    1-D average pooling over a (N, C, L) or (C, L) input.

    Args:
        kernel_size: the window's length.
        stride: the step between windows. Default: kernel_size.
        padding: implicit zero padding on each side, at most half the kernel. Default: 0.
        ceil_mode: round the output size up instead of down. Default: False.
        count_include_pad: count the padding zeros in the divisor. Default: True.

    Shape:
        (N, C, L) -> (N, C, L_out), L_out = floor((L + 2 * padding - kernel_size) / stride + 1).

    Example:
        >>> nn.AvgPool1d(2)(torch.arange(6.0).view(1, 1, 6))
        tensor([[[0.5000, 2.5000, 4.5000]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(AvgPool2d):
    """AvgPool3d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None)

    3-D average pooling over a (N, C, D, H, W) or (C, D, H, W) input; the arguments as
    AvgPool2d's, an int or three ints each.

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), each as AvgPool2d's.

    Example:
        >>> nn.AvgPool3d(2)(torch.randn(2, 3, 4, 6, 8)).shape
        gradcore.Size([2, 3, 2, 3, 4])
    """

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _MaxUnpoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._dims
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """MaxUnpool1d(kernel_size, stride=None, padding=0)

    The partial inverse of MaxPool1d: forward(input, indices, output_size=None) puts each
    value where MaxPool1d's indices say, zeros elsewhere.

    Args:
        kernel_size, stride, padding: those of the MaxPool1d (stride defaults to kernel_size).

    Shape:
        (N, C, L_in) -> (N, C, L_out), L_out = (L_in - 1) * stride - 2 * padding + kernel_size
        or output_size.

    Example:
        >>> y, i = nn.MaxPool1d(2, return_indices=True)(torch.tensor([[[1., 3., 2., 0.]]]))
        >>> nn.MaxUnpool1d(2)(y, i)
        tensor([[[0., 3., 2., 0.]]])
    """
    _dims = 1

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """MaxUnpool2d(kernel_size, stride=None, padding=0)

    The partial inverse of MaxPool2d: forward(input, indices, output_size=None) puts each
    value where MaxPool2d's indices say, zeros elsewhere.

    Args:
        kernel_size, stride, padding: those of the MaxPool2d (stride defaults to kernel_size).

    Shape:
        (N, C, H_in, W_in) -> (N, C, H_out, W_out), H_out = (H_in - 1) * stride[0] - 2 *
        padding[0] + kernel_size[0] (W_out alike), or output_size.

    Example:
        >>> y, i = nn.MaxPool2d(2, return_indices=True)(torch.randn(1, 1, 4, 4))
        >>> nn.MaxUnpool2d(2)(y, i).shape
        gradcore.Size([1, 1, 4, 4])
    """
    _dims = 2

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """MaxUnpool3d(kernel_size, stride=None, padding=0)

    The partial inverse of MaxPool3d: forward(input, indices, output_size=None) puts each
    value where MaxPool3d's indices say, zeros elsewhere.

    Args:
        kernel_size, stride, padding: those of the MaxPool3d (stride defaults to kernel_size).

    Shape:
        (N, C, D_in, H_in, W_in) -> (N, C, D_out, H_out, W_out), D_out = (D_in - 1) *
        stride[0] - 2 * padding[0] + kernel_size[0] (H_out, W_out alike), or output_size.

    Example:
        >>> y, i = nn.MaxPool3d(2, return_indices=True)(torch.randn(1, 1, 4, 4, 4))
        >>> nn.MaxUnpool3d(2)(y, i).shape
        gradcore.Size([1, 1, 4, 4, 4])
    """
    _dims = 3

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _AdaptiveMaxPoolNd(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool1d(output_size, return_indices=False)

    1-D max pooling of a (N, C, L) or (C, L) input to length output_size (window i covers
    floor(i * L / L_out) .. ceil((i + 1) * L / L_out) - 1).

    Args:
        output_size: L_out.
        return_indices: forward returns (output, indices). Default: False.

    Shape:
        (N, C, L) -> (N, C, L_out).

    Example:
        >>> nn.AdaptiveMaxPool1d(2)(torch.tensor([[[1., 5., 2., 0., 3.]]]))
        tensor([[[5., 3.]]])
    """

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool2d(output_size, return_indices=False)

    2-D max pooling of a (N, C, H, W) or (C, H, W) input to a fixed output size, the windows
    as AdaptiveAvgPool2d's.

    Args:
        output_size: (H_out, W_out), or one int for both; None keeps that size.
        return_indices: forward returns (output, indices, flat in each H * W plane).
            Default: False.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> nn.AdaptiveMaxPool2d((2, None))(torch.randn(1, 3, 7, 5)).shape
        gradcore.Size([1, 3, 2, 5])
    """

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """AdaptiveMaxPool3d(output_size, return_indices=False)

    3-D max pooling of a (N, C, D, H, W) or (C, D, H, W) input to a fixed output size, the
    windows as AdaptiveAvgPool3d's.

    Args:
        output_size: (D_out, H_out, W_out), or one int for all; None keeps that size.
        return_indices: forward returns (output, indices, flat in each D * H * W volume).
            Default: False.

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> nn.AdaptiveMaxPool3d((2, None, 3))(torch.randn(1, 2, 5, 4, 7)).shape
        gradcore.Size([1, 2, 2, 4, 3])
    """

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """AdaptiveAvgPool1d(output_size)

    1-D average pooling of a (N, C, L) or (C, L) input to length output_size (window i
    averages floor(i * L / L_out) .. ceil((i + 1) * L / L_out) - 1).

    Args:
        output_size: L_out.

    Shape:
        (N, C, L) -> (N, C, L_out).

    Example:
        >>> nn.AdaptiveAvgPool1d(2)(torch.tensor([[[1., 5., 2., 0.]]]))
        tensor([[[3., 1.]]])
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """AdaptiveAvgPool3d(output_size)

    3-D average pooling of a (N, C, D, H, W) or (C, D, H, W) input to a fixed output size,
    the windows as AdaptiveAvgPool2d's along each dim.

    Args:
        output_size: (D_out, H_out, W_out), or one int for all; None keeps that size.

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> nn.AdaptiveAvgPool3d((2, None, 3))(torch.randn(1, 2, 5, 4, 7)).shape
        gradcore.Size([1, 2, 2, 4, 3])
    """

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """LPPool1d(norm_type, kernel_size, stride=None, ceil_mode=False)

    1-D power-average pooling of a (N, C, L) or (C, L) input: (sum of x ** p over each
    window) ** (1 / p), p = norm_type (inf: max pooling of |x|).

    Args:
        norm_type: p.
        kernel_size: the window's length.
        stride: the step between windows. Default: kernel_size.
        ceil_mode: round the output size up. Default: False.

    Shape:
        (N, C, L) -> (N, C, L_out), L_out = floor((L - kernel_size) / stride + 1).

    Example:
        >>> nn.LPPool1d(2, 2)(torch.tensor([[[3., 4., 0., 1.]]]))
        tensor([[[5., 1.]]])
    """

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False)

    2-D power-average pooling of a (N, C, H, W) or (C, H, W) input: (sum of x ** p over
    each window) ** (1 / p), p = norm_type (inf: max pooling of |x|).

    Args:
        norm_type: p.
        kernel_size: the window's (kH, kW), or one int for both.
        stride: the step between windows. Default: kernel_size.
        ceil_mode: round the output size up. Default: False.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> nn.LPPool2d(2, 2)(torch.randn(1, 3, 8, 8)).shape
        gradcore.Size([1, 3, 4, 4])
    """

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """LPPool3d(norm_type, kernel_size, stride=None, ceil_mode=False)

    3-D power-average pooling of a (N, C, D, H, W) or (C, D, H, W) input: (sum of x ** p
    over each window) ** (1 / p), p = norm_type (inf: max pooling of |x|).

    Args:
        norm_type: p.
        kernel_size: the window's (kD, kH, kW), or one int for all.
        stride: the step between windows. Default: kernel_size.
        ceil_mode: round the output size up. Default: False.

    Shape:
        (N, C, D, H, W) -> (N, C, D_out, H_out, W_out).

    Example:
        >>> nn.LPPool3d(2, 2)(torch.randn(1, 3, 4, 8, 8)).shape
        gradcore.Size([1, 3, 2, 4, 4])
    """

    def forward(self, input):
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                           self.ceil_mode)


class _FractionalMaxPoolNd(Module):
    _dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        n, name = self._dims, type(self).__name__
        if n == 3 and (isinstance(kernel_size, int) and kernel_size <= 0 or isinstance(
                kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _ntuple(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _ntuple(output_size, n) if output_size is not None else None
        self.output_ratio = _ntuple(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = (fractional_pool.fractional_max_pool2d if self._dims == 2
              else fractional_pool.fractional_max_pool3d)
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """FractionalMaxPool2d(kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None)

    Fractional max pooling (Graham, 2014) of a (N, C, H, W) or (C, H, W) input: kernel_size
    windows at pseudo-random steps, one random placement per plane and call.

    Args:
        kernel_size: the window's (kH, kW), or one int for both.
        output_size: (H_out, W_out), or one int for both.
        output_ratio: the output size as a fraction of the input's, in (0, 1) (instead of
            output_size).
        return_indices: forward returns (output, indices). Default: False.
        _random_samples: fixed (N, C, 2) samples in [0, 1) placing the windows (a buffer);
            drawn at each call when None.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> nn.FractionalMaxPool2d(3, output_ratio=0.5)(torch.randn(1, 2, 10, 8)).shape
        gradcore.Size([1, 2, 5, 4])
    """
    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """FractionalMaxPool3d(kernel_size, output_size=None, output_ratio=None,
    return_indices=False, _random_samples=None)

    Fractional max pooling of a (N, C, T, H, W) or (C, T, H, W) input, as
    FractionalMaxPool2d's with (N, C, 3) samples.

    Args:
        kernel_size: the window's (kT, kH, kW), or one int for all.
        output_size: (T_out, H_out, W_out), or one int for all.
        output_ratio: the output size as a fraction of the input's, in (0, 1).
        return_indices: forward returns (output, indices). Default: False.
        _random_samples: fixed (N, C, 3) samples in [0, 1) (a buffer); drawn when None.

    Shape:
        (N, C, T, H, W) -> (N, C, T_out, H_out, W_out).

    Example:
        >>> nn.FractionalMaxPool3d(2, output_size=3)(torch.randn(1, 2, 6, 6, 6)).shape
        gradcore.Size([1, 2, 3, 3, 3])
    """
    _dims = 3
