"""Convolution and pooling over the last two dims: conv2d, max_pool2d, avg_pool2d,
adaptive_avg_pool2d (inputs (N, C, H, W), or (C, H, W) unbatched).

conv2d is im2col (a strided view of the input, copied once) and one batched matmul over the
groups (BLAS does the work).  Its derivatives are three linear maps, each the others' backward:

    y  = conv(x, w)       Conv2d           gx = convT(gy, w)      gw = wgrad(x, gy)
    gx = convT(gy, w)     _ConvInputGrad   ggy = conv(gg, w)      gw = wgrad(gg, gy)
    gw = wgrad(x, gy)     _ConvWeightGrad  gx = convT(gy, gg)     ggy = conv(x, gg)

so derivatives of any order are these again.  The pools are linear in their input (max pool
for fixed indices): each backward is an array function of ops/windows.py (index scatter,
col2im, matrix products) in an ArrayFunction whose own backward is the pooling again.
"""
import collections
import numbers
import warnings

from ..autograd.function import ArrayFunction
from . import windows


# ---- argument handling -----------------------------------------------------------------------

def _list(v):
    return [v] if isinstance(v, numbers.Integral) else list(v)


def _ctype(t):
    """The C++ type name PyTorch's messages use for a dtype."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}[t.dtype.name]


def _tensor_type(t):
    return f"torch.{'cuda.' if t.is_cuda else ''}{t.dtype.scalar_name}Tensor"


def _batched(a):
    """An array of an unbatched (C, H, W) input as (1, C, H, W)."""
    return a if a.ndim == 4 else a[None]


def _shape4(shape):
    return tuple(shape) if len(shape) == 4 else (1,) + tuple(shape)


# ---- conv2d ----------------------------------------------------------------------------------

class _ConvGeom(collections.namedtuple("_ConvGeom", "stride pads dilation groups")):
    """stride, dilation: (h, w); pads: (top, bottom, left, right)."""

    @property
    def lead(self):
        return self.pads[0], self.pads[2]

    def out_hw(self, in_hw, kernel):
        return tuple((n + self.pads[2 * i] + self.pads[2 * i + 1] - self.dilation[i] * (k - 1)
                      - 1) // self.stride[i] + 1 for i, (n, k) in enumerate(zip(in_hw, kernel)))


def _conv(be, x, w, geom):
    """conv2d on arrays, no bias: (N, C, H, W) and (O, C / g, kh, kw) -> (N, O, OH, OW)."""
    return _conv_cols(be, x, w, geom)[0]


def _conv_cols(be, x, w, geom):
    """_conv's output and its im2col columns (which _conv_weight_grad can reuse): for a batch
    at least as large as the output plane, the batch innermost ((OH, OW, C, kh, kw, N): one
    small matmul per output position, the window copy in runs of N), else (N, C, kh, kw, OH,
    OW) and one small matmul per image."""
    N, g = x.shape[0], geom.groups
    O, Cg, kh, kw = w.shape
    out_hw = geom.out_hw(x.shape[-2:], (kh, kw))
    K, L = Cg * kh * kw, out_hw[0] * out_hw[1]
    wm = w.reshape(g, O // g, K)
    if 0 < L <= N:
        cols = windows.im2col_batch_last(be.xp, x, (kh, kw), geom.stride, geom.lead,
                                         geom.dilation, out_hw)
        y = be.xp.matmul(wm, cols.reshape(L, g, K, N)).reshape(out_hw + (O, N))
        return be.xp.ascontiguousarray(y.transpose(3, 2, 0, 1)), cols
    cols = windows.im2col(be.xp, x, (kh, kw), geom.stride, geom.lead, geom.dilation, out_hw)
    y = be.xp.matmul(wm, cols.reshape(N, g, K, L))
    return y.reshape((N, O) + out_hw), cols


def _conv_input_grad(be, gy, w, geom, in_shape):
    """The transpose of _conv in x (a transposed convolution of gy with w)."""
    return windows.conv_input_grad(be.xp, gy, w, in_shape, geom.stride, geom.lead,
                                   geom.dilation)


def _conv_weight_grad(be, x, gy, geom, w_shape, cols=None):
    """The transpose of _conv in w: sum over the batch and positions of gy times the windows
    (``cols``: x's columns from _conv_cols, when the forward kept them)."""
    (N, _, OH, OW), g = gy.shape, geom.groups
    O, Cg, kh, kw = w_shape
    K, L = Cg * kh * kw, OH * OW
    batch_last = 0 < L <= N  # the layout _conv_cols chose
    if cols is None:
        im2col = windows.im2col_batch_last if batch_last else windows.im2col
        cols = im2col(be.xp, x, (kh, kw), geom.stride, geom.lead, geom.dilation, (OH, OW))
    if batch_last:
        gyt = be.xp.ascontiguousarray(gy.transpose(2, 3, 1, 0)).reshape(L, g, O // g, N)
        gw = be.xp.matmul(gyt, cols.reshape(L, g, K, N).transpose(0, 1, 3, 2))
    else:
        gw = be.xp.matmul(gy.reshape(N, g, O // g, L),
                          cols.reshape(N, g, K, L).transpose(0, 1, 3, 2))
    return gw.sum(axis=0).reshape(w_shape)


class Conv2d(ArrayFunction):
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.save_for_backward(x, w)
        ctx.geom, ctx.has_bias = geom, b is not None
        y, cols = _conv_cols(x._be, x._arr, w._arr, geom)
        need = ctx.needs_input_grad
        if len(need) > 1 and need[1]:  # kept for the weight gradient (dropped once it ran)
            ctx.cols = cols
        if b is not None:
            y += b._arr.reshape(-1, 1, 1)
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        # the forward's columns serve one backward: a retained graph's next one recomputes them
        cols = ctx.__dict__.pop("cols", None)
        gx = _ConvInputGrad.apply(gy, w, ctx.geom, x.shape) if need[0] else None
        gw = _ConvWeightGrad.apply(x, gy, ctx.geom, w.shape, cols) if need[1] else None
        if not ctx.has_bias:
            return gx, gw
        return gx, gw, _ConvBiasGrad.apply(gy) if need[2] else None


class _ConvBiasGrad(ArrayFunction):
    """conv2d's gradient w.r.t. its bias: gy summed over the batch and positions."""
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy):
        ctx.shape = gy._arr.shape
        return gy._arr.sum(axis=(0, 2, 3))

    @staticmethod
    def backward(ctx, gg):
        return gg.reshape(-1, 1, 1).expand(ctx.shape)


class _ConvInputGrad(ArrayFunction):
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, w, geom, in_shape):
        ctx.save_for_backward(gy, w)
        ctx.geom = geom
        return _conv_input_grad(gy._be, gy._arr, w._arr, geom, tuple(in_shape))

    @staticmethod
    def backward(ctx, gg):
        gy, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (Conv2d.apply(gg, w, None, ctx.geom) if need[0] else None,
                _ConvWeightGrad.apply(gg, gy, ctx.geom, w.shape) if need[1] else None)


class _ConvWeightGrad(ArrayFunction):
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, geom, w_shape, cols=None):
        ctx.save_for_backward(x, gy)
        ctx.geom = geom
        return _conv_weight_grad(x._be, x._arr, gy._arr, geom, tuple(w_shape), cols)

    @staticmethod
    def backward(ctx, gg):
        x, gy = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (_ConvInputGrad.apply(gy, gg, ctx.geom, x.shape) if need[0] else None,
                Conv2d.apply(x, gg, None, ctx.geom) if need[1] else None)


