"""Structure ops: triangles (tril, triu, their indices), diagonals (diag, diag_embed, diagonal,
trace, fill_diagonal_), block_diag, cartesian_prod, meshgrid, kron, cross, rot90, fliplr/flipud,
repeat_interleave, broadcast_tensors, atleast_1d/2d/3d, take, the stack and split variants,
index_add/index_copy/index_fill, masked_scatter, scatter_reduce.

Most are compositions of the shape, join and indexing ops (so their gradients, views and
double backward come from those); the ops that are one node in PyTorch are one node here too.
index_add, index_copy, index_fill, masked_scatter and take are indexing's gather / scatter with
another ``idx`` (a tuple of integer arrays and slices, see ops/indexing.py).
"""
import itertools
import math
import operator
import warnings

import numpy as np

from .._autocast import FP32, PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..backend import capture, get_backend
from ..tensor import Tensor, _wrap, _wrap_dim
from . import elementwise as E
from .indexing import (Index, IndexPut, _gather_key, _index_on, _on, _slice, _view, Slice,
                       index_select, narrow)
from .inplace import fill_, inplace
from .join import _promoted, _tensor_list, cat, flip, hstack, vstack
from .shape import UnsafeView, _as_view, broadcast_shapes, movedim, reshape, sum_to
from .out import caller_level


def _method(fn, name, sig):
    """The in-place form ``name`` of ``fn``: fn(self, ...) written into self."""
    def method(self, *args, **kwargs):
        return inplace(self, lambda t: fn(t, *args, **kwargs))
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{sig} -> Tensor\n\n{fn.__name__} done in place on self; returns self."
    return method


# ---- tril / triu ----------------------------------------------------------------------------

class Tril(ArrayFunction):
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        xp, a = x._be.xp, x._arr
        r, c = a.shape[-2:]
        mask = xp.tri(r, c, k - 1 if upper else k, dtype=bool)
        return xp.where(~mask if upper else mask, a, xp.zeros((), a.dtype))

    @staticmethod
    def backward(ctx, gy):
        return (Triu if ctx.upper else Tril).apply(gy, ctx.k, ctx.upper)


class Triu(Tril):
    node_name = "TriuBackward0"


def _triangle(input, diagonal, upper):
    if input._arr.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 "
                           "dimensions")
    return (Triu if upper else Tril).apply(input, operator.index(diagonal), upper)


def tril(input, diagonal=0):
    """tril(input, diagonal=0) -> Tensor

    The lower triangle of input's last two dims (entries on and below the ``diagonal``-th
    diagonal kept, the rest zeroed); a batch of matrices for more dims. Gradient: tril of it."""
    return _triangle(input, diagonal, False)


def triu(input, diagonal=0):
    """triu(input, diagonal=0) -> Tensor

    The upper triangle of input's last two dims (entries on and above the ``diagonal``-th
    diagonal kept, the rest zeroed). Gradient: triu of it."""
    return _triangle(input, diagonal, True)


def _tri_indices(fn, row, col, offset, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"{'row' if row < 0 else 'col'} must be non-negative, got"
                           f"{row if row < 0 else col}")
    dt = _dtype.to_dtype(dtype)
    if dt not in (_dtype.int64, _dtype.int32):
        raise NotImplementedError(f"\"{fn}\" not implemented for '{dt.scalar_name}'")
    be = get_backend(device)
    xp = be.xp
    rows, cols = getattr(xp, fn)(row, offset, col)
    return _wrap(xp.stack([rows, cols]).astype(dt.np).reshape(2, -1), be)


def tril_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    """tril_indices(row, col, offset=0, *, dtype=torch.long, device=None) -> Tensor

    The (2, N) coordinates (row indices, then column indices, in row-major order) of the lower
    triangle of a row x col matrix, on and below the ``offset``-th diagonal."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None):
    """triu_indices(row, col, offset=0, *, dtype=torch.long, device=None) -> Tensor

    The (2, N) coordinates of the upper triangle of a row x col matrix, on and above the
    ``offset``-th diagonal, in row-major order."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device)


# ---- diagonals ------------------------------------------------------------------------------

def _diag_view(xp, a, offset, d1, d2):
    """A writable view of a's ``offset``-th diagonal over dims d1, d2 (as a.diagonal, whose
    NumPy view is read-only): the other dims in order, then the diagonal."""
    key = [slice(None)] * a.ndim
    if offset >= 0:
        key[d2] = slice(offset, None)
    else:
        key[d1] = slice(-offset, None)
    a = a[tuple(key)]
    rest = [k for k in range(a.ndim) if k not in (d1, d2)]
    shape = [a.shape[k] for k in rest] + [min(a.shape[d1], a.shape[d2])]
    strides = [a.strides[k] for k in rest] + [a.strides[d1] + a.strides[d2]]
    return xp.lib.stride_tricks.as_strided(a, tuple(shape), tuple(strides))


