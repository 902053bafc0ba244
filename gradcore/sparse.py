"""Sparse COO tensors, minimal: the layouts (``strided``, ``sparse_coo``), ``CooArray`` (what a
sparse Tensor holds as its array), ``sparse_coo_tensor``, the Tensor members of the layout
(``layout``, ``is_sparse``, ``_indices()``, ``_values()``, ``coalesce()``, ``to_dense()`` ...,
a sparse tensor's ``repr`` and ``numpy()``'s refusal, wrapped around Tensor's own) and the
gradient arithmetic the engine and the optimizers need (``accumulate_grad``,
``add_into``).

A sparse Tensor is a plain Tensor whose ``_arr`` is a ``CooArray`` (indices (sparse_dim, nnz)
int64 and values (nnz, *dense_shape) on the tensor's ``xp``): dense code paths hold no check
for it.  Ops on it other than these fail inside the array module: on NumPy through
``__array_ufunc__`` / ``__array_function__`` / attribute access, with PyTorch's
NotImplementedError naming the op ("Could not run 'aten::exp' with arguments from the
'SparseCPU' backend..."); ``dense + sparse`` (an array and a CooArray) is dense, ``sparse +
sparse`` PyTorch's: on CUDA the concatenation of their entries, on the CPU its merge walk
(``CooArray.concat``); times or divided by a number it keeps its entries (so a sparse
gradient passes a ``weight * 2`` node), negated too.
Sparse tensors carry no autograd history of their own (they are gradients).
"""
import numpy as np

from . import _dtype
from .backend import get_backend
from .tensor import Tensor, _wrap

__all__ = ["layout", "strided", "sparse_coo", "CooArray", "sparse_coo_tensor"]


class layout:
    """torch.layout: how a tensor's elements are stored (``strided`` or ``sparse_coo``)."""
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return (_layout_named, (self._name,))


strided = layout("strided")
sparse_coo = layout("sparse_coo")


def _layout_named(name):
    return strided if name == "strided" else sparse_coo


_ATEN = {"multiply": "mul", "true_divide": "div", "divide": "div", "subtract": "sub",
         "negative": "neg", "power": "pow", "absolute": "abs", "floor_divide": "floor_divide",
         "greater": "gt", "less": "lt", "equal": "eq", "not_equal": "ne", "sum": "sum",
         "copyto": "copy_", "concatenate": "cat"}


def _unsupported(op, backend):
    return NotImplementedError(
        f"Could not run 'aten::{_ATEN.get(op, op)}' with arguments from the '{backend}' "
        "backend. This could be because the operator doesn't exist for this backend, or was "
        "omitted during the selective/custom build process (if using custom build).")


def _backend_name(be, sparse=True):
    """PyTorch's dispatch key of a tensor on backend ``be``: SparseCPU, CUDA ..."""
    where = "CPU" if be.device.type == "cpu" else "CUDA"
    return f"Sparse{where}" if sparse else where


