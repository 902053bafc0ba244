"""Tensor: an array (NumPy or CuPy) plus autograd metadata.

This file holds construction, metadata and conversions to Python and NumPy; it imports nothing
above the backends.  The autograd API (``backward``, ``register_hook``, ``retain_grad``) is
bound onto Tensor by ``gradcore.autograd``, the math methods, operators and device/dtype moves
by ``gradcore.ops`` (ops/__init__.py), as the functions themselves.
"""
import warnings

import numpy as np

from . import _dtype
from .backend import get_backend

_from_np = _dtype._FROM_NP
_ndarray = np.ndarray
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class _VersionCounter:
    """Shared by a tensor and its views; bumped by every in-place op."""
    __slots__ = ("v",)
    inference = False  # an inference tensor's counter (autograd/grad_mode.py) says True

    def __init__(self):
        self.v = 0


class Size(tuple):
    """Size(sizes): ``tensor.shape`` and ``tensor.size()``, a tuple of ints that prints as
    PyTorch's Size; build one from any iterable of ints:

        s = gradcore.zeros(2, 3).shape   # gradcore.Size([2, 3])
        s == (2, 3), s.numel()           # True, 6
    """
    __slots__ = ()

    def __repr__(self):
        return f"gradcore.Size({list(self)})"

    def numel(self):
        """numel() -> int

        The number of elements a tensor of this shape holds (the product of the sizes)."""
        n = 1
        for s in self:
            n *= s
        return n


class _ViewInfo:
    """How a view was made: its base, a function replaying the view on a new base, and
    ``no_grad``: 1 when made under no_grad, 2 when made from such a view (PyTorch's
    CreationMeta: an in-place op on either with grad mode on is refused), else 0."""
    __slots__ = ("base", "fn", "no_grad")

    def __init__(self, base, fn, no_grad=0):
        self.base, self.fn, self.no_grad = base, fn, no_grad