class DiagEmbed(ArrayFunction):
    """``x`` written on the diagonal (offset, d1, d2) of zeros of ``shape``."""
    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = offset, d1, d2
        out = x._be.xp.zeros(shape, dtype=x._arr.dtype)
        _diag_view(x._be.xp, out, offset, d1, d2)[...] = x._arr
        return out

    @staticmethod
    def backward(ctx, gy):
        return Diagonal.apply(gy, *ctx.args)


class DiagonalGrad(DiagEmbed):
    node_name = "DiagonalBackwardBackward0"


class Diagonal(ArrayFunction):
    """The diagonal (offset, d1, d2) of x: a view."""
    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape, ctx.args = x._arr.shape, (offset, d1, d2)
        return _diag_view(x._be.xp, x._arr, offset, d1, d2)

    @staticmethod
    def backward(ctx, gy):
        return DiagonalGrad.apply(gy, ctx.shape, *ctx.args)


class DiagonalCopy(Diagonal):
    """diag() of a matrix: the diagonal, copied."""
    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        return Diagonal.forward(ctx, x, offset, d1, d2).copy()


def _diag_dims(ndim, dim1, dim2):
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor

    A view of input's ``offset``-th diagonal over dims dim1 and dim2 (above the main one for
    offset > 0): those dims removed, the diagonal appended as the last dim. Gradient: placed
    back on that diagonal of zeros."""
    d1, d2 = _diag_dims(input._arr.ndim, dim1, dim2)
    offset = operator.index(offset)
    return _as_view(Diagonal.apply(input, offset, d1, d2), input,
                    lambda t: diagonal(t, offset, d1, d2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor

    A tensor with input's last dim written on the ``offset``-th diagonal of the new dims dim1
    and dim2 (of size n + |offset|), zeros elsewhere. Gradient: that diagonal of it."""
    shape = input._arr.shape
    d1, d2 = _diag_dims(len(shape) + 1, dim1, dim2)
    offset = operator.index(offset)
    n = shape[-1] + abs(offset)
    out = list(shape[:-1])
    for d in sorted((d1, d2)):
        out.insert(d, n)
    return DiagEmbed.apply(input, tuple(out), offset, d1, d2)


def diag(input, diagonal=0):
    """diag(input, diagonal=0) -> Tensor

    For a 1-D input, the square matrix with input on its ``diagonal``-th diagonal; for a 2-D
    input, a copy of its ``diagonal``-th diagonal as a 1-D tensor."""
    nd = input._arr.ndim
    if nd == 1:
        return diag_embed(input, diagonal, 0, 1)
    if nd != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")
    return DiagonalCopy.apply(input, operator.index(diagonal), 0, 1)


class Trace(ArrayFunction):
    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x._arr.shape
        a = x._arr
        return x._be.xp.trace(a, dtype=np.int64 if a.dtype.kind in "biu" else None)

    @staticmethod
    def backward(ctx, gy):
        return gy * _wrap(gy._be.xp.eye(*ctx.shape, dtype=gy._arr.dtype), gy._be)


@autocast_op(cpu=FP32)
def trace(input):
    """trace(input) -> Tensor

    The sum of a matrix's main diagonal (int64 for integer and bool inputs). Gradient: the
    incoming gradient times the identity."""
    if input._arr.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._arr.ndim}")
    return Trace.apply(input)


def fill_diagonal_(self, fill_value, wrap=False):
    """fill_diagonal_(fill_value, wrap=False) -> Tensor

    self's main diagonal (all indices equal) set to fill_value, in place; for a tall matrix,
    wrap=True restarts the diagonal every ncols + 1 rows (NumPy's fill_diagonal)."""
    shape = self._arr.shape
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if not self._arr.flags.c_contiguous:  # no flat view: fill a contiguous copy, write it back
        return self.copy_(fill_diagonal_(self.contiguous(), fill_value, wrap))
    step = sum(math.prod(shape[k + 1:]) for k in range(len(shape)))
    stop = None if wrap and len(shape) == 2 else min(shape) * step
    fill_(_slice(reshape(self, (-1,)), 0, 0, stop, step), fill_value)
    return self


# ---- block_diag / cartesian_prod / meshgrid / kron ------------------------------------------

