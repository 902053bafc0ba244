"""Shape ops: broadcasting (expand / sum_to), reshape and view, (un)squeeze, permute.

View ops return tensors sharing the input's array and version counter (``_as_view``), so an
in-place change through either is seen by autograd's saved-tensor checks.
"""
import math

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state
from ..tensor import _ViewInfo, _wrap_dim


def _as_view(out, base, fn):
    """Mark ``out`` as a view of ``base``; ``fn(tensor)`` replays the view on a new base."""
    out._vc = base._version_counter()
    info = base._view
    no_grad = 0 if _state.enabled else 1
    if info is not None:  # a view of a view: keep the root base, compose the replay
        outer = info.fn
        out._view = _ViewInfo(info.base, lambda t: fn(outer(t)),
                              2 if info.no_grad and not no_grad else no_grad)
    else:
        out._view = _ViewInfo(base, fn, no_grad)
    return out


def _shape_arg(shape):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(Size)."""
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def broadcast_shapes(*shapes):
    """broadcast_shapes(*shapes) -> tuple

    The shape that tensors of the given shapes broadcast to, as a tuple of ints; PyTorch's
    RuntimeError where they don't broadcast."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:  # each dim from the last, as PyTorch's infer_size (its first mismatch)
        for i, n in reversed(tuple(enumerate(s, ndim - len(s)))):
            if n != 1 and out[i] != 1 and n != out[i]:
                raise RuntimeError(f"The size of tensor a ({out[i]}) must match the size of "
                                   f"tensor b ({n}) at non-singleton dimension {i}")
            if n != 1:
                out[i] = n
    return tuple(out)


# ---- sum_to / expand: each is the other's backward -----------------------------------------

class SumTo(ArrayFunction):
    node_name = "SumToBackward0"

    @staticmethod
    def forward(ctx, g, shape):
        ctx.shape = g._arr.shape
        return g._be.sum_to(g._arr, shape)

    @staticmethod
    def backward(ctx, gy):
        return expand(gy, ctx.shape)


def sum_to(g, shape):
    """Sum ``g`` down to ``shape`` (undo broadcasting); identity when the shapes agree."""
    if type(shape) is not tuple:
        shape = tuple(shape)
    if g._arr.shape == shape:
        return g
    return SumTo.apply(g, shape)


def sum_to_size(self, *size):
    """sum_to_size(*size) -> Tensor

    self summed down to ``size`` (undoing a broadcast): dims that are 1 in ``size``, and leading
    dims ``size`` lacks, are summed over; ``self`` must be expandable from ``size``. Gradient:
    expanded back."""
    return sum_to(self, _shape_arg(size))


class Expand(ArrayFunction):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._arr.shape
        return x._be.xp.broadcast_to(x._arr, shape)

    @staticmethod
    def backward(ctx, gy):
        return sum_to(gy, ctx.shape)


def expand(self, *sizes):
    """expand(*sizes) -> Tensor

    A view of self with its size-1 dims (and new leading dims) stretched to ``sizes`` without
    copying; -1 keeps a dim's size. Shares memory with self. Gradient: summed over the
    stretched dims."""
    target = expanded_shape(self, _shape_arg(sizes))
    return _as_view(Expand.apply(self, target), self, lambda t: t.expand(target))


