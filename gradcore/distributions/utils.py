"""Helpers of the distributions: broadcast_all, probs/logits conversions, lazy_property."""
import numbers

from ._namespace import G as gradcore


def broadcast_all(*values):
    """The values (tensors or numbers) as tensors broadcast to one shape; numbers take the
    tensors' dtype and device (the default dtype when there is none)."""
    if not all(isinstance(v, (gradcore.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    like = next((v for v in values if isinstance(v, gradcore.Tensor)), None)
    opts = ({"dtype": like.dtype, "device": like.device} if like is not None
            else {"dtype": gradcore.get_default_dtype()})
    tensors = [v if isinstance(v, gradcore.Tensor) else gradcore.tensor(v, **opts)
               for v in values]
    return gradcore.broadcast_tensors(*tensors)


def clamp_probs(probs):
    """probs kept eps away from 0 and 1 (eps: the dtype's machine epsilon)."""
    eps = gradcore.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits of probabilities: log(p / (1 - p)) for binary ones, else log(p)."""
    ps = clamp_probs(probs)
    if is_binary:
        return gradcore.log(ps) - gradcore.log(1 - ps)
    return gradcore.log(ps)


def logits_to_probs(logits, is_binary=False):
    """Probabilities of logits: sigmoid for binary ones, else softmax over the last dim."""
    if is_binary:
        return gradcore.sigmoid(logits)
    return gradcore.nn.functional.softmax(logits, dim=-1)


def softplus(x):
    """log(1 + exp(x)) without overflow."""
    return gradcore.log(1 + gradcore.exp(-x.abs())) + gradcore.relu(x)


class lazy_property:
    """A property computed on first use and then stored on the instance (so a distribution
    given probs makes its logits only when asked)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with gradcore.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