class BlockDiag(ArrayFunction):
    node_name = "BlockDiagBackward0"

    @staticmethod
    def forward(ctx, *mats):
        shapes = [m._arr.shape for m in mats]
        ctx.shapes = shapes
        xp = mats[0]._be.xp
        out = xp.zeros((sum(s[0] for s in shapes), sum(s[1] for s in shapes)),
                       dtype=mats[0]._arr.dtype)
        r = c = 0
        for m, (h, w) in zip(mats, shapes):
            out[r:r + h, c:c + w] = m._arr
            r, c = r + h, c + w
        return out

    @staticmethod
    def backward(ctx, gy):
        grads, r, c = [], 0, 0
        for (h, w), need in zip(ctx.shapes, ctx.needs_input_grad):
            grads.append(gy[r:r + h, c:c + w] if need else None)
            r, c = r + h, c + w
        return tuple(grads)


def block_diag(*tensors):
    """block_diag(*tensors) -> Tensor

    The tensors (0-D, 1-D taken as one row, or 2-D) placed as blocks along the diagonal of a
    zero matrix, in order; their dtypes promoted."""
    if not tensors:
        return _wrap(get_backend(None).xp.zeros((1, 0), _dtype.get_default_dtype().np),
                     get_backend(None))
    tensors = _tensor_list(tensors, "block_diag")
    mats = []
    for i, t in enumerate(tensors):
        nd = t._arr.ndim
        if nd > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {nd} dimensions")
        mats.append(t if nd == 2 else t.reshape(1, -1))
    return BlockDiag.apply(*_promoted(mats))


def _tensor_args(tensors):
    """f(a, b, ...) and f([a, b, ...]) alike."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(tensors[0])
    return tensors


def meshgrid(*tensors, indexing=None):
    """meshgrid(*tensors, indexing=None) -> tuple of Tensors

    Coordinate grids of the 0-D or 1-D tensors: output i is tensor i expanded along every other
    dim (views). indexing='ij' gives shape (len(t0), len(t1), ...), 'xy' swaps the first two
    dims; not given, it is 'ij' with PyTorch's warning."""
    tensors = _tensor_args(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f'received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    tensors = _tensor_list(tensors, "meshgrid")
    for t in tensors:
        if t._arr.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        shape[a] = t._arr.size
    return tuple(t.reshape([-1 if k == a else 1 for k in range(len(shape))]).expand(shape)
                 for t, a in zip(tensors, axes))


def cartesian_prod(*tensors):
    """cartesian_prod(*tensors) -> Tensor

    The cartesian product of the 1-D tensors, one row per combination (in itertools.product's
    order); a single tensor comes back as it is."""
    for t in tensors:
        if isinstance(t, Tensor) and t._arr.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._arr.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    from .join import stack
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def kron(input, other):
    """kron(input, other) -> Tensor

    The Kronecker product: for each dim, out[i * other.size(d) + j] = input[i] * other[j]
    (the shorter shape padded with leading 1s); dtypes promoted."""
    a, b = input._arr.shape, other._arr.shape
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    prod = (input.reshape([v for s in a for v in (s, 1)])
            * other.reshape([v for s in b for v in (1, s)]))
    return UnsafeView.apply(prod, tuple(p * q for p, q in zip(a, b)), False)


# ---- cross / rot90 / fliplr / flipud ---------------------------------------------------------

class LinalgCross(ArrayFunction):
    node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        return a._be.xp.cross(a._arr, b._arr, axis=dim)

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(LinalgCross.apply(b, gy, ctx.dim), a._arr.shape) if need_a else None,
                sum_to(LinalgCross.apply(gy, a, ctx.dim), b._arr.shape) if need_b else None)
@autocast_op(cuda=PROMOTE)
def cross(input, other, dim=None):
    """cross(input, other, dim=None) -> Tensor

    The 3-vector cross product along ``dim`` (input and other broadcast; same dtype); dim=None
    takes the first dim of size 3, with PyTorch's deprecation warning. Gradient:
    cross(other, g) and cross(g, input)."""
    shape = input._arr.shape
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in "
                      "a future release.", UserWarning, stacklevel=caller_level())
        dim = next((k for k, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if input._arr.ndim != other._arr.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found "
                           f"{other.dtype.scalar_name}")
    d = _wrap_dim(dim, len(shape))
    broadcast_shapes(shape, other._arr.shape)
    if shape[d] != 3 or other._arr.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{shape[d]} and {other._arr.shape[d]}")
    return LinalgCross.apply(input, other, d)


class Rot90(ArrayFunction):
    node_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, x, k, dims):
        ctx.k, ctx.dims = k, dims
        return x._be.xp.ascontiguousarray(x._be.xp.rot90(x._arr, k, dims))

    @staticmethod
    def backward(ctx, gy):
        return Rot90.apply(gy, -ctx.k, ctx.dims)


