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
