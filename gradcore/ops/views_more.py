"""More of PyTorch's view and storage API: unfold, as_strided (+ _, _scatter, storage_offset),
the in-place view forms (t_, transpose_, squeeze_, unsqueeze_ ...), the ``*_copy`` functions
torch exposes for its views, split_with_sizes / unsafe_split / unsafe_chunk, narrow_copy,
nonzero_static, index_reduce, H / mH / adjoint, and the small Tensor members PyTorch programs
ask for (is_same_size, is_neg, conj_physical, byte/char/short/cfloat/cdouble, pin_memory,
share_memory_, resize_).

Strides and storage offsets are in elements, counted from the start of the memory the
tensor's array lives in (its NumPy owner, or its CuPy allocation): PyTorch's storage.  The
gradients of the strided views are written once in Tensor ops (positions in a virtual storage,
scattered with index_add and gathered with take), so they are differentiable.
"""
import inspect
import operator
import warnings
import weakref

import numpy as np

from .. import _dtype
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _state
from .. import cuda as _cuda
from ..tensor import _wrap, _wrap_dim
from . import indexing, join, out as _out, shape as S, structure
from .distance import _vjp_node
from .inplace import _check_leaf, inplace
from .shape import Squeeze, T, Transpose, Unsqueeze, _as_view, _shape_arg



# ---- storage geometry --------------------------------------------------------------------

def _owner(arr):
    """The NumPy array that owns ``arr``'s memory (through views and stride tricks)."""
    while True:
        b = arr.base
        if isinstance(b, np.ndarray):
            arr = b
        elif isinstance(getattr(b, "base", None), np.ndarray):  # stride_tricks' DummyArray
            arr = b.base
        else:
            return arr


def _storage(arr):
    """(start address, size in bytes) of the memory ``arr`` lives in."""
    if isinstance(arr, np.ndarray):
        own = _owner(arr)
        return own.__array_interface__["data"][0], own.nbytes
    mem = arr.data.mem  # CuPy: the allocation
    return mem.ptr, mem.size


def _address(arr):
    return arr.__array_interface__["data"][0] if isinstance(arr, np.ndarray) else arr.data.ptr


def storage_offset(self):
    """storage_offset() -> int

    Where self's first element lies in its storage, in elements (0 for a tensor that owns its
    memory; x[1:] of a contiguous x is x.stride(0))."""
    return (_address(self._arr) - _storage(self._arr)[0]) // self._arr.itemsize


def view_dtype(self, dtype):
    """Tensor.view(dtype): self's memory read as ``dtype`` (no copy; writes through either are
    seen by the other).  Between dtypes of different sizes the last dim must have stride 1 and
    changes size by the ratio, as PyTorch requires; the result is not differentiable."""
    a, new = self._arr, dtype.np
    old_size, new_size = a.itemsize, new.itemsize
    if old_size != new_size:
        what = (f"to view {self.dtype.scalar_name} as {dtype.scalar_name} (different element "
                "sizes)")
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if a.strides[-1] != old_size:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got "
                               f"{a.strides[-1] // old_size}")
        if new_size > old_size:
            ratio = new_size // old_size
            if a.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but "
                                   f"got {a.shape[-1]}")
            offset = storage_offset(self)
            if offset % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}, "
                                   f"but got {offset}")
            for k, st in enumerate(a.strides[:-1]):
                if (st // old_size) % ratio:
                    raise RuntimeError(f"self.stride({k}) must be divisible by {ratio} {what}, "
                                       f"but got {st // old_size}")
    t = _wrap(a.view(new), self._be)
    t._vc = self._version_counter()  # one memory: in-place writes through it are caught
    return t


S._VIEW_DTYPE[0] = view_dtype


def _strided_from_storage(arr, xp, shape, strides, offset):
    """An array over ``arr``'s storage with ``shape``, element ``strides`` and ``offset``."""
    isz = arr.itemsize
    bstrides = tuple(s * isz for s in strides)
    if isinstance(arr, np.ndarray):
        own = _owner(arr)  # one block of memory; a Fortran-ordered owner read in that order
        buf = own if own.flags.c_contiguous else own.ravel(order="K")
        return np.ndarray(shape, arr.dtype, buffer=buf, offset=offset * isz, strides=bstrides)
    ptr = xp.cuda.MemoryPointer(arr.data.mem, offset * isz)  # CuPy
    return xp.ndarray(shape, arr.dtype, memptr=ptr, strides=bstrides)


def _positions(xp, shape, strides, offset):
    """The storage position of each element of a (shape, strides, offset) geometry (int64)."""
    pos = xp.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        ax = [1] * len(shape)
        ax[d] = n
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape(ax)
    return pos


def _geometry(t):
    a = t._arr
    return a.shape, tuple(s // a.itemsize for s in a.strides), storage_offset(t)


def _scatter_gather(gy, out_pos, in_pos, size):
    """The gradient of a strided read: gy summed into a zero storage of ``size`` at
    ``out_pos``, read back at ``in_pos`` (divided by how often an overlapping input reads one
    place, as PyTorch's as_strided_backward).  Tensor ops, so it is differentiable."""
    be = gy._be
    xp = be.xp
    store = gy.new_zeros((size,)).index_add(0, _wrap(out_pos.reshape(-1), be),
                                            gy.reshape(-1))
    flat_in = in_pos.reshape(-1)
    g = store.take(_wrap(in_pos, be))
    count = xp.bincount(flat_in, minlength=size)[flat_in].reshape(in_pos.shape)
    if count.size and int(count.max()) > 1:
        g = g / _wrap(count.astype(gy._arr.dtype), be)
    return g


# ---- as_strided ---------------------------------------------------------------------------

def _check_strided(self, size, stride, offset):
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    isz = self._arr.itemsize
    have = _storage(self._arr)[1]
    need = 0 if 0 in size else (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))) * isz
    if need > have:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {isz} requiring a storage size of "
                           f"{need} are out of bounds for storage of size {have}")