def rot90(input, k=1, dims=(0, 1)):
    """rot90(input, k=1, dims=[0, 1]) -> Tensor

    A copy of input rotated by 90 degrees k times in the plane of ``dims``, from the first dim
    towards the second. Gradient: rotated back."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input._arr.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = _wrap_dim(dims[0], nd), _wrap_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    return Rot90.apply(input, operator.index(k) % 4, (d0, d1))


def fliplr(input):
    """fliplr(input) -> Tensor

    A copy of input with dim 1 reversed (left/right, for a matrix); input must be >= 2-D."""
    if input._arr.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input):
    """flipud(input) -> Tensor

    A copy of input with dim 0 reversed (up/down); input must be >= 1-D."""
    if input._arr.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


# ---- repeat_interleave -----------------------------------------------------------------------

def _repeat_index(repeats, size, output_size):
    """The index array that repeats arange(size) by the integer tensor ``repeats``."""
    r = repeats._arr
    if r.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{repeats.dtype.scalar_name}'")
    if r.size and int(r.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    counts = repeats._be.to_host(r).reshape(-1)  # a few counts; CuPy's repeat takes no array
    if size is not None and counts.size == 1:
        counts = np.full(size, counts[0])
    out = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    if output_size is not None and out.size != output_size:
        raise RuntimeError("allocated size does not match required size")
    return out


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """repeat_interleave(input, repeats, dim=None, *, output_size=None) -> Tensor

    Each slice of input along ``dim`` (of the flattened input when dim is None) repeated
    ``repeats`` times in place: an int, or an integer tensor of one count per slice.
    repeat_interleave(repeats) alone gives the index that repeats arange(len(repeats)) so.
    Gradient: the copies summed."""
    if repeats is None:  # the single-tensor form: input is the counts
        if input._arr.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        return _wrap(input._be.from_host(_repeat_index(input, None, output_size)), input._be)
    x, d = (input.reshape(-1), 0) if dim is None else (input, _wrap_dim(dim, input._arr.ndim))
    if not x._arr.ndim:
        x = x.reshape(1)
    size = x._arr.shape[d]
    if isinstance(repeats, Tensor):
        if repeats._arr.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats._arr.size != 1 and repeats._arr.size != size:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats._arr.size} and input.size({d}) = "
                               f"{size}")
        index = x._be.from_host(_repeat_index(repeats, size, output_size))
        return index_select(x, d, _wrap(index, x._be))
    r = operator.index(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = x._arr.shape
    if output_size is not None and output_size != size * r:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {size * r} but "
                           f"got {output_size}")
    wide = x.unsqueeze(d + 1).expand(shape[:d + 1] + (r,) + shape[d + 1:]).contiguous()
    return wide.view(shape[:d] + (size * r,) + shape[d + 1:])


# ---- broadcast_tensors / atleast_nd / take ---------------------------------------------------

def broadcast_tensors(*tensors):
    """broadcast_tensors(*tensors) -> tuple of Tensors

    The tensors expanded to their common broadcast shape (views; a tensor already of that shape
    comes back as it is)."""
    tensors = _tensor_args(tensors)
    shape = broadcast_shapes(*(t._arr.shape for t in tensors))
    return tuple(t if t._arr.shape == shape else t.expand(shape) for t in tensors)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    return tuple(fn(t) for t in _tensor_args(tensors))


def _1d(t):
    return t if t._arr.ndim else t.reshape(1)


def _2d(t):
    nd = t._arr.ndim
    return t if nd >= 2 else t.unsqueeze(0) if nd == 1 else t.reshape(1, 1)


def _3d(t):
    nd = t._arr.ndim
    if nd >= 3:
        return t
    if nd == 2:
        return t.unsqueeze(-1)
    return t.unsqueeze(0).unsqueeze(-1) if nd == 1 else t.reshape(1, 1, 1)


def atleast_1d(*tensors):
    """atleast_1d(*tensors) -> Tensor or tuple of Tensors

    Each tensor with at least one dim (a 0-D one reshaped to (1,)); others come back as they
    are. One tensor in, one out; several (or a list), a tuple."""
    return _atleast(tensors, _1d)


def atleast_2d(*tensors):
    """atleast_2d(*tensors) -> Tensor or tuple of Tensors

    Each tensor with at least two dims: (n,) becomes (1, n), a 0-D one (1, 1)."""
    return _atleast(tensors, _2d)


def atleast_3d(*tensors):
    """atleast_3d(*tensors) -> Tensor or tuple of Tensors

    Each tensor with at least three dims: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1), a
    0-D one (1, 1, 1)."""
    return _atleast(tensors, _3d)


class Take(Index):
    node_name = "TakeBackward0"


def take(input, index):
    """take(input, index) -> Tensor

    The elements of input, taken as flattened, at the int64 ``index`` (negative counts from the
    end); the result has index's shape. Gradient: added back, repeats accumulating."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._arr.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index.dtype.scalar_name}")
    x = input if input._arr.ndim else input.reshape(1)
    n, arr = x._arr.size, _index_on(x, index)
    if arr.size and capture.host_checks() and (int(arr.min()) < -n or int(arr.max()) >= n):
        host = x._be.to_host(arr).ravel()
        bad = host[(host < -n) | (host >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return Take.apply(x, x._be.xp.unravel_index(arr % max(n, 1), x._arr.shape))


# ---- stacks ----------------------------------------------------------------------------------

def _nonempty(tensors, fn):
    tensors = _tensor_list(tensors, fn)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def dstack(tensors):
    """dstack(tensors) -> Tensor

    The tensors joined depth-wise: each made at least 3-D (atleast_3d), then cat along dim 2."""
    return cat([_3d(t) for t in _nonempty(tensors, "dstack")], 2)


def column_stack(tensors):
    """column_stack(tensors) -> Tensor

    The tensors joined as columns: 0-D and 1-D ones made (n, 1) columns, then hstack."""
    tensors = _nonempty(tensors, "column_stack")
    return hstack([t.reshape(t._arr.size, 1) if t._arr.ndim <= 1 else t for t in tensors])


# ---- tensor_split / hsplit / vsplit / dsplit -------------------------------------------------

def tensor_split(input, indices_or_sections, dim=0):
    """tensor_split(input, indices_or_sections, dim=0) -> tuple of Tensors

    input cut along ``dim`` into ``sections`` pieces (an int: the first size % sections pieces
    one longer), or at the positions in a list / 1-D int64 tensor (as Python slices
    input[a:b]); each piece is a view of input."""
    nd = input._arr.ndim
    if not nd:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = _wrap_dim(dim, nd)
    split = indices_or_sections
    if isinstance(split, Tensor):
        if split._arr.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {split.dtype.scalar_name}")
        if split._arr.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {split._arr.ndim} dims")
        split = split.tolist()
    size = input._arr.shape[d]
    if isinstance(split, (list, tuple)):
        bounds = [0] + [operator.index(i) for i in split] + [None]
    else:
        n = operator.index(split)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = [k * q + min(k, r) for k in range(n + 1)]
    return tuple(_slice(input, d, *slice(a, b).indices(size)[:2])
                 for a, b in zip(bounds[:-1], bounds[1:]))


def _np_split(input, split, fn, min_dims, dim):
    nd = input._arr.ndim
    if nd < min_dims:
        what = "1 dimension" if min_dims == 1 else f"{min_dims} dimension"
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {what}, but got a "
                           f"tensor with {nd} dimensions!")
    if isinstance(split, int):
        size = input._arr.shape[dim]
        if split == 0 or size % split:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the "
                               f"split_size {split}!")
    return tensor_split(input, split, dim)