def _conv_pair(name, value):
    v = _list(value)
    if len(v) == 1:
        v = v * 2
    if len(v) != 2:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of 2 values "
                           f"to match the convolution dimensions, but got {name}={v}")
    return tuple(int(n) for n in v)


def _conv_pads(padding, kernel, stride, dilation):
    """(top, bottom, left, right); 'same' puts the odd extra row/col after, as PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        if any(d % 2 == 1 and k % 2 == 0 for k, d in zip(kernel, dilation)):
            warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                          "require a zero-padded copy of the input be created", UserWarning,
                          stacklevel=3)
        return tuple(pads)
    ph, pw = _conv_pair("padding", padding)
    return (ph, ph, pw, pw)


def _check_conv(input, weight, bias, geom):
    x_shape, w_shape = list(input.shape), list(weight.shape)
    g = geom.groups
    if any(p < 0 for p in geom.pads):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in geom.stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in geom.dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if g <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.dim() != 4:
        raise RuntimeError(f"expected stride to be a single integer value or a list of "
                           f"{weight.dim() - 2} values to match the convolution dimensions, but "
                           f"got stride={list(geom.stride)}")
    if w_shape[0] < g:
        raise RuntimeError(f"Given groups={g}, expected weight to be at least {g} at dimension "
                           f"0, but got weight of size {w_shape} instead")
    if w_shape[0] % g:
        raise RuntimeError(f"Given groups={g}, expected weight to be divisible by {g} at "
                           f"dimension 0, but got weight of size [{w_shape}] instead")
    if x_shape[1] != w_shape[1] * g:
        raise RuntimeError(f"Given groups={g}, weight of size {w_shape}, expected input"
                           f"{x_shape} to have {w_shape[1] * g} channels, but got {x_shape[1]} "
                           f"channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != w_shape[0]):
        raise RuntimeError(f"Given weight of size {w_shape}, expected bias to be 1-dimensional "
                           f"with {w_shape[0]} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    padded = [n + geom.pads[2 * i] + geom.pads[2 * i + 1] for i, n in enumerate(x_shape[2:])]
    kernel = [d * (k - 1) + 1 for d, k in zip(geom.dilation, w_shape[2:])]
    if any(n < k for n, k in zip(padded, kernel)):
        raise RuntimeError(f"Calculated padded input size per channel: ({padded[0]} x "
                           f"{padded[1]}). Kernel size: ({kernel[0]} x {kernel[1]}). Kernel size "
                           "can't be greater than actual input size")
    if weight.dtype != input.dtype:
        if input.dtype.name == "float32" or input.is_cuda:
            raise RuntimeError(f"Input type ({_tensor_type(input)}) and weight type "
                               f"({_tensor_type(weight)}) should be the same or input should be "
                               "a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{weight.dtype.scalar_name}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

    2-D cross-correlation of input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_out, C_in / groups, kH, kW), plus bias (C_out); padding may be 'same' or 'valid'.
    Computed by im2col and one batched matmul."""
    if input.dim() not in (3, 4):
        raise RuntimeError("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {list(input.shape)}")
    if input.dim() == 3:
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_ctype(input)}) and bias type ({_ctype(bias)}) should "
                           "be the same")
    stride, dilation = _conv_pair("stride", stride), _conv_pair("dilation", dilation)
    kernel = tuple(weight.shape[2:]) if weight.dim() == 4 else (1, 1)
    geom = _ConvGeom(stride, _conv_pads(padding, kernel, stride, dilation), dilation, int(groups))
    _check_conv(input, weight, bias, geom)
    return Conv2d.apply(input, weight, bias, geom)