def expanded_shape(self, sizes):
    """The shape ``self.expand(*sizes)`` has (-1 keeps a size), or PyTorch's error."""
    shape = self._arr.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.{self.dtype.scalar_name}Tensor{{{list(shape)}}}, "
                           f"size={list(sizes)}): "
                           "the number of sizes provided ({}) must be greater or equal to the "
                           "number of dimensions in the tensor ({})".format(len(sizes),
                                                                            len(shape)))
    lead = len(sizes) - len(shape)
    target = []
    for i, n in enumerate(sizes):
        old = shape[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            n = old
        elif old != 1 and n != old:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing "
                               f"size ({old}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        target.append(n)
    return tuple(target)


def expand_as(self, other):
    """expand_as(other) -> Tensor

    self.expand(other.size()): a view of self broadcast to other's shape."""
    return expand(self, other._arr.shape)


def broadcast_to(self, shape):
    """broadcast_to(input, shape) -> Tensor

    input broadcast to ``shape``: a view sharing input's memory, as Tensor.expand."""
    return expand(self, tuple(shape))


# ---- reshape / view ------------------------------------------------------------------------

def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, n in enumerate(shape) if n == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(n < -1 for n in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = math.prod(n for n in shape if n != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class View(ArrayFunction):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape, strict):
        ctx.shape = x._arr.shape
        if strict:  # .view(): must not copy
            out = _reshape_view(x._arr, shape)
            if out is None:
                raise RuntimeError("view size is not compatible with input tensor's size and "
                                   "stride (at least one dimension spans across two contiguous "
                                   "subspaces). Use .reshape(...) instead.") from None
            return out
        return x._arr.reshape(shape)

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.shape)

    @staticmethod
    def array_backward(ctx, gy):
        return gy.reshape(ctx.shape)


class UnsafeView(View):
    """A reshape that had to copy (PyTorch: clone + _unsafe_view)."""
    node_name = "UnsafeViewBackward0"


def _reshape_view(arr, shape):
    """``arr`` reshaped to ``shape`` without a copy, or None where that would need one."""
    if type(arr) is np.ndarray:
        try:
            return np.reshape(arr, shape, copy=False)
        except ValueError:
            return None
        except TypeError:  # NumPy < 2.1: no copy=; shape assignment (deprecated in 2.5) then
            pass
    out = arr.view()
    try:
        out.shape = shape  # CuPy: never copies, raises where a copy is needed
    except AttributeError:
        return None
    return out


def _is_viewable(arr, shape):
    return _reshape_view(arr, shape) is not None


def reshape(self, *shape):
    """reshape(input, shape) -> Tensor

    input's elements in ``shape`` (one size may be -1, inferred). A view sharing input's memory
    where its strides allow, otherwise a copy. Method form: x.reshape(*shape) or
    x.reshape(shape)."""
    shape = _infer_shape(_shape_arg(shape), self._arr.size)
    if _is_viewable(self._arr, shape):
        return _as_view(View.apply(self, shape, True), self, lambda t: t.reshape(shape))
    return UnsafeView.apply(self, shape, False)


_VIEW_DTYPE = [None]  # views_more.view_dtype, bound there (it needs storage_offset)


def view(self, *shape):
    """view(*shape) -> Tensor

    A view of self in ``shape`` (one size may be -1), always sharing self's memory; raises where
    self's strides would need a copy (use reshape).  view(dtype): self's bits read as dtype
    (``views_more.view_dtype``)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return _VIEW_DTYPE[0](self, shape[0])
    shape = _infer_shape(_shape_arg(shape), self._arr.size)
    return _as_view(View.apply(self, shape, True), self, lambda t: t.view(shape))


def view_as(self, other):
    """view_as(other) -> Tensor

    self.view(other.size()): a view of self in other's shape."""
    return view(self, other._arr.shape)


def reshape_as(self, other):
    """reshape_as(other) -> Tensor

    self.reshape(other.size()): a view where possible, otherwise a copy."""
    return reshape(self, other._arr.shape)


def flatten(self, start_dim=0, end_dim=-1):
    """flatten(input, start_dim=0, end_dim=-1) -> Tensor

    input with dims start_dim..end_dim (inclusive) merged into one, by reshape (a view where
    possible). A 0-d input gives shape (1,); start_dim == end_dim returns input itself."""
    shape = self._arr.shape
    if not shape:
        return reshape(self, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return self
    return reshape(self, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(self, dim, sizes):
    """unflatten(input, dim, sizes) -> Tensor

    input with dim ``dim`` split into dims of ``sizes`` (their product is its size; one may be
    -1). A view of input, as by view()."""
    shape = self._arr.shape
    d = _wrap_dim(dim, len(shape))
    sizes = _infer_shape(tuple(sizes), shape[d])
    return view(self, shape[:d] + sizes + shape[d + 1:])


def ravel(self):
    """ravel(input) -> Tensor

    input flattened to 1-D: a view where input's layout allows, otherwise a copy."""
    return reshape(self, (-1,))


# ---- squeeze / unsqueeze -------------------------------------------------------------------

class Unsqueeze(ArrayFunction):
    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return x._be.xp.expand_dims(x._arr, dim)

    @staticmethod
    def backward(ctx, gy):
        return gy.squeeze(ctx.dim)


def unsqueeze(self, dim):
    """unsqueeze(input, dim) -> Tensor

    A view of input with a size-1 dim inserted at position ``dim`` (dim may be in
    [-input.dim() - 1, input.dim()])."""
    d = _wrap_dim(dim, self._arr.ndim + 1)
    return _as_view(Unsqueeze.apply(self, d), self, lambda t: t.unsqueeze(d))


class Squeeze(ArrayFunction):
    node_name = "SqueezeBackward1"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.shape = x._arr.shape
        return x._arr.reshape([n for i, n in enumerate(x._arr.shape) if i not in dims])

    @staticmethod
    def backward(ctx, gy):
        return gy.reshape(ctx.shape)


class SqueezeAll(Squeeze):
    node_name = "SqueezeBackward0"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


def squeeze(self, dim=None):
    """squeeze(input, dim=None) -> Tensor

    A view of input without its size-1 dims: all of them, or those among ``dim`` (an int or a
    tuple of ints); a listed dim whose size is not 1 is left in place."""
    shape = self._arr.shape
    if dim is None:
        dims = tuple(i for i, n in enumerate(shape) if n == 1)
        fn = SqueezeAll
    else:
        fn = SqueezeDims if isinstance(dim, (tuple, list)) else Squeeze
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = tuple(i for i in (_wrap_dim(d, len(shape)) for d in dims) if shape[i] == 1)
    return _as_view(fn.apply(self, dims), self, lambda t: t.squeeze(dim))


# ---- permutations --------------------------------------------------------------------------

class Permute(ArrayFunction):
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x._be.xp.transpose(x._arr, dims)

    @staticmethod
    def backward(ctx, gy):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return gy.permute(inv)


class Transpose(Permute):
    node_name = "TransposeBackward0"


class T(Permute):
    node_name = "TBackward0"


def permute(self, *dims):
    """permute(input, dims) -> Tensor

    A view of input with its dims reordered: dim i of the result is dim dims[i] of input.
    Method form: x.permute(*dims) or x.permute(dims)."""
    dims = _shape_arg(dims)
    n = self._arr.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _as_view(Permute.apply(self, dims), self, lambda t: t.permute(dims))


def _swap(n, d0, d1):
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return tuple(dims)


def transpose(self, dim0, dim1):
    """transpose(input, dim0, dim1) -> Tensor

    A view of input with dims dim0 and dim1 swapped. swapaxes and swapdims are aliases (in
    gradcore their arguments are dim0 and dim1, also for swapaxes)."""
    n = self._arr.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    if not n:
        return self
    return _as_view(Transpose.apply(self, _swap(n, d0, d1)), self,
                    lambda t: t.transpose(d0, d1))


swapaxes = swapdims = transpose


def t(self):
    """t(input) -> Tensor

    A view of a 2-D input, transposed; 0-D and 1-D inputs come back unchanged (as views)."""
    n = self._arr.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _as_view(T.apply(self, tuple(range(n - 1, -1, -1))), self, lambda x: x.t())


def T_property(self):
    """T -> Tensor

    self with all its dims reversed (a view); self itself when it has fewer than 2 dims."""
    n = self._arr.ndim
    return permute(self, tuple(range(n - 1, -1, -1))) if n >= 2 else self


def mT(self):
    """mT -> Tensor

    self with its last two dims swapped (a view): a batch of matrices, each transposed."""
    return transpose(self, -2, -1)


def movedim(self, source, destination):
    """movedim(input, source, destination) -> Tensor

    A view of input with the dims at ``source`` (an int or a sequence) moved to the positions
    ``destination``; the other dims keep their order."""
    n = self._arr.ndim
    src = [_wrap_dim(d, n) for d in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [_wrap_dim(d, n) for d in (destination if isinstance(destination, (tuple, list))
                                     else [destination])]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(self, order)


class Contiguous(ArrayFunction):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x._be.xp.ascontiguousarray(x._arr)

    @staticmethod
    def backward(ctx, gy):
        return gy


def contiguous(self, memory_format=None):
    """contiguous(memory_format=None) -> Tensor

    self when its memory is already C-contiguous, else a C-contiguous copy (gradient passed
    through). memory_format is accepted and ignored."""
    if self._arr.flags.c_contiguous:
        return self
    return Contiguous.apply(self)


METHODS = {
    "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "sum_to_size": sum_to_size, "reshape": reshape, "view": view, "view_as": view_as,
    "reshape_as": reshape_as, "flatten": flatten, "unflatten": unflatten, "ravel": ravel,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "permute": permute, "transpose": transpose,
    "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "movedim": movedim,
    "contiguous": contiguous, "T": property(T_property), "mT": property(mT),
}
FUNCTIONS = {
    "broadcast_shapes": broadcast_shapes, "reshape": reshape, "flatten": flatten,
    "unsqueeze": unsqueeze, "squeeze": squeeze, "permute": permute, "transpose": transpose,
    "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "movedim": movedim, "unflatten": unflatten,
    "ravel": ravel, "broadcast_to": broadcast_to,
}