def hsplit(input, indices_or_sections):
    """hsplit(input, indices_or_sections) -> tuple of Tensors

    tensor_split along dim 1 (dim 0 for a 1-D input); an int must divide that dim's size."""
    return _np_split(input, indices_or_sections, "hsplit", 1, 1 if input._arr.ndim > 1 else 0)


def vsplit(input, indices_or_sections):
    """vsplit(input, indices_or_sections) -> tuple of Tensors

    tensor_split along dim 0 of an at least 2-D input; an int must divide that dim's size."""
    return _np_split(input, indices_or_sections, "vsplit", 2, 0)


def dsplit(input, indices_or_sections):
    """dsplit(input, indices_or_sections) -> tuple of Tensors

    tensor_split along dim 2 of an at least 3-D input; an int must divide that dim's size."""
    return _np_split(input, indices_or_sections, "dsplit", 3, 2)


# ---- index_add / index_copy / index_fill / masked_scatter ------------------------------------

class IndexAdd(IndexPut):
    node_name = "IndexAddBackward0"


class IndexCopy(IndexPut):
    node_name = "IndexCopyBackward0"


class IndexFill(IndexPut):
    node_name = "IndexFillBackward0"


class IndexFillTensor(IndexPut):
    node_name = "IndexFillBackward1"


class MaskedScatter(IndexPut):
    node_name = "MaskedScatterBackward0"


