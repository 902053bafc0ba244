"""Convolution and pooling over the last 1, 2 or 3 dims: conv1d/2d/3d, conv_transpose1d/2d/3d,
max / avg / adaptive pools, max_unpool, lp_pool (inputs (N, C, *spatial), or unbatched).

A convolution is im2col (a strided view of the input, copied once) and one batched matmul over
the groups (BLAS does the work).  Its derivatives are three linear maps, each the others'
backward:

    y  = conv(x, w)       Convolution      gx = convT(gy, w)      gw = wgrad(x, gy)
    gx = convT(gy, w)     _ConvInputGrad   ggy = conv(gg, w)      gw = wgrad(gg, gy)
    gw = wgrad(x, gy)     _ConvWeightGrad  gx = convT(gy, gg)     ggy = conv(x, gg)

so derivatives of any order are these again; a transposed convolution is convT in the
forward (ConvTranspose).  At stride 1 convT is itself a convolution (the flipped weight,
its channel dims swapped), so the input gradient runs through the forward's code; float16
and bfloat16 compute all of them in float32, rounded once (_rounded_once).  On CUDA the
three maps are the implicit-GEMM kernels of kernels/conv.cu (conv_forward, conv_input_grad,
conv_weight_grad below: registered kernels whose reference is the im2col path), one launch
each, no columns kept.

The pools are linear in their input (max pool for fixed indices): each backward is an array
function of ops/windows.py (index scatter, col2im, matrix products) in an ArrayFunction
whose own backward is the pooling again.  The 1-d pools are PyTorch's
composites: the 2-d pool of the input unsqueezed at -2, squeezed back.
"""
import collections
import math
import numbers
import warnings

from .._autocast import FP32, LOWER, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..backend.kernels import kernel
from . import elementwise, windows


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


def _batched(a, nd=2):
    """An array of an unbatched (C, *spatial) input as (1, C, *spatial)."""
    return a if a.ndim == nd + 2 else a[None]


def _shape_b(shape, nd=2):
    return tuple(shape) if len(shape) == nd + 2 else (1,) + tuple(shape)


def _spatial_axes(ndim):
    return (0,) + tuple(range(2, ndim))


# ---- convolution -----------------------------------------------------------------------------

class _ConvGeom(collections.namedtuple("_ConvGeom", "stride pads dilation groups")):
    """stride, dilation: one per spatial dim; pads: (before, after) per dim, flattened."""

    @property
    def lead(self):
        return self.pads[0::2]

    def out_size(self, sizes, kernel):
        stride, pads, dilation = self.stride, self.pads, self.dilation
        return tuple([(n + pads[2 * i] + pads[2 * i + 1] - dilation[i] * (k - 1) - 1)
                      // stride[i] + 1 for i, (n, k) in enumerate(zip(sizes, kernel))])


def _rounded_once(fn):
    """``fn(be, *args)`` as PyTorch computes a float16 / bfloat16 convolution or pooling: in
    float32 (its matmuls and sums accumulate there), each result rounded once to the storage
    type (``_dtype.in_opmath``; the first argument's dtype decides)."""
    def run(be, *args):
        if args[0].dtype.char not in _dtype.REDUCED_CHARS:
            return fn(be, *args)
        return _dtype.in_opmath(lambda xp, *a: fn(be, *a), be.xp, *args)
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def _conv(be, x, w, geom):
    """conv on arrays, no bias: (N, C, *sizes) and (O, C / g, *kernel) -> (N, O, *out); on
    CUDA the implicit-GEMM kernel (conv_forward), else im2col."""
    if be.launches_kernels:
        return conv_forward(be, x, w, None, geom)
    return _conv_im2col(be, x, w, geom)


@_rounded_once
def _conv_im2col(be, x, w, geom):
    """_conv by im2col and one batched matmul."""
    return _conv_cols(be, x, w, geom)[0]


@_rounded_once
def _conv_forward(be, x, w, b, geom):
    """The convolution's forward on arrays: (output with the bias ``b`` added, or not when
    None, im2col columns)."""
    y, cols = _conv_cols(be, x, w, geom)
    if b is not None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))
    return y, cols


