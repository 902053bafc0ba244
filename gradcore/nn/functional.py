"""gradcore.nn.functional: the functional forms of the layers and losses.

The ops themselves live in gradcore/ops (forward and backward side by side); this module gathers
them under PyTorch's names and adds the functional-only conveniences (``inplace=``, the
implicit softmax dim).
"""
import warnings

from ..ops import activation as _A, elementwise as _E, softmax as _S
from ..ops.out import wrap_namespace as _wrap_namespace
from ..ops.activation import gelu, leaky_relu, relu_, dropout  # noqa: F401
from ..ops.normalization import linear, layer_norm, batch_norm, embedding  # noqa: F401
from ..ops.conv import conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d  # noqa: F401
from ..ops.loss import (mse_loss, l1_loss, smooth_l1_loss, cross_entropy, nll_loss,  # noqa: F401
                        binary_cross_entropy, binary_cross_entropy_with_logits)


def relu(input, inplace=False):
    """relu(input, inplace=False) -> Tensor

    max(input, 0), elementwise; ``inplace=True`` writes the result into ``input`` (relu_).
    """
    return _A.relu_(input) if inplace else _E.relu(input)


def sigmoid(input):
    """sigmoid(input) -> Tensor

    1 / (1 + exp(-input)), elementwise (the same op as gradcore.sigmoid).
    """
    return _E.sigmoid(input)


def tanh(input):
    """tanh(input) -> Tensor

    The hyperbolic tangent, elementwise (the same op as gradcore.tanh).
    """
    return _E.tanh(input)


def _softmax_dim(name, ndim, stacklevel):
    """PyTorch's implicit dim (deprecated): 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor

    exp(x_i) / sum_j exp(x_j) along ``dim`` (computed in ``dtype`` when given); ``dim=None``
    is deprecated: it warns and takes 0 for 0-, 1- and 3-D input, else 1, as PyTorch.
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _S.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor

    log(softmax(input, dim)), computed stably as x_i - logsumexp(x) along ``dim``; ``dim=None``
    picks the dim as softmax does (with its deprecation warning).
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _S.log_softmax(input, dim, dtype=dtype)


# the families' functional forms beyond the above: each ops module's FUNCTIONAL dict
def _gather():
    from ..ops import (activation, attention, conv, conv_tbc, ctc, distance, fractional_pool,
                       loss, normalization, resample, rnn)
    for mod in (activation, attention, conv, conv_tbc, ctc, distance, fractional_pool, loss,
                normalization, resample, rnn):
        globals().update(getattr(mod, "FUNCTIONAL", {}))


_gather()
_wrap_namespace(globals(), "nn.functional.")  # out= where PyTorch's has one (ops/out.py)