def _dim_index(input, dim, index, fn, wrap=False, exc=RuntimeError, prefix="", saved_for=None):
    """The ``idx`` of the positions ``index`` along ``dim`` (a 1-D integer tensor);
    ``saved_for``: the inputs whose gradient reads the index (default: input)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{fn}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._arr.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype.scalar_name}")
    if index._arr.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, but got dim: "
                         f"{index._arr.ndim} with type: {index.dtype.scalar_name} and size: "
                         f"{list(index._arr.shape)}")
    shape = input._arr.shape or (1,)
    d = _wrap_dim(dim, input._arr.ndim)
    arr, size = _index_on(input, index, saved_for).reshape(-1), shape[d]
    if arr.size and capture.host_checks() and (int(arr.min()) < (-size if wrap else 0)
                                               or int(arr.max()) >= size):
        host = input._be.to_host(arr)
        bad = host[(host < (-size if wrap else 0)) | (host >= size)][0]
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")
    if wrap:
        arr = input._be.xp.unique(arr % size)
    return d, (slice(None),) * d + (arr,)


def _check_source(input, source, d, n, fn):
    if not isinstance(source, Tensor):
        raise TypeError(f"{fn}(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    shape, sshape = input._arr.shape, source._arr.shape
    if input.dtype is not source.dtype:
        raise RuntimeError(
            f"index_add_(): self ({input.dtype.scalar_name}) and source "
            f"({source.dtype.scalar_name}) must have the same scalar type" if fn == "index_add_"
            else f"index_copy_(): self and source expected to have the same dtype, but got "
                 f"(self) {input.dtype.scalar_name} and (source) {source.dtype.scalar_name}")
    ssize = sshape[d] if sshape else 1
    if ssize != n:
        msg = (f"index_add_(): Number of indices ({n}) should be equal to source.size(dim): "
               f"({ssize}), for dim: {d}" if fn == "index_add_" else
               f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
               f"({ssize})")
        raise (RuntimeError if fn == "index_add_" else IndexError)(msg)
    if len(shape) != len(sshape) or any(a != b for k, (a, b) in enumerate(zip(shape, sshape))
                                        if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(shape)} "
                           f"source.shape = {list(sshape)}")


def index_add(input, dim, index, source, *, alpha=1):
    """index_add(input, dim, index, source, *, alpha=1) -> Tensor

    A copy of input with alpha * source added at the positions ``index`` along ``dim``
    (source.size(dim) == len(index); repeated indices add up). Gradient: passed through to
    input, gathered at index (times alpha) for source."""
    d, idx = _dim_index(input, dim, index, "index_add_", saved_for=(source,))
    _check_source(input, source, d, idx[-1].size, "index_add_")
    if alpha != 1:
        source = source * alpha
        if source.dtype is not input.dtype:
            source = source.to(input.dtype)
    return IndexAdd.apply(input, source, idx, True)


@autocast_op(cpu=PROMOTE)
def index_copy(input, dim, index, source):
    """index_copy(input, dim, index, source) -> Tensor

    A copy of input with source's slices written at the positions ``index`` along ``dim``.
    Gradient: zero at the overwritten places for input, gathered at index for source."""
    d, idx = _dim_index(input, dim, index, "index_copy_", exc=IndexError,
                        prefix="index_copy_(): ", saved_for=(input, source))
    _check_source(input, source, d, idx[-1].size, "index_copy_")
    return IndexCopy.apply(input, source, idx, False)


def index_fill(input, dim, index, value):
    """index_fill(input, dim, index, value) -> Tensor

    A copy of input with ``value`` (a number or a 0-D tensor) at the positions ``index`` along
    ``dim`` (negative indices count from the end). Gradient: zero at the filled places; a
    tensor value gets their sum."""
    d, idx = _dim_index(input, dim, index, "index_fill_", wrap=True, exc=IndexError,
                        saved_for=(input, value))
    if isinstance(value, Tensor):
        if value._arr.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._arr.ndim} dimension(s).")
        return IndexFillTensor.apply(input, value.to(input.dtype), idx, False)
    return IndexFill.apply(input, E._full_like_scalar(input, value), idx, False)


def masked_scatter(input, mask, source):
    """masked_scatter(input, mask, source) -> Tensor

    A copy of input (broadcast with the bool ``mask``) with source's leading elements, in
    row-major order, written where mask is True. Gradient: zero there for input; the values
    taken back to source's first elements."""
    if not isinstance(mask, Tensor) or mask._arr.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype.scalar_name}")
    if input.dtype is not source.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{input.dtype.scalar_name} and {source.dtype.scalar_name}")
    shape = broadcast_shapes(input._arr.shape, mask._arr.shape)
    x = input if input._arr.shape == shape else input.expand(shape)
    m = x._be.xp.broadcast_to(_on(x, mask), shape)
    count = int(m.sum())
    if count > source._arr.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    idx = m.nonzero() if shape else (m,)  # a 0-d bool index: x[m] has shape (count,)
    return MaskedScatter.apply(x, narrow(source.reshape(-1), 0, 0, count), idx, False)


# ---- scatter_reduce --------------------------------------------------------------------------

_REDUCE = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
           "amin": "minimum"}