def _conv_cols(be, x, w, geom):
    """_conv's output and its im2col columns (which _conv_weight_grad can reuse): for a batch
    at least as large as the output plane, the batch innermost ((*out, C, *kernel, N): one
    small matmul per output position, the window copy in runs of N), else (N, C, *kernel,
    *out) and one small matmul per image."""
    N, g, nd = x.shape[0], geom.groups, x.ndim - 2
    O, Cg = w.shape[:2]
    kernel = w.shape[2:]
    out = geom.out_size(x.shape[2:], kernel)
    K, L = Cg * math.prod(kernel), math.prod(out)
    wm = w.reshape(g, O // g, K)
    if 0 < L <= N:
        cols = windows.im2col_batch_last(be.xp, x, kernel, geom.stride, geom.lead,
                                         geom.dilation, out)
        y = be.xp.matmul(wm, cols.reshape(L, g, K, N)).reshape(out + (O, N))
        return be.xp.ascontiguousarray(y.transpose((nd + 1, nd) + tuple(range(nd)))), cols
    cols = windows.im2col(be.xp, x, kernel, geom.stride, geom.lead, geom.dilation, out)
    y = be.xp.matmul(wm, cols.reshape(N, g, K, L))
    return y.reshape((N, O) + out), cols


def _conv_input_grad(be, gy, w, geom, in_shape):
    """The transpose of _conv in x: on CUDA the implicit-GEMM kernel (conv_input_grad, a
    gather: no scatter, no atomics), else _conv_input_grad_im2col."""
    if be.launches_kernels:
        return conv_input_grad(be, gy, w, geom, tuple(in_shape))
    return _conv_input_grad_im2col(be, gy, w, geom, in_shape)


@_rounded_once
def _conv_input_grad_im2col(be, gy, w, geom, in_shape):
    """The transpose of _conv in x (a transposed convolution of gy with w).  At stride 1 it
    is a convolution itself -- of gy with w flipped and its channel dims swapped, padded by
    d * (k - 1) - p -- so it runs through _conv (one im2col and one matmul, no scatter).
    Its columns are O / C times the forward's, so where the output has more than twice the
    input's channels, or strided (or padded past the kernel's reach), the columns are
    scattered instead (windows.py)."""
    if all(s == 1 for s in geom.stride) and gy.shape[1] <= 2 * in_shape[1]:
        kernel, out = w.shape[2:], gy.shape[2:]
        before = [d * (k - 1) - p for d, k, p in zip(geom.dilation, kernel, geom.lead)]
        after = [n - o - b + d * (k - 1) for n, o, b, d, k in
                 zip(in_shape[2:], out, before, geom.dilation, kernel)]
        if min(before + after) >= 0:
            g, nd = geom.groups, len(kernel)
            O, Cg = w.shape[:2]
            flip = (slice(None),) * 3 + (slice(None, None, -1),) * nd
            wt = w.reshape((g, O // g, Cg) + kernel).swapaxes(1, 2)[flip]
            pads = tuple(p for bp in zip(before, after) for p in bp)
            return _conv(be, gy, wt.reshape((g * Cg, O // g) + kernel),
                         _ConvGeom(geom.stride, pads, geom.dilation, g))
    return windows.conv_input_grad(be.xp, gy, w, in_shape, geom.stride, geom.lead,
                                   geom.dilation)


def _conv_weight_grad(be, x, gy, geom, w_shape, cols=None):
    """The transpose of _conv in w: on CUDA the implicit-GEMM kernel (conv_weight_grad), else
    _conv_weight_grad_im2col (reusing the forward's ``cols`` when kept)."""
    if be.launches_kernels:
        return conv_weight_grad(be, x, gy, geom, tuple(w_shape))
    return _conv_weight_grad_im2col(be, x, gy, geom, w_shape, cols)


@_rounded_once
def _conv_weight_grad_im2col(be, x, gy, geom, w_shape, cols=None):
    """The transpose of _conv in w: sum over the batch and positions of gy times the windows
    (``cols``: x's columns from _conv_cols, when the forward kept them)."""
    N, g, nd = gy.shape[0], geom.groups, gy.ndim - 2
    out = gy.shape[2:]
    O, Cg = w_shape[:2]
    kernel = w_shape[2:]
    K, L = Cg * math.prod(kernel), math.prod(out)
    batch_last = 0 < L <= N  # the layout _conv_cols chose
    if cols is None:
        im2col = windows.im2col_batch_last if batch_last else windows.im2col
        cols = im2col(be.xp, x, kernel, geom.stride, geom.lead, geom.dilation, out)
    # (K, positions) @ (positions, O / g): the columns as BLAS's untransposed operand (the
    # other order, gy @ cols.T, is 1.5x slower in OpenBLAS on long rows); gw^T transposed back
    if batch_last:
        gyt = be.xp.ascontiguousarray(gy.transpose(tuple(range(2, 2 + nd)) + (1, 0)))
        gwt = be.xp.matmul(cols.reshape(L, g, K, N),
                           gyt.reshape(L, g, O // g, N).transpose(0, 1, 3, 2))
    else:
        gwt = be.xp.matmul(cols.reshape(N, g, K, L),
                           gy.reshape(N, g, O // g, L).transpose(0, 1, 3, 2))
    return be.xp.ascontiguousarray(gwt.sum(axis=0).transpose(0, 2, 1)).reshape(w_shape)


class _OnArrays:
    """What the im2col path needs of a backend: its array module (a kernel's reference is
    handed the module alone), and no kernels to launch."""
    launches_kernels = False

    def __init__(self, xp):
        self.xp = xp


# The CUDA kernels of kernels/conv.cu (implicit GEMM; launch planning in
# backend/conv_launch.py), each with the im2col path as its reference: the CPU's code, and
# what runs on CUDA where a kernel declines (empty tensors, mixed dtypes).

@kernel("conv", dtypes="efdE")
def conv_forward(xp, x, w, b, geom):
    """The convolution's forward on arrays, plus the bias ``b`` unless None."""
    return _conv_forward(_OnArrays(xp), x, w, b, geom)[0]


@kernel("conv", dtypes="efdE")
def conv_input_grad(xp, gy, w, geom, in_shape):
    """The convolution's input gradient (its transpose in x) on arrays, of shape in_shape."""
    return _conv_input_grad_im2col(_OnArrays(xp), gy, w, geom, in_shape)


@kernel("conv", dtypes="efdE")
def conv_weight_grad(xp, x, gy, geom, w_shape):
    """The convolution's weight gradient (its transpose in w) on arrays, of shape w_shape."""
    return _conv_weight_grad_im2col(_OnArrays(xp), x, gy, geom, w_shape)


class Convolution(ArrayFunction):
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.save_for_backward(x, w)
        ctx.geom, ctx.has_bias = geom, b is not None
        be, barr = x._be, None if b is None else b._arr
        if be.launches_kernels:  # CUDA: implicit GEMM, the bias added in its epilogue
            return conv_forward(be, x._arr, w._arr, barr, geom)
        y, cols = _conv_forward(be, x._arr, w._arr, barr, geom)
        need = ctx.needs_input_grad
        if len(need) > 1 and need[1]:  # kept for the weight gradient (dropped once it ran)
            ctx.cols = cols
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

    @staticmethod
    def array_backward(ctx, gy):
        """backward's first order on arrays: the same three maps, no gradient nodes."""
        x, w = ctx.saved_arrays
        be, geom, need = ctx._be, ctx.geom, ctx.needs_input_grad
        cols = ctx.__dict__.pop("cols", None)
        gx = _conv_input_grad(be, gy, w, geom, x.shape) if need[0] else None
        gw = _conv_weight_grad(be, x, gy, geom, w.shape, cols) if need[1] else None
        if not ctx.has_bias:
            return gx, gw
        return gx, gw, _bias_grad(be, gy) if need[2] else None


Conv2d = Convolution  # the name this Function had when conv2d was the only convolution


class ConvTranspose(ArrayFunction):
    """The transposed convolution: _conv_input_grad of x with w onto ``out_shape``."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom, out_shape):
        ctx.save_for_backward(x, w)
        ctx.geom, ctx.has_bias = geom, b is not None
        return _conv_transpose_forward(x._be, x._arr, w._arr, None if b is None else b._arr,
                                       geom, out_shape)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = _conv_to(gy, w, ctx.geom, x.shape, _ConvTransposeInputGrad) if need[0] else None
        gw = _ConvWeightGrad.apply(gy, x, ctx.geom, w.shape) if need[1] else None
        if not ctx.has_bias:
            return gx, gw
        return gx, gw, _ConvBiasGrad.apply(gy) if need[2] else None

    @staticmethod
    def array_backward(ctx, gy):
        """backward's first order on arrays."""
        x, w = ctx.saved_arrays
        be, geom, need = ctx._be, ctx.geom, ctx.needs_input_grad
        gx = None
        if need[0]:
            gx = _conv(be, gy, w, geom)
            if gx.shape != x.shape:  # see _conv_to
                gx = gx[(Ellipsis,) + tuple(slice(0, n) for n in x.shape[2:])]
        gw = _conv_weight_grad(be, gy, x, geom, w.shape) if need[1] else None
        if not ctx.has_bias:
            return gx, gw
        return gx, gw, _bias_grad(be, gy) if need[2] else None


@_rounded_once
def _conv_transpose_forward(be, x, w, b, geom, out_shape):
    """The transposed convolution's forward on arrays (the bias ``b`` added unless None)."""
    y = _conv_input_grad(be, x, w, geom, out_shape)
    if b is not None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))
    return y


def _bias_grad(be, gy):
    """A convolution's bias gradient on arrays: gy summed over the batch and positions
    (float16 / bfloat16 accumulated in float32, as PyTorch)."""
    return _dtype.in_opmath(lambda xp, g: g.sum(axis=_spatial_axes(g.ndim)), be.xp, gy)


class _ConvBiasGrad(ArrayFunction):
    """A convolution's gradient w.r.t. its bias: gy summed over the batch and positions."""
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy):
        ctx.shape = gy._arr.shape
        return _bias_grad(gy._be, gy._arr)

    @staticmethod
    def backward(ctx, gg):
        return gg.reshape((-1,) + (1,) * (len(ctx.shape) - 2)).expand(ctx.shape)


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
        return (Convolution.apply(gg, w, None, ctx.geom) if need[0] else None,
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
                _conv_to(x, gg, ctx.geom, gy.shape) if need[1] else None)


class _ConvTransposeInputGrad(Convolution):
    """conv_transpose's input gradient (a convolution), under PyTorch's name for it."""
    node_name = "ConvolutionBackwardBackward0"


def _conv_to(x, w, geom, shape, fn=Convolution):
    """fn.apply(x, w) cut to ``shape``: a transposed convolution's output padding of at
    least its stride (allowed below the dilation) leaves the convolution of its output more
    positions than its input had, which its gradients never reach."""
    y = fn.apply(x, w, None, geom)
    if tuple(y.shape) == tuple(shape):
        return y
    return y[(Ellipsis,) + tuple(slice(0, n) for n in shape[2:])]


def _conv_tuple(name, value, nd):
    if type(value) is int:  # the common case, first
        return (value,) * nd
    v = _list(value)
    if len(v) == 1:
        v = v * nd
    if len(v) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} "
                           f"values to match the convolution dimensions, but got {name}={v}")
    return tuple(int(n) for n in v)


def _conv_pair(name, value):
    return _conv_tuple(name, value, 2)


def _conv_pads(padding, kernel, stride, dilation, nd=2):
    """(before, after) per dim, flattened; 'same' puts the odd extra element after, as
    PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * (2 * nd)
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
                          stacklevel=4)
        return tuple(pads)
    return tuple(p for v in _conv_tuple("padding", padding, nd) for p in (v, v))


def _check_conv(input, weight, bias, geom, transposed=False):
    x_shape, w_shape = input.shape, weight.shape  # listed only in the messages
    g, nd = geom.groups, len(geom.stride)
    if min(geom.pads) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(geom.stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(geom.dilation) <= 0:
        raise RuntimeError("non-positive dilation is not supported")
    if g <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.dim() != nd + 2:
        if weight.dim() < 3:
            raise RuntimeError("weight should have at least three dimensions")
        if nd > 1:  # a 1-d convolution's one-element arguments stretch to any weight
            raise RuntimeError(f"expected stride to be a single integer value or a list of "
                               f"{weight.dim() - 2} values to match the convolution "
                               f"dimensions, but got stride={list(geom.stride)}")
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight {list(w_shape)}, but got {input.dim()}-"
                           f"dimensional input of size {list(x_shape)} instead")
    if w_shape[0] < g:
        raise RuntimeError(f"Given groups={g}, expected weight to be at least {g} at dimension "
                           f"0, but got weight of size {list(w_shape)} instead")
    if w_shape[0] % g:
        raise RuntimeError(f"Given groups={g}, expected weight to be divisible by {g} at "
                           f"dimension 0, but got weight of size [{list(w_shape)}] instead")
    if transposed:
        if x_shape[1] != w_shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {list(w_shape)}, expected "
                               f"input{list(x_shape)} to have {w_shape[0]} channels, but got "
                               f"{x_shape[1]} channels instead")
        out_channels = w_shape[1] * g
        if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
            raise RuntimeError(f"Given transposed=1, weight of size {list(w_shape)}, expected "
                               f"bias to be 1-dimensional with {out_channels} elements, but "
                               f"got bias of size {list(bias.shape)} instead")
    else:
        if x_shape[1] != w_shape[1] * g:
            raise RuntimeError(f"Given groups={g}, weight of size {list(w_shape)}, expected input"
                               f"{list(x_shape)} to have {w_shape[1] * g} channels, but got "
                               f"{x_shape[1]} channels instead")
        if bias is not None and (bias.dim() != 1 or bias.shape[0] != w_shape[0]):
            raise RuntimeError(f"Given weight of size {list(w_shape)}, expected bias to be "
                               f"1-dimensional with {w_shape[0]} elements, but got bias of size "
                               f"{list(bias.shape)} instead")
        padded = [n + geom.pads[2 * i] + geom.pads[2 * i + 1]
                  for i, n in enumerate(x_shape[2:])]
        kernel = [d * (k - 1) + 1 for d, k in zip(geom.dilation, w_shape[2:])]
        if any(n < k for n, k in zip(padded, kernel)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, padded))}). Kernel size: "
                               f"({' x '.join(map(str, kernel))}). Kernel size can't be greater "
                               "than actual input size")
    if weight.dtype != input.dtype:
        if input.dtype.name == "float32" or input.is_cuda:
            raise RuntimeError(f"Input type ({_tensor_type(input)}) and weight type "
                               f"({_tensor_type(weight)}) should be the same or input should be "
                               "a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{weight.dtype.scalar_name}")


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    """The convolution over the last ``nd`` dims, after PyTorch's checks."""
    name = f"conv{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if input.dim() == nd + 1:
        return _convnd(nd, input.unsqueeze(0), weight, bias, stride, padding, dilation,
                       groups).squeeze(0)
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_ctype(input)}) and bias type ({_ctype(bias)}) should "
                           "be the same")
    stride, dilation = _conv_tuple("stride", stride, nd), _conv_tuple("dilation", dilation, nd)
    kernel = tuple(weight.shape[2:]) if weight.dim() == nd + 2 else (1,) * nd
    geom = _ConvGeom(stride, _conv_pads(padding, kernel, stride, dilation, nd), dilation,
                     int(groups))
    _check_conv(input, weight, bias, geom)
    return Convolution.apply(input, weight, bias, geom)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

    1-D cross-correlation of input (N, C_in, L) or (C_in, L) with weight
    (C_out, C_in / groups, kL), plus bias (C_out); padding may be 'same' or 'valid'."""
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

    2-D cross-correlation of input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_out, C_in / groups, kH, kW), plus bias (C_out); padding may be 'same' or 'valid'.
    Computed by im2col and one batched matmul (on CUDA: an implicit-GEMM kernel)."""
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

    3-D cross-correlation of input (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_out, C_in / groups, kD, kH, kW), plus bias (C_out); padding may be 'same' or
    'valid'."""
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


_SIDES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    """The transposed convolution over the last ``nd`` dims, after PyTorch's checks."""
    name = f"conv_transpose{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if input.dim() == nd + 1:
        return _conv_transposend(nd, input.unsqueeze(0), weight, bias, stride, padding,
                                 output_padding, groups, dilation).squeeze(0)
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_ctype(input)}) and bias type ({_ctype(bias)}) should "
                           "be the same")
    stride, dilation = _conv_tuple("stride", stride, nd), _conv_tuple("dilation", dilation, nd)
    out_pad = _conv_tuple("output_padding", output_padding, nd)
    pad = _conv_tuple("padding", padding, nd)
    geom = _ConvGeom(stride, tuple(p for v in pad for p in (v, v)), dilation, int(groups))
    _check_conv(input, weight, bias, geom, transposed=True)
    if any(o >= s and o >= d for o, s, d in zip(out_pad, stride, dilation)):
        sides = _SIDES[max(nd, 2)]  # PyTorch checks 1-d as 2-d with a unit height
        lead = len(sides) - nd
        vals = ((0,) * lead + out_pad, (1,) * lead + stride, (1,) * lead + dilation)
        parts = [f"{what}_{side}: {v}" for what, vs in
                 zip(("output_padding", "stride", "dilation"), vals)
                 for side, v in zip(sides, vs)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    sizes = input.shape[2:]
    kernel = weight.shape[2:]
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
                zip(sizes, stride, pad, dilation, kernel, out_pad))
    if min(out) < 1:
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, sizes))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, out))}). Output size is too small")
    out_shape = (input.shape[0], weight.shape[1] * int(groups)) + out
    return ConvTranspose.apply(input, weight, bias, geom, out_shape)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1) -> Tensor

    The 1-D transposed convolution ("deconvolution") of input (N, C_in, L) or (C_in, L) with
    weight (C_in, C_out / groups, kL): the gradient of conv1d with respect to its input."""
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1) -> Tensor

    The 2-D transposed convolution of input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_in, C_out / groups, kH, kW): the gradient of conv2d with respect to its input."""
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