class CooArray:
    """The array of a sparse COO tensor: ``indices`` (sparse_dim, nnz) int64 and ``values``
    (nnz, *dense_shape) arrays of one array module ``xp``, the full ``shape``, and whether
    the entries are known to be coalesced (sorted, no duplicates)."""
    __slots__ = ("indices", "values", "shape", "coalesced", "be")
    __array_priority__ = 10000  # ndarray (NumPy and CuPy) <op> CooArray defers to this class

    def __init__(self, indices, values, shape, coalesced, be):
        self.indices, self.values, self.shape = indices, values, tuple(shape)
        self.coalesced = coalesced or indices.shape[1] < 2  # PyTorch's: fewer than 2 entries
        self.be = be

    @property
    def xp(self):
        """The array module of indices and values (the backend's)."""
        return self.be.xp

    # ---- what the engine and Tensor's metadata read ------------------------------------
    @property
    def dtype(self):
        return self.values.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self):
        return self.values.itemsize

    @property
    def nnz(self):
        return self.indices.shape[1]

    def copy(self):
        """A copy with its own indices and values."""
        return CooArray(self.indices.copy(), self.values.copy(), self.shape, self.coalesced,
                        self.be)

    def astype(self, dtype, copy=True):
        """The same entries with values of ``dtype``."""
        return CooArray(self.indices.copy() if copy else self.indices,
                        self.values.astype(dtype, copy=copy), self.shape, self.coalesced,
                        self.be)

    # ---- arithmetic: dense + sparse is dense, sparse + sparse PyTorch's add (concat) -----
    def _flat_index(self):
        """Each entry's row in the dense tensor viewed as (prod(sparse sizes), *dense)."""
        xp, idx = self.xp, self.indices
        flat = xp.zeros(idx.shape[1], dtype=np.int64)
        for d in range(idx.shape[0]):
            flat = flat * self.shape[d] + idx[d]
        return flat

    def add_to(self, dense):
        """dense += self, in place (duplicates add up)."""
        if self.nnz:  # indexed by one array per sparse dim: no reshape (that may copy)
            at, values = tuple(self.indices), self.values.astype(dense.dtype, copy=False)
            if self.coalesced:  # unique indices: a plain indexed add (np.add.at is slow)
                dense[at] += values
            else:
                self.be.index_add_(dense, at, values)
        return dense

    def to_dense(self):
        """The dense array."""
        out = self.xp.zeros(self.shape, dtype=self.dtype)
        return self.add_to(out)

    def coalesce(self):
        """Entries sorted by index, duplicates summed (PyTorch's coalesce)."""
        if self.coalesced:
            return self
        xp, sparse_dim = self.xp, self.indices.shape[0]
        flat = self._flat_index()
        order = xp.argsort(flat, kind="stable")  # duplicates summed in their order
        flat = flat[order]
        starts = xp.flatnonzero(xp.concatenate([xp.ones(1, dtype=bool), flat[1:] != flat[:-1]]))
        uniq = flat[starts]
        values = xp.add.reduceat(self.values[order], starts, axis=0)
        indices = xp.empty((sparse_dim, uniq.shape[0]), dtype=np.int64)
        rest = uniq
        for d in range(sparse_dim - 1, -1, -1):
            indices[d] = rest % self.shape[d]
            rest = rest // self.shape[d]
        return CooArray(indices, values, self.shape, True, self.be)

    def concat(self, other):
        """self + other, both sparse: PyTorch's add.  On CUDA, or where either's values are
        not contiguous, the entries of both, concatenated; otherwise (on the CPU) PyTorch's
        merge walk (add_out_sparse_contiguous): one pass over both entry lists, emitting
        the smaller index first and one summed entry where the two indices at hand are
        equal (so the result is coalesced when both are)."""
        if not other.nnz or not self.nnz:  # PyTorch: a copy of the other (its flag kept)
            keep = self if other.nnz == 0 else other
            return CooArray(keep.indices, keep.values.astype(self.dtype, copy=False),
                            self.shape, keep.coalesced, self.be)
        if (self.be.device.type == "cpu"
                and self.values.flags.c_contiguous and other.values.flags.c_contiguous):
            return self._merge(other)  # (PyTorch concatenates non-contiguous values)
        xp = self.xp
        return CooArray(xp.concatenate([self.indices, other.indices], axis=1),
                        xp.concatenate([self.values,
                                        other.values.astype(self.dtype, copy=False)]),
                        self.shape, False, self.be)

    def _merge(self, other):
        """PyTorch's CPU sparse + sparse, entry for entry (a Python loop over the entries:
        the walk's every step depends on the last)."""
        xp = self.xp
        t, s = self._flat_index().tolist(), other._flat_index().tolist()
        nt, ns = len(t), len(s)
        src_t, dst_t, src_s, dst_s = [], [], [], []
        i = j = r = 0
        while i < nt or j < ns:
            if i >= nt:
                cmp = -1
            elif j >= ns:
                cmp = 1
            else:
                cmp = (t[i] < s[j]) - (t[i] > s[j])
            if cmp >= 0:
                src_t.append(i)
                dst_t.append(r)
                i += 1
            if cmp <= 0:
                src_s.append(j)
                dst_s.append(r)
                j += 1
            r += 1
        indices = xp.empty((self.indices.shape[0], r), dtype=np.int64)
        indices[:, dst_t] = self.indices[:, src_t]
        indices[:, dst_s] = other.indices[:, src_s]
        values = xp.zeros((r,) + self.values.shape[1:], dtype=self.dtype)
        values[dst_t] = self.values[src_t]
        values[dst_s] += other.values[src_s].astype(self.dtype, copy=False)
        return CooArray(indices, values, self.shape, self.coalesced and other.coalesced,
                        self.be)

    def _check_same_shape(self, other_shape):
        if tuple(other_shape) != self.shape:
            raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the "
                               f"size of tensor b ({list(other_shape)})")

    def __add__(self, other):
        if type(other) is CooArray:
            self._check_same_shape(other.shape)
            return self.concat(other)
        if getattr(other, "shape", None) == self.shape:  # a dense array: dense result
            return self.add_to(other.astype(np.result_type(other.dtype, self.dtype)))
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")

    def __radd__(self, other):
        if getattr(other, "shape", None) == self.shape:
            return self.add_to(other.astype(np.result_type(other.dtype, self.dtype)))
        raise _unsupported("add", _backend_name(self.be))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc in (
                np.multiply, np.true_divide) and type(inputs[0]) is CooArray:
            return inputs[0]._scaled(inputs[1], "mul" if ufunc is np.multiply else "div")
        if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc is np.multiply:
            return inputs[1]._scaled(inputs[0], "mul")
        if ufunc is np.negative and method == "__call__" and not kwargs:
            return -inputs[0]
        if ufunc is np.add and method == "__call__" and len(inputs) == 2 and not kwargs:
            a, b = inputs  # a Tensor op's add: dense + sparse only, as PyTorch's
            if type(a) is CooArray and type(b) is not CooArray:
                raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, "
                                   "sparse) instead.")
            return a.__add__(b) if type(a) is CooArray else b.__radd__(a)
        raise _unsupported(ufunc.__name__, _backend_name(self.be))

    def __array_function__(self, func, types, args, kwargs):
        raise _unsupported(func.__name__, _backend_name(self.be))

    def __array__(self, dtype=None, copy=None):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def __getitem__(self, key):
        raise _unsupported("index", _backend_name(self.be))

    def __setitem__(self, key, value):
        raise _unsupported("index_put_", _backend_name(self.be))

    def __getattr__(self, name):  # any other array method: the op is not supported
        if name.startswith("__") or name in CooArray.__slots__:
            raise AttributeError(name)
        raise _unsupported(name, _backend_name(self.be))

    def _scaled(self, other, op):
        """self times or divided by a number (or a 0-d array): PyTorch's sparse mul/div by
        a scalar, the entries kept."""
        if isinstance(other, (int, float, np.number)) or (
                getattr(other, "ndim", None) == 0 and type(other) is not CooArray):
            values = self.values * other if op == "mul" else self.values / other
            if _dtype.is_floating(self.dtype):  # a scalar does not widen a float tensor
                values = values.astype(self.dtype, copy=False)
            return CooArray(self.indices, values, self.shape, self.coalesced, self.be)
        raise _unsupported(op, _backend_name(self.be))

    def __mul__(self, other):
        return self._scaled(other, "mul")

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._scaled(other, "div")

    def __neg__(self):
        return CooArray(self.indices, -self.values, self.shape, self.coalesced, self.be)

    def _operator(name, op):
        def refuse(self, *other):
            raise _unsupported(op, _backend_name(self.be))
        refuse.__name__ = name
        return refuse

    for _name, _op in (("__sub__", "sub"), ("__rsub__", "sub"), ("__rtruediv__", "div"),
                       ("__floordiv__", "floor_divide"), ("__pow__", "pow"),
                       ("__matmul__", "matmul"), ("__rmatmul__", "matmul"),
                       ("__iadd__", "add_"), ("__imul__", "mul_"), ("__lt__", "lt"),
                       ("__gt__", "gt"), ("__le__", "le"), ("__ge__", "ge"),
                       ("__abs__", "abs")):
        locals()[_name] = _operator(_name, _op)
    del _name, _op, _operator

    def zero_(self):
        """No entries left (PyTorch's zero_ on a sparse tensor), in place (coalesced)."""
        xp = self.xp
        self.indices = xp.empty((self.indices.shape[0], 0), dtype=np.int64)
        self.values = xp.empty((0,) + self.values.shape[1:], dtype=self.dtype)
        self.coalesced = True

    def extend_(self, other):
        """self += other (sparse), in place: the entries of both."""
        s = self.concat(other)
        self.indices, self.values, self.coalesced = s.indices, s.values, s.coalesced


