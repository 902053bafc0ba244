"""Parameter: a Tensor that a Module registers as one of its parameters."""
from .. import _dtype
from ..backend import get_backend
from ..tensor import Tensor, _wrap


class Parameter(Tensor):
    """Parameter(data=None, requires_grad=True)

    A Tensor that a Module registers as a parameter when assigned as its attribute (so it is
    in ``parameters()`` and ``state_dict()``).  It is a leaf sharing ``data``'s array (and
    version counter); ``Parameter()`` holds an empty tensor of the default dtype.  Operations
    on a Parameter return plain Tensors, as in PyTorch.

    Args:
        data: the tensor to wrap (not copied). Default: an empty tensor of shape (0,).
        requires_grad: whether autograd records gradients for it. Default: True.

    Example:
        >>> p = nn.Parameter(torch.ones(2))
        >>> p
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        >>> type(p * 2).__name__
        'Tensor'
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            be = get_backend(None)
            data = _wrap(be.xp.empty((0,), dtype=_dtype.get_default_dtype().np), be)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        p = _wrap(data._arr, data._be, False, cls)
        p._vc = data._version_counter()
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(_wrap(self._arr.copy(), self._be), self.requires_grad)
        memo[id(self)] = result
        return result


class Buffer(Tensor):
    """Buffer(data=None, *, persistent=True)

    A tensor that a Module registers as a buffer (``register_buffer(name, data, persistent)``)
    when assigned as its attribute, as torch.nn.Buffer; a plain Tensor assigned so stays a
    plain attribute.  It shares ``data``'s array, detached, keeping its ``requires_grad``.

    Args:
        data: the tensor (not copied). Default: an empty tensor of shape (0,).
        persistent: whether the buffer is in the module's ``state_dict``. Default: True.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            be = get_backend(None)
            data = _wrap(be.xp.empty((0,), dtype=_dtype.get_default_dtype().np), be)
        b = _wrap(data._arr, data._be, False, cls)
        b._vc = data._version_counter()
        if data.requires_grad:
            b.requires_grad_(True)
        b.persistent = persistent
        return b


_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error "
             "usually happens in `load_state_dict` when trying to load an uninitialized "
             "parameter into an initialized one. Call `forward` to initialize the parameters "
             "before accessing their attributes.")


class _Uninitialized:
    """What UninitializedParameter and UninitializedBuffer share: no shape yet."""

    @property
    def shape(self):
        raise RuntimeError(_NO_SHAPE)

    def size(self, dim=None):
        raise RuntimeError(_NO_SHAPE)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


class UninitializedParameter(_Uninitialized, Parameter):
    """UninitializedParameter(requires_grad=True, device=None, dtype=None)

    A parameter whose shape is not known yet (a lazy module's, nn.modules.lazy): it holds no
    data until ``materialize(shape)`` gives it an uninitialized array of that shape and makes
    it a plain Parameter (``cls_to_become``)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.factories import empty
        p = super().__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)
        return p

    def materialize(self, shape, device=None, dtype=None):
        """Give it an (uninitialized) array of ``shape`` and make it a ``Parameter``."""
        from ..ops.factories import empty
        data = empty(shape, device=device or self.device, dtype=dtype or self.dtype)
        self._arr, self._be = data._arr, data._be
        self.__class__ = self.cls_to_become


class UninitializedBuffer(_Uninitialized, Tensor):
    """UninitializedBuffer(requires_grad=False, device=None, dtype=None)

    A buffer whose shape is not known yet (a lazy module's running statistics); the lazy
    module replaces it with a real tensor when it infers the shape (``materialize`` returns
    that tensor)."""

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        from ..ops.factories import empty
        data = empty(0, device=device, dtype=dtype)
        b = _wrap(data._arr, data._be, False, cls)
        if requires_grad:
            b.requires_grad_(True)
        return b

    def materialize(self, shape, device=None, dtype=None):
        """A new uninitialized Tensor of ``shape`` (this buffer's device and dtype)."""
        from ..ops.factories import empty
        return empty(shape, device=device or self.device, dtype=dtype or self.dtype)


def is_lazy(param):
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
