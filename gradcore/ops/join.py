"""Joining and splitting: cat, stack, hstack, vstack, split, chunk, unbind; and the copies
that rearrange one tensor: flip, roll, repeat, tile.

split/chunk/unbind are one multi-output op each whose outputs are views of the input; in their
backward, outputs that received no gradient arrive as None and count as zeros.
"""
import math

from .._autocast import PROMOTE, autocast_op
from .. import _dtype
from ..autograd.function import ArrayFunction, _device_mismatch
from ..tensor import Tensor, _wrap, _wrap_dim
from .indexing import _select, _slice, narrow, select
from .reduction import _axes
from .shape import _as_view, _shape_arg


def _tensor_list(tensors, fn):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    tensors = list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument 'tensors' must be tuple of Tensors, not "
                            f"{type(t).__name__}")
    be = tensors[0]._be if tensors else None
    for t in tensors:
        if t._be is not be:
            raise _device_mismatch(be.device, t._be.device)
    return tensors


def _promoted(tensors):
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = _dtype.promote_types(dt, t.dtype)
    return [t if t.dtype is dt else t.to(dt) for t in tensors]


def _zeros_for(g, shape, like_dtype):
    return _wrap(g._be.xp.zeros(shape, dtype=like_dtype), g._be)


# ---- cat / stack ----------------------------------------------------------------------------

class Cat(ArrayFunction):
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim, ctx.sizes = dim, [t._arr.shape[dim] for t in tensors]
        return tensors[0]._be.xp.concatenate([t._arr for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, gy):
        grads, off = [], 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(narrow(gy, ctx.dim, off, n) if need else None)
            off += n
        return tuple(grads)


@autocast_op(cpu=PROMOTE)
def cat(tensors, dim=0, *, axis=None):
    """cat(tensors, dim=0, *, axis=None, out=None) -> Tensor

    The tensors joined along the existing dim ``dim`` (``axis`` is its NumPy name), their
    dtypes promoted; 1-D empty tensors are skipped (``out=``: see ops/out.py).
    concat and concatenate are aliases."""
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not t._arr.ndim:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    tensors = _promoted(tensors)
    # legacy: 1-d empty tensors are skipped whatever the others' shape
    kept = [(i, t) for i, t in enumerate(tensors) if not (t._arr.ndim == 1 and not t._arr.size)]
    if not kept:
        return Cat.apply(0, *tensors)
    ref = kept[0][1]._arr.shape
    d = _wrap_dim(dim, len(ref))
    for i, t in kept:
        shape = t._arr.shape
        if len(shape) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} "
                               f"and {len(shape)}")
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} "
                                   "in the list.")
    return Cat.apply(d, *(t for _, t in kept))


class Stack(ArrayFunction):
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return tensors[0]._be.xp.stack([t._arr for t in tensors], axis=dim)

    @staticmethod
    def backward(ctx, gy):
        return tuple(select(gy, ctx.dim, i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))


@autocast_op(cpu=PROMOTE)
def stack(tensors, dim=0):
    """stack(tensors, dim=0, *, out=None) -> Tensor

    Equal-shape tensors joined along a new dim inserted at ``dim``, their dtypes promoted
    (``out=``: see ops/out.py)."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._arr.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._arr.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref)} at entry 0 and {list(t._arr.shape)} at entry {i}")
    d = _wrap_dim(dim, len(ref) + 1)
    return Stack.apply(d, *_promoted(tensors))


def _at_least(t, n):
    shape = t._arr.shape
    if len(shape) >= n:
        return t
    return t.reshape((1,) * (n - len(shape)) + shape)


def hstack(tensors):
    """hstack(tensors) -> Tensor

    The tensors joined column-wise: cat along dim 1, or dim 0 for 1-D tensors (0-d ones are
    made 1-D first)."""
    tensors = _tensor_list(tensors, "hstack")
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    tensors = [_at_least(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors[0]._arr.ndim == 1 else 1)


def vstack(tensors):
    """vstack(tensors) -> Tensor

    The tensors joined row-wise: each made at least 2-D (shape (n,) becomes (1, n)), then cat
    along dim 0."""
    tensors = _tensor_list(tensors, "vstack")
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat([_at_least(t, 2) for t in tensors], 0)


# ---- split / chunk / unbind: several views ---------------------------------------------------

class Split(ArrayFunction):
    node_name = "SplitBackward0"

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim, ctx.sizes, ctx.shape = dim, sizes, x._arr.shape
        pre, out, off = (slice(None),) * dim, [], 0
        for n in sizes:
            out.append(x._arr[pre + (slice(off, off + n),)])
            off += n
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        g0 = next(g for g in grads if g is not None)
        shape, d = list(ctx.shape), ctx.dim
        parts = []
        for g, n in zip(grads, ctx.sizes):
            if g is None:
                shape[d] = n
                g = _zeros_for(g0, tuple(shape), g0._arr.dtype)
            parts.append(g)
        return Cat.apply(d, *parts)


class SplitWithSizes(Split):
    node_name = "SplitWithSizesBackward0"


def _split_views(input, d, sizes, cls):
    outs = cls.apply(input, d, tuple(sizes))
    off = 0
    for o, n in zip(outs, sizes):
        _as_view(o, input, lambda b, s=off, n=n: _slice(b, d, s, s + n))
        off += n
    return outs


def _dim_for_split(input, dim, fn):
    if not input._arr.ndim:
        raise RuntimeError(f"{fn} expects at least a 1-dimensional tensor")
    return _wrap_dim(dim, input._arr.ndim)


def split(tensor, split_size_or_sections, dim=0):
    """split(tensor, split_size_or_sections, dim=0) -> tuple of Tensors

    tensor cut along ``dim`` into pieces of split_size_or_sections entries each (the last may be
    smaller), or of the sizes in a list; each piece is a view sharing tensor's memory."""
    d = _dim_for_split(tensor, dim, "split")
    size = tensor._arr.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(n) for n in split_size_or_sections]
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        return _split_views(tensor, d, sizes, SplitWithSizes)
    n = int(split_size_or_sections)
    if n < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={n}")
    if n == 0 and size:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    sizes = [min(n, size - s) for s in range(0, size, n)] if size else [0]
    return _split_views(tensor, d, sizes, Split)


def chunk(input, chunks, dim=0):
    """chunk(input, chunks, dim=0) -> tuple of Tensors

    input cut along ``dim`` into pieces of ceil(size / chunks) entries (the last may be smaller,
    and there may be fewer than ``chunks`` pieces); each piece is a view of input."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim_for_split(input, dim, "chunk")
    size = input._arr.shape[d]
    if not size:
        return _split_views(input, d, [0] * chunks, SplitWithSizes)
    return split(input, math.ceil(size / chunks), d)


class Unbind(ArrayFunction):
    node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.shape = dim, x._arr.shape
        pre = (slice(None),) * dim
        return tuple(x._arr[pre + (i, Ellipsis)] for i in range(x._arr.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        g0 = next(g for g in grads if g is not None)
        zero = None
        parts = []
        for g in grads:
            if g is None:
                if zero is None:
                    zero = _zeros_for(g0, g0._arr.shape, g0._arr.dtype)
                g = zero
            parts.append(g)
        return Stack.apply(ctx.dim, *parts)


def unbind(input, dim=0):
    """unbind(input, dim=0) -> tuple of Tensors

    The slices of input along ``dim``, that dim removed; each is a view sharing input's memory."""
    if not input._arr.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input._arr.ndim)
    if not input._arr.shape[d]:
        return ()
    outs = Unbind.apply(input, d)
    for i, o in enumerate(outs):
        _as_view(o, input, lambda b, i=i: _select(b, d, i))
    return outs


# ---- flip / roll / repeat / tile ------------------------------------------------------------

class Flip(ArrayFunction):
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x._be.xp.flip(x._arr, axes).copy()

    @staticmethod
    def backward(ctx, gy):
        return Flip.apply(gy, ctx.axes)


def flip(input, dims):
    """flip(input, dims) -> Tensor

    A copy of input with the order of the entries reversed along each dim in ``dims`` (an int
    or a sequence of ints)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = _axes(dims, input._arr.ndim) if dims else None
    return Flip.apply(input, axes or ())


def _flip_method(self, *dims):
    """flip(*dims) -> Tensor

    gradcore.flip(self, dims): dims given as separate ints or as one sequence."""
    return flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)


class Roll(ArrayFunction):
    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return x._be.xp.roll(x._arr, shifts if dims is not None else shifts[0], dims)

    @staticmethod
    def backward(ctx, gy):
        return Roll.apply(gy, tuple(-s for s in ctx.shifts), ctx.dims)


def roll(input, shifts, dims=None):
    """roll(input, shifts, dims=None) -> Tensor

    A copy of input with its entries shifted by ``shifts`` along ``dims``, wrapping around; with
    dims=None the flattened tensor is rolled and the shape kept. Gradient: rolled back."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return Roll.apply(input, shifts, None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    n = input._arr.ndim
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, n) for d in dims))


class Repeat(ArrayFunction):
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x._arr.shape, reps
        return x._be.xp.tile(x._arr, reps)

    @staticmethod
    def backward(ctx, gy):
        reps, shape = ctx.reps, ctx.shape
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        inter = tuple(v for r, n in zip(reps, padded) for v in (r, n))
        summed = gy.reshape(inter).sum(tuple(range(0, len(inter), 2)))
        return summed.reshape(shape)


def repeat(self, *sizes):
    """repeat(*repeats) -> Tensor

    A copy of self tiled repeats[i] times along dim i; extra leading repeats add new dims.
    Gradient: the copies summed."""
    reps = _shape_arg(sizes)
    shape = self._arr.shape
    if len(reps) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    padded = (1,) * (len(reps) - len(shape)) + shape
    out = [r * n for r, n in zip(reps, padded)]
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {out}")
    return Repeat.apply(self, reps)


def tile(input, dims):
    """tile(input, dims) -> Tensor

    input repeated dims[i] times along dim i, as Tensor.repeat, except that ``dims`` shorter than
    input.dim() is padded with leading 1s."""
    reps = _shape_arg((dims,) if isinstance(dims, int) else (tuple(dims),))
    return repeat(input, (1,) * (input._arr.ndim - len(reps)) + reps)


def _tile_method(self, *dims):
    """tile(*dims) -> Tensor

    gradcore.tile(self, dims): dims given as separate ints or as one sequence."""
    return tile(self, _shape_arg(dims))


METHODS = {
    "split": split, "chunk": chunk, "unbind": unbind, "flip": _flip_method, "roll": roll,
    "repeat": repeat, "tile": _tile_method,
}
FUNCTIONS = {
    "cat": cat, "concat": cat, "concatenate": cat, "stack": stack, "hstack": hstack,
    "vstack": vstack, "split": split, "chunk": chunk, "unbind": unbind, "flip": flip,
    "roll": roll, "tile": tile,
}
