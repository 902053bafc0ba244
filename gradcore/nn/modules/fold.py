"""Unfold/Fold, PixelShuffle/PixelUnshuffle, Upsample and the padding layers."""
import numbers

from ...ops import resample as R
from ..module import Module


__all__ = ["Unfold", "Fold", "PixelShuffle", "PixelUnshuffle", "Upsample",
           "UpsamplingNearest2d", "UpsamplingBilinear2d",
           "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
           "CircularPad1d", "CircularPad2d", "CircularPad3d"]


class Unfold(Module):
    """Unfold(kernel_size, dilation=1, padding=0, stride=1)

    Extracts the sliding local blocks of a batched image as columns (im2col).

    Args:
        kernel_size: the block's (kh, kw), or one int for both.
        dilation: the spacing between block elements. Default: 1.
        padding: zeros added on each side. Default: 0.
        stride: the step between blocks. Default: 1.

    Shape:
        (N, C, H, W) -> (N, C * kh * kw, L), L the number of blocks; or without N.

    Example:
        >>> nn.Unfold(kernel_size=(2, 3))(torch.randn(2, 5, 3, 4)).shape
        gradcore.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return R.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Fold(output_size, kernel_size, dilation=1, padding=0, stride=1)

    Sums columns of sliding local blocks back into a batched image (col2im): the inverse
    layout of Unfold, overlapping values added.

    Args:
        output_size: the image's (H, W), or one int for both.
        kernel_size, dilation, padding, stride: as Unfold's.

    Shape:
        (N, C * kh * kw, L) -> (N, C, H, W); or without N.

    Example:
        >>> nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(torch.randn(1, 12, 12)).shape
        gradcore.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return R.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class PixelShuffle(Module):
    """PixelShuffle(upscale_factor)

    Rearranges (*, C * r^2, H, W) into (*, C, H * r, W * r), r = upscale_factor.

    Args:
        upscale_factor: r.

    Shape:
        (*, C * r^2, H, W) -> (*, C, H * r, W * r).

    Example:
        >>> nn.PixelShuffle(3)(torch.randn(1, 9, 4, 4)).shape
        gradcore.Size([1, 1, 12, 12])
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return R.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """PixelUnshuffle(downscale_factor)

    The inverse of PixelShuffle: (*, C, H * r, W * r) into (*, C * r^2, H, W).

    Args:
        downscale_factor: r.

    Shape:
        (*, C, H * r, W * r) -> (*, C * r^2, H, W).

    Example:
        >>> nn.PixelUnshuffle(3)(torch.randn(1, 1, 12, 12)).shape
        gradcore.Size([1, 9, 4, 4])
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return R.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class Upsample(Module):
    """Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
    recompute_scale_factor=None)

    Resamples the spatial dims of (N, C, d1, ..., dK) input (F.interpolate as a layer).

    Args:
        size: the output's spatial size (an int or one per dim).
        scale_factor: the multiplier of the spatial size (a float or one per dim).
        mode: 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear'.
            Default: 'nearest'.
        align_corners: align the corner pixels (interpolating modes only). Default: None.
        recompute_scale_factor: compute the scale from the output size. Default: None.

    Shape:
        (N, C, d1, ..., dK) -> (N, C, o1, ..., oK).

    Example:
        >>> nn.Upsample(scale_factor=2, mode='bilinear')(torch.randn(1, 1, 2, 2)).shape
        gradcore.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return R.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    """UpsamplingNearest2d(size=None, scale_factor=None)

    Nearest-neighbour upsampling of (N, C, H, W) input (Upsample with mode='nearest').

    Args:
        size: the output's (H, W), or one int for both.
        scale_factor: the multiplier of H and W.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> nn.UpsamplingNearest2d(scale_factor=2)(torch.randn(1, 1, 2, 2)).shape
        gradcore.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """UpsamplingBilinear2d(size=None, scale_factor=None)

    Bilinear upsampling of (N, C, H, W) input with align_corners=True.

    Args:
        size: the output's (H, W), or one int for both.
        scale_factor: the multiplier of H and W.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out).

    Example:
        >>> nn.UpsamplingBilinear2d(scale_factor=2)(torch.randn(1, 1, 2, 2)).shape
        gradcore.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ---- padding layers --------------------------------------------------------------------------