@autocast_op(cpu=LOWER, cuda=LOWER)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
    groups=1, dilation=1) -> Tensor

    The 3-D transposed convolution of input (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_in, C_out / groups, kD, kH, kW): the gradient of conv3d with respect to its input."""
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


# ---- pooling: shared argument checks ---------------------------------------------------------

_COUNT = {2: "two", 3: "three"}


def _pool_tuple(value, what, name, nd=2, allow_empty=False):
    v = _list(value)
    if not (len(v) in (1, nd) or allow_empty and not v):
        raise RuntimeError(f"{name}: {what}")
    return tuple(int(n) for n in (v * nd if len(v) == 1 else v)) if v else None


def _pool_pair(value, what, name, allow_empty=False):
    return _pool_tuple(value, what, name, 2, allow_empty)


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


def _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode, check_size=False):
    """The output sizes of a 2-d or 3-d pool, after PyTorch's pool2d/pool3d_shape_check."""
    nd = len(kernel)
    planes, sizes = input.shape[-nd - 1], tuple(input.shape[-nd:])
    out = tuple(_out_size(n, k, p, s, d, ceil_mode) for n, k, p, s, d in
                zip(sizes, kernel, padding, stride, dilation))

    def named(prefix, values, letters):
        return " ".join(f"{prefix}{c}: {v}" for c, v in zip(letters, values))
    letters = "HW" if nd == 2 else "THW"
    if min(kernel) <= 0:
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + named("k", kernel, letters))
    if min(stride) <= 0:
        raise RuntimeError("stride should be greater than zero, but got "
                           + named("d", stride, letters))
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero, but got "
                           + named("dilation", dilation, letters))
    shape = input.shape
    if not (input.dim() in (nd + 1, nd + 2) and all(shape[1:])
            and (input.dim() == nd + 2 or shape[0])):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{list(shape)}")
    if any(k // 2 < p for k, p in zip(kernel, padding)):
        if nd == 2:
            (kh, kw), (ph, pw) = kernel, padding
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                               f"got padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
        (kt, kh, kw), (pt, ph, pw) = kernel, padding
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}")
    if check_size and any(n < k for n, k in zip(sizes, kernel)):
        raise RuntimeError(f"input image ({named('', sizes, letters)}) smaller than kernel size "
                           f"({named('k', kernel, letters)})")
    if min(out) < 1:
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (planes,) + sizes))}). "
                           f"Calculated output size: ({'x'.join(map(str, (planes,) + out))}). "
                           "Output size is too small")
    return out


def _check1d(name, arg, value):
    """PyTorch's check1d: a 1-d pool's argument is one int."""
    v = _list(value)
    if len(v) != 1:
        raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got {len(v)})")
    return int(v[0])


def _check_dim_range(input, name):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {name})")


# ---- max pooling -----------------------------------------------------------------------------

class MaxPool2d(ArrayFunction):
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out):
        a, nd = x._arr, len(kernel)
        y, idx = windows.max_pool(x._be.xp, _batched(a, nd), kernel, stride, padding, dilation,
                                  out)
        y, idx = y.reshape(a.shape[:-nd] + out), idx.reshape(a.shape[:-nd] + out)
        # windows sharing elements -- or reading only padding (-1 indices, which the bincount
        # path drops) -- scatter through bincount
        overlap = (any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
                   or (any(padding) and bool((idx < 0).any())))
        ctx.args = (idx, a.shape, overlap, nd, _MAX_POOL_GRAD[nd])
        return y, idx

    @staticmethod
    def backward(ctx, gy, _gidx):
        return None if gy is None else ctx.args[-1].apply(gy, *ctx.args)

    @staticmethod
    def array_backward(ctx, gy, _gidx):
        """backward's first order on arrays: the scatter of _MaxPoolGrad."""
        return None if gy is None else _max_pool_grad(ctx._be.xp, gy, *ctx.args[:-1])


