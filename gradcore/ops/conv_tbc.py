"""conv_tbc (a 1-d convolution on time-batch-channel input, fairseq's layout) and
torch.convolution (the generic entry point: any dimension, plain or transposed), both
compositions of ops/conv.py's convolutions (their nodes carry the gradient)."""
from .._autocast import LOWER, autocast_op
from ..tensor import Tensor
from . import conv as _C


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv_tbc(input, weight, bias, pad=0):
    """conv_tbc(input, weight, bias, pad=0) -> Tensor

    A 1-d convolution of ``input`` (time, batch, in_channels) with ``weight`` (kernel_width,
    in_channels, out_channels) plus ``bias`` (out_channels), ``pad`` zeros at both ends of
    time; the result is (time + 2 pad - kernel_width + 1, batch, out_channels)."""
    if not isinstance(bias, Tensor):
        raise TypeError(f"conv_tbc(): argument 'bias' (position 3) must be Tensor, not "
                        f"{type(bias).__name__}")
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    if weight.dtype != input.dtype:  # PyTorch's kernel: addmm of input and weight
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{input.dtype.scalar_name} and {weight.dtype.scalar_name}")
    if bias.dtype != input.dtype:  # PyTorch copies bias into an output of input's dtype
        bias = bias.to(input.dtype)
    out = _C.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """convolution(input, weight, bias, stride, padding, dilation, transposed,
    output_padding, groups) -> Tensor

    conv1d/2d/3d (or conv_transpose1d/2d/3d when ``transposed``), chosen by weight's rank."""
    n = weight.dim() - 2
    if n not in (1, 2, 3) or input.dim() != weight.dim():
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.dim()}-"
                           f"dimensional input of size {list(input.shape)} instead")
    if transposed:
        fn = (_C.conv_transpose1d, _C.conv_transpose2d, _C.conv_transpose3d)[n - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (_C.conv1d, _C.conv2d, _C.conv3d)[n - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


FUNCTIONS = {"conv_tbc": conv_tbc, "convolution": convolution}
FUNCTIONAL = {"conv_tbc": conv_tbc}