def _ntuple(padding, n):
    if isinstance(padding, numbers.Integral):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, self._n)

    def _check_input_dim(self, input):
        pass

    def forward(self, input):
        self._check_input_dim(input)
        return R.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return R.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _pad_doc(name, what, n):
    dims = {1: "(N, C, W) or (C, W)", 2: "(N, C, H, W) or (C, H, W)",
            3: "(N, C, D, H, W) or (C, D, H, W)"}[n]
    order = {1: "(left, right)", 2: "(left, right, top, bottom)",
             3: "(left, right, top, bottom, front, back)"}[n]
    extra = ", value" if name.startswith("Constant") else ""
    value = "\n        value: the fill value." if extra else ""
    ex_args = "2, 3.5" if extra else "2"
    shape = {1: "(1, 2, 4)", 2: "(1, 2, 4, 4)", 3: "(1, 2, 4, 4, 4)"}[n]
    out = {1: "[1, 2, 8]", 2: "[1, 2, 8, 8]", 3: "[1, 2, 8, 8, 8]"}[n]
    return f"""{name}(padding{extra})

    Pads the last {n} dim(s) of the input {what}.

    Args:
        padding: an int for every side, or {order}.{value}

    Shape:
        {dims} -> the same with each padded dim grown by its two pads.

    Example:
        >>> nn.{name}({ex_args})(torch.randn{shape}).shape
        gradcore.Size({out})
    """


def _make(name, base, n, mode, what, check=None):
    attrs = {"_n": n, "_mode": mode, "__doc__": _pad_doc(name, what, n),
             "__module__": __name__, "__qualname__": name}
    if check is not None:
        attrs["_check_input_dim"] = check
    return type(name, (base,), attrs)


def _dims_check(n):
    lo, hi = n + 1, n + 2

    def _check_input_dim(self, input):
        if input.dim() != lo and input.dim() != hi:
            raise ValueError(f"expected {lo}D or {hi}D input (got {input.dim()}D input)")
    return _check_input_dim


ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, 1, "constant", "with a constant value")
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, 2, "constant", "with a constant value")
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, 3, "constant", "with a constant value")
ReflectionPad1d = _make("ReflectionPad1d", _PadNd, 1, "reflect",
                        "with its reflection (the edge not repeated)")
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, 2, "reflect",
                        "with its reflection (the edge not repeated)")
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, 3, "reflect",
                        "with its reflection (the edge not repeated)")
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, 1, "replicate", "by repeating its edge")
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, 2, "replicate", "by repeating its edge")
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, 3, "replicate", "by repeating its edge")
CircularPad1d = _make("CircularPad1d", _PadNd, 1, "circular", "by wrapping around",
                      _dims_check(1))
CircularPad2d = _make("CircularPad2d", _PadNd, 2, "circular", "by wrapping around",
                      _dims_check(2))
CircularPad3d = _make("CircularPad3d", _PadNd, 3, "circular", "by wrapping around",
                      _dims_check(3))


def _zero_pad(n):
    name = f"ZeroPad{n}d"
    base = {1: ConstantPad1d, 2: ConstantPad2d, 3: ConstantPad3d}[n]

    def __init__(self, padding):
        base.__init__(self, padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"
    doc = _pad_doc(name, "with zeros", n)
    return type(name, (base,), {"__init__": __init__, "extra_repr": extra_repr,
                                "__doc__": doc, "__module__": __name__, "__qualname__": name})


ZeroPad1d, ZeroPad2d, ZeroPad3d = _zero_pad(1), _zero_pad(2), _zero_pad(3)