def _max_pool_grad(xp, gy, idx, shape, overlap, nd):
    """A max pool's gradient on arrays (of any batching): each gy at its maximum's element."""
    return windows.max_pool_backward(xp, _batched(gy, nd), _batched(idx, nd),
                                     _shape_b(shape, nd), overlap).reshape(shape)


class MaxPool3d(MaxPool2d):
    node_name = "MaxPool3DWithIndicesBackward0"


class _MaxPoolGrad(ArrayFunction):
    """A max pool's gradient: each gy scattered to its maximum's element."""
    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, idx, shape, overlap, nd, cls):
        ctx.args = (idx, shape, overlap, nd, cls)
        return _max_pool_grad(gy._be.xp, gy._arr, idx, shape, overlap, nd)

    @staticmethod
    def backward(ctx, gg):
        return _MaxPoolGather.apply(gg, *ctx.args)


class _MaxPool3dGrad(_MaxPoolGrad):
    node_name = "MaxPool3DWithIndicesBackwardBackward0"


class _AdaptiveMaxPoolGrad(_MaxPoolGrad):
    node_name = "AdaptiveMaxPool2DBackwardBackward0"


_MAX_POOL_GRAD = {2: _MaxPoolGrad, 3: _MaxPool3dGrad}


class _MaxPoolGather(ArrayFunction):
    """gg at each window's maximum: the backward of _MaxPoolGrad (whose backward it has)."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, gg, idx, shape, overlap, nd, cls):
        ctx.args = (idx, shape, overlap, nd, cls)
        return windows.max_pool_double_backward(gg._be.xp, _batched(gg._arr, nd),
                                                _batched(idx, nd)).reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        return ctx.args[-1].apply(g, *ctx.args)


def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    name, count = f"max_pool{nd}d", _COUNT[nd]
    kernel = _pool_tuple(kernel_size, f"kernel_size must either be a single int, or a tuple "
                         f"of {count} ints", name, nd)
    stride = _pool_tuple(stride if stride is not None else [], "stride must either be "
                         f"omitted, a single int, or a tuple of {count} ints", name, nd,
                         True) or kernel
    padding = _pool_tuple(padding, f"padding must either be a single int, or a tuple of "
                          f"{count} ints", name, nd)
    dilation = _pool_tuple(dilation, f"dilation must be either a single int, or a tuple of "
                           f"{count} ints", name, nd)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")
    out = _pool_geometry(input, kernel, stride, padding, dilation, ceil_mode)
    y, idx = (MaxPool2d if nd == 2 else MaxPool3d).apply(input, kernel, stride, padding,
                                                         dilation, out)
    return (y, idx) if return_indices else y


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False) -> Tensor

    The maximum of each window (stride defaults to kernel_size; padding counts as -inf);
    (output, indices) when return_indices.  The gradient goes to the element that was taken."""
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


@autocast_op(cpu=FP32)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False) -> Tensor

    The maximum of each 3-D window of input (N, C, D, H, W) or (C, D, H, W); (output,
    indices into each D * H * W volume) when return_indices."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's checks of max_pool1d without indices (the path taken without autograd)."""
    shape = list(input.shape)
    if not (input.dim() in (2, 3) and all(shape[1:]) and (input.dim() == 3 or shape[0])):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{shape}")
    for arg, v, what in (("kernel_size", kernel_size, "an int, list of ints or tuple"),
                         ("stride", stride, "None, an int, list of ints, or tuple"),
                         ("padding", padding, "an int, list of ints, or tuple"),
                         ("dilation", dilation, "an int, list of ints or tuple")):
        n = len(_list(v))
        if n != 1 and not (arg == "stride" and n == 0):
            raise RuntimeError(f"max_pool1d() {arg} must be {what} of ints of size 1 but got "
                               f"size {n}")
    k, p, d = _list(kernel_size)[0], _list(padding)[0], _list(dilation)[0]
    s = _list(stride)[0] if _list(stride) else k
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    if _out_size(shape[-1], k, p, s, d, ceil_mode) < 1:
        raise RuntimeError("max_pool1d() Invalid computed output size: "
                           f"{_out_size(shape[-1], k, p, s, d, ceil_mode)}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
    return_indices=False) -> Tensor

    The maximum of each window of input (N, C, L) or (C, L): max_pool2d of the input
    unsqueezed at -2, as PyTorch computes it; (output, indices) when return_indices."""
    stride = [] if stride is None else stride
    if not return_indices and not (input.requires_grad and _grad_enabled()):
        _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    k = _check1d("max_pool1d", "kernel_size", kernel_size)
    s = _check1d("max_pool1d", "stride", stride) if _list(stride) else k
    p = _check1d("max_pool1d", "padding", padding)
    d = _check1d("max_pool1d", "dilation", dilation)
    _check_dim_range(input, "max_pool1d")
    y, idx = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode, True)
    y, idx = y.squeeze(-2), idx.squeeze(-2)
    return (y, idx) if return_indices else y


def _grad_enabled():
    from ..autograd.grad_mode import is_grad_enabled
    return is_grad_enabled()


# ---- adaptive max pooling --------------------------------------------------------------------

class AdaptiveMaxPool2d(ArrayFunction):
    node_name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out):
        a, nd = x._arr, len(out)
        y, idx = windows.adaptive_max_pool(x._be.xp, _batched(a, nd), out)
        y, idx = y.reshape(a.shape[:-nd] + out), idx.reshape(a.shape[:-nd] + out)
        ctx.args = (idx, a.shape, True, nd, _ADAPTIVE_MAX[nd][1])
        return y, idx

    @staticmethod
    def backward(ctx, gy, _gidx):
        return None if gy is None else ctx.args[-1].apply(gy, *ctx.args)

    array_backward = staticmethod(MaxPool2d.array_backward)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    node_name = "AdaptiveMaxPool3DBackward0"


class _AdaptiveMaxPool3dGrad(_MaxPoolGrad):
    node_name = "AdaptiveMaxPool3DBackwardBackward0"


_ADAPTIVE_MAX = {2: (AdaptiveMaxPool2d, _AdaptiveMaxPoolGrad),
                 3: (AdaptiveMaxPool3d, _AdaptiveMaxPool3dGrad)}


def _adaptive_max_poolnd(nd, input, output_size, return_indices):
    """PyTorch's adaptive_max_pool2d / 3d (nd), its checks included."""
    name = f"adaptive_max_pool{nd}d"
    size = _list(output_size)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but input has sizes {list(input.shape)} "
                               f"with dimension {i} being empty")
    if len(size) == 1 and isinstance(output_size, numbers.Integral):
        size = size * nd
    if len(size) != nd:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    size = [input.shape[i - nd] if v is None else int(v) for i, v in enumerate(size)]
    if min(size) < 0:
        shape = list(input.shape[:-nd]) + size
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{shape}")
    if not input.is_floating_point():
        kernel = name if nd == 2 else name + "_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    y, idx = _ADAPTIVE_MAX[nd][0].apply(input, tuple(size))
    return (y, idx) if return_indices else y


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """adaptive_max_pool2d(input, output_size, return_indices=False) -> Tensor

    Max pooling to the output size (an int or a pair; None keeps that input size), the
    windows as adaptive_avg_pool2d's; (output, indices) when return_indices."""
    return _adaptive_max_poolnd(2, input, output_size, return_indices)