def _is_sparse(t):
    return type(t._arr) is CooArray


# ---- gradients: the engine's AccumulateGrad and the optimizers -----------------------------

def accumulate_grad(old, g, be):
    """PyTorch's AccumulateGrad where either side is sparse; ``old`` is the leaf's ``.grad``
    (a Tensor or None), ``g`` the new gradient (an array, CooArray or Tensor).  Returns the
    new ``.grad`` (``old`` itself when it was updated in place)."""
    if isinstance(g, Tensor):
        g = g._arr
    if old is None:  # the first gradient: .grad takes its layout, sharing its arrays as
        # PyTorch's AccumulateGrad steals them (nothing here writes into a sparse tensor's
        # indices or values: its in-place ops replace them)
        return _wrap(CooArray(g.indices, g.values, g.shape, g.coalesced, g.be)
                     if type(g) is CooArray else g.copy(), be)
    acc = old._arr
    if type(acc) is CooArray:
        if type(g) is CooArray:  # sparse += sparse, in place
            acc.extend_(g)
            old._bump_version()
            return old
        return _wrap(g + acc, be)  # a dense gradient into a sparse .grad: a new dense one
    g.add_to(acc)  # a sparse gradient into a dense .grad: in place
    old._bump_version()
    return old


def add_into(p, grad, alpha=1.0):
    """p += alpha * grad for a sparse ``grad`` (a CooArray) on a dense array ``p``, in place."""
    if alpha != 1.0:
        grad = CooArray(grad.indices, grad.values * alpha, grad.shape, grad.coalesced,
                        grad.be)
    grad.add_to(p)