# ---- pooling: shared argument checks ---------------------------------------------------------

def _pool_pair(value, what, name, allow_empty=False):
    v = _list(value)
    if not (len(v) in (1, 2) or allow_empty and not v):
        raise RuntimeError(f"{name}: {what}")
    return (int(v[0]), int(v[-1])) if v else None


def _out_size(n, k, p, s, d, ceil_mode):
    """PyTorch's pooling_output_shape, with its checks."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > int(((k - 1) * d + 1) / 2):  # C++ division: toward zero
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode):
    """out_hw of a pool, after PyTorch's pool2d_shape_check."""
    planes, H, W = input.shape[-3:]
    out_hw = tuple(_out_size(n, k, p, s, d, ceil_mode) for n, k, p, s, d in
                   zip((H, W), kernel, padding, stride, dilation))
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} "
                           f"dilationW: {dw}")
    shape = input.shape
    if not (input.dim() in (3, 4) and all(shape[1:]) and (input.dim() == 4 or shape[0])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(shape)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if min(out_hw) < 1:
        raise RuntimeError(f"Given input size: ({planes}x{H}x{W}). Calculated output size: "
                           f"({planes}x{out_hw[0]}x{out_hw[1]}). Output size is too small")
    return out_hw


# ---- max_pool2d ------------------------------------------------------------------------------

class MaxPool2d(ArrayFunction):
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_hw):
        a = x._arr
        y, idx = windows.max_pool2d(x._be.xp, _batched(a), kernel, stride, padding, dilation,
                                    out_hw)
        y, idx = y.reshape(a.shape[:-2] + out_hw), idx.reshape(a.shape[:-2] + out_hw)
        ctx.idx, ctx.shape = idx, a.shape
        ctx.overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        return y, idx

    @staticmethod
    def backward(ctx, gy, _gidx):
        return None if gy is None else _MaxPoolGrad.apply(gy, ctx.idx, ctx.shape, ctx.overlap)


class _MaxPoolGrad(ArrayFunction):
    """max_pool2d's gradient: each gy scattered to its maximum's pixel."""
    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, idx, shape, overlap):
        ctx.idx, ctx.shape, ctx.overlap = idx, shape, overlap
        return windows.max_pool2d_backward(gy._be.xp, _batched(gy._arr), _batched(idx),
                                           _shape4(shape), overlap).reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        return _MaxPoolGather.apply(gg, ctx.idx, ctx.shape, ctx.overlap)