class AsStrided(ArrayFunction):
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        ctx.geom = _geometry(x)
        ctx.out = (size, stride, offset)
        ctx.size = _storage(x._arr)[1] // x._arr.itemsize
        return _strided_from_storage(x._arr, x._be.xp, size, stride, offset)

    @staticmethod
    def backward(ctx, gy):
        xp = gy._be.xp
        return _scatter_gather(gy, _positions(xp, *ctx.out), _positions(xp, *ctx.geom),
                               ctx.size)


class AsStrided1(AsStrided):
    node_name = "AsStridedBackward1"


def _strided_args(self, size, stride, storage_offset):
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    offset = (globals()["storage_offset"](self) if storage_offset is None
              else operator.index(storage_offset))
    _check_strided(self, size, stride, offset)
    return size, stride, offset


def as_strided(input, size, stride, storage_offset=None):
    """as_strided(input, size, stride, storage_offset=None) -> Tensor

    A view of input's storage with the given ``size``, element ``stride`` and
    ``storage_offset`` (default: input's own), as PyTorch: the strides count from the storage,
    not from input's layout. Gradient: summed into each storage place the view reads."""
    size, stride, offset = _strided_args(input, size, stride, storage_offset)
    return _as_view(AsStrided.apply(input, size, stride, offset), input,
                    lambda t: as_strided(t, size, stride, offset))


def as_strided_(input, size, stride, storage_offset=None):
    """as_strided_(input, size, stride, storage_offset=None) -> Tensor

    as_strided in place: input itself takes the new geometry (AsStridedBackward1)."""
    size, stride, offset = _strided_args(input, size, stride, storage_offset)
    return _view_inplace(input, lambda t: AsStrided1.apply(t, size, stride, offset))


def _as_strided_scatter(input, src, size, stride, offset):
    """as_strided_scatter's formula: a copy of input with src written at the view's places."""
    pos = _positions(input._be.xp, size, stride, offset)
    flat = input.contiguous().reshape(-1)
    keep = input._be.xp.ones(flat._arr.shape, dtype=bool)
    keep[pos.reshape(-1)] = False
    out = flat * _wrap(keep.astype(flat._arr.dtype), input._be)
    return out.index_add(0, _wrap(pos.reshape(-1), input._be),
                         src.reshape(-1) * 1).reshape(input.shape)