@autocast_op(cpu=FP32)
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """adaptive_max_pool3d(input, output_size, return_indices=False) -> Tensor

    Max pooling of input (N, C, D, H, W) or (C, D, H, W) to the output size (an int or a
    triple; None keeps that input size), the windows as adaptive_avg_pool3d's; (output,
    indices into each D * H * W volume) when return_indices."""
    return _adaptive_max_poolnd(3, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool1d(input, output_size, return_indices=False) -> Tensor

    Max pooling of input (N, C, L) or (C, L) to length output_size: adaptive_max_pool2d of
    the input unsqueezed at -2, as PyTorch computes it."""
    o = _check1d("adaptive_max_pool1d", "output_size", output_size)
    _check_dim_range(input, "adaptive_max_pool1d")
    y, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True)
    y, idx = y.squeeze(-2), idx.squeeze(-2)
    return (y, idx) if return_indices else y


# ---- max unpooling ---------------------------------------------------------------------------

class MaxUnpool2d(ArrayFunction):
    node_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, idx, shape, nd=2):
        ctx.args = (idx, shape, True, nd, _MAX_POOL_GRAD[nd])
        return windows.max_unpool(x._be.xp, _batched(x._arr, nd), _batched(idx, nd),
                                  _shape_b(shape, nd)).reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return _MaxPoolGather.apply(gy, *ctx.args)


class MaxUnpool3d(MaxUnpool2d):
    node_name = "MaxUnpool3DBackward0"


def _unpool_output_size(input, kernel, stride, padding, output_size):
    """PyTorch's _unpool_output_size: the default size, or output_size checked against it."""
    nd = len(kernel)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(nd):
        lo, hi = default[d] - stride[d], default[d] + stride[d]
        if not lo < output_size[d] < hi:
            raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be '
                             f"between {lo} and {hi})")
    return [int(v) for v in output_size]


def _max_unpool2d(input, indices, size):
    """PyTorch's max_unpool2d on a 3-d or 4-d input (max_unpool1d's too)."""
    return _max_unpoolnd(2, input, indices, size)


def _max_unpoolnd(nd, input, indices, size, stride=None):
    """PyTorch's max_unpool2d / 3d (nd) on an unbatched or batched input, its checks
    included (3-d: ``stride`` too)."""
    if indices.dtype.name != "int64":
        raise RuntimeError("elements in indices should be type int64" + (
            f" but got: {indices.dtype.scalar_name}" if nd == 2 else ""))
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d "
                           f"Tensor, but got a tensor with {input.dim()} dimensions.")
    if nd == 3:
        for what, v in (("output_size", size), ("stride", stride)):
            if len(v) != 3:
                raise RuntimeError(f"There should be exactly three elements (depth, height, "
                                   f"width) in {what}, but got {len(v)} elements.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got "
                               f"{list(input.shape)} with dimension {i} being empty.")
    if nd == 3 and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{list(stride)}")
    if not input.is_floating_point():
        raise NotImplementedError(f'"max_unpool{nd}d" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    idx, plane = indices._arr, math.prod(size)
    xp = indices._be.xp
    bad = (idx < 0) | (idx >= plane)
    if idx.size and bool(bad.any()):
        first = int(idx.reshape(-1)[int(xp.argmax(bad.reshape(-1)))])
        raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                           f"{'x'.join(map(str, size))})")
    return (MaxUnpool2d if nd == 2 else MaxUnpool3d).apply(
        input, idx, tuple(input.shape[:-nd]) + tuple(size), nd)


@autocast_op(cpu=FP32)
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None)
    -> Tensor

    A partial inverse of max_pool2d: each input value written where its index (from
    max_pool2d's return_indices) says, zeros elsewhere."""
    kernel = _pair(kernel_size)
    stride = _pair(stride) if stride is not None else kernel
    padding = _pair(padding)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return _max_unpool2d(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)
    -> Tensor

    A partial inverse of max_pool1d: max_unpool2d of the input unsqueezed at -1, as PyTorch
    computes it."""
    kernel = (_list(kernel_size)[0],)
    stride = (_list(stride)[0],) if stride is not None else kernel
    padding = (_list(padding)[0],)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return _max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)


@autocast_op(cpu=FP32)
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None)
    -> Tensor

    A partial inverse of max_pool3d: each value of input (N, C, D, H, W) or (C, D, H, W)
    written where its index (into each D * H * W output volume) says, zeros elsewhere."""
    kernel = _triple(kernel_size)
    stride = _triple(stride) if stride is not None else kernel
    padding = _triple(padding)
    size = _unpool_output_size(input, kernel, stride, padding, output_size)
    return _max_unpoolnd(3, input, indices, size, stride)


def _pair(v):
    v = _list(v)
    return tuple(int(n) for n in (v * 2 if len(v) == 1 else v))


def _triple(v):
    v = _list(v)
    return tuple(int(n) for n in (v * 3 if len(v) == 1 else v))


# ---- average pooling -------------------------------------------------------------------------

_AvgGeom = collections.namedtuple("_AvgGeom", "kernel stride padding out_hw count_include_pad "
                                              "divisor_override")


class AvgPool2d(ArrayFunction):
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, geom):
        ctx.geom, ctx.shape = geom, x._arr.shape
        ctx.save_for_backward(x)
        a, nd = x._arr, len(geom.kernel)
        return windows.avg_pool(x._be.xp, _batched(a, nd), *geom).reshape(
            a.shape[:-nd] + geom.out_hw)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors  # an input of the gradient's node, as PyTorch's self
        return _AVG_POOL[len(ctx.geom.kernel)][1].apply(gy, x, ctx.geom, ctx.shape)

    @staticmethod
    def array_backward(ctx, gy):
        """backward's first order on arrays: the spread of _AvgPoolGrad."""
        return _avg_pool_grad(ctx._be, gy, ctx.geom, ctx.shape)