def _reduce_at(be, ufunc, out, idx, values):
    """out[idx] = ufunc(out[idx], values) with repeated indices combined (ufunc.at); CuPy
    without the ufunc's ``at`` goes through the host."""
    if ufunc == "add":
        be.index_add_(out, idx, values)
        return
    try:
        getattr(be.xp, ufunc).at(out, idx, values)
    except (AttributeError, NotImplementedError, TypeError):
        host = be.to_host(out)
        getattr(np, ufunc).at(host, tuple(be.to_host(i) for i in idx), be.to_host(values))
        out[...] = be.from_host(host)


def _identity(dtype, reduce):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    floating = _dtype.is_floating(dtype)
    info = np.finfo(dtype) if floating else np.iinfo(dtype)
    lo, hi = (-np.inf, np.inf) if floating else (info.min, info.max)
    return lo if reduce == "amax" else hi


def _scatter_reduce_array(be, x, idx, src, reduce, include_self):
    """The forward on arrays, and the count of values each place reduced (for mean)."""
    out = x.copy()
    if not include_self:
        out[idx] = _identity(x.dtype, reduce)
    _reduce_at(be, _REDUCE[reduce], out, idx, src)
    if reduce != "mean":
        return out, None
    count = be.xp.full(x.shape, 1 if include_self else 0, dtype=x.dtype)
    be.index_add_(count, idx, be.xp.ones(src.shape, dtype=x.dtype))
    count = be.xp.maximum(count, 1)
    return (out / count if _dtype.is_floating(x.dtype) else out // count), count


class ScatterReduce(ArrayFunction):
    node_name = "ScatterReduceBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, x, src, idx, reduce, include_self):
        ctx.save_for_backward(x, src)
        ctx.idx, ctx.reduce, ctx.include_self = idx, reduce, include_self
        out, count = _scatter_reduce_array(x._be, x._arr, idx, src._arr, reduce, include_self)
        ctx.count = count
        return out

    @staticmethod
    def backward(ctx, gy):
        x, src, out = ctx.saved_tensors
        idx, reduce, include_self = ctx.idx, ctx.reduce, ctx.include_self
        be = gy._be

        def const(arr):
            return _wrap(arr, be)

        scattered = be.xp.zeros(x._arr.shape, dtype=bool)
        scattered[idx] = True
        if reduce in ("sum", "mean"):
            g = gy / const(ctx.count) if reduce == "mean" else gy
            gx, gsrc = g, Index.apply(g, idx)
        elif reduce in ("amax", "amin"):
            self_is = x._arr == out._arr
            if not include_self:
                self_is &= ~scattered
            src_is = src._arr == out._arr[idx]
            n = self_is.astype(gy._arr.dtype)
            be.index_add_(n, idx, src_is.astype(gy._arr.dtype))
            g = gy / const(n)
            gx, gsrc = g * const(self_is), Index.apply(g, idx) * const(src_is)
        else:
            gx, gsrc = _prod_backward(x, src, out, gy, idx, include_self, const)
        if not include_self:
            gx = gx * const(~scattered)
        need_x, need_src = ctx.needs_input_grad
        return gx if need_x else None, gsrc if need_src else None


def _prod_backward(x, src, out, gy, idx, include_self, const):
    """PyTorch's scatter_reduce prod gradient: a zero's gradient is the product of the others
    (a single zero among the values reduced into a place; with several it is 0)."""
    one = E._full_like_scalar(x, 1)
    x_ones = E.where(x == 0, one, x)
    gx = gy * ScatterReduce.apply(x_ones, src, idx, "prod", include_self) / x_ones
    src_zero = src._arr == 0
    zeros = x._be.xp.zeros(x._arr.shape, dtype=x._arr.dtype)
    x._be.index_add_(zeros, idx, src_zero.astype(x._arr.dtype))
    single = src_zero & (zeros[idx] == 1)
    others = ScatterReduce.apply(x, E.where(const(single), one, src), idx, "prod", include_self)
    gsrc = E.where(const(single), Index.apply(gy * others, idx),
                   Index.apply(gy * out, idx) / E.where(const(src_zero), one, src))
    if gsrc._rg and bool((zeros > 1).any()):
        gsrc = _NoDoubleBackward.apply(gsrc)
    return gx, gsrc


class _NoDoubleBackward(ArrayFunction):
    """prod's source gradient where several zeros meet: its derivative is not computed."""
    node_name = "ScatterReduceBackwardBackward0"

    @staticmethod
    def forward(ctx, g):
        return g._arr

    @staticmethod
    def backward(ctx, gg):
        raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 "
                           "zeros in src are scattered to the same position in self")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor

    A copy of input with src's values reduced into the places ``index`` points at along
    ``dim`` (scatter's addressing) by reduce = 'sum', 'prod', 'mean', 'amax' or 'amin';
    include_self=False leaves input's own values at those places out. Gradient: PyTorch's
    (ties of amax/amin share it evenly)."""
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not "
                        f"{type(src).__name__}")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not input._arr.ndim:
        return scatter_reduce(input.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce,
                              include_self=include_self).reshape(())
    idx, ishape = _gather_key(input, dim, index, "scatter", src)
    if src._arr.shape != ishape:  # the part of src that the index covers
        src = _view(src, Slice, tuple(slice(0, n) for n in ishape))
    return ScatterReduce.apply(input, src, idx, reduce, bool(include_self))



# ---- diagflat, the *_scatter ops: a clone with one view of it overwritten -------------------

def diagflat(input, offset=0):
    """diagflat(input, offset=0) -> Tensor

    A 2-D tensor with input's elements (flattened) on its ``offset`` diagonal."""
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"diagflat(): argument 'offset' (position 2) must be int, not "
                        f"{type(offset).__name__}")
    return diag(input.reshape(-1), offset)