def rows(grad, values):
    """A CooArray at ``grad``'s indices holding ``values`` (PyTorch's ``_make_sparse``)."""
    return CooArray(grad.indices, values, grad.shape, grad.coalesced, grad.be)


def sparse_mask(dense, grad):
    """The values of the dense array at a coalesced sparse ``grad``'s entries (PyTorch's
    ``dense.sparse_mask(grad)._values()``)."""
    return dense[tuple(grad.indices)]


# ---- construction --------------------------------------------------------------------------

def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
        pin_memory=False, requires_grad=False, check_invariants=None, is_coalesced=None)
        -> Tensor

    A sparse COO tensor: entry k is ``values[k]`` at index ``indices[:, k]`` (indices is
    (sparse_dim, nnz), values (nnz, *dense_sizes)); duplicate indices add up.  ``size``
    defaults to the smallest that holds every index.  Indices are checked against ``size``
    (PyTorch checks only with check_invariants).  gradcore's sparse tensors take no
    autograd history: requires_grad=True raises NotImplementedError."""
    if requires_grad:
        raise NotImplementedError("gradcore: sparse tensors that require grad are not "
                                  "supported (sparse tensors are gradients here)")
    vt = values if isinstance(values, Tensor) else None
    be = get_backend(device) if device is not None else (
        vt._be if vt is not None else get_backend(None))
    if dtype is not None:
        dt = _dtype.to_dtype(dtype).np
    elif vt is not None:
        dt = vt._arr.dtype
    else:
        dt = None
    v = be.asarray(values._arr if vt is not None else values, dtype=dt)
    if dt is None and _dtype.is_floating(v.dtype) and v.dtype != np.float32 and \
            not isinstance(values, np.ndarray):  # Python floats: the default dtype
        v = v.astype(_dtype.get_default_dtype().np)
    i = be.asarray(indices._arr if isinstance(indices, Tensor) else indices)
    if i.ndim != 2:
        if size is not None:
            sd = i.shape[0] if i.ndim else 0
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(size)}, sparse_dim = {sd}, "
                               f"dense_dim = {max(v.ndim - 1, 0)}")
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(i.shape)}")
    i = i.astype(np.int64, copy=False)
    sparse_dim, nnz = i.shape
    if v.ndim == 0 or v.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from "
                           f"indices: {nnz}, nnz from values: {v.shape[0] if v.ndim else 1}")
    if size is None:
        top = i.max(axis=1) + 1 if nnz else be.xp.zeros(sparse_dim, dtype=np.int64)
        size = tuple(int(s) for s in be.to_host(top)) + tuple(v.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != sparse_dim + v.ndim - 1:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                           f"len(size) = {len(size)}, sparse_dim = {sparse_dim}, "
                           f"dense_dim = {v.ndim - 1}")
    if nnz:
        low, high = be.to_host(i.min(axis=1)), be.to_host(i.max(axis=1))
        for d in range(sparse_dim):
            if low[d] < 0:
                raise RuntimeError(f"found negative index {int(low[d])} for dim {d}")
            if high[d] >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                                   f"{size[d]} but found index {int(high[d])}")
    if tuple(v.shape[1:]) != size[sparse_dim:]:
        raise RuntimeError(f"values has incorrect size, expected {list(size[:sparse_dim])} + "
                           f"{list(size[sparse_dim:])}, got {list(v.shape)}")
    coalesced = bool(is_coalesced)
    return _wrap(CooArray(i.copy(), v.copy(), size, coalesced, be), be)


# ---- the Tensor members of the layout ------------------------------------------------------

def _layout(self):
    """layout -> gradcore.layout

    How the elements are stored: gradcore.strided (dense) or gradcore.sparse_coo."""
    return sparse_coo if type(self._arr) is CooArray else strided


def _is_sparse_prop(self):
    """is_sparse -> bool

    Whether the tensor is a sparse COO tensor."""
    return type(self._arr) is CooArray


def _dense_error(self, op):
    return _unsupported(op, _backend_name(self._be, sparse=False))


def _indices(self):
    """_indices() -> Tensor

    A sparse tensor's indices, (sparse_dim, nnz) int64, coalesced or not."""
    if not _is_sparse(self):
        raise _dense_error(self, "_indices")
    return _wrap(self._arr.indices, self._be)


