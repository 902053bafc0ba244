"""torch.nn.utils.stateless: the deprecated spelling of functional_call (gradcore.func's,
which it calls after PyTorch's FutureWarning)."""
import warnings

from ...func._functional_call import _reparametrize as _reparametrize_module  # noqa: F401
from ...func._functional_call import functional_call as _functional_call

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
    tie_weights=True, strict=False)

    Deprecated (FutureWarning): gradcore.func.functional_call, which it calls."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