_as_strided_scatter_node = _vjp_node("AsStridedScatterBackward0", _as_strided_scatter)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor

    A contiguous copy of input with ``src`` written where input.as_strided(size, stride,
    storage_offset) would look (of a contiguous copy). Gradients: the rest of the gradient to
    input, the viewed places to src."""
    size = tuple(int(n) for n in size)
    stride = tuple(int(s) for s in stride)
    offset = 0 if storage_offset is None else operator.index(storage_offset)
    base = input.contiguous() if not input._arr.flags.c_contiguous else input
    _check_strided(base, size, stride, offset)
    if tuple(src._arr.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src._arr.shape)}, slice size = {list(size)}")
    return _as_strided_scatter_node(input, src, size, stride, offset)


# ---- unfold -------------------------------------------------------------------------------

class Unfold(ArrayFunction):
    node_name = "UnfoldBackward0"

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.args, ctx.shape = (dim, size, step), x._arr.shape
        return _unfold_array(x._arr, x._be.xp, dim, size, step)

    @staticmethod
    def backward(ctx, gy):
        xp = gy._be.xp
        n = int(np.prod(ctx.shape, dtype=np.int64))
        pos = xp.arange(n, dtype=np.int64).reshape(ctx.shape)
        out_pos = _unfold_array(pos, xp, *ctx.args)
        return _scatter_gather(gy, out_pos, pos, n)


def _unfold_array(arr, xp, dim, size, step):
    if not arr.ndim:
        return arr.reshape(1)[:size]
    shape, st = list(arr.shape), list(arr.strides)
    shape[dim] = (shape[dim] - size) // step + 1
    st[dim] = arr.strides[dim] * step
    return xp.lib.stride_tricks.as_strided(arr, tuple(shape) + (size,),
                                           tuple(st) + (arr.strides[dim],))


def unfold(self, dimension, size, step):
    """unfold(dimension, size, step) -> Tensor

    A view of every window of ``size`` entries along ``dimension``, ``step`` apart: that dim
    becomes the window count and a last dim of ``size`` is added. Gradient: the windows'
    gradients summed back (UnfoldBackward0)."""
    shape = self._arr.shape
    d = _wrap_dim(dimension, len(shape))
    have = shape[d] if shape else 1
    if size > have:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {have} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return _as_view(Unfold.apply(self, d, size, step), self,
                    lambda t: unfold(t, d, size, step))


# ---- in-place view forms ------------------------------------------------------------------

def _view_inplace(self, make):
    """self takes the geometry of ``make(self)`` (a view op): same object, version bumped,
    grad_fn the view's node."""
    if _state.enabled:
        _check_leaf(self)
    res = make(_wrap(self._arr, self._be, self._rg, None, self._node, self._out_nr))
    self._arr = res._arr
    self._bump_version()
    if res._rg:
        self._node, self._out_nr = res._node, res._out_nr
    if self._view is not None:
        old = self._view.fn
        self._view.fn = lambda t: make(old(t))
    return self


class T1(T):
    node_name = "TBackward1"


class Transpose1(Transpose):
    node_name = "TransposeBackward1"


class Unsqueeze1(Unsqueeze):
    node_name = "UnsqueezeBackward1"


class Squeeze3(Squeeze):
    node_name = "SqueezeBackward3"


class Squeeze4(Squeeze):
    node_name = "SqueezeBackward4"


class Squeeze5(Squeeze):
    node_name = "SqueezeBackward5"


def t_(self):
    """t_() -> Tensor

    t() in place: self (at most 2-D) becomes its transpose (TBackward1)."""
    n = self._arr.ndim
    if n > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {n}D")
    return _view_inplace(self, lambda x: T1.apply(x, tuple(range(n - 1, -1, -1))))


def transpose_(self, dim0, dim1):
    """transpose_(dim0, dim1) -> Tensor

    transpose() in place: self's dims dim0 and dim1 swap (TransposeBackward1); swapaxes_ and
    swapdims_ are the same."""
    n = self._arr.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = d1, d0
    return _view_inplace(self, lambda x: Transpose1.apply(x, tuple(dims)))


swapdims_ = transpose_


def swapaxes_(self, axis0, axis1):
    """swapaxes_(axis0, axis1) -> Tensor

    transpose_(axis0, axis1)."""
    return transpose_(self, axis0, axis1)


def unsqueeze_(self, dim):
    """unsqueeze_(dim) -> Tensor

    unsqueeze() in place: a size-1 dim is inserted into self at ``dim`` (UnsqueezeBackward1)."""
    d = _wrap_dim(dim, self._arr.ndim + 1)
    return _view_inplace(self, lambda x: Unsqueeze1.apply(x, d))