def _values(self):
    """_values() -> Tensor

    A sparse tensor's values, (nnz, *dense_sizes), coalesced or not."""
    if not _is_sparse(self):
        raise _dense_error(self, "_values")
    return _wrap(self._arr.values, self._be)


def indices(self):
    """indices() -> Tensor

    A coalesced sparse tensor's indices (RuntimeError on an uncoalesced one)."""
    if not _is_sparse(self):
        raise RuntimeError("indices expected sparse coordinate tensor layout but got Strided")
    if not self._arr.coalesced:
        raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                           ".coalesce() first")
    return _indices(self)


def values(self):
    """values() -> Tensor

    A coalesced sparse tensor's values (RuntimeError on an uncoalesced one)."""
    if not _is_sparse(self):
        raise RuntimeError("values expected sparse tensor layout but got Strided")
    if not self._arr.coalesced:
        raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                           ".coalesce() first")
    return _values(self)


def coalesce(self):
    """coalesce() -> Tensor

    The sparse tensor with its indices sorted and duplicates summed (self if it already
    is)."""
    if not _is_sparse(self):
        raise RuntimeError("coalesce expected sparse coordinate tensor layout but got Strided")
    if self._arr.coalesced:
        return self
    return _wrap(self._arr.coalesce(), self._be)