def _scatter_into(input, src, view):
    """input cloned, with ``view(clone)`` overwritten by src (PyTorch's shape check and
    error); gradients: src's to src, the rest to input."""
    out = input.clone()
    part = view(out)
    if tuple(src.shape) != tuple(part.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src.shape)}, slice size = {list(part.shape)}")
    part.copy_(src)
    return out


def select_scatter(input, src, dim, index):
    """select_scatter(input, src, dim, index) -> Tensor

    input with ``input.select(dim, index)`` replaced by src (out of place)."""
    return _scatter_into(input, src, lambda t: t.select(dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor

    input with the slice ``start:end:step`` of dimension dim replaced by src (out of place)."""
    def view(t):
        d = _wrap_dim(dim, t.dim())
        return t[(slice(None),) * d + (slice(start, end, step),)]
    return _scatter_into(input, src, view)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor

    input with ``input.diagonal(offset, dim1, dim2)`` replaced by src (out of place)."""
    return _scatter_into(input, src, lambda t: t.diagonal(offset, dim1, dim2))


def combinations(input, r=2, with_replacement=False):
    """combinations(input, r=2, with_replacement=False) -> Tensor

    The length-r combinations of the 1-D input's elements, one per row (as itertools'
    combinations / combinations_with_replacement); differentiable (an index_select)."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = (itertools.combinations_with_replacement if with_replacement
            else itertools.combinations)
    rows = list(pick(range(input.shape[0]), r))
    idx = input.new_tensor([i for row in rows for i in row], dtype=_dtype.int64)
    return input.index_select(0, idx).reshape(len(rows), r)

METHODS = {
    "tril": tril, "triu": triu, "tril_": _method(tril, "tril_", "tril_(diagonal=0)"),
    "triu_": _method(triu, "triu_", "triu_(diagonal=0)"), "diag": diag,
    "diag_embed": diag_embed, "diagonal": diagonal, "trace": trace, "diagflat": diagflat,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "moveaxis": movedim,
    "fill_diagonal_": fill_diagonal_, "kron": kron, "cross": cross, "rot90": rot90,
    "fliplr": fliplr, "flipud": flipud, "repeat_interleave": repeat_interleave, "take": take,
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "index_add": index_add,
    "index_add_": _method(index_add, "index_add_", "index_add_(dim, index, source, *, alpha=1)"),
    "index_copy": index_copy,
    "index_copy_": _method(index_copy, "index_copy_", "index_copy_(dim, index, source)"),
    "index_fill": index_fill,
    "index_fill_": _method(index_fill, "index_fill_", "index_fill_(dim, index, value)"),
    "masked_scatter": masked_scatter,
    "masked_scatter_": _method(masked_scatter, "masked_scatter_",
                               "masked_scatter_(mask, source)"),
    "scatter_reduce": scatter_reduce,
    "scatter_reduce_": _method(scatter_reduce, "scatter_reduce_",
                               "scatter_reduce_(dim, index, src, reduce, *, include_self=True)"),
}
FUNCTIONS = {
    "tril": tril, "triu": triu, "tril_indices": tril_indices, "triu_indices": triu_indices,
    "diag": diag, "diag_embed": diag_embed, "diagonal": diagonal, "trace": trace,
    "block_diag": block_diag, "cartesian_prod": cartesian_prod, "meshgrid": meshgrid,
    "kron": kron, "cross": cross, "rot90": rot90, "fliplr": fliplr, "flipud": flipud,
    "repeat_interleave": repeat_interleave, "broadcast_tensors": broadcast_tensors,
    "atleast_1d": atleast_1d, "atleast_2d": atleast_2d, "atleast_3d": atleast_3d,
    "take": take, "dstack": dstack, "column_stack": column_stack, "row_stack": vstack,
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
    "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill,
    "masked_scatter": masked_scatter, "scatter_reduce": scatter_reduce, "diagflat": diagflat,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter, "combinations": combinations, "moveaxis": movedim,
}