@_rounded_once
def _avg_pool_grad(be, gy, geom, shape):
    """An avg pool's gradient on arrays: each gy / divisor spread over its window."""
    k, s, p, _, cip, div = geom
    return windows.avg_pool_backward(be.xp, _batched(gy, len(k)), _shape_b(shape, len(k)), k, s,
                                     p, cip, div).reshape(shape)


class AvgPool3d(AvgPool2d):
    node_name = "AvgPool3DBackward0"


class _AvgPoolGrad(ArrayFunction):
    """An avg pool's gradient (its transpose): each gy spread over its window.  The pooled
    input x is an input too (PyTorch's avg_pool2d_backward takes self; its gradient is 0), so
    under create_graph the gradient requires grad as PyTorch's does."""
    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, x, geom, shape):
        ctx.geom = geom
        ctx.save_for_backward(x)
        return _avg_pool_grad(gy._be, gy._arr, geom, shape)

    @staticmethod
    def backward(ctx, gg):
        x, = ctx.saved_tensors
        return (_AVG_POOL[len(ctx.geom.kernel)][0].apply(gg, ctx.geom),
                x.new_zeros(x.shape) if ctx.needs_input_grad[1] else None)


class _AvgPool3dGrad(_AvgPoolGrad):
    node_name = "AvgPool3DBackwardBackward0"


_AVG_POOL = {2: (AvgPool2d, _AvgPoolGrad), 3: (AvgPool3d, _AvgPool3dGrad)}


def _avg_poolnd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    name, count = f"avg_pool{nd}d", _COUNT[nd]
    either = "either " if nd == 2 else ""
    kernel = _pool_tuple(kernel_size, f"kernel_size must {either}be a single int, or a tuple "
                         f"of {count} ints", name, nd)
    stride = _pool_tuple(stride if stride is not None else [], f"stride must {either}be "
                         f"omitted, a single int, or a tuple of {count} ints", name, nd,
                         True) or kernel
    padding = _pool_tuple(padding, f"padding must {either}be a single int, or a tuple of "
                          f"{count} ints", name, nd)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if nd == 2:
        input.size(-3)  # PyTorch's IndexError for inputs of fewer than 3 dims
    elif input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = _pool_geometry(input, kernel, stride, padding, (1,) * nd, ceil_mode, nd == 3)
    geom = _AvgGeom(kernel, stride, padding, out, bool(count_include_pad),
                    None if divisor_override is None else int(divisor_override))
    return _AVG_POOL[nd][0].apply(input, geom)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None) -> Tensor

    The mean of each window (stride defaults to kernel_size); count_include_pad counts the
    zero padding in the divisor, divisor_override replaces it."""
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


@autocast_op(cpu=FP32)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None) -> Tensor

    The mean of each 3-D window of input (N, C, D, H, W) or (C, D, H, W), divided as
    avg_pool2d's."""
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True) -> Tensor

    The mean of each window of input (N, C, L) or (C, L): avg_pool2d of the input
    unsqueezed at -2, as PyTorch computes it."""
    k = _check1d("avg_pool1d", "kernel_size", kernel_size)
    s = _check1d("avg_pool1d", "stride", stride) if stride is not None and _list(stride) else k
    p = _check1d("avg_pool1d", "padding", padding)
    _check_dim_range(input, "avg_pool1d")
    return avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                      count_include_pad).squeeze(-2)


# ---- lp pooling ------------------------------------------------------------------------------

def _lp_pool(pool, avg, input, norm_type, kernel_size, stride, ceil_mode, count):
    """PyTorch's lp_pool composite: max pools for p = +-inf, else avg_pool of x ** p."""
    if norm_type == float("inf"):
        return pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    # PyTorch's relu(|out|) as a select (its threshold_backward): at an all-zero window pow's
    # infinite derivative meets sign(0) = 0, and gives 0 there, not relu's 0 * inf = nan
    a = out.abs()
    pos = elementwise.where(a > 0, a, 0.0)
    return (elementwise.sign(out) * pos).mul(count).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor

    The power-average (sum of x ** p over each window) ** (1 / p) of input (N, C, L) or
    (C, L); p = inf is max pooling of |x|, p = -inf minus max pooling of -|x|."""
    return _lp_pool(max_pool1d, avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode,
                    _list(kernel_size)[0])


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor

    The power-average (sum of x ** p over each window) ** (1 / p) of input (N, C, H, W) or
    (C, H, W); p = inf is max pooling of |x|, p = -inf minus max pooling of -|x|."""
    kw, kh = _pair(kernel_size)
    return _lp_pool(max_pool2d, avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode,
                    kw * kh)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor

    The power-average (sum of x ** p over each window) ** (1 / p) of input (N, C, D, H, W)
    or (C, D, H, W); p = inf is max pooling of |x|, p = -inf minus max pooling of -|x|."""
    kd, kw, kh = _triple(kernel_size)  # PyTorch's unpacking: its ValueError for a pair
    return _lp_pool(max_pool3d, avg_pool3d, input, norm_type, kernel_size, stride, ceil_mode,
                    kd * kw * kh)


# ---- adaptive average pooling ----------------------------------------------------------------

@_rounded_once
def _adaptive_avg_pool(be, x, out):
    """adaptive average pooling on arrays (windows.py's matrices along each dim)."""
    return windows.adaptive_avg_pool(be.xp, x, out)


@_rounded_once
def _adaptive_avg_pool_grad(be, gy, shape, nd):
    """Its gradient on arrays: the transposed matrices."""
    return windows.adaptive_avg_pool_backward(be.xp, gy, shape, nd)


class AdaptiveAvgPool2d(ArrayFunction):
    node_name = "AdaptiveAvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_hw):
        ctx.shape, ctx.nd = x._arr.shape, len(out_hw)
        ctx.save_for_backward(x)
        return _adaptive_avg_pool(x._be, x._arr, out_hw)

    @staticmethod
    def backward(ctx, gy):
        x, = ctx.saved_tensors  # an input of the gradient's node, as PyTorch's self
        return _ADAPTIVE_AVG[ctx.nd][1].apply(gy, x, ctx.shape, ctx.nd)

    @staticmethod
    def array_backward(ctx, gy):
        """backward's first order on arrays."""
        return _adaptive_avg_pool_grad(ctx._be, gy, ctx.shape, ctx.nd)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    node_name = "AdaptiveAvgPool3DBackward0"


class _AdaptiveAvgPoolGrad(ArrayFunction):
    node_name = "AdaptiveAvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, x, shape, nd=2):
        ctx.out_hw, ctx.nd = gy._arr.shape[-nd:], nd
        ctx.save_for_backward(x)
        return _adaptive_avg_pool_grad(gy._be, gy._arr, shape, nd)

    @staticmethod
    def backward(ctx, gg):
        """gg pooled; the input x (an input as PyTorch's self) gets 0."""
        x, = ctx.saved_tensors
        return (_ADAPTIVE_AVG[ctx.nd][0].apply(gg, ctx.out_hw),
                x.new_zeros(x.shape) if ctx.needs_input_grad[1] else None)


class _AdaptiveAvgPool3dGrad(_AdaptiveAvgPoolGrad):
    node_name = "AdaptiveAvgPool3DBackwardBackward0"


_ADAPTIVE_AVG = {2: (AdaptiveAvgPool2d, _AdaptiveAvgPoolGrad),
                 3: (AdaptiveAvgPool3d, _AdaptiveAvgPool3dGrad)}


def _adaptive_avg_poolnd(nd, input, output_size):
    name = f"adaptive_avg_pool{nd}d"
    size = _list(output_size)
    if len(size) == 1:
        size = size * nd
    if len(size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    size = [input.shape[i - nd] if v is None else int(v) for i, v in enumerate(size)]
    if min(size) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           "but received {" + (", " if nd == 2 else ",").join(
                               [", ".join(map(str, size[:-1])), str(size[-1])]) + "}")
    if size == [1] * nd:  # as PyTorch: MeanBackward1
        return input.mean(tuple(range(-1, -nd - 1, -1)), keepdim=True)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(input.shape)}")
    for i in range(-nd, 0):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i + input.dim()} being empty")
    if not input.is_floating_point():
        kernel = name if nd == 2 else name + "_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    return _ADAPTIVE_AVG[nd][0].apply(input, tuple(size))