def is_coalesced(self):
    """is_coalesced() -> bool

    Whether a sparse tensor is known to have sorted, unique indices."""
    if not _is_sparse(self):
        raise RuntimeError("is_coalesced expected sparse coordinate tensor layout but got "
                           "Strided")
    return self._arr.coalesced


def to_dense(self, dtype=None, *, masked_grad=None):
    """to_dense(dtype=None, *, masked_grad=None) -> Tensor

    The dense tensor (a dense tensor is returned as it is, or cast to ``dtype``)."""
    if not _is_sparse(self):
        return self if dtype is None else self.to(dtype)
    out = _wrap(self._arr.to_dense(), self._be)
    return out if dtype is None else out.to(dtype)


def _nnz(self):
    """_nnz() -> int

    The number of entries a sparse tensor stores (duplicates counted)."""
    if not _is_sparse(self):
        raise _dense_error(self, "_nnz")
    return self._arr.nnz


def sparse_dim(self):
    """sparse_dim() -> int

    The number of sparse dimensions (0 for a dense tensor)."""
    return self._arr.indices.shape[0] if _is_sparse(self) else 0


def dense_dim(self):
    """dense_dim() -> int

    The number of dense dimensions of each value (a dense tensor's dim())."""
    return self._arr.values.ndim - 1 if _is_sparse(self) else self._arr.ndim


def _sparse_repr(self):
    """PyTorch's repr of a sparse COO tensor."""
    from . import _tensor_str as ts
    be, arr = self._be, self._arr
    indent = len("tensor(")
    parts = []
    for name, a in (("indices", arr.indices), ("values", arr.values)):
        host = be.to_host(a)
        prefix = f"{name}=tensor("
        if host.size == 0:
            body = "[], size=" + str(tuple(host.shape))
        else:
            summarize = host.size > ts._OPTS["threshold"]
            edge = ts._OPTS["edgeitems"]
            shown = ts._summarized(host, edge) if summarize else host
            fmt = ts._Formatter(shown, _dtype.is_floating(host.dtype))
            body = ts._format_nested(host, indent + len(prefix), summarize, fmt)
        parts.append(prefix + body + ")")
    suffixes = []
    if self._be.device.type != "cpu":
        suffixes.append(f"device='{self._be.device}'")
    suffixes += [f"size={tuple(arr.shape)}", f"nnz={arr.nnz}"]
    name = self.dtype.name
    if name not in ts._DEFAULT_DTYPES:
        suffixes.append(f"dtype=torch.{name}")
    suffixes.append("layout=torch.sparse_coo")
    text = "tensor(" + parts[0] + ",\n" + " " * indent + parts[1]
    text += ",\n" + " " * indent + suffixes[0]  # PyTorch starts a sparse tensor's on a new line
    text = ts._add_suffixes(text, suffixes[1:], indent)
    return text.replace("dtype=torch.", "dtype=gradcore.")


_dense_repr = Tensor.__repr__
_dense_numpy = Tensor.numpy


def _numpy(self, *, force=False):
    """numpy(*, force=False) -> numpy.ndarray

    The data as a NumPy array (see Tensor.numpy); a sparse tensor raises PyTorch's
    TypeError."""
    if type(self._arr) is CooArray:
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")
    return _dense_numpy(self, force=force)


def _repr(self, *, tensor_contents=None):
    if type(self._arr) is CooArray:
        return _sparse_repr(self)
    return _dense_repr(self, tensor_contents=tensor_contents)


def _bind():
    Tensor.layout = property(_layout)
    Tensor.is_sparse = property(_is_sparse_prop)
    for fn in (_indices, _values, indices, values, coalesce, is_coalesced, to_dense, _nnz,
               sparse_dim, dense_dim):
        setattr(Tensor, fn.__name__, fn)
    Tensor.__repr__ = Tensor.__str__ = _repr
    Tensor.numpy = _numpy


_bind()