class Tensor:
    """Tensor(data) or Tensor(*size): an n-dimensional array (NumPy on the CPU, CuPy on CUDA)
    with autograd metadata (requires_grad, grad, grad_fn).

    ``Tensor(data)`` copies a list, array or tensor as the default float dtype;
    ``Tensor(*size)`` is uninitialized.  Prefer gradcore.tensor / zeros / ones / rand ...:

        x = gradcore.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        (x * x).sum().backward()         # x.grad == 2 * x
    """
    __slots__ = ("_arr", "_be", "_rg", "_node", "_out_nr", "_grad", "_vc", "_view", "_acc",
                 "_hooks", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # make ndarray <op> Tensor defer to Tensor's reflected operators

    def __new__(cls, *args, device=None, dtype=None):
        """``gradcore.Tensor(data)`` (float32 copy), ``gradcore.Tensor(*sizes)`` (empty), or
        ``gradcore.Tensor(tensor)``: an alias of it, its dtype kept (AliasBackward0, as PyTorch)."""
        if (cls is Tensor and len(args) == 1 and isinstance(args[0], Tensor) and device is None
                and dtype is None):
            return args[0][...]
        be = get_backend(device)
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], int):
            src = args[0]
            arr = be.asarray(src._arr if isinstance(src, Tensor) else src, dtype=dt.np)
        else:
            shape = tuple(int(s) for s in args) if args else (0,)  # Tensor(): tensor([])
            arr = be.xp.empty(shape, dtype=dt.np)
        return _wrap(arr, be, False, cls)

    # ---- metadata ---------------------------------------------------------------------
    @property
    def shape(self):
        """shape -> Size

        The size of each dimension, a gradcore.Size (a tuple); the same as size()."""
        return Size(self._arr.shape)

    def size(self, dim=None):
        """size(dim=None) -> Size or int

        The shape as a gradcore.Size (a tuple), or the size of dimension ``dim`` (negative
        counts from the end)."""
        if dim is None:
            return Size(self._arr.shape)
        return self._arr.shape[_wrap_dim(dim, self._arr.ndim)]

    def dim(self):
        """dim() -> int

        The number of dimensions (0 for a scalar tensor); ndimension() and ndim are the same."""
        return self._arr.ndim

    ndimension = dim

    @property
    def ndim(self):
        """ndim -> int

        The number of dimensions, as dim()."""
        return self._arr.ndim

    def numel(self):
        """numel() -> int

        The number of elements (the product of the sizes); nelement() is the same."""
        return int(self._arr.size)

    nelement = numel

    def element_size(self):
        """element_size() -> int

        The size of one element in bytes (4 for float32)."""
        return self._arr.itemsize

    @property
    def dtype(self):
        """dtype -> gradcore.dtype

        The element type, e.g. gradcore.float32."""
        return _from_np[self._arr.dtype]

    @property
    def device(self):
        """device -> gradcore.device

        Where the data lives: device(type='cpu') or device(type='cuda', index=N)."""
        return self._be.device

    @property
    def is_cuda(self):
        """is_cuda -> bool

        True when the tensor is stored on a CUDA device."""
        return self._be.device.type == "cuda"

    @property
    def is_cpu(self):
        """is_cpu -> bool

        True when the tensor is stored on the CPU."""
        return self._be.device.type == "cpu"

    def get_device(self):
        """get_device() -> int

        The CUDA device index of a CUDA tensor; -1 for a CPU tensor."""
        return -1 if self._be.device.type == "cpu" else self._be.device.index

    def is_floating_point(self):
        """is_floating_point() -> bool

        True when the dtype is a floating-point one (float16, float32, float64)."""
        return _dtype.is_floating(self._arr.dtype)

    def is_contiguous(self):
        """is_contiguous() -> bool

        True when the elements lie in memory in row-major (C) order without gaps."""
        return bool(self._arr.flags.c_contiguous)

    def stride(self, dim=None):
        """stride(dim=None) -> tuple or int

        The step in elements (not bytes) between neighbours along each dimension, or along
        ``dim``."""
        st = tuple(s // self._arr.itemsize for s in self._arr.strides)
        return st if dim is None else st[_wrap_dim(dim, self._arr.ndim)]

    def data_ptr(self):
        """data_ptr() -> int

        The memory address of the first element (host memory on the CPU, device memory on
        CUDA)."""
        if self._be.device.type == "cpu":
            return self._arr.ctypes.data
        return self._arr.data.ptr

    # ---- autograd metadata ------------------------------------------------------------
    @property
    def requires_grad(self):
        """requires_grad -> bool

        Whether autograd records operations on this tensor; settable on leaves (as
        requires_grad_())."""
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """requires_grad_(requires_grad=True) -> Tensor

        Set requires_grad in place and return self.  Only leaves may be switched off, and only
        floating-point tensors can require gradients."""
        requires_grad = bool(requires_grad)
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                                   "If you want to use a computed variable in a subgraph that "
                                   "doesn't require differentiation use var_no_grad = "
                                   "var.detach().")
            return self
        if requires_grad and self._vc is not None and self._vc.inference:
            self._vc.check_requires_grad()  # refused outside inference mode
        if requires_grad and not _dtype.is_floating(self._arr.dtype):
            if self._arr.dtype.kind == "c":
                raise RuntimeError("gradcore's autograd does not support complex tensors yet "
                                   f"(got {self.dtype}): compute on .real and .imag")
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype})")
        self._rg = requires_grad
        return self

    @property
    def grad_fn(self):
        """grad_fn -> Node or None

        The graph node that made this tensor (e.g. <MulBackward0>); None for leaves.  creator
        is the same (an older name)."""
        return self._node

    creator = grad_fn  # the tutorial's older name

    @property
    def is_leaf(self):
        """is_leaf -> bool

        True for tensors not made by a recorded op (grad_fn is None): those created by the user
        or with requires_grad=False.  backward() fills .grad only on leaves that require grad."""
        return self._node is None

    @property
    def grad(self):
        """grad -> Tensor or None

        The gradient accumulated by backward(): None until then.  Settable (a tensor of the same
        shape, dtype and device, or None) and deletable; reading it on a non-leaf without
        retain_grad() warns."""
        if self._node is not None and not self._retains_grad and self._grad is None:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._be is not self._be:
                raise RuntimeError(f"assigned grad has data located on {value.device} that "
                                   f"differs from the tensor's device {self.device}")
            if value._arr.shape != self._arr.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(value._arr.shape)} vs {list(self._arr.shape)}")
            if value._arr.dtype != self._arr.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} vs {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """data -> Tensor

        The same array as a tensor cut off from autograd (changes through it are not tracked
        and don't bump the version counter).  Assigning a tensor replaces this tensor's array."""
        return _wrap(self._arr, self._be, False, type(self) if type(self) is Tensor else Tensor)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._arr, self._be = value._arr, value._be

    @property
    def _version(self):
        vc = self._vc
        return 0 if vc is None else vc.v

    def _version_counter(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = _VersionCounter()
        return vc

    def _bump_version(self):
        vc = self._vc  # _version_counter, inlined (optimizers bump every parameter per step)
        if vc is None:
            vc = self._vc = _VersionCounter()
        vc.v += 1

    @property
    def retains_grad(self):
        """retains_grad -> bool

        True for a non-leaf tensor on which retain_grad() was called, so backward() fills its
        .grad."""
        return self._retains_grad

    def detach(self):
        """detach() -> Tensor

        A new tensor sharing this one's data, outside the graph (requires_grad=False, no
        grad_fn); it shares the version counter, so in-place changes are still caught."""
        t = _wrap(self._arr, self._be)
        t._vc = self._version_counter()
        return t

    def detach_(self):
        """detach_() -> Tensor

        Cut this tensor off the graph in place: it becomes a leaf that does not require grad;
        returns self.  Views can't be detached in place (use detach())."""
        if self._view is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._node, self._rg = None, False
        return self

    # ---- conversions ------------------------------------------------------------------
    def item(self):
        """item() -> number

        The value of a one-element tensor as a Python float, int or bool."""
        if self._arr.size != 1:
            raise RuntimeError(f"a Tensor with {self._arr.size} elements cannot be converted "
                               "to Scalar")
        return self._be.to_host(self._arr).item()

    def tolist(self):
        """tolist() -> list or number

        The data as nested Python lists of numbers (a plain number for a 0-d tensor)."""
        return self._be.to_host(self._arr).tolist()

    def numpy(self, *, force=False):
        """numpy(*, force=False) -> numpy.ndarray

        The data as a NumPy array sharing memory with a CPU tensor.  Refused for a tensor that
        requires grad or lives on CUDA unless force=True (then: a host copy for CUDA)."""
        if self._be.device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            arr = self._be.to_host(self._arr)
        else:
            if self._rg and not force:
                raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                                   "tensor.detach().numpy() instead.")
            arr = self._arr
        if _from_np.get(arr.dtype) is _dtype.bfloat16:  # ml_dtypes' type, not NumPy's: as torch
            raise TypeError("Got unsupported ScalarType BFloat16")
        return arr

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __len__(self):
        if not self._arr.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._arr.shape[0]

    def __iter__(self):
        if not self._arr.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._arr.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._arr.dtype.kind not in "iub" or self._arr.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        node = self._node
        return tensor_repr(self._be.to_host(self._arr), dtype_name=self.dtype.name,
                           device=str(self.device),
                           grad_fn_name=type(node).__name__ if node is not None else None,
                           requires_grad=self._rg)

    __str__ = __repr__

    def __format__(self, spec):
        if self._arr.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        raise TypeError("gradcore tensors are not pickled: use gradcore.save / gradcore.load")

    def __deepcopy__(self, memo):
        if self._node is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = _wrap(self._arr.copy(), self._be, self._rg, type(self))
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

_new = object.__new__
# While some thread is in inference mode, autograd.grad_mode sets this to a function giving
# the version counter of a new tensor (an inference one in inference mode, else None).
_inference_vc = None


def zero_grads(params, set_to_none=True):
    """``zero_grad`` of modules and optimizers: drop each .grad, or zero it in place (cut off
    from any graph that made it)."""
    for p in params:
        g = p._grad
        if g is None:
            continue
        if set_to_none:
            p._grad = None
        else:
            if g._node is not None:
                g.detach_()
            else:
                g.requires_grad_(False)
            empty = getattr(g._arr, "zero_", None)  # a sparse gradient's (sparse.CooArray)
            if empty is not None:
                empty()
                g._bump_version()
            else:
                g.zero_()


def _wrap(arr, be, rg=False, cls=None, node=None, out_nr=0):
    """Make a Tensor around ``arr`` without copying (the hot path of every op)."""
    if type(arr) is not _ndarray and isinstance(arr, np.generic):  # NumPy returns scalars
        # from ops on 0-d arrays (the type test first: isinstance costs ~50 ns a call)
        arr = np.array(arr)
    t = _new(Tensor if cls is None else cls)
    t._arr = arr
    t._be = be
    t._rg = rg
    t._node = node if rg else None
    t._out_nr = out_nr
    t._grad = None
    t._vc = None if _inference_vc is None else _inference_vc()
    t._view = None
    t._acc = None
    t._hooks = None
    t._retains_grad = False
    return t


def _wrap_dim(dim, ndim):
    """A possibly negative dim as an axis, with PyTorch's IndexError when out of range."""
    n = ndim if ndim else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim
