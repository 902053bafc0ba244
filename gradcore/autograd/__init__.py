"""gradcore.autograd: Function, backward, grad, grad modes, gradcheck."""
from .function import Function, once_differentiable  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,  # noqa: F401
                        inference_mode)


def Variable(data, requires_grad=False, volatile=False):
    """The tutorial's old wrapper: Variable(t) is just the tensor (requires_grad applied)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: E402,F401
