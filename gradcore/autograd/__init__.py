"""gradcore.autograd: Function, backward, grad, grad modes, gradcheck; the Tensor methods of
autograd (``backward``, ``register_hook``, ``retain_grad``) are bound onto Tensor here."""
from ..tensor import Tensor
from . import hooks as _hooks
from .function import Function, once_differentiable  # noqa: F401
from .engine import backward, grad, tensor_backward as _tensor_backward  # noqa: F401
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,  # noqa: F401
                        inference_mode)


def Variable(data, requires_grad=False, volatile=False):
    """The tutorial's old wrapper: Variable(t) is just the tensor (requires_grad applied)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: E402,F401

Tensor.backward = _tensor_backward
Tensor.register_hook = _hooks.register_hook
Tensor.retain_grad = _hooks.retain_grad