def squeeze_(self, dim=None):
    """squeeze_(dim=None) -> Tensor

    squeeze() in place: self loses its size-1 dims (all, or those among ``dim``)
    (SqueezeBackward3 / 4 / 5 for no dim / one dim / a tuple)."""
    shape = self._arr.shape
    if dim is None:
        dims, cls = tuple(i for i, n in enumerate(shape) if n == 1), Squeeze3
    else:
        many = isinstance(dim, (tuple, list))
        cls = Squeeze5 if many else Squeeze4
        dims = tuple(i for i in (_wrap_dim(d, len(shape)) for d in (dim if many else (dim,)))
                     if shape[i] == 1)
    return _view_inplace(self, lambda x: cls.apply(x, dims))


# ---- the *_copy functions ------------------------------------------------------------------

def _copy_node(node, view):
    """torch.<view>_copy: the view's result as a new contiguous tensor, one node ``node``
    (unsafe_split's pieces keep the view's memory and strides, as PyTorch's: no copy)."""
    if node == "UnsafeSplitBackward0":
        return _vjp_node(node, view)
    return _vjp_node(node, lambda x, *args: view(x, *args).clone().contiguous())


def _copies():
    return {
        "alias_copy": ("AliasBackward0_copy", lambda x: x.view_as(x)),
        "as_strided_copy": ("AsStridedBackward0_copy", as_strided),
        "diagonal_copy": ("DiagonalBackward0_copy", structure.diagonal),
        "expand_copy": ("ExpandBackward0_copy", lambda x, size, implicit: S.expand(x, size)),
        "permute_copy": ("PermuteBackward0_copy", S.permute),
        "select_copy": ("SelectBackward0_copy", indexing.select),
        "squeeze_copy": ("SqueezeBackward0_copy", S.squeeze),
        "t_copy": ("TBackward0_copy", S.t),
        "transpose_copy": ("TransposeBackward0_copy", S.transpose),
        "unfold_copy": ("UnfoldBackward0_copy", unfold),
        "unsqueeze_copy": ("UnsqueezeBackward0_copy", S.unsqueeze),
        "view_copy": ("ViewBackward0_copy", S.view),
        "narrow_copy": ("NarrowCopyBackward0", indexing.narrow),
        "_slice": ("SliceBackward0_copy", indexing._slice),
        "_split": ("SplitBackward0_copy", lambda x, i, s, d: join.split(x, s, d)[i]),
        "_split_sizes": ("SplitWithSizesBackward0_copy", lambda x, i, s, d: join.split(x, s, d)[i]),
        "_unbind": ("UnbindBackward0_copy", lambda x, i, d: join.unbind(x, d)[i]),
        "_unsafe_split": ("UnsafeSplitBackward0", lambda x, i, s, d: join.split(x, s, d)[i]),
    }


_COPY = {}


def _copy_fn(name):
    fn = _COPY.get(name)
    if fn is None:
        node, view = _copies()[name]
        fn = _COPY[name] = _copy_node(node, view)
    return fn


_DEFAULTS = {"None": None, "0": 0, "1": 1, "False": False}