class _MaxPoolGather(ArrayFunction):
    """gg at each window's maximum: the backward of _MaxPoolGrad (whose backward it has)."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, gg, idx, shape, overlap):
        ctx.idx, ctx.shape, ctx.overlap = idx, shape, overlap
        return windows.max_pool2d_double_backward(gg._be.xp, _batched(gg._arr),
                                                  _batched(idx)).reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        return _MaxPoolGrad.apply(g, ctx.idx, ctx.shape, ctx.overlap)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False) -> Tensor

    The maximum of each window (stride defaults to kernel_size; padding counts as -inf);
    (output, indices) when return_indices.  The gradient goes to the element that was taken."""
    name = "max_pool2d"
    kernel = _pool_pair(kernel_size, "kernel_size must either be a single int, or a tuple of "
                        "two ints", name)
    stride = _pool_pair(stride if stride is not None else [], "stride must either be omitted, "
                        "a single int, or a tuple of two ints", name, True) or kernel
    padding = _pool_pair(padding, "padding must either be a single int, or a tuple of two ints",
                         name)
    dilation = _pool_pair(dilation, "dilation must be either a single int, or a tuple of two "
                          "ints", name)
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out_hw = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    y, idx = MaxPool2d.apply(input, kernel, stride, padding, dilation, out_hw)
    return (y, idx) if return_indices else y


# ---- avg_pool2d ------------------------------------------------------------------------------

_AvgGeom = collections.namedtuple("_AvgGeom", "kernel stride padding out_hw count_include_pad "
                                              "divisor_override")


class AvgPool2d(ArrayFunction):
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom, ctx.shape = geom, x._arr.shape
        a = x._arr
        return windows.avg_pool2d(x._be.xp, _batched(a), *geom).reshape(
            a.shape[:-2] + geom.out_hw)

    @staticmethod
    def backward(ctx, gy):
        return _AvgPoolGrad.apply(gy, ctx.geom, ctx.shape)


class _AvgPoolGrad(ArrayFunction):
    """avg_pool2d's gradient (its transpose): each gy spread over its window."""
    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, geom, shape):
        ctx.geom = geom
        k, s, p, _, cip, div = geom
        return windows.avg_pool2d_backward(gy._be.xp, _batched(gy._arr), _shape4(shape), k, s,
                                           p, cip, div).reshape(shape)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool2d.apply(gg, ctx.geom)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None) -> Tensor

    The mean of each window (stride defaults to kernel_size); count_include_pad counts the
    zero padding in the divisor, divisor_override replaces it."""
    name = "avg_pool2d"
    kernel = _pool_pair(kernel_size, "kernel_size must either be a single int, or a tuple of "
                        "two ints", name)
    stride = _pool_pair(stride if stride is not None else [], "stride must either be omitted, "
                        "a single int, or a tuple of two ints", name, True) or kernel
    padding = _pool_pair(padding, "padding must either be a single int, or a tuple of two ints",
                         name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    input.size(-3)  # PyTorch's IndexError for inputs of fewer than 3 dims
    out_hw = _pool_geometry(input, kernel, stride, padding, (1, 1), ceil_mode)
    geom = _AvgGeom(kernel, stride, padding, out_hw, bool(count_include_pad),
                    None if divisor_override is None else int(divisor_override))
    return AvgPool2d.apply(input, geom)


# ---- adaptive_avg_pool2d ---------------------------------------------------------------------

class AdaptiveAvgPool2d(ArrayFunction):
    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.shape = x._arr.shape
        return windows.adaptive_avg_pool2d(x._be.xp, x._arr, out_hw)

    @staticmethod
    def backward(ctx, gy):
        return _AdaptiveAvgPoolGrad.apply(gy, ctx.shape)


class _AdaptiveAvgPoolGrad(ArrayFunction):
    node_name = "AdaptiveAvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, shape):
        ctx.out_hw = gy._arr.shape[-2:]
        return windows.adaptive_avg_pool2d_backward(gy._be.xp, gy._arr, shape)

    @staticmethod
    def backward(ctx, gg):
        return AdaptiveAvgPool2d.apply(gg, ctx.out_hw)


def adaptive_avg_pool2d(input, output_size):
    """adaptive_avg_pool2d(input, output_size) -> Tensor

    Average pooling to the output size (an int or a pair; None keeps that input size), the
    windows as PyTorch's: rows floor(i * H / oH) to ceil((i + 1) * H / oH)."""
    size = _list(output_size)
    if len(size) == 1:
        size = size * 2
    if len(size) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    size = [input.shape[i - 2] if v is None else int(v) for i, v in enumerate(size)]
    if min(size) < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{size[0]}, {size[1]}}}")
    if size == [1, 1]:
        return input.mean((-1, -2), keepdim=True)  # as PyTorch: MeanBackward1
    if input.dim() not in (3, 4):
        raise RuntimeError("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    for i in (-2, -1):
        if input.shape[i] == 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but input has sizes {list(input.shape)} "
                               f"with dimension {i + input.dim()} being empty")
    if not input.is_floating_point():
        raise NotImplementedError(f'"adaptive_avg_pool2d" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return AdaptiveAvgPool2d.apply(input, tuple(size))


METHODS = {}
FUNCTIONS = {"conv2d": conv2d, "max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d,
             "adaptive_avg_pool2d": adaptive_avg_pool2d}