def adaptive_avg_pool2d(input, output_size):
    """adaptive_avg_pool2d(input, output_size) -> Tensor

    Average pooling to the output size (an int or a pair; None keeps that input size), the
    windows as PyTorch's: rows floor(i * H / oH) to ceil((i + 1) * H / oH)."""
    return _adaptive_avg_poolnd(2, input, output_size)


@autocast_op(cpu=FP32)
def adaptive_avg_pool3d(input, output_size):
    """adaptive_avg_pool3d(input, output_size) -> Tensor

    Average pooling of input (N, C, D, H, W) or (C, D, H, W) to the output size (an int or a
    triple; None keeps that input size), the windows as adaptive_avg_pool2d's."""
    return _adaptive_avg_poolnd(3, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """adaptive_avg_pool1d(input, output_size) -> Tensor

    Average pooling of input (N, C, L) or (C, L) to length output_size: adaptive_avg_pool2d
    of the input unsqueezed at -2, as PyTorch computes it."""
    o = _check1d("adaptive_avg_pool1d", "output_size", output_size)
    _check_dim_range(input, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


# ---- the *_with_indices forms -----------------------------------------------------------------

def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
    ceil_mode=False, return_indices=False) -> (Tensor, Tensor)

    max_pool1d's (output, indices), whatever return_indices says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
    ceil_mode=False, return_indices=False) -> (Tensor, Tensor)

    max_pool2d's (output, indices), whatever return_indices says."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
    ceil_mode=False, return_indices=False) -> (Tensor, Tensor)

    max_pool3d's (output, indices), whatever return_indices says."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d_with_indices(input, output_size, return_indices=False)
    -> (Tensor, Tensor)

    adaptive_max_pool1d's (output, indices), whatever return_indices says."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d_with_indices(input, output_size, return_indices=False)
    -> (Tensor, Tensor)

    adaptive_max_pool2d's (output, indices), whatever return_indices says."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool3d_with_indices(input, output_size, return_indices=False)
    -> (Tensor, Tensor)

    adaptive_max_pool3d's (output, indices), whatever return_indices says."""
    return adaptive_max_pool3d(input, output_size, True)


METHODS = {}
FUNCTIONS = {"conv1d": conv1d, "conv2d": conv2d, "conv3d": conv3d,
             "conv_transpose1d": conv_transpose1d, "conv_transpose2d": conv_transpose2d,
             "conv_transpose3d": conv_transpose3d, "max_pool1d": max_pool1d,
             "max_pool2d": max_pool2d, "max_pool3d": max_pool3d, "avg_pool1d": avg_pool1d,
             "adaptive_avg_pool1d": adaptive_avg_pool1d, "adaptive_max_pool1d":
             adaptive_max_pool1d, "avg_pool2d": avg_pool2d, "adaptive_avg_pool2d":
             adaptive_avg_pool2d, "max_pool1d_with_indices": max_pool1d_with_indices}
FUNCTIONAL = {f.__name__: f for f in (
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, max_pool1d,
    max_pool2d, max_pool3d, avg_pool1d, avg_pool2d, avg_pool3d, adaptive_avg_pool1d,
    adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool2d,
    max_unpool1d, max_unpool2d, lp_pool1d, lp_pool2d, adaptive_max_pool3d, max_unpool3d,
    lp_pool3d, max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices)}