def _make_copy(name, params):
    """gradcore.<name>: the copy function of PyTorch's signature ``(input, <params>)``
    (a list of names, ``name=default`` for defaults, ``*`` before keyword-only ones)."""
    P = inspect.Parameter
    kind, plist = P.POSITIONAL_OR_KEYWORD, [P("input", P.POSITIONAL_OR_KEYWORD)]
    for p in params:
        if p == "*":
            kind = P.KEYWORD_ONLY
            continue
        n, _, default = p.partition("=")
        plist.append(P(n, kind, default=_DEFAULTS[default] if default else P.empty))
    sig = inspect.Signature(plist)

    def copy(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return _copy_fn(name)(*bound.arguments.values())
    copy.__name__ = copy.__qualname__ = name
    copy.__signature__ = sig
    copy.__doc__ = (f"{name}{sig} -> Tensor\n\n{name[:-5]}'s result as a new tensor (no "
                    f"shared memory); its gradient is {name[:-5]}'s.")
    return copy


alias_copy = _make_copy("alias_copy", [])
as_strided_copy = _make_copy("as_strided_copy", ["size", "stride", "storage_offset=None"])
diagonal_copy = _make_copy("diagonal_copy", ["offset=0", "dim1=0", "dim2=1"])
expand_copy = _make_copy("expand_copy", ["size", "*", "implicit=False"])
permute_copy = _make_copy("permute_copy", ["dims"])
select_copy = _make_copy("select_copy", ["dim", "index"])
squeeze_copy = _make_copy("squeeze_copy", ["dim=None"])
t_copy = _make_copy("t_copy", [])
transpose_copy = _make_copy("transpose_copy", ["dim0", "dim1"])
unfold_copy = _make_copy("unfold_copy", ["dimension", "size", "step"])
unsqueeze_copy = _make_copy("unsqueeze_copy", ["dim"])
view_copy = _make_copy("view_copy", ["size"])


def narrow_copy(input, dim, start, length):
    """narrow_copy(input, dim, start, length) -> Tensor

    narrow()'s result as a new contiguous tensor (NarrowCopyBackward0)."""
    return _copy_fn("narrow_copy")(input, dim, start, length)


def slice_copy(input, dim=0, start=None, end=None, step=1):
    """slice_copy(input, dim=0, start=None, end=None, step=1) -> Tensor

    input[..., start:end:step, ...] along ``dim`` as a new tensor (SliceBackward0_copy)."""
    d = _wrap_dim(dim, input._arr.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    start, stop, step = slice(start, end, step).indices(input._arr.shape[d])
    return _copy_fn("_slice")(input, d, start, max(stop, start), step)


def detach_copy(input):
    """detach_copy(input) -> Tensor

    input.detach() as a new tensor (no shared memory, no graph)."""
    return input.detach().clone()


def _pieces(name, input, split, dim, n):
    fn = _copy_fn(name)
    return tuple(fn(input, i, split, dim) for i in range(n))


def _into(name, pieces, out):
    """PyTorch's out= of the list-returning copies: a list of tensors, written; None back.
    ``name`` is PyTorch's overload name, which its size error gives."""
    if out is None:
        return pieces
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{name.split('_out')[0].replace('_Tensor', '').replace('_int', '')}(): "
                        f"argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    if len(out) != len(pieces):
        raise RuntimeError(f"{name} expected an out= argument of size {len(pieces)}, got "
                           f"size {len(out)}")
    _out._check_autograd(name.split("_out")[0], pieces, tuple(out))
    for o, r in zip(out, pieces):
        _out.check(o, r, _out.EXPECTED)
    for o, r in zip(out, pieces):
        _out.write(o, r, _out.EXPECTED)
    return None


def split_copy(input, split_size, dim=0, *, out=None):
    """split_copy(input, split_size, dim=0, *, out=None) -> tuple of Tensors

    split()'s pieces as new tensors (SplitBackward0_copy); out= a list of tensors."""
    return _into("split_copy_Tensor_out()", _pieces("_split", input, split_size, dim,
                                                    len(input.split(split_size, dim))), out)


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    """split_with_sizes_copy(input, split_sizes, dim=0, *, out=None) -> tuple of Tensors

    split_with_sizes()'s pieces as new tensors (SplitWithSizesBackward0_copy); out= a list."""
    sizes = list(split_sizes)
    return _into("split_with_sizes_copy_out", _pieces(
        "_split_sizes", input, sizes, dim, len(split_with_sizes(input, sizes, dim))), out)


def unbind_copy(input, dim=0, *, out=None):
    """unbind_copy(input, dim=0, *, out=None) -> tuple of Tensors

    unbind()'s slices as new tensors (UnbindBackward0_copy); out= a list of tensors."""
    fn = _copy_fn("_unbind")
    return _into("unbind_copy_int_out", tuple(fn(input, i, dim)
                                      for i in range(len(input.unbind(dim)))), out)


def split_with_sizes(input, split_sizes, dim=0):
    """split_with_sizes(input, split_sizes, dim=0) -> tuple of Tensors

    input cut along ``dim`` into pieces of the given sizes (they sum to its size); views."""
    return input.split(list(split_sizes), dim)


def unsafe_split(input, split_size, dim=0):
    """unsafe_split(input, split_size, dim=0) -> tuple of Tensors

    split() whose pieces are not views (UnsafeSplitBackward0): PyTorch's "unsafe" pieces share
    input's memory without its version counter, and so do gradcore's."""
    return _pieces("_unsafe_split", input, split_size, dim, len(input.split(split_size, dim)))


def unsafe_chunk(input, chunks, dim=0):
    """unsafe_chunk(input, chunks, dim=0) -> tuple of Tensors

    chunk() whose pieces are not views (UnsafeSplitBackward0; they share input's memory, as
    PyTorch's)."""
    pieces = input.chunk(chunks, dim)
    if not pieces:
        return ()
    return _pieces("_unsafe_split", input, [p._arr.shape[_wrap_dim(dim, input._arr.ndim)]
                                            for p in pieces], dim, len(pieces))


# ---- nonzero_static, index_reduce ----------------------------------------------------------

def nonzero_static(input, *, size, fill_value=-1):
    """nonzero_static(input, *, size, fill_value=-1) -> Tensor

    nonzero(input) cut or padded to ``size`` rows (padding rows hold fill_value)."""
    if not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    nz = input.nonzero()
    xp = nz._be.xp
    out = xp.full((size, nz._arr.shape[1]), fill_value, dtype=np.int64)
    k = min(size, nz._arr.shape[0])
    out[:k] = nz._arr[:k]
    return _wrap(out, nz._be)


def _index_reduce(input, dim, index, source, reduce, include_self):
    """index_reduce's formula: scatter_reduce with index broadcast along source's dim."""
    d = _wrap_dim(dim, input._arr.ndim)
    shape = [1] * source._arr.ndim
    if shape:
        shape[d] = -1
    idx = index.reshape(shape).expand(source.shape) if shape else index.reshape(())
    return input.scatter_reduce(d, idx, source, reduce, include_self=include_self)


_index_reduce_node = _vjp_node("IndexReduceBackward0", _index_reduce)
_WARNED = []


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor

    A copy of input whose slices at ``index`` along ``dim`` are reduced ('prod', 'mean',
    'amax', 'amin') with source's slices (and their own value when include_self)."""
    if not _WARNED:
        _WARNED.append(True)
        warnings.warn("index_reduce() is in beta and the API may change at any time.",
                      UserWarning, stacklevel=2)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if index._arr.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if index._arr.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype.scalar_name}")
    return _index_reduce_node(input, dim, index, source, reduce, include_self)


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    """index_reduce_(dim, index, source, reduce, *, include_self=True) -> Tensor

    index_reduce in place."""
    return inplace(self, lambda x: index_reduce(x, dim, index, source, reduce,
                                                include_self=include_self))


# ---- small members ------------------------------------------------------------------------

def is_same_size(input, other):
    """is_same_size(other) -> bool

    True when self and other have the same shape."""
    return input._arr.shape == other._arr.shape


def is_neg(input):
    """is_neg() -> bool

    False: gradcore has no lazy negation bit."""
    return False


def resolve_neg(input):
    """resolve_neg(input) -> Tensor

    input itself: gradcore's negations are never lazy."""
    return input


def conj_physical(input):
    """conj_physical(input) -> Tensor

    The complex conjugate, computed (gradcore's conj is computed too); a real input itself."""
    return input.conj()


def conj_physical_(self):
    """conj_physical_() -> Tensor

    self conjugated in place (nothing to do for a real tensor)."""
    if self._arr.dtype.kind == "c":
        self._be.xp.conjugate(self._arr, out=self._arr)
        self._bump_version()
    return self


def _H(self):
    """H -> Tensor

    The conjugate transpose of a matrix (2-D tensor)."""
    if self._arr.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._arr.ndim}-D tensor.")
    return adjoint(self)


