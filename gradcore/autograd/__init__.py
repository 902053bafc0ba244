"""gradcore.autograd: Function, backward, grad, grad modes, gradcheck, anomaly detection,
``functional`` (jacobian, hessian, vjp ...) and ``graph`` (saved-tensor hooks); the Tensor
methods of autograd (``backward``, ``register_hook``, ``retain_grad``,
``register_post_accumulate_grad_hook``, ``is_inference``) are bound onto Tensor here."""
from ..tensor import Tensor
from . import hooks as _hooks
from .function import (Function, once_differentiable,  # noqa: F401
                       register_post_accumulate_grad_hook as _post_accumulate_grad_hook)
from .engine import backward, grad, tensor_backward as _tensor_backward  # noqa: F401
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,  # noqa: F401
                        inference_mode, is_inference_mode_enabled, is_inference as _is_inference)
from .anomaly_mode import (detect_anomaly, set_detect_anomaly, is_anomaly_enabled,  # noqa: F401
                           is_anomaly_check_nan_enabled, set_anomaly_enabled)
from . import graph, functional  # noqa: F401


def Variable(data, requires_grad=False, volatile=False):
    """The tutorial's old wrapper: Variable(t) is just the tensor (requires_grad applied)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: E402,F401

Tensor.backward = _tensor_backward
Tensor.register_hook = _hooks.register_hook
Tensor.retain_grad = _hooks.retain_grad
Tensor.register_post_accumulate_grad_hook = _post_accumulate_grad_hook
Tensor.is_inference = _is_inference