def adjoint(input):
    """adjoint(input) -> Tensor

    input's last two dims swapped and conjugated (a view for real tensors); also mH."""
    if input._arr.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._arr.ndim}-D tensor.")
    return input.transpose(-2, -1).conj()


def _mH(self):
    """mH -> Tensor

    The conjugate transpose of each matrix of a batch (the last two dims)."""
    if self._arr.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self._arr.ndim}-D tensor.")
    return adjoint(self)


def _caster(dt, name):
    def cast(self, memory_format=None):
        return self.to(dt)
    cast.__name__ = name
    cast.__doc__ = f"{name}(memory_format=None) -> Tensor\n\nself.to(gradcore.{dt.name})."
    return cast


def pin_memory(self, device=None):
    """pin_memory(device=None) -> Tensor

    Page-locked host memory needs an accelerator: without CUDA, PyTorch's RuntimeError."""
    if not _cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return self.clone()


def is_pinned(self, device=None):
    """is_pinned(device=None) -> bool

    False: gradcore's host arrays are never page-locked."""
    return False


_SHARED = {}  # id(tensor) -> a weak reference to it (a WeakSet would compare with ==)


def share_memory_(self):
    """share_memory_() -> Tensor

    Mark self as shared (gradcore's DataLoader workers run in the main process, so its memory
    already is); returns self."""
    key = id(self)
    _SHARED[key] = weakref.ref(self, lambda _, k=key: _SHARED.pop(k, None))
    return self


def is_shared(self):
    """is_shared() -> bool

    True after share_memory_()."""
    ref = _SHARED.get(id(self))
    return ref is not None and ref() is self


def resize_(self, *sizes, memory_format=None):
    """resize_(*sizes, memory_format=None) -> Tensor

    self takes the shape ``sizes`` in place, contiguous; its first elements keep their values
    (in memory order), new ones are uninitialized. Refused for a tensor that requires grad."""
    if self._rg:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _shape_arg(sizes)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    xp = self._be.xp
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._arr.reshape(-1)
    if n <= flat.size and self._arr.flags.c_contiguous:
        new = flat[:n].reshape(shape)
    else:
        new = xp.empty(shape, dtype=self._arr.dtype)
        k = min(n, flat.size)
        new.reshape(-1)[:k] = flat[:k]
    self._arr = new
    self._bump_version()
    return self


def resize_as_(self, the_template, memory_format=None):
    """resize_as_(the_template, memory_format=None) -> Tensor

    self.resize_(the_template.size())."""
    return resize_(self, the_template._arr.shape)


METHODS = {
    "unfold": unfold, "as_strided": as_strided, "as_strided_": as_strided_,
    "as_strided_scatter": as_strided_scatter, "storage_offset": storage_offset,
    "is_same_size": is_same_size, "is_neg": is_neg, "resolve_neg": resolve_neg,
    "conj_physical": conj_physical, "conj_physical_": conj_physical_,
    "split_with_sizes": split_with_sizes, "narrow_copy": narrow_copy,
    "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
    "nonzero_static": nonzero_static, "index_reduce": index_reduce,
    "index_reduce_": index_reduce_, "t_": t_, "transpose_": transpose_, "squeeze_": squeeze_,
    "unsqueeze_": unsqueeze_, "swapaxes_": swapaxes_, "swapdims_": swapdims_,
    "resize_": resize_, "resize_as_": resize_as_, "pin_memory": pin_memory,
    "is_pinned": is_pinned, "share_memory_": share_memory_, "is_shared": is_shared,
    "H": property(_H), "mH": property(_mH), "adjoint": adjoint,
    "byte": _caster(_dtype.uint8, "byte"), "char": _caster(_dtype.int8, "char"),
    "short": _caster(_dtype.int16, "short"), "cfloat": _caster(_dtype.complex64, "cfloat"),
    "cdouble": _caster(_dtype.complex128, "cdouble"),
}
FUNCTIONS = {
    "as_strided": as_strided, "as_strided_": as_strided_, "as_strided_scatter":
    as_strided_scatter, "is_same_size": is_same_size, "is_neg": is_neg,
    "resolve_neg": resolve_neg, "conj_physical": conj_physical,
    "conj_physical_": conj_physical_, "split_with_sizes": split_with_sizes,
    "narrow_copy": narrow_copy, "unsafe_split": unsafe_split, "unsafe_chunk": unsafe_chunk,
    "nonzero_static": nonzero_static, "index_reduce": index_reduce, "adjoint": adjoint,
    "alias_copy": alias_copy, "as_strided_copy": as_strided_copy, "detach_copy": detach_copy,
    "diagonal_copy": diagonal_copy, "expand_copy": expand_copy, "permute_copy": permute_copy,
    "select_copy": select_copy, "slice_copy": slice_copy, "split_copy": split_copy,
    "split_with_sizes_copy": split_with_sizes_copy, "squeeze_copy": squeeze_copy,
    "t_copy": t_copy, "transpose_copy": transpose_copy, "unbind_copy": unbind_copy,
    "unfold_copy": unfold_copy, "unsqueeze_copy": unsqueeze_copy, "view_copy": view_copy,
    "resize_as_": resize_as_,
}
